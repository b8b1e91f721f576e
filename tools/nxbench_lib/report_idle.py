"""The report's idle strategies section: round-trip latency against the CPU
the loop burns per op, one point per idle strategy (busy, parked, spin_park
per spin budget; the peers' loops beside nxrt's), with 95% intervals over the
rounds, and timer lateness per run mode. Which cases belong here is the
catalogue's `section` ("idle", "timer_lateness")."""
from nxbench_lib import cases as C
from nxbench_lib import numfmt, plots, stats
from nxbench_lib import results as R
from nxbench_lib.report_render import H, IMG, P, T


def _case_list(rows):
    """'case: description; ...' for the cases of rows, catalogue order."""
    names = sorted({r["case"] for r in rows}, key=C.case_rank)
    return "; ".join("%s: %s" % (n, (C.info(n) or {}).get("description", "?")) for n in names)


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
    idle_cases = C.section_cases("idle")
    idle = [r for r in rows if r["case"] in idle_cases]
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
        "(%s). The loop is busy (never sleeps), parked (sleeps at once) or spin_park with a spin budget "
        "before it parks. x: CPU time per round trip of the loop's thread "
        "(`cpu_ns_per_op_main`), y: round-trip p50; both in µs, log scales. Point: trimmed "
        "geometric mean over the rounds, bars: its 95%% interval (none with one round). nxrt "
        "is the %s backend (the run's reference, else its first backend); the other "
        "backends' rows are in the tables above. sleeps/op: voluntary context switches per round trip of the loop's thread "
        "(≈1: it slept every time)." % (_case_list(members), reference)))
    panels, table, ratios = [], [], []
    groups = {}
    for r in members:
        groups.setdefault((r["case"], str(r["params"].get("pair_class", "-"))), []).append(r)
    for (case, cls), rs in sorted(groups.items(),
                                  key=lambda kv: (C.case_rank(kv[0][0]), kv[0][1])):
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
    cases = C.section_cases("timer_lateness")
    timer = sorted((r for r in rows if r["case"] in cases and
                    C.kind_of(r["backend"]) == "executor"),
                   key=lambda r: (C.case_rank(r["case"]), _run_key(r),
                                  C.backend_rank(r["backend"])))
    if not timer:
        return []
    return [H(level, "Timer lateness per run mode (%s)" % ", ".join(
                sorted({r["case"] for r in timer}, key=C.case_rank))),
            P("How late a timer is seen ready (%s): clock at the poll minus the deadline "
              "(never early: a row with an early fire is an error). Trimmed geometric mean "
              "over the rounds of each round's p50 and p99, with 95%% intervals." %
              _case_list(timer)),
            T(["run", "backend", "p50 µs [95%]", "p99 µs [95%]", "rounds"],
              [[_idle_label(r["params"]), r["backend"],
                _us(_log_interval(R.per_round(r, "p50", "ns").values())),
                _us(_log_interval(R.per_round(r, "p99", "ns").values())),
                str(len(r["rounds"]))] for r in timer], text_cols=2)]
