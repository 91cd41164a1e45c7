# Reads the JUnit XML of each server's run of HMA's tests (Benchmarks/hma/parity.sh) and prints the
# parity table: per test file and overall, passed / failed / excluded for each server; then the
# tests whose outcome differs, each server's failures with their first line, and the exclusions.
#   python3 report.py OUT_DIR vigil hma
import os
import sys
import xml.etree.ElementTree as ET


def outcomes(path):
    """{(file, test): (outcome, message)} with outcome passed / failed / excluded / skipped."""
    result = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        file = case.get("classname", "").split(".")[-1] + ".py"
        name = case.get("name")
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
                message = (child.get("message") or child.text or "").strip().splitlines()[0:1]
                message = message[0] if message else ""
            elif child.tag == "skipped":
                message = child.get("message") or ""
                outcome = "excluded" if "EXCLUDED:" in message else "skipped"
                message = message.split("EXCLUDED:", 1)[-1].strip()
        result[(file, name)] = (outcome, message)
    return result


def main():
    out, servers = sys.argv[1], sys.argv[2:]
    runs = {s: outcomes(os.path.join(out, f"{s}.xml")) for s in servers if os.path.exists(os.path.join(out, f"{s}.xml"))}
    servers = [s for s in servers if s in runs]
    tests = sorted(set().union(*[set(r) for r in runs.values()]))
    files = sorted({f for f, _ in tests})
    head = "| file | tests | " + " | ".join(f"{s} passed | {s} failed | excluded" for s in servers) + " |"
    print(head)
    print("|" + "---|" * (2 + 3 * len(servers)))
    total = {s: [0, 0, 0] for s in servers}
    for file in files + ["all"]:
        names = [k for k in tests if file == "all" or k[0] == file]
        row = [file, str(len(names))]
        for s in servers:
            counts = [sum(1 for k in names if runs[s].get(k, ("missing",))[0] == o) for o in ("passed", "failed", "excluded")]
            row += [str(c) for c in counts]
        print("| " + " | ".join(row) + " |")
    print()
    if len(servers) == 2:
        a, b = servers
        differ = [k for k in tests if runs[a].get(k, ("missing", ""))[0] != runs[b].get(k, ("missing", ""))[0]]
        print(f"Tests whose outcome differs ({len(differ)}):")
        for k in differ:
            print(f"- {k[0]}::{k[1]}: {a} {runs[a].get(k, ('missing',))[0]}, {b} {runs[b].get(k, ('missing',))[0]}")
        print()
    for s in servers:
        failed = [(k, m) for k, (o, m) in sorted(runs[s].items()) if o == "failed"]
        print(f"Failed on {s} ({len(failed)}):")
        for k, m in failed:
            print(f"- {k[0]}::{k[1]}: {m[:300]}")
        print()
    excluded = sorted({(k, m) for r in runs.values() for k, (o, m) in r.items() if o == "excluded"})
    print(f"Excluded ({len(excluded)}), on both servers:")
    for k, m in excluded:
        print(f"- {k[0]}::{k[1]}: {m}")


if __name__ == "__main__":
    main()
