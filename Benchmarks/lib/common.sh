# Shared by the Benchmarks/*/run.sh scripts (sourced, not run): installing what a script uses,
# free ports, and the phase log (load average at each phase's start and end, peak RSS).
#   source "$ROOT/Benchmarks/lib/common.sh"

BENCH_LIB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Runs a command as root: directly when already root, through sudo otherwise.
bench_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# bench_apt PACKAGE...: installs the Debian packages that are not installed yet (apt-get, through
# sudo only when not root). Call it before checking for a command the packages provide.
bench_apt() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "[bench] this script needs the packages ${missing[*]}; there is no apt-get here, so install them and run it again" >&2
    return 1
  fi
  echo "[bench] apt-get install ${missing[*]}" >&2
  bench_root apt-get update -qq >&2
  bench_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# bench_free_port: a TCP port on 127.0.0.1 that the kernel reports free right now.
bench_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# bench_port_free PORT: fails when something already answers on 127.0.0.1:PORT.
bench_port_free() {
  ! python3 -c 'import socket, sys; s = socket.socket(); s.settimeout(1); sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)' "$1"
}

# The 1-, 5- and 15-minute load averages.
bench_loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# bench_peak_rss_pid PID: the peak resident set size (VmHWM) of a running process, in MiB.
bench_peak_rss_pid() {
  awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"
}

# bench_measure FILE COMMAND...: runs COMMAND (stdout and stderr pass through) and writes to FILE
# the peak RSS, in MiB, of the largest process it ran (itself or any child it waited for).
bench_measure() {
  local file="$1"; shift
  python3 "$BENCH_LIB/peak_rss.py" "$file" "$@"
}

# The phase log: bench_phase_start NAME, then bench_phase_end NAME [PEAK_RSS_MIB [WHOSE]];
# bench_phase_table prints one markdown row per phase. BENCH_PHASES (a file) must be set.
bench_phase_start() {
  printf '%s\t%s\t%s\n' "$1" "$(bench_loadavg)" "$(date +%s.%N)" > "$BENCH_PHASES.current"
}
bench_phase_end() {
  local name="$1" rss="${2:-}" whose="${3:-}" start_load start_time
  start_load=$(awk -F'\t' -v n="$name" '$1 == n { print $2 }' "$BENCH_PHASES.current" 2>/dev/null)
  start_time=$(awk -F'\t' -v n="$name" '$1 == n { print $3 }' "$BENCH_PHASES.current" 2>/dev/null)
  local secs; secs=$(awk -v a="${start_time:-0}" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "${start_load:-?}" "$(bench_loadavg)" "$secs" "${rss:--}" "${whose:-}" >> "$BENCH_PHASES"
  rm -f "$BENCH_PHASES.current"
}
bench_phase_table() {
  echo "| phase | load average at start (1/5/15 min) | at end | seconds | peak RSS |"
  echo "|---|---|---|--:|--:|"
  awk -F'\t' '{ r = ($5 == "-" || $5 == "") ? "–" : $5 " MiB" ($6 != "" ? " (" $6 ")" : ""); printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, r }' "$BENCH_PHASES"
}

# One line naming the machine: CPU model, cores, memory.
bench_machine() {
  echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -r)"
}
