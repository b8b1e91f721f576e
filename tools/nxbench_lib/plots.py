"""Charts for `nxbench report` (matplotlib, Agg backend: no display needed).

Each function takes plain numbers and returns PNG bytes, so the report code
decides where the image goes (a file beside report.md, a data URI in
report.html) and these stay easy to test.
"""
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after use("Agg") on purpose)
import math  # noqa: E402

from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

PERCENTILE_LABELS = ("p50", "p90", "p99", "p99.9", "max")
_FIXED_COLORS = {
    "malloc": "tab:blue", "slab": "tab:orange", "jemalloc": "tab:green",
    "mimalloc": "tab:red", "tcmalloc": "tab:purple", "asio": "tab:brown",
    "libuv": "tab:pink", "floor": "tab:gray",
}
_SPARE_COLORS = ("tab:olive", "tab:cyan", "gold", "navy", "teal", "maroon")
DPI = 100


def backend_color(backend, _assigned={}):  # noqa: B006  (a deliberate memo)
    """Same colour for a backend in every chart of a report."""
    if backend in _FIXED_COLORS:
        return _FIXED_COLORS[backend]
    if backend not in _assigned:
        _assigned[backend] = _SPARE_COLORS[len(_assigned) % len(_SPARE_COLORS)]
    return _assigned[backend]


def _num(v):
    """Compact label: 3.03, 18.1, 267, 139k."""
    if v >= 10000:
        return "%.0fk" % (v / 1000.0)
    if v >= 100:
        return "%.0f" % v
    return "%.3g" % v


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


def _log_axis(ax, unit, values=None):
    """Log latency axis with plain-number labels. With `values` (the data on
    the axis, bars included) the limits start a decade boundary below the
    smallest value: bars drawn from an automatic bottom just above the
    smallest bar would make a 3-cycle bar look like nothing."""
    ax.set_yscale("log")
    ax.yaxis.set_minor_locator(LogLocator(subs="all"))
    ax.grid(True, which="major", axis="y", alpha=0.5)
    ax.grid(True, which="minor", axis="y", alpha=0.15)
    ax.set_ylabel("latency (%s, log scale)" % unit)
    ax.yaxis.set_major_formatter(FuncFormatter(_tick))
    values = [v for v in (values or []) if v and v > 0]
    if values:
        lo = 10 ** math.floor(math.log10(min(values)))
        hi = max(values) * 1.6
        ax.set_ylim(lo, hi)
        # Narrow ranges have few decade ticks: label 2x and 5x minor ticks too.
        if math.log10(hi / lo) < 2.5:
            ax.yaxis.set_minor_formatter(FuncFormatter(
                lambda v, _pos: _tick(v) if round(v / 10 ** math.floor(math.log10(v)), 6)
                in (2.0, 5.0) else ""))
        else:
            ax.yaxis.set_minor_formatter(NullFormatter())


def percentile_curves(title, by_mode, unit="cycles"):
    """by_mode: {mode: {backend: [p50, p90, p99, p999, max]}} -> PNG.
    One panel per mode, one line per backend, log-scale latency."""
    modes = list(by_mode)
    fig, axes = plt.subplots(1, len(modes), figsize=(5.6 * len(modes), 3.6), squeeze=False,
                             layout="constrained")
    for ax, mode in zip(axes[0], modes):
        hidden = False
        for backend, values in by_mode[mode].items():
            hidden = hidden or any(v <= 0 for v in values)
            values = [v if v > 0 else float("nan") for v in values]
            ax.plot(range(len(values)), values, marker="o", label=backend,
                    color=backend_color(backend),
                    linestyle="--" if backend in ("asio", "libuv", "floor") else "-")
        ax.set_xticks(range(len(PERCENTILE_LABELS)))
        ax.set_xticklabels(PERCENTILE_LABELS)
        _log_axis(ax, unit, [v for vals in by_mode[mode].values() for v in vals])
        ax.set_title("%s mode" % mode, fontsize=10)
        if hidden:
            ax.text(0.99, 0.02, "values <= 0 not drawn (below timer resolution)",
                    transform=ax.transAxes, ha="right", va="bottom", fontsize=7, color="gray")
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=11)
    return _png(fig)


def p50_p99_bars(title, panels, unit="cycles", ncols=3):
    """panels: [(panel_title, {backend: (p50, p99)}, [(floor_label, value), ...])].
    Solid bar = p50, hatched bar = p99, dashed line = floor. -> PNG."""
    n = len(panels)
    ncols = min(ncols, n)
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.0 * ncols, 3.4 * nrows), squeeze=False,
                             layout="constrained")
    for idx, (ptitle, bars, floors) in enumerate(panels):
        ax = axes[idx // ncols][idx % ncols]
        names = list(bars)
        for i, b in enumerate(names):
            p50, p99 = bars[b]
            color = backend_color(b)
            ax.bar(i - 0.2, p50, width=0.4, color=color)
            ax.bar(i + 0.2, p99, width=0.4, color=color, alpha=0.45, hatch="//",
                   edgecolor=color)
            if p50 > 0:
                ax.annotate(_num(p50), (i - 0.2, p50), ha="center", va="bottom", fontsize=7)
            else:  # a log axis has no 0: say it at the bottom instead of drawing nothing
                ax.annotate("0", (i - 0.2, 0), xycoords=("data", "axes fraction"),
                            ha="center", va="bottom", fontsize=7)
        floors = [f for f in floors if f[1] > 0]  # a 0 floor has no place on a log axis
        for flabel, fvalue in floors:
            ax.axhline(fvalue, color="black", linestyle="--", linewidth=1,
                       label="floor %s: %s" % (flabel, _num(fvalue)))
        if floors:
            ax.legend(loc="upper left", fontsize=7)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
        _log_axis(ax, unit, [v for pair in bars.values() for v in pair]
                  + [f[1] for f in floors])
        ax.set_title(ptitle, fontsize=9)
    for idx in range(n, nrows * ncols):
        axes[idx // ncols][idx % ncols].set_visible(False)
    fig.suptitle(title + "   (solid: p50, hatched: p99, dashed line: floor p50)", fontsize=11)
    return _png(fig)


def live_scaling(series, unit="cycles"):
    """series: {backend: [(live_tasks, p50, p99, bytes_per_task or None)]} -> PNG.
    Left: cost per spawn vs live tasks; right: bytes per task vs live tasks."""
    fig, (ax_cost, ax_mem) = plt.subplots(1, 2, figsize=(11.5, 3.8), layout="constrained")
    any_mem = False
    for backend, points in series.items():
        points = sorted(points)
        live = [p[0] for p in points]
        color = backend_color(backend)
        ax_cost.plot(live, [p[1] for p in points], marker="o", color=color,
                     label="%s p50" % backend)
        ax_cost.plot(live, [p[2] for p in points], marker=".", color=color,
                     linestyle=":", label="%s p99" % backend)
        mem = [(p[0], p[3]) for p in points if p[3] is not None]
        if mem:
            any_mem = True
            ax_mem.plot([m[0] for m in mem], [m[1] for m in mem], marker="o",
                        color=color, label=backend)
    ax_cost.set_xscale("log")
    _log_axis(ax_cost, unit, [v for pts in series.values() for p in pts for v in p[1:3]])
    ax_cost.set_xlabel("live tasks already spawned")
    ax_cost.set_title("spawn cost vs live tasks (solid p50, dotted p99)", fontsize=10)
    ax_cost.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    ax_mem.set_xscale("log")
    # Log: with few live tasks the RSS delta is mostly fixed overhead (pages,
    # the first chunk), thousands of bytes per task; with many it is tens.
    ax_mem.set_yscale("log")
    ax_mem.yaxis.set_major_formatter(FuncFormatter(_tick))
    ax_mem.set_xlabel("live tasks")
    ax_mem.set_ylabel("bytes per live task (RSS delta / N, log)")
    ax_mem.grid(True, alpha=0.4)
    ax_mem.set_title("memory per task vs live tasks", fontsize=10)
    if any_mem:
        ax_mem.legend(fontsize=8)
    else:
        ax_mem.text(0.5, 0.5, "no bytes_per_task in the results", ha="center",
                    transform=ax_mem.transAxes)
    return _png(fig)


def cross_wake(by_case, floors, unit="cycles"):
    """by_case: {case: {pair_class: {backend: (p50, p99)}}};
    floors: {case: {pair_class: (floor_label, p50)}} -> PNG.
    One panel per case; bars grouped by core-pair class; the black tick above
    a bar is its p99; the dashed segment over a group is the floor."""
    cases = list(by_case)
    fig, axes = plt.subplots(1, len(cases), figsize=(6.0 * len(cases), 3.8), squeeze=False,
                             layout="constrained")
    for ax, case in zip(axes[0], cases):
        classes = list(by_case[case])
        backends = []
        for cls in classes:
            for b in by_case[case][cls]:
                if b not in backends:
                    backends.append(b)
        width = 0.8 / max(1, len(backends))
        for ci, cls in enumerate(classes):
            for bi, b in enumerate(backends):
                if b not in by_case[case][cls]:
                    continue
                p50, p99 = by_case[case][cls][b]
                x = ci - 0.4 + width * (bi + 0.5)
                ax.bar(x, p50, width=width * 0.9, color=backend_color(b),
                       label=b if ci == 0 else None)
                ax.plot([x], [p99], marker="_", color="black", markersize=9)
            floor = floors.get(case, {}).get(cls)
            if floor and floor[1] > 0:
                ax.hlines(floor[1], ci - 0.45, ci + 0.45, colors="black", linestyles="--",
                          label="floor %s: %s" % (floor[0], _num(floor[1])) if ci == 0 else None)
        ax.set_xticks(range(len(classes)))
        ax.set_xticklabels(classes)
        ax.set_xlabel("core-pair class")
        _log_axis(ax, unit, [v for per in by_case[case].values() for pair in per.values()
                             for v in pair]
                  + [f[1] for f in floors.get(case, {}).values()])
        ax.set_title("%s (bar p50, tick p99)" % case, fontsize=10)
        ax.legend(fontsize=7)
    return _png(fig)
