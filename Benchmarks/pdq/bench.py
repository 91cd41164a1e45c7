#!/usr/bin/env python3
"""PDQ throughput benchmark: `vigil hash` versus the Python reference (Pillow + pdqhash).

Usually started by Benchmarks/pdq/run.sh. Direct use:
    .venv/bin/python Benchmarks/pdq/bench.py [--python-only] [--reps 3] [--limit N]
        [--vigil .build/release/vigil] [--corpus Benchmarks/out/pdq-corpus]

Corpus (generated once, cached): 40 JPEGs at 1024x768 and 20 at 4000x3000, quality 90,
4:2:0, each a random-shapes-on-gradient picture plus sigma=6 Gaussian noise. Benign only.

Timing rule: every configuration runs --reps times over a whole group; the table shows
the BEST (minimum) wall time of those runs, and the CPU time of that same run.
  * Python paths are timed in-process around the decode+hash loop (interpreter start-up
    and imports excluded; the all-cores Pool is started and warmed before timing).
  * vigil and the optional C++ CLI are timed as whole processes (start-up included,
    nothing subtracted); CPU = user+sys of the child processes.
  * "1 core" = pinned to one CPU (sched_setaffinity / taskset -c); "all" = no pinning,
    Python uses a Pool of N workers and vigil --jobs N, N = usable CPUs.
"""

import argparse
import json
import multiprocessing as mp
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "scripts"))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
import pdqhash  # noqa: E402
import pdq_reference as ref  # noqa: E402

CORPUS_VERSION = "pdq-bench-corpus v1"
GROUPS = [  # (label, width, height, count, seed offset)
    ("1024x768", 1024, 768, 40, 1000),
    ("4000x3000", 4000, 3000, 20, 2000),
]
TARGETS = {  # (vigil path, python path, group) -> minimum speed ratio
    ("full", "py-full", "1024x768"): 3.0,
    ("full", "py-full", "4000x3000"): 4.0,
    ("reference-cli", "py-squash", "1024x768"): 1.8,
    ("reference-cli", "py-squash", "4000x3000"): 1.8,
    ("fast", "py-full", "4000x3000"): 10.0,
    # The same work as the Python paths (which compute no MD5/SHA-256): --no-digests.
    ("full-nd", "py-full", "1024x768"): 3.0,
    ("full-nd", "py-full", "4000x3000"): 4.0,
    ("fast-nd", "py-full", "4000x3000"): 10.0,
}
FAST_MEAN_DIST_TARGET = 4.0


# ---------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------

def _make_one(job):
    path, w, h, seed = job
    rng = np.random.default_rng(seed)
    base = ref.shapes(rng, w, h, base=ref.gradient(rng, w, h))
    img = ref.noise(rng, w, h, 6.0, base=base)
    Image.fromarray(img, "RGB").save(path, "JPEG", quality=90, subsampling=2, optimize=False)
    return path


def ensure_corpus(corpus, jobs):
    marker = os.path.join(corpus, "CORPUS")
    if os.path.exists(marker) and open(marker).read().strip() == CORPUS_VERSION:
        return
    t0 = time.time()
    os.makedirs(corpus, exist_ok=True)
    todo = []
    for label, w, h, n, off in GROUPS:
        d = os.path.join(corpus, label)
        os.makedirs(d, exist_ok=True)
        for i in range(n):
            todo.append((os.path.join(d, "img-%03d.jpg" % i), w, h, off + i))
    os.makedirs(os.path.join(corpus, "tiny"), exist_ok=True)
    tiny = np.random.default_rng(7).integers(0, 256, (16, 16, 3)).astype(np.uint8)
    Image.fromarray(tiny, "RGB").save(os.path.join(corpus, "tiny", "tiny-16x16.png"))
    with mp.Pool(jobs) as pool:
        pool.map(_make_one, todo, chunksize=1)
    with open(marker, "w") as fh:
        fh.write(CORPUS_VERSION + "\n")
    log("corpus generated in %.0f s -> %s" % (time.time() - t0, corpus))


def group_files(corpus, label, limit):
    d = os.path.join(corpus, label)
    files = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".jpg"))
    return files[:limit] if limit else files


# ---------------------------------------------------------------------------
# Python reference paths
# ---------------------------------------------------------------------------

def py_task(args):
    """Decode + hash one file; returns (hex, quality, cpu_seconds)."""
    path, mode = args
    c0 = time.process_time()
    a = np.asarray(Image.open(path).convert("RGB"))
    if mode == "py-squash":
        a = ref.squash512(a)
    bits, q = pdqhash.compute(a)
    cpu = time.process_time() - c0
    return ref.bits_to_hex(bits), int(q), cpu


def _warm(_):
    return os.getpid()


def run_python(files, mode, pool, reps):
    runs = []
    for _ in range(reps):
        t0 = time.perf_counter()
        if pool is None:
            res = [py_task((f, mode)) for f in files]
        else:
            res = pool.map(py_task, [(f, mode) for f in files], chunksize=1)
        wall = time.perf_counter() - t0
        runs.append((wall, sum(r[2] for r in res), [(r[0], r[1]) for r in res]))
    best = min(runs, key=lambda r: r[0])
    return dict(wall=best[0], cpu=best[1], hashes=runs[0][2], walls=[r[0] for r in runs])


# ---------------------------------------------------------------------------
# External processes (vigil, C++ CLI)
# ---------------------------------------------------------------------------

def _children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def timed_procs(cmds):
    """Run commands concurrently; return (wall, child cpu, [(rc, stdout, stderr)])."""
    c0 = _children_cpu()
    t0 = time.perf_counter()
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in cmds]
    outs = [p.communicate() for p in procs]
    wall = time.perf_counter() - t0
    cpu = _children_cpu() - c0
    return wall, cpu, [(p.returncode, o, e) for p, (o, e) in zip(procs, outs)]


def pin_prefix(cpu0):
    return ["taskset", "-c", str(cpu0)] if shutil.which("taskset") else None


def parse_vigil(stdout, files):
    """Parse --json lines in input order -> list of (hex|None, quality|None, error|None)."""
    lines = [ln for ln in stdout.splitlines() if ln.strip()]
    out = []
    for i, f in enumerate(files):
        if i >= len(lines):
            out.append((None, None, "missing output line"))
            continue
        try:
            obj = json.loads(lines[i])
        except ValueError:
            out.append((None, None, "bad JSON: %s" % lines[i][:80]))
            continue
        if "error" in obj:
            out.append((None, None, "%s" % obj["error"]))
        elif os.path.abspath(obj.get("path", "")) != os.path.abspath(f) and obj.get("path") != f:
            out.append((None, None, "path out of order: %s" % obj.get("path")))
        else:
            out.append((obj.get("pdq"), obj.get("quality"), None))
    return out


def run_vigil(vigil, args, files, jobs, pin, reps):
    cmd = [vigil, "hash", "--json", "--jobs", str(jobs)] + args + files
    if pin:
        cmd = pin + cmd
    runs = []
    for _ in range(reps):
        wall, cpu, [(rc, out, err)] = timed_procs([cmd])
        runs.append((wall, cpu, rc, out, err))
    best = min(runs, key=lambda r: r[0])
    wall, cpu, rc, out, err = runs[0]
    lines = [ln.strip() for ln in err.splitlines() if ln.strip()]
    key = [ln for ln in lines if "error" in ln.lower() or "failure" in ln.lower()]
    msg = (key or lines or [""])[0]
    msg = "".join(ch for ch in msg if ch.isprintable() and ch != "|")[:120]
    res = dict(wall=best[0], cpu=best[1], rc=rc, walls=[r[0] for r in runs],
               parsed=parse_vigil(out, files), stderr=msg)
    return res


def run_cpp(cli, files, nproc, pin, reps):
    """Meta's pdq-photo-hasher: prints 'hash,quality,filename' per file."""
    chunks = [files[i::nproc] for i in range(nproc)]
    cmds = [([] if nproc > 1 or not pin else pin) + [cli] + c for c in chunks if c]
    runs = []
    for _ in range(reps):
        runs.append(timed_procs(cmds))
    best = min(runs, key=lambda r: r[0])
    got = {}
    for rc, out, _ in runs[0][2]:
        for ln in out.splitlines():
            parts = ln.strip().split(",")
            if len(parts) >= 3 and len(parts[0]) == 64:
                got[os.path.abspath(",".join(parts[2:]))] = (parts[0], int(parts[1]))
    parsed = [got.get(os.path.abspath(f), (None, None)) + (None,) for f in files]
    return dict(wall=best[0], cpu=best[1], rc=max(r[0] for r in runs[0][2]), parsed=parsed,
                walls=[r[0] for r in runs], stderr="")


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------

def log(msg):
    sys.stderr.write("[bench] %s\n" % msg)
    sys.stderr.flush()


def match_fraction(parsed, want):
    ok = sum(1 for (h, q, e), (wh, wq) in zip(parsed, want) if e is None and h == wh)
    return ok / len(want) if want else float("nan")


def distances(parsed, want):
    return [ref.hamming(h, wh) if (e is None and h) else 256 for (h, q, e), (wh, wq) in zip(parsed, want)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=os.path.join(REPO, "Benchmarks", "out", "pdq-corpus"))
    ap.add_argument("--vigil", default=os.path.join(REPO, ".build", "release", "vigil"))
    ap.add_argument("--python-only", action="store_true", help="skip vigil (smoke test)")
    ap.add_argument("--reps", type=int, default=3, help="runs per configuration; best wall time is reported")
    ap.add_argument("--limit", type=int, default=0, help="use only the first N files of each group")
    ap.add_argument("--cpp-cli", default=os.environ.get("PDQ_CPP_CLI"),
                    help="Meta's pdq-photo-hasher binary (default: $PDQ_CPP_CLI); needs ImageMagick convert")
    args = ap.parse_args()

    cpus = sorted(os.sched_getaffinity(0))
    ncpu = len(cpus)
    cpu0 = cpus[0]
    ensure_corpus(args.corpus, ncpu)

    use_vigil = not args.python_only
    if use_vigil and not os.access(args.vigil, os.X_OK):
        log("vigil binary not found at %s: Python side only" % args.vigil)
        use_vigil = False
    use_cpp = bool(args.cpp_cli)
    if use_cpp and not (os.access(args.cpp_cli, os.X_OK) and shutil.which("convert")):
        log("PDQ_CPP_CLI=%s not executable or ImageMagick 'convert' missing: C++ column skipped" % args.cpp_cli)
        use_cpp = False

    results = {}  # (group, path, cores) -> dict(wall, cpu, n, note)
    want = {}     # (group, path) -> python hashes
    t_start = time.time()

    # Pool for the all-cores Python runs: started and warmed before any timing.
    pool = mp.Pool(ncpu)
    pool.map(_warm, range(ncpu * 4), chunksize=1)

    for label, w, h, n, _ in GROUPS:
        files = group_files(args.corpus, label, args.limit)
        nf = len(files)
        for mode in ("py-full", "py-squash"):
            log("%s %s: 1 core" % (label, mode))
            os.sched_setaffinity(0, {cpu0})
            try:
                r = run_python(files, mode, None, args.reps)
            finally:
                os.sched_setaffinity(0, set(cpus))
            want[(label, mode)] = r["hashes"]
            results[(label, mode, "1")] = dict(r, n=nf, note="")
            log("%s %s: %d workers" % (label, mode, ncpu))
            r = run_python(files, mode, pool, args.reps)
            same = sum(a == b for a, b in zip(r["hashes"], want[(label, mode)]))
            results[(label, mode, "all")] = dict(r, n=nf, note="" if same == nf else "pool/serial hash mismatch!")

        if use_vigil:
            pin = pin_prefix(cpu0)
            for path, vargs in (("full", ["--convention", "full"]),
                                ("reference-cli", ["--convention", "reference-cli"]),
                                ("fast", ["--fast"]),
                                ("full-nd", ["--convention", "full", "--no-digests"]),
                                ("fast-nd", ["--fast", "--no-digests"])):
                for cores, jobs in (("1", 1), ("all", ncpu)):
                    log("%s vigil %s: %s" % (label, path, cores))
                    r = run_vigil(args.vigil, vargs, files, jobs, pin if cores == "1" else None, args.reps)
                    results[(label, path, cores)] = dict(r, n=nf)
        if use_cpp:
            for cores, k in (("1", 1), ("all", ncpu)):
                log("%s C++ CLI: %s" % (label, cores))
                r = run_cpp(args.cpp_cli, files, k, pin_prefix(cpu0), args.reps)
                results[(label, "cpp-cli", cores)] = dict(r, n=nf)
    pool.close()
    pool.join()

    startup = None
    if use_vigil:
        tiny = os.path.join(args.corpus, "tiny", "tiny-16x16.png")
        walls = [timed_procs([[args.vigil, "hash", "--json", tiny]])[0] for _ in range(7)]
        startup = statistics.median(walls)

    # ---------------- tables ----------------
    print("## PDQ benchmark\n")
    print("Host: %d usable CPUs (%s); Python %s, Pillow %s, numpy %s, pdqhash 0.2.8. "
          "Best of %d runs per row (wall); CPU time from that run.%s\n"
          % (ncpu, _cpu_model(), sys.version.split()[0], Image.__version__, np.__version__, args.reps,
             " --limit %d." % args.limit if args.limit else ""))
    print("| images | path | cores | wall s | img/s | CPU ms/img | correctness |")
    print("|---|---|---|---:|---:|---:|---|")
    names = {"py-full": "Python full (Pillow+pdqhash)", "py-squash": "Python squash 512² (= C++ CLI)",
             "full": "vigil --convention full", "reference-cli": "vigil --convention reference-cli",
             "fast": "vigil --fast", "cpp-cli": "C++ pdq-photo-hasher",
             "full-nd": "vigil --convention full --no-digests", "fast-nd": "vigil --fast --no-digests"}
    for label, *_ in GROUPS:
        for path in ("py-full", "py-squash", "full", "reference-cli", "fast", "full-nd", "fast-nd", "cpp-cli"):
            for cores in ("1", "all"):
                r = results.get((label, path, cores))
                if r is None:
                    continue
                corr = r.get("note", "")
                if path in ("full", "reference-cli", "fast", "full-nd", "fast-nd", "cpp-cli"):
                    errs = sum(1 for p in r["parsed"] if p[2] is not None or p[0] is None)
                    if path in ("fast", "fast-nd"):
                        d = distances(r["parsed"], want[(label, "py-full")])
                        corr = "Hamming vs Python full: mean %.2f, max %d" % (statistics.mean(d), max(d))
                    else:
                        base = "py-full" if path in ("full", "full-nd") else "py-squash"
                        fr = match_fraction(r["parsed"], want[(label, base)])
                        qok = sum(1 for p, wq in zip(r["parsed"], want[(label, base)]) if p[0] == wq[0] and p[1] == wq[1])
                        corr = "hash == Python %s: %.3f (hash+quality %d/%d)" % (
                            base[3:], fr, qok, r["n"])
                    if errs:
                        corr += "; %d errors/missing" % errs
                    if r.get("rc"):
                        corr += "; exit code %d: %s" % (r["rc"], r.get("stderr", ""))
                cores_s = "1 (pinned)" if cores == "1" else str(ncpu)
                print("| %s | %s | %s | %.2f | %.1f | %.1f | %s |" % (
                    label, names[path], cores_s, r["wall"], r["n"] / r["wall"], 1000 * r["cpu"] / r["n"], corr))

    print("\n### Speed ratios (vigil img/s ÷ Python img/s, same core count)\n")
    print("| images | pairing | cores | ratio | target | met |")
    print("|---|---|---|---:|---:|---|")
    pairings = [("full", "py-full"), ("reference-cli", "py-squash"), ("fast", "py-full"),
                ("full-nd", "py-full"), ("fast-nd", "py-full")]
    if use_cpp:
        pairings.append(("reference-cli", "cpp-cli"))
    for label, *_ in GROUPS:
        for vp, pp in pairings:
            for cores in ("1", "all"):
                v, p = results.get((label, vp, cores)), results.get((label, pp, cores))
                if not v or not p:
                    continue
                ratio = (v["n"] / v["wall"]) / (p["n"] / p["wall"])
                tgt = TARGETS.get((vp, pp, label))
                met = ""
                failed = v.get("rc") or any(x[0] is None for x in v["parsed"])
                if failed:
                    met = "invalid: vigil failed on some files"
                elif tgt is not None:
                    met = "yes" if ratio >= tgt else "**no**"
                    if vp in ("fast", "fast-nd"):
                        md = statistics.mean(distances(v["parsed"], want[(label, "py-full")]))
                        met += " (mean dist %.2f %s %.0f)" % (md, "<=" if md <= FAST_MEAN_DIST_TARGET else ">",
                                                             FAST_MEAN_DIST_TARGET)
                print("| %s | %s vs %s | %s | %.2fx | %s | %s |" % (
                    label, names[vp], names[pp], "1" if cores == "1" else ncpu, ratio,
                    (">= %.1fx" % tgt) if tgt else "–", met))
    if startup is not None:
        print("\nvigil start-up (one 16x16 PNG, whole process, median of 7): %.1f ms" % (1000 * startup))
    if not use_vigil:
        print("\n(vigil not measured: --python-only or no binary at %s)" % args.vigil)
    print("\nTargets: full >= 3x Python full at 1024x768 and >= 4x at 4000x3000; reference-cli >= 1.8x "
          "Python squash; fast >= 10x Python full at 4000x3000 with mean distance <= 4. The Python paths "
          "compute no MD5/SHA-256; the --no-digests rows are vigil doing the same work.")
    log("total %.0f s" % (time.time() - t_start))
    return 0


def _cpu_model():
    try:
        for ln in open("/proc/cpuinfo"):
            if ln.startswith("model name"):
                return ln.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
