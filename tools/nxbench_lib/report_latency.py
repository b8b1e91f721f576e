"""The report's detail sections: the machine and command, latency tables
(median over rounds), bars and percentile curves with each round's range,
spawn cost and memory versus live tasks, cross-thread wakes per core-pair
class, and a callgrind profile written beside the report."""
import glob
import json
import os
import re

from nxbench_lib import cases as C
from nxbench_lib import numfmt, plots, stats
from nxbench_lib import results as R
from nxbench_lib.report_render import H, IMG, PRE, P, T


# Cross-thread round trips with a responsive waker, one row per idle
# strategy (run, spin_ns): drawn as latency against CPU (idle_blocks).
IDLE_CASES = ("cross_wake_responsive", "cross_wake_idle_gap")


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
    by_case, floors = {}, {}
    for r in members:
        if r["case"] in IDLE_CASES:  # one row per idle strategy: their own chart below
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
                    "executor never really slept. %s and %s (one row per idle strategy) are "
                    "drawn in the idle strategies section." % IDLE_CASES))
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


# From the loop that never spins to the one that never sleeps.
_RUN_ORDER = {"parked": 0, "spin_park": 1, "busy": 2}


def _run_key(row):
    p = row["params"]
    return (_RUN_ORDER.get(p.get("run"), 3), int(p.get("spin_ns", 0)))


def _idle_label(params):
    if params.get("run") != "spin_park" or "spin_ns" not in params:
        return str(params.get("run", "?"))
    us = int(params.get("spin_ns", 0)) / 1000.0
    return "spin %s" % ("%g ms" % (us / 1000) if us >= 1000 else "%g us" % us)


def _log_interval(values):
    """Geometric (trimmed) mean of positive per-round values with its 95%
    interval, or None without a positive value."""
    logs = stats.logs(values)
    return stats.trimmed_interval(logs) if logs else None


def _point(iv):
    """(mid, lo, hi) of an interval; lo/hi = mid with a single round."""
    if iv is None:
        return None
    lo = iv.ratio if iv.ratio_lo is None else iv.ratio_lo
    hi = iv.ratio if iv.ratio_hi is None else iv.ratio_hi
    return (iv.ratio, lo, hi)


def _us(iv):
    """An interval of ns values in µs: '12.3 [11.0-13.9]'."""
    if iv is None:
        return "-"
    text = numfmt.num(iv.ratio / 1e3)
    if iv.ratio_lo is None:
        return text + " (1 round)"
    return "%s [%s-%s]" % (text, numfmt.num(iv.ratio_lo / 1e3), numfmt.num(iv.ratio_hi / 1e3))


def _paired_ratio(row, base, field="p50"):
    """Per-round ratio of row to base (same round), with its 95% interval."""
    if base is None or base is row:
        return None
    mine, ref = R.per_round(row, field, "ns"), R.per_round(base, field, "ns")
    ratios = [mine[k] / ref[k] for k in mine if k in ref and mine[k] > 0 and ref[k] > 0]
    return stats.ratio_interval(ratios) if ratios else None


def _fmt_ratio(iv):
    if iv is None:
        return "-"
    return numfmt.ratio(iv.ratio) + ("" if iv.lo is None else " " +
                                     numfmt.interval(iv.ratio_lo, iv.ratio_hi))


def _counter(row, field):
    return [float(r[field]) for r in row["rounds"] if isinstance(r.get(field), (int, float))]


def idle_blocks(rows, reference):
    """Latency against CPU burned per op, per idle strategy: the reference
    backend's busy, parked and spin_park rows (one per spin budget) beside
    the peers' busy and parked loops, with 95% intervals over the rounds;
    then timer lateness per run mode."""
    idle = [r for r in rows if r["case"] in IDLE_CASES]
    nxrt = sorted({r["backend"] for r in idle if C.kind_of(r["backend"]) == "executor"},
                  key=C.backend_rank)
    if reference not in nxrt and nxrt:  # a run without the reference backend
        reference = nxrt[0]
    members = [r for r in idle if r["backend"] == reference or C.kind_of(r["backend"]) == "peer"]
    blocks = _idle_curve_blocks(members, reference) if members else []
    return blocks + _timer_blocks(rows, 3 if members else 2)


def _idle_curve_blocks(members, reference):
    blocks = [H(2, "Idle strategies: round-trip latency against CPU burned")]
    blocks.append(P(
        "A thread on the other core of the pair wakes the loop and spins for the answer "
        "(cross_wake_responsive: at once again; cross_wake_idle_gap: after 500 us idle). The "
        "loop is busy (never sleeps), parked (sleeps at once) or spin_park with a spin budget "
        "before it parks. x: CPU time per round trip of the loop's thread "
        "(`cpu_ns_per_op_main`), y: round-trip p50; both in µs, log scales. Point: trimmed "
        "geometric mean over the rounds, bars: its 95%% interval (none with one round). nxrt "
        "is the %s backend (the run's reference, else its first backend); the other "
        "backends' rows are in the tables above. sleeps/op: voluntary context switches per round trip of the loop's thread "
        "(≈1: it slept every time)." % reference))
    panels, table, ratios = [], [], []
    groups = {}
    for r in members:
        groups.setdefault((r["case"], str(r["params"].get("pair_class", "-"))), []).append(r)
    for (case, cls), rs in sorted(groups.items(), key=lambda kv: (IDLE_CASES.index(kv[0][0]),
                                                                  kv[0][1])):
        series = {}
        for r in sorted(rs, key=_run_key):
            series.setdefault(r["backend"], []).append(r)
        lines = []
        for backend in sorted(series, key=C.backend_rank):
            points = []
            for r in series[backend]:
                lat = _log_interval(R.per_round(r, "p50", "ns").values())
                cpu = _log_interval(_counter(r, "cpu_ns_per_op_main"))
                if lat is not None and cpu is not None:
                    points.append((_idle_label(r["params"]).replace("spin ", ""),
                                   tuple(v / 1e3 for v in _point(cpu)),
                                   tuple(v / 1e3 for v in _point(lat))))
                table.append([case, cls, backend, _idle_label(r["params"]),
                              _us(lat), _us(_log_interval(R.per_round(r, "p99", "ns").values())),
                              numfmt.num(R.optional_median(r, "voluntary_csw_per_op_main")),
                              _us(cpu), _us(_log_interval(_counter(r, "cpu_ns_per_op_other"))),
                              str(len(r["rounds"]))])
            if points:
                peer = C.kind_of(backend) == "peer"
                lines.append((backend, backend if peer else "nxrt (%s)" % backend, peer,
                              points))
        ratios += _idle_ratio_rows(case, cls, series, reference)
        if lines:
            panels.append(("%s (%s)" % (case, cls), lines))
    if panels:
        blocks.append(IMG("idle_latency_cpu", plots.latency_vs_cpu(panels),
                          "round-trip latency against CPU per op of the loop's thread, "
                          "per idle strategy, with 95% intervals"))
    blocks.append(T(["case", "pair class", "backend", "idle", "p50 µs [95%]", "p99 µs [95%]",
                     "sleeps/op (loop)", "CPU µs/op loop [95%]", "CPU µs/op waker [95%]",
                     "rounds"], table, text_cols=4))
    if ratios:
        peers = list(PEER_LOOPS)
        blocks.append(P("nxrt's p50 as a multiple of its own busy and parked loops and of the "
                        "peers' parked loops (their default: %s), paired per round (both "
                        "measured in the same round), trimmed geometric mean "
                        "with its 95%% interval:" % ", ".join(
                            "%s %s" % (b, PEER_LOOPS[b]) for b in peers)))
        blocks.append(T(["case", "pair class", "idle", "x nxrt busy", "x nxrt parked"] +
                        ["x %s parked" % b for b in peers], ratios, text_cols=3))
    return blocks


# What the peers' parked loop is, for the ratio table's caption.
PEER_LOOPS = {"asio": "io_context::run()", "libuv": "uv_run(UV_RUN_DEFAULT)"}


def _idle_ratio_rows(case, cls, series, reference):
    mine = series.get(reference, [])
    by_run = {r["params"].get("run"): r for r in mine if r["params"].get("run") != "spin_park"}
    peer_parked = {b: next((r for r in series.get(b, []) if r["params"].get("run") == "parked"),
                           None) for b in PEER_LOOPS}
    out = []
    for r in mine:
        out.append([case, cls, _idle_label(r["params"]),
                    _fmt_ratio(_paired_ratio(r, by_run.get("busy"))),
                    _fmt_ratio(_paired_ratio(r, by_run.get("parked")))] +
                   [_fmt_ratio(_paired_ratio(r, peer_parked[b])) for b in PEER_LOOPS])
    return out


def _timer_blocks(rows, level):
    timer = sorted((r for r in rows if r["case"] == "timer_fire" and
                    C.kind_of(r["backend"]) == "executor"),
                   key=lambda r: (_run_key(r), C.backend_rank(r["backend"])))
    if not timer:
        return []
    return [H(level, "Timer lateness per run mode (timer_fire)"),
            P("How late a 100 µs sleep is seen ready: clock at the poll minus the deadline "
              "(never early: a row with an early fire is an error). Trimmed geometric mean "
              "over the rounds of each round's p50 and p99, with 95% intervals."),
            T(["run", "backend", "p50 µs [95%]", "p99 µs [95%]", "rounds"],
              [[_idle_label(r["params"]), r["backend"],
                _us(_log_interval(R.per_round(r, "p50", "ns").values())),
                _us(_log_interval(R.per_round(r, "p99", "ns").values())),
                str(len(r["rounds"]))] for r in timer], text_cols=2)]
