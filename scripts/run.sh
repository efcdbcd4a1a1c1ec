#!/usr/bin/env bash
# Builds Keepsake and starts it: the desktop app when there is a display, else the CLI.
# Run scripts/setup.sh once before. Installs the `keepsake` CLI into ~/.cargo/bin.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${KEEPSAKE_CACHE:-$HOME/.cache/keepsake}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"

(cd ui && npx vite build --logLevel warn)
cargo build --release --quiet -p keepsake-app -p keepsake-cli
install -D "$CARGO_TARGET_DIR/release/keepsake" "${CARGO_HOME:-$HOME/.cargo}/bin/keepsake"

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec "$CARGO_TARGET_DIR/release/keepsake-app" "$@"
fi
echo "No display here: use the keepsake CLI (installed in ${CARGO_HOME:-$HOME/.cargo}/bin)."
echo "Start with:  keepsake init   (then: keepsake import PHOTOS…, keepsake ls, keepsake --help)"
exec keepsake --help
