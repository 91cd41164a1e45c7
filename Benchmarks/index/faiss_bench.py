#!/usr/bin/env python3
"""FAISS baselines for the Vigil index benchmark: exact radius search at r = 31, one thread.

    faiss_bench.py DATASET [--radius 31] [--methods flat,mih] [--flat-timed N] [--mih-timed N]
                           [--truth-queries N] [--truth-threads T] [--out DIR]

Indexes:
  flat  IndexBinaryFlat(256): exact brute force; its result sets are the ground truth.
  mih   IndexBinaryMultiHash(256, nhash=16, b=16) with nflip = radius // 16 = 1: what HMA /
        python-threatexchange uses (PDQMultiHashIndex: nhash 16, bits 256 // 16, nflip =
        threshold // nhash, range_search(threshold + 1)). Exact at r = 31 by pigeonhole: if all 16
        substrings differed in >= 2 bits the distance would be >= 32, so one substring is within 1
        bit and its bucket (probed with every <= 1-bit flip) holds the entry. HMA wraps it in
        IndexBinaryIDMap2 (8 more bytes per hash plus a map); here ids are positions, so no wrapper.

Radius semantics: FAISS binary range_search returns distances strictly below the radius
(IndexBinary.h: "only distances < radius (strict comparison) are returned"; hamming_range_search
and IndexBinaryHash_impl.h both test `dis < radius`), so we pass radius + 1 = 32 to get <= 31.

Timing: range_search over the first K queries in one call with faiss.omp_set_num_threads(1);
q/s = K / seconds. K = all queries unless --flat-timed / --mih-timed cap it (then it is a
subset, which run.sh says in the table; the query order is random, so a prefix has the same mix).
Ground truth (faiss-flat-results.tsv) covers the first --truth-queries queries (default all); any
beyond the timed flat subset are computed untimed with --truth-threads threads.

Memory: bytes/hash = process RSS growth (/proc/self/statm) from just before the index is created
to just after add(), divided by N (base array already resident). Also the serialised size
(faiss.write_index_binary) per hash.

Output: faiss-flat-results.tsv and faiss-mih-results.tsv (query TAB sorted comma-separated base
indices; one line per searched query) and faiss-metrics.json in --out (default DATASET), and one
JSON line of metrics on stdout.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

import faiss


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def write_results(path: str, first: int, lims: np.ndarray, ids: np.ndarray, mode: str = "w") -> None:
    with open(path, mode) as f:
        for i in range(len(lims) - 1):
            s = np.sort(ids[lims[i]:lims[i + 1]])
            f.write(f"{first + i}\t{','.join(map(str, s.tolist()))}\n")


def serialised_size(index) -> int:
    fd, path = tempfile.mkstemp(suffix=".faissindex", dir=os.environ.get("TMPDIR", "/tmp"))
    os.close(fd)
    try:
        faiss.write_index_binary(index, path)
        return os.path.getsize(path)
    finally:
        os.unlink(path)


def log(msg: str) -> None:
    print(f"[faiss] {msg}", file=sys.stderr, flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dataset")
    ap.add_argument("--radius", type=int, default=31, help="match when distance <= radius (default 31)")
    ap.add_argument("--methods", default="flat,mih")
    ap.add_argument("--flat-timed", type=int, default=0, help="time flat on the first N queries (0 = all)")
    ap.add_argument("--mih-timed", type=int, default=0, help="time MultiHash on the first N queries (0 = all)")
    ap.add_argument("--truth-queries", type=int, default=0, help="ground truth for the first N queries (0 = all)")
    ap.add_argument("--truth-threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--no-serialise", action="store_true", help="skip the serialised-size measurement")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    out = a.out or a.dataset
    os.makedirs(out, exist_ok=True)
    methods = [m for m in a.methods.split(",") if m]

    with open(os.path.join(a.dataset, "meta.json")) as f:
        meta = json.load(f)
    base = np.fromfile(os.path.join(a.dataset, "base.bin"), dtype=np.uint8).reshape(-1, 32)
    queries = np.fromfile(os.path.join(a.dataset, "queries.bin"), dtype=np.uint8).reshape(-1, 32)
    n, q = len(base), len(queries)
    faiss_radius = a.radius + 1  # strict `<` in FAISS binary range_search
    metrics: dict = {"dataset": a.dataset, "n": n, "kind": meta.get("kind"), "queries": q,
                     "radius": a.radius, "faiss_radius_arg": faiss_radius, "faiss_version": faiss.__version__}
    log(f"{a.dataset}: N={n} Q={q} radius {a.radius} (range_search radius {faiss_radius}, strict <)")

    for method in methods:
        faiss.omp_set_num_threads(1)
        r0 = rss_bytes()
        t0 = time.perf_counter()
        if method == "flat":
            index = faiss.IndexBinaryFlat(256)
        elif method == "mih":
            index = faiss.IndexBinaryMultiHash(256, 16, 16)
            index.nflip = a.radius // 16
        else:
            raise SystemExit(f"unknown method {method}")
        index.add(base)
        build = time.perf_counter() - t0
        rss = rss_bytes() - r0
        ser = None if a.no_serialise else serialised_size(index)
        timed = getattr(a, f"{method}_timed") or q
        timed = min(timed, q)
        log(f"{method}: built in {build:.2f} s, RSS +{rss / n:.1f} B/hash; searching {timed} queries")
        t0 = time.perf_counter()
        lims, dists, ids = index.range_search(queries[:timed], faiss_radius)
        secs = time.perf_counter() - t0
        assert dists.size == 0 or dists.max() <= a.radius
        pairs = int(lims[-1])
        m = {"build_s": round(build, 3), "bytes_per_hash_rss": round(rss / n, 1),
             "bytes_per_hash_serialised": None if ser is None else round(ser / n, 1),
             "timed_queries": timed, "search_s": round(secs, 3), "qps": round(timed / secs, 1),
             "pairs": pairs, "results_queries": timed}
        if method == "mih":
            m.update({"nhash": 16, "b": 16, "nflip": int(index.nflip)})
        path = os.path.join(out, f"faiss-{method}-results.tsv")
        write_results(path, 0, lims, ids)
        if method == "flat":
            want = min(a.truth_queries or q, q)
            if want > timed:
                faiss.omp_set_num_threads(a.truth_threads)
                log(f"flat: ground truth for queries {timed}..{want - 1} ({a.truth_threads} threads, untimed)")
                t1 = time.perf_counter()
                lims2, dists2, ids2 = index.range_search(queries[timed:want], faiss_radius)
                assert dists2.size == 0 or dists2.max() <= a.radius
                write_results(path, timed, lims2, ids2, mode="a")
                m["pairs"] += int(lims2[-1])
                m["results_queries"] = want
                m["truth_untimed_s"] = round(time.perf_counter() - t1, 1)
        log(f"{method}: {m['qps']} q/s over {timed} queries, {m['pairs']} pairs")
        metrics[method] = m
        del index

    with open(os.path.join(out, "faiss-metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    print(json.dumps(metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
