"""The terminal summary of a run: per row, the reference's p50 and every
other backend's paired ratio to it with its interval and verdict, then the
noise gauge (the band, the floors, control cases)."""
from __future__ import annotations

from nxbench_lib import cases as C
from nxbench_lib import numfmt
from nxbench_lib import results as R
from nxbench_lib import verdicts as V

SYMBOL = {V.FASTER: "<", V.SLOWER: ">", V.SAME: "≈", V.NOISY: "?", V.QUANTISED: "q",
          V.ONE_ROUND: "", V.UNPAIRED: ""}


def cell_text(c: V.Cell) -> str:
    if c.verdict == V.QUANTISED:
        return "%s q" % numfmt.num(c.median)
    if c.iv is None:
        return numfmt.num(c.median)
    if c.iv.lo is None:
        return numfmt.ratio(c.ratio)
    return "%s %s %s" % (numfmt.ratio(c.ratio, ""), numfmt.interval(c.iv.ratio_lo, c.iv.ratio_hi),
                         SYMBOL[c.verdict])


def legend(a: V.Analysis) -> list[str]:
    band = 100 * a.noise.band
    reach = 100 * ((1 + a.noise.band) ** V.SAME_REACH - 1)
    lines = ["p50 per operation: the reference (%s) in cycles, every other backend as its ratio "
             "to %s in the same round (trimmed geometric mean over %d rounds) [95%% interval]"
             % (a.reference, a.reference, a.rounds),
             "  < faster, > slower (whole interval beyond +-%.1f%%), ≈ same (touching that band "
             "and within +-%.0f%%), ? too noisy to rank, q quantised (single-mode p50 within "
             "%d TSC steps: read the batched row)" % (band, reach, R.QUANTISED_STEPS)]
    if not a.independent_rounds:
        lines.append("  note: these 'rounds' are schema-1 repetitions inside one process; "
                     "their spread understates the noise between runs")
    return lines


def table(a: V.Analysis) -> list[str]:
    columns = sorted({c.backend for row in a.rows for c in row.cells}, key=C.backend_rank)
    lines, text = [], {}
    for row in a.rows:
        ref = row.reference
        text[row.label, a.reference] = "-" if ref is None else (
            numfmt.num(ref.median) + (" q" if ref.quantised else ""))
        for c in row.cells:
            text[row.label, c.backend] = cell_text(c)
    heads = [a.reference] + columns
    labels = [row.label for row in a.rows]
    lw = max([len("case")] + [len(x) for x in labels])
    widths = {h: max([len(h)] + [len(text.get((x, h), "")) for x in labels]) for h in heads}
    lines.append("case".ljust(lw) + "  " + "  ".join(h.rjust(widths[h]) for h in heads))
    for x in labels:
        lines.append(x.ljust(lw) + "  " +
                     "  ".join(text.get((x, h), "-").rjust(widths[h]) for h in heads))
    return lines


def noise_lines(a: V.Analysis, data: dict) -> list[str]:
    n = a.noise
    lines = ["noise gauge:",
             "  band for '≈ same': +-%.1f%% (%s)" % (100 * n.band, n.band_source)]
    for g in n.floors:
        if g.quantised:
            lines.append("  floor %-32s p50 %s (quantised: read the batched row)"
                         % (g.label, numfmt.num(g.start_median)))
            continue
        lines.append("  floor %-32s p50 %s; spread over rounds %s; drift start->end %s "
                     "(worst round %s)%s" % (g.label, numfmt.num(g.start_median),
                                             numfmt.pct(g.spread, signed=False),
                                             numfmt.pct(g.drift), numfmt.pct(g.worst_drift),
                                             "  <- the host moved during the run" if g.moved
                                             else ""))
    if n.controls_beyond:
        lines.append("  control cases that differ between backends beyond +-%.0f%% (not "
                     "allocator work; the report shows the evidence): %s"
                     % (100 * V.MAX_BAND, "; ".join(n.controls_beyond)))
        spacing = V.task_spacing(data)
        if spacing:
            lines.append("  where the control cases' queued tasks sit (bytes between consecutive tasks / "
                         "span): " + ", ".join(
                             "%s %s/%s" % (b, numfmt.num(st), numfmt.num(sp))
                             for (b, m), (st, sp) in sorted(spacing.items(),
                                                            key=lambda kv: C.backend_rank(kv[0][0]))
                             if m == "batched"))
    noisy = [(row.label, c.backend) for row in a.rows for c in row.cells if c.verdict == V.NOISY]
    if noisy:
        lines.append("  too noisy to rank (%d): %s" % (len(noisy), "; ".join(
            "%s in %s" % (b, label) for label, b in noisy[:12]) + (" ..." if len(noisy) > 12
                                                                  else "")))
    return lines


def summary(data: dict, reference: str | None = None) -> str:
    a = V.analyse(data, reference)
    if not a.rows:
        return "(no results)"
    out = legend(a) + [""] + table(a) + [""] + noise_lines(a, data)
    planted = data["fingerprint"].get("planted_slowdown")
    if planted:
        out.insert(0, "TEST BUILD: a slowdown was planted in the spawn path of %s "
                      "(NXBENCH_PLANT_SLOWDOWN); these are not real numbers" % ", ".join(planted))
    return "\n".join(out)
