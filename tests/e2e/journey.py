"""The real app, driven through WebDriver (tauri-driver + WebKitWebDriver under Xvfb):
create a vault, lock, wrong password, unlock, import real photos by dragging a folder
onto the window with the X pointer (GTK's native drag-and-drop), see the thumbnails load,
view and step through, load a video, favourite, album, trash and restore, export, lock. Run by scripts/e2e.sh, which starts the display, the session bus
and tauri-driver, and points HOME at a temporary folder.

Usage: journey.py APP_BINARY SAMPLES_DIR WORK_DIR SCREENSHOT_DIR
"""

import contextlib
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.remote.client_config import ClientConfig
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.options import ArgOptions

APP, SAMPLES, WORK, SHOTS = (Path(a) for a in sys.argv[1:5])
PASSWORD = "correct horse battery staple"
CAPTION = "Pastéis de Belém, fresh from the oven"
TAKEOUT_CAPTION = "Sandcastle contest at Carcavelos"
CTRL = Keys.CONTROL

# What the journey imports: every format the pipeline knows, GPS-tagged JPEGs, and one
# file that is not a photo (it must be reported as skipped, not imported).
IMPORT_FROM = [
    *sorted((SAMPLES / "formats").iterdir()),
    SAMPLES / "exif-samples/jpg__gps__DSCN0010.jpg",
    SAMPLES / "exif-samples/jpg__Canon_40D.jpg",
    SAMPLES / "exif-samples/heic__mobile__iphone_13_pro_max.HEIC",
]

# A photo taken three years ago today, give or take a day: the Library's "On this day"
# strip shows it (a copy of a sample with its EXIF date moved by exiftool).
MEMORY_YEARS = 3


def make_memory():
    taken = time.localtime(time.time() - 86400)
    memory = WORK / "memory" / "three-years-ago.jpg"
    memory.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLES / "exif-samples/jpg__Canon_PowerShot_S40.jpg", memory)
    stamp = time.strftime(f"{taken.tm_year - MEMORY_YEARS}:%m:%d 10:00:00", taken)
    subprocess.run(
        ["exiftool", "-q", "-overwrite_original", f"-DateTimeOriginal={stamp}", str(memory)],
        check=True,
    )
    return memory


IMPORT_FROM.append(make_memory())

# A recent trip: three photos taken in Tokyo a month ago, and photos from home (Sydney)
# on three other days of the last year, so that the strip shows one trip (copies of
# distinct samples, so that none is a near-duplicate of another).
HOME, TRIP = (-33.8688, 151.2093), (35.6895, 139.6917)
TRIP_SHOTS = [
    ("home-1.jpg", "jpg__Kodak_CX7530.jpg", 20, "09:00", HOME),
    ("home-2.jpg", "jpg__Konica_Minolta_DiMAGE_Z3.jpg", 45, "09:00", HOME),
    ("home-3.jpg", "jpg__Olympus_C8080WZ.jpg", 70, "09:00", HOME),
    ("tokyo-1.jpg", "jpg__Pentax_K10D.jpg", 31, "10:00", TRIP),
    ("tokyo-2.jpg", "jpg__Panasonic_DMC-FZ30.jpg", 31, "15:00", TRIP),
    ("tokyo-3.jpg", "jpg__Ricoh_Caplio_RR330.jpg", 30, "10:00", TRIP),
]


def make_trip():
    made = []
    for name, sample, days_ago, at, (lat, lon) in TRIP_SHOTS:
        photo = WORK / "trip" / name
        photo.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SAMPLES / "exif-samples" / sample, photo)
        stamp = time.strftime(f"%Y:%m:%d {at}:00", time.localtime(time.time() - days_ago * 86400))
        subprocess.run(
            ["exiftool", "-q", "-overwrite_original", f"-DateTimeOriginal={stamp}",
             f"-GPSLatitude={abs(lat)}", f"-GPSLatitudeRef={'S' if lat < 0 else 'N'}",
             f"-GPSLongitude={abs(lon)}", f"-GPSLongitudeRef={'W' if lon < 0 else 'E'}",
             str(photo)],
            check=True,
        )
        made.append(photo)
    return made


IMPORT_FROM.extend(make_trip())

# What a decrypted copy of the sample videos, or of the videos made below, would show.
VIDEO_MARK = b"keepsake-e2e-video-needle"
VIDEO_NEEDLES = {
    "an MP4 brand": b"ftypmp42",
    "a QuickTime brand": b"ftypqt  ",
    "a video's GPS tag": b"+51.4169-000.0806",
    "a made video's comment": VIDEO_MARK,
}

# Videos in the formats people shoot, made from a test pattern: (file, size, codec options).
VIDEO_FORMATS = [
    ("h264.mp4", "640x360", ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart"]),
    ("hevc.mov", "640x360", ["-c:v", "libx265", "-tag:v", "hvc1", "-pix_fmt", "yuv420p", "-x265-params", "log-level=error", "-c:a", "aac"]),
    ("mpeg4.avi", "640x360", ["-c:v", "mpeg4", "-c:a", "libmp3lame"]),
    ("vp9.mkv", "640x360", ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-c:a", "libopus"]),
    ("phone.3gp", "352x288", ["-c:v", "h263", "-c:a", "aac", "-ar", "8000", "-ac", "1"]),
    # Windows Media: WebKitGTK does not play it (no GStreamer "ugly" set), so it plays from
    # the proxy made at import.
    ("camera.wmv", "640x360", ["-c:v", "wmv2", "-c:a", "wmav2"]),
]
# Seeking in a large video (KEEPSAKE_E2E_BIG_VIDEO_MIB, 1024 by default).
BIG_VIDEO_MIB = int(os.environ.get("KEEPSAKE_E2E_BIG_VIDEO_MIB", "1024"))


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def make_videos():
    """The five formats, 6 s each, and a large lossless-noise H.264 MP4 (a 4 s piece,
    repeated without re-encoding) to seek in."""
    folder = WORK / "videos"
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for name, size, codecs in VIDEO_FORMATS:
        ffmpeg(
            "-f", "lavfi", "-i", f"testsrc=size={size}:rate=25", "-f", "lavfi", "-i", "sine=frequency=440",
            "-t", "6", *codecs, "-metadata", f"comment={VIDEO_MARK.decode()}", str(folder / name),
        )
        made.append(folder / name)
    piece = WORK / "piece.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "nullsrc=s=640x360:r=30,geq=random(1)*255:128:128", "-f", "lavfi", "-i", "sine",
        # A keyframe a second, as phones record: a seek decodes at most a second of frames.
        "-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-g", "30", "-pix_fmt", "yuv420p",
        "-c:a", "aac",
        str(piece),
    )
    loops = max(1, -(-BIG_VIDEO_MIB * (1 << 20) // piece.stat().st_size))
    big = folder / "big.mp4"
    ffmpeg("-stream_loop", str(loops - 1), "-i", str(piece), "-c", "copy", "-movflags", "+faststart",
           "-metadata", f"comment={VIDEO_MARK.decode()}", str(big))
    piece.unlink()
    return made, big


def temporary_folders():
    """Where a webview or GStreamer may buffer media outside HOME."""
    roots = [Path("/tmp"), Path("/var/tmp")]
    if os.environ.get("XDG_RUNTIME_DIR"):
        roots.append(Path(os.environ["XDG_RUNTIME_DIR"]))
    return [r for r in roots if r.is_dir()]


def files_in_temporary_folders():
    """The files in the temporary folders, but for this journey's own WORK folder."""
    found = set()
    for root in temporary_folders():
        for path in root.rglob("*"):
            try:
                if path.is_file() and WORK not in path.parents:
                    found.add(path)
            except OSError:
                continue
    return found


# What was there before the journey (other programs' files) is not looked at.
BEFORE = files_in_temporary_folders()


def open_files_of_the_webview():
    """(path, bytes) of every regular file outside WORK/Vault that the app's and WebKit's
    processes hold open, read through /proc (so unlinked files count too)."""
    held = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "comm").read_text().strip()
        except OSError:
            continue
        if not (command.startswith("WebKit") or command.startswith("keepsake")):
            continue
        try:
            fds = list((proc / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
                if not target.startswith("/") or target.startswith(("/dev/", "/proc/", "/sys/")):
                    continue
                if target.startswith(str(WORK / "Vault")) or not fd.is_file():
                    continue
                with open(fd, "rb") as f:
                    held.append((f"{command}: {target}", f.read(64 << 20)))
            except OSError:
                continue
    return held


def drag_with_the_pointer(folder, while_over=lambda: None):
    """Drops `folder` on the app as a person would: from another window (a file manager's
    stand-in, tests/e2e/drag_source.py) with the X pointer, through GTK's native
    drag-and-drop (WebDriver cannot drop files)."""
    source = subprocess.Popen(
        ["/usr/bin/python3", str(Path(__file__).with_name("drag_source.py")), "1100", "660", str(folder)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert source.stdout.readline().strip() == "ready", "the drag source did not start"

        def pointer(*args):
            subprocess.run(["xdotool", *map(str, args)], check=True)

        pointer("mousemove", 1180, 720)
        pointer("mousedown", 1)
        for x, y in [(1175, 715), (1160, 700), (1100, 650), (900, 550), (700, 450), (640, 400)]:
            time.sleep(0.15)
            pointer("mousemove", x, y)
        time.sleep(0.3)
        while_over()
        pointer("mouseup", 1)
    finally:
        time.sleep(0.5)
        source.terminate()
        source.wait()


def wait_for(what, check, timeout=30.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except WebDriverException as e:  # element not there yet, page changing
            last = e
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} ({last})")


class Journey:
    def __init__(self, application=APP):
        options = ArgOptions()
        options.set_capability("browserName", "wry")
        options.set_capability("tauri:options", {"application": str(application)})
        # A WebDriver command that never answers (seen twice starting a session or after a
        # video, causes unknown) fails after 3 minutes instead of holding the run; a session
        # that did not start is tried again, with whatever app it left behind stopped.
        config = ClientConfig("http://127.0.0.1:4444", timeout=180)
        for attempt in range(3):
            try:
                self.d = webdriver.Remote(options=options, client_config=config)
                break
            except Exception as e:  # a timeout, or the driver refusing while it recovers
                print(f"    no WebDriver session ({e.__class__.__name__}); trying again", flush=True)
                subprocess.run(["pkill", "-x", "keepsake-app"], check=False)
                time.sleep(2)
                if attempt == 2:
                    raise
        self.d.implicitly_wait(0)
        self.d.set_script_timeout(60)  # an async script (an IPC call) that never answers fails
        SHOTS.mkdir(parents=True, exist_ok=True)

    def el(self, css, timeout=30.0):
        return wait_for(css, lambda: self.d.find_element(By.CSS_SELECTOR, css), timeout)

    def els(self, css):
        return self.d.find_elements(By.CSS_SELECTOR, css)

    def text(self, css):
        # textContent: WebKitWebDriver's visible-text algorithm misses some fixed layouts.
        return self.el(css).get_attribute("textContent").strip()

    def type_into(self, css, text):
        field = self.el(css)
        field.clear()
        field.send_keys(text)

    def shot(self, name):
        self.d.save_screenshot(str(SHOTS / f"{name}.png"))

    def count(self):
        return int(self.text("#item-count"))

    def rendered_cells(self):
        """{id: 'loaded' | 'broken' | 'placeholder'} for the cells in the DOM, once every
        thumbnail among them has finished loading (None until then)."""
        return self.d.execute_script(
            """const cells = [...document.querySelectorAll('.cell')];
               const out = {};
               for (const c of cells) {
                 const img = c.querySelector('img.thumb');
                 if (img && !img.complete) return null;
                 out[c.dataset.id] = !img ? 'placeholder'
                   : img.naturalWidth > 0 ? 'loaded' : 'broken';
               }
               return cells.length ? out : null;"""
        )

    def scroll_through_grid(self):
        """Scrolls the virtualised grid top to bottom, collecting every cell's state."""
        seen = {}
        top = 0
        # The height is read again at each step: the memories strip above the grid may
        # arrive while this scrolls, and moves every row down.
        while True:
            self.d.execute_script(
                "document.querySelector('.grid-scroller').scrollTop = arguments[0]", top
            )
            seen.update(wait_for("thumbnails to load", self.rendered_cells))
            height, view = self.d.execute_script(
                "const g = document.querySelector('.grid-scroller');"
                "return [g.scrollHeight, g.clientHeight];"
            )
            if top >= height:
                break
            top += max(1, view // 3)
        self.d.execute_script("document.querySelector('.grid-scroller').scrollTop = 0")
        return seen

    def press(self, key):
        """A key press where the focus is, as a person would press it."""
        webdriver.ActionChains(self.d).send_keys(key).perform()

    def cell(self, index):
        return self.els(".cell")[index]

    def ctrl_click(self, element):
        webdriver.ActionChains(self.d).key_down(CTRL).click(element).key_up(CTRL).perform()

    def invoke(self, cmd, args):
        """A command through the app's own IPC (for what only a native dialog reaches)."""
        return self.d.execute_async_script(
            """const [cmd, args, done] = arguments;
               window.__TAURI_INTERNALS__.invoke(cmd, args)
                 .then(r => done({ok: r}), e => done({err: e}));""",
            cmd,
            args,
        )

    # --- the journey ---------------------------------------------------------------

    def create_vault(self):
        self.el("#create-vault")
        self.type_into("#vault-folder", str(WORK / "Vault"))
        self.type_into("#new-password", PASSWORD)
        wait_for("the strength meter", lambda: self.text("#password-strength"))
        self.type_into("#confirm-password", PASSWORD)
        self.shot("01-first-run")
        self.el("#create-vault").click()
        words = wait_for(
            "the recovery key",
            lambda: [w.text.split()[-1] for w in self.els("#recovery-words li")],
        )
        assert len(words) == 24, words
        self.shot("02-recovery-key")
        done = self.el("#recovery-done")
        assert not done.is_enabled(), "confirming needs the words typed back"
        for check in self.els(".recovery-check"):
            check.send_keys(words[int(check.get_attribute("data-word"))])
        wait_for("confirmation", done.is_enabled)
        done.click()
        self.el(".empty")  # the empty library invites a drop
        assert self.count() == 0

    def lock_and_unlock(self):
        self.el("#lock-button").click()
        self.type_into("#unlock-password", "not the password")
        self.el("#unlock-button").click()
        message = self.text("#unlock-error")
        assert "doesn't open this vault" in message, message
        self.shot("03-unlock-wrong-password")
        self.type_into("#unlock-password", PASSWORD)
        self.el("#unlock-button").click()
        self.el("#item-count")

    def os_unlock(self):
        self.el("#lock-button").click()
        self.el("#unlock-password")
        assert not self.els("#os-unlock-button"), "no OS button before it is enabled"
        self.type_into("#unlock-password", PASSWORD)
        self.el("#unlock-button").click()
        self.el("#nav-settings").click()
        self.type_into("#os-unlock-password", PASSWORD)
        self.el("#enable-os-unlock").click()
        wait_for("the device to be remembered", lambda: self.els("#disable-os-unlock"))
        assert "(this device)" in self.text("table[aria-label=Devices]")
        self.el("#lock-button").click()
        self.el("#os-unlock-button").click()
        self.el("#nav-library")
        self.el("#nav-settings").click()
        last_used = self.text("table[aria-label=Devices] tbody td:nth-child(3)")
        assert last_used != "never", last_used
        self.el("#lock-button").click()
        self.el("#os-unlock-button")
        self.shot("03-unlock-os-keyring")
        self.type_into("#unlock-password", PASSWORD)
        self.el("#unlock-button").click()
        self.el("#nav-library").click()

    def sleep_locks(self):
        def prepare_for_sleep(going):
            # logind's signal, on the bus scripts/e2e.sh gives the app as its system bus.
            subprocess.run(
                ["dbus-send", "--session", "--type=signal", "/org/freedesktop/login1",
                 "org.freedesktop.login1.Manager.PrepareForSleep", f"boolean:{going}"],
                check=True,
            )

        prepare_for_sleep("false")  # waking up is no reason to lock
        time.sleep(1)
        assert self.els("#item-count") and not self.els("#unlock-password")
        prepare_for_sleep("true")
        self.el("#unlock-password", timeout=10)
        self.type_into("#unlock-password", PASSWORD)
        self.el("#unlock-button").click()
        self.el("#item-count")

    def import_by_drop(self):
        phone = WORK / "Phone"
        phone.mkdir()
        for f in IMPORT_FROM:
            shutil.copy(f, phone / f.name)
        (phone / "notes.txt").write_text("not a photo")
        def overlay():
            self.el(".drop-overlay", timeout=5)
            self.shot("04-drop-overlay")

        drag_with_the_pointer(phone, while_over=overlay)
        self.el("#import-summary", timeout=120)
        assert not self.els(".drop-overlay"), "the overlay stays after the drop"
        imported = int(self.text("#import-imported"))
        skipped = int(self.text("#import-skipped"))
        assert imported == len(IMPORT_FROM), (imported, len(IMPORT_FROM))
        assert skipped == 1, skipped
        self.el("#import-summary button.link").click()  # show skipped files
        assert "notes.txt" in self.text("#import-summary .skipped")
        self.el("#import-summary-dismiss").click()
        wait_for("the grid to show everything", lambda: self.count() == imported)
        cells = self.scroll_through_grid()
        states = list(cells.values())
        assert len(cells) == imported, f"{len(cells)} cells for {imported} items"
        assert "broken" not in states, f"thumbnails that failed to load: {cells}"
        # Items the pipeline cannot render show a placeholder with the reason instead;
        # every format in the import has a decoder.
        assert states.count("loaded") == imported, cells
        self.shot("04-library")
        # Videos carry a badge with their length (in their own view: the library's first
        # screen may hold none).
        self.el("#nav-videos").click()
        wait_for("a video's badge", lambda: "▶ 0:" in self.text(".badge.video"))
        self.el("#nav-library").click()
        wait_for("the library", lambda: self.count() == imported)

    def memories(self):
        memory = self.el(".memories .memory")
        assert self.text(".memories .memory span") == f"{MEMORY_YEARS} years ago"
        assert len(self.els(".memories .memory")) == 1
        self.shot("04b-on-this-day")
        memory.click()
        wait_for("the memory in the viewer", lambda: self.text(".viewer-title") == "three-years-ago.jpg")
        self.press(Keys.ESCAPE)
        wait_for("the viewer to close", lambda: not self.els(".viewer-title"))
        # The trip to Tokyo, and not home, opens as a slideshow of its three photos.
        assert len(self.els(".memories .trip")) == 1
        assert self.text(".memories .trip-title") == "Tokyo, Japan"
        self.el(".memories .trip").click()
        wait_for("the trip's first slide", lambda: self.text("#slide-position") == "1 / 3")
        # Its close button (the slideshow step presses Esc, which a full-screen change
        # under way can take).
        self.el('.slideshow [aria-label="End the slideshow"]').click()
        wait_for("the slideshow to end", lambda: not self.els(".slideshow"))

    def search(self):
        everything = self.count()
        box = self.el("#search")
        box.click()
        box.send_keys("tusc")
        option = self.el("#search-suggestions [data-search='Tuscany']")
        assert "Tuscany, Italy" in option.get_attribute("textContent"), option.text
        self.shot("04c-search-suggestions")
        option.click()
        wait_for("the place search", lambda: box.get_attribute("value") == "Tuscany")
        wait_for("its one photo", lambda: self.count() == 1)
        # The keyboard takes the first suggestion, the city.
        self.type_into("#search", "arez")
        self.el("#search-suggestions")
        self.press(Keys.ARROW_DOWN)
        self.press(Keys.ENTER)
        wait_for("the city search", lambda: box.get_attribute("value") == "Arezzo")
        # Words from the camera and the year, without accents or case.
        self.type_into("#search", "NIKON 2008")
        wait_for("the camera and year search", lambda: self.count() == 1)
        self.type_into("#search", "ítaly")
        wait_for("the country search", lambda: self.count() == 1)
        self.shot("04c-search")
        # A filter typed half-way says what it lacks, and the grid stays as it was.
        self.type_into("#search", "year:")
        problem = wait_for("the problem", lambda: self.text(".search-problem"))
        assert "takes a year" in problem, problem
        assert self.count() == 1
        box.send_keys("1999")
        wait_for("an empty year", lambda: self.count() == 0 and not self.els(".search-problem"))
        self.press(Keys.ESCAPE)
        self.press(Keys.ESCAPE)
        wait_for("the whole library again", lambda: self.count() == everything)
        assert box.get_attribute("value") == ""

    def slideshow(self):
        self.ctrl_click(self.cell(0))
        self.ctrl_click(self.cell(1))
        self.el("#slideshow-selected").click()
        self.el(".slideshow")
        wait_for("the first slide", lambda: self.text("#slide-position") == "1 / 2")
        wait_for("its image", lambda: self.d.execute_script(
            "const i = document.querySelector('.slide'); return i.complete && i.naturalWidth > 0"))
        self.shot("04d-slideshow")
        self.press(Keys.ARROW_RIGHT)
        wait_for("the next slide", lambda: self.text("#slide-position") == "2 / 2")
        wait_for("the slides to go on by themselves",
                 lambda: self.text("#slide-position") == "1 / 2", timeout=8)
        self.press(" ")
        assert "Play" in self.text("#slide-pause"), "Space pauses"
        time.sleep(5)
        assert self.text("#slide-position") == "1 / 2", "paused slides stay"
        self.press(Keys.ESCAPE)
        wait_for("the slideshow to end", lambda: not self.els(".slideshow"))
        self.el(".selection-bar button.link").click()

    def map(self):
        """The map draws the world from data bundled with the app (no resource comes from
        anywhere else) with every photo that has a GPS position on it, and its grid lists
        what the map shows: zoomed in on Tuscany, the photo taken there; panned away,
        nothing; all photos again, all of them."""
        found = self.invoke("timeline", {"filter": {"text": "Arezzo"}})["ok"]
        assert len(found) == 1, found
        tuscany = found[0]["id"]
        self.el("#nav-map").click()
        wait_for("the countries", lambda: len(self.els(".map path.land")) > 150)
        def on_the_map():
            return sum(int(m.get_attribute("data-count")) for m in self.els(".map-marker"))
        wait_for("every located photo on the map and in the grid",
                 lambda: self.count() > 1 and on_the_map() == self.count())
        located = self.count()
        wait_for("the markers' thumbnails", lambda: self.d.execute_script(
            "return [...document.querySelectorAll('.map-marker img')]"
            ".every(i => i.complete && i.naturalWidth > 0)"))
        self.shot("04e-map")
        for _ in range(8):
            if self.count() == 1:
                break
            marker = [m for m in self.els(".map-marker")
                      if tuscany in m.find_element(By.CSS_SELECTOR, "img").get_attribute("src")]
            (marker[0] if marker else self.el(".map-tools button")).click()
            time.sleep(0.5)
        wait_for("Tuscany alone", lambda: self.count() == 1)
        assert self.cell(0).get_attribute("data-id") == tuscany
        webdriver.ActionChains(self.d).move_to_element_with_offset(
            self.el(".map"), -450, -60).click_and_hold().move_by_offset(700, 120).release().perform()
        wait_for("an empty area", lambda: self.count() == 0)
        self.el("#map-fit").click()
        wait_for("every located photo again", lambda: self.count() == located)
        loaded = self.d.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)")
        own = ("vault:", "tauri:", "ipc:", "asset:", "http://127.0.0.1", "http://localhost", "data:")
        outside = [url for url in loaded if not url.startswith(own)]
        assert not outside, f"the app loaded from elsewhere: {outside}"
        self.el("#nav-library").click()
        self.el("#item-count")

    def online_map(self):
        """The detailed map is off until the user turns it on in Settings, beside a warning
        that the tile server learns where the photos were taken; on, the map draws tiles the
        app fetched from that server (one on this machine: the real ones are out of reach);
        off again, nothing more is asked of it."""
        asked = []
        tile = subprocess.run(
            ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=0x7fb3d5:s=256x256",
             "-frames:v", "1", "-f", "image2pipe", "-c:v", "png", "-"],
            capture_output=True, check=True).stdout

        class Tiles(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                asked.append((self.path, self.headers.get("User-Agent", "")))
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(tile)))
                self.end_headers()
                self.wfile.write(tile)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            self.el("#nav-settings").click()
            toggle = self.el("#online-map")
            assert not toggle.is_selected(), "the online map starts off"
            assert "learns where your photos were taken" in self.text("#online-map-warning")
            url = f"http://127.0.0.1:{server.server_port}/{{z}}/{{x}}/{{y}}.png"
            self.type_into("#map-tile-url", url)
            toggle.click()
            wait_for("the setting saved", lambda: self.d.execute_script(
                "return document.querySelector('#map-tile-url').value") == url
                and self.el("#online-map").is_selected() and "Saved" in self.text("#settings-message"))
            self.el("#nav-map").click()
            wait_for("tiles on the map", lambda: self.els(".map image.tile") and asked)
            assert all(agent.startswith("Keepsake/") for _, agent in asked), asked
            assert self.text(".map-attribution") == f"Tiles: 127.0.0.1:{server.server_port}"
            time.sleep(1)
            self.shot("04f-map-online")
            # The server gone: the map says so instead of showing holes.
            server.shutdown()
            server.server_close()
            self.el(".map-tools button").click()
            assert "could not load" in self.text("#tile-problem")
            self.el("#nav-settings").click()
            # The screen shows the saved setting once it has read it: click after that.
            wait_for("the setting read", lambda: self.el("#online-map").is_selected())
            self.el("#online-map").click()
            wait_for("the online map off", lambda: not self.el("#online-map").is_selected())
            time.sleep(0.5)
            before = len(asked)
            self.el("#nav-map").click()
            wait_for("the countries", lambda: len(self.els(".map path.land")) > 150)
            self.el(".map-tools button").click()  # zoom in: new tiles, were it still on
            time.sleep(1.5)
            assert not self.els(".map image.tile") and len(asked) == before, asked[before:]
        finally:
            server.shutdown()
        self.el("#nav-library").click()
        self.el("#item-count")

    def screens_at_sizes(self):
        """Every main screen and the viewer at a small laptop's window (1024x640) and a
        large screen's (1920x1080): nothing may push the page wider than the window.
        Screenshots 11-* are for review by eye."""
        original = self.d.get_window_size()
        try:
            for width, height in ((1024, 640), (1920, 1080)):
                self.d.set_window_size(width, height)
                wait_for(f"a {width}-pixel window",
                         lambda: abs(self.d.execute_script("return innerWidth") - width) < 40)
                for screen in ("library", "map", "duplicates", "sync", "settings"):
                    self.el(f"#nav-{screen}").click()
                    time.sleep(0.6)
                    wide = self.d.execute_script(
                        "return [document.scrollingElement.scrollWidth, innerWidth]")
                    assert wide[0] <= wide[1], f"{screen} at {width}x{height} is {wide[0]} wide"
                    self.shot(f"11-{screen}-{width}x{height}")
                self.el("#nav-library").click()
                # The memories strip arrives after the grid and moves it down: a double
                # click before then lands its two clicks on different things.
                self.el(".memories .trip")
                time.sleep(0.3)
                webdriver.ActionChains(self.d).double_click(self.cell(0)).perform()
                self.el(".viewer-title")
                time.sleep(0.6)
                self.shot(f"11-viewer-{width}x{height}")
                self.press(Keys.ESCAPE)
                wait_for("the viewer to close", lambda: not self.els(".viewer"))
        finally:
            self.d.set_window_size(original["width"], original["height"])

    def view_and_step(self):
        first = self.cell(0)
        webdriver.ActionChains(self.d).double_click(first).perform()
        title = self.text(".viewer-title")
        wait_for(
            "the viewer image",
            lambda: self.d.execute_script(
                "const i = document.querySelector('#viewer-image, video.media');"
                "return i && (i.tagName === 'VIDEO' || (i.complete && i.naturalWidth > 0));"
            ),
        )
        self.press(Keys.ARROW_RIGHT)
        wait_for("the next item", lambda: self.text(".viewer-title") != title)
        # Step to the GPS-tagged photo and read its details.
        for _ in range(len(IMPORT_FROM)):
            if self.text(".viewer-title") == "jpg__gps__DSCN0010.jpg":
                break
            self.press(Keys.ARROW_RIGHT)
            time.sleep(0.2)
        assert self.text(".viewer-title") == "jpg__gps__DSCN0010.jpg"
        gps = self.text("#info-gps")
        assert "°N" in gps and "°E" in gps, gps
        # Named offline from the coordinates (GeoNames), near Arezzo in Tuscany.
        place = self.text("#info-place")
        assert place.endswith("Tuscany, Italy"), place
        assert "NIKON" in self.text("#info-camera").upper()
        wait_for(
            "the photo",
            lambda: self.d.execute_script(
                "const i = document.querySelector('#viewer-image');"
                "return i && i.complete && i.naturalWidth > 0;"
            ),
        )
        self.shot("05-viewer")
        favourite = self.el("#viewer-favourite")
        favourite.click()
        wait_for("favourite", lambda: favourite.get_attribute("aria-pressed") == "true")
        self.press(Keys.ESCAPE)
        wait_for("the viewer to close", lambda: not self.els(".viewer"))
        self.el("#nav-favourites").click()
        wait_for("one favourite", lambda: self.count() == 1)
        self.el("#nav-library").click()
        wait_for("the library", lambda: self.count() == len(IMPORT_FROM))

    def image_size(self):
        """The viewer's picture as loaded: (width, height), or None while it loads."""
        return self.d.execute_script(
            "const i = document.querySelector('#viewer-image');"
            "return i && i.complete && i.naturalWidth > 0 ? [i.naturalWidth, i.naturalHeight] : null;"
        )

    def fix_in_viewer(self):
        """The viewer turns a photo, and its info panel sets the date, the place and a
        caption; undo brings back what the file says. The caption is then set again, so
        that the final scan looks for it on disk."""
        self.open_in_viewer("jpg__Canon_40D.jpg")
        width, height = wait_for("the photo", self.image_size)
        self.el("#viewer-rotate-right").click()
        wait_for("the photo turned", lambda: self.image_size() == [height, width])
        self.el("#info-edit").click()
        self.d.execute_script(
            "const d = document.querySelector('#edit-date');"
            "d.value = '2019-07-14T18:02:11'; d.dispatchEvent(new Event('input', {bubbles: true}));"
        )
        self.type_into("#edit-place", "38.7223, -9.1393")
        self.type_into("#edit-caption", CAPTION)
        self.el("#edit-save").click()
        wait_for("the place named", lambda: "Lisbon" in self.text("#info-place"))
        assert self.text("#info-caption") == CAPTION
        assert "2019" in self.text("#info-date"), self.text("#info-date")
        # Keys typed into the form are text, not shortcuts: the "f" of the caption did
        # not favourite the photo.
        assert self.el("#viewer-favourite").get_attribute("aria-pressed") == "false"
        # Placed in Lisbon, its camera time gains Lisbon's summer offset.
        self.el("#info-edit").click()
        self.el("#edit-zone").click()
        photo = self.d.execute_script(
            "return document.querySelector('#viewer-image').src.split('?')[0].split('/').pop()"
        )
        taken = lambda: self.invoke("item_details", {"id": photo}).get("ok", {}).get("taken_at")
        wait_for("Lisbon's offset", lambda: taken() == "2019-07-14T18:02:11+01:00")
        self.shot("05b-viewer-fixed")
        self.el("#info-undo").click()
        wait_for("the file's own orientation", lambda: self.image_size() == [width, height])
        wait_for("no caption", lambda: not self.els("#info-caption"))
        assert not self.els("#info-place") and "2008" in self.text("#info-date")
        self.el("#info-edit").click()
        self.type_into("#edit-caption", CAPTION)
        self.el("#edit-save").click()
        wait_for("the caption", lambda: self.els("#info-caption"))
        self.close_viewer()

    def album(self):
        self.cell(0).click()
        self.ctrl_click(self.cell(1))
        wait_for("two selected", lambda: "2 selected" in self.text(".selection-bar"))
        self.el("#new-album").click()
        self.type_into("#album-name", "Summer")
        self.el("#album-name").send_keys(Keys.ENTER)
        album = self.el('[data-album="Summer"]')
        album.click()
        wait_for("the album's two photos", lambda: self.count() == 2)
        self.shot("06-album")
        self.el("#nav-library").click()
        wait_for("the library", lambda: self.count() == len(IMPORT_FROM))

    def trash_and_restore(self):
        total = self.count()
        self.cell(0).click()
        self.el("#trash-selected").click()
        wait_for("one fewer", lambda: self.count() == total - 1)
        self.el("#nav-trash").click()
        wait_for("one in the trash", lambda: self.count() == 1)
        self.cell(0).click()
        self.el("#restore-selected").click()
        wait_for("an empty trash", lambda: self.els(".empty"))
        self.el("#nav-library").click()
        wait_for("all back", lambda: self.count() == total)

    def duplicates(self):
        """A half-size, recompressed copy of a photo shows beside it, the original as the
        best copy; keeping it moves the copy to the trash."""
        before = self.count()
        copies = WORK / "copies"
        copies.mkdir()
        small = copies / "DSCN0010-small.jpg"
        ffmpeg("-i", str(SAMPLES / "exif-samples/jpg__gps__DSCN0010.jpg"),
               "-vf", "scale=iw/2:-2", "-q:v", "8", str(small))
        result = self.invoke("import_paths", {"paths": [str(copies)]})
        assert "ok" in result, result
        self.el("#import-summary", timeout=60)
        self.el("#import-summary-dismiss").click()
        wait_for("the copy in the library", lambda: self.count() == before + 1)
        self.el("#nav-duplicates").click()
        self.el(".dupe-group")
        assert len(self.els(".dupe-group")) == 1, "one photo has a copy"
        names = [n.get_attribute("textContent") for n in self.els(".dupe-group .dupe-name")]
        assert names == ["jpg__gps__DSCN0010.jpg", small.name], names
        assert "Best copy" in self.text(".dupe-copy.best figcaption")
        self.shot("06b-duplicates")
        self.el(".keep-best").click()
        self.el("#no-duplicates")
        self.el("#nav-trash").click()
        wait_for("the copy in the trash", lambda: self.count() == 1)
        emptied = self.invoke("empty_trash", {})
        assert emptied.get("ok") == 1, emptied
        self.el("#nav-library").click()
        wait_for("the library as before", lambda: self.count() == before)

    def takeout_zip_by_drop(self):
        """A Google Takeout zip dropped on the window: its photo (stripped of its metadata,
        as Google does) takes the date, place, description and favourite of its JSON
        sidecar, and its album folder becomes an album by the title in metadata.json."""
        before = self.count()
        folder = "Takeout/Google Photos/Beach_ day"
        staging = WORK / "takeout-staging"
        (staging / folder).mkdir(parents=True)
        photo = staging / folder / "beach.jpg"
        shutil.copy(SAMPLES / "exif-samples/jpg__Samsung_Digimax_i50_MP3.jpg", photo)
        subprocess.run(["exiftool", "-q", "-overwrite_original", "-all=", str(photo)], check=True)
        (staging / folder / "beach.jpg.supplemental-metadata.json").write_text(json.dumps({
            "title": "beach.jpg", "description": TAKEOUT_CAPTION, "favorited": True,
            "photoTakenTime": {"timestamp": "1436961600", "formatted": "15 Jul 2015"},
            "geoData": {"latitude": 38.6916, "longitude": -9.2160, "altitude": 0.0},
        }))
        (staging / folder / "metadata.json").write_text(json.dumps({
            "title": "Beach day: 2015", "access": "protected",
            "date": {"timestamp": "1436961600", "formatted": "15 Jul 2015"},
        }))
        archive = WORK / "takeout" / "takeout-20261130T000000Z-001.zip"
        archive.parent.mkdir()
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
            for path in sorted(staging.rglob("*")):
                if path.is_file():
                    z.write(path, path.relative_to(staging).as_posix())
        shutil.rmtree(staging)
        drag_with_the_pointer(archive)
        self.el("#import-summary", timeout=60)
        assert self.text("#import-imported") == "1", self.text("#import-summary")
        assert self.text("#import-skipped") == "0", self.text("#import-summary")
        assert "2 Google Takeout" in self.text("#import-sidecars"), self.text("#import-sidecars")
        self.shot("06c-takeout-import")
        self.el("#import-summary-dismiss").click()
        wait_for("the photo in the library", lambda: self.count() == before + 1)
        self.el('[data-album="Beach day: 2015"]').click()
        wait_for("the album's photo", lambda: self.count() == 1)
        webdriver.ActionChains(self.d).double_click(self.cell(0)).perform()
        wait_for("the description", lambda: self.text("#info-caption") == TAKEOUT_CAPTION)
        assert "2015" in self.text("#info-date"), self.text("#info-date")
        assert "Lisbon" in self.text("#info-place") or "Oeiras" in self.text("#info-place"), self.text("#info-place")
        assert self.el("#viewer-favourite").get_attribute("aria-pressed") == "true"
        self.close_viewer()
        self.el("#nav-library").click()
        wait_for("the library", lambda: self.count() == before + 1)

    def live_photo_stack(self):
        """A Live Photo (a HEIC and its 3 s MOV of the same name) shows as one tile with a
        LIVE badge; in the viewer, Motion plays its video and Photo shows the still again."""
        before = self.count()
        phone = WORK / "live"
        phone.mkdir()
        shutil.copy(SAMPLES / "exif-samples/heic__IMG_5195.HEIC", phone / "IMG_5195.HEIC")
        ffmpeg("-f", "lavfi", "-i", "testsrc=duration=3:size=320x240:rate=15",
               "-c:v", "libx264", "-pix_fmt", "yuv420p", str(phone / "IMG_5195.MOV"))
        result = self.invoke("import_paths", {"paths": [str(phone)]})
        assert "ok" in result, result
        self.el("#import-summary", timeout=60)
        assert self.text("#import-imported") == "2", self.text("#import-summary")
        self.el("#import-summary-dismiss").click()
        wait_for("one tile for the two files", lambda: self.count() == before + 1)
        # Found by its name: the search shows the stack as its photo, with its badge.
        self.type_into("#search", "IMG_5195")
        wait_for("the one tile", lambda: self.count() == 1)
        assert self.text(".cell .badge.stack") == "LIVE", self.text(".cell")
        webdriver.ActionChains(self.d).double_click(self.cell(0)).perform()
        assert self.text(".viewer-title") == "IMG_5195.HEIC", self.text(".viewer-title")
        files = wait_for("the stack's files", lambda: self.els(".stack-switch .stack-file"))
        assert [f.get_attribute("textContent").strip() for f in files] == ["Photo", "Motion"]
        files[1].click()
        wait_for("the motion playing", lambda: (self.video_state() or {}).get("time", 0) > 0.3)
        self.shot("06d-live-photo")
        files[0].click()
        wait_for("the still again", lambda: not self.els("video.media") and self.els("#viewer-image"))
        self.close_viewer()
        self.el("#search").click()
        self.press(Keys.ESCAPE)
        self.press(Keys.ESCAPE)
        wait_for("the whole library again", lambda: self.count() == before + 1)

    def motion_photo(self):
        """A Motion Photo (a JPEG with its MP4 after it) shows as one tile with a MOTION
        badge; in the viewer, Motion plays the video from inside the file, and pressed
        again shows the still."""
        before = self.count()
        phone = WORK / "pixel"
        phone.mkdir()
        clip = WORK / "motion.mp4"
        ffmpeg("-f", "lavfi", "-i", "testsrc=duration=2:size=320x240:rate=15",
               "-c:v", "libx264", "-pix_fmt", "yuv420p", str(clip))
        photo = phone / "MVIMG_20190714_181500.jpg"
        shutil.copy(SAMPLES / "exif-samples/jpg__gps__DSCN0042.jpg", photo)
        video = clip.read_bytes()
        subprocess.run(
            ["exiftool", "-q", "-overwrite_original", "-XMP-GCamera:MicroVideo=1",
             f"-XMP-GCamera:MicroVideoOffset={len(video)}", str(photo)],
            check=True,
        )
        with photo.open("ab") as out:
            out.write(video)
        result = self.invoke("import_paths", {"paths": [str(phone)]})
        assert "ok" in result, result
        self.el("#import-summary", timeout=60)
        self.el("#import-summary-dismiss").click()
        wait_for("its tile", lambda: self.count() == before + 1)
        self.type_into("#search", "MVIMG")
        wait_for("the one tile", lambda: self.count() == 1)
        assert self.text(".cell .badge.stack") == "MOTION", self.text(".cell")
        webdriver.ActionChains(self.d).double_click(self.cell(0)).perform()
        self.el("#viewer-motion").click()
        wait_for("the motion playing", lambda: (self.video_state() or {}).get("time", 0) > 0.3)
        self.el("#viewer-motion").click()
        wait_for("the still again", lambda: not self.els("video.media") and self.els("#viewer-image"))
        self.close_viewer()
        self.el("#search").click()
        self.press(Keys.ESCAPE)
        self.press(Keys.ESCAPE)
        wait_for("the whole library again", lambda: self.count() == before + 1)

    def video_state(self):
        return self.d.execute_script(
            "const v = document.querySelector('video.media');"
            "if (!v) return null;"
            "return {time: v.currentTime, duration: v.duration, ready: v.readyState,"
            " seeking: v.seeking, error: v.error && v.error.code};"
        )

    def open_in_viewer(self, name):
        """Opens the viewer and steps (Page Down) to the item called `name`."""
        webdriver.ActionChains(self.d).double_click(self.cell(0)).perform()
        for _ in range(self.count() + 1):
            if self.text(".viewer-title") == name:
                return
            self.press(Keys.PAGE_DOWN)
            time.sleep(0.15)
        raise AssertionError(f"{name} is not in the library")

    def open_item_id(self):
        """The id of the item in the viewer (from its playable stream's URL)."""
        return self.d.execute_script("return document.querySelector('video.media').src.split('/').pop()")

    def close_viewer(self):
        self.press(Keys.ESCAPE)
        wait_for("the viewer to close", lambda: not self.els(".viewer"))

    def no_video_held(self, what):
        """Every file the webview's processes hold open (unlinked ones too, as GStreamer's
        download buffer in /var/tmp would be): none is a media buffer or holds the video."""
        held = open_files_of_the_webview()
        buffers = [f for f, data in held if "WebKit-Media" in f or any(n in data for n in VIDEO_NEEDLES.values())]
        assert not buffers, f"decrypted video in files the webview holds while {what} plays: {buffers}"
        return len(held)

    def play_videos(self):
        """Imports the five formats and a large video, and plays each in the viewer through
        the app's own stream: each is ready (HAVE_ENOUGH_DATA) and plays past 1 s, with no
        decrypted copy in any file the webview holds; the large one starts within 1 s of
        a seek to its middle. Then they go to the trash and out, for the steps after."""
        videos, big = make_videos()
        before = self.count()
        self.invoke("import_paths", {"paths": [str(v) for v in [*videos, big]]})
        wait_for("the videos imported", lambda: self.count() == before + len(videos) + 1, timeout=180)
        for video in videos:
            self.open_in_viewer(video.name)
            try:
                wait_for(
                    f"{video.name} to play past 1 s",
                    lambda: (lambda st: st and st["ready"] == 4 and st["time"] > 1.0 and not st["error"])(
                        self.video_state()
                    ),
                )
            except AssertionError as e:
                problem = self.els(".video-problem")
                raise AssertionError(f"{e}: {self.video_state()} {problem and problem[0].text}") from None
            held = self.no_video_held(video.name)
            if video.suffix == ".mp4":
                self.shot("05b-video")
            playable = self.invoke("item_details", {"id": self.open_item_id()})["ok"]["playable"]
            expected = "proxy" if video.suffix == ".wmv" else "original"
            assert playable == expected, f"{video.name} played from its {playable}, expected {expected}"
            self.close_viewer()
            print(f"    {video.name} played (its {playable}); {held} files held open by the webview, no video in them", flush=True)
        self.open_in_viewer(big.name)
        wait_for("the large video's length", lambda: (lambda st: st and (st["duration"] or 0) > 10)(self.video_state()))
        middle = self.video_state()["duration"] / 2
        # Timed in the page, from the seek to the first frame time past it.
        self.d.set_script_timeout(30)
        seek = self.d.execute_async_script(
            """const [middle, done] = arguments;
               const v = document.querySelector('video.media');
               const started = performance.now();
               const check = () => {
                 if (!v.seeking && v.currentTime > middle + 0.05) {
                   v.removeEventListener('timeupdate', check);
                   done((performance.now() - started) / 1000);
                 }
               };
               v.addEventListener('timeupdate', check);
               v.currentTime = middle;""",
            middle,
        )
        self.no_video_held(big.name)
        self.close_viewer()
        size = big.stat().st_size / (1 << 20)
        print(f"    seek to the middle of a {size:.0f} MiB video: playing after {seek:.2f} s", flush=True)
        assert seek < 1.0, f"playback resumed {seek:.2f} s after a seek to the middle (target < 1 s)"
        ids = self.invoke("timeline", {"filter": {"kind": "video"}})["ok"]
        made = {v.name for v in [*videos, big]}
        trashed = self.invoke("move_to_trash", {"ids": [i["id"] for i in ids if i["name"] in made]})
        emptied = self.invoke("empty_trash", {})
        assert emptied.get("ok") == len(made), (trashed, emptied)
        # Commands called from here do not refresh the grid: the Trash and back does.
        self.el("#nav-trash").click()
        wait_for("an empty trash", lambda: self.els(".empty"))
        self.el("#nav-library").click()
        wait_for("the library as before", lambda: self.count() == before)

    def export(self):
        # The export button opens a native folder dialog WebDriver cannot reach, so the
        # journey calls the command that dialog's answer goes to.
        target = WORK / "Exported"
        ids = [self.cell(i).get_attribute("data-id") for i in range(2)]
        result = self.invoke("export_items", {"ids": ids, "folder": str(target)})
        assert "ok" in result and result["ok"]["exported"] == 2, result
        originals = {hashlib.sha256(f.read_bytes()).hexdigest() for f in IMPORT_FROM}
        written = sorted(target.iterdir())
        # Counted on disk, not taken from the app's own report.
        assert len(written) == 2, f"{len(written)} files in the export folder: {written}"
        for exported in written:
            digest = hashlib.sha256(exported.read_bytes()).hexdigest()
            assert digest in originals, f"{exported.name} differs from its original"
        # Everything, as Settings' "Export everything" does: the album "Summer" (two
        # photos) as a folder, every file with an XMP sidecar.
        everything = WORK / "Everything"
        result = self.invoke("export_library",
                             {"folder": str(everything), "albums": True, "sidecars": "xmp"})
        assert "ok" in result and not result["ok"]["failed"], result
        summer = sorted(p.name for p in (everything / "Summer").iterdir())
        assert len(summer) == 4 and sum(n.endswith(".xmp") for n in summer) == 2, summer
        files = [p for p in everything.rglob("*") if p.is_file() and p.suffix != ".xmp"]
        assert len(files) == result["ok"]["exported"], files
        imported = {f.name for f in IMPORT_FROM}
        for exported in files:
            assert exported.with_name(exported.name + ".xmp").exists(), exported
            if exported.name in imported:  # (the videos made for playing are not)
                digest = hashlib.sha256(exported.read_bytes()).hexdigest()
                assert digest in originals, f"{exported.name} differs from its original"

    def sync_to_a_folder_remote(self):
        self.el("#nav-sync").click()
        self.type_into("#remote-name", "nas")
        self.type_into("#remote-url", (WORK / "NAS").as_uri())
        self.el("#add-remote").click()
        wait_for("the remote", lambda: "nas" in self.text("table.remotes tbody"))
        self.el("#sync-now").click()
        wait_for("sync to finish", lambda: self.text("#sync-state") == "Up to date", timeout=60)
        wait_for("nothing pending", lambda: self.text(".remote-pending") == "0")
        stored = list((WORK / "NAS").rglob("*"))
        assert any(p.name == "keepsake-vault.json" for p in stored), stored
        self.shot("08-sync")
        self.el("#nav-settings").click()
        self.el("#settings-title")
        # Storage at a glance: the library by year, and what the remote now holds.
        wait_for("storage by year", lambda: "2008" in self.text("#storage-years tbody"))
        remotes = self.text("#storage-remotes tbody")
        assert remotes.startswith("nas") and not remotes.startswith("nas0"), remotes
        self.shot("09-settings")
        self.el("#nav-library").click()
        self.el("#item-count")

    def lock_drops_everything(self):
        some_id = self.cell(0).get_attribute("data-id")
        media_server = self.invoke("media_server", {})["ok"]
        self.el("#lock-button").click()
        self.el("#unlock-password")
        assert not self.els("img.thumb"), "no image stays on screen once locked"
        status = self.d.execute_async_script(
            """const done = arguments[1];
               const img = new Image();
               img.onload = () => done('loaded');
               img.onerror = () => done('refused');
               img.src = 'vault://localhost/thumb/' + arguments[0];""",
            some_id,
        )
        assert status == "refused", "the protocol serves nothing while locked"
        try:
            urllib.request.urlopen(f"{media_server}/playable/{some_id}", timeout=10)
            raise AssertionError("the video stream served something while locked")
        except urllib.error.HTTPError as e:
            assert e.code == 403, e
        self.shot("07-locked")

    def rebuild_a_lost_catalog(self):
        """The catalog is lost while locked: the right password is met with an offer to
        rebuild it from the photos, and every stored photo is back in the grid."""
        vault = WORK / "Vault"
        for name in ("catalog.db", "catalog.db-wal", "catalog.db-shm"):
            (vault / name).unlink(missing_ok=True)
        stored = sum(1 for p in (vault / "objects").rglob("*") if p.is_file())
        self.type_into("#unlock-password", PASSWORD)
        self.el("#unlock-button").click()
        self.el("#rebuild-offer")
        self.shot("10-rebuild-offer")
        self.el("#rebuild-button").click()
        self.el("#item-count")
        wait_for("every photo listed again", lambda: self.count() == stored)
        self.el("#lock-button").click()
        self.el("#unlock-password")

    def nothing_readable(self):
        """After the whole journey (import, thumbnails, viewer, a video played, albums,
        export, sync, lock): nothing of a photo, and no secret, is readable in the vault, the
        remote, anything the app and its webview wrote under HOME (config, caches, webview
        data, keyring files), or what appeared in /tmp, /var/tmp and XDG_RUNTIME_DIR while
        the journey ran. Text is looked for in UTF-8 and UTF-16 (WebKit's localStorage)."""
        text = {
            "a file name": "DSCN0010",
            "another file name": "cheers_1440x960",
            "a camera model": "COOLPIX",
            "a GPS coordinate": "43.4674",
            "a place name": "Arezzo",
            "an album name": "Summer",
            "a caption": CAPTION,
            "a description from Takeout": TAKEOUT_CAPTION,
            "the password": PASSWORD,
        }
        needles = {
            "EXIF (big-endian)": b"Exif\x00\x00MM",
            "EXIF (little-endian)": b"Exif\x00\x00II",
            "a JFIF header": b"JFIF\x00",
            "a PNG signature": b"\x89PNG\r\n\x1a\n",
            "a HEIC brand": b"ftypheic",
            **VIDEO_NEEDLES,
        }
        for what, value in text.items():
            needles[what] = value.encode()
            needles[what + " (UTF-16)"] = value.encode("utf-16-le")
        # The inputs and the export are plaintext by design; the driver log is the test's.
        skip = {WORK / "Phone", WORK / "memory", WORK / "trip", WORK / "Exported",
                WORK / "Everything", WORK / "videos",
                WORK / "copies", WORK / "takeout", WORK / "live", WORK / "pixel"}
        areas = {"the vault": WORK / "Vault", "the remote": WORK / "NAS", "HOME": WORK / "home"}
        scanned = {area: 0 for area in [*areas, "temporary folders"]}
        found = []

        def scan(path, area):
            try:
                data = path.read_bytes()
            except OSError:
                return  # a socket, or gone meanwhile
            scanned[area] += len(data)
            found.extend(f"{what} in {path}" for what, n in needles.items() if n in data)

        for path in WORK.rglob("*"):
            if not path.is_file() or any(s in path.parents for s in skip) or path.name == "driver.log":
                continue
            area = next((a for a, root in areas.items() if root in path.parents), "HOME")
            scan(path, area)
        for path in files_in_temporary_folders() - BEFORE:
            # The tray library writes the app's own icon there for the indicator (and
            # deletes it on exit): no photo.
            if path.parent.name == "tray-icon" and path.name.startswith("tray-icon-keepsake"):
                continue
            scan(path, "temporary folders")
        for area in areas:
            assert scanned[area] > 0, f"nothing scanned in {area}: {scanned}"
        assert not found, "readable on disk: " + "; ".join(found)
        summary = ", ".join(f"{area} {n / 1e6:.1f} MB" for area, n in scanned.items())
        print(f"    scanned {summary}: nothing readable", flush=True)

    @contextlib.contextmanager
    def session(self, failure_shot="failure"):
        """The app driven for a block: a screenshot if the block fails, the app quit either way."""
        try:
            yield self
        except BaseException:
            self.shot(failure_shot)
            raise
        finally:
            self.d.quit()

    def run(self):
        steps = [
            self.create_vault,
            self.lock_and_unlock,
            self.os_unlock,
            self.sleep_locks,
            self.import_by_drop,
            self.memories,
            self.search,
            self.slideshow,
            self.map,
            self.online_map,
            self.view_and_step,
            self.fix_in_viewer,
            self.album,
            self.trash_and_restore,
            self.duplicates,
            self.takeout_zip_by_drop,
            self.live_photo_stack,
            self.motion_photo,
            self.screens_at_sizes,
            self.play_videos,
            self.export,
            self.sync_to_a_folder_remote,
            self.lock_drops_everything,
            self.rebuild_a_lost_catalog,
            self.nothing_readable,
        ]
        with self.session():
            for step in steps:
                started = time.monotonic()
                step()
                print(f"ok  {step.__name__} ({time.monotonic() - started:.1f} s)", flush=True)


def hide_gstreamer_plugins(plugins):
    """A launcher for the app that sees every system GStreamer plugin but `plugins` (as on a
    machine without their packages), with a registry of its own. It also asks GTK for its
    dark theme, so that this second session shows every screen dark."""
    system = next(Path("/usr/lib").glob("*/gstreamer-1.0/libgstcoreelements.so")).parent
    hidden = WORK / "gstreamer-without-libav"
    hidden.mkdir(exist_ok=True)
    for path in system.iterdir():
        if path.name not in plugins:
            (hidden / path.name).symlink_to(path)
    launcher = WORK / "keepsake-without-libav"
    launcher.write_text(
        "#!/bin/sh\n"
        f"export GST_PLUGIN_SYSTEM_PATH_1_0='{hidden}' GST_REGISTRY_1_0='{WORK}/gstreamer-registry.bin'\n"
        "unset GST_PLUGIN_PATH GST_PLUGIN_PATH_1_0\n"
        "export GTK_THEME=Adwaita:dark\n"
        f"exec '{APP}' \"$@\"\n"
    )
    launcher.chmod(0o755)
    return launcher


def a_missing_decoder_is_named():
    """With no H.264 decoder for GStreamer (its libav plugin hidden, as without the
    gstreamer1.0-libav package, and the bad set's OpenH264 with it), the library and the
    viewer name the package to install instead of showing a dead player (which would play
    the sound over a black frame)."""
    journey = Journey(hide_gstreamer_plugins({"libgstlibav.so", "libgstopenh264.so"}))
    with journey.session("failure-missing-decoder"):
        journey.type_into("#unlock-password", PASSWORD)
        journey.el("#unlock-button").click()
        journey.el("#item-count")
        notice = journey.text(".notice")
        assert "gstreamer1.0-libav" in notice and "plugins-good" not in notice, notice
        journey.el("#nav-videos").click()
        wait_for("the videos", lambda: journey.els(".cell"))
        webdriver.ActionChains(journey.d).double_click(journey.cell(0)).perform()
        problem = journey.text(".video-problem")
        assert "sudo apt install gstreamer1.0-libav" in problem, problem
        assert not journey.els("video.media"), "a player that cannot play"
        journey.shot("08-missing-video-decoder")
        print(f"ok  a_missing_decoder_is_named: {problem}", flush=True)
        # The same screens in the dark theme, for review by eye.
        journey.press(Keys.ESCAPE)
        wait_for("the viewer to close", lambda: not journey.els(".viewer"))
        assert journey.d.execute_script(
            "return matchMedia('(prefers-color-scheme: dark)').matches"), "GTK's dark theme"
        for screen in ("library", "map", "duplicates", "settings"):
            journey.el(f"#nav-{screen}").click()
            time.sleep(0.6)
            journey.shot(f"12-dark-{screen}")
        journey.el("#nav-library").click()
        webdriver.ActionChains(journey.d).double_click(journey.cell(0)).perform()
        journey.el(".viewer-title")
        time.sleep(0.6)
        journey.shot("12-dark-viewer")


if __name__ == "__main__":
    Journey().run()
    a_missing_decoder_is_named()
