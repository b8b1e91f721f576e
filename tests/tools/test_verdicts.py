"""What one run says (verdicts.py, summary.py) on SYNTHETIC runs with a
known truth: paired ratios cancel per-round host moves; the verdicts of the
fixture's levels (slab 0.3x glibc: faster; equal levels: ≈ same) hold in
every one of several runs with other noise and host moves; wide intervals
say "too noisy to rank"; quantised rows get no verdict; the band follows
the control cases; the summary prints it all."""
import os
import unittest

import tools_testlib as tl
from nxbench_lib import results as R
from nxbench_lib import summary
from nxbench_lib import verdicts as V


def analyse(path, reference="malloc"):
    return V.analyse(R.load(path), reference)


def cell(a, label, backend):
    row = next(r for r in a.rows if r.label == label)
    return next(c for c in row.cells if c.backend == backend)


class VerdictTest(unittest.TestCase):
    def setUp(self):
        self.d = tl.tempdir(self)

    def results(self, name, *extra):
        return tl.make_results(os.path.join(self.d, name), *extra)

    def test_known_ratios_and_stable_verdicts(self):
        # Rounds move by ~20% (host), processes by 2%: the verdicts of the
        # fixture's levels must come out the same in every run.
        want = {("spawn_poll_free batched future_bytes=0", "slab"): V.FASTER,      # 18 vs 60
                ("spawn_poll_free batched future_bytes=0", "mimalloc"): V.FASTER,  # 30 vs 60
                ("churn batched", "jemalloc"): V.FASTER,                           # 60 vs 90
                ("poll_queued batched", "slab"): V.SAME,                           # 3 vs 3
                ("waker_clone_drop batched", "tcmalloc"): V.SAME,
                ("spawn_poll_free batched api=post_run, future_bytes=0", "asio"): None}
        for seed in range(4):
            a = analyse(self.results("r%d.json" % seed, "--seed", str(seed), "--host-seed",
                                     str(100 + seed), "--host-noise", "0.2"))
            for (label, backend), verdict in want.items():
                if verdict is None:
                    continue
                self.assertEqual(cell(a, label, backend).verdict, verdict, (seed, label, backend))
            c = cell(a, "spawn_poll_free batched future_bytes=0", "slab")
            self.assertAlmostEqual(c.ratio, 18 / 60, delta=0.02)
            self.assertLess(c.iv.ratio_lo, c.ratio)
            self.assertGreater(c.iv.ratio_hi, c.ratio)
            # The peer's api param folds into its name, beside the backends.
            self.assertEqual(cell(a, "spawn_poll_free batched future_bytes=0",
                                  "asio post_run").verdict, V.SLOWER)

    def test_slower_and_band_edges(self):
        a = analyse(self.results("r.json", "--scale", "tcmalloc:churn=1.03",
                                 "--scale", "mimalloc:churn=1.6"))
        self.assertEqual(cell(a, "churn batched", "mimalloc").verdict, V.FASTER)  # 72 vs 90
        a = analyse(self.results("r2.json", "--scale", "malloc:churn=0.5"))
        # malloc 45 now: jemalloc 60 is slower, mimalloc 45 the same.
        self.assertEqual(cell(a, "churn batched", "jemalloc").verdict, V.SLOWER)
        self.assertEqual(cell(a, "churn batched", "mimalloc").verdict, V.SAME)

    def test_wide_intervals_are_too_noisy_to_rank(self):
        a = analyse(self.results("r.json", "--noise", "0.3", "--rounds", "3"))
        verdicts = [c.verdict for r in a.rows for c in r.cells]
        self.assertIn(V.NOISY, verdicts)
        # Clear differences still rank: 0.3x with 30% noise is below any band.
        self.assertNotIn(V.SLOWER, [cell(a, "spawn_poll_free batched future_bytes=0",
                                         b).verdict for b in ("slab",)])

    def test_quantised_rows_get_no_verdict(self):
        a = analyse(self.results("r.json"))
        row = next(r for r in a.rows if r.label == "poll_queued single")
        self.assertTrue(row.reference.quantised)
        self.assertEqual({c.verdict for c in row.cells}, {V.QUANTISED})

    def test_band_follows_control_cases(self):
        a = analyse(self.results("r.json"))
        self.assertAlmostEqual(a.noise.band, V.MIN_BAND)
        self.assertIn("minimum", a.noise.band_source)
        # Controls 10% apart between backends: the band widens to them.
        scale = ["--scale=%s:%s=%s" % (b, c, f) for c in ("poll_queued", "self_wake_poll",
                                                         "waker_clone_drop")
                 for b, f in (("slab", 1.1), ("jemalloc", 0.9), ("mimalloc", 1.1),
                              ("tcmalloc", 0.9))]
        a = analyse(self.results("r2.json", *scale))
        self.assertAlmostEqual(a.noise.band, 0.1, delta=0.015)
        # One backend 2x off on a control: reported, not folded into the band.
        path = self.results("r3.json", "--scale", "malloc:self_wake_poll=2")
        a = analyse(path)
        self.assertAlmostEqual(a.noise.band, V.MIN_BAND)
        self.assertTrue(any("self_wake_poll" in x for x in a.noise.controls_beyond))
        # ... with the evidence of where the tasks sit.
        text = summary.summary(R.load(path))
        self.assertIn("where the control cases' queued tasks sit", text)
        self.assertIn("malloc 112/11.1k", text)

    def test_floor_gauge(self):
        a = analyse(self.results("r.json", "--host-noise", "0.2"))
        g = next(f for f in a.noise.floors if f.label.startswith("indirect_call batched"))
        self.assertGreater(g.spread, 0.1)          # the rounds moved
        self.assertAlmostEqual(g.drift, 0.0, delta=0.06)  # start and end alike in a round

    def test_summary_text(self):
        text = summary.summary(R.load(self.results("r.json")))
        self.assertIn("ratio to malloc in the same round", text)
        self.assertRegex(text, r"spawn_poll_free batched future_bytes=0 +60\.\d .*0\.\d\d "
                               r"\[0\.\d\d-0\.\d\d\] <")
        self.assertIn("noise gauge:", text)
        self.assertIn("band for '≈ same': +-5.0%", text)
        self.assertIn("within +-16%", text)
        self.assertRegex(text, r"poll_queued single +21\.\d q")

    def test_schema_1_repetitions_are_said(self):
        text = summary.summary(R.load(self.results("r.json", "--schema", "1", "--rounds", "3")))
        self.assertIn("schema-1 repetitions", text)


if __name__ == "__main__":
    unittest.main()
