"""`nxbench baseline`: rewrite the gate's instruction-count baseline on purpose.

Measures every backend's hot operations under callgrind (as the gate does),
prints old -> new per operation, and writes bench/opcount/baseline.json.
Commit the file together with the change that moved the counts, so the
reviewer sees the diff. --dry-run shows the diff without writing.
"""
import datetime
import json
import os
import sys

from nxbench_lib import gate
from nxbench_lib import report_callgrind as rc


def add_arguments(parser):
    parser.description = ("Rewrite the callgrind instruction-count baseline "
                          "(bench/opcount/baseline.json) and show what changed.")
    gate.add_common_arguments(parser)
    parser.add_argument("--dry-run", action="store_true",
                        help="measure and show the diff, but do not write the file")


def build_baseline(runs, valgrind, previous=None, only=None):
    """The new baseline dict. With `only` (backend names) the other backends
    keep their previous entries."""
    per_op = dict(previous["instructions_per_op"]) if previous and only else {}
    versions = dict(previous.get("backend_versions", {})) if previous and only else {}
    for backend, run in sorted(runs.items()):
        per_op[backend] = {op: round(run.per_op(op)["Ir"], 3)
                           for op in sorted({spec for spec, _n in run.regions})}
        versions[backend] = run.info.get("backend_version", "")
    any_run = next(iter(runs.values()))
    ns = sorted({n for r in runs.values() for _, n in r.regions})
    return {
        "schema": gate.BASELINE_SCHEMA,
        "about": "Instructions per operation of nxrt's hot operations, counted by callgrind "
                 "(bench/opcount/README.md). Checked by the gate in `tools/nxbench test`; "
                 "rewritten on purpose by `tools/nxbench baseline`.",
        "updated": datetime.date.today().isoformat(),
        "valgrind": valgrind,
        "compiler": any_run.info.get("compiler", ""),
        "build": any_run.info.get("build", ""),
        "counts": [ns[0], ns[-1]] if ns else [],
        "backend_versions": versions,
        "instructions_per_op": per_op,
    }


def diff_lines(old, new):
    """Human lines: one per (backend, op), old -> new."""
    old_ops = (old or {}).get("instructions_per_op", {})
    lines = []
    for backend in sorted(set(old_ops) | set(new["instructions_per_op"])):
        a, b = old_ops.get(backend, {}), new["instructions_per_op"].get(backend, {})
        for op in sorted(set(a) | set(b)):
            if op not in a:
                lines.append("  %-10s %-18s        new -> %.1f" % (backend, op, b[op]))
            elif op not in b:
                lines.append("  %-10s %-18s %10.1f -> removed" % (backend, op, a[op]))
            else:
                pct = (b[op] - a[op]) / a[op] * 100.0 if a[op] else 0.0
                mark = "" if abs(b[op] - a[op]) <= gate.ABS_SLACK else "   <- changed"
                lines.append("  %-10s %-18s %10.1f -> %.1f (%+.1f%%)%s"
                             % (backend, op, a[op], b[op], pct, mark))
    for key in ("valgrind", "compiler", "build"):
        if old and old.get(key) != new.get(key):
            lines.append("  %s: %r -> %r" % (key, old.get(key), new.get(key)))
    return lines


def main(args):
    path = args.baseline
    previous = None
    if os.path.exists(path):
        try:
            previous = gate.load_baseline(path)
        except gate.GateError as e:
            print("nxbench baseline: warning: %s; it will be replaced" % e, file=sys.stderr)
    try:
        valgrind = rc.valgrind_version()
        drivers = gate.resolve_drivers(args)
        unknown = [b for b in args.backend if b not in drivers]
        if unknown:
            raise gate.GateError("no driver for backend(s) %s (built: %s)"
                                 % (", ".join(unknown), ", ".join(sorted(drivers))))
        runs = gate.measure(drivers, args.backend or None)
        if not runs:
            raise gate.GateError("no driver measured")
    except (gate.GateError, rc.CallgrindError) as e:
        print("nxbench baseline: error: %s" % e, file=sys.stderr)
        return 2
    new = build_baseline(runs, valgrind, previous, args.backend or None)
    print("instructions per operation (baseline -> measured now):")
    for line in diff_lines(previous, new):
        print(line)
    if args.dry_run:
        print("dry run: %s not written" % path)
        return 0
    tmp = path + ".tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(new, f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)
    except OSError as e:
        print("nxbench baseline: error: cannot write %s: %s" % (path, e), file=sys.stderr)
        return 2
    print("wrote %s; commit it with the change that moved the counts" % path)
    return 0
