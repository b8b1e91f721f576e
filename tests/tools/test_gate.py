"""The callgrind gate: passes against a baseline made from the same driver,
fails, naming the operation and both numbers, for a driver built with a
deliberate slowdown (-DNX_OPCOUNT_PLANT_SLOWDOWN: an extra loop inside the
measured spawn_poll_free path, built only for this test), and reports a
missing baseline clearly. `nxbench baseline` shows the diff it writes.

Drivers come from ctest (tests/tools/CMakeLists.txt) in the environment:
NXBENCH_TEST_DRIVER (normal) and NXBENCH_TEST_SLOW_DRIVER, both malloc."""
import os
import re
import unittest

import tools_testlib as tl
from nxbench_lib import baseline, gate

DRIVER = os.environ.get("NXBENCH_TEST_DRIVER")
SLOW = os.environ.get("NXBENCH_TEST_SLOW_DRIVER")


@unittest.skipUnless(DRIVER and SLOW, "run through ctest (drivers passed in the environment)")
class GateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import tempfile
        cls._tmp = tempfile.TemporaryDirectory(prefix="nxbench-gate-")
        cls.baseline = os.path.join(cls._tmp.name, "baseline.json")
        cls.rc, cls.out, cls.err = tl.run_main(
            baseline, ["--driver", "malloc=" + DRIVER, "--baseline", cls.baseline])

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def gate(self, driver, *extra):
        return tl.run_main(gate, ["--driver", "malloc=" + driver, "--baseline", self.baseline,
                                  *extra])

    def test_baseline_written_with_toolchain(self):
        self.assertEqual(self.rc, 0, self.err)
        data = tl.load_json(self.baseline)
        self.assertEqual(sorted(data["instructions_per_op"]["malloc"]),
                         sorted(("spawn_poll_free", "spawn_prepared_poll_free", "poll_queued",
                                 "self_wake_poll", "wake_other_poll", "waker_clone_drop")))
        self.assertTrue(data["valgrind"].startswith("valgrind-"))
        self.assertTrue(data["compiler"])
        for v in data["instructions_per_op"]["malloc"].values():
            self.assertGreater(v, 1.0)
        self.assertIn("malloc     spawn_poll_free           new ->", self.out)

    def test_passes_against_itself(self):
        rc, out, err = self.gate(DRIVER)
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(len(re.findall(r"^ok   gate: malloc ", out, re.M)), 6, out)
        self.assertIn("gate: 6 passed, 0 failed", out)

    def test_planted_slowdown_fails_naming_op_and_numbers(self):
        rc, out, err = self.gate(SLOW)
        self.assertEqual(rc, 1, out + err)
        base = tl.load_json(self.baseline)["instructions_per_op"]["malloc"]["spawn_poll_free"]
        m = re.search(r"^FAIL gate: malloc spawn_poll_free: ([\d.]+) instructions per "
                      r"operation, baseline ([\d.]+) \(\+([\d.]+)%, tolerance 3%\)$", out, re.M)
        self.assertIsNotNone(m, out)
        self.assertAlmostEqual(float(m.group(2)), base, delta=0.05)
        self.assertGreater(float(m.group(1)), base * 1.03)
        # Only the slowed operation fails.
        self.assertEqual(len(re.findall(r"^FAIL", out, re.M)), 1, out)
        self.assertIn("gate: 5 passed, 1 failed", out)

    def test_tolerance_is_configurable(self):
        rc, out, _ = self.gate(SLOW, "--tolerance", "1000")
        self.assertEqual(rc, 0, out)

    def test_run_gate_for_nxbench_test(self):
        import argparse
        args = argparse.Namespace(driver=["malloc=" + SLOW], baseline=self.baseline)
        import contextlib
        import io
        with contextlib.redirect_stdout(io.StringIO()):
            self.assertEqual(gate.run_gate(args), (5, 1))

    def test_baseline_dry_run_shows_change_and_keeps_file(self):
        before = tl.load_json(self.baseline)
        rc, out, _ = tl.run_main(baseline, ["--driver", "malloc=" + SLOW, "--baseline",
                                            self.baseline, "--dry-run"])
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"malloc +spawn_poll_free +[\d.]+ -> [\d.]+ \(\+[\d.]+%\)"
                              r" +<- changed")
        self.assertRegex(out, r"malloc +poll_queued +[\d.]+ -> [\d.]+ \([+-]0\.0%\)\n")
        self.assertEqual(tl.load_json(self.baseline), before)

    def test_missing_baseline_is_a_clear_failure(self):
        rc, out, _ = tl.run_main(gate, ["--driver", "malloc=" + DRIVER, "--baseline",
                                        "/nonexistent/baseline.json"])
        self.assertEqual(rc, 1)
        self.assertIn("no baseline file /nonexistent/baseline.json", out)
        self.assertIn("nxbench baseline", out)

    def test_mislinked_driver_is_caught(self):
        rc, out, _ = tl.run_main(gate, ["--driver", "jemalloc=" + DRIVER, "--baseline",
                                        self.baseline])
        self.assertEqual(rc, 1)
        self.assertIn("reports backend 'malloc', expected 'jemalloc'", out)


if __name__ == "__main__":
    unittest.main()
