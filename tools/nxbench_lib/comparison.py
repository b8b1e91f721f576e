"""Comparing two results files row by row (what `nxbench compare` and
`nxbench ab` decide with).

Each row's metric (p50 unless told) is taken per round, as logs, and judged
in one of these views:
- paired: BASE and NEW come from one `nxbench ab` session, where round i
  ran the base and the new binary of each backend back to back. The change
  is the mean per-round log(new/base), tested with a one-sample t-test: a
  host speed change hits both sides of a round and cancels.
- relative (two separate runs, 3+ executor backends in the row, those both
  runs have): each round's log value minus the mean log of the row's
  backends in the same round, so a host speed move within or between runs,
  which scales every backend of a round alike, cancels; then NEW's values
  are shifted by the median over those backends of their change. The
  median is what keeps one backend's own change (or two of five) from
  moving the others: it is one of the unchanged backends' changes, which
  is the host's. Tested with Student's t (pooled variance; stats.student
  says why) on the normalised logs.
- floor (fewer backends): each round's value divided by that round's floor
  (cases.floor_for; geometric mean of the floor at the round's start and end).
A row is "regressed" or "improved" only when its change is beyond the
threshold AND significant after Benjamini-Hochberg over every judged row at
level alpha; beyond the threshold but not significant is "inconclusive";
otherwise "unchanged". The threshold: 5% for the paired sides of one ab
session, 10% for two separate runs (their rows also move with the state
the machine was in during each run: +9.8% on a row the change did not
touch was seen), and per row at least RESOLUTION_STEPS TSC steps (a
batched p50 of 3 cycles moves in steps of 0.21: 7%). Single-mode rows within a few TSC steps are not judged
(quantised). A change every backend of a row shares cannot be told from a
host change between two runs: it is listed under `shared`, measured against
the floors, for `nxbench ab` to decide.
"""
from __future__ import annotations

import math
import statistics

from nxbench_lib import cases as C
from nxbench_lib import results as R
from nxbench_lib import stats

REGRESSED, IMPROVED, UNCHANGED, INCONCLUSIVE = "regressed", "improved", "unchanged", "inconclusive"
NOT_JUDGED = "not judged"
PAIRED_THRESHOLD, RUNS_THRESHOLD = 0.05, 0.10
RESOLUTION_STEPS = 1.5
# Fingerprint fields that differ between any two runs by design.
EXPECTED_TO_DIFFER = ("git_commit", "git_dirty", "date", "started", "command", "duration_s",
                      "build_dir", "seed")


def _logs(row: dict, metric: str, unit: str) -> dict[int, float]:
    return {k: math.log(v) for k, v in R.per_round(row, metric, unit).items() if v > 0}


def _floor_rows(data: dict, row: dict) -> dict[str, list[dict]]:
    """The row's floor (cases.floor_for, same pair class), by mode, leaving
    out quantised ones: a floor that reads in TSC steps is no yardstick."""
    want = C.floor_for(row["case"], row["params"])
    pc = row["params"].get("pair_class")
    step = R.tsc_step(data)
    out: dict[str, list[dict]] = {}
    for r in data["results"]:
        if r["backend"] == C.FLOOR_BACKEND and r["case"] == want and \
                (pc is None or r["params"].get("pair_class") in (None, pc)) and \
                not R.is_quantised(r, step):
            out.setdefault(r["mode"], []).append(r)
    return out


def _floor_logs(bi: "_Index", ni: "_Index", b: dict, n: dict) -> tuple[dict, dict]:
    """log of the row's floor per round in each file (start and end
    averaged), the same floor row on both sides: the row's mode if both
    have it, else batched; ({}, {}) when there is none."""
    bf, nf = _floor_rows(bi.data, b), _floor_rows(ni.data, n)
    mode = next((m for m in (b["mode"], "batched") if m in bf and m in nf), None)
    if mode is None:
        return {}, {}

    def logs(rows, unit):
        per: dict[int, list[float]] = {}
        for r in rows:
            for k, v in _logs(r, "p50", unit).items():
                per.setdefault(k, []).append(v)
        return {k: sum(v) / len(v) for k, v in per.items()}
    return logs(bf[mode], bi.unit), logs(nf[mode], ni.unit)


class _Index:
    """One file's rows by key, and the per-round level of each row's backends."""

    def __init__(self, data: dict, metric: str, unit: str):
        self.data, self.metric, self.unit = data, metric, unit
        self.step = R.tsc_step(data)
        self.rows = {R.row_key(r): r for r in data["results"]}
        # A peer's row compares with the executors' row it stands beside
        # (asio's api=post_run spawn rows with everyone's spawn rows).
        self.case_of = {R.row_key(r): R.case_key(f)
                        for r, f in zip(data["results"], R.fold_peer_params(data["results"]))}
        self.panels: dict = {}
        self.panel_backends: dict = {}  # set by compare: backends both runs have
        for r in data["results"]:
            if C.kind_of(r["backend"]) == "executor" and not R.is_quantised(r, self.step):
                self.panels.setdefault(R.case_key(r), []).append(r)

    def case_key(self, row: dict) -> tuple:
        return self.case_of.get(R.row_key(row), R.case_key(row))

    def level(self, ck: tuple) -> dict[int, float] | None:
        """Per round: the mean log of the row's panel backends (those both
        runs have, 3 or more), over rounds where every one of them ran."""
        allowed = self.panel_backends.get(ck) or set()
        panel = [p for p in self.panels.get(ck, []) if p["backend"] in allowed]
        if len(panel) < 3:
            return None
        logs = [_logs(p, self.metric, self.unit) for p in panel]
        common = set.intersection(*(set(x) for x in logs))
        return {k: sum(x[k] for x in logs) / len(logs) for k in common} or None

    def normalised(self, row: dict) -> dict[int, float] | None:
        lev = self.level(self.case_key(row))
        if lev is None:
            return None
        return {k: v - lev[k] for k, v in _logs(row, self.metric, self.unit).items() if k in lev}


def _host_shifts(bi: _Index, ni: _Index) -> dict:
    """Per row (case key): the median over its panel backends of the change
    of their normalised logs: the part of every change the host explains."""
    out = {}
    for ck, both in bi.panel_backends.items():
        changes = []
        for backend in both:
            b = next(r for r in bi.panels[ck] if r["backend"] == backend)
            n = next(r for r in ni.panels[ck] if r["backend"] == backend)
            bl, nl = bi.normalised(b), ni.normalised(n)
            if bl and nl:
                changes.append(statistics.mean(nl.values()) - statistics.mean(bl.values()))
        if len(changes) >= 3:
            out[ck] = statistics.median(changes)
    return out


def _view(key, bi: _Index, ni: _Index, paired: bool, shifts: dict):
    """(view name, base logs, new logs) for one row (normalised as the view says)."""
    b, n = bi.rows[key], ni.rows[key]
    bl, nl = _logs(b, bi.metric, bi.unit), _logs(n, ni.metric, ni.unit)
    if paired:
        return "paired", bl, nl
    if C.kind_of(b["backend"]) != "floor":
        ck = bi.case_key(b)
        bn, nn = bi.normalised(b), ni.normalised(n)
        if bn and nn and ck in shifts:
            return "relative", bn, {k: v - shifts[ck] for k, v in nn.items()}
        bf, nf = _floor_logs(bi, ni, b, n)
        if bf and nf:
            return ("floor", {k: v - bf[k] for k, v in bl.items() if k in bf},
                    {k: v - nf[k] for k, v in nl.items() if k in nf})
    return "raw", bl, nl


def _shift(view: str, bl: dict, nl: dict) -> stats.Shift | None:
    if view == "paired":
        common = sorted(set(bl) & set(nl))
        return stats.paired([nl[k] - bl[k] for k in common]) if common else None
    if not bl or not nl:
        return None
    return stats.student(list(bl.values()), list(nl.values()))


def resolution(row: dict, step: float | None) -> float:
    """The relative size of one TSC step in this row's median (0 without a step)."""
    if not step or step <= 1:
        return 0.0
    default = 100.0 if row["mode"] == "batched" else 1.0  # schema-1 rows may lack the field
    ops = statistics.median(float(r.get("ops_per_sample") or default) for r in row["rounds"])
    p50 = R.median(row, "p50")
    return step / ops / p50 if p50 > 0 else 0.0


def compare(base: dict, new: dict, threshold: float | None = None, alpha: float = 0.01,
            metric: str = "p50", unit: str = "cycles") -> dict:
    """The comparison as a dict (what `compare --json` prints). `threshold`
    None: PAIRED_THRESHOLD for one ab session, RUNS_THRESHOLD otherwise."""
    bi, ni = _Index(base, metric, unit), _Index(new, metric, unit)
    for ck in set(bi.panels) & set(ni.panels):
        both = {r["backend"] for r in bi.panels[ck]} & {r["backend"] for r in ni.panels[ck]}
        bi.panel_backends[ck] = ni.panel_backends[ck] = both
    paired = bool(base.get("pairing") and new.get("pairing") and
                  base["pairing"].get("session") == new["pairing"].get("session"))
    shifts = {} if paired else _host_shifts(bi, ni)
    if threshold is None:
        threshold = PAIRED_THRESHOLD if paired else RUNS_THRESHOLD
    rows = []
    for key in sorted(set(bi.rows) & set(ni.rows), key=lambda k: R.sort_key(ni.rows[k])):
        b, n = bi.rows[key], ni.rows[key]
        if C.kind_of(n["backend"]) == "floor":
            continue
        row = {"case": n["case"], "params": {k: v for k, v in n["params"].items()
                                             if k not in C.measured_params()},
               "mode": n["mode"], "backend": n["backend"],
               "base": R.median(b, metric, unit), "new": R.median(n, metric, unit),
               "rounds_base": len(b["rounds"]), "rounds_new": len(n["rounds"]),
               "view": None, "change": None, "lo": None, "hi": None, "p": None, "q": None,
               "verdict": NOT_JUDGED, "note": "",
               "threshold": max(threshold, RESOLUTION_STEPS * resolution(b, bi.step))}
        rows.append(row)
        if R.is_quantised(b, bi.step) or R.is_quantised(n, ni.step):
            row["note"] = "quantised: single-mode p50 within %d TSC steps; read the batched row" \
                % R.QUANTISED_STEPS
            continue
        if row["base"] <= 0:
            row["note"] = "base is %s: no relative change" % row["base"]
            continue
        view, bl, nl = _view(key, bi, ni, paired, shifts)
        s = _shift(view, bl, nl)
        if s is None:
            row["note"] = "no rounds with values on both sides"
            continue
        row.update(view=view, change=s.change, p=s.p,
                   lo=None if s.lo is None else math.expm1(s.lo),
                   hi=None if s.hi is None else math.expm1(s.hi))
        if s.p is None:
            row["note"] = "one round a side: no test"
    qs = stats.benjamini_hochberg([r["p"] for r in rows])
    for r, q in zip(rows, qs):
        r["q"] = q
        if r["change"] is None or q is None:
            continue
        if abs(r["change"]) <= r["threshold"]:
            r["verdict"] = UNCHANGED
        elif q <= alpha:
            r["verdict"] = REGRESSED if r["change"] > 0 else IMPROVED
        else:
            r["verdict"] = INCONCLUSIVE
            r["noise"] = (r["hi"] - r["lo"]) / 2 if r["lo"] is not None else None
            r["note"] = "beyond the threshold but not significant (q=%.3g > %g)" % (q, alpha)

    def describe(keys, idx):
        return [{k: idx.rows[key][k] for k in ("case", "params", "mode", "backend")}
                for key in sorted(keys, key=lambda k: R.sort_key(idx.rows[k]))]

    only_base = [k for k in set(bi.rows) - set(ni.rows)]
    only_new = [k for k in set(ni.rows) - set(bi.rows)]
    summary = {v: sum(1 for r in rows if r["verdict"] == v)
               for v in (REGRESSED, IMPROVED, UNCHANGED, INCONCLUSIVE, NOT_JUDGED)}
    problems = []
    for name, d in (("BASE", base), ("NEW", new)):
        if d.get("complete") is False:
            problems.append("%s is an unfinished run (complete: false)" % name)
        for e in d.get("errors") or []:
            problems.append("%s reported: %s" % (name, e))
    missing_backends = sorted({k[3] for k in only_base} - {k[3] for k in ni.rows})
    for b in missing_backends:
        problems.append("backend %s is missing from NEW" % b)
    n_missing_rows = sum(1 for k in only_base if k[3] not in missing_backends)
    if n_missing_rows:
        problems.append("%d row(s) of BASE are missing from NEW" % n_missing_rows)
    return {
        "metric": metric, "unit": unit, "paired": paired,
        "thresholds": {"change": threshold, "alpha": alpha, "correction": "benjamini-hochberg"},
        "rounds_are_repetitions": bool(base.get("rounds_are_repetitions") or
                                       new.get("rounds_are_repetitions")),
        "fingerprint_differences": fingerprint_differences(base["fingerprint"],
                                                           new["fingerprint"]),
        "rows": rows,
        "shared": [] if paired else shared_changes(bi, ni, threshold, alpha),
        "floors": floor_changes(bi, ni),
        "only_in_base": describe(only_base, bi),
        "only_in_new": describe(only_new, ni),
        "problems": problems,
        "summary": summary,
        "regressed": summary[REGRESSED] > 0,
    }


def shared_changes(bi: _Index, ni: _Index, threshold: float, alpha: float) -> list[dict]:
    """Per row: the change of its backends' mean against the floor. Beyond
    the threshold and significant, it is a change every backend shares,
    which a comparison of two runs cannot tell from a host change: listed
    only."""
    out = []
    for ck in sorted(bi.panel_backends, key=lambda k: R.sort_key(ni.panels[k][0])):
        blev, nlev = bi.level(ck), ni.level(ck)
        b0, n0 = bi.panels[ck][0], ni.panels[ck][0]
        bf, nf = _floor_logs(bi, ni, b0, n0)
        if not (blev and nlev and bf and nf):
            continue
        raw = stats.student(list(blev.values()), list(nlev.values()))
        s = stats.student([v - bf[k] for k, v in blev.items() if k in bf],
                          [v - nf[k] for k, v in nlev.items() if k in nf])
        out.append({"case": n0["case"], "params": {k: v for k, v in n0["params"].items()
                                                   if k not in C.measured_params()},
                    "mode": n0["mode"], "raw_change": raw.change, "change": s.change, "p": s.p})
    qs = stats.benjamini_hochberg([r["p"] for r in out])
    for r, q in zip(out, qs):
        r["q"] = q
        r["beyond"] = bool(q is not None and q <= alpha and abs(r["change"]) > threshold)
    return [r for r in out if r["beyond"]]


def floor_changes(bi: _Index, ni: _Index) -> list[dict]:
    """How the floors moved between the runs (the host, not the code)."""
    out = []
    for key, b in bi.rows.items():
        if b["backend"] != C.FLOOR_BACKEND or key not in ni.rows:
            continue
        if R.is_quantised(b, bi.step):
            continue
        n = ni.rows[key]
        out.append({"case": b["case"], "params": b["params"], "mode": b["mode"],
                    "base": R.median(b, "p50", bi.unit), "new": R.median(n, "p50", ni.unit)})
    return sorted(out, key=lambda r: R.sort_key(dict(r, backend="floor")))


def _flat(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, prefix + k + "."))
        else:
            out[prefix + k] = v
    return out


def _differ(x, y) -> bool:
    # A calibration (tsc_ghz) varies in its last digits from process to process.
    if isinstance(x, float) and isinstance(y, float) and x and y:
        return abs(x / y - 1) > 0.01
    return x != y


def fingerprint_differences(fp_base: dict, fp_new: dict) -> list[dict]:
    """Fields that differ, ignoring those that differ between any two runs."""
    a, b = _flat(fp_base), _flat(fp_new)
    return [{"field": k, "base": a.get(k, "(absent)"), "new": b.get(k, "(absent)")}
            for k in sorted(set(a) | set(b))
            if k.split(".")[-1] not in EXPECTED_TO_DIFFER and _differ(a.get(k), b.get(k))]
