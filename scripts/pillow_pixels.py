#!/usr/bin/env python3
"""Write the pixels Pillow decodes for every fixture image, as checksums, for VigilMedia's tests.

For each image under Tests/Fixtures/reference/images and Tests/Fixtures/media this writes one row of
Tests/Fixtures/media/pillow-pixels.tsv:

    path  layout  width  height  bytes  fnv1a64  sha256

path      relative to Tests/Fixtures
layout    grey or rgb: what VigilMedia must produce for that file
bytes     number of pixel bytes (width * height * channels)
fnv1a64   64-bit FNV-1a of the pixel bytes, 16 lowercase hex digits (what the Swift test compares)
sha256    SHA-256 of the same bytes (for people and other tools)

The expected pixels are Pillow's:
  - greyscale sources (PNG grey / grey+alpha / 1-bit, greyscale JPEG): Image.convert('L');
  - 16-bit greyscale PNG (Pillow mode I;16): the raw 16-bit samples shifted right by 8 (the
    decoder's default SixteenBitPolicy.highByte; Pillow's own convert('L') would clip instead);
  - everything else (RGB, RGBA, palette, CMYK JPEG, WebP, every GIF): Image.convert('RGB').

Run with the project's virtual environment:  .venv/bin/python scripts/pillow_pixels.py
"""
from __future__ import annotations

import hashlib
import os

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")
SOURCES = [os.path.join(FIXTURES, "reference", "images"), os.path.join(FIXTURES, "media")]
OUT = os.path.join(FIXTURES, "media", "pillow-pixels.tsv")
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".gif"}

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK = (1 << 64) - 1


def fnv1a64(data: bytes) -> int:
    h = FNV_OFFSET
    for byte in data:
        h = ((h ^ byte) * FNV_PRIME) & MASK
    return h


def expected(path: str) -> tuple[str, int, int, bytes]:
    with Image.open(path) as im:
        fmt = im.format
        mode = im.mode
        if mode.startswith("I;16") or (mode == "I" and fmt == "PNG"):
            raw = np.asarray(im).astype(np.uint32)
            pixels = (raw >> 8).astype(np.uint8)
            return "grey", im.width, im.height, pixels.tobytes()
        if fmt in ("PNG", "JPEG") and mode in ("1", "L", "LA", "La"):
            out = im.convert("L")
            return "grey", out.width, out.height, out.tobytes()
        out = im.convert("RGB")
        return "rgb", out.width, out.height, out.tobytes()


def main() -> None:
    rows = []
    for source in SOURCES:
        for dirpath, _, names in os.walk(source):
            for name in names:
                if os.path.splitext(name)[1].lower() not in IMAGE_EXTENSIONS:
                    continue
                path = os.path.join(dirpath, name)
                layout, w, h, pixels = expected(path)
                rel = os.path.relpath(path, FIXTURES)
                rows.append((rel, layout, w, h, len(pixels), f"{fnv1a64(pixels):016x}",
                             hashlib.sha256(pixels).hexdigest()))
    rows.sort()
    with open(OUT, "w") as f:
        f.write("path\tlayout\twidth\theight\tbytes\tfnv1a64\tsha256\n")
        for row in rows:
            f.write("\t".join(str(c) for c in row) + "\n")
    print(f"wrote {len(rows)} rows to {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
