#!/usr/bin/env python3
"""The disk-full fault test's driver: Benchmarks/faults/disk-full.sh runs it with the node's data
folder on a small tmpfs (in a private mount namespace) that also holds a filler file.

Phases, each with its figures in results.json and summary.md:

  fill     `vigil serve --role all` on the tmpfs; POST /v1/lists/fill/entries (--batch md5 values a
           request) and, with --reports, a signed Centre report with one generated JPEG (8-50 KB)
           every --report-every requests, until --refusals answers in a row are refusals. Every
           answer is counted by status; a refusal must be 507 (or 503) with a JSON error that names
           the full disk and what to do; a 500, another status, or no answer in --timeout seconds
           is a problem.
  full     GET /ready must be 503 with a `disk_full:` problem; a match (a read) must still answer 200.
  freed    the filler file is deleted: /ready must be 200 by itself, and an entry (and a report)
           must be stored, without a restart.
  restart  SIGTERM, start again on the same folder: every acknowledged entry and report is there
           (read over a read-only SQLite connection), PRAGMA integrity_check is ok and
           `vigil audit verify` passes.

Exit status 1 on any problem. Everything written is generated and benign (random MD5 values,
generated pictures, documentation addresses).
"""
import argparse
import hashlib
import http.client
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "centre"))


class Node:
    def __init__(self, args):
        self.args = args
        self.process = None

    def start(self, label):
        with open(os.path.join(self.args.out, "serve.log"), "a") as log:
            log.write("\n==== %s: vigil serve started at %s ====\n" % (label, time.strftime("%H:%M:%S")))
            log.flush()
            self.process = subprocess.Popen(
                [self.args.vigil, "serve", "--role", "all", "--data-directory", self.args.data, "--port", str(self.args.port)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            status, _ = self.request("GET", "/ready", timeout=2)
            if status == 200:
                return True
            time.sleep(0.05)
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
        """(status, body bytes); status None when no answer came (the connection failed or timed out)."""
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.args.port, timeout=timeout or self.args.timeout)
            conn.request(method, path, body, headers or {})
            response = conn.getresponse()
            data = response.read()
            conn.close()
            return response.status, data
        except (OSError, http.client.HTTPException) as error:
            return None, str(error).encode()


def error_of(body):
    try:
        error = json.loads(body.decode("utf-8")).get("error", {})
        return error.get("code"), error.get("message", "")
    except (ValueError, AttributeError):
        return None, ""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vigil", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--filler", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--reports", action="store_true")
    parser.add_argument("--signing-key")
    parser.add_argument("--report-every", type=int, default=2)
    parser.add_argument("--refusals", type=int, default=20)
    parser.add_argument("--max-requests", type=int, default=20000)
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()
    key = os.environ["VIGIL_FAULT_KEY"]
    auth = {"Authorization": "Bearer " + key}
    json_headers = dict(auth, **{"Content-Type": "application/json"})
    rng = random.Random("disk-full/%d" % args.seed)
    problems = []
    statuses = {}
    slowest = {}  # "kind status" -> the slowest answer, seconds
    refusal_codes = {}
    refusal_messages = set()
    acked_entries = []
    acked_reports = {}  # provider_reference -> (id, sha256 of the file)
    results = {"phases": {}}

    reports_mod = None
    pictures = []
    signing_key = None
    if args.reports:
        import reports as reports_mod
        signing_key = reports_mod.load(args.signing_key)
        pictures = reports_mod.images(random.Random("disk-full-images/%d" % args.seed), count=8, w=160, h=120)

    def note(kind, status, body, started):
        took = time.monotonic() - started
        statuses["%s %s" % (kind, status)] = statuses.get("%s %s" % (kind, status), 0) + 1
        slowest["%s %s" % (kind, status)] = round(max(slowest.get("%s %s" % (kind, status), 0), took), 3)
        if status is None:
            problems.append({"phase": phase, "kind": kind, "problem": "no answer", "detail": body.decode("utf-8", "replace"),
                             "seconds": round(took, 3)})
            return "lost"
        if status in (200, 201, 202):
            return "ok"
        code, message = error_of(body)
        if status in (507, 503) and code in ("disk_full", "store_unavailable"):
            refusal_codes["%d %s" % (status, code)] = refusal_codes.get("%d %s" % (status, code), 0) + 1
            refusal_messages.add(message)
            if "disk" not in message or "free space" not in message:
                problems.append({"phase": phase, "kind": kind, "problem": "a refusal that does not say what to do",
                                 "status": status, "message": message})
            return "refused"
        problems.append({"phase": phase, "kind": kind, "problem": "unexpected answer", "status": status,
                         "body": body[:300].decode("utf-8", "replace")})
        return "bad"

    counter = [0]

    def post_entries(kind="entries"):
        values = []
        for _ in range(args.batch):
            counter[0] += 1
            values.append(hashlib.md5(b"disk-full/%d/%d" % (args.seed, counter[0])).hexdigest())
        body = json.dumps({"entries": [{"type": "md5", "value": v} for v in values]}).encode()
        started = time.monotonic()
        status, data = node.request("POST", "/v1/lists/fill/entries", body, json_headers)
        outcome = note(kind, status, data, started)
        if outcome == "ok":
            acked_entries.extend(values)
        return outcome

    def post_report(kind="report"):
        reference = "disk-full-%d-%d" % (args.seed, len(acked_reports) + counter[0])
        counter[0] += 1
        report = reports_mod.sample(reference, rng)
        data = reports_mod.jpeg_of_size(pictures[rng.randrange(len(pictures))], rng.randrange(8 << 10, 50 << 10), rng)
        reports_mod.attach(report, data)
        signed = reports_mod.sign(signing_key, report)
        body = reports_mod.multipart(signed, data, report["files"][0]["reference"])
        started = time.monotonic()
        status, answer = node.request("POST", "/v1/reports", body, dict(auth, **{"Content-Type": reports_mod.CONTENT_TYPE}))
        outcome = note(kind, status, answer, started)
        if outcome == "ok":
            acked_reports[reference] = (json.loads(answer.decode("utf-8")).get("id"), hashlib.sha256(data).hexdigest())
        return outcome

    def free_bytes():
        info = os.statvfs(args.data)
        return info.f_bavail * info.f_frsize

    node = Node(args)
    phase = "start"
    if not node.start("first start"):
        print("the node did not start; see serve.log", file=sys.stderr)
        return 1
    status, body = node.request("POST", "/v1/lists", json.dumps({"name": "fill", "kind": "internal"}).encode(), json_headers)
    if status != 201:
        print("could not create the list: %s %s" % (status, body[:200]), file=sys.stderr)
        node.stop()
        return 1

    # Fill.
    phase = "fill"
    started = time.monotonic()
    in_a_row = 0
    requests = 0
    first_refusal = None
    free_at_start = free_bytes()
    while in_a_row < args.refusals and requests < args.max_requests:
        requests += 1
        if args.reports and requests % args.report_every == 0:
            outcome = post_report()
        else:
            outcome = post_entries()
        if outcome == "refused":
            in_a_row += 1
            if first_refusal is None:
                first_refusal = {"request": requests, "entries_acknowledged": len(acked_entries), "reports_acknowledged": len(acked_reports),
                                 "free_bytes": free_bytes(), "seconds": round(time.monotonic() - started, 2)}
        elif outcome == "ok":
            in_a_row = 0
    if in_a_row < args.refusals:
        problems.append({"phase": phase, "problem": "the disk never filled in %d requests" % requests})
    results["phases"]["fill"] = {"requests": requests, "seconds": round(time.monotonic() - started, 2), "free_bytes_at_start": free_at_start,
                                 "free_bytes_at_end": free_bytes(), "first_refusal": first_refusal,
                                 "entries_acknowledged": len(acked_entries), "reports_acknowledged": len(acked_reports)}

    # Full: /ready says so, reads work.
    phase = "full"
    status, body = node.request("GET", "/ready")
    ready_full = {"status": status, "body": json.loads(body.decode("utf-8")) if status else body.decode("utf-8", "replace")}
    if status != 503 or not any(p.startswith("disk_full:") for p in ready_full["body"].get("problems", [])):
        problems.append({"phase": phase, "problem": "/ready does not report the full disk", "answer": ready_full})
    match_full = None
    if acked_entries:
        status, body = node.request("POST", "/v1/match/hash", json.dumps({"type": "md5", "value": acked_entries[0]}).encode(), json_headers)
        match_full = status
        if status != 200:
            problems.append({"phase": phase, "problem": "a match (a read) failed on a full disk", "status": status})
    results["phases"]["full"] = {"ready": ready_full, "match_status": match_full}

    # Freed: delete the filler; no restart.
    phase = "freed"
    os.remove(args.filler)
    status, body = node.request("GET", "/ready")
    ready_freed = status
    if status != 200:
        problems.append({"phase": phase, "problem": "/ready did not come back after space was freed", "status": status,
                         "body": body.decode("utf-8", "replace")})
    after = {"ready": ready_freed, "free_bytes": free_bytes(), "entries": post_entries("entries after freeing")}
    if args.reports:
        after["report"] = post_report("report after freeing")
    for what in ("entries", "report"):
        if what in after and after[what] != "ok":
            problems.append({"phase": phase, "problem": "a write after freeing space was not stored: %s" % after[what]})
    results["phases"]["freed"] = after

    # Restart: everything acknowledged is there, whole.
    phase = "restart"
    stop_status = node.stop()
    restarted = node.start("restart")
    if not restarted:
        problems.append({"phase": phase, "problem": "the node did not come back after the restart"})
    node.stop()
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(args.data, "vigil.sqlite"), uri=True, timeout=30)
    stored = {row[0] for row in db.execute(
        "SELECT e.value FROM entries e JOIN lists l ON l.id = e.list_id WHERE l.name = 'fill' AND e.deleted_at IS NULL")}
    stored_reports = {}
    if args.reports:
        for reference, sha in db.execute(
                "SELECT r.provider_reference, f.sha256 FROM reports r LEFT JOIN report_files f ON f.report_id = r.id"):
            stored_reports[reference] = sha
    integrity = [row[0] for row in db.execute("PRAGMA integrity_check")]
    db.close()
    lost_entries = [v for v in acked_entries if v not in stored]
    lost_reports = [r for r, (_, sha) in acked_reports.items() if stored_reports.get(r) != sha]
    audit = subprocess.run([args.vigil, "audit", "verify", "--data-directory", args.data], capture_output=True, text=True, timeout=300)
    audit_line = (audit.stdout.strip() or audit.stderr.strip()).splitlines()[-1:] or [""]
    if lost_entries or lost_reports:
        problems.append({"phase": phase, "problem": "acknowledged writes lost", "entries": len(lost_entries), "reports": len(lost_reports)})
    if integrity != ["ok"]:
        problems.append({"phase": phase, "problem": "integrity_check", "result": integrity[:5]})
    if audit.returncode != 0:
        problems.append({"phase": phase, "problem": "vigil audit verify failed", "line": audit_line[0]})
    results["phases"]["restart"] = {"stop_status": stop_status, "came_back": restarted, "entries_acknowledged": len(acked_entries),
                                    "entries_stored": len(stored), "entries_lost": len(lost_entries),
                                    "reports_acknowledged": len(acked_reports), "reports_lost": len(lost_reports),
                                    "integrity_check": integrity[:5], "audit_verify": audit_line[0]}
    results["statuses"] = statuses
    results["slowest_seconds"] = slowest
    results["refusals"] = refusal_codes
    results["refusal_messages"] = sorted(refusal_messages)
    results["problems"] = problems
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
    print(json.dumps(results, indent=2, sort_keys=True))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
