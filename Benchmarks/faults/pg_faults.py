#!/usr/bin/env python3
"""The PostgreSQL fault tests' driver (Benchmarks/faults/pg-restart.sh and pg-backup.sh).

  restart  provider nodes (`vigil serve --role provider --store-url ...`) on one cluster; load
           threads add md5 entries (--batch a request) and match values already acknowledged,
           logging every answer. While the load runs PostgreSQL is restarted (pg_ctl restart -m
           fast) and then stopped for --down-seconds and started again. Every answer during an
           outage must be a 2xx or a 503 store_unavailable with Retry-After, never a 500, never
           slower than --slow seconds; /ready is polled every 0.2 s on every node; after the
           restart the nodes must answer by themselves (vigil is not restarted) and every
           acknowledged entry must be in PostgreSQL (psql) and be matched through the API.
  backup   one node under the same load; `pg_dump -Fc` while the writes continue; pg_restore into
           a new database; `vigil audit verify` on it; a node started on it must match every entry
           acknowledged before pg_dump started (also checked with psql).

Everything written is generated and benign (MD5 values of counters). Exit status 1 on any problem.
"""
import argparse
import glob
import hashlib
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time


def pg_bin(name):
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/" + name))
    return found[-1] if found else name


def as_owner(command):
    return (["runuser", "-u", "postgres", "--"] + command) if os.getuid() == 0 else command


class Node:
    def __init__(self, args, port, url, label):
        self.args, self.port, self.url, self.label = args, port, url, label
        self.process = None

    def start(self):
        log = open(os.path.join(self.args.out, "serve-%s.log" % self.label), "a")
        self.process = subprocess.Popen(
            [self.args.vigil, "serve", "--role", "provider", "--store-url", self.url, "--port", str(self.port),
             "--data-directory", os.path.join(self.args.out, "data-" + self.label)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            if self.request("GET", "/ready", timeout=2)[0] == 200:
                return True
            time.sleep(0.1)
        return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                return self.process.wait()
        return None

    def request(self, method, path, body=None, headers=None, timeout=None):
        """(status, body bytes, headers); status None when no answer came."""
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout or self.args.timeout)
            conn.request(method, path, body, headers or {})
            response = conn.getresponse()
            data = response.read()
            conn.close()
            return response.status, data, dict(response.getheaders())
        except (OSError, http.client.HTTPException) as error:
            return None, str(error).encode(), {}


def error_code(body):
    try:
        return json.loads(body.decode("utf-8")).get("error", {}).get("code")
    except (ValueError, AttributeError):
        return None


class Load:
    """Threads adding entries and matching acknowledged ones; every answer is logged."""

    def __init__(self, args, nodes, headers):
        self.args, self.nodes, self.headers = args, nodes, headers
        self.lock = threading.Lock()
        self.log = []  # (start, end, node, kind, status, code, retry_after)
        self.acked = []  # (ack time, value)
        self.stopping = threading.Event()
        self.counter = 0
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(args.threads)]

    def next_values(self):
        with self.lock:
            start = self.counter
            self.counter += self.args.batch
        return [hashlib.md5(b"pg-fault/%d/%d" % (self.args.seed, n)).hexdigest() for n in range(start, start + self.args.batch)]

    def record(self, started, node, kind, status, body, headers):
        entry = (started, time.monotonic(), node.label, kind, status, error_code(body) if status and status >= 400 else None,
                 headers.get("Retry-After") or headers.get("retry-after"), body[:300].decode("utf-8", "replace"))
        with self.lock:
            self.log.append(entry)

    def run(self, index):
        node = self.nodes[index % len(self.nodes)]
        mine = []
        n = 0
        while not self.stopping.is_set():
            n += 1
            values = self.next_values()
            body = json.dumps({"entries": [{"type": "md5", "value": v} for v in values]}).encode()
            started = time.monotonic()
            status, data, headers = node.request("POST", "/v1/lists/load/entries", body, self.headers)
            self.record(started, node, "add", status, data, headers)
            if status == 201:
                now = time.monotonic()
                with self.lock:
                    self.acked.extend((now, v) for v in values)
                mine.extend(values)
            if mine:
                value = mine[(n * 7919) % len(mine)]
                started = time.monotonic()
                status, data, headers = node.request("POST", "/v1/match/hash", json.dumps({"type": "md5", "value": value}).encode(),
                                                     self.headers)
                self.record(started, node, "match", status, data, headers)
            if status is not None and status >= 500:
                time.sleep(0.05)

    def start(self):
        for t in self.threads:
            t.start()

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=self.args.timeout + 5)


def psql(args, url, sql):
    out = subprocess.run([pg_bin("psql"), url, "-Atqc", sql], capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError("psql failed: " + out.stderr.strip())
    return out.stdout


def stored_values(args, url):
    return set(psql(args, url, "SELECT e.value FROM entries e JOIN lists l ON l.id = e.list_id "
                                "WHERE l.name = 'load' AND e.deleted_at IS NULL").split())


def matched_all(node, values, headers, problems, label):
    missing = []
    for value in values:
        status, data, _ = node.request("POST", "/v1/match/hash", json.dumps({"type": "md5", "value": value}).encode(), headers)
        ok = False
        if status == 200:
            try:
                ok = bool(json.loads(data.decode("utf-8")).get("matches"))
            except ValueError:
                pass
        if not ok:
            missing.append((value, status))
    if missing:
        problems.append({"problem": "acknowledged entries not matched on %s" % label, "count": len(missing), "first": missing[:3]})
    return len(values) - len(missing)


class ReadyWatch:
    """Polls /ready on every node every 0.2 s."""

    def __init__(self, nodes):
        self.nodes = nodes
        self.samples = []  # (time, node, status, body)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stopping.is_set():
            for node in self.nodes:
                status, body, _ = node.request("GET", "/ready", timeout=3)
                self.samples.append((time.monotonic(), node.label, status, body[:300].decode("utf-8", "replace")))
            time.sleep(0.2)


def setup(args, url, problems):
    subprocess.run([args.vigil, "orgs", "create", "PG Fault Hosting", "--kind", "provider", "--store-url", url],
                   check=True, capture_output=True, timeout=120)
    key = subprocess.run([args.vigil, "keys", "create", "--org", "PG Fault Hosting", "--scopes", "curate,match", "--store-url", url],
                         check=True, capture_output=True, text=True, timeout=120).stdout.strip().splitlines()[-1]
    return {"Authorization": "Bearer " + key, "Content-Type": "application/json"}


def restart_test(args):
    problems = []
    url = args.store_url
    headers = setup(args, url, problems)
    nodes = [Node(args, port, url, "n%d" % i) for i, port in enumerate(args.ports)]
    for node in nodes:
        if not node.start():
            print("node %s did not start; see serve-%s.log" % (node.label, node.label), file=sys.stderr)
            return 1
    status, body, _ = nodes[0].request("POST", "/v1/lists", json.dumps({"name": "load", "kind": "internal"}).encode(), headers)
    if status != 201:
        print("could not create the list: %s %s" % (status, body[:200]), file=sys.stderr)
        return 1
    time.sleep(2)  # every node's follower sees the list
    load = Load(args, nodes, headers)
    watch = ReadyWatch(nodes)
    began = time.monotonic()
    load.start()
    watch.thread.start()
    events = []

    def event(kind):
        time.sleep(args.settle)
        down = time.monotonic()
        if kind == "restart":
            subprocess.run(["bash", args.cluster_script, "restart", args.pg_dir], check=True, timeout=120)
        else:
            subprocess.run(as_owner([pg_bin("pg_ctl"), "-D", os.path.join(args.pg_dir, "data"), "-m", "fast", "-w", "stop"]),
                           check=True, timeout=120, capture_output=True)
            time.sleep(args.down_seconds)
            subprocess.run(["bash", args.cluster_script, "start", args.pg_dir], check=True, timeout=120, capture_output=True)
        up = time.monotonic()
        # Wait until every node is ready again by itself.
        ready_at = None
        deadline = up + 120
        while time.monotonic() < deadline:
            latest = {}
            for t, label, status, _ in list(watch.samples):
                if t > up:
                    latest[label] = (t, status)
            if len(latest) == len(nodes) and all(s == 200 for _, s in latest.values()):
                ready_at = max(t for t, _ in latest.values())
                break
            time.sleep(0.2)
        events.append({"kind": kind, "down": down, "up": up, "ready_at": ready_at})
        if ready_at is None:
            problems.append({"problem": "nodes not ready 120 s after PostgreSQL came back (%s)" % kind})

    event("restart")
    event("stop")
    time.sleep(args.settle)
    load.stop()
    watch.stopping.set()
    watch.thread.join()

    table = []
    for e in events:
        end = (e["ready_at"] or e["up"]) + 1
        during = [r for r in load.log if r[1] >= e["down"] and r[0] <= end]
        by_status = {}
        for r in during:
            key = "%s %s%s" % (r[3], r[4], " " + r[5] if r[5] else "")
            by_status[key] = by_status.get(key, 0) + 1
        ready_503 = [s for s in watch.samples if e["down"] <= s[0] <= end and s[2] != 200]
        e.update({"outage_seconds": round(e["up"] - e["down"], 2),
                  "ready_again_seconds": round(e["ready_at"] - e["up"], 2) if e["ready_at"] else None,
                  "requests_during": len(during), "answers": by_status,
                  "ready_not_200_polls": len(ready_503),
                  "ready_not_200_first": ready_503[0][3] if ready_503 else None,
                  "ready_not_200_after_seconds": round(ready_503[0][0] - e["down"], 2) if ready_503 else None})
        table.append(e)
    for r in load.log:
        status, code, retry = r[4], r[5], r[6]
        if status is None:
            problems.append({"problem": "no answer", "kind": r[3], "node": r[2], "seconds": round(r[1] - r[0], 2)})
        elif status >= 500 and not (status == 503 and code == "store_unavailable" and retry):
            problems.append({"problem": "unexpected answer", "status": status, "code": code, "retry_after": retry, "kind": r[3],
                             "body": r[7]})
        elif status not in (200, 201, 503):
            problems.append({"problem": "unexpected answer", "status": status, "code": code, "kind": r[3]})
        if r[1] - r[0] > args.slow:
            problems.append({"problem": "slow answer", "status": status, "seconds": round(r[1] - r[0], 2), "kind": r[3]})
    acked = [v for _, v in load.acked]
    stored = stored_values(args, url)
    lost = [v for v in acked if v not in stored]
    if lost:
        problems.append({"problem": "acknowledged entries lost (psql)", "count": len(lost), "first": lost[:3]})
    time.sleep(2)  # followers catch up
    matched = {node.label: matched_all(node, acked, {k: v for k, v in headers.items()}, problems, node.label) for node in nodes}
    for node in nodes:
        node.stop()
    statuses = {}
    for r in load.log:
        key = "%s %s%s" % (r[3], r[4], " " + r[5] if r[5] else "")
        statuses[key] = statuses.get(key, 0) + 1
    results = {"seconds": round(time.monotonic() - began, 1), "events": table, "statuses": statuses,
               "acknowledged": len(acked), "stored": len(stored), "lost": len(lost), "matched": matched,
               "slowest_seconds": round(max((r[1] - r[0] for r in load.log), default=0), 3),
               "problems": problems[:50], "problem_count": len(problems)}
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2, sort_keys=True, default=str)
    print("| event | outage (s) | requests during | answers | /ready not 200 (polls; first after) | ready again after (s) |")
    print("|---|---|---|---|---|---|")
    for e in table:
        print("| %s | %.2f | %d | %s | %d; %s | %s |" % (
            "pg_ctl restart -m fast" if e["kind"] == "restart" else "stopped %g s, started" % args.down_seconds,
            e["outage_seconds"], e["requests_during"], ", ".join("%s: %d" % kv for kv in sorted(e["answers"].items())),
            e["ready_not_200_polls"], "%s s" % e["ready_not_200_after_seconds"] if e["ready_not_200_polls"] else "-",
            e["ready_again_seconds"]))
    print("\nall answers: %s; slowest %.3f s" % (", ".join("%s: %d" % kv for kv in sorted(statuses.items())), results["slowest_seconds"]))
    print("acknowledged %d entries, stored %d (psql), lost %d; matched: %s; problems: %d" % (
        len(acked), len(stored), len(lost), matched, len(problems)))
    for p in problems[:10]:
        print("- " + json.dumps(p, default=str))
    return 1 if problems else 0


def backup_test(args):
    problems = []
    url = args.store_url
    headers = setup(args, url, problems)
    node = Node(args, args.ports[0], url, "source")
    if not node.start():
        print("the node did not start", file=sys.stderr)
        return 1
    status, body, _ = node.request("POST", "/v1/lists", json.dumps({"name": "load", "kind": "internal"}).encode(), headers)
    if status != 201:
        print("could not create the list: %s %s" % (status, body[:200]), file=sys.stderr)
        return 1
    load = Load(args, [node], headers)
    load.start()
    time.sleep(args.settle)
    dump = os.path.join(args.out, "vigil.dump")
    dump_started = time.monotonic()
    with load.lock:
        acked_before = [v for _, v in load.acked]
    out = subprocess.run([pg_bin("pg_dump"), "--format=custom", "--file", dump, url], capture_output=True, text=True, timeout=600)
    dump_ended = time.monotonic()
    if out.returncode != 0:
        problems.append({"problem": "pg_dump failed", "stderr": out.stderr[-500:]})
    time.sleep(args.settle)
    load.stop()
    acked_during = [v for t, v in load.acked if dump_started <= t <= dump_ended]
    node.stop()
    restored_db = "vigil_restored"
    base = url.rsplit("/", 1)[0]
    restored_url = base + "/" + restored_db
    subprocess.run([pg_bin("createdb"), "--maintenance-db", url, restored_db], check=True, capture_output=True, timeout=120)
    started = time.monotonic()
    out = subprocess.run([pg_bin("pg_restore"), "--exit-on-error", "--no-owner", "--dbname", restored_url, dump],
                         capture_output=True, text=True, timeout=600)
    restore_seconds = time.monotonic() - started
    if out.returncode != 0:
        problems.append({"problem": "pg_restore failed", "stderr": out.stderr[-500:]})
    audit = subprocess.run([args.vigil, "audit", "verify", "--store-url", restored_url], capture_output=True, text=True, timeout=600)
    audit_line = ((audit.stdout.strip() or audit.stderr.strip()).splitlines() or [""])[-1]
    if audit.returncode != 0:
        problems.append({"problem": "vigil audit verify failed on the restored database", "line": audit_line})
    stored = stored_values(args, restored_url)
    lost = [v for v in acked_before if v not in stored]
    if lost:
        problems.append({"problem": "entries acknowledged before pg_dump started are not in the restore", "count": len(lost)})
    restored = Node(args, args.ports[1], restored_url, "restored")
    matched = 0
    if not restored.start():
        problems.append({"problem": "no node came up on the restored database"})
    else:
        matched = matched_all(restored, acked_before, headers, problems, "the restored node")
        restored.stop()
    statuses = {}
    for r in load.log:
        key = "%s %s%s" % (r[3], r[4], " " + r[5] if r[5] else "")
        statuses[key] = statuses.get(key, 0) + 1
    results = {"acknowledged_total": len(load.acked), "acknowledged_before_dump": len(acked_before),
               "acknowledged_during_dump": len(acked_during), "during_dump_in_restore": sum(1 for v in acked_during if v in stored),
               "stored_in_restore": len(stored), "lost": len(lost), "matched_on_restored_node": matched,
               "dump_seconds": round(dump_ended - dump_started, 2), "dump_bytes": os.path.getsize(dump) if os.path.exists(dump) else 0,
               "restore_seconds": round(restore_seconds, 2), "audit_verify": audit_line, "statuses": statuses,
               "problems": problems}
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
    print("| | |\n|---|---|")
    print("| writes | %d entries acknowledged in all (%d before pg_dump started, %d while it ran); answers %s |" % (
        len(load.acked), len(acked_before), len(acked_during), ", ".join("%s: %d" % kv for kv in sorted(statuses.items()))))
    print("| pg_dump -Fc under load | %.2f s, %d bytes |" % (results["dump_seconds"], results["dump_bytes"]))
    print("| pg_restore into a new database | %.2f s |" % results["restore_seconds"])
    print("| in the restore (psql) | %d entries: every one acknowledged before the dump: %s (lost %d); of those acknowledged while it ran: %d |" % (
        len(stored), "yes" if not lost else "NO", len(lost), results["during_dump_in_restore"]))
    print("| matched on a node on the restore | %d of %d |" % (matched, len(acked_before)))
    print("| vigil audit verify | %s |" % audit_line)
    print("| problems | %d |" % len(problems))
    for p in problems:
        print("- " + json.dumps(p))
    return 1 if problems else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["restart", "backup"])
    parser.add_argument("--vigil", required=True)
    parser.add_argument("--store-url", required=True)
    parser.add_argument("--pg-dir", required=True)
    parser.add_argument("--cluster-script", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--ports", type=int, nargs="+", required=True)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--settle", type=float, default=4)
    parser.add_argument("--down-seconds", type=float, default=5)
    parser.add_argument("--slow", type=float, default=5)
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    return restart_test(args) if args.mode == "restart" else backup_test(args)


if __name__ == "__main__":
    sys.exit(main())
