#!/usr/bin/env bash
# Runs each fuzz target (fuzz/, cargo-fuzz + libFuzzer with AddressSanitizer) for a while:
#   object_decoder  edited real objects: changed => refused, unchanged => exact plaintext
#   vault_header    the header parser on mutated real headers
#   photo_metadata  sniffing, EXIF and every photo decoder on mutated samples and on
#                   ../shared/testdata/photos/malformed
#   decoder_limits  PNG, JPEG, GIF and BMP headers declaring any size: no allocation past
#                   the 1 GiB decode budget (libFuzzer's -malloc_limit_mb)
# KEEPSAKE_FUZZ_SECONDS per target (default 45: the CI setting; hours for a long run).
# Corpora grow in the cache between runs. A finding (crash, leak, oom or timeout input), a
# failing libFuzzer status or too few executions fails the script; findings are saved
# under fuzz/artifacts/<target>/: turn each into a regression test before fixing it.
# cargo-fuzz needs nightly flags: RUSTC_BOOTSTRAP=1 lets the stable toolchain take them.
set -euo pipefail
cd "$(dirname "$0")/.."

# The fewest inputs a run must execute per second of fuzzing: below it, the run tested
# (next to) nothing. Each is about a tenth of what this 2-core machine does under ASan.
min_execs() {
  local per_second
  case "$1" in
    object_decoder) per_second=7 ;;   # every input encrypts and edits fresh objects
    vault_header) per_second=5000 ;;
    photo_metadata) per_second=1 ;;   # every decoder on inputs up to 1.5 MB
    decoder_limits) per_second=1 ;;   # a real JPEG decode on many inputs
    *) per_second=1 ;;
  esac
  echo $((per_second * SECONDS_EACH))
}

# Fails when a run found something, ended badly, or ran too little. Each artifact kind is
# looked for on its own: any one of them is a finding.
check_run() { # target status log artifacts min_execs
  local target=$1 status=$2 log=$3 artifacts=$4 min=$5 failed=0 kind execs
  for kind in crash leak oom timeout; do
    if compgen -G "$artifacts/$kind-*" >/dev/null; then
      echo "fuzz/$target found a failing input ($kind): see $artifacts/" >&2
      failed=1
    fi
  done
  if [ "$status" -ne 0 ]; then
    echo "fuzz/$target: libFuzzer exited with status $status (see $log)" >&2
    failed=1
  fi
  execs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1 || true)
  if [ -z "$execs" ] || [ "$execs" -lt "$min" ]; then
    echo "fuzz/$target: ran ${execs:-no} inputs, fewer than the $min required" >&2
    failed=1
  fi
  return $failed
}

# The check itself must be able to fail: each kind of finding, a bad status and a run
# that executed too little are each caught (a plain `ls a-* b-* c-*` missed a lone crash).
self_test() {
  local dir log ok kind
  dir=$(mktemp -d)
  log="$dir/log"
  echo "stat::number_of_executed_units: 5000" >"$log"
  check_run self 0 "$log" "$dir/artifacts" 100 2>/dev/null || { echo "fuzz self-test: a clean run failed" >&2; return 1; }
  for kind in crash leak oom timeout; do
    mkdir -p "$dir/artifacts" && rm -f "$dir/artifacts/"* && touch "$dir/artifacts/$kind-planted"
    if check_run self 0 "$log" "$dir/artifacts" 100 2>/dev/null; then
      echo "fuzz self-test: a planted $kind input went unnoticed" >&2; return 1
    fi
  done
  rm -f "$dir/artifacts/"*
  if check_run self 77 "$log" "$dir/artifacts" 100 2>/dev/null; then
    echo "fuzz self-test: libFuzzer's failing status went unnoticed" >&2; return 1
  fi
  if check_run self 0 "$log" "$dir/artifacts" 6000 2>/dev/null; then
    echo "fuzz self-test: too few executions went unnoticed" >&2; return 1
  fi
  : >"$log"
  if check_run self 0 "$log" "$dir/artifacts" 1 2>/dev/null; then
    echo "fuzz self-test: a run with no statistics went unnoticed" >&2; return 1
  fi
  rm -rf "$dir"
}
self_test

CACHE="${KEEPSAKE_CACHE:-$HOME/.cache/keepsake}"
SECONDS_EACH="${KEEPSAKE_FUZZ_SECONDS:-45}"
CLI="${CARGO_TARGET_DIR:-$CACHE/target}/release/keepsake"
CARGO_FUZZ="$(command -v cargo-fuzz || echo "$CACHE/tools/bin/cargo-fuzz")"
export RUSTC_BOOTSTRAP=1
# Its own target folder: sanitizer builds must not evict the main build's artifacts.
export CARGO_TARGET_DIR="$CACHE/fuzz-target"
CORPUS="$CACHE/fuzz-corpus"
PHOTOS="$(cd ../shared/testdata/photos && pwd)"

LOGS="$CACHE/fuzz-logs"
mkdir -p "$CORPUS/object_decoder" "$CORPUS/vault_header" "$CORPUS/photo_metadata" \
  "$CORPUS/decoder_limits" "$LOGS"
# Seeds: each container declaring 2^31 - 1 pixels a side.
for kind in 0 1 2 3; do
  printf '\xff\xff\xff\x7f\xff\xff\xff\x7f\x0%s\x08\x02' "$kind" >"$CORPUS/decoder_limits/huge-$kind"
done
# Seeds: real headers (made by the CLI), and the sample photos under 1.5 MB.
SEED_VAULT="$(mktemp -d)"
trap 'rm -rf "$SEED_VAULT"' EXIT
KEEPSAKE_PASSWORD="fuzz seed password" "$CLI" --vault "$SEED_VAULT/v" init \
  --kdf-memory-mib 8 --kdf-passes 1 >/dev/null
cp "$SEED_VAULT/v/keepsake-vault.json" "$CORPUS/vault_header/seed-header"
find "$PHOTOS/exif-samples" "$PHOTOS/formats" "$PHOTOS/malformed" -type f -size -1500k \
  ! -name '*.mov' ! -name '*.mp4' -exec cp -n {} "$CORPUS/photo_metadata/" \;

"$CARGO_FUZZ" build --release --fuzz-dir fuzz # a build failure must fail loudly
for target in object_decoder vault_header photo_metadata decoder_limits; do
  echo "fuzzing $target for ${SECONDS_EACH}s"
  log="$LOGS/$target.log"
  status=0
  # decoder_limits: one allocation past the decode budget (1 GiB) is a finding.
  malloc_limit=3000
  [ "$target" = decoder_limits ] && malloc_limit=1100
  "$CARGO_FUZZ" run --release --fuzz-dir fuzz "$target" "$CORPUS/$target" -- \
    -max_total_time="$SECONDS_EACH" -max_len=1500000 -rss_limit_mb=3000 \
    -malloc_limit_mb="$malloc_limit" -print_final_stats=1 >"$log" 2>&1 || status=$?
  grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)|ERROR|panicked|SUMMARY|artifact" "$log" || true
  check_run "$target" "$status" "$log" "fuzz/artifacts/$target" "$(min_execs "$target")"
done
