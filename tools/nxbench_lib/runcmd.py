"""`nxbench run`: the benchmark matrix in interleaved rounds.

Builds the benchmark binaries (preset `release`) when needed, plans R rounds
(runplan.py), runs them (runloop.py) writing DIR/results.json (schema 2,
bench/README.md) after every round, prints the verdict summary (summary.py)
and writes the report. `--resume DIR` finishes an interrupted run.

`smoke_check(args)` is the `smoke` step of `nxbench test`: one short run on
the already-built default tree, then its output is checked for form.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import pathlib
import random
import shlex
import subprocess
import textwrap
import time

from nxbench_lib import BUILD_ROOT, REPO_ROOT, CliError, say
from nxbench_lib import cases as C
from nxbench_lib import fingerprint as F
from nxbench_lib import results as R
from nxbench_lib import results_check, runloop, runplan, summary

DEFAULT_ROUNDS, QUICK_ROUNDS = 5, 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = textwrap.fill(
        "Run the benchmark matrix: every allocator backend x every case, plus the floors and "
        "the peers (Boost.Asio, libuv, tokio), in R rounds. Each round starts every binary afresh, "
        "benchmark by benchmark (a case with one set of params), the backends in a shuffled "
        "order, with the floors at its start and end, so what is compared is measured within "
        "seconds. Writes DIR/results.json "
        "(schema 2: every round's figures per row) after every round, then prints each "
        "backend's p50 as a paired ratio to the reference with a 95% interval and a verdict "
        "(faster / slower / ≈ same / too noisy to rank), the run's noise gauge, and writes the "
        "report.", width=79)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (
        "examples:\n"
        "  tools/nxbench run                          the whole matrix, 5 rounds (~7 min on 2 idle cores)\n"
        "  tools/nxbench run --quick                  3 short rounds: checks the suite; its\n"
        "                                             verdicts are rough (see bench/README.md)\n"
        "  tools/nxbench run --list                   the backends and cases this build has\n"
        "  tools/nxbench run --backend slab --backend jemalloc --case CASE   one case, two backends\n"
        "  tools/nxbench run --backend mine=/path/libmine.so   your own allocator plugin\n"
        "  tools/nxbench run --resume reports/runs/20261125-210000   finish an interrupted run")
    parser.add_argument(
        "--backend", action="append", metavar="NAME[=PATH.so]",
        help="run only this backend (repeatable). NAME is a built backend (malloc, slab "
             "(the executor-owned slab), slab_classes (size classes of slabs as an allocator), "
             "jemalloc, mimalloc, tcmalloc, the example 'bump', or the peers asio, libuv and "
             "tokio); "
             "NAME=PATH.so runs the plugin host with the allocator plugin at PATH "
             "(allocators/README.md says how to write one) and reports it as NAME. "
             "Default: every built-in backend and the peers. The floors always run.")
    parser.add_argument(
        "--case", action="append", metavar="CASE",
        help="run only this case (repeatable); --list shows them all (the benchmark "
             "binaries' catalogue). Default: every case.")
    parser.add_argument(
        "--rounds", type=int, metavar="R",
        help=f"rounds (default {DEFAULT_ROUNDS}, or {QUICK_ROUNDS} with --quick); each round "
             "runs every binary once, and the rounds give the intervals. At least 2 for an "
             "interval; 5 or more for verdicts to trust")
    parser.add_argument(
        "--quick", action="store_true",
        help=f"{QUICK_ROUNDS} rounds with a tenth of the samples and smaller case parameters "
             "(fewer live tasks; bench/README.md): checks that the suite works; its intervals "
             "are wide and its verdicts rough")
    parser.add_argument(
        "--reference", metavar="NAME", default=None,
        help="the backend every other one is a ratio to (default: the one the benchmark "
             "catalogue names, glibc malloc)")
    parser.add_argument(
        "--seed", type=int, metavar="N",
        help="seed of the per-round order (default: random; the one used is in results.json)")
    parser.add_argument(
        "--out", metavar="DIR",
        help="where results.json, the google-benchmark JSON (gbench/round-N/) and the logs "
             "(logs/) go (default: reports/runs/<timestamp>)")
    parser.add_argument(
        "--resume", metavar="DIR",
        help="continue the interrupted run in DIR (its results.json says complete: false) with "
             "the same binaries, order and options; takes no other option")
    parser.add_argument(
        "--no-report", action="store_true",
        help="do not write report.md/report.html (`nxbench report`) after the run")
    parser.add_argument(
        "--build-dir", metavar="DIR",
        help="use the benchmark binaries of this existing CMake build instead of building "
             f"the release preset into {runplan.DEFAULT_BUILD_DIR.relative_to(REPO_ROOT)}/")
    parser.add_argument(
        "--db", metavar="PATH|URL",
        help="the results database the finished run is added to (default: $NXBENCH_DB, else "
             "reports/history.db; a postgresql:// URL works too; `nxbench history`)")
    parser.add_argument(
        "--no-history", action="store_true",
        help="do not add the run to the results database")
    parser.add_argument(
        "--list", action="store_true",
        help="list the backends and cases that would run, then exit")


def main(args: argparse.Namespace) -> int:
    if getattr(args, "resume", None):
        return resume(args)
    rounds = args.rounds if args.rounds is not None else (QUICK_ROUNDS if args.quick
                                                          else DEFAULT_ROUNDS)
    if rounds < 1:
        raise CliError(f"--rounds must be at least 1 (got {rounds})", 2)
    build_dir = runplan.prepare_build(args.build_dir)
    manifest = runplan.load_manifest(build_dir)
    jobs = runplan.plan_jobs(manifest, args.backend)
    runplan.select_cases(args.case, jobs, args.quick)
    reference = choose_reference(args.reference or C.reference_backend(), jobs,
                                 explicit=args.reference is not None)
    if args.list:
        for job in jobs:
            say(f"{job.label:14} {job.binary:18} {' '.join(job.cases)}")
        return 0
    out = output_dir(args.out)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    # Peers the build left out (tokio without cargo), with the reason.
    skipped = runplan.skipped_backends(manifest, args.backend)
    plan = runplan.make_plan(jobs, rounds, seed, args.quick, reference, {"new": build_dir},
                             {"skipped": skipped})
    print_topology(jobs[0])
    for s in skipped:
        say(f"skipped {s['what']}: {s['reason']}")
    state = new_state(plan, command_of(args))
    return finish(state, out, args.no_report, f"tools/nxbench run --resume {shlex.quote(str(out))}",
                  history_db(args))


def history_db(args: argparse.Namespace) -> str | None:
    """The database a finished run goes to, or None (--no-history)."""
    return None if args.no_history else (args.db or "")


def choose_reference(wanted: str, jobs: list[runplan.Job], explicit: bool) -> str:
    names = [j.backend for j in jobs if j.kind == "executor"]
    if wanted in names or not names:
        return wanted
    if explicit:
        raise CliError(f"--reference {wanted}: not a backend of this run "
                       f"(run: {', '.join(names)})", 2)
    say(f"note: {wanted} is not in this run; ratios are to {names[0]}")
    return names[0]


def output_dir(out: str | None) -> pathlib.Path:
    path = pathlib.Path(out) if out else (
        REPO_ROOT / "reports" / "runs" / datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    try:
        (path / "logs").mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CliError(f"cannot create the output folder {path}: {e}") from e
    old = path / "results.json"
    if old.exists():
        try:
            unfinished = json.loads(old.read_text()).get("complete") is False
        except (OSError, ValueError):
            unfinished = False
        if unfinished:
            raise CliError(f"{old} is an unfinished run: `tools/nxbench run --resume {path}` "
                           "finishes it; remove it or choose another --out to start anew", 2)
        say(f"note: replacing the results in {path}")
    return path


def print_topology(job: runplan.Job) -> None:
    topo = subprocess.run([job.path, "--nxbench_topology"], capture_output=True, text=True,
                          env=job.env())
    say(topo.stdout.rstrip() if topo.returncode == 0 else
        f"(topology summary unavailable: {topo.stderr.strip()})")


def new_state(plan: dict, command: str) -> dict:
    return {"schema": R.SCHEMA, "complete": False, "command": command,
            "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "duration_s": 0.0, "fingerprint": {}, "plan": plan, "catalogue": C.snapshot(),
            "rounds": [], "results": [], "skipped": [], "errors": []}


def saver(path: pathlib.Path, state: dict, source=REPO_ROOT):
    """save(state, contexts) for runloop.execute: fingerprint, skipped pair
    classes and the duration so far, then results.json."""
    before, t0 = state["duration_s"], time.monotonic()

    def save(st, contexts):
        fp = F.fingerprint(contexts, st["plan"], source)
        st["fingerprint"] = {**st["fingerprint"], **{k: v for k, v in fp.items()
                                                     if v not in (None, "", {})}}
        pairs = runloop.skipped_of(contexts) or [s for s in st["skipped"] if "pair_class" in s]
        st["skipped"] = pairs + st["plan"].get("skipped", [])
        st["duration_s"] = round(before + time.monotonic() - t0, 1)
        R.write(path, st)
    return save


def finish(state: dict, out: pathlib.Path, no_report: bool, resume_cmd: str,
           db: str | None = None) -> int:
    """Runs what the state lacks, then summary, report and exit status."""
    path = out / "results.json"
    try:
        runloop.execute(state, out, saver(path, state))
    except KeyboardInterrupt:
        say("\n" + runloop.interrupted_message(out, state, resume_cmd), err=True)
        return 130
    state["complete"] = True
    R.write(path, state)
    say("")
    say(summary.summary(state, state["plan"]["reference"]))
    say("")
    for s in state["skipped"]:
        say(f"skipped {s['what']}: {s['reason']}")
    say(f"results: {path}  ({len(state['results'])} rows, {len(state['rounds'])} rounds, "
        f"{state['duration_s']:.0f}s)")
    if not no_report:
        write_report(path, out)
    if db is not None:
        record_history(path, db)
    if state["errors"]:
        say(f"nxbench run: {len(state['errors'])} problem(s):", err=True)
        for p in state["errors"]:
            say(f"  {p}", err=True)
        return 1
    return 0


def resume(args: argparse.Namespace) -> int:
    given = [o for o, v in (("--backend", args.backend), ("--case", args.case),
                            ("--rounds", args.rounds), ("--quick", args.quick),
                            ("--seed", args.seed), ("--out", args.out),
                            ("--build-dir", args.build_dir)) if v]
    if given:
        raise CliError(f"--resume continues the run as it was planned; drop {', '.join(given)}",
                       2)
    out = pathlib.Path(args.resume)
    state = load_state(out / "results.json")
    runplan.check_binaries(state["plan"])
    say(f"resuming {out}: {len(state['rounds'])} of {state['plan']['rounds']} rounds done")
    return finish(state, out, args.no_report, f"tools/nxbench run --resume {shlex.quote(str(out))}",
                  history_db(args))


def load_state(path: pathlib.Path) -> dict:
    state = R.load(str(path)) if path.exists() else None
    if state is None:
        raise CliError(f"{path}: no such file (nothing to resume)", 2)
    if state.get("upgraded_from") or "plan" not in state:
        raise CliError(f"{path}: not a schema-2 run with a plan; it cannot be resumed", 2)
    if state.get("complete"):
        raise CliError(f"{path}: this run is complete; nothing to resume", 2)
    return state


def command_of(args: argparse.Namespace) -> str:
    """The equivalent command line (the same however run was called)."""
    parts = ["tools/nxbench", "run"]
    for b in args.backend or []:
        parts += ["--backend", b]
    for c in args.case or []:
        parts += ["--case", c]
    for opt, v in (("--rounds", args.rounds), ("--seed", args.seed), ("--out", args.out),
                   ("--build-dir", args.build_dir)):
        if v is not None:
            parts += [opt, str(v)]
    if args.reference is not None:
        parts += ["--reference", args.reference]
    parts += [flag for flag, on in (("--quick", args.quick), ("--no-report", args.no_report))
              if on]
    return shlex.join(parts)


def write_report(results_path: pathlib.Path, out: pathlib.Path) -> None:
    """Runs `nxbench report` on the results; the results stay if it fails."""
    try:
        from nxbench_lib import report
        rc = report.main(argparse.Namespace(results=str(results_path), out=str(out),
                                            unit="cycles", title=report.DEFAULT_TITLE))
        if rc:
            say(f"report: `nxbench report` exited with status {rc}; the results are kept at "
                f"{results_path}", err=True)
    except CliError as e:
        say(f"report: not written ({e}); the results are kept at {results_path}", err=True)
    except Exception as e:  # noqa: BLE001  the results are written; say why no report
        say(f"report: not written ({type(e).__name__}: {e}); run `tools/nxbench report "
            f"{results_path}` to retry", err=True)


def record_history(results_path: pathlib.Path, db: str) -> None:
    """Adds the run to the results database; the results stay if it fails."""
    try:
        from nxbench_lib import historydb
        say(historydb.record(results_path, db or None))
    except Exception as e:  # noqa: BLE001  the results are written; say how to add them later
        say(f"history: not recorded ({type(e).__name__}: {e}); `tools/nxbench history import "
            f"{results_path.parent}` adds it later", err=True)


def default_jobs(manifest: dict) -> list[tuple[str, str, str]]:
    """(backend, kind, binary) of what a run without --backend runs."""
    return [(b["backend"], b["kind"], b["binary"]) for b in manifest["binaries"]
            if b["kind"] != "plugin_host" and not b.get("example")]


def run_args(**kw) -> argparse.Namespace:
    """The namespace `nxbench run` parses, with defaults (tests, smoke)."""
    a = dict(backend=None, case=None, rounds=None, quick=False, reference=None,
             seed=None, out=None, resume=None, no_report=False, build_dir=None, list=False,
             db=None, no_history=True)  # tests and the smoke run keep out of the history
    a.update(kw)
    return argparse.Namespace(**a)


def smoke_check(args) -> tuple[int, int]:
    """`nxbench test` step: a two-round `run --quick` on the default build,
    then checks of form (no timing thresholds). Returns (passed, failed)."""
    build_dir = getattr(args, "default_build_dir", None) or runplan.DEFAULT_BUILD_DIR
    log_dir = pathlib.Path(getattr(args, "log_dir", None) or (BUILD_ROOT / "nxbench-test"))
    out = log_dir / "smoke-run"
    if (out / "results.json").exists():
        (out / "results.json").unlink()
    log_path = log_dir / "smoke-run.log"
    say(f"    tools/nxbench run --quick --rounds 2 --build-dir {build_dir} --out {out}  "
        f"(log: {log_path})")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with open(log_path, "w") as log, contextlib.redirect_stdout(log), \
                contextlib.redirect_stderr(log):
            rc = main(run_args(quick=True, rounds=2, out=str(out), no_report=True,
                               build_dir=str(build_dir)))
    except CliError as e:
        say(f"    run --quick could not run: {e}")
        return 0, 1
    passed, failed = (1, 0) if rc == 0 else (0, 1)
    if rc:
        say(f"    run --quick exited with status {rc}")
    try:
        data = R.load(str(out / "results.json"))
    except CliError as e:
        say(f"    {e}")
        return passed, failed + 1
    jobs = default_jobs(runplan.load_manifest(pathlib.Path(build_dir)))
    problems = results_check.check_run(data, jobs)
    for p in problems:
        say(f"    results.json: {p}")
    if problems:
        return passed, failed + 1
    say(f"    results.json well formed: {len(data['results'])} rows x {len(data['rounds'])} "
        f"rounds, {len(jobs)} backends, schema {data['schema']}")
    return passed + 1, failed
