"""peak_rss.py FILE COMMAND...: runs COMMAND and writes to FILE the peak resident set size, in MiB,
of the largest process it ran (COMMAND itself, or any descendant that was waited for), from
getrusage(RUSAGE_CHILDREN). Standard input, output and error pass through; the exit status is
COMMAND's (128 + N when a signal N ended it)."""
import resource
import subprocess
import sys

if len(sys.argv) < 3:
    sys.exit("usage: peak_rss.py FILE COMMAND...")
status = subprocess.call(sys.argv[2:])
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
with open(sys.argv[1], "w") as f:
    f.write("%.0f\n" % (peak_kib / 1024))
sys.exit(status if status >= 0 else 128 - status)
