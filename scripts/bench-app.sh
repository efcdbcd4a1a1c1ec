#!/usr/bin/env bash
# The desktop app on a large library (default 100,000 photos), measured through WebDriver:
# unlock -> first grid paint, thumbnail latency while scrolling, and the vault:// protocol
# beside a data: URL of the same bytes. Not a test: prints figures for docs/PERFORMANCE.md.
#   scripts/bench-app.sh [N]      (needs scripts/setup.sh and a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-100000}"
CACHE="${KEEPSAKE_CACHE:-$HOME/.cache/keepsake}"
TARGET="${CARGO_TARGET_DIR:-$CACHE/target}"
PYTHON="$CACHE/venv/bin/python"
DRIVER="$(command -v tauri-driver || echo "$CACHE/tools/bin/tauri-driver")"
"$PYTHON" -c 'import PIL' 2>/dev/null || "$CACHE/venv/bin/pip" install -q pillow

LIBRARY="$CACHE/bench-library-$N"
VAULT="$CACHE/bench-vault-$N"
export KEEPSAKE_PASSWORD="benchmark password for the app"
if [ ! -d "$VAULT" ]; then
  [ -d "$LIBRARY" ] || "$PYTHON" scripts/make-dated-library.py "$N" "$LIBRARY"
  "$TARGET/release/keepsake" --vault "$VAULT" init >/dev/null
  /usr/bin/time -f "import of $N photos: %e s, peak RSS %M KB" \
    "$TARGET/release/keepsake" --vault "$VAULT" import "$LIBRARY" >/dev/null
fi
WORK="$(mktemp -d)"
trap 'kill ${XVFB_PID:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT
ID="$("$TARGET/release/keepsake" --vault "$VAULT" ls --json | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')"
"$TARGET/release/keepsake" --vault "$VAULT" thumb "$ID" --out "$WORK/thumb.jpg"

export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config"
mkdir -p "$XDG_CONFIG_HOME/app.keepsake.desktop"
printf '{"vault_path": "%s", "auto_lock_minutes": 0}\n' "$VAULT" \
  >"$XDG_CONFIG_HOME/app.keepsake.desktop/settings.json"
Xvfb :97 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
XVFB_PID=$!
export DISPLAY=:97
dbus-run-session -- bash -c '
  "$0" --port 4444 --native-port 4445 >/dev/null 2>&1 &
  for _ in $(seq 100); do curl -fs http://127.0.0.1:4444/status >/dev/null 2>&1 && break; sleep 0.1; done
  "$1" scripts/bench-app.py "$2" "$3" "$KEEPSAKE_PASSWORD" "$4"
  kill %1
' "$DRIVER" "$PYTHON" "$TARGET/release/keepsake-app" "$VAULT" "$WORK/thumb.jpg" 2>&1 | grep -v dbus-daemon
