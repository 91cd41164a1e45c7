#!/usr/bin/env python3
"""Prints the CPU seconds (user + system) a process and its children have used so far.

    cpu_seconds.py PID

The process's own time (every thread), the time of its children that it has already waited for
(cutime/cstime: a PostgreSQL postmaster's ended backends) and the time of its live children. The
difference of two readings is exact across children that start or end in between, so a benchmark
phase can say how much CPU a server (and a database's processes) spent per request, a figure the
machine's other load does not change the way it changes throughput. Prints "nan" when PID is gone.
"""
import os
import sys

TICK = os.sysconf("SC_CLK_TCK")


def fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    # The command name is in parentheses and may hold spaces: the fields start after the last ')'.
    rest = text[text.rindex(")") + 2:].split()
    return rest  # rest[0] is field 3 (state); field N is rest[N - 3]


def main():
    pid = int(sys.argv[1])
    try:
        f = fields(pid)
    except OSError:
        print("nan")
        return
    total = sum(int(f[i - 3]) for i in (14, 15, 16, 17))  # utime, stime, cutime, cstime
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == pid:
            continue
        try:
            c = fields(entry)
        except (OSError, ValueError):
            continue
        if int(c[4 - 3]) == pid:  # field 4: the parent's pid
            total += int(c[14 - 3]) + int(c[15 - 3])
    print(f"{total / TICK:.2f}")


if __name__ == "__main__":
    main()
