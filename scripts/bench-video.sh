#!/usr/bin/env bash
# Importing videos that need a proxy (a playable copy, made because this platform's viewer
# cannot play the original), beside ffmpeg converting the same files alone with the same
# settings, in the same run; and videos that play as they are, for comparison.
#   scripts/bench-video.sh    (KEEPSAKE_BENCH_VIDEOS=N clips of KEEPSAKE_BENCH_SECONDS s)
# The clips are made here from ffmpeg's test pattern: 1280x720 WMV, as older phones and
# cameras shot (Linux's webview does not play it), and 1920x1080 H.264 MP4 (it does).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${KEEPSAKE_CACHE:-$HOME/.cache/keepsake}/target}"
cargo build --release --quiet -p keepsake-cli
BIN="$CARGO_TARGET_DIR/release/keepsake"
N="${KEEPSAKE_BENCH_VIDEOS:-6}"
SECONDS_EACH="${KEEPSAKE_BENCH_SECONDS:-10}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/wmv" "$T/mp4" "$T/ffmpeg"
for i in $(seq "$N"); do
  ffmpeg -v error -f lavfi -i "testsrc2=size=1280x720:rate=30" -f lavfi -i "sine=frequency=$((200 + i * 50))" \
    -t "$SECONDS_EACH" -c:v wmv2 -b:v 4M -c:a wmav2 "$T/wmv/clip-$i.wmv"
  ffmpeg -v error -f lavfi -i "testsrc2=size=1920x1080:rate=30" -f lavfi -i "sine=frequency=$((200 + i * 50))" \
    -t "$SECONDS_EACH" -c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a aac "$T/mp4/clip-$i.mp4"
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "$N WMV clips ($(du -sm "$T/wmv" | cut -f1) MB) and $N H.264 MP4 clips ($(du -sm "$T/mp4" | cut -f1) MB), ${SECONDS_EACH} s each"

export KEEPSAKE_PASSWORD=benchmark-password
"$BIN" --vault "$T/vault" init --kdf-memory-mib 8 --kdf-passes 1 >/dev/null
/usr/bin/time -f "%e" -o "$T/wmv.time" "$BIN" --vault "$T/vault" import "$T/wmv" --json >"$T/wmv.json"
/usr/bin/time -f "%e" -o "$T/mp4.time" "$BIN" --vault "$T/vault" import "$T/mp4" --json >"$T/mp4.json"

# ffmpeg alone: the same conversion Keepsake runs (crates/core/src/media/video.rs, proxy),
# one file after another as Keepsake does, from the files to files.
SCALE="scale='if(gte(iw,ih),trunc(min(1080,iw)/2)*2,-2)':'if(gte(iw,ih),-2,trunc(min(1080,ih)/2)*2)'"
/usr/bin/time -f "%e" -o "$T/ffmpeg.time" bash -c "
  for f in '$T'/wmv/*.wmv; do
    ffmpeg -v error -y -i \"\$f\" -map 0:v:0 -map '0:a:0?' -vf \"$SCALE\" -c:v libx264 -preset veryfast \
      -crf 23 -pix_fmt yuv420p -c:a aac -b:a 160k -ac 2 -movflags +faststart \"$T/ffmpeg/\$(basename \"\$f\").mp4\"
  done"

python3 - "$T" "$N" <<'PY'
import json, sys
t, n = sys.argv[1], int(sys.argv[2])
read = lambda name: float(open(f"{t}/{name}.time").read().split()[-1])
wmv, mp4, ff = read("wmv"), read("mp4"), read("ffmpeg")
report = json.load(open(f"{t}/wmv.json"))
plain = json.load(open(f"{t}/mp4.json"))
made = report["proxies"]["made"]
assert made == n and not report["proxies"]["failed"], report["proxies"]
assert plain["proxies"]["made"] == 0, plain["proxies"]
print(f"{'':44} {'seconds':>8} {'per video':>10}")
print(f"{'Keepsake import, WMV (with proxies)':44} {wmv:8.2f} {wmv / n:10.2f}")
print(f"{'ffmpeg alone, the same conversion':44} {ff:8.2f} {ff / n:10.2f}")
print(f"{'Keepsake import, H.264 MP4 (no proxy needed)':44} {mp4:8.2f} {mp4 / n:10.2f}")
print(f"import with proxies / ffmpeg alone: {wmv / ff:.2f}x the time "
      f"(the rest is reading, encrypting, metadata and posters); proxies: "
      f"{report['proxies']['made_bytes'] / 1e6:.1f} MB for {n} videos")
PY
