"""Statistics of nxbench (scipy): intervals, tests and multiple-comparison
control, all on logarithms of per-round values.

Why logarithms: speed differences are multiplicative (a backend is 0.52x the
reference; a host speed level scales every cost), so a ratio is a difference
of logs, and a geometric mean of per-round ratios is the mean of their logs.

The interval of one run's ratio (verdicts.py): a 20% trimmed mean of the
per-round log ratios with the Tukey-McLaughlin interval (winsorized
variance, n - 2g - 1 degrees of freedom), falling back to the plain
t-interval below 5 rounds (where 20% trims nothing). Why, with 5 rounds:
- the order-statistic interval of a median from 5 values is [min, max] at
  93.8% confidence: no choice of level, and one odd round sets a bound;
- a bootstrap of 5 values has only 126 distinct resamples and covers less
  than its nominal level at this size;
- a Wilcoxon signed-rank (Hodges-Lehmann) interval of 5 values also tops out
  at 93.8% (1 - 2/32);
- the plain t-interval is exact for normal round effects, but on these
  machines one process in a round now and then runs in the machine's slow
  state (1.4-1.8x, shared/MEASURING.md), and that one round widens it
  past any verdict; the trimmed interval sets the farthest round on each
  side aside (at the cost of width on clean data: 2 degrees of freedom).
tests/tools/test_stats.py checks both intervals' coverage on synthetic data
with a known truth (normal and Student-t(3) noise, an outlier round).

Comparisons (comparison.py) use Student's t on two runs' rounds and the
one-sample t on an ab session's paired rounds: an outlier round makes them
less sure (wider), never falsely sure, and they keep the degrees of freedom
Benjamini-Hochberg over hundreds of rows needs.

Pairing is what makes 5 rounds enough: within a round the compared binaries
run back to back, so a host speed change that hits the round cancels in the
ratio, and the rounds carry the spread that is left.

Multiple comparisons: Benjamini-Hochberg over every row a comparison judges.
(scipy.stats.false_discovery_control arrived in scipy 1.11; Debian 12 ships
1.10, so the step-up procedure is written out below.)
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy
from scipy import stats as sps

LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    """A mean of logs with its interval (lo/hi None with fewer than 2 values)."""
    mean: float
    lo: float | None
    hi: float | None
    n: int
    sd: float

    @property
    def ratio(self) -> float:
        return math.exp(self.mean)

    @property
    def ratio_lo(self) -> float | None:
        return None if self.lo is None else math.exp(self.lo)

    @property
    def ratio_hi(self) -> float | None:
        return None if self.hi is None else math.exp(self.hi)

    @property
    def half_width(self) -> float | None:
        """Half the interval's width in log units (about the relative error)."""
        return None if self.lo is None else (self.hi - self.lo) / 2.0


@dataclass(frozen=True)
class Shift:
    """A change between two sets of logs: `delta` = log(new / base)."""
    delta: float
    lo: float | None
    hi: float | None
    p: float | None
    n_base: int
    n_new: int

    @property
    def change(self) -> float:
        """Relative change, e.g. 0.15 for 15% slower."""
        return math.expm1(self.delta)

    @property
    def half_width(self) -> float | None:
        return None if self.lo is None else (self.hi - self.lo) / 2.0


def logs(values: Sequence[float]) -> list[float]:
    """Natural logs of positive values (non-positive ones are dropped)."""
    return [math.log(v) for v in values if v > 0]


def t_interval(xs: Sequence[float], level: float = LEVEL) -> Interval:
    """Mean of `xs` with its t-interval."""
    xs = [float(x) for x in xs]
    n = len(xs)
    if n == 0:
        raise ValueError("no values")
    mean = float(numpy.mean(xs))
    if n < 2:
        return Interval(mean, None, None, n, 0.0)
    sd = float(numpy.std(xs, ddof=1))
    half = float(sps.t.ppf(0.5 + level / 2.0, n - 1)) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n, sd)


def trimmed_interval(xs: Sequence[float], trim: float = 0.2, level: float = LEVEL) -> Interval:
    """Trimmed mean of `xs` (a fraction `trim` cut from each end) with the
    Tukey-McLaughlin interval; the plain t-interval when nothing is cut."""
    xs = sorted(float(x) for x in xs)
    n = len(xs)
    g = int(math.floor(trim * n))
    if g == 0 or n - 2 * g < 2:
        return t_interval(xs, level)
    mean = float(numpy.mean(xs[g:n - g]))
    wins = [xs[g]] * g + xs[g:n - g] + [xs[n - g - 1]] * g
    sw = float(numpy.std(wins, ddof=1))
    se = sw / ((1.0 - 2.0 * g / n) * math.sqrt(n))
    half = float(sps.t.ppf(0.5 + level / 2.0, n - 2 * g - 1)) * se
    return Interval(mean, mean - half, mean + half, n, sw)


def ratio_interval(ratios: Sequence[float], level: float = LEVEL) -> Interval:
    """Geometric (trimmed) mean of per-round ratios with its interval."""
    return trimmed_interval([math.log(r) for r in ratios], level=level)


def welch(base: Sequence[float], new: Sequence[float], level: float = LEVEL) -> Shift:
    """Unpaired change of the mean between two sets of logs (Welch's t: for
    sides of different sizes or spreads)."""
    a, b = [float(x) for x in base], [float(x) for x in new]
    na, nb = len(a), len(b)
    delta = float(numpy.mean(b) - numpy.mean(a))
    if na < 2 or nb < 2:
        return Shift(delta, None, None, None, na, nb)
    va, vb = float(numpy.var(a, ddof=1)), float(numpy.var(b, ddof=1))
    se2 = va / na + vb / nb
    if se2 == 0.0:
        return Shift(delta, delta, delta, 1.0 if delta == 0 else 0.0, na, nb)
    df = se2 ** 2 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1))
    half = float(sps.t.ppf(0.5 + level / 2.0, df)) * math.sqrt(se2)
    p = float(sps.ttest_ind(b, a, equal_var=False).pvalue)
    return Shift(delta, delta - half, delta + half, p, na, nb)


def student(base: Sequence[float], new: Sequence[float], level: float = LEVEL) -> Shift:
    """Unpaired change of the mean between two sets of logs, pooled variance
    (Student's t). What compare uses for two runs of R rounds each: with
    equal sizes the pooled test keeps its level even when the spreads differ
    (its classic robustness), and it has 2R-2 degrees of freedom where
    Welch's drops towards R-1 (with 5 rounds a side: 8 instead of as few as 4,
    the difference between finding a 15% change under Benjamini-Hochberg over
    hundreds of rows and missing it)."""
    a, b = [float(x) for x in base], [float(x) for x in new]
    na, nb = len(a), len(b)
    delta = float(numpy.mean(b) - numpy.mean(a))
    if na < 2 or nb < 2:
        return Shift(delta, None, None, None, na, nb)
    df = na + nb - 2
    pooled = (float(numpy.var(a, ddof=1)) * (na - 1) + float(numpy.var(b, ddof=1)) * (nb - 1)) / df
    se = math.sqrt(pooled * (1.0 / na + 1.0 / nb))
    if se == 0.0:
        return Shift(delta, delta, delta, 1.0 if delta == 0 else 0.0, na, nb)
    half = float(sps.t.ppf(0.5 + level / 2.0, df)) * se
    p = float(2.0 * sps.t.sf(abs(delta) / se, df))
    return Shift(delta, delta - half, delta + half, p, na, nb)


def paired(diffs: Sequence[float], level: float = LEVEL) -> Shift:
    """Change from paired per-round differences of logs (one-sample t)."""
    d = [float(x) for x in diffs]
    iv = t_interval(d, level)
    if iv.n < 2:
        return Shift(iv.mean, None, None, None, iv.n, iv.n)
    if iv.sd == 0.0:
        return Shift(iv.mean, iv.mean, iv.mean, 1.0 if iv.mean == 0 else 0.0, iv.n, iv.n)
    p = float(sps.ttest_1samp(d, 0.0).pvalue)
    return Shift(iv.mean, iv.lo, iv.hi, p, iv.n, iv.n)


def benjamini_hochberg(pvalues: Sequence[float | None]) -> list[float | None]:
    """BH-adjusted p-values (q-values), in the input order; None stays None.
    A row is significant at FDR level q when its adjusted value is <= q."""
    idx = [i for i, p in enumerate(pvalues) if p is not None]
    m = len(idx)
    out: list[float | None] = [None] * len(pvalues)
    if m == 0:
        return out
    order = sorted(idx, key=lambda i: pvalues[i])
    running = 1.0
    for rank in range(m, 0, -1):  # step-up: from the largest p down
        i = order[rank - 1]
        running = min(running, pvalues[i] * m / rank)
        out[i] = min(1.0, running)
    return out
