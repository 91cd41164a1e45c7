#!/usr/bin/env python3
"""Generate the small, benign image fixtures for VigilMedia's tests.

Writes Tests/Fixtures/media/ (valid images in every mode the decoder handles) and
Tests/Fixtures/bad/ (empty, truncated, corrupt, decompression-bomb headers, mislabelled and
random files). Everything is deterministic: gradients, shapes and seeded noise only.

Run with the project's virtual environment (Pillow 13, numpy):
    .venv/bin/python scripts/make_media_fixtures.py
"""
from __future__ import annotations

import io
import os
import struct
import zlib

import numpy as np
from PIL import Image, ImageDraw

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MEDIA = os.path.join(ROOT, "Tests", "Fixtures", "media")
BAD = os.path.join(ROOT, "Tests", "Fixtures", "bad")


def scene(w: int, h: int, seed: int = 1) -> Image.Image:
    """An RGB gradient with a few shapes and a little seeded noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    r = (x * 255 // max(w - 1, 1)).astype(np.int32)
    g = (y * 255 // max(h - 1, 1)).astype(np.int32)
    b = ((x + y) * 255 // max(w + h - 2, 1)).astype(np.int32)
    arr = np.stack([r, g, b], axis=-1) + rng.integers(-12, 13, size=(h, w, 3))
    im = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(im)
    d.ellipse([w // 5, h // 5, w // 2, h // 2], fill=(230, 40, 40))
    d.rectangle([w // 2, h // 3, w - w // 6, h - h // 6], fill=(20, 60, 200))
    d.line([0, h - 1, w - 1, 0], fill=(250, 250, 0), width=max(1, w // 40))
    return im


def alpha_mask(w: int, h: int) -> Image.Image:
    """Opaque left third, transparent stripe, then a horizontal alpha ramp."""
    a = np.zeros((h, w), np.uint8)
    a[:, : w // 3] = 255
    a[:, w // 3 : w // 2] = 0
    ramp = np.linspace(0, 255, w - w // 2).astype(np.uint8)
    a[:, w // 2 :] = ramp[None, :]
    return Image.fromarray(a, "L")


# ---------------------------------------------------------------------------------------------
# Hand-written PNG (Pillow cannot write 16-bit RGB/RGBA or extra colour chunks).

def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_png(samples: np.ndarray, color_type: int, bit_depth: int, extra: list[tuple[bytes, bytes]] = ()) -> bytes:
    """samples: (h, w, c) array of ints, big-endian packed at `bit_depth` (8 or 16)."""
    h, w = samples.shape[:2]
    dtype = ">u2" if bit_depth == 16 else "u1"
    raw = b"".join(b"\x00" + samples[row].astype(dtype).tobytes() for row in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0)
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
    for kind, data in extra:
        out += png_chunk(kind, data)
    out += png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b"")
    return out


def insert_chunks_after_ihdr(png: bytes, chunks: list[tuple[bytes, bytes]]) -> bytes:
    ihdr_end = 8 + 4 + 4 + 13 + 4
    return png[:ihdr_end] + b"".join(png_chunk(k, d) for k, d in chunks) + png[ihdr_end:]


def sixteen_bit_rgb(w: int, h: int, channels: int) -> np.ndarray:
    """Picture in the high byte, a deterministic pattern in the low byte (so policies differ)."""
    y, x = np.mgrid[0:h, 0:w]
    hi = [(x * 255 // (w - 1)), (y * 255 // (h - 1)), ((x ^ y) & 255)]
    lo = [(x * 37 + y * 11) & 255, (x * 5 + y * 97) & 255, (x * 71 + y * 3) & 255]
    planes = [(hi[i] << 8) | lo[i] for i in range(3)]
    if channels == 4:
        # alpha: opaque left half, then 0, then 0x8000, then a ramp in the last quarter
        a = np.full((h, w), 65535)
        a[:, w // 2 : w * 5 // 8] = 0
        a[:, w * 5 // 8 : w * 3 // 4] = 0x8000
        a[:, w * 3 // 4 :] = (x[:, w * 3 // 4 :] * 65535 // (w - 1))
        planes.append(a)
    return np.stack(planes, axis=-1)


# ---------------------------------------------------------------------------------------------
# GIF helpers: re-frame a Pillow-written single-image GIF onto a larger logical screen.

def gif_blocks(data: bytes):
    """Yield (offset_of_image_descriptor) for every image in a GIF."""
    pos = 13
    flags = data[10]
    if flags & 0x80:
        pos += 3 * (2 ** ((flags & 7) + 1))
    while pos < len(data):
        b = data[pos]
        if b == 0x3B:
            return
        if b == 0x21:
            pos += 2
            while data[pos]:
                pos += data[pos] + 1
            pos += 1
        elif b == 0x2C:
            yield pos
            lflags = data[pos + 9]
            pos += 10
            if lflags & 0x80:
                pos += 3 * (2 ** ((lflags & 7) + 1))
            pos += 1  # LZW minimum code size
            while data[pos]:
                pos += data[pos] + 1
            pos += 1
        else:
            raise ValueError("bad gif block")


def reframe_gif(data: bytes, screen: tuple[int, int], offset: tuple[int, int], background: int) -> bytes:
    out = bytearray(data)
    struct.pack_into("<HH", out, 6, *screen)
    out[11] = background
    first = next(gif_blocks(data))
    struct.pack_into("<HH", out, first + 1, *offset)
    return bytes(out)


def jpeg_scans(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of every SOS segment with its entropy-coded data."""
    scans, pos = [], 0
    while (start := data.find(b"\xff\xda", pos)) >= 0:
        end = start + 2 + int.from_bytes(data[start + 2 : start + 4], "big")
        while not (data[end] == 0xFF and data[end + 1] != 0 and not 0xD0 <= data[end + 1] <= 0xD7):
            end += 1
        scans.append((start, end))
        pos = end
    return scans


def save(im: Image.Image, path: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, **kw)
    data = buf.getvalue()
    write(path, data)
    return data


def write(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def media() -> None:
    base = scene(96, 64, seed=3)

    # --- GIF
    pal = base.convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    save(pal, f"{MEDIA}/gif-gradient.gif", format="GIF")
    save(pal, f"{MEDIA}/gif-gradient-interlaced.gif", format="GIF", interlace=True)
    grey = base.convert("L")
    save(grey, f"{MEDIA}/gif-grey.gif", format="GIF")
    small = scene(40, 30, seed=4).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    data = save(small, f"{MEDIA}/tmp.gif", format="GIF", interlace=False)
    write(f"{MEDIA}/gif-small-frame.gif", reframe_gif(data, (80, 60), (10, 12), background=5))
    data = save(small, f"{MEDIA}/tmp.gif", format="GIF", transparency=3, interlace=False)
    write(f"{MEDIA}/gif-small-frame-transparent.gif", reframe_gif(data, (80, 60), (30, 20), background=7))
    # frame extends beyond the logical screen (Pillow grows the canvas)
    write(f"{MEDIA}/gif-frame-outside-screen.gif", reframe_gif(data, (50, 40), (20, 15), background=0))
    os.remove(f"{MEDIA}/tmp.gif")
    frames = [scene(48, 32, seed=s).convert("P", palette=Image.Palette.ADAPTIVE, colors=32) for s in (5, 6)]
    save(frames[0], f"{MEDIA}/gif-animated.gif", format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)

    # --- PNG
    save(base.convert("P", palette=Image.Palette.ADAPTIVE, colors=32), f"{MEDIA}/png-palette-trns.png",
         format="PNG", transparency=bytes([0, 128, 255] + [255] * 29))
    rgba = base.copy()
    rgba.putalpha(alpha_mask(96, 64))
    save(rgba.convert("LA"), f"{MEDIA}/png-grey-alpha.png", format="PNG")
    save(rgba, f"{MEDIA}/png-rgba.png", format="PNG")
    save(base.convert("L"), f"{MEDIA}/png-grey-trns.png", format="PNG", transparency=77)
    save(base, f"{MEDIA}/png-rgb-trns.png", format="PNG", transparency=(230, 40, 40))
    plain = save(base, f"{MEDIA}/tmp.png", format="PNG")
    os.remove(f"{MEDIA}/tmp.png")
    # gamma 1.0 (100000): the simplified API would gamma-correct this; Pillow ignores gAMA
    write(f"{MEDIA}/png-gamma-1.0.png", insert_chunks_after_ihdr(plain, [(b"gAMA", struct.pack(">I", 100000))]))
    write(f"{MEDIA}/png-srgb-chrm.png", insert_chunks_after_ihdr(plain, [
        (b"sRGB", b"\x00"), (b"gAMA", struct.pack(">I", 45455)),
        (b"cHRM", struct.pack(">8I", 31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000))]))
    write(f"{MEDIA}/png-rgb16.png", write_png(sixteen_bit_rgb(64, 48, 3), 2, 16))
    write(f"{MEDIA}/png-rgb16-gamma.png", write_png(sixteen_bit_rgb(64, 48, 3), 2, 16,
                                                    [(b"gAMA", struct.pack(">I", 45455))]))
    grey16 = sixteen_bit_rgb(64, 48, 3)[:, :, :1]
    write(f"{MEDIA}/png-grey16-trns.png", write_png(grey16, 0, 16, [(b"tRNS", struct.pack(">H", int(grey16[0, 0, 0])))]))
    # 16-bit with an alpha channel: only opaque pixels are exact (see PNGDecoder docs)
    write(f"{MEDIA}/png-rgba16.png", write_png(sixteen_bit_rgb(64, 48, 4), 6, 16))
    one_bit = base.convert("1")
    save(one_bit, f"{MEDIA}/png-1bit.png", format="PNG")

    # --- WebP
    save(rgba, f"{MEDIA}/webp-lossless-alpha.webp", format="WEBP", lossless=True)
    save(rgba, f"{MEDIA}/webp-lossy-alpha.webp", format="WEBP", quality=80)
    save(base, f"{MEDIA}/webp-lossy.webp", format="WEBP", quality=75)

    # --- JPEG
    save(base.convert("CMYK"), f"{MEDIA}/jpeg-cmyk.jpg", format="JPEG", quality=90)
    save(scene(97, 61, seed=8), f"{MEDIA}/jpeg-odd-420.jpg", format="JPEG", quality=85)
    save(scene(97, 61, seed=8), f"{MEDIA}/jpeg-odd-422.jpg", format="JPEG", quality=85, subsampling=1)
    save(scene(120, 80, seed=9), f"{MEDIA}/jpeg-progressive.jpg", format="JPEG", quality=80, progressive=True)
    save(scene(120, 80, seed=9), f"{MEDIA}/jpeg-restart.jpg", format="JPEG", quality=80, restart_marker_blocks=2)
    # Large, nearly flat JPEG for the DCT-scaling test (2048x1536, small file).
    y, x = np.mgrid[0:1536, 0:2048]
    flat = np.stack([(x // 512) * 60, (y // 512) * 80, np.full_like(x, 128)], axis=-1).astype(np.uint8)
    save(Image.fromarray(flat, "RGB"), f"{MEDIA}/jpeg-2048x1536.jpg", format="JPEG", quality=10)


def bad() -> None:
    base = scene(64, 48, seed=11)
    jpg = save(base, f"{BAD}/tmp.jpg", format="JPEG", quality=85)
    png = save(base, f"{BAD}/tmp.png", format="PNG")
    webp = save(base, f"{BAD}/tmp.webp", format="WEBP", quality=80)
    webpl = save(base, f"{BAD}/tmp.webp", format="WEBP", lossless=True)
    gif = save(base.convert("P", palette=Image.Palette.ADAPTIVE, colors=32), f"{BAD}/tmp.gif", format="GIF")
    for ext in ("jpg", "png", "webp", "gif"):
        os.remove(f"{BAD}/tmp.{ext}")

    write(f"{BAD}/empty.jpg", b"")
    write(f"{BAD}/truncated.jpg", jpg[: len(jpg) // 2])
    write(f"{BAD}/truncated.png", png[: len(png) // 2])
    write(f"{BAD}/truncated.webp", webp[: len(webp) // 2])
    write(f"{BAD}/truncated.gif", gif[: len(gif) // 2])
    write(f"{BAD}/truncated-header.jpg", jpg[:100])

    # corrupt JPEG: SOF0 claims 0 components
    sof = jpg.index(b"\xff\xc0")
    j = bytearray(jpg)
    j[sof + 9] = 0
    write(f"{BAD}/corrupt-marker.jpg", bytes(j))
    # corrupt JPEG: garbage in the entropy-coded data (no 0xFF bytes, so no fake markers)
    sos = jpg.index(b"\xff\xda")
    j = bytearray(jpg)
    rng = np.random.default_rng(12)
    start = sos + 40
    j[start : start + 200] = bytes(rng.integers(0, 255, 200, dtype=np.uint8))
    write(f"{BAD}/corrupt-entropy.jpg", bytes(j))

    # corrupt PNG: bad CRC in IHDR; garbage IDAT with a valid CRC
    p = bytearray(png)
    p[29] ^= 0xFF
    write(f"{BAD}/corrupt-ihdr-crc.png", bytes(p))
    idat = png.index(b"IDAT")
    length = struct.unpack(">I", png[idat - 4 : idat])[0]
    garbage = bytes(rng.integers(0, 256, length, dtype=np.uint8))
    write(f"{BAD}/corrupt-idat.png", png[: idat - 4] + png_chunk(b"IDAT", garbage) + png[idat + 4 + length + 4 :])

    # decompression bombs: tiny files whose headers claim huge images
    j = bytearray(jpg)
    struct.pack_into(">HH", j, sof + 5, 60000, 60000)
    write(f"{BAD}/bomb-60000x60000.jpg", bytes(j))
    ihdr = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)
    row = b"\x00" * (60000 * 3 + 1)
    idat = zlib.compress(row * 4, 9)  # a few rows only; decoding must never start
    write(f"{BAD}/bomb-60000x60000.png", b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b""))
    # VP8L header: 14-bit (width-1), 14-bit (height-1) after the 0x2F signature byte
    w = bytearray(webpl)
    vp8l = w.index(b"VP8L") + 8
    assert w[vp8l] == 0x2F
    bits = struct.unpack("<I", w[vp8l + 1 : vp8l + 5])[0]
    bits = (bits & ~((1 << 28) - 1)) | (16000 - 1) | ((16000 - 1) << 14)
    struct.pack_into("<I", w, vp8l + 1, bits)
    write(f"{BAD}/bomb-16000x16000.webp", bytes(w))
    g = bytearray(gif)
    struct.pack_into("<HH", g, 6, 60000, 60000)
    write(f"{BAD}/bomb-screen-60000x60000.gif", bytes(g))
    g = bytearray(gif)
    first = next(gif_blocks(gif))
    struct.pack_into("<HH", g, first + 5, 60000, 60000)
    write(f"{BAD}/bomb-frame-60000x60000.gif", bytes(g))
    g = bytearray(gif)
    struct.pack_into("<HH", g, 6, 0, 0)
    struct.pack_into("<HH", g, first + 5, 0, 0)
    write(f"{BAD}/zero-size.gif", bytes(g))

    # mislabelled and unrecognised files
    write(f"{BAD}/text.jpg", b"This is a plain text file, not a JPEG.\n")
    write(f"{BAD}/png-named.jpg", png)
    write(f"{BAD}/random.bin", bytes(rng.integers(0, 256, 512, dtype=np.uint8)))
    write(f"{BAD}/riff-not-webp.webp", b"RIFF\x10\x00\x00\x00WAVEfmt " + b"\x00" * 8)

    # progressive-scan bomb: one small DC-refinement scan repeated 600 times (TJFLAG_LIMITSCANS stops at 500)
    prog = save(scene(48, 32, seed=15), f"{BAD}/tmp.jpg", format="JPEG", quality=80, progressive=True)
    os.remove(f"{BAD}/tmp.jpg")
    scans = jpeg_scans(prog)
    a, b = min(scans, key=lambda r: r[1] - r[0])
    write(f"{BAD}/scan-bomb.jpg", prog[: scans[-1][1]] + prog[a:b] * 600 + b"\xff\xd9")

    frames = [scene(32, 24, seed=s) for s in (13, 14)]
    save(frames[0], f"{BAD}/animated.webp", format="WEBP", save_all=True, append_images=frames[1:], duration=100, lossless=True)


if __name__ == "__main__":
    media()
    bad()
