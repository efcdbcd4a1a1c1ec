#!/usr/bin/env python3
"""Makes a synthetic library of N distinct photos for benchmarks: the sample JPEGs (and
HEICs) copied round-robin, each made unique by bytes appended after its end-of-image
marker (decoders ignore them; content hashes differ, so none is a duplicate).

    scripts/make-library.py N OUT_DIR [SAMPLES_DIR]
"""
import os
import sys

n, out = int(sys.argv[1]), sys.argv[2]
samples = sys.argv[3] if len(sys.argv) > 3 else os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "testdata", "photos", "exif-samples")
sources = sorted(
    os.path.join(samples, f) for f in os.listdir(samples)
    if f.lower().endswith((".jpg", ".heic")) and "corrupted" not in f)
blobs = [open(p, "rb").read() for p in sources]
for i in range(n):
    folder = os.path.join(out, f"{i // 1000:03d}")  # 1000 per folder, like a camera roll
    os.makedirs(folder, exist_ok=True)
    blob = blobs[i % len(blobs)]
    ext = os.path.splitext(sources[i % len(sources)])[1]
    with open(os.path.join(folder, f"IMG_{i:06d}{ext}"), "wb") as f:
        f.write(blob + b"keepsake-bench-%d" % i)
print(f"{n} photos from {len(sources)} samples in {out}")
