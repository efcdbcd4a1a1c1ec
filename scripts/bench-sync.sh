#!/usr/bin/env bash
# Upload and restore through the same local S3 server (rclone serve s3, authentication on),
# same photos, same run: `keepsake sync` vs `rclone copy` into an rclone crypt remote vs
# `restic backup`; then `keepsake restore` vs `restic restore`.
#   scripts/bench-sync.sh [DIR]     (default: ../shared/testdata/photos)
# Needs restic (apt-get install restic) and scripts/setup.sh's rclone.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=$(realpath "${1:-../shared/testdata/photos}")
CACHE="${KEEPSAKE_CACHE:-$HOME/.cache/keepsake}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
RCLONE="${KEEPSAKE_RCLONE:-$CACHE/venv/bin/rclone}"
command -v restic >/dev/null || { echo "restic is needed: apt-get install restic" >&2; exit 1; }
cargo build --release --quiet -p keepsake-cli
BIN="$CARGO_TARGET_DIR/release/keepsake"
T=$(mktemp -d)
PORT=$((20000 + RANDOM % 20000))
export AWS_ACCESS_KEY_ID=AKIABENCHKEY0001 AWS_SECRET_ACCESS_KEY=benchsecretbenchsecret01
mkdir -p "$T/s3/bucket"
"$RCLONE" serve s3 --addr "127.0.0.1:$PORT" --auth-key "$AWS_ACCESS_KEY_ID,$AWS_SECRET_ACCESS_KEY" "$T/s3" >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$T"' EXIT
until (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do sleep 0.1; done
ENDPOINT="http://127.0.0.1:$PORT"
mb=$(du -sm --apparent-size "$DIR" | cut -f1)
echo "machine: $(nproc) cores; $(find "$DIR" -type f | wc -l) files, $mb MB from $DIR; S3: rclone serve s3 on loopback"

seconds() {
  local start=$EPOCHREALTIME
  "$@" >/dev/null 2>&1 || echo "warning: $1 failed" >&2
  awk "BEGIN { print $EPOCHREALTIME - $start }"
}

export KEEPSAKE_PASSWORD=benchmark-password
"$BIN" --vault "$T/vault" init --kdf-memory-mib 8 --kdf-passes 1 >/dev/null
"$BIN" --vault "$T/vault" import "$DIR" >/dev/null || true
vault_mb=$(du -sm --apparent-size "$T/vault/objects" | cut -f1)
"$BIN" --vault "$T/vault" remote add bench "s3://bucket/keepsake?endpoint=$ENDPOINT" >/dev/null
ks_up=$(seconds "$BIN" --vault "$T/vault" sync)

export RCLONE_CONFIG_S3_TYPE=s3 RCLONE_CONFIG_S3_PROVIDER=Other RCLONE_CONFIG_S3_ENDPOINT="$ENDPOINT"
export RCLONE_CONFIG_S3_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" RCLONE_CONFIG_S3_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY"
export RCLONE_CONFIG_CRYPT_TYPE=crypt RCLONE_CONFIG_CRYPT_REMOTE=s3:bucket/rclone-crypt
RCLONE_CONFIG_CRYPT_PASSWORD=$("$RCLONE" obscure benchmark-password)
export RCLONE_CONFIG_CRYPT_PASSWORD
rc_up=$(seconds "$RCLONE" copy "$DIR" crypt:)

export RESTIC_PASSWORD=benchmark-password RESTIC_REPOSITORY="s3:$ENDPOINT/bucket/restic"
restic init >/dev/null 2>&1
rs_up=$(seconds restic backup "$DIR")

# One more photo, after the library is up (the change log's promise: it costs that photo,
# its renditions and a small segment, not the catalog): a JPEG of the set with 16 bytes
# after its end, so it is new to the vault.
bucket_bytes() { du -sb --apparent-size "$T/s3/bucket/keepsake" | cut -f1; }
mkdir -p "$T/one"
src=$(find "$DIR" -type f -iname '*.jpg' -print -quit)
cp "$src" "$T/one/one-more.jpg" && head -c 16 /dev/zero >> "$T/one/one-more.jpg"
"$BIN" --vault "$T/vault" import "$T/one" >/dev/null
before=$(bucket_bytes)
"$BIN" --vault "$T/vault" sync --json > "$T/one.json"
grown=$(( $(bucket_bytes) - before ))
"$BIN" --vault "$T/vault" sync --json > "$T/idle.json"
catalog_bytes=$(stat -c %s "$T/vault/catalog.db")

ks_down=$(seconds "$BIN" --vault "$T/restored" restore "s3://bucket/keepsake?endpoint=$ENDPOINT")
rs_down=$(seconds restic restore latest --target "$T/restic-restore")
# A new device keeping originals on demand: the catalog and thumbnails only.
od_down=$(seconds "$BIN" --vault "$T/on-demand" restore "s3://bucket/keepsake?endpoint=$ENDPOINT" --originals on-demand)
full_bytes=$(du -sb --apparent-size "$T/restored" | cut -f1)
od_bytes=$(du -sb --apparent-size "$T/on-demand" | cut -f1)

python3 - "$mb" "$vault_mb" "$ks_up" "$rc_up" "$rs_up" "$ks_down" "$rs_down" \
  "$(stat -c %s "$T/one/one-more.jpg")" "$grown" "$catalog_bytes" "$T/one.json" "$T/idle.json" \
  "$od_down" "$full_bytes" "$od_bytes" <<'PY'
import json, sys
mb, vault_mb, ks_up, rc_up, rs_up, ks_down, rs_down, photo, grown, catalog = map(float, sys.argv[1:11])
one, idle = (json.load(open(p))[0] for p in sys.argv[11:13])
od_down, full_bytes, od_bytes = map(float, sys.argv[13:16])
print(f"one more photo: {photo / 1e3:.0f} KB; sync sent {one['bytes_uploaded'] / 1e3:.0f} KB, "
      f"the bucket grew {grown / 1e3:.0f} KB (catalog {catalog / 1e6:.1f} MB, "
      f"snapshot {'yes' if one['snapshot'] else 'no'}); a sync with no change sent "
      f"{idle['bytes_uploaded']} bytes")
rate = lambda s: mb / s
print(f"upload   keepsake sync      {ks_up:6.2f} s  {rate(ks_up):7.1f} MB/s  ({vault_mb:.0f} MB of objects)")
print(f"upload   rclone crypt copy  {rc_up:6.2f} s  {rate(rc_up):7.1f} MB/s")
print(f"upload   restic backup      {rs_up:6.2f} s  {rate(rs_up):7.1f} MB/s")
print(f"restore  keepsake restore   {ks_down:6.2f} s  {rate(ks_down):7.1f} MB/s")
print(f"restore  restic restore     {rs_down:6.2f} s  {rate(rs_down):7.1f} MB/s")
print(f"restore  keepsake on demand {od_down:6.2f} s  ({od_bytes / 1e6:.1f} MB on disk, "
      f"{100 * od_bytes / full_bytes:.1f}% of the full restore's {full_bytes / 1e6:.1f} MB)")
print(f"ratios: upload keepsake/rclone-crypt {rc_up / ks_up:.2f}, keepsake/restic {rs_up / ks_up:.2f}; "
      f"restore keepsake/restic {rs_down / ks_down:.2f}  (targets >= 1.0)")
PY
