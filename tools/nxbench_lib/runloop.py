"""Running a plan (runplan.py): every round's processes in order, each
process's google-benchmark JSON turned into per-round figures, results.json
rewritten after every finished round (`complete: false` until the last), and
progress lines with the time left.

An interrupted run keeps every finished round; `nxbench run --resume DIR`
(and `nxbench ab --resume DIR`) continue from the next one.
"""
from __future__ import annotations

import datetime
import json
import os
import pathlib
import re
import shlex
import signal
import subprocess
import tempfile
import time

from nxbench_lib import say
from nxbench_lib import numfmt
from nxbench_lib import cases as C
from nxbench_lib import results as R
from nxbench_lib import runplan

PROCESS_TIMEOUT_S = 600
# google-benchmark appends these to a name; they are not params.
GBENCH_NAME_KEYS = {"iterations", "repeats", "min_time", "min_warmup_time", "threads"}


def parse_name(run_name: str) -> tuple[str, str | None, dict]:
    """'<case>/mode:single/pair_class:cross_l3/iterations:1' ->
    ('<case>', 'single', {'pair_class': 'cross_l3'})."""
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


def round_records(job: runplan.Job, data: dict, index: int,
                  phase: str | None) -> tuple[list[tuple[dict, dict]], list[str]]:
    """(identity, round record) pairs from one process's google-benchmark
    JSON, and problems (failed cases, a binary reporting another backend)."""
    ctx = data.get("context", {})
    backend = ctx.get("nxbench_backend", "")
    problems = []
    if backend != job.backend:
        problems.append(f"{job.binary} reports backend {backend!r} but was run as "
                        f"{job.backend!r}: mislinked binary or wrong plugin; its rows keep the "
                        "name it reports")
    out = []
    for b in data.get("benchmarks", []):
        if b.get("run_type") != "iteration":
            continue
        name = b.get("run_name") or b.get("name", "")
        if b.get("error_occurred"):
            problems.append(f"{job.label}: {name}: {b.get('error_message', 'error')}")
            continue
        case, mode, params = parse_name(name)
        if phase:
            params["phase"] = phase
        ident = {"backend": backend or job.backend,
                 "backend_version": ctx.get("nxbench_backend_version", ""),
                 "case": case, "params": params, "mode": mode, "kind": job.kind,
                 "description": b.get("label", ""), "binary": job.binary}
        source = C.source_of(C.group_of(job.kind, job.backend), case)
        if source:
            ident["source"] = source
        if job.side:
            ident["side"] = job.side
        rec = {"round": index, "samples": int(b.get("samples", 0))}
        for p in R.PERCENTILES:
            rec[f"{p}_cycles"] = round(float(b.get(f"{p}_cycles", float("nan"))), 3)
        for c in R.ROUND_COUNTERS:
            if c in b:
                rec[c] = round(float(b[c]), 4)
        out.append((ident, rec))
    return out, problems


def run_process(job: runplan.Job, families: list[str], quick: bool, out: pathlib.Path,
                index: int, layout: int | None = None) -> tuple[dict | None, str | None]:
    """Runs one binary for benchmark `families` in a fresh process (with
    its heap and stack shifted by `layout`, when the binary takes it).
    (JSON, None) or (None, why it failed); output goes to out/logs/<label>.log."""
    fd, json_path = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    pattern = runplan.family_filter(families)
    cmd = [job.path, f"--benchmark_filter={pattern}", f"--benchmark_out={json_path}",
           "--benchmark_out_format=json"] + (["--nxbench_quick"] if quick else []) + \
        ([f"--nxbench_layout={layout}"] if layout is not None and job.layout else [])
    log_path = out / "logs" / f"{job.label}.log"
    try:
        with open(log_path, "a") as log:
            log.write(f"\n# round {index + 1}\n$ {shlex.join(cmd)}\n")
            log.flush()
            try:
                proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=job.env(),
                                      timeout=PROCESS_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                return None, f"timed out after {PROCESS_TIMEOUT_S}s"
        if proc.returncode != 0:
            return None, f"exit status {proc.returncode} (log: {log_path})"
        try:
            data = json.loads(pathlib.Path(json_path).read_text())
        except (OSError, ValueError) as e:
            return None, f"no usable JSON output: {e}"
        if not data.get("benchmarks"):
            return None, "no benchmark ran"
        return data, None
    finally:
        try:
            os.unlink(json_path)
        except OSError:
            pass


class Progress:
    """Elapsed time and the time left, estimated from measured process
    times: a process already run in an earlier round is expected to take
    what it took then; one not yet seen, the mean of its benchmark so far
    (or of everything so far)."""

    def __init__(self, plan: dict, first_round: int):
        self.plan = plan
        self.started = time.monotonic()
        self.took: dict = {}
        self.todo = [(i, label, group) for i in range(first_round, plan["rounds"])
                     for label, _phase, group, _fams in runplan.round_slots(plan, i)]
        self.total = len(self.todo)

    def finished(self, index: int, label: str, group: str, seconds: float) -> None:
        self.took[(label, group)] = seconds
        self.todo.remove((index, label, group))

    def _estimate(self, label: str, group: str) -> float:
        if (label, group) in self.took:
            return self.took[(label, group)]
        same = [t for (_l, g), t in self.took.items() if g == group]
        pool = same or list(self.took.values())
        return sum(pool) / len(pool) if pool else 1.0

    def left(self) -> float:
        return sum(self._estimate(label, group) for _i, label, group in self.todo)

    def line(self) -> str:
        return "[%d/%d, %s so far, ~%s left]" % (
            self.total - len(self.todo), self.total,
            numfmt.duration(time.monotonic() - self.started), numfmt.duration(self.left()))


def rows_of(measured: dict, tsc_step) -> list[dict]:
    rows = [R.make_row(m["ident"], list(m["rounds"].values()), tsc_step)
            for m in measured.values()]
    rows.sort(key=R.sort_key)
    return rows


def _key(ident: dict) -> tuple:
    return (ident.get("side"),) + R.row_key(ident)


def measured_from(rows: list[dict]) -> dict:
    """The loop's state from rows already written (for --resume)."""
    measured = {}
    for row in rows:
        ident = {k: v for k, v in row.items() if k in ("backend", "backend_version", "case",
                                                       "params", "mode", "kind", "description",
                                                       "binary", "side")}
        measured[_key(ident)] = {"ident": ident, "rounds": {r["round"]: r for r in row["rounds"]}}
    return measured


def _terminated(_signum, _frame):
    raise KeyboardInterrupt  # a CI job cancelled: stop like Ctrl-C


def execute(state: dict, out: pathlib.Path, save) -> None:
    """Runs the rounds `state` still lacks. `state` is the results document
    being built (plan, rounds, results, errors); `save(state, contexts)` is
    called after every finished round. KeyboardInterrupt (Ctrl-C, or SIGTERM)
    propagates; finished rounds are already saved."""
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        _execute(state, out, save)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _execute(state: dict, out: pathlib.Path, save) -> None:
    plan = state["plan"]
    jobs = {j.label: j for j in runplan.jobs_of(plan)}
    measured = measured_from(state["results"])
    contexts: dict = {}
    first = len(state["rounds"])
    progress = Progress(plan, first)
    step = None
    for index in range(first, plan["rounds"]):
        round_started = time.monotonic()
        rec = {"round": index,
               "started": datetime.datetime.now(datetime.timezone.utc).isoformat(
                   timespec="seconds"),
               "order": []}
        gbench_dir = out / "gbench" / f"round-{index + 1}"
        gbench_dir.mkdir(parents=True, exist_ok=True)
        merged: dict = {}
        current = None
        for label, phase, group, families in runplan.round_slots(plan, index):
            job = jobs[label]
            title = "floors (%s)" % phase if phase else group.replace("/", " ")
            if title != current:
                if current is not None:
                    print("  " + progress.line(), flush=True)
                print("round %d/%d  %-52s" % (index + 1, plan["rounds"], title[:52]), end="",
                      flush=True)
                current = title
            t0 = time.monotonic()
            layout = runplan.layout_of(plan["seed"], index, label, phase or group)
            data, err = run_process(job, families, plan["quick"], out, index, layout)
            took = time.monotonic() - t0
            progress.finished(index, label, group, took)
            rec["order"].append([label, phase or group, layout if job.layout else None])
            if err:
                state["errors"].append(f"round {index + 1}: {label}: {' '.join(families)}: {err}")
                print(f"  {label} FAILED", end="", flush=True)
                continue
            print(f"  {label} {took:.1f}s", end="", flush=True)
            contexts.setdefault(label, data.get("context", {}))
            if step is None:
                step = contexts[label].get("tsc_step_cycles")
            merged.setdefault(f"{label}_{phase}" if phase else label, []).append(data)
            recs, problems = round_records(job, data, index, phase)
            state["errors"] += [f"round {index + 1}: {p}" for p in problems]
            for ident, r in recs:
                m = measured.setdefault(_key(ident), {"ident": ident, "rounds": {}})
                m["rounds"][index] = r
        print("  " + progress.line(), flush=True)
        for name, parts in merged.items():
            doc = dict(parts[0])
            doc["benchmarks"] = [b for p in parts for b in p.get("benchmarks", [])]
            (gbench_dir / f"{name}.json").write_text(json.dumps(doc, indent=1))
        rec["duration_s"] = round(time.monotonic() - round_started, 1)
        state["rounds"].append(rec)
        state["results"] = rows_of(measured, float(step) if step else None)
        save(state, contexts)
        say("round %d/%d done in %s  %s" % (index + 1, plan["rounds"],
                                           numfmt.duration(rec["duration_s"]), progress.line()))


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


def interrupted_message(out: pathlib.Path, state: dict, resume_cmd: str) -> str:
    done = len(state["rounds"])
    return (f"interrupted: {done} of {state['plan']['rounds']} rounds finished and kept in "
            f"{out}; continue with `{resume_cmd}`")
