#!/usr/bin/env python3
"""Independent reference decryptor for Keepsake vaults (header versions 1, 2 and 3).

This program was written from docs/FORMAT.md alone, without reading Keepsake's Rust
sources: it exists to show that the document is enough to get every original back out of
a vault. It unlocks the vault header (section 3; version 3 adds sealed slots and the
keys of earlier key epochs, section 3.11), derives the subkeys (section 4) and
decrypts every object under objects/<2 hex>/<32 hex> (section 6), streaming chunk by chunk.

    pip install cryptography blake3 argon2-cffi
    pip install mnemonic        # only for --recovery-key-env (BIP-39 English word list)

It also reads a remote's change log (docs/FORMAT.md, schema 16): with --log, VAULT_DIR is
a copy of a remote (its keepsake-vault.json, log/), every segment is authenticated and
checked against its name and the one before it, and the merged library is written to
OUT_DIR/library.json.

Usage:

    KEEPSAKE_PASSWORD='...' python3 keepsake_decrypt.py VAULT_DIR OUT_DIR
    KEEPSAKE_PASSWORD='...' python3 keepsake_decrypt.py --log REMOTE_DIR OUT_DIR
    KS_WORDS='24 words ...' python3 keepsake_decrypt.py --recovery-key-env KS_WORDS VAULT_DIR OUT_DIR

Limitations:

* The catalog (catalog.db) is SQLCipher, which Python's standard library cannot open, so
  it is not read. Consequently original file names are NOT restored: each plaintext is
  written as OUT_DIR/<object id>; the catalog's size and content_hash checks of section 11
  are not done; and unlisted objects (complete objects that have no catalog row, section
  8) cannot be told apart from catalogued objects, so they are decrypted too. quarantine/
  (second copies set aside by `verify --repair`) is not read, nor is proxies/ (schema 8:
  playable copies of videos, derived from originals; each is an object in the same format
  of section 6, so decrypt_object() reads one given its path and id).
* Entries under objects/ that are not <2 hex>/<32 hex> with a matching shard ("strays",
  section 1) are skipped with a warning on stderr; they do not count as failures. tmp/ is
  never read.
* Recovery-key unlock needs the BIP-39 English word list, taken from the `mnemonic` PyPI
  package (imported only when --recovery-key-env is used).

Each plaintext is streamed into a hidden temporary file in OUT_DIR and renamed to
OUT_DIR/<object id> only after the whole object, final chunk included, has authenticated;
on any error the temporary file is removed. Existing files of the same name are replaced.

Exit codes: 0 every object decrypted; 3 wrong password / wrong recovery key (the slot does
not open); 4 at least one object failed (one line per failure on stderr: object id and
reason; the other objects are still decrypted); 1 any other error (usage, header damaged or
tampered, unsupported version, I/O). A summary "decrypted N objects, M failed" is printed
on stdout once the objects have been walked.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import sys
import tempfile

import blake3
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# --- constants (FORMAT.md sections 3, 4, 5, 6) ------------------------------------------

HEADER_FILE = "keepsake-vault.json"
OBJECTS_DIR = "objects"

CTX_OBJWRAP = "keepsake 2026-11 object file-key wrapping"
CTX_CATALOG = "keepsake 2026-11 catalog database key"
CTX_CONTENT = "keepsake 2026-11 content hash"
CTX_KEYID = "keepsake 2026-11 vault key id"
CTX_MAC = "keepsake 2026-11 vault header mac"
CTX_RECOVERY = "keepsake 2026-11 recovery key wrapping"
# Section 3.11 (header version 3): key epochs and sealed slots.
CTX_EPOCH_WRAP = "keepsake 2026-12 epoch key wrapping"
CTX_SEALED_SLOT = "keepsake 2026-12 sealed slot"
CTX_RECOVERY_X25519 = "keepsake 2026-12 recovery slot x25519"
CTX_RECOVERY_CHECK = "keepsake 2026-12 recovery check"

KDF_MEMORY_KIB = (8192, 4194304)
KDF_ITERATIONS = (1, 64)
KDF_PARALLELISM = (1, 16)

WRAPPED_LEN = 60  # nonce(12) || ciphertext(32) || tag(16)
SEALED_LEN = 92  # ephemeral X25519 public key(32) || wrapped(60)
TAG_LEN = 16

OBJ_MAGIC = b"KSAKEOBJ"
OBJ_VERSION = 1
OBJ_HEADER_LEN = 100
CHUNK_LOG2 = (16, 22)
DIAGNOSE_WINDOW = 64

EXIT_OK = 0
EXIT_OTHER = 1
EXIT_WRONG_PASSWORD = 3
EXIT_OBJECT_FAILED = 4

_HEX32 = re.compile(r"[0-9a-f]{32}")
_HEX2 = re.compile(r"[0-9a-f]{2}")
_HEX64_ANYCASE = re.compile(r"[0-9a-fA-F]{64}")


class Fatal(Exception):
    """An error that stops the whole run; carries the exit code."""

    def __init__(self, message: str, code: int = EXIT_OTHER):
        super().__init__(message)
        self.code = code


class ObjectError(Exception):
    """One object could not be decrypted; the message is the reason."""


# --- primitives (section 2) -------------------------------------------------------------


def derive_key(context: str, material: bytes) -> bytes:
    """DeriveKey(context, material): BLAKE3 key-derivation mode, 32 bytes."""
    return blake3.blake3(material, derive_key_context=context).digest()


def keyed_hash(key: bytes, data: bytes) -> bytes:
    """KeyedHash(key, data): BLAKE3 keyed mode, 32 bytes."""
    return blake3.blake3(data, key=key).digest()


def plain_hash(data: bytes) -> bytes:
    """Hash(data): plain BLAKE3, 32 bytes."""
    return blake3.blake3(data).digest()


def unwrap_key(kek: bytes, wrapped: bytes, aad: bytes) -> bytes:
    """Section 3.5. Raises InvalidTag if the wrap does not authenticate."""
    if len(wrapped) != WRAPPED_LEN:
        raise ValueError("wrapped key is not 60 bytes")
    return AESGCM(kek).decrypt(wrapped[0:12], wrapped[12:60], aad)


def password_key(password: bytes, salt: bytes, memory_kib: int, iterations: int,
                 parallelism: int) -> bytes:
    """Section 3.6: Argon2id v1.3, no secret, no associated data, 32-byte output."""
    return hash_secret_raw(
        secret=password,
        salt=salt,
        time_cost=iterations,
        memory_cost=memory_kib,
        parallelism=parallelism,
        hash_len=32,
        type=Type.ID,
        version=19,
    )


def open_sealed(secret: bytes, public_hex: str, sealed: bytes, aad: bytes) -> bytes:
    """Section 3.11: a vault key sealed to the X25519 key pair whose secret derives to
    `secret`. Raises InvalidTag when the secret is not the slot's."""
    private = X25519PrivateKey.from_private_bytes(secret)
    public = private.public_key().public_bytes_raw()
    if public.hex() != public_hex.lower():
        raise InvalidTag()
    if len(sealed) != SEALED_LEN:
        raise ValueError("a sealed slot is not 92 bytes")
    ephemeral = sealed[0:32]
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral))
    except ValueError as exc:  # a low-order point: the shared secret would be all zeros
        raise InvalidTag() from exc
    if shared == bytes(32):
        raise InvalidTag()
    kek = derive_key(CTX_SEALED_SLOT, shared + ephemeral + public)
    return unwrap_key(kek, sealed[32:], aad)


class Subkeys:
    """Section 4: every key derived from the vault key."""

    def __init__(self, vault_key: bytes):
        self.objwrap = derive_key(CTX_OBJWRAP, vault_key)
        self.catalog = derive_key(CTX_CATALOG, vault_key)
        self.content = derive_key(CTX_CONTENT, vault_key)
        self.keyid_full = derive_key(CTX_KEYID, vault_key)
        self.key_id = self.keyid_full[0:8]
        self.mac = derive_key(CTX_MAC, vault_key)


class Keyring:
    """Section 3.11: the subkeys of every key epoch; objects name theirs by key id."""

    def __init__(self, vault_keys: list[bytes]):
        self.epochs = [Subkeys(k) for k in vault_keys]

    def find(self, key_id: bytes) -> Subkeys | None:
        return next((k for k in reversed(self.epochs) if k.key_id == key_id), None)


# --- recovery key (section 5) -----------------------------------------------------------


def recovery_entropy(phrase: str) -> bytes:
    """Decode 24 BIP-39 English words to their 32 bytes of entropy (checksum checked)."""
    try:
        from mnemonic import Mnemonic  # BIP-39 English word list only
    except ImportError as exc:
        raise Fatal("--recovery-key-env needs the BIP-39 word list: pip install mnemonic") from exc
    wordlist = Mnemonic("english").wordlist
    if len(wordlist) != 2048:
        raise Fatal("unexpected BIP-39 word list size")
    index = {w: i for i, w in enumerate(wordlist)}
    words = [w.lower() for w in phrase.split()]
    if len(words) != 24:
        raise Fatal(f"recovery key must be exactly 24 words, got {len(words)}")
    bits = 0
    for w in words:
        if w not in index:
            raise Fatal(f"recovery key: {w!r} is not a BIP-39 English word")
        bits = (bits << 11) | index[w]
    # 24 * 11 = 264 bits: 256 bits of entropy, then 8 checksum bits.
    entropy = (bits >> 8).to_bytes(32, "big")
    checksum = bits & 0xFF
    if hashlib.sha256(entropy).digest()[0] != checksum:
        raise Fatal("recovery key: BIP-39 checksum does not match (mistyped word?)")
    return entropy


# --- vault header (section 3) -----------------------------------------------------------


def _damaged(why: str) -> Fatal:
    return Fatal(f"vault header damaged: {why}")


def _split_lines_like_rust(text: str) -> list[str]:
    """Rust's str::lines(): split on \\n, drop one \\r before it, final \\n optional."""
    parts = text.split("\n")
    if parts and parts[-1] == "":
        parts.pop()
    return [p[:-1] if p.endswith("\r") else p for p in parts]


def _get(obj: dict, key: str, kind: type, where: str):
    if not isinstance(obj, dict) or key not in obj:
        raise _damaged(f"{where}{key} missing")
    value = obj[key]
    if kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 0xFFFFFFFF
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise _damaged(f"{where}{key} has the wrong type")
    return value


def _b64(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise _damaged(f"{what} is not valid base64") from exc


def _reject_constant(name: str):
    raise ValueError(f"invalid JSON constant {name}")


def _json(text: str):
    return json.loads(text, parse_constant=_reject_constant)


def unlock(vault_dir: str, *, password: bytes | None = None,
           recovery_entropy_bytes: bytes | None = None) -> list[bytes]:
    """Sections 3.7 and 3.11. Returns the key of every epoch, oldest first, or raises
    Fatal."""
    path = os.path.join(vault_dir, HEADER_FILE)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError as exc:
        raise Fatal(f"{vault_dir}: not a Keepsake vault ({HEADER_FILE} missing)") from exc
    except OSError as exc:
        raise Fatal(f"cannot read {path}: {exc}") from exc

    # 1. Split into line 1 (body) and line 2 (seals).
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _damaged("not UTF-8") from exc
    lines = _split_lines_like_rust(text)
    if len(lines) < 2:
        raise _damaged("fewer than two lines")
    line1 = lines[0].encode("utf-8")  # the exact stored bytes of line 1
    line2 = lines[1]

    # 2. Seals and checksum, before any key is tried.
    try:
        seals = _json(line2)
    except ValueError as exc:
        raise _damaged("seals line is not JSON") from exc
    if not isinstance(seals, dict):
        raise _damaged("seals line is not a JSON object")
    checksum = _get(seals, "checksum", str, "seals.")
    mac_hex = _get(seals, "mac", str, "seals.")
    if plain_hash(line1).hex() != checksum:
        raise _damaged("checksum mismatch")

    # 3. Body.
    try:
        body = _json(line1.decode("utf-8"))
    except ValueError as exc:
        raise _damaged("body line is not JSON") from exc
    if not isinstance(body, dict):
        raise _damaged("body line is not a JSON object")
    if _get(body, "format", str, "") != "keepsake-vault":
        raise _damaged("format is not \"keepsake-vault\"")
    version = _get(body, "version", int, "")
    # Version 2 only drops the device names and dates from `devices` (section 3.9), which
    # this reader never uses: both read the same way. Version 3 adds sealed slots and key
    # epochs (section 3.11). `generation` (section 3.10) orders headers for sync;
    # decrypting does not need it.
    if version not in (1, 2, 3):
        raise Fatal(f"unsupported vault header version {version} (made by a newer Keepsake?)")
    vault_id = _get(body, "vault_id", str, "")
    kdf = _get(body, "kdf", dict, "")
    if _get(kdf, "algorithm", str, "kdf.") != "argon2id":
        raise _damaged("kdf.algorithm is not \"argon2id\"")
    if not _HEX64_ANYCASE.fullmatch(mac_hex):
        raise _damaged("mac is not 64 hex digits")
    mac = bytes.fromhex(mac_hex)

    # 4. Key-encryption key.
    if recovery_entropy_bytes is not None:
        kek = derive_key(CTX_RECOVERY, recovery_entropy_bytes)
        slot_secret = derive_key(CTX_RECOVERY_X25519, recovery_entropy_bytes)
        check_key = derive_key(CTX_RECOVERY_CHECK, recovery_entropy_bytes)
        slot_field, slot_name = "recovery_slot", "recovery"
    else:
        assert password is not None
        memory_kib = _get(kdf, "memory_kib", int, "kdf.")
        iterations = _get(kdf, "iterations", int, "kdf.")
        parallelism = _get(kdf, "parallelism", int, "kdf.")
        for name, value, (lo, hi) in (("memory_kib", memory_kib, KDF_MEMORY_KIB),
                                      ("iterations", iterations, KDF_ITERATIONS),
                                      ("parallelism", parallelism, KDF_PARALLELISM)):
            if not lo <= value <= hi:
                raise Fatal(f"vault header refused: kdf.{name} = {value} outside {lo}..={hi}")
        salt = _b64(_get(kdf, "salt", str, "kdf."), "kdf.salt")
        kek = password_key(password, salt, memory_kib, iterations, parallelism)
        slot_secret = check_key = None
        slot_field, slot_name = "password_slot", "password"

    # 5. Open the slot: sealed (the recovery slot of version 3, with a public key) or
    # wrapped.
    slot = _b64(_get(body, slot_field, str, ""), slot_field)
    public = body.get("recovery_public") if slot_name == "recovery" else None
    try:
        if isinstance(public, str):
            if len(slot) != SEALED_LEN:
                raise _damaged(f"{slot_field} is {len(slot)} bytes, not 92")
            aad = f"keepsake-vault v3 sealed {slot_name} slot {vault_id}".encode("utf-8")
            vault_key = open_sealed(slot_secret, public, slot, aad)
        else:
            if len(slot) != WRAPPED_LEN:
                raise _damaged(f"{slot_field} is {len(slot)} bytes, not 60")
            aad = f"keepsake-vault v1 {slot_name} slot {vault_id}".encode("utf-8")
            vault_key = unwrap_key(kek, slot, aad)
    except InvalidTag as exc:
        what = "recovery key" if slot_name == "recovery" else "password"
        raise Fatal(f"wrong {what}", EXIT_WRONG_PASSWORD) from exc

    # 6. Header MAC.
    if not hmac.compare_digest(keyed_hash(derive_key(CTX_MAC, vault_key), line1), mac):
        raise Fatal("vault header tampered: MAC mismatch (vault key refused)")

    # 7. The earlier epochs' keys, wrapped under this one (section 3.11).
    epoch_kek = derive_key(CTX_EPOCH_WRAP, vault_key)
    keys = []
    for i, wrapped in enumerate(body.get("epochs", [])):
        aad = f"keepsake-vault v3 epoch {vault_id} {i}".encode("utf-8")
        try:
            keys.append(unwrap_key(epoch_kek, _b64(wrapped, f"epochs[{i}]"), aad))
        except (InvalidTag, ValueError) as exc:
            raise Fatal(f"vault header tampered: epochs[{i}] does not unwrap") from exc
    keys.append(vault_key)

    # 8. A sealed recovery slot must carry the check of the vault's first key (3.11).
    if isinstance(public, str):
        root_fingerprint = derive_key(CTX_KEYID, keys[0])  # all 32 bytes
        check = keyed_hash(check_key, vault_id.encode("utf-8") + root_fingerprint
                           + public.encode("utf-8")).hex()
        if not hmac.compare_digest(check, str(body.get("recovery_check", ""))):
            raise Fatal("vault header tampered: the recovery check does not match")
    return keys


# --- objects (section 6) ----------------------------------------------------------------


def _chunk_nonce(i: int, final: int) -> bytes:
    return i.to_bytes(11, "big") + bytes([final])


def _chunk_aad(object_id: bytes, i: int, final: int) -> bytes:
    return object_id + i.to_bytes(8, "big") + bytes([final])


def _try_open(aes: AESGCM, object_id: bytes, i: int, final: int, blob: bytes) -> bytes | None:
    if i >= 1 << 64:
        return None
    try:
        return aes.decrypt(_chunk_nonce(i, final), blob, _chunk_aad(object_id, i, final))
    except InvalidTag:
        return None


def _diagnose(aes: AESGCM, object_id: bytes, i: int, final: int, blob: bytes) -> str:
    """Section 10: why chunk i failed to open under its position's flag."""
    if _try_open(aes, object_id, i, 1 - final, blob) is not None:
        if final:
            return f"truncated after {i + 1} chunks"
        return f"trailing data after chunk {i} (the real final chunk)"
    for j in range(max(0, i - DIAGNOSE_WINDOW), i + DIAGNOSE_WINDOW + 1):
        if j == i:
            continue
        for flag in (0, 1):
            if _try_open(aes, object_id, j, flag, blob) is not None:
                return f"chunk out of place: chunk at position {i} belongs at {j}"
    return f"chunk {i} corrupt"


def _read_full(f, n: int) -> bytes:
    """Read up to n bytes, looping over short reads; fewer only at end of file."""
    parts = []
    while n > 0:
        b = f.read(n)
        if not b:
            break
        parts.append(b)
        n -= len(b)
    return b"".join(parts)


def decrypt_object(src, out, keyring: Keyring, expected_id: bytes | None) -> int:
    """Section 6.5, streaming: read from binary file `src`, write each authenticated chunk
    to binary file `out`. Returns the plaintext length. Raises ObjectError. The caller MUST
    discard `out` unless this returns normally (the final chunk has opened)."""
    h = _read_full(src, OBJ_HEADER_LEN)
    if len(h) >= 8 and h[0:8] != OBJ_MAGIC:
        raise ObjectError("not a Keepsake object (bad magic)")
    if len(h) < OBJ_HEADER_LEN:
        raise ObjectError(f"header truncated ({len(h)} of 100 bytes)")
    if h[8] != OBJ_VERSION:
        raise ObjectError(f"unsupported object version {h[8]}")
    chunk_log2 = h[9]
    if not CHUNK_LOG2[0] <= chunk_log2 <= CHUNK_LOG2[1]:
        raise ObjectError(f"bad chunk size (chunk_log2 = {chunk_log2})")
    keys = keyring.find(h[16:24])
    if keys is None:
        raise ObjectError("wrong key (key id is none of this vault's epochs: object from "
                          "another vault, or from a key epoch this header does not hold?)")
    try:
        file_key = unwrap_key(keys.objwrap, h[40:100], h[0:40])
    except InvalidTag as exc:
        raise ObjectError("header tampered (file key does not unwrap)") from exc
    object_id = h[24:40]
    if expected_id is not None and object_id != expected_id:
        raise ObjectError(f"wrong object: header holds object {object_id.hex()}")

    aes = AESGCM(file_key)
    u = (1 << chunk_log2) + TAG_LEN
    total = 0
    i = 0
    # One byte of look-ahead (section 6.4): a chunk is final iff at most U bytes remain.
    buf = _read_full(src, u + 1)
    while True:
        final = 1 if len(buf) <= u else 0
        n = min(len(buf), u)
        if n < TAG_LEN:
            raise ObjectError(f"truncated after {i} chunks")
        blob = buf[:n]
        plain = _try_open(aes, object_id, i, final, blob)
        if plain is None:
            raise ObjectError(_diagnose(aes, object_id, i, final, blob))
        out.write(plain)
        total += len(plain)
        i += 1
        if final:
            return total
        # buf held U+1 bytes: keep the look-ahead byte and read up to U more.
        rest = buf[n:]
        buf = rest + _read_full(src, u + 1 - len(rest))


def _object_paths(vault_dir: str):
    """Yield (object id hex, path) for objects/<2 hex>/<32 hex>, sorted; warn on strays."""
    objects = os.path.join(vault_dir, OBJECTS_DIR)
    if not os.path.isdir(objects):
        raise Fatal(f"{objects}: missing (not a Keepsake vault?)")
    for shard in sorted(os.listdir(objects)):
        shard_path = os.path.join(objects, shard)
        if not (_HEX2.fullmatch(shard) and os.path.isdir(shard_path)
                and not os.path.islink(shard_path)):
            print(f"warning: stray entry objects/{shard} skipped", file=sys.stderr)
            continue
        for name in sorted(os.listdir(shard_path)):
            path = os.path.join(shard_path, name)
            if not (_HEX32.fullmatch(name) and name[:2] == shard and os.path.isfile(path)
                    and not os.path.islink(path)):
                print(f"warning: stray entry objects/{shard}/{name} skipped", file=sys.stderr)
                continue
            yield name, path


def _decrypt_to(path: str, object_hex: str, out_dir: str, keys: Keyring) -> None:
    """Decrypt one object to out_dir/<id> via a temporary file; raises ObjectError."""
    final_path = os.path.join(out_dir, object_hex)
    fd, tmp_path = tempfile.mkstemp(prefix=f".keepsake-{object_hex}.", suffix=".partial",
                                    dir=out_dir)  # mode 0600
    done = False
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with open(path, "rb") as src:
                    decrypt_object(src, out, keys, bytes.fromhex(object_hex))
            except OSError as exc:
                raise ObjectError(f"I/O error reading object: {exc}") from exc
            try:
                out.flush()
                os.fsync(out.fileno())
            except OSError as exc:
                raise ObjectError(f"I/O error writing output: {exc}") from exc
        try:
            os.replace(tmp_path, final_path)
        except OSError as exc:
            raise ObjectError(f"cannot rename output into place: {exc}") from exc
        done = True
    except OSError as exc:  # e.g. write() failing inside decrypt_object, or close()
        raise ObjectError(f"I/O error writing output: {exc}") from exc
    finally:
        if not done:
            try:
                os.unlink(tmp_path)
            except OSError:
                pass


def decrypt_vault(vault_dir: str, out_dir: str, vault_keys: list[bytes]) -> tuple[int, int]:
    keys = Keyring(vault_keys)
    vault_real = os.path.realpath(vault_dir)
    out_real = os.path.realpath(out_dir)
    if os.path.commonpath([vault_real, out_real]) == vault_real:
        raise Fatal("refusing to write plaintext inside the vault folder")
    try:
        os.makedirs(out_dir, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise Fatal(f"cannot create {out_dir}: {exc}") from exc
    ok = failed = 0
    for object_hex, path in _object_paths(vault_dir):
        try:
            _decrypt_to(path, object_hex, out_dir, keys)
            ok += 1
        except ObjectError as exc:
            failed += 1
            print(f"{object_hex}: {exc}", file=sys.stderr)
    return ok, failed


# --- change log (FORMAT.md, "Schema version 16 and the change log") ---------------------

LOG_DIR = "log"
LOG_MAX_JSON = 256 << 20
_SEQ20 = re.compile(r"[0-9]{20}")


def _read_segment(path: str, device: str, seq: int, keys: Keyring) -> tuple[dict, str]:
    """Authenticate one segment, unzip it, and check it is the one its name promises.
    Returns the segment and the BLAKE3 of its JSON."""
    import gzip
    import io
    out = io.BytesIO()
    with open(path, "rb") as src:
        decrypt_object(src, out, keys, None)
    with gzip.GzipFile(fileobj=io.BytesIO(out.getvalue())) as gz:
        raw = gz.read(LOG_MAX_JSON + 1)
    if len(raw) > LOG_MAX_JSON:
        raise Fatal(f"{path}: unzips to more than 256 MiB")
    segment = _json(raw.decode("utf-8"))
    if segment.get("format") != "keepsake-log" or segment.get("version") != 1:
        raise Fatal(f"{path}: not a version 1 keepsake-log segment")
    if segment.get("device") != device or segment.get("seq") != seq:
        raise Fatal(f"{path}: holds seq {segment.get('seq')} of device "
                    f"{segment.get('device')}: renamed or replayed")
    return segment, plain_hash(raw).hex()


def read_log(remote_dir: str, vault_keys: list[bytes]) -> dict:
    """Every device's segments under log/, checked (names, chain), merged: each register
    keeps the op with the greatest clock; `purged` wins over the rest of its item.
    Returns {"items": {id: {field: value}}, "albums": {uid: {field: value}},
    "members": {uid: [item ids]}} for the items and albums that are shown."""
    keys = Keyring(vault_keys)
    log = os.path.join(remote_dir, LOG_DIR)
    registers: dict[tuple[str, str], tuple[str, object]] = {}
    for device in sorted(os.listdir(log)) if os.path.isdir(log) else []:
        if not _HEX32.fullmatch(device):
            continue
        names = sorted(n for n in os.listdir(os.path.join(log, device)) if _SEQ20.fullmatch(n))
        prev = None
        for expected, name in enumerate(names, start=1):
            if int(name) != expected:
                raise Fatal(f"log/{device}/{expected:020} is missing")
            segment, digest = _read_segment(os.path.join(log, device, name), device,
                                            expected, keys)
            if segment.get("prev") != prev:
                raise Fatal(f"log/{device}/{name} does not follow the segment before it")
            prev = digest
            for op in segment["ops"]:
                key = (op["entity"], op["field"])
                if key not in registers or registers[key][0] < op["hlc"]:
                    registers[key] = (op["hlc"], op["value"])
    items: dict[str, dict] = {}
    albums: dict[str, dict] = {}
    members: dict[str, list] = {}
    for (entity, field), (_, value) in sorted(registers.items()):
        kind, _, rest = entity.partition("/")
        if kind == "item":
            items.setdefault(rest, {})[field] = value
        elif kind == "album":
            albums.setdefault(rest, {})[field] = value
        elif kind == "member" and field == "in" and value is True:
            uid, _, item = rest.partition("/")
            members.setdefault(uid, []).append(item)
    items = {i: f for i, f in items.items() if "row" in f and not f.get("purged")}
    albums = {u: f for u, f in albums.items() if "name" in f and not f.get("deleted")}
    members = {u: sorted(i for i in m if i in items) for u, m in members.items() if u in albums}
    return {"items": items, "albums": albums, "members": members}


# --- CLI --------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors exit 1, not argparse's 2
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(EXIT_OTHER)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(
        description="Decrypt every object of a Keepsake vault (reference implementation "
                    "written from docs/FORMAT.md). The password is read from the "
                    "KEEPSAKE_PASSWORD environment variable.")
    parser.add_argument("vault_dir", metavar="VAULT_DIR")
    parser.add_argument("out_dir", metavar="OUT_DIR")
    parser.add_argument("--log", action="store_true",
                        help="VAULT_DIR is a copy of a remote: merge its change log and "
                             "write the library it describes to OUT_DIR/library.json")
    parser.add_argument("--recovery-key-env", metavar="VAR",
                        help="unlock with the 24 recovery words held in environment "
                             "variable VAR instead of the password")
    args = parser.parse_args(argv)

    try:
        if args.recovery_key_env:
            phrase = os.environ.get(args.recovery_key_env)
            if phrase is None:
                raise Fatal(f"environment variable {args.recovery_key_env} is not set")
            vault_keys = unlock(args.vault_dir, recovery_entropy_bytes=recovery_entropy(phrase))
        else:
            password = os.environ.get("KEEPSAKE_PASSWORD")
            if password is None:
                raise Fatal("environment variable KEEPSAKE_PASSWORD is not set")
            try:
                password_bytes = password.encode("utf-8")  # exactly as given, no trimming
            except UnicodeEncodeError as exc:
                raise Fatal("KEEPSAKE_PASSWORD is not valid UTF-8") from exc
            vault_keys = unlock(args.vault_dir, password=password_bytes)
        if args.log:
            library = read_log(args.vault_dir, vault_keys)
            os.makedirs(args.out_dir, exist_ok=True)
            with open(os.path.join(args.out_dir, "library.json"), "w") as out:
                json.dump(library, out, indent=1, sort_keys=True)
            print(f"merged the change log: {len(library['items'])} items, "
                  f"{len(library['albums'])} albums")
            return EXIT_OK
        ok, failed = decrypt_vault(args.vault_dir, args.out_dir, vault_keys)
    except Fatal as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_OTHER

    print(f"decrypted {ok} objects, {failed} failed")
    return EXIT_OBJECT_FAILED if failed else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
