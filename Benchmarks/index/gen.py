#!/usr/bin/env python3
"""Synthetic 256-bit hash datasets for the Vigil index benchmark (random bits only, nothing else).

    gen.py OUT_DIR --count 10000000 --kind random|clustered [--queries 10000] [--seed 1]

Writes into OUT_DIR:
  base.bin      N hashes, 32 bytes each: four little-endian UInt64 words, word 0 = bits 0..63
                (the in-memory layout of Swift's SIMD4<UInt64>; FAISS reads the same 32 bytes).
  queries.bin   Q hashes, same layout.
  queries.tsv   per query: index, type, source (base index or centre index, -1 if none), bits flipped.
  meta.json     parameters and the mix actually generated.

Kinds:
  random     base hashes uniform random.
  clustered  C centres uniform random; cluster sizes uniform in 10..100 (mean 55, so C ~ N/55);
             every base hash is its centre with k distinct random bits flipped, k uniform in 1..40
             (so members are up to 80 bits apart, typically ~40). Members are placed at random
             positions in base.bin (a seeded shuffle), so cluster mates are not neighbours in memory.

Queries (in a seeded random order, so any prefix has the same mix):
  10%  near duplicates: a random base hash with 1..30 distinct bits flipped (a true match at r = 31).
  90%  fresh:  random kind    - uniform random.
               clustered kind - half uniform random, half a random centre with 32..60 bits flipped.
                                These sit near dense clusters, so an index sees many candidates in
                                its probed buckets, but they are mostly not matches (a member with k
                                flips is at about 32 + k - 2*overlap; a few do land within 31 - the
                                ground truth is whatever FAISS's exact flat scan says).

Deterministic: the same --seed, --count, --kind and --queries give byte-identical files. Written in
chunks of 1 M hashes (about 100 MB of working memory for random; clustered also holds N uint32
cluster labels), so 100 M (3.2 GB) is fine.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

CHUNK = 1 << 20
KIND_CODE = {"random": 1, "clustered": 2}


def rng_for(seed: int, kind: str, *path: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, KIND_CODE[kind], *path])))


def random_hashes(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, np.iinfo(np.uint64).max, size=(n, 4), dtype=np.uint64, endpoint=True)


def flip_masks(rng: np.random.Generator, k: np.ndarray) -> np.ndarray:
    """(n, 4) uint64 masks, row i with exactly k[i] distinct random bits set (uniform over subsets).

    Robert Floyd's sampling algorithm, vectorised over rows: for j = 256-k .. 255 draw t in 0..j;
    take t unless it is already chosen, then take j.
    """
    n = len(k)
    mask = np.zeros((n, 4), dtype=np.uint64)
    if n == 0:
        return mask
    rows = np.arange(n)
    kmax = int(k.max())
    for j in range(256 - kmax, 256):
        active = k >= 256 - j
        t = rng.integers(0, j + 1, size=n)
        has = (mask[rows, t >> 6] >> (t & 63).astype(np.uint64)) & np.uint64(1)
        chosen = np.where(has.astype(bool), j, t)
        r = rows[active]
        c = chosen[active]
        mask[r, c >> 6] |= np.uint64(1) << (c & 63).astype(np.uint64)
    return mask


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--count", type=int, required=True, help="base hashes N")
    ap.add_argument("--kind", choices=sorted(KIND_CODE), required=True)
    ap.add_argument("--queries", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--force", action="store_true", help="regenerate even if meta.json matches")
    a = ap.parse_args()

    os.makedirs(a.out, exist_ok=True)
    meta_path = os.path.join(a.out, "meta.json")
    want = {"count": a.count, "kind": a.kind, "queries": a.queries, "seed": a.seed, "format": 1}
    if not a.force and os.path.exists(meta_path):
        with open(meta_path) as f:
            old = json.load(f)
        if all(old.get(k) == v for k, v in want.items()) and \
                os.path.getsize(os.path.join(a.out, "base.bin")) == 32 * a.count:
            print(f"[gen] {a.out}: up to date", file=sys.stderr)
            return 0

    t0 = time.time()
    n = a.count
    g = rng_for(a.seed, a.kind, 0)
    centres = labels = None
    info: dict = {}
    if a.kind == "clustered":
        sizes = g.integers(10, 101, size=n // 10 + 1)
        c = int(np.searchsorted(np.cumsum(sizes), n)) + 1
        sizes = sizes[:c].copy()
        sizes[-1] -= int(sizes.sum()) - n  # the last cluster is cut to fit
        centres = random_hashes(g, c)
        labels = np.repeat(np.arange(c, dtype=np.uint32), sizes)
        g.shuffle(labels)
        info = {"clusters": c, "cluster_size": "uniform 10..100 (last one cut)", "member_flips": "uniform 1..40"}

    base_path = os.path.join(a.out, "base.bin")
    with open(base_path + ".tmp", "wb") as f:
        for ci, start in enumerate(range(0, n, CHUNK)):
            m = min(CHUNK, n - start)
            r = rng_for(a.seed, a.kind, 1, ci)
            if a.kind == "random":
                block = random_hashes(r, m)
            else:
                k = r.integers(1, 41, size=m)
                block = centres[labels[start:start + m]] ^ flip_masks(r, k)
            f.write(block.astype("<u8", copy=False).tobytes())
    os.replace(base_path + ".tmp", base_path)
    del labels

    # Queries.
    q = a.queries
    base = np.memmap(base_path, dtype="<u8", mode="r", shape=(n, 4))
    g = rng_for(a.seed, a.kind, 2)
    n_dup = q // 10
    n_fresh = q - n_dup
    types = np.array(["dup"] * n_dup + (["fresh"] * n_fresh if a.kind == "random"
                     else ["fresh"] * (n_fresh - n_fresh // 2) + ["centre"] * (n_fresh // 2)))
    g.shuffle(types)
    queries = random_hashes(g, q)
    source = np.full(q, -1, dtype=np.int64)
    flips = np.zeros(q, dtype=np.int64)
    dup = np.nonzero(types == "dup")[0]
    source[dup] = g.integers(0, n, size=len(dup))
    flips[dup] = g.integers(1, 31, size=len(dup))
    queries[dup] = np.asarray(base[source[dup]]) ^ flip_masks(g, flips[dup])
    near = np.nonzero(types == "centre")[0]
    if len(near):
        source[near] = g.integers(0, len(centres), size=len(near))
        flips[near] = g.integers(32, 61, size=len(near))
        queries[near] = centres[source[near]] ^ flip_masks(g, flips[near])
    queries.astype("<u8", copy=False).tofile(os.path.join(a.out, "queries.bin"))
    with open(os.path.join(a.out, "queries.tsv"), "w") as f:
        f.write("query\ttype\tsource\tflips\n")
        for i in range(q):
            f.write(f"{i}\t{types[i]}\t{source[i]}\t{flips[i]}\n")

    meta = dict(want)
    meta.update(info)
    meta.update({
        "layout": "32 bytes per hash: 4 little-endian uint64 words, word 0 = bits 0..63 (SIMD4<UInt64>)",
        "query_mix": {t: int((types == t).sum()) for t in ("dup", "fresh", "centre")},
        "dup_flips": "uniform 1..30 from a random base hash",
        "centre_flips": "uniform 32..60 from a random centre" if a.kind == "clustered" else None,
        "seconds": round(time.time() - t0, 2),
    })
    with open(meta_path, "w") as f:
        json.dump(meta, f, indent=2)
    print(f"[gen] {a.out}: {n} {a.kind} hashes, {q} queries in {time.time() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
