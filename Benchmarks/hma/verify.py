"""Check that HMA's lookups return real matches (not 404s/empties): brute-force the expected matches
(Hamming distance <= 31, HMA's PDQIndex threshold) for near-duplicate and random queries from
queries.txt and compare with GET /m/lookup; check that POST /m/lookup hashes the JPEG.
Usage: verify.py BASE_URL LIST_TSV QUERIES JPEG BANK [N]
"""
import sys

import numpy as np
import requests

base, list_path, queries_path, jpeg, bank = sys.argv[1:6]
n_check = int(sys.argv[6]) if len(sys.argv) > 6 else 100

with open(list_path) as f:
    hexes = [line.split("\t", 1)[0] for line in f]
ids = np.arange(len(hexes))  # list.tsv ids are 0..n-1 in order (Benchmarks/server/run.sh)
listed = np.frombuffer(bytes.fromhex("".join(hexes)), dtype=np.uint64).reshape(-1, 4)
queries = [q.strip() for q in open(queries_path) if q.strip()]


def expected(q):
    d = np.bitwise_count(listed ^ np.frombuffer(bytes.fromhex(q), dtype=np.uint64)).sum(axis=1)
    hit = np.nonzero(d <= 31)[0]
    return {int(ids[i]) + 1: int(d[i]) for i in hit}  # bank_content_id = list id + 1


s = requests.Session()
bad = 0
for label, picks in (("near-duplicate", range(0, len(queries), 10)), ("random", range(1, len(queries), 10))):
    checked = matched = 0
    for qi in list(picks)[:n_check]:
        q = queries[qi]
        r = s.get(f"{base}/m/lookup", params={"signal_type": "pdq", "signal": q})
        if r.status_code != 200:
            print(f"  {label} query {qi}: HTTP {r.status_code} {r.text[:200]}")
            bad += 1
            continue
        got = {m["bank_content_id"]: int(m["distance"]) for m in r.json().get(bank, [])}
        want = expected(q)
        checked += 1
        matched += bool(got)
        if got != want:
            bad += 1
            print(f"  {label} query {qi}: HMA {got} != brute force {want}")
        elif label == "near-duplicate" and checked <= 3:
            print(f"  e.g. query {qi} {q[:16]}...: {r.text.strip()}")
    print(f"verify: {label}: {checked} queries checked against brute force, {matched} returned a match")

with open(jpeg, "rb") as f:
    r = s.post(f"{base}/m/lookup", files={"photo": ("upload-1024x768.jpg", f, "image/jpeg")})
print(f"verify: POST /m/lookup (JPEG upload): HTTP {r.status_code} {r.text.strip()[:200]}")
bad += r.status_code != 200 or "pdq" not in r.json()
with open(jpeg, "rb") as f:
    r = s.post(f"{base}/h/hash", files={"photo": ("upload-1024x768.jpg", f, "image/jpeg")})
print(f"verify: POST /h/hash (JPEG upload): HTTP {r.status_code} {r.text.strip()[:200]}")
print("verify: OK" if bad == 0 else f"verify: {bad} FAILURES")
sys.exit(1 if bad else 0)
