"""Running the opcount drivers (bench/opcount) under callgrind and reading
the counts back. Shared by the gate, `nxbench baseline` and `nxbench profile`.

A driver prints "key: value" lines about itself (backend, backend_version,
compiler, build) and one "region: SPEC N LABEL" line per measured region;
callgrind writes one dump per region whose "desc: Trigger: Client Request:"
line carries LABEL. Per operation = (count at N2 - count at N1) / (N2 - N1).
"""
import glob
import os
import re
import shutil
import subprocess

from nxbench_lib import REPO_ROOT

DRIVER_PREFIX = "nx_opcount_"
DEFAULT_BUILD_DIR = REPO_ROOT / "build" / "default"
DEFAULT_PRESET = "default"


class CallgrindError(Exception):
    """valgrind or a driver could not produce counts; the message says why."""


def valgrind_version():
    """'valgrind-3.19.0', or raises CallgrindError when valgrind is missing."""
    exe = shutil.which("valgrind")
    if exe is None:
        raise CallgrindError("valgrind is not installed (apt-get install valgrind)")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True)
    return out.stdout.strip() or "valgrind (unknown version)"


def driver_ops(driver):
    """The driver's operations as `--list` prints them: [{"name", "params"
    (list), "gated" (bool), "what"}]. [] when the driver lists none."""
    try:
        proc = subprocess.run([driver, "--list"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise CallgrindError("%s --list: %s" % (driver, e)) from None
    ops = []
    for line in proc.stdout.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4:
            ops.append({"name": parts[0], "params": [] if parts[1] == "-" else parts[1].split(","),
                        "gated": parts[2] == "gate", "what": parts[3]})
    return ops


def gate_ops(driver):
    """Names of the operations the gate checks (the driver marks them)."""
    return [op["name"] for op in driver_ops(driver) if op["gated"]]


def find_drivers(build_dir):
    """{backend: path} of the drivers built under build_dir."""
    found = {}
    for path in glob.glob(os.path.join(str(build_dir), "bench", "opcount", DRIVER_PREFIX + "*")):
        name = os.path.basename(path)[len(DRIVER_PREFIX):]
        if os.path.isfile(path) and os.access(path, os.X_OK) and re.fullmatch(r"[a-z0-9_]+", name):
            found[name] = path
    return found


def build_drivers(build_dir, preset=DEFAULT_PRESET, jobs=2, log=None):
    """Configures build_dir with `preset` if it is not configured, then builds
    target nx_opcount_drivers (always: a stale driver would count old code).
    Raises CallgrindError with the tail of the output on failure."""
    build_dir = str(build_dir)
    steps = []
    if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
        if os.path.abspath(build_dir) != os.path.abspath(str(REPO_ROOT / "build" / preset)):
            raise CallgrindError("%s is not a configured CMake build folder" % build_dir)
        steps.append(["cmake", "--preset", preset])
    steps.append(["cmake", "--build", build_dir, "--target", "nx_opcount_drivers",
                  "-j%d" % jobs])
    for cmd in steps:
        proc = subprocess.run(cmd, cwd=str(REPO_ROOT), capture_output=True, text=True)
        if log is not None:
            log.write("$ %s\n%s%s" % (" ".join(cmd), proc.stdout, proc.stderr))
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
            raise CallgrindError("`%s` failed:\n%s" % (" ".join(cmd), tail))


def parse_dump(path):
    """(label, {event: total}) of one callgrind output file."""
    label, events, totals = None, None, None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("desc: Trigger: Client Request: "):
                label = line[len("desc: Trigger: Client Request: "):].strip()
            elif line.startswith("events: "):
                events = line.split()[1:]
            elif line.startswith("totals: ") or (totals is None and line.startswith("summary: ")):
                totals = [int(x) for x in line.split()[1:]]
    if events is None or totals is None:
        raise CallgrindError("%s: not a complete callgrind file (no events/totals)" % path)
    totals += [0] * (len(events) - len(totals))  # trailing zero counts may be omitted
    return label, dict(zip(events, totals))


def parse_functions(path):
    """{(object, file, function): {event: self cost}} of one callgrind file.

    Self cost only: the cost line after a `calls=` line is the inclusive cost
    of that call and belongs to the callee (callgrind format, section
    "Calls"). Needs a file written with --compress-strings=no (names in
    clear; run_driver(profile=True) asks for it)."""
    events, costs = None, {}
    ob = fl = fn = ""
    skip_next = False
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            c = line[:1]
            if c.isdigit() or c in "+-*":
                if skip_next:
                    skip_next = False
                    continue
                if events is None:
                    continue
                values = line.split()[1:]
                slot = costs.setdefault((ob, fl, fn), [0] * len(events))
                for i, v in enumerate(values[:len(events)]):
                    slot[i] += int(v)
            elif line.startswith("events: "):
                events = line.split()[1:]
            elif line.startswith("ob="):
                ob = line[3:].strip()
            elif line.startswith("fl="):
                fl = line[3:].strip()
            elif line.startswith("fn="):
                fn = line[3:].strip()
            elif line.startswith("calls="):
                skip_next = True
    if events is None:
        raise CallgrindError("%s: no events line" % path)
    return {k: dict(zip(events, v)) for k, v in costs.items()}


class DriverRun:
    """The result of one driver under callgrind."""

    def __init__(self, info, regions, files, command):
        self.info = info          # {"backend": ..., "backend_version": ..., ...}
        self.regions = regions    # {(spec, n): {"events": {...}, "file": path}}
        self.files = files
        self.command = command

    def per_op(self, spec):
        """{event: count per operation} from the two regions of `spec`."""
        ns = sorted(n for s, n in self.regions if s == spec)
        if len(ns) < 2:
            raise CallgrindError("no two regions for %s in the driver's output" % spec)
        lo, hi = self.regions[(spec, ns[0])]["events"], self.regions[(spec, ns[-1])]["events"]
        return {ev: (hi[ev] - lo.get(ev, 0)) / float(ns[-1] - ns[0]) for ev in hi}

    def functions_per_op(self, spec):
        """[(object, file, function, {event: self cost per op})], largest Ir first."""
        ns = sorted(n for s, n in self.regions if s == spec)
        lo = parse_functions(self.regions[(spec, ns[0])]["file"])
        hi = parse_functions(self.regions[(spec, ns[-1])]["file"])
        out = []
        for key, ev in hi.items():
            base = lo.get(key, {})
            per = {e: (v - base.get(e, 0)) / float(ns[-1] - ns[0]) for e, v in ev.items()}
            out.append(key + (per,))
        out.sort(key=lambda t: -t[3].get("Ir", 0))
        return out

    def file_of(self, spec):
        """The callgrind file of the larger region of `spec`."""
        n = max(n for s, n in self.regions if s == spec)
        return self.regions[(spec, n)]["file"]


def run_driver(driver, ops, out_dir, valgrind_args=(), n=None, timeout=600):
    """Runs `driver OPS...` under callgrind, writing its files into out_dir.
    Returns a DriverRun. Raises CallgrindError on any failure."""
    os.makedirs(out_dir, exist_ok=True)
    for old in glob.glob(os.path.join(out_dir, "callgrind.out.*")):
        os.remove(old)
    cmd = ["valgrind", "--tool=callgrind", "--collect-atstart=no",
           "--callgrind-out-file=%s" % os.path.join(out_dir, "callgrind.out.%p")]
    cmd += list(valgrind_args) + [str(driver)]
    if n is not None:
        cmd += ["--n", "%d,%d" % n]
    cmd += list(ops)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CallgrindError("`%s` took longer than %ds" % (" ".join(cmd), timeout)) from None
    except FileNotFoundError:
        raise CallgrindError("valgrind is not installed (apt-get install valgrind)") from None
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-12:])
        raise CallgrindError("`%s` exited with %d:\n%s" % (" ".join(cmd), proc.returncode, tail))
    info, wanted = {}, {}
    for line in proc.stdout.splitlines():
        if line.startswith("region: "):
            spec, count, label = line[len("region: "):].split(" ", 2)
            wanted[label] = (spec, int(count))
        elif ": " in line:
            k, v = line.split(": ", 1)
            info[k] = v
    regions, files = {}, []
    for path in sorted(glob.glob(os.path.join(out_dir, "callgrind.out.*"))):
        label, events = parse_dump(path)
        files.append(path)
        if label in wanted:
            regions[wanted.pop(label)] = {"events": events, "file": path}
    if wanted:
        raise CallgrindError("%s: callgrind wrote no dump for %s (is the driver built with "
                             "valgrind's callgrind.h?)" % (driver, ", ".join(sorted(wanted))))
    if "backend" not in info:
        raise CallgrindError("%s: printed no 'backend:' line; is it an nx_opcount driver?"
                             % driver)
    return DriverRun(info, regions, files, cmd)
