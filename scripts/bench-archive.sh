#!/usr/bin/env bash
# Importing a Google Takeout-like zip and tgz against importing the same files from a
# folder, and against `unzip -t` and `tar -xzO` reading (inflating) the same archives,
# with each one's peak memory. Not a test: prints figures for docs/PERFORMANCE.md.
#   scripts/bench-archive.sh [MB]     (default 2048: the archive's size)
# The folder holds the full-size samples over and over (each copy made unique by bytes
# after its end, as a photo library holds distinct photos), and two 150 MB files (long
# videos' stand-ins), which an import streams rather than holds.
set -euo pipefail
cd "$(dirname "$0")/.."
MB="${1:-2048}"
CACHE="${KEEPSAKE_CACHE:-$HOME/.cache/keepsake}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
cargo build --release --quiet -p keepsake-cli
BIN="$CARGO_TARGET_DIR/release/keepsake"
SRC="$CACHE/bench-archive-$MB"
if [ ! -f "$SRC.zip" ]; then
  rm -rf "$SRC" "$SRC.zip"
  python3 - "$SRC" "$MB" ../shared/testdata/photos/full-size <<'PY'
import os, sys, zipfile
out, mb, samples = sys.argv[1], int(sys.argv[2]), sys.argv[3]
photos = sorted(os.path.join(samples, f) for f in os.listdir(samples))
folder = os.path.join(out, "Takeout", "Google Photos", "Photos from 2019")
os.makedirs(folder)
big = 150 << 20
for n in range(2):  # noise behind a JPEG signature: stored as is, never rendered
    with open(os.path.join(folder, f"long-video-{n}.jpg"), "wb") as f:
        f.write(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(big - 11))
total, n = 2 * big, 0
while total < mb << 20:
    source = photos[n % len(photos)]
    data = open(source, "rb").read() + n.to_bytes(8, "little")
    name = f"IMG_{n:05d}" + os.path.splitext(source)[1]
    open(os.path.join(folder, name), "wb").write(data)
    total, n = total + len(data), n + 1
with zipfile.ZipFile(out + ".zip", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
    for root, _, files in os.walk(out):
        for f in sorted(files):
            path = os.path.join(root, f)
            z.write(path, os.path.relpath(path, out))
print(f"made {n + 2} files, {total >> 20} MB, and their zip")
PY
fi
if [ ! -f "$SRC.tgz" ]; then
  tar -C "$SRC" -cf - . | gzip -1 >"$SRC.tgz.part" && mv "$SRC.tgz.part" "$SRC.tgz"
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export KEEPSAKE_PASSWORD=benchmark-password
files=$(find "$SRC" -type f | wc -l)
mb=$(du -sm --apparent-size "$SRC" | cut -f1)
zip_mb=$(du -sm --apparent-size "$SRC.zip" | cut -f1)
tgz_mb=$(du -sm --apparent-size "$SRC.tgz" | cut -f1)
echo "machine: $(nproc) cores; $files files, $mb MB; the zip $zip_mb MB, the tgz $tgz_mb MB"
cat "$SRC.zip" "$SRC.tgz" >/dev/null
find "$SRC" -type f -exec cat {} + >/dev/null

run() { # label, then the command: seconds and peak RSS
  /usr/bin/time -f "%e %M" -o "$T/time" "${@:2}" >/dev/null
  read -r s kb <"$T/time"
  python3 -c "import sys; l, s, kb, mb = sys.argv[1:]; print(f'{l:<28} {float(s):7.2f} s  {float(mb) / float(s):7.1f} MB/s  peak RSS {int(kb) / 1024:6.1f} MB')" "$1" "$s" "$kb" "$mb"
}
for source in folder zip tgz; do
  "$BIN" --vault "$T/$source" init --kdf-memory-mib 8 --kdf-passes 1 >/dev/null
done
run "keepsake import (folder)" "$BIN" --vault "$T/folder" import "$SRC" --json
run "keepsake import (zip)" "$BIN" --vault "$T/zip" import "$SRC.zip" --json
run "unzip -t (read, inflate, CRC)" unzip -tqq "$SRC.zip"
run "keepsake import (tgz)" "$BIN" --vault "$T/tgz" import "$SRC.tgz" --json
run "tar -xzO (read, gunzip)" tar -xzOf "$SRC.tgz"
for source in folder zip tgz; do
  "$BIN" --vault "$T/$source" info --json | python3 -c "import json,sys; i=json.load(sys.stdin); print('$source vault:', i['items'], 'items')"
done
