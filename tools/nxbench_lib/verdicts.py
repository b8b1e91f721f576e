"""What one run says: per row, each backend's p50 as a paired ratio to the
reference backend with its interval and a verdict, and the run's noise gauge
(floors, control cases) that sets the band "≈ same" needs.

Paired ratios: in every round each backend's p50 is divided by the
reference's p50 of the same round (the two ran back to back), and the
rounds' ratios are summarised by their trimmed geometric mean and its
interval (stats.trimmed_interval; stats.py says why). Verdict of a backend
in a row, with band d (a relative difference the run cannot attribute to
the allocator):
  faster           the whole interval below 1/(1+d)
  slower           the whole interval above 1+d
  ≈ same           otherwise, if the interval stays within (1+d)^-3 .. (1+d)^3
                   (SAME_REACH bands: a run can vouch for "same within ~15%")
  too noisy to rank otherwise: the interval straddles the band and reaches
                   beyond that, so neither "different" nor "same" holds
  quantised        a single-mode p50 within a few TSC steps (results.py)
The band: the larger of MIN_BAND and the typical difference between
backends on the control cases (allocator-independent cases, where any
difference comes from the binary, not the allocator), capped at MAX_BAND;
controls that differ beyond the cap are reported as such, not folded in.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from nxbench_lib import cases as C
from nxbench_lib import results as R
from nxbench_lib import stats

MIN_BAND = 0.05
MAX_BAND = 0.15
SAME_REACH = 3
# A floor that moves more than this between or within rounds is flagged:
# the host changed under the run (another tenant, a vCPU moved).
FLOOR_MOVED = 0.25
FASTER, SLOWER, SAME, NOISY = "faster", "slower", "≈ same", "too noisy to rank"
QUANTISED, ONE_ROUND, REFERENCE, UNPAIRED = "quantised", "one round", "reference", "no reference"


@dataclass
class Cell:
    """One backend in one row."""
    backend: str
    median: float                       # p50 over rounds, cycles
    iv: stats.Interval | None = None    # ratio to the reference (log scale)
    verdict: str = UNPAIRED
    quantised: bool = False

    @property
    def ratio(self) -> float | None:
        return None if self.iv is None else self.iv.ratio


@dataclass
class Row:
    case: str
    params: dict
    mode: str
    reference: Cell | None
    cells: list[Cell]                   # every backend but the reference, ranked

    @property
    def label(self) -> str:
        extra = R.params_label(self.params)
        return "%s %s%s" % (self.case, self.mode, " " + extra if extra else "")


@dataclass
class FloorGauge:
    """One floor row: how much it moved between rounds and within them."""
    label: str
    start_median: float
    spread: float | None                # max/min - 1 of the start values over rounds
    drift: float | None                 # median over rounds of end/start - 1
    worst_drift: float | None           # the round with the largest |end/start - 1|
    quantised: bool = False             # then spread and drift are the timer's steps

    @property
    def moved(self) -> bool:
        return any(v is not None and abs(v) > FLOOR_MOVED
                   for v in (self.spread, self.worst_drift))


@dataclass
class Noise:
    band: float                         # relative, e.g. 0.05
    band_source: str
    floors: list[FloorGauge] = field(default_factory=list)
    controls: list[Row] = field(default_factory=list)
    controls_beyond: list[str] = field(default_factory=list)  # "<case> batched: slab 0.52x"


@dataclass
class Analysis:
    reference: str
    rounds: int
    rows: list[Row]
    noise: Noise
    independent_rounds: bool            # False for schema-1 repetitions


def _paired_logs(row: dict, ref: dict) -> list[float]:
    mine, theirs = R.per_round(row), R.per_round(ref)
    return [math.log(mine[k] / theirs[k]) for k in sorted(mine)
            if k in theirs and mine[k] > 0 and theirs[k] > 0]


def decide(iv: stats.Interval | None, band: float) -> str:
    if iv is None or iv.lo is None:
        return ONE_ROUND
    d = math.log1p(band)
    if iv.hi < -d:
        return FASTER
    if iv.lo > d:
        return SLOWER
    if iv.lo >= -SAME_REACH * d and iv.hi <= SAME_REACH * d:
        return SAME
    return NOISY


def _rows(data: dict, reference: str, step: float | None) -> list[Row]:
    by_case: dict = {}
    for r in R.fold_peer_params(data["results"]):
        if C.kind_of(r["backend"]) == "floor":
            continue
        by_case.setdefault(R.case_key(r), []).append(r)
    out = []
    for members in by_case.values():
        members.sort(key=R.sort_key)
        ref = next((m for m in members if m["backend"] == reference), None)
        ref_cell = None
        if ref is not None:
            ref_cell = Cell(reference, R.median(ref), verdict=REFERENCE,
                            quantised=R.is_quantised(ref, step))
        cells = []
        for m in members:
            if m is ref:
                continue
            cell = Cell(m["backend"], R.median(m), quantised=R.is_quantised(m, step))
            if ref is not None:
                lr = _paired_logs(m, ref)
                if lr:
                    cell.iv = stats.trimmed_interval(lr)
                    cell.verdict = ONE_ROUND if cell.iv.lo is None else ""
            cells.append(cell)
        cells.sort(key=lambda c: (c.ratio is None, c.ratio or 0.0, C.backend_rank(c.backend)))
        first = members[0]
        out.append(Row(first["case"], {k: v for k, v in first["params"].items()
                                       if k not in C.measured_params()},
                       first["mode"], ref_cell, cells))
    out.sort(key=lambda row: R.sort_key({"case": row.case, "params": row.params,
                                         "mode": row.mode, "backend": ""}))
    return out


def _band(controls: list[Row]) -> tuple[float, str, list[str]]:
    """The band from the control rows' paired ratios (see the module doc)."""
    diffs, beyond = [], []
    for row in controls:
        for c in row.cells:
            if c.iv is None or c.quantised or (row.reference and row.reference.quantised):
                continue
            if C.kind_of(c.backend) != "executor":
                continue
            d = abs(c.iv.mean)
            if d > math.log1p(MAX_BAND):
                beyond.append("%s: %s %.2fx" % (row.label, c.backend, c.iv.ratio))
            else:
                diffs.append(d)
    if not diffs:
        return MIN_BAND, "minimum (no control case to measure it)", beyond
    typical = math.expm1(statistics.median(diffs))
    if typical <= MIN_BAND:
        return MIN_BAND, ("minimum; control cases differ by %.1f%% (median over %d)"
                          % (100 * typical, len(diffs))), beyond
    return typical, "control cases differ by %.1f%% (median over %d)" % (
        100 * typical, len(diffs)), beyond


def _floors(data: dict, step: float | None) -> list[FloorGauge]:
    by_key: dict = {}
    for r in data["results"]:
        if C.kind_of(r["backend"]) != "floor":
            continue
        params = {k: v for k, v in r["params"].items() if k != "phase"}
        by_key.setdefault((r["case"], R.params_key(params), r["mode"]), {})[
            r["params"].get("phase", "start")] = (r, params)
    out = []
    for (case, _pk, mode), phases in by_key.items():
        start, params = phases.get("start", next(iter(phases.values())))
        sv = R.per_round(start)
        vals = [v for v in sv.values() if v > 0]
        spread = (max(vals) / min(vals) - 1) if len(vals) >= 2 else None
        drift = worst = None
        if "end" in phases:
            ev = R.per_round(phases["end"][0])
            ratios = [ev[k] / sv[k] - 1 for k in sv if k in ev and sv[k] > 0]
            if ratios:
                drift = statistics.median(ratios)
                worst = max(ratios, key=abs)
        label = "%s %s%s" % (case, mode, " " + R.params_label(params) if params else "")
        if R.is_quantised(start, step):
            out.append(FloorGauge(label, R.median(start), None, None, None, True))
            continue
        out.append(FloorGauge(label, R.median(start), spread, drift, worst))
    out.sort(key=lambda g: (C.case_rank(g.label.split()[0]), g.label))
    return out


def task_spacing(data: dict) -> dict:
    """{(backend, mode): (bytes between consecutive tasks, span of all)} of
    the control rows that report where their tasks sit."""
    out = {}
    for r in data["results"]:
        if r["case"] in C.control_cases():
            stride = R.optional_median(r, "task_stride_bytes")
            if stride is not None:
                out[(r["backend"], r["mode"])] = (stride, R.optional_median(r, "task_span_bytes"))
    return out


def analyse(data: dict, reference: str | None = None) -> Analysis:
    reference = reference or (data.get("plan") or {}).get("reference") or C.reference_backend()
    step = R.tsc_step(data)
    rows = _rows(data, reference, step)
    controls = [r for r in rows if r.case in C.control_cases()]
    band, source, beyond = _band(controls)
    band = min(band, MAX_BAND)
    for row in rows:
        for c in row.cells:
            if c.quantised or (row.reference is not None and row.reference.quantised):
                c.verdict = QUANTISED
            elif c.iv is not None:
                c.verdict = decide(c.iv, band)
    noise = Noise(band, source, _floors(data, step), controls, beyond)
    return Analysis(reference, R.round_count(data), rows, noise,
                    not data.get("rounds_are_repetitions", False))
