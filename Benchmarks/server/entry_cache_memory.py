"""The entry cache's memory per entry, measured on a running node (docs/benchmarks.md).

Two runs of `vigil serve` on SQLite, each on a fresh data folder with the same N random PDQ entries
(imported as TSV with an id and a note, as a typical list is): one with the entry cache off
(VIGIL_INDEX_ENTRY_CACHE_ENTRIES=0), one with room for all N. Each then looks up every listed hash
once (exact value: each answer reads exactly one entry), and the resident memory of the process is
read before and after the lookups. The cache's cost per entry is the difference of the two growths
divided by N: whatever else the lookups allocate (connections, buffers, metrics) grows both runs alike.

    python3 Benchmarks/server/entry_cache_memory.py --vigil .build/release/vigil [--entries 100000]
"""

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def request(conn, method, path, key, body=None, content_type="application/json"):
    headers = {"Authorization": f"Bearer {key}"}
    if body is not None:
        headers["Content-Type"] = content_type
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: HTTP {response.status}: {data[:200]!r}")
    return data


def run(vigil, hexes, cache_entries, threads):
    work = tempfile.mkdtemp(prefix="vigil-cache-mem-")
    data = os.path.join(work, "data")
    key = subprocess.run(
        [vigil, "keys", "create", "--data-directory", data, "--organisation", "bench", "--scopes", "curate,match"],
        check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    port = free_port()
    env = dict(os.environ, VIGIL_INDEX_ENTRY_CACHE_ENTRIES=str(cache_entries))
    log = open(os.path.join(work, "serve.log"), "w")
    server = subprocess.Popen([vigil, "serve", "--data-directory", data, "--role", "provider", "--port", str(port)],
                              stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        for _ in range(200):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/ready")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("the node did not become ready")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        request(conn, "POST", "/v1/lists", key, json.dumps({"name": "bench", "kind": "internal"}))
        tsv = "".join(f"{h}\t{i}\tbench entry {i}\n" for i, h in enumerate(hexes)).encode()
        answer = json.loads(request(conn, "POST", "/v1/lists/bench/import?format=tsv", key, tsv, "text/tab-separated-values"))
        if answer.get("added") != len(hexes):
            raise RuntimeError(f"import added {answer.get('added')} of {len(hexes)}")
        time.sleep(1)
        before = rss_kib(server.pid)
        matched = [0] * threads

        def lookups(part):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            for h in hexes[part::threads]:
                body = json.loads(request(c, "POST", "/v1/match/hash", key, json.dumps({"type": "pdq", "value": h})))
                matched[part] += len(body.get("matches", []))

        workers = [threading.Thread(target=lookups, args=(p,)) for p in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        time.sleep(1)
        after = rss_kib(server.pid)
        return before, after, sum(matched)
    finally:
        server.terminate()
        server.wait()
        subprocess.run(["rm", "-rf", work])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vigil", required=True)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    hexes = ["%064x" % rng.getrandbits(256) for _ in range(args.entries)]
    rows = []
    for label, cache in (("cache off", 0), ("cache on", args.entries)):
        before, after, matched = run(args.vigil, hexes, cache, args.threads)
        if matched != args.entries:
            print(f"warning: {label}: {matched} matches for {args.entries} lookups", file=sys.stderr)
        rows.append((label, cache, before, after, matched))
    print("| run | cache entries | RSS before lookups (MiB) | RSS after (MiB) | growth (MiB) | matches |")
    print("|---|---|---|---|---|---|")
    for label, cache, before, after, matched in rows:
        print(f"| {label} | {cache:,} | {before / 1024:.1f} | {after / 1024:.1f} | {(after - before) / 1024:.1f} | {matched:,} |")
    growth_off = rows[0][3] - rows[0][2]
    growth_on = rows[1][3] - rows[1][2]
    per_entry = (growth_on - growth_off) * 1024 / args.entries
    print(f"\nentry cache: {per_entry:.0f} bytes per entry ({args.entries:,} entries; growth with the cache minus growth without)")


if __name__ == "__main__":
    main()
