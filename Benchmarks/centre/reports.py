#!/usr/bin/env python3
"""Signed benign reports for the Centre's intake benchmark, written by an implementation of the
signing rule independent of Vigil's (Python's json and the `cryptography` package):

    signature = Ed25519(private_key, b"vigil-report-v1\\0" + canonical JSON of the report)

where the canonical JSON has its keys sorted at every level, no whitespace, and `/` unescaped
(RFC 8785 for reports, whose numbers are all integers and whose keys are ASCII).

    reports.py keygen KEYFILE                 # writes a private key (base64), prints the public key (base64)
    reports.py make KEYFILE PREFIX COUNT OUT  # COUNT signed bodies, one JSON document per line
    reports.py make KEYFILE PREFIX COUNT OUT --file-bytes N
                                              # COUNT multipart/form-data bodies (the signed report and one
                                              # generated JPEG of exactly N bytes), as LoadGen's --body-records
    reports.py sign KEYFILE REPORT.json       # one signed body, for a quick check with curl

Imported by Benchmarks/crash/crash.py, which uses `mixed` (material, urgent material, solicitation)
and the generated JPEGs with `multipart`.

Everything in the reports is made up: generated hashes, documentation IP addresses (RFC 5737),
placeholder accounts.
"""
import base64
import hashlib
import io
import json
import random
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

DOMAIN = b"vigil-report-v1\x00"


def canonical(report):
    return json.dumps(report, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def raw_public(key):
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public):
    return hashlib.sha256(public).hexdigest()[:16]


def load(path):
    raw = base64.b64decode(open(path).read().strip())
    return Ed25519PrivateKey.from_private_bytes(raw)


def sign(key, report):
    signature = key.sign(DOMAIN + canonical(report))
    return {"report": report, "signature": {"key_id": key_id(raw_public(key)), "algorithm": "ed25519",
                                             "value": base64.b64encode(signature).decode()}}


def sample(reference, rng):
    """A complete report of one generated file, with every list the Centre writes back present
    (the canonical form is re-encoded from what the Centre reads: absent lists become [])."""
    md5 = "%032x" % rng.getrandbits(128)
    sha256 = "%064x" % rng.getrandbits(256)
    return {
        "provider_reference": reference,
        "provider": {"name": "Bench Hosting", "contact": "abuse@example.com", "establishment": "IE"},
        "reported_at": "2026-01-01T10:00:00Z",
        "type": "new_material",
        "annotations": [],
        "files": [{
            "reference": "f1", "media_type": "image/png",
            "hashes": [{"algorithm": "md5", "value": md5}, {"algorithm": "sha256", "value": sha256}],
            "original_hashes": [], "annotations": [], "matched_indicators": [], "device_ids": [],
            "ip_events": [{"ip": "192.0.2.%d" % rng.randrange(1, 255), "port": rng.randrange(1024, 65535),
                           "at": "2025-12-31T22:00:00Z", "event": "upload"}],
        }],
        "conversation": [],
        "geographic": {"offender_country": rng.choice(["DE", "FR", "NL", "PL"]), "ip_events": []},
        "users": [{"role": "suspect", "identifier": "user-%d" % rng.randrange(1, 10**9), "account_country": "DE",
                   "ip_events": [], "device_ids": []}],
        "also_reported_to": [],
        "removal": "removed",
        "urgent": False,
        "legal_basis": "Regulation (EU) 2021/1232",
    }


MESSAGES = [
    "hi, are you coming to the football practice on Saturday?",
    "did you finish the maths homework? page 42 is hard",
    "my cousin says the new café near the station is good",
    "can you send me the \"link\" to the school/club website?",
    "Grüße aus Köln, see you at the concert",
    "what time does the bus leave tomorrow?",
]


def mixed(reference, rng):
    """A report of one of three kinds, for the crash script's load: new material (one to three
    generated files whose hashes match nothing the Centre holds), urgent new material (with the
    reason), or solicitation (a short conversation of everyday messages and a user of each role).
    Every list the Centre writes back is present, so the canonical form of what is sent is the one
    the Centre stores. Returns (kind, report)."""
    kind = rng.choice(["material", "material", "urgent", "solicitation"])
    report = sample(reference, rng)
    if kind in ("material", "urgent"):
        for i in range(2, 2 + rng.randrange(3)):
            report["files"].append({
                "reference": "f%d" % i, "media_type": rng.choice(["image/png", "image/jpeg", "video/mp4"]),
                "hashes": [{"algorithm": "sha256", "value": "%064x" % rng.getrandbits(256)}],
                "original_hashes": [{"algorithm": "sha1", "value": "%040x" % rng.getrandbits(160)}],
                "annotations": [rng.choice(["viral", "potential_meme"])], "matched_indicators": [],
                "device_ids": [{"kind": "android_id", "value": "%016x" % rng.getrandbits(64)}], "ip_events": [],
            })
        if kind == "urgent":
            report["urgent"] = True
            report["urgency_reason"] = "test report %s: marked urgent by the crash script" % reference
    else:
        suspect, child = report["users"][0]["identifier"], "user-%d" % rng.randrange(1, 10**9)
        report["type"] = "solicitation"
        report["files"] = []
        report["users"].append({"role": "victim", "identifier": child,
                                "account_country": "FR", "ip_events": [], "device_ids": []})
        report["conversation"] = [
            {"sender": rng.choice([suspect, child]), "at": "2025-12-31T21:%02d:00Z" % minute, "text": rng.choice(MESSAGES)}
            for minute in range(rng.randrange(1, 6))]
    return kind, report


BOUNDARY = "vigil-bench-5f0c2a9e7d3b4c18"
CONTENT_TYPE = "multipart/form-data; boundary=" + BOUNDARY


def images(rng, count=64, w=480, h=360):
    """`count` benign JPEGs (w x h, quality 85; about 33-39 KB at 480x360, 4-6 KB at 160x120): a
    two-colour gradient, a few filled rectangles and Gaussian noise, from a seeded generator. Pillow
    and numpy are imported here only (the metadata-only mode needs neither)."""
    import numpy as np
    from PIL import Image, ImageDraw
    r = np.random.default_rng(rng.getrandbits(64))
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = (x / w * 0.6 + y / h * 0.4)[..., None]
    out = []
    for _ in range(count):
        c0, c1 = r.uniform(0, 255, 3), r.uniform(0, 255, 3)
        pixels = c0 * (1 - ramp) + c1 * ramp + r.normal(0, 10, (h, w, 3))
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
        draw = ImageDraw.Draw(image)
        for _ in range(4):
            x0, y0 = int(r.integers(0, w - w // 12)), int(r.integers(0, h - h // 9))
            draw.rectangle([x0, y0, x0 + int(r.integers(w // 24, w // 3)), y0 + int(r.integers(h // 18, h // 3))],
                           fill=tuple(int(v) for v in r.integers(0, 256, 3)))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85)
        out.append(buffer.getvalue())
    return out


def jpeg_of_size(base, size, filler):
    """`base` (a JPEG) with a comment segment (COM, which decoders skip) right after its start of
    image, filled from `filler` so that the file is exactly `size` bytes: every file's bytes, and so
    its MD5 and SHA-256, differ, while the picture comes from a small pool."""
    pad = size - len(base) - 4  # the marker and the length field
    if pad < 0 or pad > 65533:
        raise ValueError("a %d-byte JPEG cannot be padded to %d bytes" % (len(base), size))
    comment = bytes(filler.getrandbits(8) for _ in range(min(pad, 64))).ljust(pad, b"\x20")
    return base[:2] + b"\xff\xfe" + (pad + 2).to_bytes(2, "big") + comment + base[2:]


def attach(report, data):
    """Declares `data` (a JPEG) as the bytes of the report's first file: its MD5 and SHA-256."""
    file = report["files"][0]
    file["media_type"] = "image/jpeg"
    file["hashes"] = [{"algorithm": "md5", "value": hashlib.md5(data).hexdigest()},
                      {"algorithm": "sha256", "value": hashlib.sha256(data).hexdigest()}]


def with_file(reference, rng, pool, size):
    """A report of one generated JPEG of exactly `size` bytes, its MD5 and SHA-256 declared (the
    multipart body that files it: ``multipart``)."""
    report = sample(reference, rng)
    data = jpeg_of_size(pool[rng.randrange(len(pool))], size, rng)
    attach(report, data)
    return report, data


def multipart(signed, data, reference="f1"):
    head = ("--%s\r\nContent-Disposition: form-data; name=\"report\"\r\nContent-Type: application/json\r\n\r\n" % BOUNDARY).encode()
    middle = ("\r\n--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
              "Content-Type: image/jpeg\r\n\r\n" % (BOUNDARY, reference)).encode()
    tail = ("\r\n--%s--\r\n" % BOUNDARY).encode()
    if BOUNDARY.encode() in data:
        raise ValueError("the boundary occurs in a file")
    return head + json.dumps(signed, separators=(",", ":")).encode() + middle + data + tail


def main(argv):
    if len(argv) >= 2 and argv[0] == "keygen":
        key = Ed25519PrivateKey.generate()
        raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        with open(argv[1], "w") as f:
            f.write(base64.b64encode(raw).decode() + "\n")
        print(base64.b64encode(raw_public(key)).decode())
    elif len(argv) >= 5 and argv[0] == "make":
        key = load(argv[1])
        prefix, count, out = argv[2], int(argv[3]), argv[4]
        rng = random.Random(prefix)  # seeded: the same prefix gives the same reports
        if len(argv) >= 7 and argv[5] == "--file-bytes":
            size = int(argv[6])
            pool = images(rng)
            with open(out, "wb") as f:
                for i in range(count):
                    report, data = with_file("%s-%d" % (prefix, i), rng, pool, size)
                    body = multipart(sign(key, report), data)
                    f.write(b"%d\n" % len(body) + body)
            return 0
        with open(out, "w") as f:
            for i in range(count):
                f.write(json.dumps(sign(key, sample("%s-%d" % (prefix, i), rng)), separators=(",", ":")) + "\n")
    elif len(argv) >= 3 and argv[0] == "sign":
        print(json.dumps(sign(load(argv[1]), json.load(open(argv[2]))), separators=(",", ":")))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
