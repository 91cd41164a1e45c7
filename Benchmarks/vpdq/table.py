"""Joins VPDQBench's and bench_vpdq.py's rows into a markdown table (Benchmarks/vpdq/run.sh).

    table.py VIGIL.tsv VPDQ.tsv VIDEO...
"""
import csv
import json
import os
import subprocess
import sys


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
    vigil, python = rows(sys.argv[1]), rows(sys.argv[2])
    videos = sys.argv[3:]
    modes = sorted({key[3] for key in vigil}, reverse=True)
    print("| video | size | s | frames | mode | hashed | Vigil portable: fr/s (× realtime) | Vigil native | vpdq 0.2.5 | "
          "Vigil native / vpdq | Vigil portable / vpdq | CPU s: Vigil portable / native / vpdq |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for video in videos:
        name, info = os.path.basename(video), probe(video)
        for mode in modes:
            cells, walls, cpus, hashed = [], {}, {}, "?"
            for key in [("vigil", "portable"), ("vigil", "native"), ("vpdq", "simd")]:
                row = (vigil if key[0] == "vigil" else python).get((key[0], key[1], name, mode))
                if row is None:
                    cells.append("–")
                    continue
                wall, frames = float(row["wall_s"]), int(row["frames"])
                walls[key[1]], cpus[key[1]], hashed = wall, float(row["cpu_s"]), row["frames"]
                cells.append(f"{frames / wall:.1f} ({info['duration'] / wall:.1f}×)")
            ratio = lambda a: f"{walls['simd'] / walls[a]:.2f}" if a in walls and "simd" in walls else "–"
            cpu = " / ".join(f"{cpus[k]:.2f}" if k in cpus else "–" for k in ["portable", "native", "simd"])
            label = "every frame" if mode == 0 else f"1 per {mode:g} s"
            print(f"| {name} | {info['size']} | {info['duration']:.1f} | {info['frames']} | {label} | {hashed} | "
                  f"{cells[0]} | {cells[1]} | {cells[2]} | {ratio('native')} | {ratio('portable')} | {cpu} |")
    print()
    print("fr/s = frames hashed per wall-clock second; × realtime = video duration / wall time; "
          "ratios are speed ratios (vpdq's wall time / Vigil's: above 1, Vigil is faster).")


if __name__ == "__main__":
    main()
