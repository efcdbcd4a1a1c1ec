#!/usr/bin/env bash
# Whole import (read, hash, encrypt, metadata, thumbnail, preview, catalog) into a fresh
# vault, beside vipsthumbnail making thumbnails of the same size from the same files with
# both cores, in the same run.
#   scripts/bench-import.sh [DIR]     (default: ../shared/testdata/photos/full-size)
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=$(realpath "${1:-../shared/testdata/photos/full-size}")
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${KEEPSAKE_CACHE:-$HOME/.cache/keepsake}/target}"
cargo build --release --quiet -p keepsake-cli
BIN="$CARGO_TARGET_DIR/release/keepsake"
SIZE=512 # the grid thumbnail's long side (crates/core/src/media/mod.rs GRID_SIDE)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
CORES=$(nproc)
files=$(find "$DIR" -type f | wc -l)
mb=$(du -sm --apparent-size "$DIR" | cut -f1)
echo "machine: $CORES cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $files files, $mb MB in $DIR"

# Warm the page cache for both tools alike.
cat "$(find "$DIR" -type f | head -1000)" >/dev/null 2>&1 || true
find "$DIR" -type f -exec cat {} + >/dev/null

# Keepsake. The KDF is set small so that unlocking (not part of importing) costs ~10 ms.
export KEEPSAKE_PASSWORD=benchmark-password
"$BIN" --vault "$T/vault" init --kdf-memory-mib 8 --kdf-passes 1 >/dev/null
/usr/bin/time -f "%e %M" -o "$T/keepsake.time" "$BIN" --vault "$T/vault" import "$DIR" --json >"$T/import.json"
read -r ks_s ks_kb <"$T/keepsake.time"
imported=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['imported']))" "$T/import.json")

# vipsthumbnail: shrink-on-load, one process per 8 files, $CORES processes at once.
mkdir -p "$T/vips"
/usr/bin/time -f "%e %M" -o "$T/vips.time" \
  bash -c "find '$DIR' -type f -print0 | xargs -0 -P $CORES -n 8 vipsthumbnail --size $SIZE -o '$T/vips/%s.jpg[Q=80]'" 2>/dev/null || true
read -r vips_s vips_kb <"$T/vips.time"
thumbs=$(find "$T/vips" -type f | wc -l)

python3 - "$imported" "$ks_s" "$ks_kb" "$thumbs" "$vips_s" "$vips_kb" "$mb" <<'PY'
import sys
n, ks, ks_kb, vn, vs, vs_kb, mb = sys.argv[1:]
n, ks, vn, vs, mb = int(n), float(ks), int(vn), float(vs), float(mb)
kps, vps = n / ks, vn / vs
print(f"keepsake import   {n:5d} photos in {ks:6.2f} s  {kps:7.1f} photos/s  {mb / ks:7.1f} MB/s  peak RSS {int(ks_kb) / 1024:6.1f} MB")
print(f"vipsthumbnail     {vn:5d} thumbs in {vs:6.2f} s  {vps:7.1f} photos/s")
print(f"ratio keepsake/vipsthumbnail: {kps / vps:.2f}  (target >= 1.0)")
PY
