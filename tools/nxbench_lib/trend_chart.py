"""The trend chart (matplotlib, Agg): one case's p50 (top) and p99 (bottom)
across runs, oldest left, one line per backend (and machine), each run's
interval as an error bar, and every change point as a dashed line at the
step labelled with its size and commit range. Returns PNG bytes."""
from __future__ import annotations

from nxbench_lib import numfmt
from nxbench_lib import plots  # first: it selects the Agg backend before pyplot loads
from nxbench_lib import trends as T

import matplotlib.pyplot as plt  # noqa: E402  (after plots selected Agg)
from matplotlib.ticker import FuncFormatter  # noqa: E402

MARKERS = ("o", "s", "^", "D", "v", "P")
MAX_LABELS = 40


def chart(series: list[T.Series], runs: list[dict], title: str) -> bytes:
    """`series`: one (case, params, mode)'s series, p50 and p99; `runs`:
    the x axis (every run of the selection, oldest first)."""
    xpos = {r["id"]: i for i, r in enumerate(runs)}
    machines = sorted({s.machine for s in series})
    fields = [f for f in T.FIELDS if any(s.field == f for s in series)]
    width = min(16.0, max(8.0, 0.35 * len(runs) + 4))
    fig, axes = plt.subplots(len(fields), 1, figsize=(width, 3.6 * len(fields) + 0.8),
                             sharex=True, squeeze=False)
    for ax, f in zip(axes[:, 0], fields):
        for s in (s for s in series if s.field == f):
            pts = s.valued
            if not pts:
                continue
            color = plots.backend_color(s.backend)
            label = s.backend if len(machines) == 1 else "%s @ %s" % (s.backend, s.machine[:6])
            xs = [xpos[p.run["id"]] for p in pts]
            ys = [p.value for p in pts]
            err = [[max(0.0, p.value - (p.lo if p.lo is not None else p.value)) for p in pts],
                   [max(0.0, (p.hi if p.hi is not None else p.value) - p.value) for p in pts]]
            ax.errorbar(xs, ys, yerr=err, color=color, label=label, capsize=3, linewidth=1.4,
                        marker=MARKERS[machines.index(s.machine) % len(MARKERS)], markersize=4)
            for cp in s.changes:
                before, after = T.step_range(s, cp)
                x = (xpos[before["id"]] + xpos[after["id"]]) / 2.0
                ax.axvline(x, color=color, linestyle="--", linewidth=1.2, alpha=0.8)
                ax.annotate("%s %s\n%s..%s" % (s.backend, numfmt.pct(cp.change),
                                               T.commit_of(before)[:7], T.commit_of(after)[:7]),
                            xy=(x, 1.0), xycoords=("data", "axes fraction"), fontsize=7,
                            color=color, ha="left", va="top", xytext=(3, -3),
                            textcoords="offset points")
        # Log scale: steps are ratios, and a quick run's p99 interval can
        # span two decades.
        plots._log_axis(ax, None)
        first = next(s for s in series if s.field == f)
        refs = {r["reference"] for r in runs}
        ax.set_ylabel(first.unit(refs.pop() if len(refs) == 1 else None))
        ax.legend(fontsize=8, loc="best")
        lo, hi = ax.get_ylim()
        if hi < 30 * lo:  # one major tick or none: label the minor ticks too
            ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _p: "%g" % float("%.2g" % v)))
            ax.tick_params(axis="y", which="minor", labelsize=7)
    ax = axes[-1, 0]
    every = max(1, -(-len(runs) // MAX_LABELS))  # label every k-th run when many
    ticks = list(range(0, len(runs), every))
    ax.set_xticks(ticks)
    ax.set_xticklabels(["%s\n%s" % (T.commit_of(runs[i])[:7], str(runs[i]["started"])[:10])
                        for i in ticks], rotation=60, fontsize=7, ha="right")
    ax.set_xlabel("run (commit, date), oldest first")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return plots._png(fig)
