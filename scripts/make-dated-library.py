#!/usr/bin/env python3
"""Makes N small, distinct JPEGs whose EXIF dates spread over 2010-2026 (about 16 a day),
for benchmarks of the timeline at scale. Needs Pillow (bench-app.sh installs it in the venv).

    scripts/make-dated-library.py N OUT_DIR
"""
import os
import random
import sys
from datetime import datetime, timedelta

from PIL import Image

n, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(7)
start = datetime(2010, 1, 1)
span = (datetime(2026, 11, 1) - start).total_seconds()
for i in range(n):
    folder = os.path.join(out, f"{i // 1000:03d}")
    os.makedirs(folder, exist_ok=True)
    taken = start + timedelta(seconds=rng.random() * span)
    colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    img = Image.new("RGB", (320, 240), colour)
    img.paste((255 - colour[0], colour[1], 255 - colour[2]), (i % 280, 40, i % 280 + 40, 200))
    exif = Image.Exif()
    exif[0x8769] = {0x9003: taken.strftime("%Y:%m:%d %H:%M:%S")}  # DateTimeOriginal
    img.save(os.path.join(folder, f"IMG_{i:06d}.jpg"), quality=80, exif=exif)
print(f"{n} photos in {out}")
