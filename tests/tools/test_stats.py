"""tools/nxbench_lib/stats.py on synthetic data whose truth is known: the
t-interval and the trimmed interval of per-round log ratios cover the true
ratio about 95% of the time with 5 rounds (normal noise, heavy-tailed noise,
an outlier round; the trimmed one stays narrow around a flipped round),
Welch's and the paired t-test keep their false-positive rate and find a 15%
shift, and Benjamini-Hochberg matches hand-computed values."""
import math
import random
import unittest

import numpy
import tools_testlib  # noqa: F401  (import path)
from scipy import stats as sps
from nxbench_lib import stats

TRIALS = 2000


def coverage(draw, truth, rounds=5, trials=TRIALS, interval=stats.t_interval):
    hit = 0
    for _ in range(trials):
        iv = interval([draw() for _ in range(rounds)])
        hit += iv.lo <= truth <= iv.hi
    return hit / trials


class IntervalTest(unittest.TestCase):
    def setUp(self):
        self.rng = random.Random(7)

    def test_normal_noise_covers_95(self):
        truth = math.log(0.52)
        c = coverage(lambda: truth + self.rng.gauss(0, 0.05), truth)
        self.assertAlmostEqual(c, 0.95, delta=0.015)

    def test_heavy_tails_still_cover(self):
        # Student-t with 3 degrees of freedom: occasional far rounds.
        truth = math.log(1.13)

        def draw():
            z = self.rng.gauss(0, 1) / math.sqrt(sum(self.rng.gauss(0, 1) ** 2
                                                     for _ in range(3)) / 3)
            return truth + 0.03 * z
        self.assertGreaterEqual(coverage(draw, truth), 0.93)

    def test_an_outlier_round_widens_instead_of_misleading(self):
        # One round in five hit by a host flip of 2x: the interval must still
        # cover the truth in most trials (it widens), not shift to the flip.
        truth = 0.0
        trials, hit = 2000, 0
        for _ in range(trials):
            xs = [truth + self.rng.gauss(0, 0.03) for _ in range(5)]
            xs[self.rng.randrange(5)] += math.log(2.0) * self.rng.choice((-1, 1))
            iv = stats.t_interval(xs)
            hit += iv.lo <= truth <= iv.hi
        self.assertGreaterEqual(hit / trials, 0.95)

    def test_trimmed_interval_covers(self):
        # What verdicts use: the 20% trimmed mean's interval, on clean and
        # heavy-tailed noise, 5 and 7 rounds.
        truth = math.log(0.76)
        for rounds in (5, 7):
            c = coverage(lambda: truth + self.rng.gauss(0, 0.05), truth, rounds,
                         interval=stats.trimmed_interval)
            self.assertGreaterEqual(c, 0.92, rounds)  # Tukey-McLaughlin runs ~93% at n=5

            def heavy():
                z = self.rng.gauss(0, 1) / math.sqrt(sum(self.rng.gauss(0, 1) ** 2
                                                         for _ in range(3)) / 3)
                return truth + 0.03 * z
            self.assertGreaterEqual(coverage(heavy, truth, rounds,
                                             interval=stats.trimmed_interval), 0.92)

    def test_trimmed_interval_sets_a_flipped_round_aside(self):
        # One round in five 1.6x off (a process in the slow state): the plain
        # interval becomes too wide for any verdict, the trimmed one stays
        # narrow and still covers the truth.
        truth, trials, hit, narrower = math.log(0.7), 1000, 0, 0
        for _ in range(trials):
            xs = [truth + self.rng.gauss(0, 0.03) for _ in range(5)]
            xs[self.rng.randrange(5)] += math.log(1.6) * self.rng.choice((-1, 1))
            t, tr = stats.t_interval(xs), stats.trimmed_interval(xs)
            hit += tr.lo <= truth <= tr.hi
            narrower += tr.half_width < t.half_width / 2
        self.assertGreaterEqual(hit / trials, 0.92)
        self.assertGreaterEqual(narrower / trials, 0.9)

    def test_trimmed_below_5_rounds_is_the_t_interval(self):
        xs = [0.1, 0.2, 0.15]
        a, b = stats.trimmed_interval(xs), stats.t_interval(xs)
        self.assertAlmostEqual(a.lo, b.lo)
        self.assertAlmostEqual(a.hi, b.hi)

    def test_one_value_has_no_interval(self):
        iv = stats.t_interval([0.3])
        self.assertIsNone(iv.lo)
        self.assertIsNone(iv.half_width)

    def test_ratio_interval_is_geometric(self):
        iv = stats.ratio_interval([0.5, 0.5, 0.5])
        self.assertAlmostEqual(iv.ratio, 0.5)
        self.assertAlmostEqual(iv.ratio_lo, 0.5)


class TestsTest(unittest.TestCase):
    def setUp(self):
        self.rng = random.Random(11)

    def test_welch_false_positive_rate(self):
        # Two runs of the same thing, 5 rounds each: p <= 0.05 about 5% of the time.
        hits = sum(stats.welch([self.rng.gauss(0, 0.05) for _ in range(5)],
                               [self.rng.gauss(0, 0.05) for _ in range(5)]).p <= 0.05
                   for _ in range(TRIALS))
        self.assertLessEqual(hits / TRIALS, 0.065)

    def test_welch_finds_15_percent_with_5_rounds(self):
        # 3% noise per round: a 15% shift reaches p <= 0.001 in most tries.
        found = sum(stats.welch([self.rng.gauss(0, 0.03) for _ in range(5)],
                                [math.log(1.15) + self.rng.gauss(0, 0.03) for _ in range(5)]).p
                    <= 0.001 for _ in range(300))
        self.assertGreaterEqual(found / 300, 0.75)

    def test_welch_interval_and_change(self):
        s = stats.welch([0.0, 0.01, -0.01, 0.0, 0.0], [math.log(1.2)] * 4 + [math.log(1.21)])
        self.assertAlmostEqual(s.change, 0.2, delta=0.01)
        self.assertLess(s.lo, s.delta)
        self.assertGreater(s.hi, s.delta)

    def test_identical_sides(self):
        s = stats.welch([1.0, 1.0, 1.0], [1.0, 1.0, 1.0])
        self.assertEqual((s.delta, s.p), (0.0, 1.0))

    def test_paired_cancels_shared_round_factors(self):
        # Rounds move by up to 2x, both sides alike: the paired test sees
        # only the 10% difference; an unpaired one drowns in the spread.
        host = [math.log(f) for f in (1.0, 2.0, 0.7, 1.5, 1.1)]
        base = [h + self.rng.gauss(0, 0.01) for h in host]
        new = [h + math.log(1.10) + self.rng.gauss(0, 0.01) for h in host]
        p = stats.paired([n - b for n, b in zip(new, base)])
        self.assertAlmostEqual(p.change, 0.10, delta=0.03)
        self.assertLess(p.p, 0.001)
        self.assertGreater(stats.welch(base, new).p, 0.3)

    def test_paired_false_positive_rate(self):
        hits = sum(stats.paired([self.rng.gauss(0, 0.05) for _ in range(5)]).p <= 0.05
                   for _ in range(TRIALS))
        self.assertLessEqual(hits / TRIALS, 0.065)


class BenjaminiHochbergTest(unittest.TestCase):
    def test_known_values(self):
        # p sorted: 0.01, 0.02, 0.03, 0.04, 0.05 (m=5): p*m/rank = 0.05 each.
        q = stats.benjamini_hochberg([0.05, 0.01, 0.03, 0.02, 0.04])
        for v in q:
            self.assertAlmostEqual(v, 0.05)
        q = stats.benjamini_hochberg([0.001, 0.2, None, 0.9])
        self.assertAlmostEqual(q[0], 0.003)
        self.assertAlmostEqual(q[1], 0.3)
        self.assertIsNone(q[2])
        self.assertAlmostEqual(q[3], 0.9)

    def test_controls_false_discoveries_over_many_rows(self):
        # 300 rows per comparison, nothing changed (Welch's p, vectorised).
        rng = numpy.random.default_rng(3)
        runs, any_false = 200, 0
        for _ in range(runs):
            a, b = rng.normal(0, 0.05, (300, 5)), rng.normal(0, 0.05, (300, 5))
            ps = list(sps.ttest_ind(b, a, axis=1, equal_var=False).pvalue)
            any_false += any(q <= 0.01 for q in stats.benjamini_hochberg(ps))
        # All nulls true: BH at 0.01 controls the chance of any false row at ~1%.
        self.assertLessEqual(any_false / runs, 0.04)


if __name__ == "__main__":
    unittest.main()
