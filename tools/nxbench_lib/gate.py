"""The regression gate: instructions per hot operation, per backend, counted
by callgrind (deterministic: the same binary and input give the same count on
a noisy CI machine), checked against the committed baseline
bench/opcount/baseline.json with a small tolerance.

`nxbench test` calls run_gate(args) -> (passed, failed): one item per
(backend, operation). `nxbench baseline` (baseline.py) rewrites the baseline.
Standalone: /usr/bin/python3 tools/nxbench.py gate ... when the launcher
lists it, or import and call main(args).
"""
import json
import os
import sys

from nxbench_lib import REPO_ROOT
from nxbench_lib import report_callgrind as rc

DEFAULT_BASELINE = REPO_ROOT / "bench" / "opcount" / "baseline.json"
DEFAULT_TOLERANCE_PCT = 3.0
# Below this many instructions a difference is rounding of the two-count
# subtraction, not a change of code (counts are exact; per-op is a ratio).
ABS_SLACK = 0.5
WORK_DIR = REPO_ROOT / "build" / "nxbench-gate"
BASELINE_SCHEMA = 1


class GateError(Exception):
    """The gate could not run (no baseline, no valgrind, build failed)."""


def add_common_arguments(parser):
    parser.add_argument("--baseline", metavar="FILE", default=str(DEFAULT_BASELINE),
                        help="baseline file (default: bench/opcount/baseline.json)")
    parser.add_argument("--build-dir", metavar="DIR", default=str(rc.DEFAULT_BUILD_DIR),
                        help="CMake build folder holding bench/opcount/nx_opcount_* "
                             "(default: build/default, configured with the 'default' preset "
                             "if needed; the drivers are rebuilt first)")
    parser.add_argument("--driver", metavar="BACKEND=PATH", action="append", default=[],
                        help="use this driver binary for BACKEND instead of building "
                             "(repeatable; implies --no-build)")
    parser.add_argument("--no-build", action="store_true",
                        help="use the drivers already in --build-dir as they are")
    parser.add_argument("--backend", metavar="NAME", action="append", default=[],
                        help="check only this backend (repeatable; default: all in the "
                             "baseline)")


def add_arguments(parser):
    parser.description = ("Count the instructions of each hot operation under callgrind, per "
                          "allocator backend, and fail if any grew beyond the tolerance over "
                          "the committed baseline.")
    add_common_arguments(parser)
    parser.add_argument("--tolerance", metavar="PCT", type=float, default=DEFAULT_TOLERANCE_PCT,
                        help="allowed growth in percent (default %(default)s)")


def _opt(args, name, default):
    value = getattr(args, name, None)
    return default if value is None else value


def load_baseline(path):
    """The baseline dict. Raises GateError naming the file and the problem."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise GateError("no baseline file %s; create it on purpose with "
                        "`tools/nxbench baseline`" % path) from None
    except (OSError, ValueError) as e:
        raise GateError("%s: unreadable baseline: %s" % (path, e)) from None
    if not isinstance(data, dict) or data.get("schema") != BASELINE_SCHEMA:
        raise GateError("%s: not a schema-%d opcount baseline" % (path, BASELINE_SCHEMA))
    per_op = data.get("instructions_per_op")
    if not isinstance(per_op, dict) or not all(
            isinstance(ops, dict) and all(isinstance(v, (int, float)) for v in ops.values())
            for ops in per_op.values()):
        raise GateError("%s: 'instructions_per_op' must map backend -> op -> number" % path)
    return data


def resolve_drivers(args, log=None):
    """{backend: driver path}, building them first unless told not to."""
    explicit = {}
    for item in _opt(args, "driver", []):
        if "=" not in item:
            raise GateError("--driver wants BACKEND=PATH, got %r" % item)
        name, path = item.split("=", 1)
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise GateError("--driver %s: %s is not an executable file" % (name, path))
        explicit[name] = path
    if explicit:
        return explicit
    build_dir = _opt(args, "build_dir", str(rc.DEFAULT_BUILD_DIR))
    if not _opt(args, "no_build", False):
        try:
            rc.build_drivers(build_dir, jobs=_opt(args, "jobs", 2), log=log)
        except rc.CallgrindError as e:
            raise GateError("cannot build the opcount drivers: %s" % e) from None
    drivers = rc.find_drivers(build_dir)
    if not drivers:
        raise GateError("no nx_opcount_* drivers under %s/bench/opcount (valgrind's "
                        "callgrind.h missing at configure time?)" % build_dir)
    return drivers


def measure(drivers, backends=None, ops=None, work_dir=WORK_DIR):
    """Runs each driver under callgrind on `ops` (default: the operations
    the driver marks as gated). Returns {backend: DriverRun}."""
    runs = {}
    for backend in sorted(drivers):
        if backends is not None and backend not in backends:
            continue
        wanted = ops if ops is not None else rc.gate_ops(drivers[backend])
        if not wanted:
            raise GateError("driver %s lists no gated operation (--list)" % drivers[backend])
        run = rc.run_driver(drivers[backend], wanted, os.path.join(str(work_dir), backend))
        if run.info.get("backend") != backend:
            raise GateError("driver %s reports backend %r, expected %r: mislinked binary"
                            % (drivers[backend], run.info.get("backend"), backend))
        runs[backend] = run
    return runs


def check(baseline, runs, tolerance_pct, out=None):
    """Compares measured counts with the baseline. Prints one line per
    (backend, op) and returns (passed, failed)."""
    out = out or sys.stdout
    passed = failed = 0
    base = baseline["instructions_per_op"]
    for backend, run in sorted(runs.items()):
        if backend not in base:
            print("gate: warning: no baseline for backend %s; add it with "
                  "`tools/nxbench baseline`" % backend, file=out)
            continue
        for op in sorted(base[backend]):
            if not any(spec == op for spec, _ in run.regions):
                print("FAIL gate: %s %s: in the baseline but the driver did not measure it"
                      % (backend, op), file=out)
                failed += 1
                continue
            old = float(base[backend][op])
            new = run.per_op(op)["Ir"]
            pct = (new - old) / old * 100.0 if old else 0.0
            limit = old * (1 + tolerance_pct / 100.0)
            if new > limit and new - old > ABS_SLACK:
                print("FAIL gate: %s %s: %.1f instructions per operation, baseline %.1f "
                      "(%+.1f%%, tolerance %g%%)" % (backend, op, new, old, pct, tolerance_pct),
                      file=out)
                failed += 1
                continue
            note = ""
            if pct < -tolerance_pct and old - new > ABS_SLACK:
                note = ("  (faster than the baseline: run `tools/nxbench baseline` to lock "
                        "the gain in)")
            print("ok   gate: %s %s: %.1f instructions per operation, baseline %.1f (%+.1f%%)%s"
                  % (backend, op, new, old, pct, note), file=out)
            passed += 1
    return passed, failed


def environment_warnings(baseline, runs, valgrind):
    """Lines naming what differs from the baseline's recorded toolchain:
    counts move with the compiler, its flags and valgrind, not only the code."""
    out = []
    if baseline.get("valgrind") and baseline["valgrind"] != valgrind:
        out.append("valgrind: baseline %s, now %s" % (baseline["valgrind"], valgrind))
    for key in ("compiler", "build"):
        now = {r.info.get(key) for r in runs.values()}
        if baseline.get(key) and now and now != {baseline[key]}:
            out.append("%s: baseline %r, now %s" % (key, baseline[key],
                                                     ", ".join(repr(x) for x in sorted(now))))
    versions = baseline.get("backend_versions", {})
    for backend, run in sorted(runs.items()):
        v = run.info.get("backend_version")
        if backend in versions and versions[backend] != v:
            out.append("%s version: baseline %r, now %r" % (backend, versions[backend], v))
    return out


def run_gate(args):
    """Entry point for `nxbench test`. Returns (passed, failed); a gate that
    cannot run counts as one failure with its reason printed."""
    try:
        baseline = load_baseline(_opt(args, "baseline", str(DEFAULT_BASELINE)))
        valgrind = rc.valgrind_version()
        drivers = resolve_drivers(args)
        wanted = _opt(args, "backend", []) or sorted(set(baseline["instructions_per_op"])
                                                      | set(drivers))
        for b in wanted:
            if b not in drivers:
                print("gate: warning: no driver was built for backend %s; skipped" % b)
        wanted = [b for b in wanted if b in drivers]
        if not wanted:
            raise GateError("no driver for any backend to check (built: %s)"
                            % ", ".join(sorted(drivers)))
        runs = measure(drivers, wanted)
    except (GateError, rc.CallgrindError) as e:
        print("FAIL gate: %s" % e)
        return 0, 1
    for line in environment_warnings(baseline, runs, valgrind):
        print("gate: warning: differs from the baseline's toolchain, counts may move: " + line)
    passed, failed = check(baseline, runs, _opt(args, "tolerance", DEFAULT_TOLERANCE_PCT))
    if passed + failed == 0:
        print("FAIL gate: nothing was checked: no backend has both a driver and a baseline")
        return 0, 1
    return passed, failed


def main(args):
    if args.tolerance < 0:
        print("nxbench gate: error: --tolerance must be >= 0", file=sys.stderr)
        return 2
    passed, failed = run_gate(args)
    print("gate: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0
