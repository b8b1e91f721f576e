"""The results file (bench/README.md, "The results file"): the row form,
reading schema 1 and 2, validation, and writing. The only module that knows
the file's layout; run writes through it, report/compare/ab read through it
(results_check.py asks whether a finished run's file is complete).

Schema 2: one row per (backend, case, params, mode) with one entry per round
in `rounds` (every round starts each binary afresh). Schema 1 (one row per
repetition, all repetitions inside one process) is read by turning each
repetition into a round and marking the file `rounds_are_repetitions`:
such "rounds" share a process, so their spread understates run-to-run noise.
"""
from __future__ import annotations

import json
import math
import os
import statistics

from nxbench_lib import CliError
from nxbench_lib import cases as C

SCHEMA = 2
READABLE_SCHEMAS = (1, 2)
PERCENTILES = ("p50", "p90", "p99", "p999", "max")
UNITS = ("cycles", "ns")
# Per-round numbers copied from the binary's counters when present.
ROUND_COUNTERS = ("min_cycles", "mean_cycles", "ops_per_sample", "timer_cost_cycles",
                  "timer_cost_p50_cycles", "timer_cost_min_cycles", "tsc_ghz", "slot_bytes",
                  "bytes_per_task", "voluntary_csw_per_op", "voluntary_csw_per_op_main",
                  "voluntary_csw_per_op_other", "involuntary_csw_per_op", "task_stride_bytes",
                  "task_span_bytes", "cpu_ns_per_op_main", "cpu_ns_per_op_other", "idle_gap_ns")
# A single-mode p50 below this many TSC steps is quantised: the timer cannot
# tell it from the next step, so no ratio or verdict is drawn from it.
QUANTISED_STEPS = 4
REQUIRED_ROW_FIELDS = ("backend", "backend_version", "case", "params", "mode", "rounds")


# --------------------------------------------------------------------------
# row form

def params_key(params: dict) -> tuple:
    """Hashable, order-independent key of a row's input params."""
    return tuple(sorted((k, json.dumps(v, sort_keys=True))
                        for k, v in params.items() if k not in C.measured_params()))


def params_label(params: dict) -> str:
    """'future_bytes=64' ('' for none); measured params left out."""
    return ", ".join("%s=%s" % (k, params[k]) for k in sorted(params)
                     if k not in C.measured_params())


def row_key(row: dict) -> tuple:
    """(case, params, mode, backend): the identity of a row in any file."""
    return (row["case"], params_key(row["params"]), row["mode"], row["backend"])


def case_key(row: dict) -> tuple:
    """(case, params, mode): rows of different backends that compare."""
    return (row["case"], params_key(row["params"]), row["mode"])


def sort_key(row: dict) -> tuple:
    vals = []
    for k in sorted(row["params"]):
        if k in C.measured_params():
            continue
        v = row["params"][k]
        vals.append((k, (0, v, "") if isinstance(v, (int, float)) else (1, 0, str(v))))
    mode = C.MODES.index(row["mode"]) if row["mode"] in C.MODES else 9
    return (C.case_rank(row["case"]), vals, mode, C.backend_rank(row["backend"]))


def value(rnd: dict, field: str, unit: str = "cycles") -> float:
    """`field` ('p50', 'p99', 'mean', ...) of one round in `unit`."""
    cycles = float(rnd["%s_cycles" % field])
    if unit == "cycles":
        return cycles
    ghz = rnd.get("tsc_ghz")
    return cycles / ghz if ghz else float("nan")


def per_round(row: dict, field: str = "p50", unit: str = "cycles") -> dict[int, float]:
    """{round index: value} of one row."""
    return {r["round"]: value(r, field, unit) for r in row["rounds"]}


def median(row: dict, field: str = "p50", unit: str = "cycles") -> float:
    return float(statistics.median(per_round(row, field, unit).values()))


def optional_median(row: dict, field: str) -> float | None:
    """Median over rounds of an optional counter (bytes_per_task, csw)."""
    vals = [float(r[field]) for r in row["rounds"]
            if isinstance(r.get(field), (int, float)) and not isinstance(r.get(field), bool)]
    return float(statistics.median(vals)) if vals else None


def is_quantised(row: dict, tsc_step: float | None) -> bool:
    """Single-mode p50 within a few TSC steps (see QUANTISED_STEPS)."""
    if not tsc_step or tsc_step <= 1 or row["mode"] != "single":
        return False
    return median(row, "p50") < QUANTISED_STEPS * tsc_step


def make_row(first: dict, rounds: list[dict], tsc_step: float | None = None) -> dict:
    """A schema-2 row: identity fields from `first`, `rounds` as given, and
    the medians over rounds of every percentile (cycles and ns) on top."""
    row = {k: first[k] for k in ("backend", "backend_version", "case", "params", "mode")}
    for k in ("kind", "side", "description", "binary", "source"):
        if k in first:
            row[k] = first[k]
    row["rounds"] = sorted(rounds, key=lambda r: r["round"])
    row["samples"] = int(statistics.median(int(r.get("samples", 0)) for r in rounds))
    for p in PERCENTILES:
        for unit in UNITS:
            row["%s_%s" % (p, unit)] = round(median(row, p, unit), 3)
    row["quantised"] = is_quantised(row, tsc_step)
    return row


def fold_peer_params(rows: list[dict]) -> list[dict]:
    """Peers may carry params the backends of the same case lack (asio's
    spawn rows name the API: post_poll or post_run). Those move
    into the peer's name ("asio post_run"), so the peer lands in the same row
    as the backends it stands beside. Returns new row dicts; input untouched."""
    core: dict = {}
    for r in rows:
        if C.kind_of(r["backend"]) == "executor":
            core.setdefault(r["case"], set()).update(r["params"])
    out = []
    for r in rows:
        if C.kind_of(r["backend"]) == "peer" and r["case"] in core:
            extra = sorted((k, v) for k, v in r["params"].items()
                           if k not in core[r["case"]] and k not in C.measured_params())
            if extra:
                r = dict(r, backend="%s %s" % (r["backend"], " ".join(str(v) for _, v in extra)),
                         params={k: v for k, v in r["params"].items()
                                 if k in core[r["case"]] or k in C.measured_params()})
        out.append(r)
    return out


# --------------------------------------------------------------------------
# reading

def load(path: str) -> dict:
    """A results file (or the folder holding results.json), checked and in
    schema-2 form. Raises CliError (exit 2) naming the file and the problem."""
    path = str(path)
    if os.path.isdir(path):
        candidate = os.path.join(path, "results.json")
        if not os.path.exists(candidate):
            raise CliError("%s: a folder without results.json" % path, 2)
        path = candidate
    if not os.path.exists(path):
        raise CliError("%s: no such file" % path, 2)
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise CliError("%s: not valid JSON (line %d column %d: %s)"
                       % (path, e.lineno, e.colno, e.msg), 2) from None
    except (OSError, UnicodeDecodeError) as e:
        raise CliError("%s: cannot read: %s" % (path, e), 2) from None
    return parse(data, path)


def parse(data, path: str = "results") -> dict:
    """Checks a parsed results document and returns it in schema-2 form."""
    if not isinstance(data, dict):
        raise CliError("%s: top level must be a JSON object" % path, 2)
    if "schema" not in data:
        raise CliError("%s: no 'schema' field (is this a results.json from `nxbench run`?)"
                       % path, 2)
    if data["schema"] not in READABLE_SCHEMAS:
        raise CliError("%s: schema %r; this nxbench reads schema %s"
                       % (path, data["schema"], " and ".join(map(str, READABLE_SCHEMAS))), 2)
    if not isinstance(data.get("fingerprint"), dict):
        raise CliError("%s: 'fingerprint' must be an object" % path, 2)
    rows = data.get("results")
    if not isinstance(rows, list):
        raise CliError("%s: 'results' must be a list" % path, 2)
    if not rows:
        raise CliError("%s: 'results' is empty" % path, 2)
    if data["schema"] == 1:
        for i, row in enumerate(rows):
            _check_v1_row(row, i, path)
        return upgrade_v1(data)
    for i, row in enumerate(rows):
        check_row(row, i, path)
    if data.get("catalogue") is not None:
        if not isinstance(data["catalogue"], dict) or \
                not isinstance(data["catalogue"].get("groups"), dict):
            raise CliError("%s: 'catalogue' must be an object with 'groups'" % path, 2)
        C.use(data["catalogue"])
    return data


def _where(row, i, path):
    return "%s: results[%d] (case %s, backend %s)" % (path, i, row.get("case", "?"),
                                                      row.get("backend", "?"))


def _check_identity(row, i, path, required):
    if not isinstance(row, dict):
        raise CliError("%s: results[%d] is not an object" % (path, i), 2)
    where = _where(row, i, path)
    for field in required:
        if field not in row:
            raise CliError("%s: missing field '%s'" % (where, field), 2)
    for field in ("backend", "case", "mode"):
        if not isinstance(row[field], str) or not row[field]:
            raise CliError("%s: '%s' must be a non-empty string" % (where, field), 2)
    if not isinstance(row["params"], dict):
        raise CliError("%s: 'params' must be an object" % where, 2)
    return where


def _check_number(obj, field, where):
    v = obj.get(field)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise CliError("%s: '%s' must be a finite number, got %r" % (where, field, v), 2)


def _check_v1_row(row, i, path):
    where = _check_identity(row, i, path, REQUIRED_ROW_FIELDS[:-1] + ("repetition", "samples"))
    for unit in UNITS:
        for p in PERCENTILES:
            if "%s_%s" % (p, unit) not in row:
                raise CliError("%s: missing field '%s_%s'" % (where, p, unit), 2)
            _check_number(row, "%s_%s" % (p, unit), where)


def check_row(row, i, path):
    """Raises CliError naming the row and the problem unless `row` is a
    well-formed schema-2 row."""
    where = _check_identity(row, i, path, REQUIRED_ROW_FIELDS)
    rounds = row["rounds"]
    if not isinstance(rounds, list) or not rounds:
        raise CliError("%s: 'rounds' must be a non-empty list" % where, 2)
    seen = set()
    for j, rnd in enumerate(rounds):
        at = "%s: rounds[%d]" % (where, j)
        if not isinstance(rnd, dict) or not isinstance(rnd.get("round"), int):
            raise CliError("%s: needs an integer 'round'" % at, 2)
        if rnd["round"] in seen:
            raise CliError("%s: round %d appears twice" % (at, rnd["round"]), 2)
        seen.add(rnd["round"])
        for p in PERCENTILES:
            _check_number(rnd, "%s_cycles" % p, at)


def upgrade_v1(data: dict) -> dict:
    """Schema 1 in schema-2 form: repetition i becomes round i."""
    by_key: dict = {}
    for row in data["results"]:
        by_key.setdefault(row_key(row), []).append(row)
    fp_ghz = data["fingerprint"].get("tsc_ghz")
    step = data["fingerprint"].get("tsc_step_cycles")
    rows = []
    for reps in by_key.values():
        rounds = []
        for rep in reps:
            ghz = rep.get("tsc_ghz") or fp_ghz
            if not ghz and rep.get("p50_ns"):
                ghz = rep["p50_cycles"] / rep["p50_ns"]
            rnd = {"round": int(rep.get("repetition", 0)), "samples": rep.get("samples", 0)}
            for p in PERCENTILES:
                rnd["%s_cycles" % p] = rep["%s_cycles" % p]
            for c in ROUND_COUNTERS:
                if c in rep:
                    rnd[c] = rep[c]
                elif c in rep["params"]:
                    rnd[c] = rep["params"][c]
            if ghz:
                rnd["tsc_ghz"] = ghz
            rounds.append(rnd)
        # Two rows with one repetition index (a hand-merged file): number them.
        if len({r["round"] for r in rounds}) != len(rounds):
            for j, r in enumerate(rounds):
                r["round"] = j
        first = dict(reps[0])
        first["params"] = {k: v for k, v in reps[0]["params"].items()
                           if k not in C.measured_params()}
        first["kind"] = C.kind_of(first["backend"])
        rows.append(make_row(first, rounds, step))
    out = dict(data)
    out["schema"] = SCHEMA
    out["upgraded_from"] = 1
    out["rounds_are_repetitions"] = True
    out["complete"] = True
    out["results"] = rows
    return out


def command_of(data: dict) -> str | None:
    cmd = data.get("command") or data["fingerprint"].get("command")
    if isinstance(cmd, list):
        cmd = " ".join(str(c) for c in cmd)
    return cmd


def round_count(data: dict) -> int:
    """Rounds behind the file (the most any row has)."""
    return max((len(r["rounds"]) for r in data["results"]), default=0)


def tsc_step(data: dict) -> float | None:
    step = data["fingerprint"].get("tsc_step_cycles")
    return float(step) if isinstance(step, (int, float)) and not isinstance(step, bool) else None


# --------------------------------------------------------------------------
# writing

def write(path, data: dict) -> None:
    """Writes atomically: an interrupted write never leaves half a file."""
    path = str(path)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)
