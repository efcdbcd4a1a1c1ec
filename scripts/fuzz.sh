#!/usr/bin/env bash
# Runs each fuzz target (fuzz/, cargo-fuzz + libFuzzer with AddressSanitizer) for a while:
#   object_decoder  edited real objects: changed => refused, unchanged => exact plaintext
#   vault_header    the header parser on mutated real headers
#   photo_metadata  sniffing, EXIF and every photo decoder on mutated samples and on
#                   ../shared/testdata/photos/malformed
# KEEPSAKE_FUZZ_SECONDS per target (default 45: the CI setting; hours for a long run).
# Corpora grow in the cache between runs. A finding stops the script and is saved under
# fuzz/artifacts/<target>/; turn it into a regression test before fixing it.
# cargo-fuzz needs nightly flags: RUSTC_BOOTSTRAP=1 lets the stable toolchain take them.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${KEEPSAKE_CACHE:-$HOME/.cache/keepsake}"
SECONDS_EACH="${KEEPSAKE_FUZZ_SECONDS:-45}"
CLI="${CARGO_TARGET_DIR:-$CACHE/target}/release/keepsake"
CARGO_FUZZ="$(command -v cargo-fuzz || echo "$CACHE/tools/bin/cargo-fuzz")"
export RUSTC_BOOTSTRAP=1
# Its own target folder: sanitizer builds must not evict the main build's artifacts.
export CARGO_TARGET_DIR="$CACHE/fuzz-target"
CORPUS="$CACHE/fuzz-corpus"
PHOTOS="$(cd ../shared/testdata/photos && pwd)"

mkdir -p "$CORPUS/object_decoder" "$CORPUS/vault_header" "$CORPUS/photo_metadata"
# Seeds: real headers (made by the CLI), and the sample photos under 1.5 MB.
SEED_VAULT="$(mktemp -d)"
trap 'rm -rf "$SEED_VAULT"' EXIT
KEEPSAKE_PASSWORD="fuzz seed password" "$CLI" --vault "$SEED_VAULT/v" init \
  --kdf-memory-mib 8 --kdf-passes 1 >/dev/null
cp "$SEED_VAULT/v/keepsake-vault.json" "$CORPUS/vault_header/seed-header"
find "$PHOTOS/exif-samples" "$PHOTOS/formats" "$PHOTOS/malformed" -type f -size -1500k \
  ! -name '*.mov' ! -name '*.mp4' -exec cp -n {} "$CORPUS/photo_metadata/" \;

"$CARGO_FUZZ" build --release --fuzz-dir fuzz # a build failure must fail loudly
for target in object_decoder vault_header photo_metadata; do
  echo "fuzzing $target for ${SECONDS_EACH}s"
  "$CARGO_FUZZ" run --release --fuzz-dir fuzz "$target" "$CORPUS/$target" -- \
    -max_total_time="$SECONDS_EACH" -max_len=1500000 -rss_limit_mb=3000 \
    -print_final_stats=1 2>&1 | grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)|ERROR|panicked|SUMMARY|artifact" || true
  if ls fuzz/artifacts/"$target"/crash-* fuzz/artifacts/"$target"/leak-* fuzz/artifacts/"$target"/oom-* >/dev/null 2>&1; then
    echo "fuzz/$target found a failing input: see fuzz/artifacts/$target/" >&2
    exit 1
  fi
done
