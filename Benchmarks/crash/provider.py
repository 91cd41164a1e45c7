"""The crash script's provider target (`Benchmarks/crash/run.sh --target provider`; crash.py hands its
arguments here): a provider node (`vigil serve --role provider`) curating its lists under load is
killed with SIGKILL at a seeded random moment, restarted on the same store, and checked, round after
round. The curator's API key (scopes curate, match) comes in $VIGIL_CRASH_CURATOR_KEY.

Two lists (crash-a, crash-b, known_abuse_material, radius 31) are made at the start over the API.
Each round, load threads (http.client, keep-alive) send, seeded per round and thread:

- 35 %: one new entry (POST /v1/lists/{name}/entries with one entry),
- 35 %: a batch of 2-50 new entries,
- 15 %: DELETE /v1/lists/{name}/entries/{id} of an acknowledged live entry,
- 15 %: a batch deleting 1-5 acknowledged live entries by value ("action":"delete") with 0-10 new ones,

new entries being PDQ hashes (seven in ten: 256 random bits from the seeded generator) or MD5 digests,
each with its own source_item_id in its provenance. An entry given to a deleting request is taken out
of the pool of deletable entries, so no two requests delete the same one. Every acknowledgement goes
to acks.jsonl: a 201's ids, in request order, with the values sent, a 204, a batch's deletions.
Requests without an answer (in flight at the kill) go to unanswered.jsonl: their new entries may or
may not be stored, their deletions may or may not be done.

After the kill the node is started again on the same store and /ready polled (the restart-to-ready
time), and with the load paused:

- the store, read-only beside the node: every acknowledged entry is stored under its id with its
  list, type, value and source_item_id; an acknowledged live entry is live and an acknowledged
  deletion a tombstone (deleted_at set); an entry stored that was never acknowledged must be a new
  entry of a request without an answer, stored as sent (*extra*, allowed; from then on it is checked
  like an acknowledged one), and a deletion without an answer is read from the store (done or not);
  nothing half-written: a request without an answer is stored whole or not at all (all its new
  entries and deletions, or none), every entry has exactly one `add` row in the change feed and a tombstone
  exactly one `remove` row (a live entry none), no change row lacks its entry, each list's
  live_entries counter equals its live rows, the `entries.add` audit events' "N added" sum to the
  entries stored, every `entry.delete` event names a tombstone; the store's integrity check is ok;
- read back through the API: GET /v1/lists/{name}/entries, every page, gives exactly the live
  entries expected, with their values and source_item_ids;
- the index: GET /v1/index/status counts the store's live PDQ and MD5 entries and has applied the
  change feed's last row; every live entry added in the round (and 200 older ones, seeded) is found
  by POST /v1/match/hash on its own value, by its entry id (a PDQ at distance 0), and every entry
  deleted in the round (and 100 older tombstones) is not;
- `vigil audit verify` passes.

After the last round every acknowledged entry is read back and matched again, the node is stopped
(SIGTERM), and the store and the chain are checked once more with no node running. The exit status
is 1 on any lost, altered or half-written entry or deletion, an answer other than 201/204, a failed
check, or a node that does not come back.
"""
import http.client
import json
import os
import random
import signal
import threading
import time

from nodes import Node, Problems, store_for

LISTS = ("crash-a", "crash-b")
OLDER_LIVE_SAMPLE = 200
OLDER_DELETED_SAMPLE = 100


class Entry:
    """One entry the script knows is stored (acknowledged, or found stored after a request without an
    answer): where, what, and what its state must be."""

    __slots__ = ("id", "list", "type", "value", "item", "round", "state", "extra", "round_deleted")

    def __init__(self, entry_id, list_name, signal_type, value, item, round_no, extra=False):
        self.id = entry_id
        self.list = list_name
        self.type = signal_type
        self.value = value
        self.item = item
        self.round = round_no
        self.state = "live"  # live, deleted (acknowledged), deleting (sent), unsure (sent, no answer)
        self.extra = extra
        self.round_deleted = None

    def key(self):
        return (self.list, self.type, self.value, self.item)


class EntryLedger:
    """What was sent and acknowledged, in memory and on disk (acks.jsonl, unanswered.jsonl)."""

    def __init__(self, out):
        self.lock = threading.Lock()
        self.entries = {}      # id -> Entry
        self.pools = {name: [] for name in LISTS}  # ids live and not given to a deleting request
        self.unanswered_adds = {}  # source_item_id -> (list, type, value, round)
        self.unanswered_requests = []  # (kind, [source_item_id of its new entries], [Entry it deletes]) since the last check
        self.statuses = {}     # status -> count (every answer)
        self.ops = {}          # kind of request -> acknowledged count
        self.acked = {"adds": 0, "deletes_by_id": 0, "deletes_by_value": 0, "add_requests": 0}
        self.unanswered = {"requests": 0, "adds": 0, "deletes": 0}
        self.ack_file = open(os.path.join(out, "acks.jsonl"), "a")
        self.unanswered_file = open(os.path.join(out, "unanswered.jsonl"), "a")

    def take_for_delete(self, list_name, count, rng):
        """Up to `count` live entries of the list, taken out of the pool (marked deleting)."""
        with self.lock:
            pool = self.pools[list_name]
            taken = []
            while pool and len(taken) < count:
                i = rng.randrange(len(pool))
                pool[i], pool[-1] = pool[-1], pool[i]
                entry = self.entries[pool.pop()]
                entry.state = "deleting"
                taken.append(entry)
            return taken

    def give_back(self, entries):
        """A deleting request refused (4xx: nothing written): the entries are live again."""
        with self.lock:
            for entry in entries:
                entry.state = "live"
                self.pools[entry.list].append(entry.id)

    def ack(self, round_no, kind, list_name, adds, ids, deletes):
        with self.lock:
            self.ops[kind] = self.ops.get(kind, 0) + 1
            for (signal_type, value, item), entry_id in zip(adds, ids):
                self.entries[entry_id] = Entry(entry_id, list_name, signal_type, value, item, round_no)
                self.pools[list_name].append(entry_id)
            if adds:
                self.acked["add_requests"] += 1
            self.acked["adds"] += len(adds)
            for entry in deletes:
                entry.state = "deleted"
                entry.round_deleted = round_no
            self.acked["deletes_by_id" if kind == "delete" else "deletes_by_value"] += len(deletes)
            self.ack_file.write(json.dumps({
                "round": round_no, "kind": kind, "list": list_name,
                "added": [[i, t, v, item] for (t, v, item), i in zip(adds, ids)],
                "deleted": [e.id for e in deletes]}) + "\n")
            self.ack_file.flush()

    def no_answer(self, round_no, kind, list_name, adds, deletes, how):
        with self.lock:
            for signal_type, value, item in adds:
                self.unanswered_adds[item] = (list_name, signal_type, value, round_no)
            for entry in deletes:
                entry.state = "unsure"
            self.unanswered_requests.append((kind, [item for _, _, item in adds], list(deletes)))
            self.unanswered["requests"] += 1
            self.unanswered["adds"] += len(adds)
            self.unanswered["deletes"] += len(deletes)
            self.unanswered_file.write(json.dumps({
                "round": round_no, "kind": kind, "list": list_name, "how": how,
                "adds": [[t, v, item] for t, v, item in adds], "deletes": [e.id for e in deletes]}) + "\n")
            self.unanswered_file.flush()

    def answered(self, status):
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1


class ProviderTarget(Node):
    """The provider node: its lists' entries, over its API."""

    def __init__(self, args):
        super().__init__(args, "provider", store_for(args))
        self.headers = {"Authorization": "Bearer " + os.environ["VIGIL_CRASH_CURATOR_KEY"],
                        "Content-Type": "application/json"}

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def call(self, conn, method, path, body=None):
        """(status, parsed JSON or raw bytes)."""
        payload = None if body is None else json.dumps(body, separators=(",", ":")).encode("utf-8")
        conn.request(method, path, payload, self.headers)
        response = conn.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw) if raw else None
        except ValueError:
            return response.status, raw

    def create_lists(self):
        conn = self.connection()
        for name in LISTS:
            status, answer = self.call(conn, "POST", "/v1/lists", {"name": name, "kind": "known_abuse_material"})
            if status != 201:
                raise SystemExit("POST /v1/lists %s: %d %r" % (name, status, answer))
        conn.close()


def new_entry(rng, item):
    """(type, value, source_item_id): a PDQ hash (seven in ten) or an MD5 digest, random bits."""
    if rng.random() < 0.7:
        return "pdq", "%064x" % rng.getrandbits(256), item
    return "md5", "%032x" % rng.getrandbits(128), item


def load_thread(target, ledger, problems, round_no, thread_no, seed, killing, stop):
    """Curates the lists until the node dies (after `killing` is set) or `stop` is set."""
    rng = random.Random("provider/%s/%d/%d" % (seed, round_no, thread_no))
    conn = target.connection()
    n = 0
    while not stop.is_set():
        prefix = "crash-%s-r%d-t%d-%d" % (seed, round_no, thread_no, n)
        n += 1
        list_name = rng.choice(LISTS)
        draw = rng.random()
        adds, deletes = [], []
        if draw < 0.35:
            kind = "add"
        elif draw < 0.70:
            kind = "batch"
        elif draw < 0.85:
            kind = "delete"
            deletes = ledger.take_for_delete(list_name, 1, rng)
        else:
            kind = "batch-delete"
            deletes = ledger.take_for_delete(list_name, rng.randint(1, 5), rng)
        if kind in ("delete", "batch-delete") and not deletes:
            kind = "add"  # nothing to delete yet
        count = {"add": 1, "batch": rng.randint(2, 50), "delete": 0, "batch-delete": rng.randint(0, 10)}[kind]
        adds = [new_entry(rng, "%s-%d" % (prefix, i)) for i in range(count)]
        try:
            if kind == "delete":
                status, answer = target.call(conn, "DELETE", "/v1/lists/%s/entries/%d" % (list_name, deletes[0].id))
            else:
                body = [{"type": t, "value": v, "action": "delete"} for t, v in ((e.type, e.value) for e in deletes)]
                body += [{"type": t, "value": v, "provenance": {
                    "source_organisation": "crash-script", "source_item_id": item, "submitted_by": "thread %d" % thread_no}}
                    for t, v, item in adds]
                status, answer = target.call(conn, "POST", "/v1/lists/%s/entries" % list_name, {"entries": body})
        except (OSError, http.client.HTTPException) as error:
            how = "refused" if isinstance(error, ConnectionRefusedError) else type(error).__name__
            if not killing.is_set():
                problems.add(round_no, "request failed before the kill", "%s %s: %s (%s)" % (kind, prefix, how, error))
                how = "before kill: " + how
            ledger.no_answer(round_no, kind, list_name, adds, deletes, how)
            break
        ledger.answered(status)
        if kind == "delete" and status == 204:
            ledger.ack(round_no, kind, list_name, [], [], deletes)
        elif kind != "delete" and status == 201:
            ids = answer.get("ids") if isinstance(answer, dict) else None
            if not isinstance(ids, list) or len(ids) != len(adds) or not all(isinstance(i, int) for i in ids):
                problems.add(round_no, "201 without one id per new entry", "%s %s: %d sent, %r" % (kind, prefix, len(adds), answer))
                ledger.no_answer(round_no, kind, list_name, adds, deletes, "201 without ids")
                continue
            ledger.ack(round_no, kind, list_name, adds, ids, deletes)
        else:
            problems.add(round_no, "answer %d to %s" % (status, kind), "%s: %r" % (prefix, str(answer)[:300]))
            if 400 <= status < 500:
                ledger.give_back(deletes)  # one transaction: a refused request wrote nothing
            else:
                ledger.no_answer(round_no, kind, list_name, adds, deletes, "answer %d" % status)
    conn.close()


def run_parallel(target, items, threads, work):
    """work(conn, item) for every item, over `threads` keep-alive connections."""
    todo = list(items)
    lock = threading.Lock()

    def worker():
        conn = target.connection()
        while True:
            with lock:
                if not todo:
                    break
                item = todo.pop()
            work(conn, item)
        conn.close()

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def check_store(target, ledger, problems, round_no):
    """The store against the ledger (see the module's description); resolves the requests without an
    answer. Returns the table's counts."""
    answers = target.store.read({
        "entries": "SELECT e.id, l.name, e.signal_type, e.value, e.source_item_id, e.deleted_at IS NOT NULL "
                   "FROM entries e LEFT JOIN lists l ON l.id = e.list_id",
        "changes": "SELECT entry_id, kind, COUNT(*) FROM changes GROUP BY entry_id, kind",
        "last_change": "SELECT MAX(sequence) FROM changes",
        "lists": "SELECT name, live_entries FROM lists",
        "added": "SELECT detail FROM audit_events WHERE action = 'entries.add'",
        "entry_deletes": "SELECT object FROM audit_events WHERE action = 'entry.delete'",
    })
    integrity = target.store.integrity()
    rows = {r[0]: (r[1], r[2], r[3], r[4], bool(r[5])) for r in answers["entries"]}
    counts = {"stored": len(rows), "present": 0, "missing": 0, "altered": 0, "live_tombstoned": 0, "delete_undone": 0,
              "extra": 0, "deletes_done_unanswered": 0, "deletes_not_done_unanswered": 0, "half_written_requests": 0,
              "whole_unanswered_requests": 0}
    with ledger.lock:
        for entry in ledger.entries.values():
            row = rows.get(entry.id)
            if row is None:
                counts["missing"] += 1
                problems.add(round_no, "acknowledged entry missing", "id %d %s" % (entry.id, entry.key()))
                continue
            if row[:4] != entry.key():
                counts["altered"] += 1
                problems.add(round_no, "acknowledged entry altered", "id %d: sent %s, stored %s" % (entry.id, entry.key(), row[:4]))
                continue
            counts["present"] += 1
            deleted = row[4]
            if entry.state == "unsure":  # a deletion without an answer: done or not, whole either way
                entry.state = "deleted" if deleted else "live"
                if deleted:
                    entry.round_deleted = round_no
                    counts["deletes_done_unanswered"] += 1
                else:
                    counts["deletes_not_done_unanswered"] += 1
                    ledger.pools[entry.list].append(entry.id)
            elif entry.state == "live" and deleted:
                counts["live_tombstoned"] += 1
                problems.add(round_no, "acknowledged live entry is a tombstone", "id %d %s" % (entry.id, entry.key()))
            elif entry.state == "deleted" and not deleted:
                counts["delete_undone"] += 1
                problems.add(round_no, "acknowledged deletion lost: the entry is live", "id %d %s" % (entry.id, entry.key()))
            elif entry.state == "deleting":
                problems.add(round_no, "an entry still being deleted after the kill", "id %d" % entry.id)
        for entry_id, row in rows.items():
            if entry_id in ledger.entries:
                continue
            sent = ledger.unanswered_adds.pop(row[3], None)
            if sent is None:
                problems.add(round_no, "stored entry never sent", "id %d %s" % (entry_id, row[:4]))
            elif sent[:3] != row[:3]:
                problems.add(round_no, "unacknowledged entry stored altered", "id %d: sent %s, stored %s" % (entry_id, sent, row[:4]))
            elif row[4]:
                problems.add(round_no, "unacknowledged entry stored as a tombstone", "id %d %s" % (entry_id, row[:4]))
            else:
                counts["extra"] += 1
                entry = Entry(entry_id, row[0], row[1], row[2], row[3], sent[3], extra=True)
                ledger.entries[entry_id] = entry
                ledger.pools[entry.list].append(entry_id)
        # A request without an answer was committed whole or not at all: all its new entries stored and
        # all its deletions done, or none.
        stored_items = {row[3] for row in rows.values()}
        for kind, items, deletes in ledger.unanswered_requests:
            parts = [item in stored_items for item in items] + [entry.state == "deleted" for entry in deletes]
            if any(parts) and not all(parts):
                counts["half_written_requests"] += 1
                problems.add(round_no, "half-written request: part of it stored", "%s: new entries %s stored %s; deletions %s done %s" % (
                    kind, items, [i for i in items if i in stored_items], [e.id for e in deletes], [e.id for e in deletes if e.state == "deleted"]))
            elif any(parts):
                counts["whole_unanswered_requests"] += 1
        # Requests without an answer that are not stored now never will be: the node that had them died.
        ledger.unanswered_adds.clear()
        ledger.unanswered_requests.clear()
    changes = {}
    for entry_id, kind, n in answers["changes"]:
        changes.setdefault(entry_id, {})[kind] = n
    for entry_id, row in rows.items():
        feed = changes.get(entry_id, {})
        want = {"add": 1, "remove": 1} if row[4] else {"add": 1}
        if feed != want:
            problems.add(round_no, "half-written entry: change feed %s, expected %s" % (feed, want), "id %d %s" % (entry_id, row[:4]))
    for entry_id in changes:
        if entry_id not in rows:
            problems.add(round_no, "change feed rows without their entry", "entry %d: %s" % (entry_id, changes[entry_id]))
    live = {name: 0 for name in LISTS}
    live_by_type = {"pdq": 0, "md5": 0}
    for row in rows.values():
        if not row[4]:
            live[row[0]] = live.get(row[0], 0) + 1
            live_by_type[row[1]] = live_by_type.get(row[1], 0) + 1
    for name, counter in answers["lists"]:
        if counter != live.get(name, 0):
            problems.add(round_no, "list's live_entries counter differs from its live rows", "%s: %d, %d rows" % (name, counter, live.get(name, 0)))
    added = 0
    for (detail,) in answers["added"]:
        try:
            added += int((detail or "").split(" added", 1)[0])
        except ValueError:
            problems.add(round_no, "entries.add event without a count", repr(detail))
    if added != len(rows):
        problems.add(round_no, "entries.add events count %d entries, %d stored" % (added, len(rows)), "half-written batch or event")
    for (obj,) in answers["entry_deletes"]:
        entry_id = int(obj.split(":", 1)[1]) if obj.startswith("entry:") else -1
        if entry_id not in rows or not rows[entry_id][4]:
            problems.add(round_no, "entry.delete event for an entry that is not a tombstone", obj)
    if integrity != ["ok"]:
        problems.add(round_no, "store integrity check", "; ".join(integrity[:10]))
    counts.update({"live_stored": sum(live.values()), "live_pdq": live_by_type.get("pdq", 0), "live_md5": live_by_type.get("md5", 0),
                   "last_change": answers["last_change"][0][0] or 0, "integrity": ";".join(integrity[:3])})
    return counts


def read_back(target, ledger, problems, round_no):
    """Every page of GET /v1/lists/{name}/entries against the live entries expected. Returns the
    number of live entries served as expected."""
    conn = target.connection()
    served = {}
    for name in LISTS:
        after = 0
        while True:
            status, answer = target.call(conn, "GET", "/v1/lists/%s/entries?after=%d&limit=10000" % (name, after))
            if status != 200:
                problems.add(round_no, "read-back: answer %d" % status, "list %s after %d: %r" % (name, after, str(answer)[:200]))
                break
            page = answer.get("entries", [])
            for e in page:
                served[e["id"]] = (e.get("list"), e.get("type"), e.get("value"), (e.get("provenance") or {}).get("source_item_id"))
            if not page:
                break
            after = page[-1]["id"]
    conn.close()
    good = 0
    with ledger.lock:
        for entry in ledger.entries.values():
            got = served.pop(entry.id, None)
            if entry.state == "live":
                if got is None:
                    problems.add(round_no, "read-back: live entry not served", "id %d %s" % (entry.id, entry.key()))
                elif got != entry.key():
                    problems.add(round_no, "read-back: entry served altered", "id %d: sent %s, served %s" % (entry.id, entry.key(), got))
                else:
                    good += 1
            elif got is not None:
                problems.add(round_no, "read-back: %s entry served as live" % entry.state, "id %d %s" % (entry.id, entry.key()))
    for entry_id, got in served.items():
        problems.add(round_no, "read-back: an entry the script does not know", "id %d %s" % (entry_id, got))
    return good


def check_index(target, ledger, problems, round_no, counts, entries, threads):
    """The index: its status against the store, then each entry matched on its own value (a live one
    found by its id, a tombstone not). Returns (live found, live checked, tombstones not found,
    tombstones checked)."""
    conn = target.connection()
    status, answer = target.call(conn, "GET", "/v1/index/status")
    conn.close()
    if status != 200:
        problems.add(round_no, "index status: answer %d" % status, str(answer)[:200])
    else:
        got = (answer.get("pdq_entries"), answer.get("md5_entries"), answer.get("sequence"))
        want = (counts["live_pdq"], counts["live_md5"], counts["last_change"])
        if got != want:
            problems.add(round_no, "index status differs from the store",
                         "index pdq %s, md5 %s, sequence %s; store %s, %s, %s" % (*got, *want))
    tally = {"live": 0, "live_found": 0, "deleted": 0, "deleted_absent": 0}
    lock = threading.Lock()

    def work(conn, entry):
        try:
            status, answer = target.call(conn, "POST", "/v1/match/hash", {"type": entry.type, "value": entry.value, "lists": [entry.list]})
        except (OSError, http.client.HTTPException) as error:
            problems.add(round_no, "match failed", "id %d: %s" % (entry.id, error))
            return
        if status != 200:
            problems.add(round_no, "match: answer %d" % status, "id %d: %r" % (entry.id, str(answer)[:200]))
            return
        found = [m for m in answer.get("matches", []) if m.get("entry_id") == entry.id and m.get("list") == entry.list]
        with lock:
            if entry.state == "live":
                tally["live"] += 1
                if found and found[0].get("distance") == 0:
                    tally["live_found"] += 1
                else:
                    problems.add(round_no, "index: live entry not matched by its value", "id %d %s: %r" % (entry.id, entry.key(), found))
            else:
                tally["deleted"] += 1
                if not found:
                    tally["deleted_absent"] += 1
                else:
                    problems.add(round_no, "index: deleted entry still matches", "id %d %s" % (entry.id, entry.key()))

    run_parallel(target, entries, threads, work)
    return tally


def index_sample(ledger, round_no, rng):
    """The entries to match after a round: every entry added or deleted in it, and a seeded sample of
    older live entries and tombstones."""
    with ledger.lock:
        entries = sorted(ledger.entries.values(), key=lambda e: e.id)
    new = [e for e in entries if (e.state == "live" and e.round == round_no) or (e.state == "deleted" and e.round_deleted == round_no)]
    older_live = [e for e in entries if e.state == "live" and e.round != round_no]
    older_deleted = [e for e in entries if e.state == "deleted" and e.round_deleted != round_no]
    return (new + rng.sample(older_live, min(OLDER_LIVE_SAMPLE, len(older_live)))
            + rng.sample(older_deleted, min(OLDER_DELETED_SAMPLE, len(older_deleted))))


def main(args):
    low, high = (float(x) for x in args.kill_after.split(","))
    target = ProviderTarget(args)
    ledger = EntryLedger(args.out)
    problems = Problems(os.path.join(args.out, "problems.jsonl"))
    rng = random.Random("provider-crash/%s" % args.seed)
    results = []
    started = time.monotonic()

    if target.start("initial") is None:
        problems.add(0, "server did not start", "see serve.log")
        return 1
    target.create_lists()

    print("| round | kill at s | entries acked in round (requests) | deletions acked in round | live expected | tombstones expected "
          "| stored | missing | lost deletions | extra so far | no answer: requests (committed whole; adds stored, deletions done) | non-2xx "
          "| restart to ready ms | read back (API) | index: live found / checked | index: tombstones unmatched / checked | audit last seq |")
    print("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|", flush=True)
    for round_no in range(1, args.rounds + 1):
        kill_at = rng.uniform(low, high)
        killing, stop = threading.Event(), threading.Event()
        before = {"acked": dict(ledger.acked), "unanswered": dict(ledger.unanswered), "statuses": dict(ledger.statuses),
                  "problems": problems.count()}
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
        counts = check_store(target, ledger, problems, round_no)
        read = read_back(target, ledger, problems, round_no)
        tally = check_index(target, ledger, problems, round_no, counts, index_sample(ledger, round_no, rng), args.threads)
        audit_ok, audit_line = target.audit_verify()
        if not audit_ok:
            problems.add(round_no, "vigil audit verify", audit_line)
        last_seq = audit_line.split("last sequence ")[1].split(",")[0] if "last sequence " in audit_line else "?"
        with ledger.lock:
            live_acked = sum(1 for e in ledger.entries.values() if e.state == "live")
            tombstones = sum(1 for e in ledger.entries.values() if e.state == "deleted")
        delta = {k: ledger.acked[k] - before["acked"][k] for k in ledger.acked}
        unanswered = {k: ledger.unanswered[k] - before["unanswered"][k] for k in ledger.unanswered}
        non_2xx = sum(n for s, n in ledger.statuses.items() if s not in (201, 204)) - \
            sum(n for s, n in before["statuses"].items() if s not in (201, 204))
        row = {"round": round_no, "kill_at_s": round(kill_at, 3), "acked": delta, "live_acked": live_acked, "tombstones": tombstones,
               "unanswered": unanswered, "non_2xx": non_2xx, "exit_status": status, "ready_ms": round(ready * 1000, 1),
               "read_back": read, "index": tally, "audit": audit_line, "problems": problems.count() - before["problems"], **counts}
        results.append(row)
        extra_total = sum(1 for e in ledger.entries.values() if e.extra)
        print("| %d | %.2f | %d (%d) | %d | %d | %d | %d | %d | %d | %d | %d (%d; %d, %d) | %d | %.0f | %d/%d | %d/%d | %d/%d | %s |" % (
            round_no, kill_at, delta["adds"], delta["add_requests"], delta["deletes_by_id"] + delta["deletes_by_value"], live_acked,
            tombstones, counts["stored"], counts["missing"] + counts["altered"] + counts["live_tombstoned"], counts["delete_undone"],
            extra_total, unanswered["requests"], counts["whole_unanswered_requests"], counts["extra"], counts["deletes_done_unanswered"], non_2xx, ready * 1000, read,
            live_acked, tally["live_found"], tally["live"], tally["deleted_absent"], tally["deleted"], last_seq), flush=True)

    # The final check: everything read back and matched again, then the store with no node running.
    final = {}
    if target.running():
        t0 = time.monotonic()
        final["read_back"] = read_back(target, ledger, problems, "final")
        counts = check_store(target, ledger, problems, "final")
        with ledger.lock:
            everything = sorted(ledger.entries.values(), key=lambda e: e.id)
        final["index"] = check_index(target, ledger, problems, "final", counts, everything, args.threads)
        final["read_back_and_match_s"] = round(time.monotonic() - t0, 1)
        final["stop_status"] = target.stop()
        final.update(check_store(target, ledger, problems, "final"))
        final["audit_ok"], final["audit"] = target.audit_verify()
        if not final["audit_ok"]:
            problems.add("final", "vigil audit verify", final["audit"])
    with ledger.lock:
        final["live_expected"] = sum(1 for e in ledger.entries.values() if e.state == "live")
        final["tombstones_expected"] = sum(1 for e in ledger.entries.values() if e.state == "deleted")
        final["extra"] = sum(1 for e in ledger.entries.values() if e.extra)
    final["acked"] = dict(ledger.acked)
    final["ops"] = dict(ledger.ops)
    final["unanswered"] = dict(ledger.unanswered)
    final["statuses"] = {str(k): v for k, v in sorted(ledger.statuses.items())}
    final["lost"] = sum(r["missing"] + r["altered"] + r["live_tombstoned"] + r["delete_undone"] for r in results) + \
        final.get("missing", 0) + final.get("altered", 0) + final.get("live_tombstoned", 0) + final.get("delete_undone", 0)
    final["problems"] = problems.count()
    final["seconds"] = round(time.monotonic() - started, 1)
    ready_ms = sorted(r["ready_ms"] for r in results)
    if ready_ms:
        final["ready_ms_median"] = ready_ms[len(ready_ms) // 2]
        final["ready_ms_max"] = ready_ms[-1]
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"target": "provider", "store": args.store, "rounds": results, "final": final, "seed": args.seed,
                   "threads": args.threads, "kill_after": [low, high]}, f, indent=1)
    acked = final["acked"]
    index = final.get("index", {})
    print()
    print("final (no node running): %d entries acknowledged in %d requests, %d deletions acknowledged (%d by id, %d by value); "
          "%d live entries and %d tombstones expected (%d of these entries stored from requests without an answer); %s stored, %s live; "
          "lost %d; read back %s; index: %s/%s live found, %s/%s tombstones unmatched; integrity %s, %s; answers %s; "
          "%d requests without an answer (%d new entries, %d deletions); restart to ready median %s ms, max %s ms; %d problems; %.0f s" % (
              acked["adds"], acked["add_requests"], acked["deletes_by_id"] + acked["deletes_by_value"], acked["deletes_by_id"],
              acked["deletes_by_value"], final["live_expected"], final["tombstones_expected"], final["extra"], final.get("stored", "?"),
              final.get("live_stored", "?"), final["lost"], final.get("read_back", "?"), index.get("live_found", "?"), index.get("live", "?"),
              index.get("deleted_absent", "?"), index.get("deleted", "?"), final.get("integrity", "?"), final.get("audit", "?"),
              final["statuses"], final["unanswered"]["requests"], final["unanswered"]["adds"], final["unanswered"]["deletes"],
              final.get("ready_ms_median", "?"), final.get("ready_ms_max", "?"), final["problems"], final["seconds"]))
    return 1 if problems.count() or len(results) < args.rounds else 0
