"""The report's opening sections: the one-screen summary (per row, the
backends ranked with their verdicts), the noise gauge (floors, control
cases, the band), and every ratio with its interval (tables and charts)."""
from nxbench_lib import cases as C
from nxbench_lib import numfmt, plots
from nxbench_lib import results as R
from nxbench_lib import verdicts as V
from nxbench_lib.report_render import H, IMG, P, T

VERDICT_CLASS = {V.FASTER: "faster", V.SLOWER: "slower", V.SAME: "same", V.NOISY: "noisy",
                 V.QUANTISED: "quantised", V.REFERENCE: "reference"}
SHORT = {V.FASTER: "faster", V.SLOWER: "slower", V.SAME: "≈", V.NOISY: "noisy?",
         V.QUANTISED: "quantised", V.ONE_ROUND: "", V.UNPAIRED: "", V.REFERENCE: "="}


def detail_cell(c: V.Cell):
    """'0.52x [0.49-0.55] faster' with the verdict's colour."""
    if c.verdict == V.QUANTISED:
        return ("%s cycles, %s" % (numfmt.num(c.median), "quantised" if c.quantised
                                   else "no ratio: the reference is quantised"), "quantised")
    if c.iv is None:
        return (numfmt.num(c.median), "")
    iv = "" if c.iv.lo is None else " " + numfmt.interval(c.iv.ratio_lo, c.iv.ratio_hi)
    return ("%s%s %s" % (numfmt.ratio(c.ratio), iv, c.verdict), VERDICT_CLASS.get(c.verdict, ""))


def _legend(a: V.Analysis):
    band = 100 * a.noise.band
    reach = 100 * ((1 + a.noise.band) ** V.SAME_REACH - 1)
    text = ("Per row, every backend's p50 as a ratio to **%s** measured in the same round (the "
            "two ran back to back), as the trimmed geometric mean over %d rounds (the farthest "
            "round on each side set aside from 5 rounds on) with its 95%% interval. "
            "**faster** / **slower**: the whole interval lies beyond the run's band of +-%.1f%%; "
            "**≈** (same): the interval touches the band and stays within +-%.0f%%; "
            "**noisy?** (too noisy to rank): it does neither. The band comes from this run's "
            "own noise: %s. Single-mode rows within %d TSC steps are left out (quantised: read "
            "the batched row)." % (a.reference, a.rounds, band, reach, a.noise.band_source,
                                   R.QUANTISED_STEPS))
    if not a.independent_rounds:
        text += (" This file is schema 1: its rounds are repetitions inside one process, so "
                 "the intervals understate the noise between runs.")
    return P(text)


def summary_blocks(a: V.Analysis):
    blocks = [H(2, "Summary: backends ranked per row"), _legend(a)]
    width = max((len(r.cells) + 1 for r in a.rows), default=1)
    table, quantised = [], []
    for row in a.rows:
        if row.reference is None or row.reference.quantised:
            if row.reference is not None:
                quantised.append(row.label)
            continue
        entries = [(1.0, row.reference.backend + " =", "reference")]
        for c in row.cells:
            if c.ratio is None or c.verdict == V.QUANTISED:
                continue
            entries.append((c.ratio, "%s %s %s" % (c.backend, numfmt.ratio(c.ratio),
                                                   SHORT.get(c.verdict, "")),
                            VERDICT_CLASS.get(c.verdict, "")))
        entries.sort(key=lambda e: e[0])
        cells = [(text.strip(), cls) for _r, text, cls in entries]
        table.append([row.label, numfmt.num(row.reference.median)] + cells +
                     [""] * (width - len(cells)))
    heads = ["row", "%s p50" % a.reference] + ["#%d" % (i + 1) for i in range(width)]
    blocks.append(T(heads, table, text_cols=len(heads)))
    if quantised:
        blocks.append(P("Quantised, not ranked (read their batched rows): %s."
                        % "; ".join(quantised)))
    return blocks


def noise_blocks(a: V.Analysis, data: dict, unit: str):
    n = a.noise
    blocks = [H(2, "Noise gauge"),
              P("Band for '≈ same': +-%.1f%% (%s). The floors are measured at the start and "
                "end of every round: their spread over rounds shows how much the host moved "
                "between rounds, start-to-end drift how much it moved within one. Paired ratios "
                "cancel both, as far as a move hits the backends of one benchmark alike; the "
                "intervals carry what is left." % (100 * n.band, n.band_source))]
    rows = []
    for g in n.floors:
        if g.quantised:
            rows.append([g.label, numfmt.num(g.start_median), "quantised", "-", "-", ""])
        else:
            rows.append([g.label, numfmt.num(g.start_median), numfmt.pct(g.spread, False),
                         numfmt.pct(g.drift), numfmt.pct(g.worst_drift),
                         ("the host moved", "noisy") if g.moved else ""])
    if rows:
        blocks.append(T(["floor", "p50 (%s, start)" % unit, "spread over rounds",
                         "drift start->end (median)", "drift, worst round", ""], rows,
                        text_last=1))
        series = {}
        for r in data["results"]:
            if r["backend"] != C.FLOOR_BACKEND or R.is_quantised(r, R.tsc_step(data)):
                continue
            params = {k: v for k, v in r["params"].items() if k != "phase"}
            label = "%s %s %s" % (r["case"], r["mode"], R.params_label(params))
            series.setdefault(label.strip(), {})[r["params"].get("phase", "start")] = sorted(
                R.per_round(r, "p50", unit).items())
        if series:
            blocks.append(IMG("floors_by_round", plots.floors_by_round(series, unit),
                              "floors at the start and end of every round"))
    if n.controls:
        blocks.append(H(3, "Control cases"))
        blocks.append(P("%s allocate nothing in the timed operation (the benchmark catalogue's "
                        "control cases), so every backend should measure the same: "
                        % ", ".join(sorted(C.control_cases(), key=C.case_rank)) +
                        "differences here come from the binaries, not the allocators, and set "
                        "the band above."))
        cols = sorted({c.backend for r in n.controls for c in r.cells}, key=C.backend_rank)
        blocks.append(T(["row"] + cols, [[r.label] + [
            detail_cell(next(c for c in r.cells if c.backend == b))
            if any(c.backend == b for c in r.cells) else "-" for b in cols]
            for r in n.controls], text_cols=1 + len(cols)))
        blocks.append(P("Each round's p50 (%s) of the control rows: when a round is slow for "
                        "every backend alike, the machine moved, not an allocator." % unit))
        ctl = [r for r in data["results"] if r["case"] in C.control_cases() and
               not R.is_quantised(r, R.tsc_step(data))]
        n_rounds = max((len(r["rounds"]) for r in ctl), default=0)
        blocks.append(T(["row", "backend"] + ["round %d" % (i + 1) for i in range(n_rounds)],
                        [["%s %s" % (r["case"], r["mode"]), r["backend"]] +
                         [numfmt.num(v) for _k, v in sorted(R.per_round(r, "p50", unit).items())]
                         for r in sorted(ctl, key=R.sort_key)], text_cols=2))
        spacing = V.task_spacing(data)
        if spacing:
            blocks.append(P("Where each backend put the queued tasks a control case walks (from "
                            "the tasks' addresses, median over rounds): the allocator does no "
                            "work in the timed loop, but the layout it left decides how many "
                            "cache lines and pages the loop touches."))
            blocks.append(T(["backend", "mode", "bytes between consecutive tasks",
                             "span of the tasks (bytes)"],
                            [[b, m, numfmt.num(st), numfmt.num(sp)] for (b, m), (st, sp) in
                             sorted(spacing.items(), key=lambda kv: (C.backend_rank(kv[0][0]),
                                                                     kv[0][1]))], text_cols=2))
        if n.controls_beyond:
            blocks.append(P("These control rows differ between backends by more than +-%.0f%%, "
                            "although no allocator work is timed: %s. Such a difference comes "
                            "from where the binary puts code and tasks (layout, the spacing of "
                            "consecutive tasks in memory), and a backend difference of that "
                            "size elsewhere may have the same cause." %
                            (100 * V.MAX_BAND, "; ".join(n.controls_beyond)), cls="warning"))
    return blocks


def detail_blocks(a: V.Analysis):
    blocks = [H(2, "Ratios to %s with 95%% intervals" % a.reference)]
    cols = sorted({c.backend for r in a.rows for c in r.cells}, key=C.backend_rank)
    for mode in C.MODES:
        rows = [r for r in a.rows if r.mode == mode]
        if not rows:
            continue
        blocks.append(H(3, "%s mode" % mode))
        table = []
        for r in rows:
            by = {c.backend: c for c in r.cells}
            ref = "-" if r.reference is None else numfmt.num(r.reference.median) + (
                " (quantised)" if r.reference.quantised else "")
            table.append([r.label, ref] + [detail_cell(by[b]) if b in by else "-" for b in cols])
        blocks.append(T(["row", "%s p50" % a.reference] + cols, table, text_cols=2 + len(cols)))
        panels = []
        for r in rows:
            pts = [(c.backend, c.ratio, c.iv.ratio_lo, c.iv.ratio_hi, c.verdict)
                   for c in r.cells if c.iv is not None and c.verdict != V.QUANTISED]
            if pts:
                panels.append((r.label.replace(" %s" % mode, ""), pts))
        if panels:
            blocks.append(IMG("ratios_%s" % mode,
                              plots.ratio_panels("%s mode" % mode, panels, a.noise.band,
                                                 a.reference),
                              "ratio to %s per row with 95%% intervals, %s mode"
                              % (a.reference, mode)))
    return blocks
