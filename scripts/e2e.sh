#!/usr/bin/env bash
# Drives the real desktop app through WebDriver: Xvfb for the display, a private D-Bus
# session (tray, notifications, single instance, gnome-keyring), tauri-driver in front of Debian's
# WebKitWebDriver, and HOME in a temporary folder so nothing of the user's is touched.
# Screenshots of each screen land in $KEEPSAKE_E2E_SHOTS (default: target/e2e-screenshots).
# Needs scripts/setup.sh, and the app built by scripts/test.sh (or `cargo build --release`).
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${KEEPSAKE_CACHE:-$HOME/.cache/keepsake}"
TARGET="${CARGO_TARGET_DIR:-$CACHE/target}"
APP="$TARGET/release/keepsake-app"
PYTHON="${KEEPSAKE_PYTHON:-$CACHE/venv/bin/python}"
DRIVER="${KEEPSAKE_TAURI_DRIVER:-$(command -v tauri-driver || echo "$CACHE/tools/bin/tauri-driver")}"
SHOTS="${KEEPSAKE_E2E_SHOTS:-$TARGET/e2e-screenshots}"
SAMPLES="$(cd ../shared/testdata/photos && pwd)"

WORK="$(mktemp -d)"
cleanup() {
  [ -n "${DRIVER_PID:-}" ] && kill "$DRIVER_PID" 2>/dev/null || true
  [ -n "${XVFB_PID:-}" ] && kill "$XVFB_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

DISPLAY_NUMBER=":$((90 + RANDOM % 9))"
Xvfb "$DISPLAY_NUMBER" -screen 0 1920x1200x24 -nolisten tcp >/dev/null 2>&1 &
XVFB_PID=$!
export DISPLAY="$DISPLAY_NUMBER"

export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" \
  XDG_DATA_HOME="$WORK/home/.local/share" XDG_CACHE_HOME="$WORK/home/.cache"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME"

# The app's "system bus" is this session bus too: the journey plays logind there to check
# that sleep locks the vault (no logind runs in a container or on CI).
dbus-run-session -- bash -c '
  set -euo pipefail
  export DBUS_SYSTEM_BUS_ADDRESS="$DBUS_SESSION_BUS_ADDRESS"
  # A real Secret Service (gnome-keyring, login keyring unlocked) for OS unlock.
  printf "e2e keyring password" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  # A sound server with a null output: without one, GStreamer finds no audio sink and a
  # video never starts playing (its clock is the audio sink'"'"'s).
  export PULSE_RUNTIME_PATH="$5/pulse"
  pulseaudio --daemonize=yes --exit-idle-time=-1 --disallow-exit -n \
    --load=module-null-sink --load=module-native-protocol-unix >/dev/null 2>&1
  "$0" --port 4444 --native-port 4445 >"$5/driver.log" 2>&1 &
  for _ in $(seq 100); do
    curl -fs http://127.0.0.1:4444/status >/dev/null 2>&1 && break
    sleep 0.1
  done
  status=0
  # A WebDriver call that never returns must fail the run, not hold CI: the journey takes
  # about a minute; SIGINT lets it take a screenshot and quit the app.
  timeout --signal=INT --kill-after=30 900 \
    "$1" "${KEEPSAKE_E2E_SCRIPT:-tests/e2e/journey.py}" "$2" "$3" "$5" "$4" || status=$?
  kill %1 2>/dev/null || true
  pulseaudio --kill 2>/dev/null || true
  [ $status -eq 0 ] || { echo "--- tauri-driver log"; tail -40 "$5/driver.log"; }
  exit $status
' "$DRIVER" "$PYTHON" "$APP" "$SAMPLES" "$SHOTS" "$WORK"
