"""Series across runs, from the results database: one value per run for a
(case, params, mode, backend) on one machine, with the run's interval, and
the change points in it (changepoints.py).

Metrics:
- `cycles`: the p50 (or p99) itself, the trimmed geometric mean over the
  run's rounds with its interval (stats.trimmed_interval). Only within one
  machine: the same code costs up to 3x more TSC cycles on one host than
  on another, and a host changes speed between sessions.
- `ratio`: the backend to the run's reference backend (glibc malloc unless
  the run chose another), paired round by round like `nxbench run` does
  (bench/README.md), so a host speed change that hits both cancels. What
  machines are compared by.
- `floor`: the case to its floor (bench/README.md, "Floors") of the same
  round: a change every backend shares (the executor's own code) shows here
  and not in `ratio`.
Every series belongs to one machine (historydb.machine_key): a ratio also
differs between CPUs, so a change of machine is not read as a step.
"""
from __future__ import annotations

import json
import math
import dataclasses
from dataclasses import dataclass

from nxbench_lib import CliError
from nxbench_lib import cases as C
from nxbench_lib import changepoints as CP
from nxbench_lib import results as R
from nxbench_lib import stats

METRICS = ("cycles", "ratio", "floor")
FIELDS = ("p50", "p99")
CROSS_MACHINE_NOTE = ("Across machines only ratios are compared (backend to reference, case "
                      "to floor), never raw cycles: the same code costs up to 3x more TSC "
                      "cycles on one host than on another.")


@dataclass
class Point:
    run: dict                 # the run's record (historydb.Database.runs)
    value: float | None       # ratio or cycles; None when quantised
    lo: float | None
    hi: float | None
    rounds: int
    quantised: bool = False


@dataclass
class Series:
    case: str
    params: dict
    mode: str
    backend: str
    machine: str
    metric: str
    field: str
    points: list[Point] = dataclasses.field(default_factory=list)
    changes: list[CP.ChangePoint] = dataclasses.field(default_factory=list)

    @property
    def label(self) -> str:
        extra = R.params_label(self.params)
        return "%s %s%s" % (self.case, self.mode, " " + extra if extra else "")

    @property
    def valued(self) -> list[Point]:
        """The points with a value (quantised ones have none)."""
        return [p for p in self.points if p.value is not None]

    def unit(self, reference: str | None = None) -> str:
        if self.metric == "cycles":
            return "%s cycles" % self.field
        if self.metric == "floor":
            return "%s / floor (%s)" % (self.field, C.floor_for(self.case, self.params) or "-")
        return "%s / %s" % (self.field, reference or "reference")


def default_metric(runs: list[dict], metric: str | None) -> str:
    """cycles within one machine, ratio across machines; refuses cycles
    across machines."""
    machines = {r["machine"] for r in runs}
    if metric is None:
        return "cycles" if len(machines) <= 1 else "ratio"
    if metric == "cycles" and len(machines) > 1:
        raise CliError("the selection spans %d machines; raw cycles are not comparable between "
                       "machines (up to 3x apart for the same code). Use --metric ratio or "
                       "--metric floor, or choose one --machine" % len(machines), 2)
    return metric


def _interval(logs: list[float]) -> tuple[float, float | None, float | None]:
    iv = stats.trimmed_interval(logs)
    return iv.ratio, iv.ratio_lo, iv.ratio_hi


def _paired_logs(row: dict, base: dict, field_name: str) -> list[float]:
    mine, theirs = R.per_round(row, field_name), R.per_round(base, field_name)
    return [math.log(mine[k] / theirs[k]) for k in sorted(mine)
            if k in theirs and mine[k] > 0 and theirs[k] > 0]


def floor_row(rows: list[dict], row: dict) -> dict | None:
    """The floor a row is read against in the same run (the catalogue's
    floor of its case and params), phase start, the row's pair class where
    the floor has pair classes, the row's mode (else the other mode)."""
    want = C.floor_for(row["case"], row["params"])
    found = [f for f in rows if f["case"] == want and f["params"].get("phase", "start") == "start"]
    pair = row["params"].get("pair_class")
    same_pair = [f for f in found if f["params"].get("pair_class") == pair]
    found = same_pair or [f for f in found if "pair_class" not in f["params"]]
    same_mode = [f for f in found if f["mode"] == row["mode"]]
    return (same_mode or found or [None])[0]


def point(run: dict, row: dict, rows: list[dict], metric: str, field_name: str) -> Point | None:
    """The row's value in one run, or None when the metric has no value
    there (no reference row, the reference itself, no floor)."""
    step = run.get("tsc_step_cycles")
    n = len(row["rounds"])
    if metric == "cycles":
        logs = stats.logs(R.per_round(row, field_name).values())
        if not logs:
            return None
        return Point(run, *_interval(logs), n, quantised=False)
    if metric == "ratio":
        if row["backend"] == run["reference"] or C.kind_of(row["backend"]) == "floor":
            return None
        base = next((b for b in rows if b["backend"] == run["reference"]
                     and R.case_key(b) == R.case_key(row)), None)
    else:
        base = floor_row(rows, row)
    if base is None:
        return None
    if field_name == "p50" and (R.is_quantised(row, step) or R.is_quantised(base, step)):
        return Point(run, None, None, None, n, quantised=True)
    logs = _paired_logs(row, base, field_name)
    if not logs:
        return None
    return Point(run, *_interval(logs), n)


def build(db, runs: list[dict], case: str | None, metric: str, fields=FIELDS,
          backends=None, mode: str | None = None, params: dict | None = None,
          alpha: float = CP.ALPHA) -> list[Series]:
    """Every series of `case` (None: every case) over `runs` (oldest first),
    with change points; `params` keeps rows whose params include these."""
    rows_by_run = db.rows_of([r["id"] for r in runs], case)
    series: dict = {}
    for run in runs:
        if run.get("catalogue"):
            C.use(json.loads(run["catalogue"]))
        rows = R.fold_peer_params(rows_by_run.get(run["id"], []))
        for row in rows:
            if C.kind_of(row["backend"]) == "floor" or (case and row["case"] != case):
                continue
            if backends and row["backend"] not in backends:
                continue
            if mode and row["mode"] != mode:
                continue
            if params and any(str(row["params"].get(k)) != str(v) for k, v in params.items()):
                continue
            for f in fields:
                pt = point(run, row, rows, metric, f)
                if pt is None:
                    continue
                key = (R.case_key(row), row["backend"], run["machine"], f)
                s = series.get(key)
                if s is None:
                    s = series[key] = Series(row["case"], dict(row["params"]), row["mode"],
                                             row["backend"], run["machine"], metric, f)
                s.points.append(pt)
    out = sorted(series.values(), key=lambda s: (
        R.sort_key({"case": s.case, "params": s.params, "mode": s.mode, "backend": s.backend}),
        s.machine, FIELDS.index(s.field) if s.field in FIELDS else 9))
    for s in out:
        vals = s.valued
        found = CP.detect([math.log(p.value) for p in vals], alpha) if len(vals) >= 4 else []
        # Indices into the valued points: the charts and alerts use those.
        s.changes = found
    return out


def commit_of(run: dict) -> str:
    c = (run.get("git_commit") or "?")[:10]
    return c + ("+dirty" if run.get("git_dirty") else "")


def step_range(s: Series, cp: CP.ChangePoint) -> tuple[dict, dict]:
    """(last run before the step, first run after it)."""
    vals = s.valued
    return vals[cp.index - 1].run, vals[cp.index].run
