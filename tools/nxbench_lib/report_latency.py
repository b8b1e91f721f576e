"""The report's detail sections: the machine and command, latency tables
(median over rounds), bars and percentile curves with each round's range,
spawn cost and memory versus live tasks, cross-thread wakes per core-pair
class, and a callgrind profile written beside the report."""
import glob
import json
import os
import re

from nxbench_lib import cases as C
from nxbench_lib import numfmt, plots
from nxbench_lib import results as R
from nxbench_lib.report_render import H, IMG, PRE, P, T


class ProfileError(Exception):
    """A profile table in the report folder that cannot be read."""


def spread(row, field, unit, step):
    vals = list(R.per_round(row, field, unit).values())
    return plots.Spread(R.median(row, field, unit), min(vals), max(vals),
                        R.is_quantised(row, step) and field == "p50")


def _slug(text):
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower() or "x"


def _flatten(d, prefix=""):
    for k in sorted(d):
        v = d[k]
        if isinstance(v, dict):
            yield from _flatten(v, prefix + k + ".")
        else:
            if isinstance(v, list):
                v = ", ".join(str(x) for x in v)
            yield prefix + k, "-" if v is None else str(v)


def machine_blocks(data):
    blocks = [H(2, "Machine and command")]
    blocks.append(T(["field", "value"], [[k, v] for k, v in _flatten(data["fingerprint"])
                                         if k != "command"], text_cols=2))
    cmd = R.command_of(data)
    blocks.append(P("Command that produced these results:"))
    blocks.append(PRE(cmd if cmd else "(the results file does not record its command)"))
    plan = data.get("plan")
    if plan:
        blocks.append(P("%d rounds, order seed %s: every round ran the floors, then each case "
                        "group with the backends as fresh processes in a shuffled order, then "
                        "the floors again; each round's order is in results.json (`rounds`)."
                        % (plan["rounds"], plan["seed"])))
    for key, title in (("skipped", "Skipped in this run"), ("errors", "Problems in this run")):
        items = data.get(key)
        if isinstance(items, list) and items:
            blocks.append(P("%s:" % title))
            blocks.append(T(["what", "why"] if key == "skipped" else ["problem"],
                            [[str(i.get("what", "?")), str(i.get("reason", ""))]
                             if isinstance(i, dict) and key == "skipped" else [str(i)]
                             for i in items], text_cols=2))
    return blocks


def _keys(rows, want):
    keys = []
    for r in rows:
        k = (r["case"], R.params_label(r["params"]), r["mode"])
        if want(r) and k not in keys:
            keys.append(k)
    return keys


def _index(rows):
    return {(r["case"], R.params_label(r["params"]), r["mode"], r["backend"]): r for r in rows}


def table_blocks(rows, unit, step):
    blocks = [H(2, "p50 / p99 per backend (%s, median over rounds)" % unit)]
    cols = sorted({r["backend"] for r in rows if r["backend"] != C.FLOOR_BACKEND},
                  key=C.backend_rank)
    index = _index(rows)
    for mode in C.MODES:
        keys = _keys(rows, lambda r, m=mode: r["mode"] == m and r["backend"] != C.FLOOR_BACKEND)
        if not keys:
            continue
        table = []
        for case, plabel, _ in keys:
            cells = [case, plabel]
            for b in cols:
                r = index.get((case, plabel, mode, b))
                cells.append("-" if r is None else "%s / %s%s" % (
                    numfmt.num(R.median(r, "p50", unit)), numfmt.num(R.median(r, "p99", unit)),
                    " q" if R.is_quantised(r, step) else ""))
            table.append(cells)
        blocks += [H(3, "%s mode" % mode), T(["case", "params"] + cols, table, text_cols=2)]
    floors = [r for r in rows if r["backend"] == C.FLOOR_BACKEND]
    if floors:
        blocks.append(H(3, "Floors (measured in the same run, every round)"))
        blocks.append(T(["floor", "params", "mode"] + [p for p in R.PERCENTILES],
                        [[r["case"], R.params_label(r["params"]), r["mode"]]
                         + [numfmt.num(R.median(r, p, unit)) for p in R.PERCENTILES]
                         for r in floors], text_cols=3))
    blocks.append(P("q: quantised, a single-mode p50 within %d TSC steps (the timer's "
                    "resolution); read the batched row." % R.QUANTISED_STEPS))
    return blocks


def floor_value(rows, case, mode, unit, params=None):
    """(floor name, p50 at the start of the rounds) a case is read against."""
    fname = C.floor_for(case, params)
    pair_class = (params or {}).get("pair_class")
    cands = [r for r in rows if r["backend"] == C.FLOOR_BACKEND and r["case"] == fname]
    if pair_class is not None:
        cands = [r for r in cands if r["params"].get("pair_class") == pair_class] or cands
    # The floor with the row's other params too (a network floor's msg_bytes, run).
    cands = [r for r in cands if all((params or {}).get(k) == v for k, v in r["params"].items()
                                     if k != "phase")] or cands
    cands = [r for r in cands if r["mode"] == mode] or cands
    cands = [r for r in cands if r["params"].get("phase") in (None, "start")] or cands
    return (fname, R.median(cands[0], "p50", unit)) if cands else None


def bar_blocks(rows, unit, step):
    blocks = [H(2, "p50 and p99 per backend, with peers and floors for scale")]
    for mode in C.MODES:
        panels = []
        for case, plabel, _ in _keys(rows, lambda r, m=mode: r["mode"] == m and
                                     r["backend"] != C.FLOOR_BACKEND and
                                     r["case"] not in C.scaling_cases()):
            bars, params = {}, {}
            for r in rows:
                if (r["case"], R.params_label(r["params"]), r["mode"]) == (case, plabel, mode):
                    bars[r["backend"]] = (spread(r, "p50", unit, step), spread(r, "p99", unit, step))
                    params = {**r["params"], **params}
            floor = floor_value(rows, case, mode, unit, params)
            panels.append((case + (" (%s)" % plabel if plabel else ""), bars,
                           [floor] if floor else []))
        if panels:
            blocks.append(IMG("bars_%s" % mode, plots.p50_p99_bars("%s mode" % mode, panels, unit),
                              "p50 and p99 per backend per case, %s mode" % mode))
    return blocks


def curve_blocks(rows, unit, step):
    blocks = [H(2, "Latency percentile curves per case")]
    seen = []
    for r in rows:
        k = (r["case"], R.params_label(r["params"]))
        if r["case"] not in C.scaling_cases() and r["backend"] != C.FLOOR_BACKEND and k not in seen:
            seen.append(k)
    for case, plabel in seen:
        members = [r for r in rows if (r["case"], R.params_label(r["params"])) == (case, plabel)]
        title = case + (" (%s)" % plabel if plabel else "")
        blocks.append(H(3, title))
        desc = next((r.get("description") for r in members if r.get("description")), None)
        if desc:
            blocks.append(P(desc))
        by_mode = {}
        for r in members:
            by_mode.setdefault(r["mode"], {})[r["backend"]] = [spread(r, p, unit, step)
                                                               for p in R.PERCENTILES]
        blocks.append(IMG("curve_%s" % _slug(title), plots.percentile_curves(title, by_mode, unit),
                          "percentile curve of %s" % title))
        blocks.append(T(["backend", "mode"] + list(R.PERCENTILES) +
                        ["p50 range over rounds", "rounds", "samples", "version"],
                        [[r["backend"], r["mode"]] + [numfmt.num(R.median(r, p, unit))
                                                      for p in R.PERCENTILES]
                         + ["%s-%s" % (numfmt.num(spread(r, "p50", unit, step).lo),
                                       numfmt.num(spread(r, "p50", unit, step).hi)),
                            str(len(r["rounds"])), str(r.get("samples", "-")),
                            str(r.get("backend_version") or "-")] for r in members],
                        text_cols=2, text_last=1))
    return blocks


def scaling_blocks(rows, unit, step):
    blocks = []
    for case, param in C.scaling_cases().items():
        blocks += _scaling_case_blocks([r for r in rows if r["case"] == case], case, param,
                                       unit, step)
    return blocks


def _scaling_case_blocks(members, case, param, unit, step):
    if not members:
        return []
    blocks = [H(2, "Cost and memory versus %s (%s)" % (param.replace("_", " "), case))]
    # Batched for the chart: single-mode values are quantised by the timer.
    mode = "batched" if any(r["mode"] == "batched" for r in members) else members[0]["mode"]
    series = {}
    for r in members:
        if r["mode"] == mode and param in r["params"]:
            series.setdefault(r["backend"], []).append(
                (r["params"][param], spread(r, "p50", unit, step),
                 spread(r, "p99", unit, step), R.optional_median(r, "bytes_per_task")))
    if series:
        blocks.append(P("Chart: %s mode. Each point spawns one task while N tasks are already "
                        "alive; the right panel is resident memory growth divided by N." % mode))
        blocks.append(IMG("live_scaling", plots.live_scaling(series, unit),
                          "spawn cost and bytes per task versus live tasks"))
    table = [[r["backend"], r["mode"], str(r["params"].get(param, "-")),
              numfmt.num(R.median(r, "p50", unit)), numfmt.num(R.median(r, "p99", unit)),
              numfmt.num(R.optional_median(r, "bytes_per_task"))] for r in members]
    table.sort(key=lambda t: (C.backend_rank(t[0]), t[1], float(t[2]) if t[2] != "-" else 0))
    blocks.append(T(["backend", "mode", param.replace("_", " "), "p50", "p99", "bytes per task"], table,
                    text_cols=2))
    return blocks


def cross_blocks(rows, unit, step):
    cross = C.cases_of_kind("cross")
    members = [r for r in rows if r["case"] in cross]
    if not members:
        return []
    blocks = [H(2, "Cross-thread wake latency per core-pair class")]
    idle = C.section_cases("idle")
    by_case, floors = {}, {}
    for r in members:
        if r["case"] in idle:  # one row per idle strategy: their own chart below
            continue
        modes = {m["mode"] for m in members if m["case"] == r["case"]}
        if r["mode"] != ("single" if "single" in modes else sorted(modes)[0]):
            continue
        cls = str(r["params"].get("pair_class", "-"))
        by_case.setdefault(r["case"], {}).setdefault(cls, {})[r["backend"]] = (
            spread(r, "p50", unit, step), spread(r, "p99", unit, step))
        fl = floor_value(rows, r["case"], r["mode"], unit, r["params"])
        if fl:
            floors.setdefault(r["case"], {})[cls] = fl
    blocks.append(P("A round trip: a thread pinned on one core wakes a task on the executor "
                    "pinned on the other core of the pair class. Parked rows are only honest "
                    "with their voluntary context switches per operation: near 0 means the "
                    "executor never really slept.%s" % (
                        " %s (one row per idle strategy) are drawn in the idle strategies "
                        "section." % " and ".join(idle) if idle else "")))
    if by_case:
        blocks.append(IMG("cross_thread", plots.cross_thread(by_case, floors, unit),
                          "cross-thread wake latency per core-pair class"))
    has_csw = any(R.optional_median(r, "voluntary_csw_per_op") is not None for r in members)
    table = []
    for r in members:
        t = [r["case"], str(r["params"].get("pair_class", "-")),
             R.params_label({k: v for k, v in r["params"].items() if k != "pair_class"}) or "-",
             r["backend"], r["mode"]] + \
            [numfmt.num(R.median(r, p, unit)) for p in ("p50", "p99", "max")]
        if has_csw:
            t.append(numfmt.num(R.optional_median(r, "voluntary_csw_per_op")))
        table.append(t)
    blocks.append(T(["case", "pair class", "params", "backend", "mode", "p50", "p99", "max"] +
                    (["voluntary csw / op"] if has_csw else []), table, text_cols=5))
    return blocks


def profile_blocks(out):
    paths = sorted(glob.glob(os.path.join(out, "profile-*.json")))
    if not paths:
        return []
    blocks = [H(2, "Per-operation profile (callgrind, simulated caches)")]
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                prof = json.load(f)
            rows = prof["rows"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ProfileError("%s: unreadable profile table (%s); rerun `nxbench profile` "
                               "or delete the file" % (path, e)) from None
        blocks.append(H(3, "%s" % prof.get("case", os.path.basename(path))))
        blocks.append(P("Deterministic counts per operation from `valgrind --tool=callgrind "
                        "--cache-sim=yes --branch-sim=yes` (%s); misses are from callgrind's "
                        "simulated caches, not the hardware. Raw files: %s"
                        % (prof.get("valgrind", "valgrind"),
                           ", ".join(r.get("callgrind_file", "?") for r in rows))))
        blocks.append(T(["backend", "op", "instructions", "of which executor",
                         "of which allocator", "L1 misses (I1+D1)", "LL misses",
                         "branch mispredicts"],
                        [[r["backend"], r["op"], numfmt.num(r["instructions"]),
                          numfmt.num(r.get("split", {}).get("executor")),
                          numfmt.num(r.get("split", {}).get("allocator")),
                          "%.3f" % r["l1_misses"], "%.3f" % r["ll_misses"],
                          "%.3f" % r["branch_mispredicts"]] for r in rows], text_cols=2))
        for r in rows:
            top = r.get("top_functions") or []
            if top:
                blocks.append(P("Top functions by instructions, %s (%s):" % (r["backend"],
                                                                              r["op"])))
                blocks.append(T(["function", "object", "code of", "share of instructions",
                                 "instructions per op"],
                                [[t["function"], t.get("object", ""), t.get("kind", ""),
                                  "%.1f%%" % t["percent"], numfmt.num(t.get("per_op"))]
                                 for t in top[:8]], text_cols=3))
    return blocks
