#!/usr/bin/env python3
"""Signed benign reports for the Centre's intake benchmark, written by an implementation of the
signing rule independent of Vigil's (Python's json and the `cryptography` package):

    signature = Ed25519(private_key, b"vigil-report-v1\\0" + canonical JSON of the report)

where the canonical JSON has its keys sorted at every level, no whitespace, and `/` unescaped
(RFC 8785 for reports, whose numbers are all integers and whose keys are ASCII).

    reports.py keygen KEYFILE                 # writes a private key (base64), prints the public key (base64)
    reports.py make KEYFILE PREFIX COUNT OUT  # COUNT signed bodies, one JSON document per line
    reports.py sign KEYFILE REPORT.json       # one signed body, for a quick check with curl

Imported by Benchmarks/crash/crash.py, which uses `mixed` (material, urgent material, solicitation).

Everything in the reports is made up: generated hashes, documentation IP addresses (RFC 5737),
placeholder accounts.
"""
import base64
import hashlib
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
