"""`nxbench profile [CASE] [--backend B ...] [--out DIR]`: why does one
backend cost more than another? Without CASE: the headline case the build's
catalogue names (cases.headline()), with the driver's default params.

Runs the case's operation in the opcount driver of each backend under
`valgrind --tool=callgrind --cache-sim=yes --branch-sim=yes` and prints, per
operation: instructions, simulated L1 misses (I1+D1), last-level misses,
branch mispredictions, how the instructions split between the executor's
code and the allocator's, and the top functions by instructions (self cost).

Everything is per operation: the operation runs N1 and N2 times and the
counts are (count(N2) - count(N1)) / (N2 - N1). Cache and branch figures come
from callgrind's simulation (this VM has no hardware counters), so read them
as relative, not as what the hardware does.

Writes into DIR: profile-<case>.json and .md (the table; `nxbench report`
includes it when run into the same folder) and callgrind/<case>/ with the raw
callgrind files (open them with kcachegrind or callgrind_annotate).
"""
import json
import os
import re
import shutil
import sys

from nxbench_lib import REPO_ROOT, gate
from nxbench_lib import cases as C
from nxbench_lib import report_callgrind as rc
from nxbench_lib import runplan

DEFAULT_OUT = REPO_ROOT / "build" / "nxbench-profile"
VALGRIND_ARGS = ("--cache-sim=yes", "--branch-sim=yes", "--compress-strings=no")
ALLOC_LIBS = re.compile(r"lib(jemalloc|mimalloc|tcmalloc[a-z_]*)\.so")
# Allocation functions in objects without file names: glibc's malloc, and
# tcmalloc's entry points, which valgrind cannot map to an object ("???").
ALLOC_FN = re.compile(r"malloc|free|_int_|tcache|arena|calloc|realloc|memalign|unlink_chunk|"
                      r"consolidate|^operator (new|delete)|^tc_|sdallocx|^je_|^mi_")


def add_arguments(parser):
    parser.description = ("Run one case under callgrind with cache and branch simulation for "
                          "each backend; print instructions, L1 and last-level misses and "
                          "branch mispredictions per operation, and the top functions.")
    parser.add_argument("case", metavar="CASE", nargs="?",
                        help="a case the opcount driver has (`nx_opcount_malloc --list`); "
                             "default: the headline case of the build's catalogue")
    parser.add_argument("--future-bytes", type=int, metavar="N",
                        help="future size, for the cases that take one (default 0)")
    parser.add_argument("--live-tasks", type=int, metavar="N",
                        help="live tasks, for the cases that take them (default 1000)")
    parser.add_argument("--top", type=int, default=8, metavar="K",
                        help="functions to list per backend (default %(default)s)")
    parser.add_argument("--out", metavar="DIR", default=str(DEFAULT_OUT),
                        help="folder for the table and the raw callgrind files "
                             "(default: build/nxbench-profile); use the report folder to get "
                             "the table into `nxbench report`")
    gate.add_common_arguments(parser)


# The executor's own task storage (runtime/src): counted as allocator work,
# like the backends in allocators/.
STORAGE_SOURCES = ("/runtime/src/malloc.c", "/runtime/src/slab.c", "/runtime/src/slab.h")


def classify(obj, path, function):
    """'executor', 'allocator', 'driver' or 'other' for one function."""
    if path.endswith(STORAGE_SOURCES):
        return "allocator"
    if "/runtime/src/" in path:
        return "executor"
    if "/allocators/" in path or ALLOC_LIBS.search(os.path.basename(obj)):
        return "allocator"
    if (os.path.basename(obj).startswith("libc.so") or obj == "???") and \
            ALLOC_FN.search(function):
        return "allocator"
    if "/bench/opcount/" in path:
        return "driver"
    return "other"


def _takers(ops, param):
    return " and ".join(op["name"] for op in ops if param in op["params"]) or "no case"


def _spec(args, ops):
    op = next(o for o in ops if o["name"] == args.case)
    params = []
    if args.future_bytes is not None:
        if "future_bytes" not in op["params"]:
            raise gate.GateError("--future-bytes applies to %s" % _takers(ops, "future_bytes"))
        if not 0 <= args.future_bytes <= 1024:
            raise gate.GateError("--future-bytes must be 0..1024")
        params.append("future_bytes=%d" % args.future_bytes)
    if args.live_tasks is not None:
        if "live_tasks" not in op["params"]:
            raise gate.GateError("--live-tasks applies to %s" % _takers(ops, "live_tasks"))
        if args.live_tasks < 0:
            raise gate.GateError("--live-tasks must be >= 0")
        params.append("live_tasks=%d" % args.live_tasks)
    return args.case + (":" + ",".join(params) if params else "")


def profile_backend(backend, driver, spec, out_dir, top):
    run_dir = os.path.join(out_dir, backend)
    run = rc.run_driver(driver, [spec], run_dir, valgrind_args=VALGRIND_ARGS)
    if run.info.get("backend") != backend:
        raise gate.GateError("driver %s reports backend %r, expected %r: mislinked binary"
                             % (driver, run.info.get("backend"), backend))
    ev = run.per_op(spec)

    def g(*names):
        # Differences of two exact counts; a warm loop can give -0.0005.
        return max(0.0, sum(ev.get(n, 0.0) for n in names))

    funcs = run.functions_per_op(spec)
    split = {"executor": 0.0, "allocator": 0.0, "driver": 0.0, "other": 0.0}
    for obj, path, fn, fev in funcs:
        split[classify(obj, path, fn)] += fev.get("Ir", 0.0)
    total = g("Ir")
    top_rows = [{"function": fn, "object": os.path.basename(obj), "file": path,
                 "kind": classify(obj, path, fn), "per_op": fev.get("Ir", 0.0),
                 "percent": 100.0 * fev.get("Ir", 0.0) / total if total else 0.0}
                for obj, path, fn, fev in funcs[:top] if fev.get("Ir", 0.0) > 0.005]
    # Keep the raw files under readable names (kcachegrind opens callgrind.out.*).
    kept = []
    for (s, n), region in sorted(run.regions.items()):
        dest = os.path.join(out_dir, "callgrind.out.%s.n%d" % (backend, n))
        shutil.move(region["file"], dest)
        kept.append(dest)
    shutil.rmtree(run_dir, ignore_errors=True)
    return {
        "backend": backend,
        "backend_version": run.info.get("backend_version", ""),
        "op": spec,
        "instructions": total,
        "l1_misses": g("I1mr", "D1mr", "D1mw"),
        "ll_misses": g("ILmr", "DLmr", "DLmw"),
        "branch_mispredicts": g("Bcm", "Bim"),
        "branches": g("Bc", "Bi"),
        "data_reads": g("Dr"),
        "data_writes": g("Dw"),
        "split": split,
        "top_functions": top_rows,
        "callgrind_files": [os.path.basename(k) for k in kept],
    }


def table_lines(rows):
    head = ("backend", "instructions", "executor", "allocator", "L1 misses", "LL misses",
            "branch mispred.")
    lines = ["| " + " | ".join(head) + " |", "|:---|" + "---:|" * (len(head) - 1)]
    for r in rows:
        lines.append("| %s | %.1f | %.1f | %.1f | %.3f | %.3f | %.3f |" % (
            r["backend"], r["instructions"], r["split"]["executor"], r["split"]["allocator"],
            r["l1_misses"], r["ll_misses"], r["branch_mispredicts"]))
    return lines


def load_catalogue(build_dir):
    """The benchmark catalogue of the build's executor binaries (the legacy
    catalogue when the build has none)."""
    try:
        manifest = runplan.load_manifest(build_dir)
    except Exception:  # noqa: BLE001  no bench build: the legacy catalogue answers
        return
    for b in manifest["binaries"]:
        if b["kind"] == "executor" and os.path.exists(b["path"]):
            C.use(C.read_binary(b["path"]))
            return


def default_case():
    """The headline case of the loaded catalogue; GateError when none is named."""
    headline = C.headline()
    if headline is None:
        raise gate.GateError("no CASE given and the build's catalogue names no headline case "
                             "(a build from before the field?): name one (`nx_opcount_malloc "
                             "--list`)")
    return headline[0]


def case_problem(case, ops):
    """Why CASE cannot be profiled with these driver operations, or None."""
    names = [o["name"] for o in ops]
    if case in names:
        return None
    why = C.not_profiled(case)
    if why:
        return "%s is not profiled: %s" % (case, why)
    if C.info(case) is not None:
        return ("%s has no operation in the opcount driver (bench/opcount); profiled cases: %s"
                % (case, ", ".join(names) or "none"))
    return "unknown case %r; profiled cases: %s" % (case, ", ".join(names) or "none")


def main(args):
    if args.top < 1:
        print("nxbench profile: error: --top must be >= 1", file=sys.stderr)
        return 2
    try:
        drivers = gate.resolve_drivers(args)
        load_catalogue(getattr(args, "build_dir", None) or rc.DEFAULT_BUILD_DIR)
        ops = rc.driver_ops(next(iter(drivers.values())))
        if args.case is None:
            args.case = default_case()
        problem = case_problem(args.case, ops)
        if problem:
            raise gate.GateError(problem)
        spec = _spec(args, ops)
        slug = re.sub(r"[^A-Za-z0-9]+", "_", spec).strip("_")
        valgrind = rc.valgrind_version()
        unknown = [b for b in args.backend if b not in drivers]
        if unknown:
            raise gate.GateError("no driver for backend(s) %s (built: %s)"
                                 % (", ".join(unknown), ", ".join(sorted(drivers))))
        out_dir = os.path.join(args.out, "callgrind", slug)
        os.makedirs(out_dir, exist_ok=True)
        rows = []
        for backend in args.backend or sorted(drivers, key=_backend_order):
            print("profiling %s on %s under callgrind ..." % (spec, backend), flush=True)
            rows.append(profile_backend(backend, drivers[backend], spec, out_dir, args.top))
    except (gate.GateError, rc.CallgrindError, OSError) as e:
        print("nxbench profile: error: %s" % e, file=sys.stderr)
        return 2
    for r in rows:
        r["callgrind_file"] = os.path.join("callgrind", slug, r["callgrind_files"][-1])
    result = {"case": spec, "valgrind": valgrind, "valgrind_args": list(VALGRIND_ARGS),
              "per_op_method": "(count at N2 - count at N1) / (N2 - N1)", "rows": rows}
    lines = ["Per operation of %s (callgrind, simulated caches; %s):" % (spec, valgrind), ""]
    lines += table_lines(rows)
    for r in rows:
        lines += ["", "Top functions by instructions (self), %s:" % r["backend"]]
        for t in r["top_functions"]:
            lines.append("  %8.1f  %5.1f%%  %-9s  %s  [%s]" % (t["per_op"], t["percent"],
                                                             t["kind"], t["function"],
                                                             t["object"]))
    lines += ["", "Raw callgrind files: %s" % out_dir]
    print("\n".join(lines))
    try:
        with open(os.path.join(args.out, "profile-%s.json" % slug), "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
        with open(os.path.join(args.out, "profile-%s.md" % slug), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    except OSError as e:
        print("nxbench profile: error: cannot write into %s: %s" % (args.out, e),
              file=sys.stderr)
        return 2
    print("wrote %s" % os.path.join(args.out, "profile-%s.json" % slug))
    return 0


def _backend_order(name):
    return C.backend_rank(name)
