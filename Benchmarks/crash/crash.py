#!/usr/bin/env python3
"""The crash script's driver (Benchmarks/crash/run.sh sets up the data folder and the keys, then
runs this): a Centre node under intake load is killed with SIGKILL at a seeded random moment,
restarted on the same data folder, and checked, round after round.

    crash.py --vigil PATH --data DIR --port N --signing-key FILE --out DIR
             [--rounds 20] [--seed 1] [--threads 8] [--kill-after 0.5,3.0] [--file-share 0.25]
             [--target centre|provider] [--store sqlite|postgres [--store-url URL]]

The provider's API key (scope report) comes in $VIGIL_CRASH_PROVIDER_KEY, the Centre analyst's key
(scope assess) in $VIGIL_CRASH_READER_KEY. `--target provider` (a provider node's list entries, no
signing key) is Benchmarks/crash/provider.py, described there; what follows is the centre target.
Starting, killing and restarting the node, and the store's access, are in nodes.py.

Each round: load threads (http.client, keep-alive) POST freshly made signed reports
(reports.mixed: material, urgent material, solicitation) and append every 201 to acks.jsonl (the
id, the provider_reference, the SHA-256 of the canonical JSON sent and the signature, and the file
sent with it, if any); a share of the reports of material (--file-share, one in four by default)
carry their first file's bytes as multipart/form-data: a benign generated JPEG of 8-50 KB (a seeded
pool of gradients with rectangles and noise, each file padded with a JPEG comment of its own to a
random size, so every file's digests differ) whose MD5 and SHA-256 the signed report declares; the server
process itself is killed with SIGKILL at a seeded moment; requests without an answer are written to
unanswered.jsonl. The server is started again on the same folder and /ready polled (the
restart-to-ready time). Then, with the load paused:

- every report acknowledged in the round is read back with GET /v1/reports/{id} as the analyst:
  200, the same provider_reference, the same canonical content (SHA-256) and signature;
- the database (read-only): every report acknowledged so far is stored under its id with the content
  sent; every stored report is whole (its JSON parses to the reference of its row, its content is
  what was sent, it has exactly one report.file audit event, and every report.file event names a
  stored report; a report sent with a file has exactly that file's report_files row, with the
  reference, size and SHA-256 declared, and one sent without has none; no file row without its
  report); reports stored but not acknowledged (sent when the server died) are counted as extra;
  PRAGMA integrity_check is ok;
- `vigil audit verify` over the data folder passes (the last sequence is kept in the table).

After the last round every acknowledged report is read back again over HTTP, the node is stopped
(SIGTERM), and the database and the chain are checked once more with no server running. The exit
status is 1 on any missing, altered or half-written report, a 5xx or other unexpected answer, a
failed check, or a server that does not come back.
"""
import argparse
import hashlib
import http.client
import json
import os
import random
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "centre"))
import reports  # noqa: E402  (Benchmarks/centre/reports.py: the signing rule, the reports)
from nodes import Node, Problems, store_for  # noqa: E402


def digest(canonical_bytes):
    return hashlib.sha256(canonical_bytes).hexdigest()


class CentreTarget(Node):
    """The Centre (on SQLite or PostgreSQL): what to send, where to look (starting, killing and restarting it: Node;
    the provider node's entries are the other target, provider.py)."""

    def __init__(self, args):
        super().__init__(args, "centre", store_for(args))
        self.args = args
        self.provider_key = os.environ["VIGIL_CRASH_PROVIDER_KEY"]
        self.reader_key = os.environ["VIGIL_CRASH_READER_KEY"]
        self.signing_key = reports.load(args.signing_key)
        self.file_share = args.file_share
        pool_rng = random.Random("crash-images/%s" % args.seed)
        # Small pictures (about 5 KB) padded to 8-50 KB: what a file's bytes are made of.
        self.pictures = reports.images(pool_rng, count=16, w=160, h=120) if self.file_share > 0 else []

    # The load.

    def make(self, reference, rng):
        """(kind, body, content type, SHA-256 of the canonical JSON, signature, the file sent: None or
        [reference, size, sha256])."""
        kind, report = reports.mixed(reference, rng)
        data = None
        if kind != "solicitation" and rng.random() < self.file_share:
            data = reports.jpeg_of_size(self.pictures[rng.randrange(len(self.pictures))], rng.randrange(8 << 10, 50 << 10), rng)
            reports.attach(report, data)
        signed = reports.sign(self.signing_key, report)
        sent = digest(reports.canonical(report)), signed["signature"]["value"]
        if data is None:
            return kind, json.dumps(signed, separators=(",", ":"), ensure_ascii=False).encode("utf-8"), "application/json", *sent, None
        file = [report["files"][0]["reference"], len(data), hashlib.sha256(data).hexdigest()]
        return kind, reports.multipart(signed, data, file[0]), reports.CONTENT_TYPE, *sent, file

    def post(self, conn, body, content_type):
        conn.request("POST", "/v1/reports", body, {
            "Authorization": "Bearer " + self.provider_key, "Content-Type": content_type})
        response = conn.getresponse()
        return response.status, response.read()

    def get(self, conn, report_id):
        conn.request("GET", "/v1/reports/%d" % report_id, headers={"Authorization": "Bearer " + self.reader_key})
        response = conn.getresponse()
        return response.status, response.read()

    # The store.

    def read_store(self):
        """Every stored report (id, reference, SHA-256 of its stored canonical JSON, signature,
        whether its JSON parses to its row's reference), the report files, the report.file events'
        ids with their counts, all in one snapshot read beside the running server (SQLite: a
        read-only WAL connection; PostgreSQL: a REPEATABLE READ, READ ONLY transaction), and the
        store's integrity check (PRAGMA integrity_check, or amcheck on PostgreSQL)."""
        answers = self.store.read({
            "reports": "SELECT id, provider_reference, report_json, signature FROM reports",
            "files": "SELECT report_id, reference, size, sha256 FROM report_files",
            "events": "SELECT object FROM audit_events WHERE action = 'report.file'",
        })
        rows = {}
        for rid, ref, blob, sig in answers["reports"]:
            blob = bytes(blob)
            try:
                parses = json.loads(blob.decode("utf-8")).get("provider_reference") == ref
            except ValueError:
                parses = False
            rows[rid] = (ref, digest(blob), sig, parses)
        files = {}
        for rid, ref, size, sha256 in answers["files"]:
            files.setdefault(rid, []).append([ref, size, sha256])
        events = {}
        for (obj,) in answers["events"]:
            rid = int(obj.split(":", 1)[1]) if obj.startswith("report:") else -1
            events[rid] = events.get(rid, 0) + 1
        return rows, files, events, self.store.integrity()


class Ledger:
    """What was sent: the acknowledgements (acks.jsonl) and the requests that got no answer
    (unanswered.jsonl), in memory and on disk."""

    def __init__(self, out):
        self.lock = threading.Lock()
        self.acks = {}        # reference -> (id, digest, signature, round, file or None)
        self.unanswered = {}  # reference -> (digest, signature, round, how, file or None)
        self.by_round = {}    # round -> [reference acknowledged]
        self.statuses = {}    # status -> count (every answer)
        self.kinds = {}
        self.ack_file = open(os.path.join(out, "acks.jsonl"), "a")
        self.unanswered_file = open(os.path.join(out, "unanswered.jsonl"), "a")

    def ack(self, round_no, reference, report_id, sent_digest, signature, kind, file):
        with self.lock:
            self.acks[reference] = (report_id, sent_digest, signature, round_no, file)
            self.by_round.setdefault(round_no, []).append(reference)
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
            self.ack_file.write(json.dumps({"round": round_no, "id": report_id, "provider_reference": reference,
                                            "sha256": sent_digest, "signature": signature, "kind": kind, "file": file}) + "\n")
            self.ack_file.flush()

    def no_answer(self, round_no, reference, sent_digest, signature, how, file):
        with self.lock:
            self.unanswered[reference] = (sent_digest, signature, round_no, how, file)
            self.unanswered_file.write(json.dumps({"round": round_no, "provider_reference": reference,
                                                   "sha256": sent_digest, "signature": signature, "how": how, "file": file}) + "\n")
            self.unanswered_file.flush()

    def answered(self, status):
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1


def load_thread(target, ledger, problems, round_no, thread_no, seed, killing, stop):
    """Posts reports until the server dies (after `killing` is set) or `stop` is set."""
    rng = random.Random("%s/%d/%d" % (seed, round_no, thread_no))
    conn = http.client.HTTPConnection("127.0.0.1", target.port, timeout=30)
    n = 0
    while not stop.is_set():
        reference = "crash-%s-r%d-t%d-%d" % (seed, round_no, thread_no, n)
        n += 1
        kind, body, content_type, sent_digest, signature, file = target.make(reference, rng)
        try:
            status, answer = target.post(conn, body, content_type)
        except (OSError, http.client.HTTPException) as error:
            how = "refused" if isinstance(error, ConnectionRefusedError) else type(error).__name__
            if killing.is_set():
                ledger.no_answer(round_no, reference, sent_digest, signature, how, file)
            else:
                problems.add(round_no, "request failed before the kill", "%s: %s (%s)" % (reference, how, error))
                ledger.no_answer(round_no, reference, sent_digest, signature, "before kill: " + how, file)
            break
        ledger.answered(status)
        if status == 201:
            try:
                filed = json.loads(answer)
                report_id = int(filed["id"])
                if filed.get("provider_reference") != reference:
                    problems.add(round_no, "201 with another reference", "%s: %s" % (reference, answer[:300]))
            except (ValueError, KeyError, TypeError):
                problems.add(round_no, "201 without an id", "%s: %r" % (reference, answer[:300]))
                continue
            ledger.ack(round_no, reference, report_id, sent_digest, signature, kind, file)
        else:
            problems.add(round_no, "answer %d to a filing" % status, "%s: %r" % (reference, answer[:300]))
    conn.close()


def read_back(target, ledger, problems, round_no, references, threads):
    """GET /v1/reports/{id} as the analyst for every acknowledged reference: status first, then the
    reference, the canonical content and the signature. Returns how many were whole."""
    todo = list(references)
    lock = threading.Lock()
    good = [0]

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", target.port, timeout=30)
        while True:
            with lock:
                if not todo:
                    break
                reference = todo.pop()
            report_id, sent_digest, signature = ledger.acks[reference][:3]
            try:
                status, answer = target.get(conn, report_id)
            except (OSError, http.client.HTTPException) as error:
                problems.add(round_no, "read-back failed", "id %d (%s): %s" % (report_id, reference, error))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", target.port, timeout=30)
                continue
            if status != 200:
                problems.add(round_no, "acknowledged report not readable",
                             "GET /v1/reports/%d (%s): %d %r" % (report_id, reference, status, answer[:200]))
                continue
            detail = json.loads(answer)
            report = detail.get("report", {})
            if report.get("provider_reference") != reference or detail.get("id") != report_id:
                problems.add(round_no, "read-back: another report",
                             "id %d: expected %s, got %s" % (report_id, reference, report.get("provider_reference")))
            elif digest(reports.canonical(report)) != sent_digest:
                problems.add(round_no, "read-back: content differs", "id %d (%s)" % (report_id, reference))
            elif detail.get("signature", {}).get("value") != signature:
                problems.add(round_no, "read-back: signature differs", "id %d (%s)" % (report_id, reference))
            else:
                with lock:
                    good[0] += 1
        conn.close()

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return good[0]


def check_store(target, ledger, problems, round_no):
    """The database against the ledger (see the module's description). Returns the table's counts."""
    rows, files, events, integrity = target.read_store()
    by_reference = {ref: (rid, d, sig, parses) for rid, (ref, d, sig, parses) in rows.items()}
    present = missing = 0
    files_expected = files_present = 0

    def check_files(rid, reference, sent_file):
        """The report's report_files rows are exactly the file sent with it (or none)."""
        nonlocal files_expected, files_present
        stored_files = files.get(rid, [])
        if sent_file is not None:
            files_expected += 1
        if stored_files == ([sent_file] if sent_file is not None else []):
            files_present += sent_file is not None
        elif sent_file is None:
            problems.add(round_no, "stored files for a report sent without", "id %d (%s): %s" % (rid, reference, stored_files))
        else:
            problems.add(round_no, "report's file missing or altered",
                         "id %d (%s): sent %s, stored %s" % (rid, reference, sent_file, stored_files))

    for reference, (report_id, sent_digest, signature, _, sent_file) in ledger.acks.items():
        stored = by_reference.get(reference)
        if stored is None:
            missing += 1
            problems.add(round_no, "acknowledged report missing", "id %d (%s)" % (report_id, reference))
        elif stored[0] != report_id:
            missing += 1
            problems.add(round_no, "acknowledged report under another id", "%s: acknowledged %d, stored %d" % (reference, report_id, stored[0]))
        elif stored[1] != sent_digest or stored[2] != signature:
            missing += 1
            problems.add(round_no, "acknowledged report altered", "id %d (%s)" % (report_id, reference))
        else:
            present += 1
            check_files(report_id, reference, sent_file)
    extra = extra_whole = 0
    extra_by_round = {}  # round -> unanswered requests of that round found stored, whole
    for rid, (reference, stored_digest, signature, parses) in rows.items():
        if not parses:
            problems.add(round_no, "half-written report: its JSON does not parse to its reference", "id %d (%s)" % (rid, reference))
        if events.get(rid, 0) != 1:
            problems.add(round_no, "half-written report: %d report.file events" % events.get(rid, 0), "id %d (%s)" % (rid, reference))
        if reference in ledger.acks:
            continue
        extra += 1
        sent = ledger.unanswered.get(reference)
        if sent is None:
            problems.add(round_no, "stored report never sent", "id %d (%s)" % (rid, reference))
        elif sent[0] != stored_digest or sent[1] != signature:
            problems.add(round_no, "unacknowledged report stored altered", "id %d (%s)" % (rid, reference))
        else:
            extra_whole += 1
            extra_by_round[sent[2]] = extra_by_round.get(sent[2], 0) + 1
            check_files(rid, reference, sent[4])
    for rid in events:
        if rid not in rows:
            problems.add(round_no, "report.file event without its report", "report:%d" % rid)
    for rid in files:
        if rid not in rows:
            problems.add(round_no, "report_files rows without their report", "report %d: %s" % (rid, files[rid]))
    if integrity != ["ok"]:
        problems.add(round_no, "PRAGMA integrity_check", "; ".join(integrity[:10]))
    return {"stored": len(rows), "present": present, "missing": missing, "extra": extra, "extra_whole": extra_whole,
            "extra_by_round": extra_by_round, "files_expected": files_expected, "files_present": files_present,
            "stored_files": sum(len(v) for v in files.values()), "integrity": ";".join(integrity[:3])}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vigil", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--signing-key", help="the provider's Ed25519 key (the centre target)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", default="1")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--kill-after", default="0.5,3.0", help="the range of the kill moment, seconds into a round")
    parser.add_argument("--file-share", type=float, default=0.25, help="the share of reports of material sent with a file")
    parser.add_argument("--target", default="centre", choices=["centre", "provider"])
    parser.add_argument("--store", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--store-url", help="the PostgreSQL database's URL (--store postgres)")
    args = parser.parse_args()
    if args.store == "postgres" and not args.store_url:
        parser.error("--store postgres needs --store-url")
    if args.target == "provider":
        import provider  # Benchmarks/crash/provider.py: the provider node's entries
        return provider.main(args)
    if not args.signing_key:
        parser.error("the centre target needs --signing-key")
    low, high = (float(x) for x in args.kill_after.split(","))

    target = CentreTarget(args)
    ledger = Ledger(args.out)
    problems = Problems(os.path.join(args.out, "problems.jsonl"))
    rng = random.Random("crash/%s" % args.seed)
    results = []
    started = time.monotonic()

    ready = target.start("initial")
    if ready is None:
        problems.add(0, "server did not start", "see serve.log")
        return 1

    print("| round | kill at s | acked in round | acked so far | stored | present | missing | extra so far "
          "| files whole/expected | no answer (stored) | non-201 | restart to ready ms | read back | audit last seq |")
    print("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|", flush=True)
    for round_no in range(1, args.rounds + 1):
        kill_at = rng.uniform(low, high)
        killing, stop = threading.Event(), threading.Event()
        before_statuses = dict(ledger.statuses)
        before_problems = problems.count()
        threads = [threading.Thread(target=load_thread, args=(target, ledger, problems, round_no, t, args.seed, killing, stop))
                   for t in range(args.threads)]
        round_start = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(max(0.0, round_start + kill_at - time.monotonic()))  # the seeded kill moment
        killing.set()
        status = target.kill()
        stop.set()
        for t in threads:
            t.join()
        if status != -signal.SIGKILL:
            problems.add(round_no, "the server had already exited", "exit status %s (see serve.log)" % status)
        ready = target.start("round %d" % round_no)
        if ready is None:
            problems.add(round_no, "server did not come back after the kill", "see serve.log")
            break
        acked_round = ledger.by_round.get(round_no, [])
        read = read_back(target, ledger, problems, round_no, acked_round, args.threads)
        counts = check_store(target, ledger, problems, round_no)
        audit_ok, audit_line = target.audit_verify()
        if not audit_ok:
            problems.add(round_no, "vigil audit verify", audit_line)
        last_seq = audit_line.split("last sequence ")[1].split(",")[0] if "last sequence " in audit_line else "?"
        unanswered_round = sum(1 for v in ledger.unanswered.values() if v[2] == round_no)
        other = sum(n for s, n in ledger.statuses.items() if s != 201) - sum(n for s, n in before_statuses.items() if s != 201)
        row = {"round": round_no, "kill_at_s": round(kill_at, 3), "acked_round": len(acked_round), "acked_total": len(ledger.acks),
               "unanswered": unanswered_round, "non_201": other, "exit_status": status, "ready_ms": round(ready * 1000, 1),
               "read_back": read, "audit": audit_line, "problems": problems.count() - before_problems, **counts}
        results.append(row)
        print("| %d | %.2f | %d | %d | %d | %d | %d | %d | %d/%d | %d (%d) | %d | %.0f | %d/%d | %s |" % (
            round_no, kill_at, len(acked_round), len(ledger.acks), counts["stored"], counts["present"], counts["missing"],
            counts["extra"], counts["files_present"], counts["files_expected"], unanswered_round, counts["extra_by_round"].get(round_no, 0), other, ready * 1000, read,
            len(acked_round), last_seq), flush=True)

    # The final check: every acknowledgement read back again, then the folder with no server running.
    final = {}
    if target.process and target.process.poll() is None:
        t0 = time.monotonic()
        final["read_back"] = read_back(target, ledger, problems, "final", list(ledger.acks), args.threads)
        final["read_back_s"] = round(time.monotonic() - t0, 1)
        final["stop_status"] = target.stop()
        final.update(check_store(target, ledger, problems, "final"))
        final["audit_ok"], final["audit"] = target.audit_verify()
        if not final["audit_ok"]:
            problems.add("final", "vigil audit verify", final["audit"])
    final["acknowledged"] = len(ledger.acks)
    final["acknowledged_with_file"] = sum(1 for v in ledger.acks.values() if v[4] is not None)
    final["unanswered"] = len(ledger.unanswered)
    final["unanswered_refused"] = sum(1 for v in ledger.unanswered.values() if v[3] == "refused")
    final["statuses"] = {str(k): v for k, v in sorted(ledger.statuses.items())}
    final["kinds"] = ledger.kinds
    final["problems"] = problems.count()
    final["seconds"] = round(time.monotonic() - started, 1)
    ready_ms = sorted(r["ready_ms"] for r in results)
    if ready_ms:
        final["ready_ms_median"] = ready_ms[len(ready_ms) // 2]
        final["ready_ms_max"] = ready_ms[-1]
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"rounds": results, "final": final, "seed": args.seed, "threads": args.threads, "kill_after": [low, high]}, f, indent=1)
    print()
    print("final (no server running): %d acknowledged (%d with a file), %d read back over HTTP, %s stored, %s missing, %s extra "
          "(%s of them whole), files %s whole of %s sent with stored reports (%s file rows), integrity %s, %s; answers %s; "
          "%d requests without an answer (%d of them refused: sent after the kill); %d problems; %.0f s" % (
              final["acknowledged"], final["acknowledged_with_file"], final.get("read_back", 0), final.get("stored", "?"),
              final.get("missing", "?"), final.get("extra", "?"), final.get("extra_whole", "?"), final.get("files_present", "?"),
              final.get("files_expected", "?"), final.get("stored_files", "?"), final.get("integrity", "?"), final.get("audit", "?"),
              final["statuses"], final["unanswered"], final["unanswered_refused"], final["problems"], final["seconds"]))
    return 1 if problems.count() or len(results) < args.rounds else 0


def run():
    try:
        return main()
    finally:
        # Never leave a node behind (an exception, ^C): the one this script started, by its pid.
        Node.kill_all_started()


if __name__ == "__main__":
    sys.exit(run())
