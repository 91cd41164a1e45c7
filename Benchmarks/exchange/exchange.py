#!/usr/bin/env python3
"""Exchanges end to end, with real `vigil serve` processes (standard library only).

  exchange.py crash --vigil .build/debug/vigil [--entries 200000] [--files 20] [--page-size 1000] [--kills 3] [--seed 1]
      A node fetches a folder exchange (TSV files of seeded random PDQ hashes, one item per line);
      while it fetches, the node is killed with SIGKILL (--kills times, each once the status shows a
      further share of the entries fetched) and restarted on the same data folder. At the end every
      entry must be in the list exactly once: the list's count, the exported values (no value twice,
      none missing, none extra) and the exchange's fetched_items all equal --entries.

  exchange.py pull --vigil .build/release/vigil [--entries 1000000] [--page-size 5000] [--seed 1]
      Vigil to Vigil: a source node holds a list of --entries entries (imported as a TSV file); a
      second node, with an exchange of kind `vigil` and a curate key of the source as its credential,
      pulls the list through the source's change feed. Prints the time from creating the exchange
      to the status saying up to date with every entry, and checks the pulled list (count, values).

Both use SQLite in fresh temporary data folders and print one JSON line of results; the exit status
is 1 when a check fails, or when the exchange is not up to date within --deadline seconds (then the
status seen last and the folder, with both nodes' logs, are kept and named). Nothing here is sensitive: the hashes are random.
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def request(port, method, path, key=None, body=None, raw=None, content_type="application/json", timeout=600):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    if key:
        req.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Node:
    """One `vigil serve` on its own data folder and port."""

    def __init__(self, vigil, folder, name):
        self.vigil, self.folder, self.name = vigil, folder, name
        os.makedirs(folder, exist_ok=True)
        self.port = free_port()
        self.process = None
        self.log = open(os.path.join(folder, f"{name}.log"), "ab")

    def key(self, organisation, scopes):
        out = subprocess.run(
            [self.vigil, "keys", "create", "--data-directory", self.folder, "--organisation", organisation, "--scopes", scopes],
            check=True, capture_output=True, text=True)
        return out.stdout.strip().splitlines()[-1]

    def start(self):
        self.process = subprocess.Popen(
            [self.vigil, "serve", "--data-directory", self.folder, "--port", str(self.port), "--log-level", "info"],
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                status, _ = request(self.port, "GET", "/health", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited with {self.process.returncode}; see {self.log.name}")
            time.sleep(0.2)
        raise SystemExit(f"{self.name} did not start")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def hashes(count, seed):
    rng = random.Random(seed)
    return [f"{rng.getrandbits(256):064x}" for _ in range(count)]


def exported_values(port, key, list_name):
    status, body = request(port, "GET", f"/v1/lists/{list_name}/export?format=vigil-jsonl", key=key)
    assert status == 200, (status, body[:300])
    return [json.loads(line)["value"] for line in body.splitlines() if line.strip()]


def status_of(port, key, name):
    status, body = request(port, "GET", f"/v1/exchanges/{name}", key=key, timeout=30)
    assert status == 200, (status, body[:300])
    return json.loads(body)


class Stalled(Exception):
    """The exchange did not become up to date within --deadline seconds."""


def wait_up_to_date(port, key, name, entries, deadline, results):
    """The exchange's status once it is up to date with `entries` fetched; Stalled past `deadline`."""
    end = time.time() + deadline
    while True:
        view = status_of(port, key, name)["status"]
        if view["up_to_date"] and view["fetched_items"] >= entries and not view["running"]:
            return view
        if view.get("last_error"):
            results["error_seen"] = view["last_error"]
        if time.time() > end:
            results["stalled_status"] = view
            raise Stalled()
        time.sleep(0.2)


def crash(args):
    work = tempfile.mkdtemp(prefix="vigil-exchange-crash-")
    drop = os.path.join(work, "drop")
    data = os.path.join(work, "data")
    os.makedirs(drop)
    os.makedirs(data)
    values = hashes(args.entries, args.seed)
    per_file = (args.entries + args.files - 1) // args.files
    for index in range(args.files):
        part = values[index * per_file:(index + 1) * per_file]
        with open(os.path.join(drop, f"{index:04d}.tsv.part"), "w") as handle:
            for offset, value in enumerate(part):
                handle.write(f"{value}\titem-{index * per_file + offset}\n")
        os.rename(os.path.join(drop, f"{index:04d}.tsv.part"), os.path.join(drop, f"{index:04d}.tsv"))
    node = Node(args.vigil, data, "node")
    key = node.key("Operator", "admin")
    node.start()
    results = {"mode": "crash", "entries": args.entries, "files": args.files, "page_size": args.page_size, "kills": []}
    try:
        assert request(node.port, "POST", "/v1/lists", key, {"name": "dropped", "kind": "known_abuse_material"})[0] == 201
        status, body = request(node.port, "POST", "/v1/exchanges", key, {
            "name": "drop", "kind": "file", "list": "dropped",
            "settings": {"folder": drop, "format": "tsv", "source": "Drop", "page_size": str(args.page_size)}, "interval_seconds": 5})
        assert status == 201, body
        started = time.time()
        for kill in range(1, args.kills + 1):
            target = args.entries * kill // (args.kills + 1)
            while True:
                fetched = status_of(node.port, key, "drop")["status"]["fetched_items"]
                if fetched >= target:
                    break
                time.sleep(0.05)
            node.kill()
            results["kills"].append({"after_fetched": fetched, "at_s": round(time.time() - started, 2)})
            node.start()
        view = {"status": wait_up_to_date(node.port, key, "drop", args.entries, args.deadline, results)}
        results["seconds"] = round(time.time() - started, 2)
        stored = exported_values(node.port, key, "dropped")
        status, body = request(node.port, "GET", "/v1/lists/dropped", key=key)
        count = json.loads(body).get("entry_count")
        results.update({
            "fetched_items": view["status"]["fetched_items"], "list_count": count, "exported": len(stored),
            "distinct": len(set(stored)), "missing": len(set(values) - set(stored)), "extra": len(set(stored) - set(values)),
        })
        ok = (results["fetched_items"] == args.entries and count == args.entries and len(stored) == args.entries
              and results["distinct"] == args.entries and results["missing"] == 0 and results["extra"] == 0)
        results["ok"] = ok
        print(json.dumps(results))
        return 0 if ok else 1
    except Stalled:
        args.keep = True
        results.update({"ok": False, "work": work})
        print(json.dumps(results))
        return 1
    finally:
        node.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def pull(args):
    work = tempfile.mkdtemp(prefix="vigil-exchange-pull-")
    source = Node(args.vigil, os.path.join(work, "source"), "source")
    puller = Node(args.vigil, os.path.join(work, "puller"), "puller")
    values = hashes(args.entries, args.seed)
    source_admin = source.key("Centre", "curate")
    peer_key = source.key("Peer provider", "curate")
    puller_admin = puller.key("Operator", "admin")
    source.start()
    puller.start()
    results = {"mode": "pull", "entries": args.entries, "page_size": args.page_size}
    try:
        assert request(source.port, "POST", "/v1/lists", source_admin, {"name": "known", "kind": "known_abuse_material"})[0] == 201
        tsv = "".join(f"{value}\titem-{index}\n" for index, value in enumerate(values)).encode()
        began = time.time()
        status, body = request(source.port, "POST", "/v1/lists/known/import?format=tsv&type=pdq", source_admin, raw=tsv,
                               content_type="text/tab-separated-values")
        assert status == 200, body[:300]
        results["source_import_s"] = round(time.time() - began, 2)
        assert request(puller.port, "POST", "/v1/lists", puller_admin, {"name": "from-centre", "kind": "known_abuse_material"})[0] == 201
        began = time.time()
        status, body = request(puller.port, "POST", "/v1/exchanges", puller_admin, {
            "name": "centre", "kind": "vigil", "list": "from-centre", "credential": peer_key,
            "settings": {"url": f"http://127.0.0.1:{source.port}", "list": "known", "page_size": str(args.page_size)}})
        assert status == 201, body
        view = wait_up_to_date(puller.port, puller_admin, "centre", args.entries, args.deadline, results)
        results["pull_s"] = round(time.time() - began, 2)
        results["entries_per_s"] = round(args.entries / results["pull_s"])
        stored = exported_values(puller.port, puller_admin, "from-centre")
        results.update({"fetched_items": view["fetched_items"], "exported": len(stored), "distinct": len(set(stored)),
                        "missing": len(set(values) - set(stored))})
        results["ok"] = len(stored) == args.entries and results["distinct"] == args.entries and results["missing"] == 0
        print(json.dumps(results))
        return 0 if results["ok"] else 1
    except Stalled:
        args.keep = True
        results.update({"ok": False, "work": work})
        print(json.dumps(results))
        return 1
    finally:
        source.stop()
        puller.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["crash", "pull"])
    parser.add_argument("--vigil", default=".build/debug/vigil")
    parser.add_argument("--entries", type=int)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--page-size", type=int)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders (kept anyway when a run stalls)")
    parser.add_argument("--deadline", type=float, default=1800, help="seconds to wait for the exchange to be up to date")
    args = parser.parse_args()
    args.vigil = os.path.abspath(args.vigil)
    if args.mode == "crash":
        args.entries = args.entries or 200_000
        args.page_size = args.page_size or 1_000
        return crash(args)
    args.entries = args.entries or 1_000_000
    args.page_size = args.page_size or 5_000
    return pull(args)


if __name__ == "__main__":
    sys.exit(main())
