"""Feed lag between two provider nodes on one PostgreSQL database (Benchmarks/server/feed-lag.sh runs it).

A writer adds entries through node A at a fixed rate (open loop: write i is sent at start + i/rate,
one entry per request, seeded random PDQ values) from a pool of threads, each with its own
keep-alive connection. Every --sample-th acknowledged write is followed on node B: pollers send
POST /v1/match/hash for its value every --poll-ms until B answers with that value at distance 0.
Lag = the time B's answer arrived minus the time A's acknowledgement arrived (so it includes up to
one poll interval and one lookup's round trip). At the end, B's /v1/index/status must count every
acknowledged write (checked after a grace period).
Prints one JSON object (the figures) on stdout.
"""
import argparse
import http.client
import json
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--a", type=int, required=True, help="node A's port (writes)")
    ap.add_argument("--b", type=int, required=True, help="node B's port (lookups)")
    ap.add_argument("--key", required=True)
    ap.add_argument("--list", default="bench")
    ap.add_argument("--rate", type=float, default=500)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--sample", type=int, default=10)
    ap.add_argument("--poll-ms", type=float, default=20)
    ap.add_argument("--writers", type=int, default=32)
    ap.add_argument("--pollers", type=int, default=4)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--timeout", type=float, default=10, help="give up following a write after this many seconds")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    n = int(args.rate * args.seconds)
    values = ["%064x" % rng.getrandbits(256) for _ in range(n)]
    headers = {"Authorization": "Bearer " + args.key, "Content-Type": "application/json"}
    local = threading.local()

    def conn(port):
        c = getattr(local, "c%d" % port, None)
        if c is None:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            setattr(local, "c%d" % port, c)
        return c

    def request(port, method, path, body=None):
        for attempt in (0, 1):
            c = conn(port)
            try:
                c.request(method, path, body=body, headers=headers)
                r = c.getresponse()
                return r.status, r.read()
            except (http.client.HTTPException, OSError):
                c.close()
                setattr(local, "c%d" % port, None)
                if attempt == 1:
                    raise

    lock = threading.Lock()
    pending = {}  # value -> ack time
    lags = []
    write_latency = []  # from the scheduled send time to the acknowledgement
    failures = []
    acked = [0]
    unseen = []

    def write(i, scheduled):
        body = json.dumps({"entries": [{"type": "pdq", "value": values[i]}]})
        try:
            status, data = request(args.a, "POST", "/v1/lists/%s/entries" % args.list, body)
        except Exception as e:  # noqa: BLE001 - counted and reported
            with lock:
                failures.append(repr(e))
            return
        now = time.monotonic()
        with lock:
            if status == 201:
                acked[0] += 1
                write_latency.append(now - scheduled)
                if i % args.sample == 0:
                    pending[values[i]] = now
            else:
                failures.append("%d %s" % (status, data[:200]))

    stop = threading.Event()

    def poller(k):
        while not stop.is_set() or pending:
            t0 = time.monotonic()
            with lock:
                mine = [(v, t) for j, (v, t) in enumerate(pending.items()) if j % args.pollers == k]
            for v, t_ack in mine:
                status, data = request(args.b, "POST", "/v1/match/hash", json.dumps({"type": "pdq", "value": v}))
                now = time.monotonic()
                found = status == 200 and any(
                    m.get("value") == v and m.get("distance") == 0 for m in json.loads(data).get("matches", []))
                if found or now - t_ack > args.timeout:
                    with lock:
                        pending.pop(v, None)
                        (lags if found else unseen).append(now - t_ack)
            if stop.is_set() and not pending:
                break
            time.sleep(max(0.0, args.poll_ms / 1000 - (time.monotonic() - t0)))

    status, data = request(args.b, "GET", "/v1/index/status")
    base = json.loads(data)["pdq_entries"]
    pollers = [threading.Thread(target=poller, args=(k,), daemon=True) for k in range(args.pollers)]
    for p in pollers:
        p.start()
    start = time.monotonic() + 0.2
    with ThreadPoolExecutor(max_workers=args.writers) as pool:
        for i in range(n):
            scheduled = start + i / args.rate
            delay = scheduled - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(write, i, scheduled)
    sent_s = time.monotonic() - start  # the pool has finished: every write answered
    stop.set()
    for p in pollers:
        p.join(args.timeout + 5)
    # Every acknowledged write must reach B's index.
    deadline = time.monotonic() + 5
    while True:
        status, data = request(args.b, "GET", "/v1/index/status")
        st = json.loads(data)
        if st["pdq_entries"] - base >= acked[0] or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    ms = lambda x: round(x * 1000, 1)  # noqa: E731
    print(json.dumps({
        "writes_scheduled": n, "rate": args.rate, "seconds": args.seconds, "send_s": round(sent_s, 2),
        "writes_acknowledged": acked[0], "write_failures": len(failures), "failure_examples": failures[:3],
        "write_latency_p50_ms": ms(pct(write_latency, 50)), "write_latency_p99_ms": ms(pct(write_latency, 99)),
        "followed": len(lags) + len(unseen), "seen_on_b": len(lags), "not_seen_within_timeout": len(unseen),
        "lag_p50_ms": ms(pct(lags, 50)), "lag_p99_ms": ms(pct(lags, 99)), "lag_max_ms": ms(max(lags) if lags else float("nan")),
        "b_pdq_entries_added": st["pdq_entries"] - base, "b_sequence": st["sequence"],
        "sample_every": args.sample, "poll_ms": args.poll_ms,
    }))
    sys.exit(0 if not unseen and st["pdq_entries"] - base >= acked[0] else 1)


if __name__ == "__main__":
    main()
