#!/usr/bin/env bash
# Installs Keepsake the way a user does, and checks it: builds the .deb (scripts/package.sh),
# installs the previous package with apt, makes a vault with its CLI, upgrades to this one
# over it (the vault must still unlock), starts the installed app under Xvfb with a fresh
# home (a window titled Keepsake; screenshot in $TARGET/package-screenshots), runs the
# installed CLI, then removes the package and checks it left no file behind.
#
# "The previous package" is the one the last run on this machine made from another
# commit (kept in the cache); on a first run, this one. Either way it is stamped with a
# lower version, so apt performs an upgrade. Needs root or sudo, and scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
CACHE="${KEEPSAKE_CACHE:-$HOME/.cache/keepsake}"
TARGET="${CARGO_TARGET_DIR:-$CACHE/target}"
SHOTS="$TARGET/package-screenshots"
KEPT="$CACHE/packages"
SAMPLE="$(cd ../shared/testdata/photos/exif-samples && pwd)/jpg__Canon_40D.jpg"
started=$(date +%s)

WORK="$(mktemp -d)"
cleanup() {
  [ -n "${XVFB_PID:-}" ] && kill "$XVFB_PID" 2>/dev/null || true
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq keepsake >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
  echo "package check: $*" >&2
  exit 1
}

deb=$(bash scripts/package.sh)
commit=$(git rev-parse --short HEAD)
version=$(dpkg-deb -f "$deb" Version)

# The previous package, stamped lower than this one.
previous=$(ls -t "$KEPT"/keepsake-*.deb 2>/dev/null | grep -v -- "-$commit.deb" | head -1 || true)
[ -n "$previous" ] || previous="$deb"
dpkg-deb -R "$previous" "$WORK/previous"
sed -i "s/^Version: .*/Version: ${version}~previous/" "$WORK/previous/DEBIAN/control"
dpkg-deb --root-owner-group -b "$WORK/previous" "$WORK/keepsake-previous.deb" >/dev/null

install() {
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    --allow-downgrades "$1" >/dev/null
}

# A user's home, untouched by anything else on this machine.
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" \
  XDG_DATA_HOME="$WORK/home/.local/share" XDG_CACHE_HOME="$WORK/home/.cache"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME"
export KEEPSAKE_PASSWORD="package check password"
vault="$HOME/Pictures/Keepsake"

install "$WORK/keepsake-previous.deb"
[ "$(dpkg-query -W -f '${Version}' keepsake)" = "${version}~previous" ] || fail "the previous package did not install"
/usr/bin/keepsake --vault "$vault" init --kdf-memory-mib 16 --kdf-passes 1 >/dev/null
/usr/bin/keepsake --vault "$vault" import "$SAMPLE" >/dev/null

install "$deb"
[ "$(dpkg-query -W -f '${Version}' keepsake)" = "$version" ] || fail "the upgrade did not install $version"
/usr/bin/keepsake --vault "$vault" ls | grep -q jpg__Canon_40D.jpg ||
  fail "after the upgrade, the vault does not list its photo"
/usr/bin/keepsake --version | grep -q "$version" || fail "keepsake --version does not say $version"

# The installed app, first run: a window titled Keepsake.
DISPLAY_NUMBER=":$((80 + RANDOM % 9))"
Xvfb "$DISPLAY_NUMBER" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
XVFB_PID=$!
export DISPLAY="$DISPLAY_NUMBER"
mkdir -p "$SHOTS"
dbus-run-session -- bash -c '
  set -euo pipefail
  /usr/bin/keepsake-app >"$1/app.log" 2>&1 &
  app=$!
  found=0
  for _ in $(seq 300); do
    if xdotool search --onlyvisible --name "^Keepsake$" >/dev/null 2>&1; then found=1; break; fi
    sleep 0.1
  done
  # Time to draw the first screen, then the screenshot (GTK from Debian'"'"'s python3-gi).
  sleep 3
  /usr/bin/python3 -c "
import sys, gi
gi.require_version(\"Gdk\", \"3.0\")
from gi.repository import Gdk
root = Gdk.get_default_root_window()
Gdk.pixbuf_get_from_window(root, 0, 0, root.get_width(), root.get_height()).savev(sys.argv[1], \"png\", [], [])
" "$2/installed-first-run.png"
  kill $app 2>/dev/null || true
  wait $app 2>/dev/null || true
  [ $found -eq 1 ] || { echo "no window titled Keepsake; the app said:"; tail -20 "$1/app.log"; exit 1; }
' check "$WORK" "$SHOTS" || fail "the installed app did not open its window"

# Removed cleanly: none of its files left; the user's vault untouched.
dpkg -L keepsake | while read -r path; do if [ -f "$path" ]; then echo "$path"; fi; done >"$WORK/files"
[ -s "$WORK/files" ] || fail "dpkg lists no files for the package"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq keepsake >/dev/null
left=$(while read -r path; do if [ -e "$path" ]; then echo "$path"; fi; done <"$WORK/files")
[ -z "$left" ] || fail "files left after removal: $left"
[ -f "$vault/keepsake-vault.json" ] || fail "removing the package touched the vault"

mkdir -p "$KEPT"
rm -f "$KEPT"/keepsake-*.deb
cp "$deb" "$KEPT/keepsake-$commit.deb"
echo "package check: $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB) installed over the previous package, ran, removed cleanly in $(($(date +%s) - started)) s"
