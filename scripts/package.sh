#!/usr/bin/env bash
# Makes the Debian package: the desktop app, the `keepsake` CLI (/usr/bin/keepsake), the
# desktop entry and icons, with the `depends` in tauri.conf.json. Reuses the release build
# the tests use (the same CARGO_TARGET_DIR), so after scripts/test.sh only the app is
# relinked. Run scripts/setup.sh once before. Prints the package's path.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${KEEPSAKE_CACHE:-$HOME/.cache/keepsake}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
python3 scripts/check-tauri-versions.py >/dev/null

cargo build --release -p keepsake-cli --quiet
cli="$CARGO_TARGET_DIR/release/keepsake"
# The CLI's path is known only here: merged into the configuration for this build.
files="{\"bundle\":{\"linux\":{\"deb\":{\"files\":{\"/usr/bin/keepsake\":\"$cli\"}}}}}"
ui/node_modules/.bin/tauri build --ci --bundles deb --config "$files" >&2

version=$(python3 -c 'import json; print(json.load(open("tauri.conf.json"))["version"])')
deb=$(ls "$CARGO_TARGET_DIR/release/bundle/deb/Keepsake_${version}_"*.deb)

# Tauri packs the binaries as built, and the release profile keeps debug info (the tests'
# backtraces): 350 MB installed. The package gets them without it.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -R "$deb" "$work/root"
strip --strip-debug "$work/root/usr/bin/keepsake" "$work/root/usr/bin/keepsake-app"
(cd "$work/root" && find usr -type f -exec md5sum {} + >DEBIAN/md5sums)
size=$(du -sk --exclude=DEBIAN "$work/root" | cut -f1)
sed -i "s/^Installed-Size: .*/Installed-Size: $size/" "$work/root/DEBIAN/control"
dpkg-deb --root-owner-group -b "$work/root" "$deb" >/dev/null
echo "$deb"
