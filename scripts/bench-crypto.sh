#!/usr/bin/env bash
# Object-format throughput on one core beside `openssl speed -evp aes-256-gcm`, same run.
#   scripts/bench-crypto.sh            (KEEPSAKE_BENCH_MIB=2048 for a longer run)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${KEEPSAKE_CACHE:-$HOME/.cache/keepsake}/target}"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
cargo bench --quiet -p keepsake-crypto --bench object_throughput
