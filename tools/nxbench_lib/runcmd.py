"""`nxbench run`: the benchmark matrix (every allocator backend x every case).

Builds the benchmark binaries (preset `release`) when needed, prints the
machine's topology, runs every selected binary once per case with progress
lines, keeps google-benchmark's JSON per binary, and writes DIR/results.json
(schema 1, documented in bench/README.md) plus a p50/p99 summary table.
The floors run first and again last, so a shift of the machine's speed level
during the run shows (shared/MEASURING.md: "two speed levels").

`smoke_check(args)` is the `smoke` step of `nxbench test`: one `run --quick`
on the already-built default tree, then the output is checked for form.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import pathlib
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

from nxbench_lib import BUILD_ROOT, REPO_ROOT, CliError, say

SCHEMA = 1
DEFAULT_BUILD_DIR = BUILD_ROOT / "release"
MANIFEST = pathlib.Path("bench") / "nxbench_manifest.json"
PERCENTILES = ("p50", "p90", "p99", "p999", "max")

# The results schema's case names (bench/README.md). Every executor binary
# has all of EXECUTOR_CASES; cross-thread cases need a core pair.
EXECUTOR_CASES = ("spawn_poll_free", "poll_queued", "self_wake_poll", "wake_other_poll",
                  "waker_clone_drop", "spawn_with_live", "churn", "cross_wake_busy",
                  "cross_wake_parked", "io_woken_poll", "timer_fire", "channel_roundtrip")
FLOOR_CASES = ("indirect_call", "pingpong", "eventfd_roundtrip")
PEER_CASES = {"asio": ("spawn_poll_free", "cross_wake_busy", "cross_wake_parked"),
              "libuv": ("cross_wake_busy", "cross_wake_parked")}
CROSS_CASES = ("pingpong", "eventfd_roundtrip", "cross_wake_busy", "cross_wake_parked")
ALL_CASES = EXECUTOR_CASES + FLOOR_CASES
BACKEND_ORDER = ("malloc", "slab", "jemalloc", "mimalloc", "tcmalloc")
# google-benchmark appends these to a name; they are not params.
GBENCH_NAME_KEYS = {"iterations", "repeats", "min_time", "min_warmup_time", "threads"}
# Counters copied to each row as they are (when the binary reports them).
ROW_COUNTERS = ("min_cycles", "mean_cycles", "min_ns", "mean_ns", "ops_per_sample",
                "timer_cost_cycles", "timer_cost_p50_cycles", "timer_cost_min_cycles", "tsc_ghz",
                "slot_bytes",
                "voluntary_csw_per_op", "voluntary_csw_per_op_main",
                "voluntary_csw_per_op_other", "involuntary_csw_per_op")
CASE_TIMEOUT_S = 600


# --------------------------------------------------------------------------
# CLI

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = textwrap.fill(
        "Run the benchmark matrix: every allocator backend x every case, plus the floors "
        "(measured at the start and again at the end) and the peers (Boost.Asio, libuv). "
        "Writes google-benchmark JSON per binary and one merged DIR/results.json "
        "(schema: bench/README.md), prints a table of p50/p99 cycles per case and backend "
        "with each backend's p50 ratio to glibc malloc, then writes the report.", width=79)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (
        "examples:\n"
        "  tools/nxbench run                          the whole matrix (~4 min on 2 idle cores)\n"
        "  tools/nxbench run --quick                  one-minute smoke run\n"
        "  tools/nxbench run --backend slab --backend mimalloc --case spawn_poll_free\n"
        "  tools/nxbench run --backend mine=/path/libmine.so   your own allocator plugin")
    parser.add_argument(
        "--backend", action="append", metavar="NAME[=PATH.so]",
        help="run only this backend (repeatable). NAME is a built backend (malloc, slab, "
             "jemalloc, mimalloc, tcmalloc, the example 'bump', or the peers asio and libuv); "
             "NAME=PATH.so runs the plugin host with the allocator plugin at PATH "
             "(allocators/README.md says how to write one) and reports it as NAME. "
             "Default: every built-in backend and both peers. The floors always run.")
    parser.add_argument(
        "--case", action="append", metavar="CASE",
        help="run only this case (repeatable), e.g. spawn_poll_free, cross_wake_busy; "
             "--list shows them all. Default: every case.")
    parser.add_argument(
        "--repetitions", type=int, metavar="N",
        help="times each case is repeated; each repetition is one row per case "
             "(default 3, or 1 with --quick)")
    parser.add_argument(
        "--quick", action="store_true",
        help="one-minute smoke run: 10x fewer samples, spawn_with_live up to 10,000 live "
             "tasks, churn with 1,000, one repetition. For checking the suite, not for numbers.")
    parser.add_argument(
        "--out", metavar="DIR",
        help="where results.json, the google-benchmark JSON (gbench/) and the logs (logs/) "
             "go (default: reports/runs/<timestamp>)")
    parser.add_argument(
        "--no-report", action="store_true",
        help="do not write report.md/report.html (`nxbench report`) after the run")
    parser.add_argument(
        "--build-dir", metavar="DIR",
        help="use the benchmark binaries of this existing CMake build instead of building "
             f"the release preset into {DEFAULT_BUILD_DIR.relative_to(REPO_ROOT)}/")
    parser.add_argument(
        "--list", action="store_true",
        help="list the backends and cases that would run, then exit")


def main(args: argparse.Namespace) -> int:
    if args.repetitions is not None and args.repetitions < 1:
        raise CliError(f"--repetitions must be at least 1 (got {args.repetitions})", 2)
    build_dir = prepare_build(args.build_dir)
    manifest = load_manifest(build_dir)
    jobs = plan_jobs(manifest, args.backend)
    quick_flag = ["--nxbench_quick"] if args.quick else []
    listed = {job.label: list_cases(job, quick_flag) for job in jobs}
    cases = select_cases(args.case, listed)
    if args.list:
        for job in jobs:
            names = [c for c in listed[job.label] if job.kind == "floor" or c in cases]
            say(f"{job.label:14} {job.binary:18} {' '.join(names)}")
        return 0

    out = pathlib.Path(args.out) if args.out else (
        REPO_ROOT / "reports" / "runs" / datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    try:
        (out / "gbench").mkdir(parents=True, exist_ok=True)
        (out / "logs").mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CliError(f"cannot create the output folder {out}: {e}") from e
    repetitions = args.repetitions or (1 if args.quick else 3)

    topo = subprocess.run([jobs[0].path, "--nxbench_topology"], capture_output=True, text=True,
                          env=jobs[0].env())
    say(topo.stdout.rstrip() if topo.returncode == 0 else
        f"(topology summary unavailable: {topo.stderr.strip()})")

    # Floors first and last; everything else between.
    floor = next(j for j in jobs if j.kind == "floor")
    schedule = [floor.with_phase("start")] + [j for j in jobs if j.kind != "floor"] + \
        [floor.with_phase("end")]
    work = [(job, [c for c in listed[job.base_label] if job.kind == "floor" or c in cases])
            for job in schedule]
    total = sum(len(c) for _, c in work)
    done = 0
    started = time.monotonic()
    started_at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    rows, problems, contexts = [], [], {}
    for i, (job, job_cases) in enumerate(work, 1):
        say(f"[{i}/{len(work)}] {job.binary} ({job.label}): {len(job_cases)} cases")
        merged = None
        for case in job_cases:
            t0 = time.monotonic()
            print(f"    {case} ... ", end="", flush=True)
            data, err = run_case(job, case, repetitions, quick_flag, out)
            done += 1
            elapsed = time.monotonic() - t0
            if err:
                problems.append(f"{job.label}: {case}: {err}")
                say(f"FAILED ({err})  [{total - done} left]")
                continue
            say(f"{elapsed:.1f}s  [{total - done} left, {time.monotonic() - started:.0f}s so far]")
            if merged is None:
                merged = data
            else:
                merged["benchmarks"].extend(data["benchmarks"])
        if merged is None:
            continue
        (out / "gbench" / f"{job.label}.json").write_text(json.dumps(merged, indent=1))
        contexts[job.label] = merged["context"]
        job_rows, job_problems = rows_of(job, merged)
        rows.extend(job_rows)
        problems.extend(job_problems)

    results = {
        "schema": SCHEMA,
        "fingerprint": fingerprint(contexts, build_dir, repetitions, args.quick),
        "command": command_of(args),
        "started": started_at,
        "duration_s": round(time.monotonic() - started, 1),
        "results": rows,
        "skipped": skipped_of(contexts),
        "errors": problems,
    }
    results_path = out / "results.json"
    results_path.write_text(json.dumps(results, indent=1) + "\n")
    say("")
    say(summary_table(rows))
    say("")
    for s in results["skipped"]:
        say(f"skipped {s['what']}: {s['reason']}")
    say(f"results: {results_path}  ({len(rows)} rows, {results['duration_s']:.0f}s)")
    if not args.no_report:
        write_report(results_path, out)
    if problems:
        say(f"nxbench run: {len(problems)} problem(s):", err=True)
        for p in problems:
            say(f"  {p}", err=True)
        return 1
    return 0


def command_of(args: argparse.Namespace) -> str:
    """The equivalent command line (the same however run was called)."""
    parts = ["tools/nxbench", "run"]
    for b in args.backend or []:
        parts += ["--backend", b]
    for c in args.case or []:
        parts += ["--case", c]
    if args.repetitions:
        parts += ["--repetitions", str(args.repetitions)]
    if args.quick:
        parts.append("--quick")
    if args.out:
        parts += ["--out", str(args.out)]
    if args.no_report:
        parts.append("--no-report")
    if args.build_dir:
        parts += ["--build-dir", str(args.build_dir)]
    return shlex.join(parts)


# --------------------------------------------------------------------------
# build and manifest

def prepare_build(build_dir: str | None) -> pathlib.Path:
    """The build folder holding the benchmark binaries. Without --build-dir:
    configures the release preset if needed, then builds the benchmark
    targets (an up-to-date build takes seconds)."""
    if build_dir:
        path = pathlib.Path(build_dir).resolve()
        if not (path / MANIFEST).exists():
            raise CliError(f"{path / MANIFEST} does not exist: is {path} a configured and built "
                           "nxrt build folder (NXRT_BUILD_BENCH=ON)?", 2)
        return path
    path = DEFAULT_BUILD_DIR
    if not (path / "CMakeCache.txt").exists() or not (path / MANIFEST).exists():
        say("configuring the release preset: cmake --preset release")
        run_build_step(["cmake", "--preset", "release"])
    jobs = str(os.cpu_count() or 2)
    say("building the benchmarks: cmake --build --preset release")
    # The build re-runs CMake when the tree changed, which may list new
    # binaries: build until every binary the manifest names exists.
    for _ in range(2):
        manifest = load_manifest(path)
        targets = [b["binary"] for b in manifest["binaries"]] + \
            ["nxrt_plugin_" + p["name"] for p in manifest["plugins"]]
        run_build_step(["cmake", "--build", "--preset", "release", "-j", jobs,
                        "--target", *targets])
        manifest = load_manifest(path)
        if all(os.path.exists(b["path"]) for b in manifest["binaries"]):
            return path
    missing = [b["binary"] for b in manifest["binaries"] if not os.path.exists(b["path"])]
    raise CliError(f"the build did not produce {', '.join(missing)}")


def run_build_step(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
        raise CliError(f"`{shlex.join(cmd)}` failed (exit {proc.returncode}):\n{tail}")


def load_manifest(build_dir: pathlib.Path) -> dict:
    path = build_dir / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except OSError as e:
        raise CliError(f"cannot read {path}: {e}") from e
    except json.JSONDecodeError as e:
        raise CliError(f"{path} is not valid JSON ({e}); reconfigure the build") from e
    if not any(b["kind"] == "floor" for b in manifest.get("binaries", [])):
        raise CliError(f"{path} lists no floor binary; is bench/ built?")
    return manifest


class Job:
    """One benchmark binary to run, as one backend."""

    def __init__(self, entry: dict, label: str, backend: str, plugin: str | None = None):
        self.binary = entry["binary"]
        self.path = entry["path"]
        self.kind = entry["kind"]
        self.label = label           # file names, progress lines
        self.base_label = label      # the label without the floor's phase
        self.backend = backend       # the name the binary must report
        self.plugin = plugin
        self.phase = None

    def env(self) -> dict:
        env = dict(os.environ)
        if self.plugin:
            env["NXRT_BACKEND_PLUGIN"] = self.plugin
            env["NXRT_BACKEND_NAME"] = self.backend
        return env

    def with_phase(self, phase: str) -> "Job":
        j = Job({"binary": self.binary, "path": self.path, "kind": self.kind},
                f"{self.label}_{phase}", self.backend, self.plugin)
        j.phase = phase
        j.base_label = self.label
        return j


NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


def plan_jobs(manifest: dict, wanted: list[str] | None) -> list[Job]:
    """The binaries to run for --backend (floor first). Raises CliError on an
    unknown name or a plugin path that does not exist."""
    by_backend = {b["backend"]: b for b in manifest["binaries"] if b["kind"] != "plugin_host"}
    host = next((b for b in manifest["binaries"] if b["kind"] == "plugin_host"), None)
    floor = Job(by_backend["floor"], "floor", "floor")
    if not wanted:
        return [floor] + [Job(b, name, name) for name, b in sorted(
            by_backend.items(), key=lambda kv: backend_sort_key(kv[0]))
            if b["kind"] != "floor" and not b.get("example")]
    jobs, seen = [floor], set()
    choices = sorted(n for n in by_backend if n != "floor")
    for spec in wanted:
        name, sep, path = spec.partition("=")
        if not NAME_RE.match(name):
            raise CliError(f"--backend {spec!r}: NAME must start with a letter and hold only "
                           "letters, digits, '_', '.', '-'", 2)
        if name in seen:
            raise CliError(f"--backend {name} given twice", 2)
        seen.add(name)
        if name == "floor":
            continue  # always runs
        if sep:
            if name in by_backend:
                raise CliError(f"--backend {spec}: {name} is a built-in backend; give the "
                               "plugin another name", 2)
            if host is None:
                raise CliError("this build has no plugin host (nxbench_plugin)", 2)
            plugin = pathlib.Path(path).expanduser().resolve()
            if not plugin.is_file():
                raise CliError(f"--backend {spec}: no such file: {plugin}", 2)
            jobs.append(Job(host, f"plugin_{name}", name, str(plugin)))
        elif name in by_backend:
            jobs.append(Job(by_backend[name], name, name))
        else:
            raise CliError(f"--backend {name}: unknown backend (built: {', '.join(choices)}; "
                           "or NAME=PATH.so for a plugin)", 2)
    return jobs


def backend_sort_key(name: str):
    if name in ("start", "end"):  # the floors' phases
        return (0, ("start", "end").index(name), name)
    if name in BACKEND_ORDER:
        return (0, BACKEND_ORDER.index(name), name)
    if name in PEER_CASES:
        return (2, 0, name)
    if name == "floor":
        return (3, 0, name)
    return (1, 0, name)


def list_cases(job: Job, quick_flag: list[str]) -> list[str]:
    """Case names the binary has, in its order (google-benchmark's list)."""
    proc = subprocess.run([job.path, "--benchmark_list_tests", *quick_flag], capture_output=True,
                          text=True, env=job.env())
    if proc.returncode != 0:
        raise CliError(f"{job.binary} ({job.label}) cannot list its cases (exit "
                       f"{proc.returncode}): {proc.stderr.strip().splitlines()[-1:]}")
    cases = []
    for line in proc.stdout.split():
        case = line.split("/", 1)[0]
        if case not in cases:
            cases.append(case)
    return cases


def select_cases(wanted: list[str] | None, listed: dict) -> set[str]:
    known = {c for cs in listed.values() for c in cs}
    if not wanted:
        return known
    for c in wanted:
        if c not in known:
            raise CliError(f"--case {c}: unknown case (known: {', '.join(sorted(known))})", 2)
    return set(wanted)


# --------------------------------------------------------------------------
# running

def run_case(job: Job, case: str, repetitions: int, quick_flag: list[str],
             out: pathlib.Path) -> tuple[dict | None, str | None]:
    """Runs one case of one binary. Returns (google-benchmark JSON, None) or
    (None, why it failed); the binary's output goes to out/logs/<label>.log."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        json_path = tmp.name
    cmd = [job.path, f"--benchmark_filter=^{re.escape(case)}/",
           f"--benchmark_repetitions={repetitions}", "--benchmark_report_aggregates_only=false",
           f"--benchmark_out={json_path}", "--benchmark_out_format=json", *quick_flag]
    try:
        with open(out / "logs" / f"{job.label}.log", "a") as log:
            log.write(f"\n$ {shlex.join(cmd)}\n")
            log.flush()
            try:
                proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=job.env(),
                                      timeout=CASE_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                return None, f"timed out after {CASE_TIMEOUT_S}s"
        if proc.returncode != 0:
            return None, f"exit status {proc.returncode} (log: {out / 'logs' / job.label}.log)"
        try:
            data = json.loads(pathlib.Path(json_path).read_text())
        except (OSError, json.JSONDecodeError) as e:
            return None, f"no usable JSON output: {e}"
        if not data.get("benchmarks"):
            return None, "no benchmark ran"
        return data, None
    finally:
        try:
            os.unlink(json_path)
        except OSError:
            pass


def parse_name(run_name: str) -> tuple[str, str, dict]:
    """'pingpong/mode:single/pair_class:cross_l3/iterations:1' ->
    ('pingpong', 'single', {'pair_class': 'cross_l3'})."""
    parts = run_name.split("/")
    case, mode, params = parts[0], None, {}
    for p in parts[1:]:
        key, sep, value = p.partition(":")
        if not sep or key in GBENCH_NAME_KEYS:
            continue
        if key == "mode":
            mode = value
        else:
            params[key] = int(value) if re.fullmatch(r"-?\d+", value) else value
    return case, mode, params


def rows_of(job: Job, data: dict) -> tuple[list[dict], list[str]]:
    """Schema-1 rows from one binary's google-benchmark JSON, and problems."""
    ctx = data.get("context", {})
    backend = ctx.get("nxbench_backend", "")
    version = ctx.get("nxbench_backend_version", "")
    problems = []
    if backend != job.backend:
        problems.append(f"{job.binary} reports backend {backend!r} but was run as "
                        f"{job.backend!r}: mislinked binary or wrong plugin; its rows keep "
                        f"the name it reports")
    rows = []
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        name = b.get("run_name") or b.get("name", "")
        if b.get("error_occurred"):
            problems.append(f"{job.label}: {name}: {b.get('error_message', 'error')}")
            continue
        case, mode, params = parse_name(name)
        if job.phase:
            params["phase"] = job.phase
        if "bytes_per_task" in b:
            params["bytes_per_task"] = round(b["bytes_per_task"], 1)
        row = {"backend": backend or job.backend, "backend_version": version, "case": case,
               "params": params, "mode": mode, "repetition": b.get("repetition_index", 0),
               "samples": int(b.get("samples", 0))}
        for unit in ("cycles", "ns"):
            for p in PERCENTILES:
                row[f"{p}_{unit}"] = round(float(b.get(f"{p}_{unit}", float("nan"))), 3)
        for c in ROW_COUNTERS:
            if c in b:
                row[c] = round(float(b[c]), 4)
        row["description"] = b.get("label", "")
        row["binary"] = job.binary
        rows.append(row)
    return rows, problems


def skipped_of(contexts: dict) -> list[dict]:
    """Pair classes the machine lacks, as reported by the binaries."""
    for ctx in contexts.values():
        text = ctx.get("skipped_pair_classes", "")
        out = []
        for item in filter(None, (s.strip() for s in text.split("; "))):
            cls, _, reason = item.partition(": ")
            out.append({"what": f"pair_class {cls} (cross-thread cases)", "pair_class": cls,
                        "reason": reason})
        return out
    return []


# --------------------------------------------------------------------------
# fingerprint

def read_first(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def cpu_model() -> str:
    text = read_first("/proc/cpuinfo") or ""
    m = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    return m.group(1).strip() if m else platform.processor()


def git(*argv: str) -> str | None:
    try:
        proc = subprocess.run(["git", *argv], cwd=REPO_ROOT, capture_output=True, text=True)
    except OSError:
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def fingerprint(contexts: dict, build_dir: pathlib.Path, repetitions: int, quick: bool) -> dict:
    any_ctx = next(iter(contexts.values()), {})
    ghz = [float(c["tsc_ghz"]) for c in contexts.values() if c.get("tsc_ghz")]
    libs = {}
    for ctx in contexts.values():
        for k, v in ctx.items():
            if k.startswith("lib_"):
                libs[k[4:]] = v
    backends = {}
    for ctx in contexts.values():
        if ctx.get("nxbench_backend"):
            backends[ctx["nxbench_backend"]] = ctx.get("nxbench_backend_version", "")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {
        "cpu_model": cpu_model(),
        "cpu_model_hwloc": any_ctx.get("cpu_model_hwloc"),
        "cores": os.cpu_count(),
        "topology": any_ctx.get("topology"),
        "pair_classes": any_ctx.get("pair_classes"),
        "kernel": platform.release(),
        "machine": platform.machine(),
        "tsc_ghz": round(statistics.median(ghz), 4) if ghz else None,
        "tsc_invariant": any_ctx.get("tsc_invariant") == "1",
        "tsc_step_cycles": int(any_ctx.get("tsc_step_cycles", 0) or 0),
        "timer": any_ctx.get("timer"),
        "batch_ops": int(any_ctx.get("batch_ops", 0) or 0),
        "governor": read_first("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
        "compiler": any_ctx.get("compiler"),
        "c_compiler": any_ctx.get("c_compiler"),
        "build_type": any_ctx.get("build_type"),
        "cxx_flags": any_ctx.get("cxx_flags"),
        "c_flags": any_ctx.get("c_flags"),
        "build_dir": str(build_dir),
        "libraries": libs,
        "backend_versions": backends,
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(status) if status is not None else None,
        "repetitions": repetitions,
        "quick": quick,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


# --------------------------------------------------------------------------
# summary table

def column_of(row: dict) -> str:
    api = row["params"].get("api")
    return f"{row['backend']}({api})" if api else row["backend"]


def row_key(row: dict) -> tuple:
    params = {k: v for k, v in row["params"].items() if k not in ("api", "bytes_per_task")}
    return row["case"], row["mode"], tuple(sorted(params.items()))


def case_sort_key(key: tuple):
    case, mode, params = key
    order = ALL_CASES.index(case) if case in ALL_CASES else len(ALL_CASES)
    sortable = tuple((k, (0, v, "") if isinstance(v, int) else (1, 0, str(v)))
                     for k, v in params)
    return (order, sortable, mode != "batched")


def fmt(v: float) -> str:
    if v < 10:
        return f"{v:.1f}"
    if v < 10_000:
        return f"{v:.0f}"
    if v < 1_000_000:
        return f"{v / 1000:.0f}k"
    return f"{v / 1_000_000:.1f}M"


def summary_table(rows: list[dict]) -> str:
    """Two tables. Cases: rows = case, params and mode; columns = backends
    (and peers); cells = median over repetitions of p50/p99 cycles, then the
    p50 ratio to glibc malloc. Floors: the same cells at the start and at
    the end of the run."""
    cases = [r for r in rows if r["backend"] != "floor"]
    floors = [dict(r, backend=r["params"].get("phase", "?"),
                   params={k: v for k, v in r["params"].items() if k != "phase"})
              for r in rows if r["backend"] == "floor"]
    out = []
    if cases:
        out.append("p50/p99 cycles per operation (median over repetitions); "
                   "Nx = p50 / malloc's p50")
        out += table_lines(cases, ratio_to="malloc")
    if floors:
        out += ["", "floors at the start and at the end of the run (p50/p99 cycles); "
                "Nx = end p50 / start p50"]
        out += table_lines(floors, ratio_to="start")
    return "\n".join(out) if out else "(no results)"


def table_lines(rows: list[dict], ratio_to: str) -> list[str]:
    cells: dict = {}
    for r in rows:
        cells.setdefault(row_key(r), {}).setdefault(column_of(r), []).append(r)
    columns = sorted({c for per in cells.values() for c in per},
                     key=lambda c: backend_sort_key(c.split("(")[0]) + (c,))
    keys = sorted(cells, key=case_sort_key)
    label_of = {}
    for k in keys:
        case, mode, params = k
        extra = ",".join(f"{p}={v}" for p, v in params)
        label_of[k] = f"{case} {mode}" + (f" {extra}" if extra else "")
    text = {}
    for k in keys:
        base = cells[k].get(ratio_to)
        base_p50 = statistics.median(r["p50_cycles"] for r in base) if base else None
        for c, rs in cells[k].items():
            p50 = statistics.median(r["p50_cycles"] for r in rs)
            p99 = statistics.median(r["p99_cycles"] for r in rs)
            cell = f"{fmt(p50)}/{fmt(p99)}"
            if base_p50 and c != ratio_to:
                cell += f" {p50 / base_p50:.2f}x"
            text[k, c] = cell
    lw = max(len(v) for v in label_of.values())
    widths = {c: max([len(c)] + [len(text.get((k, c), "")) for k in keys]) for c in columns}
    lines = ["case".ljust(lw) + "  " + "  ".join(c.rjust(widths[c]) for c in columns)]
    for k in keys:
        lines.append(label_of[k].ljust(lw) + "  " +
                     "  ".join(text.get((k, c), "-").rjust(widths[c]) for c in columns))
    return lines


# --------------------------------------------------------------------------
# report and smoke check

def write_report(results_path: pathlib.Path, out: pathlib.Path) -> None:
    """Runs `nxbench report` on the results when tools/nxbench_lib/report.py exists."""
    if not (pathlib.Path(__file__).parent / "report.py").exists():
        say("report: skipped (tools/nxbench_lib/report.py is not there yet)")
        return
    try:
        from nxbench_lib import report
        parser = argparse.ArgumentParser(prog="nxbench report")
        if hasattr(report, "add_arguments"):
            report.add_arguments(parser)
            rargs = parser.parse_args([str(results_path), "--out", str(out)])
        else:
            rargs = argparse.Namespace(results=str(results_path), out=str(out))
        rc = report.main(rargs)
        if rc:
            say(f"report: `nxbench report` exited with status {rc}; the results are kept at "
                f"{results_path}", err=True)
    except Exception as e:  # the results are already written; say why no report
        say(f"report: not written ({type(e).__name__}: {e}); run `tools/nxbench report "
            f"{results_path}` to retry", err=True)


def expected_cases(backend_kind: str, backend: str, has_pairs: bool) -> set[str]:
    if backend_kind == "floor":
        cases = set(FLOOR_CASES)
    elif backend_kind == "peer":
        cases = set(PEER_CASES.get(backend, ()))
    else:
        cases = set(EXECUTOR_CASES)
    return cases if has_pairs else cases - set(CROSS_CASES)


def check_results(data: dict, jobs: list[tuple[str, str, str]]) -> list[str]:
    """Problems with a results file's form (empty list: well formed).
    `jobs` = (backend name, kind, binary) that were run: every one of them
    must have every case of its kind, each row must come from the binary its
    backend names, and nothing else may appear."""
    problems = []
    if data.get("schema") != SCHEMA:
        problems.append(f"schema is {data.get('schema')!r}, expected {SCHEMA}")
    fp = data.get("fingerprint")
    if not isinstance(fp, dict):
        return problems + ["fingerprint is missing"]
    for k in ("cpu_model", "cores", "kernel", "tsc_ghz", "compiler", "cxx_flags", "libraries",
              "git_commit"):
        if fp.get(k) in (None, "", {}):
            problems.append(f"fingerprint.{k} is empty")
    if not data.get("command"):
        problems.append("command is missing")
    rows = data.get("results")
    if not isinstance(rows, list) or not rows:
        return problems + ["results is empty"]
    if data.get("errors"):
        problems += [f"run reported: {e}" for e in data["errors"]]
    has_pairs = bool(fp.get("pair_classes"))
    binaries = {backend: binary for backend, _kind, binary in jobs}
    seen: dict = {}
    for i, r in enumerate(rows):
        where = f"results[{i}] ({r.get('backend')}, {r.get('case')})"
        for f in ("backend", "backend_version", "case", "params", "mode", "repetition",
                  "samples"):
            if f not in r:
                problems.append(f"{where}: no field {f}")
        if r.get("mode") not in ("batched", "single"):
            problems.append(f"{where}: mode {r.get('mode')!r}")
        if not isinstance(r.get("params"), dict):
            problems.append(f"{where}: params is not an object")
        if not r.get("backend_version"):
            problems.append(f"{where}: empty backend_version")
        if not isinstance(r.get("samples"), int) or r["samples"] <= 0:
            problems.append(f"{where}: samples {r.get('samples')!r}")
        for unit in ("cycles", "ns"):
            vals = [r.get(f"{p}_{unit}") for p in PERCENTILES]
            if not all(isinstance(v, (int, float)) and v == v and v >= 0 for v in vals):
                problems.append(f"{where}: {unit} percentiles not all numbers >= 0: {vals}")
            elif any(a > b for a, b in zip(vals, vals[1:])):
                problems.append(f"{where}: {unit} percentiles out of order "
                                f"(p50 <= p90 <= p99 <= p999 <= max): {vals}")
        if r.get("case") in CROSS_CASES and "pair_class" not in r.get("params", {}):
            problems.append(f"{where}: cross-thread case without params.pair_class")
        if r.get("case") == "spawn_with_live" and "bytes_per_task" not in r.get("params", {}):
            problems.append(f"{where}: spawn_with_live without params.bytes_per_task")
        if r.get("case") in ("cross_wake_parked", "eventfd_roundtrip") and \
                "voluntary_csw_per_op" not in r:
            problems.append(f"{where}: no voluntary_csw_per_op")
        seen.setdefault(r.get("backend"), set()).add(r.get("case"))
        binary = binaries.get(r.get("backend"))
        if binary and r.get("binary") != binary:
            problems.append(f"{where}: from binary {r.get('binary')!r}, but backend "
                            f"{r.get('backend')} is {binary}")
    for backend, kind, _binary in jobs:
        want = expected_cases(kind, backend, has_pairs)
        got = seen.pop(backend, set())
        if want - got:
            problems.append(f"backend {backend}: cases missing: {', '.join(sorted(want - got))}")
        if got - want:
            problems.append(f"backend {backend}: unexpected cases: {', '.join(sorted(got - want))}")
    for backend in seen:
        problems.append(f"rows for backend {backend!r}, which no binary was run as")
    floors = [r for r in rows if r.get("backend") == "floor"]
    for phase in ("start", "end"):
        if not any(r["params"].get("phase") == phase for r in floors):
            problems.append(f"no floor rows with params.phase {phase}")
    return problems


def default_jobs(manifest: dict) -> list[tuple[str, str, str]]:
    """(backend, kind, binary) of what a run without --backend runs."""
    return [(b["backend"], b["kind"], b["binary"]) for b in manifest["binaries"]
            if b["kind"] != "plugin_host" and not b.get("example")]


def smoke_check(args) -> tuple[int, int]:
    """`nxbench test` step: `run --quick` on the default build, then checks
    of form (no timing thresholds). Returns (passed, failed) checks."""
    build_dir = getattr(args, "default_build_dir", None) or DEFAULT_BUILD_DIR
    log_dir = pathlib.Path(getattr(args, "log_dir", None) or (BUILD_ROOT / "nxbench-test"))
    out = log_dir / "smoke-run"
    run_args = argparse.Namespace(backend=None, case=None, repetitions=None, quick=True,
                                  out=str(out), no_report=True, build_dir=str(build_dir),
                                  list=False)
    passed = failed = 0
    log_path = log_dir / "smoke-run.log"
    say(f"    tools/nxbench run --quick --build-dir {build_dir} --out {out}  (log: {log_path})")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with open(log_path, "w") as log, contextlib.redirect_stdout(log), \
                contextlib.redirect_stderr(log):
            rc = main(run_args)
    except CliError as e:
        say(f"    run --quick could not run: {e}")
        return 0, 1
    if rc == 0:
        passed += 1
    else:
        say(f"    run --quick exited with status {rc}")
        failed += 1
    try:
        data = json.loads((out / "results.json").read_text())
    except (OSError, json.JSONDecodeError) as e:
        say(f"    {out / 'results.json'}: {e}")
        return passed, failed + 1
    manifest = load_manifest(pathlib.Path(build_dir))
    jobs = default_jobs(manifest)
    problems = check_results(data, jobs)
    for p in problems:
        say(f"    results.json: {p}")
    if problems:
        failed += 1
    else:
        passed += 1
        say(f"    results.json well formed: {len(data['results'])} rows, "
            f"{len(jobs)} backends, schema {data['schema']}")
    return passed, failed
