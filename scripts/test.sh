#!/usr/bin/env bash
# Builds Keepsake and runs every test: lints, unit and whole-system tests, and the CLI
# contract acceptance check on the sample photos. Run scripts/setup.sh once before.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${KEEPSAKE_CACHE:-$HOME/.cache/keepsake}"
# Builds are cached outside the clone so repeated runs (and CI on this machine) reuse them.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
# Cargo names a workspace's artifacts by paths relative to the checkout, and tests bake in
# CARGO_MANIFEST_DIR: after a build from another checkout (CI's clone) with newer files,
# ours would look fresh and run with the other checkout's paths. Touch ours when it moved.
mkdir -p "$CARGO_TARGET_DIR"
if [ "$(cat "$CARGO_TARGET_DIR/.checkout" 2>/dev/null)" != "$PWD" ]; then
  find crates src-tauri tests fuzz -name '*.rs' -exec touch {} +
  echo "$PWD" >"$CARGO_TARGET_DIR/.checkout"
fi
export KEEPSAKE_PYTHON="${KEEPSAKE_PYTHON:-$CACHE/venv/bin/python}"
export KEEPSAKE_RCLONE="${KEEPSAKE_RCLONE:-$CACHE/venv/bin/rclone}"

# The Tauri crates and npm packages on one release (else `tauri build` refuses to package).
python3 scripts/check-tauri-versions.py

# The web UI: unit tests, type check, then the build the app embeds.
(cd ui && npx vitest run --silent && npx tsc --noEmit -p tsconfig.json && npx vite build --logLevel warn)

cargo fmt --all -- --check
cargo clippy --release --workspace --all-targets --quiet -- -D warnings
# The scale benchmark builds only with the `bench` feature: keep it compiling.
cargo clippy --release -p keepsake-core --features bench --benches --quiet -- -D warnings
cargo build --release --workspace --quiet

# The real app through WebDriver, with screenshots of each screen. Before `cargo test`,
# which relinks the app with Tauri's test feature for the IPC tests.
scripts/e2e.sh

# Every suite runs even after one fails, so one CI run names every failure.
cargo test --release --workspace --no-fail-fast

# A short run of every fuzz target (KEEPSAKE_FUZZ_SECONDS each; longer on demand).
scripts/fuzz.sh

# The CLI contract is part of passing: a missing check fails, never skips.
contract=../shared/checks/cli-contract.sh
if [ ! -f "$contract" ]; then
  echo "error: $contract not found: the CLI contract check cannot run" >&2
  exit 1
fi
bash "$contract" "$CARGO_TARGET_DIR/release/keepsake"

# Installed as a user installs it: the .deb with apt, over the previous package, started,
# then removed (needs root or sudo, as scripts/setup.sh does).
scripts/package-check.sh
