"""Joins VPDQBench's and bench_vpdq.py's rows into a markdown table (Benchmarks/vpdq/run.sh).

    table.py VIGIL.tsv VPDQ.tsv VIDEO...

Vigil's rows come from two backends: "vigil" (ffprobe and ffmpeg started per video) and
"vigil-framer" (the long-lived vigil-framer frame server), each with the portable and the native
colour path; vpdq's from PyPI vpdq (native, in-process). Rows of "vigil-framer-decode" (the
framer's frames read and dropped, none hashed) make a second table: how far decoding and colour
conversion alone let Vigil go against vpdq, as they are and if spread perfectly over every core.
"""
import csv
import json
import os
import subprocess
import sys

COLUMNS = [
    ("vigil-framer", "native", "framer native"),
    ("vigil-framer", "portable", "framer portable"),
    ("vigil", "native", "ffmpeg native"),
    ("vigil", "portable", "ffmpeg portable"),
    ("vpdq", "simd", "vpdq 0.2.5"),
]


def probe(path: str) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=width,height,avg_frame_rate,nb_frames:format=duration", "-of", "json", path],
        capture_output=True, text=True, check=True).stdout
    data = json.loads(out)
    stream = data["streams"][0]
    return {"size": f'{stream["width"]}x{stream["height"]}', "duration": float(data["format"]["duration"]),
            "frames": stream.get("nb_frames", "?")}


def rows(path: str) -> dict:
    with open(path) as handle:
        return {(r["tool"], r["colour"], r["file"], float(r["seconds_per_hash"])): r
                for r in csv.DictReader(handle, delimiter="\t")}


def main() -> None:
    found = {**rows(sys.argv[1]), **rows(sys.argv[2])}
    videos = sys.argv[3:]
    modes = sorted({key[3] for key in found}, reverse=True)
    columns = [c for c in COLUMNS if any(k[0] == c[0] and k[1] == c[1] for k in found)]
    vigil = [c for c in columns if c[0] != "vpdq"]
    print("| video | size | s | frames | mode | hashed | " + " | ".join(f"{c[2]}: fr/s (× realtime)" for c in columns)
          + " | " + " | ".join(f"{c[2]} / vpdq" for c in vigil) + " | CPU s: " + " / ".join(c[2] for c in columns) + " |")
    print("|" + "---|" * (6 + len(columns) + len(vigil) + 1))
    for video in videos:
        name, info = os.path.basename(video), probe(video)
        for mode in modes:
            cells, walls, cpus, hashed = [], {}, {}, "?"
            for tool, colour, label in columns:
                row = found.get((tool, colour, name, mode))
                if row is None:
                    cells.append("–")
                    continue
                wall, frames = float(row["wall_s"]), int(row["frames"])
                walls[label], cpus[label], hashed = wall, float(row["cpu_s"]), row["frames"]
                cells.append(f"{frames / wall:.1f} ({info['duration'] / wall:.1f}×)")
            ratios = [f"{walls['vpdq 0.2.5'] / walls[c[2]]:.2f}" if c[2] in walls and "vpdq 0.2.5" in walls else "–"
                      for c in vigil]
            cpu = " / ".join(f"{cpus[c[2]]:.2f}" if c[2] in cpus else "–" for c in columns)
            label = "every frame" if mode == 0 else f"1 per {mode:g} s"
            print(f"| {name} | {info['size']} | {info['duration']:.1f} | {info['frames']} | {label} | {hashed} | "
                  + " | ".join(cells) + " | " + " | ".join(ratios) + f" | {cpu} |")
    print()
    print("fr/s = frames hashed per wall-clock second; × realtime = video duration / wall time; "
          "ratios are speed ratios (vpdq's wall time / Vigil's: above 1, Vigil is faster).")
    decode_table(found, videos, modes)


def decode_table(found: dict, videos: list, modes: list) -> None:
    """What decoding alone allows: vigil-framer native with the frames dropped unhashed."""
    if not any(key[0] == "vigil-framer-decode" for key in found):
        return
    cores = os.cpu_count() or 1
    print()
    print("Decoding and conversion alone (vigil-framer native, the same frames read and dropped, none hashed): "
          f"wall and CPU seconds; the most Vigil could reach against vpdq with free hashing, as its decoding "
          f"runs (vpdq wall / decode wall) and if the decoding's CPU time were spread perfectly over all "
          f"{cores} cores (vpdq wall / (decode CPU / {cores})); and what framer native reached.")
    print()
    print("| video | mode | decode wall s | decode CPU s | vpdq wall s | ceiling as run | ceiling, all cores busy | framer native / vpdq |")
    print("|---|---|--:|--:|--:|--:|--:|--:|")
    for video in videos:
        name = os.path.basename(video)
        for mode in modes:
            decode = found.get(("vigil-framer-decode", "native", name, mode))
            vpdq = found.get(("vpdq", "simd", name, mode))
            framer = found.get(("vigil-framer", "native", name, mode))
            if decode is None or vpdq is None:
                continue
            wall, cpu, reference = float(decode["wall_s"]), float(decode["cpu_s"]), float(vpdq["wall_s"])
            reached = f"{reference / float(framer['wall_s']):.2f}" if framer else "–"
            label = "every frame" if mode == 0 else f"1 per {mode:g} s"
            print(f"| {name} | {label} | {wall:.3f} | {cpu:.3f} | {reference:.3f} | {reference / wall:.2f} | "
                  f"{reference / (cpu / cores):.2f} | {reached} |")


if __name__ == "__main__":
    main()
