"""Charts for `nxbench report` (matplotlib, Agg backend: no display needed).

Each function takes plain numbers and returns PNG bytes, so the report code
decides where the image goes (a file beside report.md, a data URI in
report.html) and these stay easy to test. Every value comes as a Spread (the
median over rounds and its range over rounds), drawn with an error bar.
"""
import io
import math
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after use("Agg") on purpose)
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

from nxbench_lib import numfmt  # noqa: E402

PERCENTILE_LABELS = ("p50", "p90", "p99", "p99.9", "max")
_FIXED_COLORS = {
    "malloc": "tab:blue", "slab": "tab:orange", "jemalloc": "tab:green",
    "mimalloc": "tab:red", "tcmalloc": "tab:purple", "asio": "tab:brown",
    "libuv": "tab:pink", "floor": "tab:gray",
}
_SPARE_COLORS = ("tab:olive", "tab:cyan", "gold", "navy", "teal", "maroon")
VERDICT_COLORS = {"faster": "tab:green", "slower": "tab:red", "≈ same": "dimgray",
                  "too noisy to rank": "darkorange"}
DPI = 100


@dataclass(frozen=True)
class Spread:
    """A median over rounds and the lowest and highest round."""
    mid: float
    lo: float
    hi: float
    quantised: bool = False

    def yerr(self):
        return [[max(0.0, self.mid - self.lo)], [max(0.0, self.hi - self.mid)]]


def backend_color(backend, _assigned={}):  # noqa: B006  (a deliberate memo)
    """Same colour for a backend in every chart of a report."""
    base = backend.split(" ")[0]
    if base in _FIXED_COLORS:
        return _FIXED_COLORS[base]
    if backend not in _assigned:
        _assigned[backend] = _SPARE_COLORS[len(_assigned) % len(_SPARE_COLORS)]
    return _assigned[backend]


def _tick(v, _pos=None):
    """Axis label: 5, 20, 500, 20k, 5M (no 1e+07)."""
    if v >= 1e6:
        return "%gM" % (v / 1e6)
    if v >= 1e4:
        return "%gk" % (v / 1e3)
    return "%g" % v


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    plt.close(fig)
    return buf.getvalue()


def _log_axis(ax, unit, values=None, axis="y"):
    """Log latency axis with plain-number labels; limits start a decade
    below the smallest value so a bar of 3 cycles does not vanish."""
    set_scale, get = (ax.set_yscale, ax.yaxis) if axis == "y" else (ax.set_xscale, ax.xaxis)
    set_scale("log")
    get.set_minor_locator(LogLocator(subs="all"))
    ax.grid(True, which="major", axis=axis, alpha=0.5)
    ax.grid(True, which="minor", axis=axis, alpha=0.15)
    if unit:
        (ax.set_ylabel if axis == "y" else ax.set_xlabel)("latency (%s, log scale)" % unit)
    get.set_major_formatter(FuncFormatter(_tick))
    values = [v for v in (values or []) if v and v > 0]
    if values:
        lo = 10 ** math.floor(math.log10(min(values)))
        hi = max(values) * 1.6
        (ax.set_ylim if axis == "y" else ax.set_xlim)(lo, hi)
        if math.log10(hi / lo) < 2.5:  # few decades: label the 2x and 5x ticks too
            get.set_minor_formatter(FuncFormatter(
                lambda v, _pos: _tick(v) if round(v / 10 ** math.floor(math.log10(v)), 6)
                in (2.0, 5.0) else ""))
        else:
            get.set_minor_formatter(NullFormatter())


def _grid(n, ncols, w, h):
    ncols = max(1, min(ncols, n))
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(w * ncols, h * nrows), squeeze=False,
                             layout="constrained")
    for idx in range(n, nrows * ncols):
        axes[idx // ncols][idx % ncols].set_visible(False)
    return fig, [axes[i // ncols][i % ncols] for i in range(n)]


def ratio_panels(title, panels, band, reference, ncols=4):
    """panels: [(panel_title, [(backend, ratio, lo, hi, verdict)])] -> PNG.
    One point per backend with its 95% interval; the grey band is the run's
    '≈ same' band around 1 (= the reference)."""
    fig, axes = _grid(len(panels), ncols, 3.9, 0.5 + 0.32 * max(len(p[1]) for p in panels))
    for ax, (ptitle, points) in zip(axes, panels):
        ys = range(len(points))
        ax.axvspan(1 / (1 + band), 1 + band, color="0.88", zorder=0)
        ax.axvline(1.0, color="black", linewidth=0.8)
        vals = [1.0]
        for y, (backend, r, lo, hi, verdict) in zip(ys, points):
            color = VERDICT_COLORS.get(verdict, "black")
            if lo is not None:
                ax.errorbar([r], [y], xerr=[[r - lo], [hi - r]], fmt="o", color=color,
                            capsize=3, markersize=4)
                vals += [lo, hi]
            else:
                ax.plot([r], [y], "o", color=color, markersize=4)
                vals.append(r)
        ax.set_yticks(list(ys))
        ax.set_yticklabels([p[0] for p in points], fontsize=8)
        ax.invert_yaxis()
        _log_axis(ax, None, vals, axis="x")
        lo_v, hi_v = min(vals), max(vals)
        ax.set_xlim(lo_v / 1.15, hi_v * 1.15)
        ax.set_title(ptitle, fontsize=8)
    fig.suptitle("%s: p50 as a ratio to %s (point: trimmed geometric mean over rounds, bar: "
                 "95%% interval; grey: '≈ same' band; green faster, red slower, grey same, "
                 "orange too noisy)" % (title, reference), fontsize=9)
    return _png(fig)


def p50_p99_bars(title, panels, unit="cycles", ncols=3):
    """panels: [(panel_title, {backend: (Spread p50, Spread p99)}, [(floor_label, value)])].
    Solid bar = p50, hatched = p99, whiskers = lowest..highest round,
    dashed line = floor; 'q' marks a quantised value. -> PNG."""
    fig, axes = _grid(len(panels), ncols, 5.0, 3.4)
    for ax, (ptitle, bars, floors) in zip(axes, panels):
        names = list(bars)
        for i, b in enumerate(names):
            p50, p99 = bars[b]
            color = backend_color(b)
            for x, s, kw in ((i - 0.2, p50, {}), (i + 0.2, p99, {"alpha": 0.45, "hatch": "//",
                                                                  "edgecolor": color})):
                ax.bar(x, s.mid, width=0.4, color=color, yerr=s.yerr(), capsize=2,
                       error_kw={"elinewidth": 0.8}, **kw)
            label = numfmt.num(p50.mid) + (" q" if p50.quantised else "")
            if p50.mid > 0:
                ax.annotate(label, (i - 0.2, p50.hi), ha="center", va="bottom", fontsize=7)
            else:  # a log axis has no 0: say it at the bottom instead of drawing nothing
                ax.annotate("0 q" if p50.quantised else "0", (i - 0.2, 0),
                            xycoords=("data", "axes fraction"), ha="center", va="bottom",
                            fontsize=7)
        floors = [f for f in floors if f[1] > 0]
        for flabel, fvalue in floors:
            ax.axhline(fvalue, color="black", linestyle="--", linewidth=1,
                       label="floor %s: %s" % (flabel, numfmt.num(fvalue)))
        if floors:
            ax.legend(loc="upper left", fontsize=7)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
        _log_axis(ax, unit, [v for pair in bars.values() for s in pair for v in (s.lo, s.hi)]
                  + [f[1] for f in floors])
        ax.set_title(ptitle, fontsize=9)
    fig.suptitle(title + "   (solid: p50, hatched: p99, whiskers: lowest..highest round, "
                 "dashed: floor p50, q: quantised)", fontsize=10)
    return _png(fig)


def percentile_curves(title, by_mode, unit="cycles"):
    """by_mode: {mode: {backend: [Spread p50, p90, p99, p999, max]}} -> PNG."""
    modes = list(by_mode)
    fig, axes = plt.subplots(1, len(modes), figsize=(5.6 * len(modes), 3.6), squeeze=False,
                             layout="constrained")
    for ax, mode in zip(axes[0], modes):
        hidden = False
        vals = []
        for backend, spreads in by_mode[mode].items():
            mids = [s.mid if s.mid > 0 else float("nan") for s in spreads]
            hidden = hidden or any(s.mid <= 0 for s in spreads)
            err = [[max(0.0, s.mid - s.lo) for s in spreads],
                   [max(0.0, s.hi - s.mid) for s in spreads]]
            ax.errorbar(range(len(mids)), mids, yerr=err, marker="o", markersize=4, capsize=2,
                        label=backend, color=backend_color(backend),
                        linestyle="--" if backend.split(" ")[0] in ("asio", "libuv", "tokio", "floor")
                        else "-")
            vals += [v for s in spreads for v in (s.lo, s.hi)]
        ax.set_xticks(range(len(PERCENTILE_LABELS)))
        ax.set_xticklabels(PERCENTILE_LABELS)
        _log_axis(ax, unit, vals)
        ax.set_title("%s mode (whiskers: lowest..highest round)" % mode, fontsize=10)
        if hidden:
            ax.text(0.99, 0.02, "values <= 0 not drawn (below timer resolution)",
                    transform=ax.transAxes, ha="right", va="bottom", fontsize=7, color="gray")
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=11)
    return _png(fig)


def live_scaling(series, unit="cycles"):
    """series: {backend: [(live_tasks, Spread p50, Spread p99, bytes_per_task or None)]}.
    Left: cost per spawn vs live tasks; right: bytes per task vs live tasks."""
    fig, (ax_cost, ax_mem) = plt.subplots(1, 2, figsize=(11.5, 3.8), layout="constrained")
    any_mem, vals = False, []
    for backend, points in series.items():
        points = sorted(points, key=lambda p: p[0])
        live = [p[0] for p in points]
        color = backend_color(backend)
        for idx, style, marker, what in ((1, "-", "o", "p50"), (2, ":", ".", "p99")):
            ss = [p[idx] for p in points]
            ax_cost.errorbar(live, [s.mid for s in ss],
                             yerr=[[s.mid - s.lo for s in ss], [s.hi - s.mid for s in ss]],
                             marker=marker, color=color, linestyle=style, capsize=2,
                             label="%s %s" % (backend, what))
            vals += [v for s in ss for v in (s.lo, s.hi)]
        mem = [(p[0], p[3]) for p in points if p[3] is not None]
        if mem:
            any_mem = True
            ax_mem.plot([m[0] for m in mem], [m[1] for m in mem], marker="o", color=color,
                        label=backend)
    ax_cost.set_xscale("log")
    _log_axis(ax_cost, unit, vals)
    ax_cost.set_xlabel("live tasks already spawned")
    ax_cost.set_title("spawn cost vs live tasks (solid p50, dotted p99; whiskers: rounds)",
                      fontsize=10)
    ax_cost.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    ax_mem.set_xscale("log")
    # Log: with few live tasks the RSS delta is mostly fixed overhead.
    ax_mem.set_yscale("log")
    ax_mem.yaxis.set_major_formatter(FuncFormatter(_tick))
    ax_mem.set_xlabel("live tasks")
    ax_mem.set_ylabel("bytes per live task (RSS delta / N, log)")
    ax_mem.grid(True, alpha=0.4)
    ax_mem.set_title("memory per task vs live tasks (median over rounds)", fontsize=10)
    if any_mem:
        ax_mem.legend(fontsize=8)
    else:
        ax_mem.text(0.5, 0.5, "no bytes_per_task in the results", ha="center",
                    transform=ax_mem.transAxes)
    return _png(fig)


def cross_thread(by_case, floors, unit="cycles"):
    """by_case: {case: {pair_class: {backend: (Spread p50, Spread p99)}}};
    floors: {case: {pair_class: (floor_label, p50)}} -> PNG. Bars p50 with
    whiskers over rounds; the black tick is p99; dashed: the floor."""
    cases = list(by_case)
    fig, axes = plt.subplots(1, len(cases), figsize=(6.0 * len(cases), 3.8), squeeze=False,
                             layout="constrained")
    for ax, case in zip(axes[0], cases):
        classes = list(by_case[case])
        backends = []
        for cls in classes:
            backends += [b for b in by_case[case][cls] if b not in backends]
        width = 0.8 / max(1, len(backends))
        vals = []
        for ci, cls in enumerate(classes):
            for bi, b in enumerate(backends):
                if b not in by_case[case][cls]:
                    continue
                p50, p99 = by_case[case][cls][b]
                x = ci - 0.4 + width * (bi + 0.5)
                ax.bar(x, p50.mid, width=width * 0.9, color=backend_color(b), yerr=p50.yerr(),
                       capsize=2, label=b if ci == 0 else None)
                ax.plot([x], [p99.mid], marker="_", color="black", markersize=9)
                vals += [p50.lo, p50.hi, p99.mid]
            floor = floors.get(case, {}).get(cls)
            if floor and floor[1] > 0:
                ax.hlines(floor[1], ci - 0.45, ci + 0.45, colors="black", linestyles="--",
                          label="floor %s: %s" % (floor[0], numfmt.num(floor[1]))
                          if ci == 0 else None)
                vals.append(floor[1])
        ax.set_xticks(range(len(classes)))
        ax.set_xticklabels(classes)
        ax.set_xlabel("core-pair class")
        _log_axis(ax, unit, vals)
        ax.set_title("%s (bar p50 with rounds' range, tick p99)" % case, fontsize=10)
        ax.legend(fontsize=7)
    return _png(fig)


def floors_by_round(series, unit="cycles"):
    """series: {floor label: {"start": [(round, p50)], "end": [...]}} -> PNG.
    One small panel per floor: how it moved across rounds and within each."""
    fig, axes = _grid(len(series), 3, 4.2, 2.8)
    for ax, (label, phases) in zip(axes, series.items()):
        for phase, style in (("start", "o-"), ("end", "s--")):
            pts = sorted(phases.get(phase, []))
            if pts:
                ax.plot([p[0] + 1 for p in pts], [p[1] for p in pts], style, label=phase,
                        markersize=4)
        ax.set_xlabel("round")
        ax.set_ylabel(unit)
        ax.set_title(label, fontsize=9)
        ax.grid(True, alpha=0.4)
        ax.legend(fontsize=7)
        ax.set_ylim(bottom=0)
    fig.suptitle("floors at the start and end of every round (p50)", fontsize=10)
    return _png(fig)


def _label_groups(points, near=0.06):
    """[(label, (x, y))]: points that sit within `near` decades of the first
    of their run share one label ("1 us, 10 us, 50 us"), so budgets that
    cost the same are not drawn as overprinted text."""
    groups = []
    for label, px, py in points:
        x, y = math.log10(max(px[0], 1e-9)), math.log10(max(py[0], 1e-9))
        if groups and abs(groups[-1][1] - x) <= near and abs(groups[-1][2] - y) <= near:
            groups[-1][0].append(label)
        else:
            groups.append(([label], x, y, (px[0], py[0])))
    return [(", ".join(g[0]), g[3]) for g in groups]


def latency_vs_cpu(panels):
    """panels: [(title, [(backend, legend, is_peer, [(label, (x, xlo, xhi), (y, ylo, yhi))])])]
    with x = CPU µs per op of the loop's thread and y = round-trip latency in
    µs -> PNG. One line per backend through its points in the given order
    (parked, spin budgets, busy), each point labelled (points that coincide
    share one label; labels alternate above and below the line so neighbours
    stay readable), with x and y bars."""
    fig, axes = _grid(len(panels), 2, 6.2, 4.4)
    for ax, (title, lines) in zip(axes, panels):
        xs, ys = [], []
        for backend, legend, is_peer, points in lines:
            color = backend_color(backend)
            x = [p[1][0] for p in points]
            y = [p[2][0] for p in points]
            ax.errorbar(x, y, xerr=[[max(0.0, p[1][0] - p[1][1]) for p in points],
                                    [max(0.0, p[1][2] - p[1][0]) for p in points]],
                        yerr=[[max(0.0, p[2][0] - p[2][1]) for p in points],
                              [max(0.0, p[2][2] - p[2][0]) for p in points]],
                        marker="s" if is_peer else "o", markersize=4, capsize=2,
                        linestyle="--" if is_peer else "-", color=color, label=legend)
            for i, (label, (px, py)) in enumerate(_label_groups(points)):
                ax.annotate(label, (px, py), textcoords="offset points",
                            xytext=(4, 5 if i % 2 == 0 else -11), fontsize=7, color=color)
            xs += [v for p in points for v in p[1]]
            ys += [v for p in points for v in p[2]]
        _log_axis(ax, None, xs, axis="x")
        _log_axis(ax, None, ys, axis="y")
        ax.set_xlabel("CPU per round trip of the loop's thread (µs, log scale)")
        ax.set_ylabel("round trip p50 (µs, log scale)")
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle("latency against CPU burned per idle strategy (point: mean over rounds, "
                 "bars: 95% interval)", fontsize=10)
    return _png(fig)
