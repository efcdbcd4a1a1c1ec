"""A small window that offers files for drag and drop, as a file manager would: the
journey drags from it onto the app with the X pointer (xdotool), so the drop reaches the
app through GTK's native drag-and-drop, not through a test hook.

Usage (system Python with GTK 3 bindings): drag_source.py X Y PATH...
The window is 160 x 120 at (X, Y); it prints "ready" once it is on screen.
"""

import sys
from pathlib import Path

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, GLib, Gtk  # noqa: E402

x, y = int(sys.argv[1]), int(sys.argv[2])
uris = [Path(p).resolve().as_uri() for p in sys.argv[3:]]

window = Gtk.Window(title="Files to import")
window.set_default_size(160, 120)
window.move(x, y)
window.set_keep_above(True)
source = Gtk.EventBox()
source.add(Gtk.Label(label="Drag me"))
window.add(source)
source.drag_source_set(Gdk.ModifierType.BUTTON1_MASK, [], Gdk.DragAction.COPY)
source.drag_source_add_uri_targets()
source.connect("drag-data-get", lambda _w, _ctx, data, _info, _time: data.set_uris(uris))
window.connect("destroy", Gtk.main_quit)


def announce():
    print("ready", flush=True)
    return False


window.connect("map-event", lambda *_: GLib.timeout_add(200, announce))
window.show_all()
Gtk.main()
