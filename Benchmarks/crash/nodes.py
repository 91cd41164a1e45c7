"""What the crash script's targets share (Benchmarks/crash/crash.py, provider.py): the list of failed
checks, a `vigil serve` process to start, kill and restart, and read-only access to its store.

The store is chosen by --store: `sqlite` (the data folder's vigil.sqlite) or `postgres` (the database
--store-url names, read with psycopg). Each has `read` (queries in one read-only snapshot),
`integrity` and `serve_args`; the targets' checks use only portable SQL (no parameters, no PRAGMA
outside `integrity`), so they are the same for both.
"""
import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time


class Problems:
    """Every failed check, with its evidence; any makes the exit status 1."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.items = []
        self.file = open(path, "a")

    def add(self, round_no, kind, detail):
        with self.lock:
            self.items.append((round_no, kind, detail))
            self.file.write(json.dumps({"round": round_no, "kind": kind, "detail": detail}) + "\n")
            self.file.flush()
        print("  PROBLEM (round %s) %s: %s" % (round_no, kind, detail), file=sys.stderr, flush=True)

    def count(self):
        with self.lock:
            return len(self.items)


class SQLiteStore:
    """The data folder's SQLite database (synchronous = FULL), read beside the running node through a
    read-only connection (WAL: one consistent snapshot per `read`)."""

    name = "sqlite"

    def __init__(self, data):
        self.path = os.path.join(data, "vigil.sqlite")

    def serve_args(self):
        """What `vigil serve` and `vigil audit verify` need besides --data-directory: nothing."""
        return []

    def read(self, queries):
        """Runs each query (a dict name -> SQL) in one read transaction; returns name -> list of rows."""
        db = sqlite3.connect("file:%s?mode=ro" % self.path, uri=True, timeout=30)
        try:
            db.execute("BEGIN")
            answers = {name: db.execute(sql).fetchall() for name, sql in queries.items()}
            db.execute("COMMIT")
        finally:
            db.close()
        return answers

    def integrity(self):
        """PRAGMA integrity_check's lines (["ok"] when whole)."""
        db = sqlite3.connect("file:%s?mode=ro" % self.path, uri=True, timeout=30)
        try:
            return [r[0] for r in db.execute("PRAGMA integrity_check")]
        finally:
            db.close()


class PostgresStore:
    """A PostgreSQL database shared with the node (`vigil serve --store-url URL`), read beside it in one
    REPEATABLE READ, READ ONLY transaction per `read` (one snapshot)."""

    name = "postgres"

    def __init__(self, url):
        self.url = url

    def serve_args(self):
        """What `vigil serve` and `vigil audit verify` need: the store's URL."""
        return ["--store-url", self.url]

    def connect(self):
        import psycopg  # installed by run.sh for --store postgres
        return psycopg.connect(self.url, autocommit=True)

    def read(self, queries):
        """Runs each query (a dict name -> SQL) in one snapshot; returns name -> list of rows (booleans
        as 0/1, as SQLite gives them)."""
        with self.connect() as db:
            db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            answers = {}
            for name, sql in queries.items():
                rows = db.execute(sql).fetchall()
                answers[name] = [tuple(int(v) if isinstance(v, bool) else v for v in row) for row in rows]
            db.execute("COMMIT")
        return answers

    def integrity(self):
        """amcheck over the database: every B-tree index (bt_index_check, with its heap) and every
        table's heap (verify_heapam); ["ok"] when none reports a problem."""
        problems = []
        with self.connect() as db:
            db.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
            indexes = db.execute(
                "SELECT c.oid, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am a ON a.oid = c.relam "
                "WHERE n.nspname = 'public' AND a.amname = 'btree'").fetchall()
            for oid, name in indexes:
                try:
                    db.execute("SELECT bt_index_check(%s, true)", (oid,))
                except Exception as error:  # amcheck raises on corruption
                    problems.append("index %s: %s" % (name, error))
            tables = db.execute(
                "SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind = 'r'").fetchall()
            for oid, name in tables:
                for row in db.execute("SELECT blkno, offnum, msg FROM verify_heapam(%s)", (oid,)).fetchall():
                    problems.append("table %s block %s item %s: %s" % (name, *row))
        return problems or ["ok"]


def store_for(args):
    """The store --store names."""
    if args.store == "sqlite":
        return SQLiteStore(args.data)
    if args.store == "postgres":
        return PostgresStore(args.store_url)
    raise SystemExit("--store %s: sqlite or postgres" % args.store)


class Node:
    """One `vigil serve --role ROLE` on a data folder: started (the binary itself, no wrapper: its pid
    is the one killed), killed with SIGKILL, restarted, stopped; `vigil audit verify` over its store."""

    started = []  # every node this process started, so that none is left behind

    def __init__(self, args, role, store):
        self.vigil = args.vigil
        self.data = args.data
        self.port = args.port
        self.role = role
        self.store = store
        self.log_path = os.path.join(args.out, "serve.log")
        self.process = None
        Node.started.append(self)

    def start(self, label):
        """Starts the node and polls /ready every 5 ms. Returns the seconds from the start to the first
        ready answer, or None (the process exited, or not ready within 60 s)."""
        with open(self.log_path, "a") as log:
            log.write("\n==== %s: vigil serve started at %s ====\n" % (label, time.strftime("%H:%M:%S")))
            log.flush()
            started = time.monotonic()
            self.process = subprocess.Popen(
                [self.vigil, "serve", "--role", self.role, "--data-directory", self.data, "--port", str(self.port),
                 *self.store.serve_args()],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = started + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return None
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/ready")
                response = conn.getresponse()
                body = response.read()
                conn.close()
                if response.status == 200 and b"ready" in body:
                    return time.monotonic() - started
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.005)
        return None

    def kill(self):
        """SIGKILL to the server process; returns its exit status (-9 when the signal killed it)."""
        os.kill(self.process.pid, signal.SIGKILL)
        return self.process.wait()

    def stop(self):
        """A clean stop (SIGTERM), for the last check with no server running."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                return self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                return self.process.wait()
        return None

    def running(self):
        return self.process is not None and self.process.poll() is None

    def audit_verify(self):
        """`vigil audit verify` over the node's store: (passed, its line)."""
        done = subprocess.run([self.vigil, "audit", "verify", "--data-directory", self.data, *self.store.serve_args()],
                              capture_output=True, text=True, timeout=300)
        line = (done.stdout.strip() or done.stderr.strip()).splitlines()
        return done.returncode == 0 and bool(line) and line[-1].startswith("valid:"), (line[-1] if line else "")

    @staticmethod
    def kill_all_started():
        """Never leave a node behind (an exception, ^C): each one this script started, by its pid."""
        for node in Node.started:
            if node.process and node.process.poll() is None:
                node.process.kill()
                node.process.wait()
