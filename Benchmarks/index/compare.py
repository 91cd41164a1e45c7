#!/usr/bin/env python3
"""Compares Vigil's and FAISS's result sets and prints the markdown table for Benchmarks/index.

    compare.py [--radius 31] DATASET_DIR...

Each DATASET_DIR holds meta.json, base.bin, queries.bin, faiss-metrics.json, faiss-*-results.tsv,
vigil-metrics.json and vigil-results.tsv (any may be missing; rows are left out or marked).
Ground truth = faiss-flat-results.tsv (IndexBinaryFlat is exhaustive), over the queries it covers.
  recall      fraction of ground-truth (query, base) pairs the method returned (queries both cover)
  extra       pairs the method returned that the ground truth lacks (must be 0)
  bad dist    pairs whose recomputed Hamming distance exceeds the radius (must be 0)
Exit status 1 if any exactness check fails.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

POP = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def read_tsv(path: str) -> dict[int, set[int]] | None:
    if not os.path.exists(path):
        return None
    out: dict[int, set[int]] = {}
    with open(path) as f:
        for line in f:
            q, _, rest = line.rstrip("\n").partition("\t")
            out[int(q)] = {int(x) for x in rest.split(",")} if rest else set()
    return out


def load_json(path: str) -> dict | None:
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def check(d: str, results: dict[int, set[int]], truth: dict[int, set[int]] | None, radius: int) -> dict:
    base = np.memmap(os.path.join(d, "base.bin"), dtype=np.uint8, mode="r").reshape(-1, 32)
    queries = np.fromfile(os.path.join(d, "queries.bin"), dtype=np.uint8).reshape(-1, 32)
    qi = [q for q, s in results.items() for _ in s]
    bi = [b for s in results.values() for b in s]
    bad = 0
    if qi:
        order = np.argsort(bi)  # gather base rows in file order
        b_sorted = np.asarray(bi)[order]
        dist = POP[np.bitwise_xor(np.asarray(base[b_sorted]), queries[np.asarray(qi)[order]])].sum(axis=1)
        bad = int((dist > radius).sum())
    r: dict = {"pairs": len(qi), "bad": bad, "recall": None, "extra": None, "covered": 0}
    if truth is not None:
        common = [q for q in results if q in truth]
        want = sum(len(truth[q]) for q in common)
        hit = sum(len(truth[q] & results[q]) for q in common)
        r["extra"] = sum(len(results[q] - truth[q]) for q in common)
        r["recall"] = (hit / want) if want else 1.0
        r["covered"] = len(common)
    return r


def fmt(x, spec: str = ".2f") -> str:
    return "-" if x is None else format(x, spec)


def human(n: int) -> str:
    return f"{n // 1_000_000} M" if n % 1_000_000 == 0 else f"{n:,}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("datasets", nargs="+")
    ap.add_argument("--radius", type=int, default=31)
    a = ap.parse_args()

    rows = []
    notes = []
    ok = True
    targets = []
    for d in a.datasets:
        meta = load_json(os.path.join(d, "meta.json")) or {}
        fm = load_json(os.path.join(d, "faiss-metrics.json")) or {}
        vm = load_json(os.path.join(d, "vigil-metrics.json"))
        n, kind = meta.get("count"), meta.get("kind")
        truth = read_tsv(os.path.join(d, "faiss-flat-results.tsv"))
        qps = {}
        entries = []
        for method, label in (("flat", "FAISS IndexBinaryFlat"), ("mih", "FAISS MultiHash 16x16 nflip 1")):
            m = fm.get(method)
            if not m:
                continue
            res = read_tsv(os.path.join(d, f"faiss-{method}-results.tsv")) or {}
            c = check(d, res, truth if method != "flat" else None, a.radius)
            if method == "flat":
                c["recall"], c["extra"], c["covered"] = 1.0, 0, len(res)
            qps[method] = m["qps"]
            sub = "" if m["timed_queries"] == fm["queries"] else f" ({m['timed_queries']} queries)"
            bph = f"{m['bytes_per_hash_rss']:.0f}"
            if m.get("bytes_per_hash_serialised") is not None:
                bph += f" ({m['bytes_per_hash_serialised']:.0f})"
            entries.append((label, m["build_s"], None, bph, f"{m['qps']:,.0f}{sub}", c))
        if vm:
            res = read_tsv(os.path.join(d, "vigil-results.tsv")) or {}
            c = check(d, res, truth, a.radius)
            c["linear"] = (vm.get("linear_check_queries"), vm.get("linear_check_mismatches"))
            bph = f"{vm['bytes_per_hash']:.0f} ({vm['build_rss_delta_bytes_per_hash']:.0f})"
            entries.append((f"Vigil HammingIndex ({vm.get('substrings')} substrings)", vm["build_s"], vm["load_s"],
                            bph, f"{vm['qps']:,.0f}", c))
        for label, build, load, bph, q, c in entries:
            ratios = []
            for method in ("flat", "mih"):
                mine = float(q.split()[0].replace(",", ""))
                ratios.append(fmt(mine / qps[method], ".1f") + "x" if method in qps else "-")
            exact = c["bad"] == 0 and c["extra"] in (0, None) and (c["recall"] is None or c["recall"] == 1.0)
            if "linear" in c and c["linear"][1]:
                exact = False
            ok &= exact
            rows.append(f"| {human(n)} | {kind} | {label} | {fmt(build)} | {fmt(load)} | {bph} | {q} | "
                        f"{fmt(c['recall'], '.4f')} | {fmt(c['extra'], 'd')} | {c['bad']} | {ratios[0]} | {ratios[1]} |")
        if vm and n:
            v = vm["qps"]
            cov = check_cov = None
            if n >= 10_000_000 and n < 100_000_000:
                targets.append((f"{human(n)} {kind}: >= 2,000 q/s per core", v >= 2000, f"{v:,.0f} q/s"))
                for method, name in (("flat", "IndexBinaryFlat"), ("mih", "MultiHash")):
                    if method in qps:
                        targets.append((f"{human(n)} {kind}: >= 30x FAISS {name}", v / qps[method] >= 30,
                                        f"{v / qps[method]:.1f}x"))
                targets.append((f"{human(n)} {kind}: <= 128 bytes per hash incl. ids",
                                vm["bytes_per_hash"] <= 128, f"{vm['bytes_per_hash']:.1f} B"))
            if n >= 100_000_000:
                targets.append((f"{human(n)} {kind}: >= 500 q/s per core", v >= 500, f"{v:,.0f} q/s"))
                targets.append((f"{human(n)} {kind}: <= 128 bytes per hash incl. ids",
                                vm["bytes_per_hash"] <= 128, f"{vm['bytes_per_hash']:.1f} B"))
            lq, lm = vm.get("linear_check_queries"), vm.get("linear_check_mismatches")
            notes.append(f"- {human(n)} {kind}: Vigil linear-scan cross-check on {lq} queries: {lm} differing result sets; "
                         f"load RSS +{vm['load_rss_delta_bytes_per_hash']:.0f} B/hash, snapshot {vm['snapshot_bytes'] / 1e6:.0f} MB, "
                         f"peak RSS {vm['peak_rss_bytes'] / 2**30:.2f} GiB; warm repeat {vm['qps_warm']:,.0f} q/s; "
                         f"ground truth covers {len(truth) if truth else 0} queries")

    print("| N | kind | method | build s | load s | bytes/hash | q/s (1 core) | recall | extra pairs | bad dist | vs FAISS flat | vs FAISS MultiHash |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print()
    print("Radius 31 (distance <= 31; FAISS range_search is strict `<`, so it is called with 32). One thread. "
          "bytes/hash: FAISS = RSS growth over build (serialised size); Vigil = memoryFootprint (RSS growth over build). "
          "A query count after q/s means that many queries were timed (a prefix of the randomly ordered query set).")
    if notes:
        print()
        print("\n".join(notes))
    if targets:
        print()
        print("| target | result | measured |")
        print("|---|---|---|")
        for name, met, val in targets:
            print(f"| {name} | {'met' if met else 'NOT met'} | {val} |")
    print()
    print(f"Exactness (recall 1, no extra pairs, no distances > {a.radius}, linear scan agrees): {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
