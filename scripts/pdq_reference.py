#!/usr/bin/env python3
"""PDQ conformance reference for Vigil.

Subcommands
  generate --out DIR [--seed N] [--small]
      Deterministically generate a corpus of benign synthetic images (gradients,
      shapes, noise, text, checkerboards) in many formats and write
      DIR/expected.tsv with the hashes Vigil must reproduce bit-exactly.
  selfcheck [--ref-dir DIR]
      Check this script's decode/squash/hex conventions against the outputs of
      Meta's C++ CLI recorded in pdq-expected.tsv and pdq-dihedral.tsv.
  hash FILE...
      Print full and refcli hashes for arbitrary files (debugging aid).

Decoding policy (Vigil's): Pillow decode, EXIF orientation ignored, alpha
dropped (not composited), palette/CMYK via convert('RGB'). 16-bit PNG samples:
`full` uses sample >> 8; `refcli` uses sample & 255 (the C++ CLI keeps only the
low byte). Grey sources are replicated into R=G=B (luma of (g,g,g) == g).

`full`   = pdqhash.compute on the full-resolution pixels (library convention).
`refcli` = the C++ CLI convention: if W > 512 or H > 512, first squash to exactly
           512x512 by nearest neighbour, source index floor(dst * W / 512).

Hex: the 256 bits as one big-endian number, 64 lowercase hex digits (same as
the C++ reference's toString()).

Requires numpy, Pillow 13.0.0, pdqhash 0.2.8 (see scripts/setup-python.sh).
"""

import argparse
import hashlib
import io
import os
import struct
import sys
import time
import warnings
import zlib

try:
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont
    import pdqhash
except ImportError as exc:  # pragma: no cover
    sys.stderr.write(
        "pdq_reference.py: missing Python dependency (%s).\n"
        "Run scripts/setup-python.sh and use .venv/bin/python.\n" % exc)
    sys.exit(3)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_REF_DIRS = [
    "/work/shared/reference/pdq",
    os.path.join(REPO, "Tests", "Fixtures", "reference"),
]
SQUASH = 512
DIHEDRAL_NAMES = ["orig", "rot90", "rot180", "rot270",
                  "flipx", "flipy", "flipplus1", "flipminus1"]
TSV_HEADER = ["file", "width", "height", "layout", "full_hash", "full_quality",
              "refcli_hash", "refcli_quality", "refcli_dihedral", "full_dihedral"]


# ---------------------------------------------------------------------------
# Hashing helpers
# ---------------------------------------------------------------------------

def bits_to_hex(bits):
    """pdqhash bit vector (MSB first) -> 64 hex chars, big-endian 256-bit int."""
    b = np.asarray(bits, dtype=np.uint8)
    assert b.shape == (256,)
    return np.packbits(b).tobytes().hex()


def squash512(a):
    """C++ CLI pre-downsample: nearest neighbour to exactly 512x512 if W>512 or H>512."""
    h, w = a.shape[:2]
    if w <= SQUASH and h <= SQUASH:
        return a
    rows = (np.arange(SQUASH) * h) // SQUASH
    cols = (np.arange(SQUASH) * w) // SQUASH
    return np.ascontiguousarray(a[rows][:, cols])


def pdq(a):
    bits, q = pdqhash.compute(np.ascontiguousarray(a, dtype=np.uint8))
    return bits_to_hex(bits), int(q)


def pdq_dihedral(a):
    hashes, q = pdqhash.compute_dihedral(np.ascontiguousarray(a, dtype=np.uint8))
    return [bits_to_hex(h) for h in hashes], int(q)


def hamming(h1, h2):
    return bin(int(h1, 16) ^ int(h2, 16)).count("1")


# ---------------------------------------------------------------------------
# Minimal PNG reader/writer for 16-bit files (Pillow reads 16-bit RGB as 8-bit)
# ---------------------------------------------------------------------------

PNG_SIG = b"\x89PNG\r\n\x1a\n"


def _png_chunk(tag, data):
    return (struct.pack(">I", len(data)) + tag + data +
            struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))


def _paeth(a, b, c):
    a = a.astype(np.int16); b = b.astype(np.int16); c = c.astype(np.int16)
    p = a + b - c
    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c)).astype(np.uint8)


def write_png16(path, samples):
    """Write a 16-bit grey (H,W) or RGB (H,W,3) uint16 array as PNG.

    Rows cycle through the five PNG filter types so that a decoder's
    unfiltering of 16-bit data is exercised."""
    samples = np.asarray(samples, dtype=np.uint16)
    if samples.ndim == 2:
        colour_type, channels = 0, 1
    else:
        colour_type, channels = 2, samples.shape[2]
        assert channels == 3
    h, w = samples.shape[:2]
    bpp = 2 * channels
    raw = samples.astype(">u2").reshape(h, w * channels).view(np.uint8).reshape(h, w * bpp)
    out = bytearray()
    zero = np.zeros(w * bpp, np.uint8)
    for y in range(h):
        cur = raw[y]
        up = raw[y - 1] if y > 0 else zero
        left = np.concatenate([np.zeros(bpp, np.uint8), cur[:-bpp]])
        upleft = np.concatenate([np.zeros(bpp, np.uint8), up[:-bpp]])
        ftype = y % 5
        if ftype == 0:
            f = cur
        elif ftype == 1:
            f = cur - left
        elif ftype == 2:
            f = cur - up
        elif ftype == 3:
            f = cur - ((left.astype(np.uint16) + up) // 2).astype(np.uint8)
        else:
            f = cur - _paeth(left, up, upleft)
        out.append(ftype)
        out += f.astype(np.uint8).tobytes()
    ihdr = struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0)
    data = (PNG_SIG + _png_chunk(b"IHDR", ihdr) +
            _png_chunk(b"IDAT", zlib.compress(bytes(out), 9)) + _png_chunk(b"IEND", b""))
    with open(path, "wb") as fh:
        fh.write(data)


def png_header(path):
    """(bit_depth, colour_type, interlace) for a PNG file, or None."""
    with open(path, "rb") as fh:
        head = fh.read(33)
    if len(head) < 33 or head[:8] != PNG_SIG or head[12:16] != b"IHDR":
        return None
    return head[24], head[25], head[28]


def read_png16(path):
    """Decode a non-interlaced 16-bit PNG (colour types 0, 2, 4, 6) to raw uint16
    samples, alpha dropped: (H,W) for grey, (H,W,3) for RGB."""
    with open(path, "rb") as fh:
        data = fh.read()
    assert data[:8] == PNG_SIG
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        n, tag = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if tag == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif tag == b"IDAT":
            idat.append(body)
        elif tag == b"IEND":
            break
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 16 or interlace != 0 or ctype not in (0, 2, 4, 6):
        raise ValueError("read_png16: unsupported PNG %s" % (ihdr,))
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    bpp = 2 * channels
    stride = w * bpp
    buf = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8).reshape(h, stride + 1)
    out = np.zeros((h, stride), np.uint8)
    prev = np.zeros(stride, np.uint8)
    for y in range(h):
        ftype, f = buf[y, 0], buf[y, 1:]
        if ftype == 0:
            cur = f.copy()
        elif ftype == 1:
            cur = (np.cumsum(f.reshape(w, bpp).astype(np.uint64), axis=0) % 256)
            cur = cur.astype(np.uint8).reshape(stride)
        elif ftype == 2:
            cur = f + prev
        elif ftype in (3, 4):
            cur = np.zeros(stride, np.uint8)
            zero = np.zeros(bpp, np.uint8)
            for x in range(0, stride, bpp):
                a = cur[x - bpp:x] if x else zero
                b = prev[x:x + bpp]
                if ftype == 3:
                    pred = ((a.astype(np.uint16) + b) // 2).astype(np.uint8)
                else:
                    c = prev[x - bpp:x] if x else zero
                    pred = _paeth(a, b, c)
                cur[x:x + bpp] = f[x:x + bpp] + pred
        else:
            raise ValueError("bad PNG filter %d" % ftype)
        out[y] = cur
        prev = cur
    samples = out.view(">u2").astype(np.uint16).reshape(h, w, channels)
    if ctype in (0, 4):
        return samples[:, :, 0]
    return samples[:, :, :3]


# ---------------------------------------------------------------------------
# Decoding with Vigil's policy
# ---------------------------------------------------------------------------

GREY_MODES = {"L", "LA", "I;16", "I;16B", "I;16L", "I", "1"}


def decode(path):
    """Return (width, height, layout, full_rgb_uint8, refcli_rgb_uint8)."""
    hdr = png_header(path)
    if hdr is not None and hdr[0] == 16:
        raw = read_png16(path)
        full8 = (raw >> 8).astype(np.uint8)
        low8 = (raw & 255).astype(np.uint8)
        if raw.ndim == 2:
            layout = "grey"
            full8 = np.repeat(full8[:, :, None], 3, axis=2)
            low8 = np.repeat(low8[:, :, None], 3, axis=2)
        else:
            layout = "rgb"
        h, w = raw.shape[:2]
        return w, h, layout, full8, low8
    with Image.open(path) as im, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Palette images with Transparency expressed in bytes..."
        im.load()
        mode = im.mode
        w, h = im.size
        if mode in ("I;16", "I;16B", "I;16L", "I"):
            # 16-bit data not handled above (e.g. TIFF); same policy.
            raw = np.asarray(im).astype(np.int64) & 0xFFFF
            full8 = np.repeat((raw >> 8).astype(np.uint8)[:, :, None], 3, axis=2)
            low8 = np.repeat((raw & 255).astype(np.uint8)[:, :, None], 3, axis=2)
            return w, h, "grey", full8, low8
        if mode in ("L", "LA", "1"):
            g = np.asarray(im.convert("L"))
            rgb = np.repeat(g[:, :, None], 3, axis=2)
            return w, h, "grey", rgb, rgb
        rgb = np.ascontiguousarray(np.asarray(im.convert("RGB")))
        return w, h, "rgb", rgb, rgb


def cli_luma(sq, layout):
    """The C++ CLI's luma: the grey value for grey sources (ImageMagick writes PGM, the CLI
    uses fillFloatLumaFromGrey), else 0.299f*R + 0.587f*G + 0.114f*B in float32."""
    import pdq_numpy
    if layout == "grey":
        return sq[:, :, 0].astype(np.float32)
    return pdq_numpy.luma32(sq)


def expected_row(path, rel):
    import pdq_numpy
    w, h, layout, full8, cli8 = decode(path)
    fh, fq = pdq(full8)
    fdih, _ = pdq_dihedral(full8)
    sq = np.ascontiguousarray(squash512(cli8))
    # refcli follows the C++ CLI exactly, so it is computed by the numpy model with the CLI's
    # float32 luma (pdqhash's float64 luma differs by 1 ulp on ~31% of RGB triples, which
    # flips bits on near-degenerate images). The model matches pdqhash bit for bit when given
    # the same luma; `selfcheck` checks it against the reference vectors.
    y = cli_luma(sq, layout)
    ch, cq = pdq_numpy.pdq_from_luma(y)
    dih, _ = pdq_numpy.pdq_dihedral_from_luma(y)
    # NB: for an exactly 64x64 input the hash skips the blur but the dihedral function does
    # not (as in the C++ reference), so refcli_hash and the dihedral "orig" can differ when
    # the DCT coefficients are near zero (e.g. a 1-pixel checkerboard).
    return [rel, str(w), str(h), layout, fh, str(fq), ch, str(cq), ",".join(dih), ",".join(fdih)]


# ---------------------------------------------------------------------------
# Benign synthetic content
# ---------------------------------------------------------------------------

TEXTS = [
    "The quick brown fox jumps over the lazy dog",
    "Vigil PDQ conformance 0123456789",
    "Sphinx of black quartz, judge my vow",
    "Pack my box with five dozen liquor jugs",
    "Hello, world! <> [] {} () #%&*+=?",
    "Lorem ipsum dolor sit amet, consectetur",
]


def _grid(w, h):
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return x / max(w - 1, 1), y / max(h - 1, 1)


def gradient(rng, w, h):
    x, y = _grid(w, h)
    chans = []
    for _ in range(3):
        a, b = rng.uniform(-1, 1, 2)
        c = rng.uniform(0, 1)
        v = a * x + b * y + c
        if rng.uniform() < 0.5:
            f = rng.uniform(1, 6)
            v = v + 0.25 * np.sin(2 * np.pi * f * (x * rng.uniform(-1, 1) + y * rng.uniform(-1, 1)))
        v = v - v.min()
        v = v / max(float(v.max()), 1e-6)
        lo, hi = sorted(rng.uniform(0, 255, 2))
        chans.append(lo + (hi - lo + 20) * v)
    return np.clip(np.stack(chans, axis=2), 0, 255).astype(np.uint8)


def _colour(rng):
    return tuple(int(v) for v in rng.integers(0, 256, 3))


def shapes(rng, w, h, base=None):
    if base is None:
        base = gradient(rng, w, h) if rng.uniform() < 0.6 else \
            np.full((h, w, 3), _colour(rng), np.uint8)
    im = Image.fromarray(base, "RGB")
    d = ImageDraw.Draw(im)
    n = int(rng.integers(5, 40))
    for _ in range(n):
        kind = int(rng.integers(0, 4))
        x0, x1 = sorted(rng.uniform(-0.1, 1.1, 2) * w)
        y0, y1 = sorted(rng.uniform(-0.1, 1.1, 2) * h)
        box = [x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)]
        c = _colour(rng)
        if kind == 0:
            d.rectangle(box, fill=c)
        elif kind == 1:
            d.ellipse(box, fill=c, outline=_colour(rng))
        elif kind == 2:
            pts = [(float(rng.uniform(0, w)), float(rng.uniform(0, h))) for _ in range(int(rng.integers(3, 7)))]
            d.polygon(pts, fill=c)
        else:
            d.line([(x0, y0), (x1, y1)], fill=c, width=int(rng.integers(1, max(2, min(w, h) // 20 + 2))))
    return np.asarray(im).copy()


def noise(rng, w, h, sigma, base=None):
    if base is None:
        base = gradient(rng, w, h) if rng.uniform() < 0.5 else shapes(rng, w, h)
    n = rng.normal(0.0, sigma, base.shape).astype(np.float32)
    return np.clip(base.astype(np.float32) + n, 0, 255).round().astype(np.uint8)


def text(rng, w, h, base=None):
    if base is None:
        bg = tuple(int(v) for v in rng.integers(190, 256, 3))
        base = np.full((h, w, 3), bg, np.uint8)
    im = Image.fromarray(base, "RGB")
    d = ImageDraw.Draw(im)
    lines = max(1, min(25, h // 14))
    for i in range(lines):
        size = int(rng.integers(8, max(9, min(64, h // 3 + 9))))
        font = ImageFont.load_default(size=size)
        s = TEXTS[int(rng.integers(0, len(TEXTS)))]
        xy = (float(rng.uniform(-0.1, 0.7) * w), float(rng.uniform(-0.05, 0.95) * h))
        fg = tuple(int(v) for v in rng.integers(0, 120, 3))
        d.text(xy, s, fill=fg, font=font)
    return np.asarray(im).copy()


def checker(rng, w, h):
    cell = int(rng.integers(1, max(2, min(w, h) // 4 + 1)))
    y, x = np.mgrid[0:h, 0:w]
    mask = ((x // cell + y // cell) % 2).astype(bool)
    a, b = np.array(_colour(rng), np.uint8), np.array(_colour(rng), np.uint8)
    return np.where(mask[:, :, None], a, b).astype(np.uint8)


def mixed(rng, w, h):
    a = shapes(rng, w, h, base=gradient(rng, w, h))
    a = text(rng, w, h, base=a)
    return noise(rng, w, h, 4.0, base=a)


def flat(value):
    return lambda rng, w, h: np.full((h, w, 3), value, np.uint8)


CONTENT = {
    "gradient": gradient,
    "shapes": shapes,
    "noise2": lambda r, w, h: noise(r, w, h, 2.0),
    "noise6": lambda r, w, h: noise(r, w, h, 6.0),
    "noise20": lambda r, w, h: noise(r, w, h, 20.0),
    "noise60": lambda r, w, h: noise(r, w, h, 60.0),
    "text": text,
    "checker": checker,
    "mixed": mixed,
    "black": flat(0),
    "grey128": flat(128),
    "white": flat(255),
}


def to_grey(a):
    return np.asarray(Image.fromarray(a, "RGB").convert("L"))


def alpha_plane(rng, w, h, style):
    x, y = _grid(w, h)
    if style == "gradient":
        return (255 * x).astype(np.uint8)
    if style == "radial":
        r = np.sqrt((x - 0.5) ** 2 + (y - 0.5) ** 2) / 0.7071
        return (255 * (1 - np.clip(r, 0, 1))).astype(np.uint8)
    if style == "halfzero":
        a = np.full((h, w), 255, np.uint8)
        a[:, : w // 2] = 0
        return a
    if style == "random":
        return rng.integers(0, 256, (h, w)).astype(np.uint8)
    raise ValueError(style)


# ---------------------------------------------------------------------------
# Corpus specification: (name-stem, width, height, content, writer, options)
# Large images (> 1.0 MP) are left out of --small.
# ---------------------------------------------------------------------------

SUB = {"444": 0, "422": 1, "420": 2}

SPEC = [
    # --- JPEG, RGB ---
    ("jpeg-q30-420", 640, 480, "shapes", "jpeg", dict(q=30, sub="420")),
    ("jpeg-q50-422", 300, 200, "gradient", "jpeg", dict(q=50, sub="422")),
    ("jpeg-q75-420", 1023, 767, "mixed", "jpeg", dict(q=75, sub="420")),
    ("jpeg-q90-444", 513, 700, "noise6", "jpeg", dict(q=90, sub="444")),
    ("jpeg-q95-420-prog", 640, 480, "text", "jpeg", dict(q=95, sub="420", prog=True)),
    ("jpeg-q100-444", 300, 200, "checker", "jpeg", dict(q=100, sub="444")),
    ("jpeg-q90-422-prog", 1600, 1200, "mixed", "jpeg", dict(q=90, sub="422", prog=True)),
    ("jpeg-q75-420", 2100, 900, "shapes", "jpeg", dict(q=75, sub="420")),
    ("jpeg-q90-420", 17, 9, "noise20", "jpeg", dict(q=90, sub="420")),
    ("jpeg-q95-444", 5, 5, "gradient", "jpeg", dict(q=95, sub="444")),
    ("jpeg-q90-420", 63, 64, "shapes", "jpeg", dict(q=90, sub="420")),
    ("jpeg-q75-422", 64, 64, "noise6", "jpeg", dict(q=75, sub="422")),
    ("jpeg-q50-420-prog", 1023, 767, "noise20", "jpeg", dict(q=50, sub="420", prog=True)),
    ("jpeg-q30-444-prog", 513, 700, "shapes", "jpeg", dict(q=30, sub="444", prog=True)),
    ("jpeg-q90-420", 640, 480, "checker", "jpeg", dict(q=90, sub="420")),
    ("jpeg-q95-420", 1600, 1200, "noise2", "jpeg", dict(q=95, sub="420")),
    ("jpeg-q75-422-prog", 300, 200, "text", "jpeg", dict(q=75, sub="422", prog=True)),
    ("jpeg-q90-420-prog", 2100, 900, "mixed", "jpeg", dict(q=90, sub="420", prog=True)),
    ("jpeg-q100-420", 640, 480, "gradient", "jpeg", dict(q=100, sub="420")),
    ("jpeg-q90-444", 1023, 767, "text", "jpeg", dict(q=90, sub="444")),
    ("jpeg-q90-420", 4, 4, "noise20", "jpeg", dict(q=90, sub="420")),
    ("jpeg-q90-420", 512, 512, "mixed", "jpeg", dict(q=90, sub="420")),
    ("jpeg-q75-420", 513, 512, "shapes", "jpeg", dict(q=75, sub="420")),
    ("jpeg-q90-420", 300, 1000, "noise6", "jpeg", dict(q=90, sub="420")),
    ("jpeg-q95-422-prog", 1000, 300, "gradient", "jpeg", dict(q=95, sub="422", prog=True)),
    ("jpeg-q100-444-prog", 63, 64, "mixed", "jpeg", dict(q=100, sub="444", prog=True)),
    # --- JPEG, greyscale ---
    ("jpeg-grey-q90", 640, 480, "text", "jpeg-grey", dict(q=90)),
    ("jpeg-grey-q75-prog", 1023, 767, "noise6", "jpeg-grey", dict(q=75, prog=True)),
    ("jpeg-grey-q95", 17, 9, "gradient", "jpeg-grey", dict(q=95)),
    ("jpeg-grey-q50", 1600, 1200, "shapes", "jpeg-grey", dict(q=50)),
    ("jpeg-grey-q30-prog", 64, 64, "checker", "jpeg-grey", dict(q=30, prog=True)),
    # --- PNG 8-bit RGB ---
    ("png-rgb", 5, 5, "noise60", "png-rgb", {}),
    ("png-rgb", 17, 9, "shapes", "png-rgb", {}),
    ("png-rgb", 63, 64, "gradient", "png-rgb", {}),
    ("png-rgb", 64, 64, "noise6", "png-rgb", {}),
    ("png-rgb", 65, 65, "mixed", "png-rgb", {}),
    ("png-rgb", 300, 200, "shapes", "png-rgb", {}),
    ("png-rgb", 640, 480, "gradient", "png-rgb", {}),
    ("png-rgb", 513, 700, "checker", "png-rgb", {}),
    ("png-rgb", 1023, 767, "text", "png-rgb", {}),
    ("png-rgb", 1600, 1200, "gradient", "png-rgb", {}),
    ("png-rgb", 2100, 900, "checker", "png-rgb", {}),
    ("png-rgb", 4, 4, "noise20", "png-rgb", {}),
    ("png-rgb", 1, 1, "noise20", "png-rgb", {}),
    ("png-rgb-black", 100, 100, "black", "png-rgb", {}),
    ("png-rgb-grey128", 64, 64, "grey128", "png-rgb", {}),
    ("png-rgb-white", 100, 100, "white", "png-rgb", {}),
    ("png-rgb-grey128", 300, 200, "grey128", "png-rgb", {}),
    ("png-rgb", 512, 512, "shapes", "png-rgb", {}),
    ("png-rgb", 300, 200, "noise60", "png-rgb", {}),
    # --- PNG grey / grey+alpha / RGBA ---
    ("png-l", 63, 64, "noise20", "png-l", {}),
    ("png-l", 300, 200, "gradient", "png-l", {}),
    ("png-l", 640, 480, "text", "png-l", {}),
    ("png-l", 1023, 767, "shapes", "png-l", {}),
    ("png-la", 17, 9, "gradient", "png-la", dict(alpha="random")),
    ("png-la", 300, 200, "shapes", "png-la", dict(alpha="gradient")),
    ("png-la", 513, 700, "text", "png-la", dict(alpha="halfzero")),
    ("png-rgba", 64, 64, "shapes", "png-rgba", dict(alpha="radial")),
    ("png-rgba-hidden", 400, 300, "mixed", "png-rgba", dict(alpha="halfzero", hide=True)),
    ("png-rgba", 1023, 767, "gradient", "png-rgba", dict(alpha="radial")),
    # --- PNG palette ---
    ("png-p16", 300, 200, "shapes", "png-p", dict(colours=16)),
    ("png-p256", 640, 480, "gradient", "png-p", dict(colours=256)),
    ("png-p8", 17, 9, "checker", "png-p", dict(colours=8)),
    ("png-p-trns1", 300, 200, "shapes", "png-p", dict(colours=32, trns="index")),
    ("png-p-trnsN", 513, 700, "mixed", "png-p", dict(colours=64, trns="table")),
    # --- PNG 16-bit ---
    ("png-grey16-full", 300, 200, "gradient", "png-grey16", dict(low="smooth")),
    ("png-grey16-lownoise", 640, 240, "shapes", "png-grey16", dict(low="noise")),
    ("png-grey16", 63, 64, "noise20", "png-grey16", dict(low="noise")),
    ("png-rgb16-full", 300, 200, "gradient", "png-rgb16", dict(low="smooth")),
    ("png-rgb16-lownoise", 520, 200, "shapes", "png-rgb16", dict(low="noise")),
    ("png-rgb16", 17, 9, "noise20", "png-rgb16", dict(low="noise")),
    # --- WebP ---
    ("webp-lossy-q80", 640, 480, "mixed", "webp", dict(q=80)),
    ("webp-lossy-q50", 1023, 767, "gradient", "webp", dict(q=50)),
    ("webp-lossy-alpha", 300, 200, "shapes", "webp", dict(q=75, alpha="radial")),
    ("webp-lossy-q90", 17, 9, "noise6", "webp", dict(q=90)),
    ("webp-lossless", 300, 200, "text", "webp", dict(lossless=True)),
    ("webp-lossless", 513, 700, "checker", "webp", dict(lossless=True)),
    ("webp-lossless-alpha", 640, 480, "shapes", "webp", dict(lossless=True, alpha="halfzero")),
    # --- GIF (single frame) ---
    ("gif", 300, 200, "shapes", "gif", {}),
    ("gif", 640, 480, "gradient", "gif", {}),
    ("gif-trns", 64, 64, "checker", "gif", dict(trns=True)),
    ("gif", 1023, 767, "text", "gif", {}),
]

EXT = {"jpeg": "jpg", "jpeg-grey": "jpg", "webp": "webp", "gif": "gif"}
SMALL_MAX_PIXELS = 600_000


def spec_name(i, stem, w, h, content, writer):
    return "%03d-%s-%dx%d-%s.%s" % (i, stem, w, h, content, EXT.get(writer, "png"))


def write_image(path, rng, w, h, content, writer, opt):
    rgb = CONTENT[content](rng, w, h)
    if writer == "jpeg":
        Image.fromarray(rgb, "RGB").save(path, "JPEG", quality=opt["q"], subsampling=SUB[opt["sub"]],
                                         progressive=bool(opt.get("prog")), optimize=False)
    elif writer == "jpeg-grey":
        Image.fromarray(to_grey(rgb), "L").save(path, "JPEG", quality=opt["q"],
                                                progressive=bool(opt.get("prog")), optimize=False)
    elif writer == "png-rgb":
        Image.fromarray(rgb, "RGB").save(path, "PNG")
    elif writer == "png-l":
        Image.fromarray(to_grey(rgb), "L").save(path, "PNG")
    elif writer == "png-la":
        la = np.stack([to_grey(rgb), alpha_plane(rng, w, h, opt["alpha"])], axis=2)
        Image.fromarray(la, "LA").save(path, "PNG")
    elif writer == "png-rgba":
        a = alpha_plane(rng, w, h, opt["alpha"])
        if opt.get("hide"):  # inverted colours under the fully transparent half
            rgb = np.where((a == 0)[:, :, None], 255 - rgb, rgb).astype(np.uint8)
        Image.fromarray(np.dstack([rgb, a]), "RGBA").save(path, "PNG")
    elif writer == "png-p":
        p = Image.fromarray(rgb, "RGB").quantize(colors=opt["colours"], method=Image.Quantize.MEDIANCUT,
                                                 dither=Image.Dither.NONE)
        if opt.get("trns") == "index":
            p.save(path, "PNG", transparency=0)
        elif opt.get("trns") == "table":
            n = len(p.getpalette()) // 3
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                p.save(path, "PNG", transparency=bytes((i * 37) % 256 for i in range(n)))
        else:
            p.save(path, "PNG")
    elif writer in ("png-grey16", "png-rgb16"):
        hi = to_grey(rgb) if writer == "png-grey16" else rgb
        if opt["low"] == "smooth":  # a genuinely 16-bit ramp: low byte continues the gradient
            x, y = _grid(w, h)
            fine = ((x * 0.6 + y * 0.4) * 65535).astype(np.uint32)
            if hi.ndim == 3:
                fine = fine[:, :, None]
            low = (fine & 255).astype(np.uint16) * np.ones_like(hi, dtype=np.uint16)
        else:  # picture in the high byte, noise in the low byte (CLI hashes the noise)
            low = rng.integers(0, 256, hi.shape).astype(np.uint16)
        write_png16(path, (hi.astype(np.uint16) << 8) | low)
    elif writer == "webp":
        if opt.get("alpha"):
            im = Image.fromarray(np.dstack([rgb, alpha_plane(rng, w, h, opt["alpha"])]), "RGBA")
        else:
            im = Image.fromarray(rgb, "RGB")
        if opt.get("lossless"):
            im.save(path, "WEBP", lossless=True, quality=100, method=4, exact=True)
        else:
            im.save(path, "WEBP", quality=opt["q"], method=4)
    elif writer == "gif":
        p = Image.fromarray(rgb, "RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT,
                                                 dither=Image.Dither.NONE)
        if opt.get("trns"):
            p.save(path, "GIF", transparency=0)
        else:
            p.save(path, "GIF")
    else:
        raise ValueError(writer)


README_TEXT = """Generated PDQ conformance corpus (benign synthetic images only).

Made by scripts/pdq_reference.py generate --seed {seed}{small}; do not edit by hand.
expected.tsv columns: file, width, height, layout (grey|rgb), full_hash, full_quality,
refcli_hash, refcli_quality, refcli_dihedral and full_dihedral (8 comma-separated hashes:
orig,rot90,rot180,rot270,flipx,flipy,flipplus1,flipminus1).
full   = PyPI pdqhash 0.2.8 (compute / compute_dihedral) on Pillow 13.0.0 pixels at full
         resolution (16-bit: sample >> 8); pdqhash's luma is float64 0.299R+0.587G+0.114B
         rounded once to float32.
refcli = Meta's C++ CLI convention: nearest-neighbour squash to 512x512 when a side
         exceeds 512, 16-bit samples reduced to their low byte, luma in float32 as the C++
         fillFloatLumaFromRGB (grey sources: the grey value). Computed by scripts/pdq_numpy.py,
         a numpy model of the C++ operation order that reproduces all of Meta's reference
         vectors (`pdq_reference.py selfcheck`) and pdqhash when given the same luma.
Alpha is dropped, palettes expanded with convert('RGB'), EXIF ignored.
The 64x64 rows: refcli_hash uses the no-blur 64x64 short-cut, the dihedral list does
not (as in the C++ reference), so their "orig" may differ on degenerate images.
"""


def cmd_generate(args):
    t0 = time.time()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    old = set()
    old_tsv = os.path.join(out, "expected.tsv")
    if os.path.exists(old_tsv):
        with open(old_tsv) as fh:
            old = {ln.split("\t", 1)[0] for ln in fh.read().splitlines()[1:] if ln}
    rows, names = [], set()
    for i, (stem, w, h, content, writer, opt) in enumerate(SPEC):
        if args.small and w * h > SMALL_MAX_PIXELS:
            continue
        name = spec_name(i, stem, w, h, content, writer)
        # one independent stream per entry: adding/removing entries never shifts others
        rng = np.random.default_rng([args.seed, i])
        path = os.path.join(out, name)
        write_image(path, rng, w, h, content, writer, opt)
        row = expected_row(path, name)
        if (int(row[1]), int(row[2])) != (w, h):
            raise SystemExit("size mismatch for %s" % name)
        rows.append(row)
        names.add(name)
    for stale in sorted(old - names):
        p = os.path.join(out, stale)
        if os.path.isfile(p) and os.sep not in stale:
            os.remove(p)
    with open(os.path.join(out, "expected.tsv"), "w", newline="\n") as fh:
        fh.write("\t".join(TSV_HEADER) + "\n")
        for r in rows:
            fh.write("\t".join(r) + "\n")
    with open(os.path.join(out, "README.txt"), "w") as fh:
        fh.write(README_TEXT.format(seed=args.seed, small=" --small" if args.small else ""))
    total = sum(os.path.getsize(os.path.join(out, n)) for n in names)
    if not args.quiet:
        print("generated %d images, %.2f MB, in %.1f s -> %s" % (len(rows), total / 1e6, time.time() - t0, out))
    return 0


# ---------------------------------------------------------------------------
# selfcheck against Meta's C++ CLI outputs
# ---------------------------------------------------------------------------

def _read_tsv(path):
    with open(path) as fh:
        lines = [ln.rstrip("\n") for ln in fh if ln.strip()]
    head = lines[0].split("\t")
    return [dict(zip(head, ln.split("\t"))) for ln in lines[1:]]


def cmd_selfcheck(args):
    ref_dir = args.ref_dir
    if ref_dir is None:
        ref_dir = next((d for d in DEFAULT_REF_DIRS if os.path.exists(os.path.join(d, "pdq-expected.tsv"))), None)
        if ref_dir is None:
            raise SystemExit("selfcheck: no pdq-expected.tsv found in %s" % DEFAULT_REF_DIRS)
    passed = failed = skipped = 0
    cache = {}

    def get(rel):
        if rel not in cache:
            import pdq_numpy
            w, h, layout, full8, low8 = decode(os.path.join(ref_dir, rel))
            sq = np.ascontiguousarray(squash512(low8))
            y = cli_luma(sq, layout)
            cache[rel] = (full8, pdq_numpy.pdq_from_luma(y), pdq_numpy.pdq_dihedral_from_luma(y))
        return cache[rel]

    def report(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print("FAIL " + what)

    def present(rel):
        nonlocal skipped
        if os.path.exists(os.path.join(ref_dir, rel)):
            return True
        skipped += 1
        return False

    for row in _read_tsv(os.path.join(ref_dir, "pdq-expected.tsv")):
        if not present(row["file"]):
            continue
        full8, (h, q), _ = get(row["file"])
        report(h == row["ref_hash"] and q == int(row["ref_quality"]),
               "refcli %s: got %s q%d want %s q%s" % (row["file"], h, q, row["ref_hash"], row["ref_quality"]))
        if row.get("pillow_mode") == "RGB" and row.get("fullres_hash"):
            h, q = pdq(full8)
            report(h == row["fullres_hash"] and q == int(row["fullres_quality"]),
                   "full %s: got %s q%d want %s q%s" % (row["file"], h, q, row["fullres_hash"], row["fullres_quality"]))
    for row in _read_tsv(os.path.join(ref_dir, "pdq-dihedral.tsv")):
        if not present(row["file"]):
            continue
        _, _, (dih, q) = get(row["file"])
        want = [row[n] for n in DIHEDRAL_NAMES]
        report(dih == want and q == int(row["quality"]),
               "dihedral %s: got %s q%d want %s q%s" % (row["file"], dih, q, want, row["quality"]))
    extra = " (%d rows skipped: image missing from %s)" % (skipped, ref_dir) if skipped else ""
    print("%d passed, %d failed%s" % (passed, failed, extra))
    return 0 if failed == 0 else 1


def cmd_hash(args):
    for f in args.files:
        row = expected_row(f, f)
        print("\t".join(row))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="generate corpus + expected.tsv")
    g.add_argument("--out", required=True)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--small", action="store_true",
                   help="leave out images over %d pixels (for the committed fallback)" % SMALL_MAX_PIXELS)
    g.add_argument("--quiet", action="store_true")
    s = sub.add_parser("selfcheck", help="cross-check conventions against the C++ CLI vectors")
    s.add_argument("--ref-dir", default=None)
    h = sub.add_parser("hash", help="print expected.tsv-style rows for files")
    h.add_argument("files", nargs="+")
    args = ap.parse_args(argv)
    return {"generate": cmd_generate, "selfcheck": cmd_selfcheck, "hash": cmd_hash}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
