"""Data for Benchmarks/isolation/run.sh: a list of random PDQ hashes and lookup queries, one
benign image at the node's pixel limit, two crafted decompression bombs, and multipart bodies
with a 4,000-character boundary. Also prints how many pixels per byte real encoders reach on the
most compressible image there is (one flat colour), which the node's bomb check must stay above.
    make_data.py OUT ENTRIES WIDTH HEIGHT"""
import io, struct, sys, zlib
import numpy as np
from PIL import Image, ImageDraw

out, entries, width, height = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(11)

# List and queries (1 in 10 a listed hash with a few bits flipped), as in Benchmarks/server.
words = rng.integers(0, 2**63, size=(entries, 4), dtype=np.uint64)
hexes = ['%016x%016x%016x%016x' % tuple(w) for w in words]
with open(out + '/list.tsv', 'w') as f:
    for i, h in enumerate(hexes):
        f.write('%s\t%d\n' % (h, i))
with open(out + '/queries.txt', 'w') as f:
    for q in range(10000):
        if q % 10 == 0:
            v = int(hexes[rng.integers(0, entries)], 16)
            for b in rng.choice(256, size=rng.integers(1, 20), replace=False):
                v ^= 1 << int(b)
            f.write('%064x\n' % v)
        else:
            f.write('%064x\n' % int.from_bytes(rng.bytes(32), 'big'))

# A benign photo-sized image at the pixel limit: gradients, shapes and mild noise (a JPEG of pure
# noise this size would be over the 32 MiB body limit). None when the size is 0.
if width == 0:
    width, height = 1000, 1000
y, x = np.mgrid[0:height, 0:width].astype(np.uint32)
img = np.stack([x * 255 // (width - 1), y * 255 // (height - 1), (x + y) % 256], axis=2).astype(np.uint8)
im = Image.fromarray(img)
d = ImageDraw.Draw(im)
for _ in range(300):
    x0, y0 = int(rng.integers(0, width - 400)), int(rng.integers(0, height - 400))
    d.ellipse([x0, y0, x0 + int(rng.integers(40, 400)), y0 + int(rng.integers(40, 400))], fill=tuple(int(c) for c in rng.integers(0, 255, 3)))
arr = np.asarray(im).astype(np.int16)
arr += rng.normal(0, 4, arr.shape).astype(np.int16)
Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(out + '/large.jpg', quality=85)

# Crafted bombs: 10,000 x 10,000 declared in a few dozen bytes.
def chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
png = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 10000, 10000, 1, 0, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(b'\x00')) + chunk(b'IEND', b'')
open(out + '/bomb.png', 'wb').write(png)
payload = b'\x2f' + struct.pack('<I', (10000 - 1) | (10000 - 1) << 14) + bytes(13)
vp8l = b'VP8L' + struct.pack('<I', len(payload)) + payload
open(out + '/bomb.webp', 'wb').write(b'RIFF' + struct.pack('<I', 4 + len(vp8l)) + b'WEBP' + vp8l)

# Multipart bodies with a 4,000-character boundary of hyphens (allowed by RFC 2046) after 8 MiB
# of hyphen runs one short of the delimiter: the case that was quadratic (the old reader compared
# up to 4,000 bytes at every hyphen). One under HMA's field name, one under /v1's.
boundary = '-' * 4000
filler = (b'-' * 4001 + b'x') * ((8 << 20) // 4002)
for name, field in [('multipart-hma', 'photo'), ('multipart-v1', 'file')]:
    body = ('--%s\r\nContent-Disposition: form-data; name="%s"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\nxyz\r\n--%s--\r\n' % (boundary, field, boundary)).encode()
    open(out + '/' + name + '.body', 'wb').write(filler + body)
open(out + '/boundary.txt', 'w').write(boundary)

# Pixels per byte of real encoders on one flat colour.
print('| format (Pillow 13) | size | bytes | pixels per byte |')
print('|---|---|--:|--:|')
for w, h in [(4000, 3000), (8000, 6000)]:
    flat = Image.new('RGB', (w, h), (10, 200, 10))
    for label, source, fmt, kw in [
        ('JPEG q10 optimised, grey', flat.convert('L'), 'JPEG', {'quality': 10, 'optimize': True}),
        ('PNG RGB', flat, 'PNG', {'optimize': True}),
        ('PNG 1-bit palette', flat.convert('P', palette=Image.ADAPTIVE, colors=2), 'PNG', {'optimize': True}),
        ('GIF', flat.convert('P', palette=Image.ADAPTIVE, colors=2), 'GIF', {}),
        ('WebP lossy', flat, 'WEBP', {'quality': 80}),
        ('WebP lossless', flat, 'WEBP', {'lossless': True}),
    ]:
        b = io.BytesIO()
        source.save(b, fmt, **kw)
        n = len(b.getvalue())
        print('| %s | %dx%d | %d | %d |' % (label, w, h, n, w * h // n))
print('| crafted PNG bomb | 10000x10000 | %d | %d |' % (len(png), 10**8 // len(png)))
print('| crafted WebP bomb | 10000x10000 | %d | %d |' % (38, 10**8 // 38))
