#!/usr/bin/env bash
# Scale, two parts. Not a test: prints figures for docs/PERFORMANCE.md.
#  1. A catalog of ROWS items (default 1,000,000): unlock, timeline and list queries and
#     peak memory (crates/core/benches/scale.rs), beside the same SQL in plain SQLite.
#  2. `keepsake verify` beside `cat` reading the same object files, with a cold page cache
#     (when this machine lets us drop it) and a warm one, and verify's peak memory: on
#     VERIFY_MB of 8 MiB photos, and on the 100,000-photo vault of bench-app.sh if present.
#   scripts/bench-scale.sh [ROWS] [VERIFY_MB]
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${1:-1000000}"
MB="${2:-2048}"
CACHE="${KEEPSAKE_CACHE:-$HOME/.cache/keepsake}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB RAM"

echo "== catalog of $ROWS items"
KEEPSAKE_SCALE_ROWS="$ROWS" cargo bench --quiet -p keepsake-core --features bench --bench scale

cargo build --release --quiet -p keepsake-cli
BIN="$CARGO_TARGET_DIR/release/keepsake"
export KEEPSAKE_PASSWORD="scale benchmark password"
BIG="$CACHE/scale-verify-$MB"
if [ ! -f "$BIG/keepsake-vault.json" ]; then
  rm -rf "$BIG" "$BIG.in"
  mkdir -p "$BIG.in"
  python3 - "$BIG.in" "$MB" <<'PY'
import os, sys
out, mb = sys.argv[1], int(sys.argv[2])
for i in range(mb // 8):  # JPEG-signed, incompressible: verify's work is the bytes
    with open(os.path.join(out, f"IMG_{i:05d}.jpg"), "wb") as f:
        f.write(b"\xff\xd8\xff\xe0" + os.urandom(8 * 1024 * 1024 - 4))
PY
  "$BIN" --vault "$BIG" init --kdf-memory-mib 8 --kdf-passes 1 >/dev/null
  "$BIN" --vault "$BIG" import "$BIG.in" >/dev/null 2>&1
  rm -rf "$BIG.in"
fi
PHOTOS="$CACHE/bench-vault-100000"
export KEEPSAKE_PASSWORD_PHOTOS="benchmark password for the app"

drop_cache() {
  sync
  echo 3 >/proc/sys/vm/drop_caches 2>/dev/null
}
timed() { # prints "seconds peakKB"
  /usr/bin/time -f "%e %M" -o /tmp/keepsake-bench-time "$@" >/dev/null 2>&1 || true
  cat /tmp/keepsake-bench-time
}
compare() { # vault password
  local vault=$1 mb files
  mb=$(du -sm "$vault/objects" | cut -f1)
  files=$(find "$vault/objects" -type f | wc -l)
  echo "== verify: $files objects, $mb MB ($vault)"
  for cache in cold warm; do
    if [ $cache = cold ] && ! drop_cache; then
      echo "  (cannot drop the page cache here: warm figures only)"
      continue
    fi
    read -r vs vk < <(KEEPSAKE_PASSWORD="$2" timed "$BIN" --vault "$vault" verify)
    [ $cache = cold ] && drop_cache
    [ $cache = warm ] && find "$vault/objects" -type f -print0 | xargs -0 cat >/dev/null
    read -r cs _ < <(timed sh -c "find '$vault/objects' -type f -print0 | xargs -0 cat >/dev/null")
    awk -v c=$cache -v mb="$mb" -v vs="$vs" -v vk="$vk" -v cs="$cs" 'BEGIN {
      printf "  %-5s keepsake verify %6.1f s %7.0f MB/s (peak %4.0f MB)   cat %6.1f s %7.0f MB/s\n",
        c, vs, mb / vs, vk / 1024, cs, mb / cs }'
  done
}
compare "$BIG" "$KEEPSAKE_PASSWORD"
[ -d "$PHOTOS" ] && compare "$PHOTOS" "$KEEPSAKE_PASSWORD_PHOTOS"
exit 0
