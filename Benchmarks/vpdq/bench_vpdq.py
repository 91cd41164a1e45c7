"""PyPI vpdq's hashing speed, in the same row format as VPDQBench (see Benchmarks/vpdq/run.sh).

    bench_vpdq.py [--reps 3] [--modes 1,0] VIDEO...

vpdq decodes in-process with libavcodec and converts colour with libswscale's SIMD code; it hashes
with as many threads as cores (thread_count=0, its default). CPU time is the process's, all threads.
"""
import argparse
import os
import statistics
import time

import vpdq


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--modes", default="1,0")
    parser.add_argument("videos", nargs="+")
    args = parser.parse_args()
    print("tool\tcolour\tfile\tseconds_per_hash\tframes\twall_s\tcpu_s")
    for path in args.videos:
        for mode in [float(m) for m in args.modes.split(",")]:
            walls, cpus, frames = [], [], 0
            for _ in range(max(1, args.reps)):
                cpu0, wall0 = time.process_time(), time.perf_counter()
                frames = len(vpdq.computeHash(path, seconds_per_hash=mode))
                walls.append(time.perf_counter() - wall0)
                cpus.append(time.process_time() - cpu0)
            print(
                f"vpdq\tsimd\t{os.path.basename(path)}\t{mode}\t{frames}\t"
                f"{statistics.median(walls)}\t{statistics.median(cpus)}",
                flush=True,
            )


if __name__ == "__main__":
    main()
