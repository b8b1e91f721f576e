"""The one number formatter of nxbench: the terminal summary, compare, the
report's tables and the charts' labels all print a number through here, so
one median reads the same everywhere (three significant digits up to 1000).
"""
from __future__ import annotations

import math


def num(v: float | None) -> str:
    """A latency or count: 0.042, 3.59, 21.6, 136, 1870, 43.2k, 140k, 1.25M;
    '-' for None or NaN."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    a = abs(v)
    if a == 0:
        return "0"
    if a < 0.01:
        return "%.2g" % v
    if a < 10:
        return "%.2f" % v
    if a < 100:
        return "%.1f" % v
    if a < 10_000:
        return "%.0f" % v
    if a < 100_000:
        return "%.1fk" % (v / 1e3)
    if a < 1_000_000:
        return "%.0fk" % (v / 1e3)
    return "%.2fM" % (v / 1e6)


def ratio(v: float | None, suffix: str = "x") -> str:
    """A ratio to a reference: 0.52x, 1.13x, 12.4x."""
    if v is None or math.isnan(v):
        return "-"
    return ("%.2f" % v if v < 10 else "%.1f" % v) + suffix


def interval(lo: float | None, hi: float | None) -> str:
    """A ratio interval: [0.49-0.55]."""
    if lo is None or hi is None:
        return "[-]"
    return "[%s-%s]" % (ratio(lo, ""), ratio(hi, ""))


def pct(v: float | None, signed: bool = True) -> str:
    """A relative change given as a fraction: 0.153 -> +15.3%."""
    if v is None or math.isnan(v):
        return "-"
    return ("%+.1f%%" if signed else "%.1f%%") % (100.0 * v)


def duration(seconds: float) -> str:
    """3s, 4m05s, 1h02m."""
    s = int(round(max(0.0, seconds)))
    if s < 60:
        return "%ds" % s
    if s < 3600:
        return "%dm%02ds" % (s // 60, s % 60)
    return "%dh%02dm" % (s // 3600, (s % 3600) // 60)
