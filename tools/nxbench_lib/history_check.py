"""The CI alert and summary: the latest run against the history of its
machine. A series (trends.py) alerts when a change point starts at the
latest run (or within the last `recent` runs) and is a rise beyond the
threshold; the Markdown summary (for $GITHUB_STEP_SUMMARY or a pull-request
comment) lists the alerts and the other steps the history shows.

Only runs like the latest are compared: the same machine (fingerprint) and
the same kind of run (quick or full: a quick run takes a tenth of the
samples, which moves p99 and the spread), so neither reads as a step.
"""
from __future__ import annotations

from dataclasses import dataclass

from nxbench_lib import changepoints as CP
from nxbench_lib import numfmt
from nxbench_lib import trends as T

DEFAULT_THRESHOLD = 0.10
DEFAULT_METRICS = ("ratio", "floor")


@dataclass
class Step:
    series: T.Series
    change: CP.ChangePoint
    before: dict             # last run before the step
    after: dict              # first run after it

    @property
    def what(self) -> str:
        return "%s %s" % (self.series.label, self.series.backend)

    def line(self) -> str:
        return ("%s: %s %s (%s), first commit after the step %s (run %d, %s), last before "
                "%s; p = %.2g" % (self.what, self.series.unit(self.after.get("reference")),
                                  numfmt.pct(self.change.change),
                                  "regression" if self.change.change > 0 else "improvement",
                                  T.commit_of(self.after), self.after["id"],
                                  str(self.after["started"])[:16], T.commit_of(self.before),
                                  self.change.p))


@dataclass
class Verdict:
    latest: dict
    runs: list[dict]
    alerts: list[Step]
    steps: list[Step]        # every change point found (alerts included)
    series: int
    metrics: tuple


def comparable_runs(db, latest_id: int | None = None, branch: str | None = None,
                    machine: str | None = None) -> tuple[dict, list[dict]]:
    """(the run judged, the runs it is compared with, oldest first, itself
    last). The run judged: `latest_id`, else the newest of `machine` (a
    store many machines write to), else the newest."""
    every = db.runs()
    if not every:
        return None, []
    if latest_id is None:
        mine = db.runs(machine) if machine else every
        if not mine:
            return None, []
        latest = mine[-1]
    else:
        latest = next((r for r in every if r["id"] == latest_id), None)
        if latest is None:
            return None, []
    same = [r for r in every if r["machine"] == latest["machine"]
            and bool(r["quick"]) == bool(latest["quick"])
            and (branch is None or r["branch"] == branch or r["id"] == latest["id"])
            and (r["started"], r["id"]) <= (latest["started"], latest["id"])]
    return latest, same


def check(db, latest_id: int | None = None, threshold: float = DEFAULT_THRESHOLD,
          metrics=DEFAULT_METRICS, recent: int = 1, branch: str | None = None,
          alpha: float = CP.ALPHA, machine: str | None = None) -> Verdict | None:
    latest, runs = comparable_runs(db, latest_id, branch, machine)
    if latest is None:
        return None
    alerts, steps, count = [], [], 0
    for metric in metrics:
        for s in T.build(db, runs, None, metric, fields=("p50",), alpha=alpha):
            count += 1
            vals = s.valued
            for cp in s.changes:
                before, after = T.step_range(s, cp)
                step = Step(s, cp, before, after)
                steps.append(step)
                recent_runs = {r["id"] for r in runs[-recent:]}
                if after["id"] in recent_runs and cp.change > threshold and \
                        vals[-1].run["id"] == latest["id"]:
                    alerts.append(step)
    steps.sort(key=lambda st: (st.after["started"], st.what))
    return Verdict(latest, runs, alerts, steps, count, tuple(metrics))


def markdown(v: Verdict | None, threshold: float, where: str) -> str:
    """The CI summary of a check."""
    if v is None:
        return "## nxbench history\n\nThe database %s holds no run yet.\n" % where
    lt = v.latest
    lines = ["## nxbench history: %s" % ("%d regression(s)" % len(v.alerts) if v.alerts
                                          else "no regression"), "",
             "Latest run %d: commit `%s`%s, %s, machine `%s` (%s). Compared with %d earlier "
             "%s run(s) of the same machine; %d series (%s), change points by E-divisive "
             "means with a t-test; an alert is a step up beyond %s that starts at this run."
             % (lt["id"], T.commit_of(lt), " on `%s`" % lt["branch"] if lt["branch"] else "",
                str(lt["started"])[:16], lt["machine"], lt["cpu_model"], len(v.runs) - 1,
                "quick" if lt["quick"] else "full", v.series, ", ".join(
                    "%s: %s" % (m, {"ratio": "backend to %s" % lt["reference"],
                                     "floor": "case to its floor",
                                     "cycles": "raw cycles"}[m]) for m in v.metrics),
                numfmt.pct(threshold, signed=False)), ""]
    if v.alerts:
        lines += ["| case | backend | metric | step | first commit after | last before | p |",
                  "|:---|:---|:---|---:|:---|:---|---:|"]
        for a in v.alerts:
            lines.append("| %s | %s | %s | %s | `%s` | `%s` | %.2g |" % (
                a.series.label, a.series.backend, a.series.unit(lt["reference"]),
                numfmt.pct(a.change.change), T.commit_of(a.after), T.commit_of(a.before),
                a.change.p))
        lines.append("")
    older = [s for s in v.steps if s not in v.alerts][-15:]
    if older:
        lines += ["<details><summary>%d other step(s) in this machine's history</summary>"
                  % len(older), "",
                  "| case | backend | metric | step | first commit after | date |",
                  "|:---|:---|:---|---:|:---|:---|"]
        for s in older:
            lines.append("| %s | %s | %s | %s | `%s` | %s |" % (
                s.series.label, s.series.backend, s.series.unit(lt["reference"]),
                numfmt.pct(s.change.change), T.commit_of(s.after), str(s.after["started"])[:10]))
        lines += ["", "</details>", ""]
    lines += [T.CROSS_MACHINE_NOTE, ""]
    return "\n".join(lines)
