"""`nxbench compare BASE NEW`: verdicts per row, exit status, --json, the
repetitions rule, fingerprint warnings and clear errors. Inputs are SYNTHETIC
fixtures (tests/tools/fixtures/make_synthetic_results.py)."""
import json
import os
import unittest

import tools_testlib as tl
from nxbench_lib import compare


class CompareTest(unittest.TestCase):
    def setUp(self):
        self.d = tl.tempdir(self)

    def results(self, name, *extra):
        return tl.make_results(os.path.join(self.d, name), *extra)

    def test_same_file_is_unchanged(self):
        base = self.results("base.json", "--repetitions", "5")
        rc, out, err = tl.run_main(compare, [base, base])
        self.assertEqual(rc, 0, out + err)
        self.assertIn("0 regressed, 0 improved", out)
        self.assertEqual(err, "")  # same fingerprint: no warning

    def test_noise_only_is_unchanged(self):
        # Different seeds: +-3% jitter, below the 5% threshold.
        base = self.results("base.json", "--repetitions", "5", "--seed", "1")
        new = self.results("new.json", "--repetitions", "5", "--seed", "2")
        rc, out, _ = tl.run_main(compare, [base, new])
        self.assertEqual(rc, 0, out)

    def test_regression_detected_named_and_exit_1(self):
        base = self.results("base.json", "--repetitions", "5", "--seed", "1")
        new = self.results("new.json", "--repetitions", "5", "--seed", "2",
                           "--scale", "slab:poll_queued=1.4")
        rc, out, _ = tl.run_main(compare, [base, new])
        self.assertEqual(rc, 1)
        self.assertRegex(out, r"REGRESSED: poll_queued +batched slab: p50 [\d.]+ -> [\d.]+ "
                              r"cycles \(\+\d+\.\d%\)")
        self.assertNotIn("REGRESSED: poll_queued  batched malloc", out)

    def test_improvement_is_not_failure(self):
        base = self.results("base.json", "--repetitions", "5", "--seed", "1")
        new = self.results("new.json", "--repetitions", "5", "--seed", "2",
                           "--scale", "mimalloc:churn=0.7")
        rc, out, _ = tl.run_main(compare, [base, new, "--json"])
        self.assertEqual(rc, 0)
        data = json.loads(out)
        churn = [r for r in data["rows"] if r["case"] == "churn" and r["backend"] == "mimalloc"]
        self.assertEqual({r["verdict"] for r in churn}, {"improved"})
        self.assertLessEqual(churn[0]["p50"]["p_value"], 0.05)

    def test_threshold_is_configurable(self):
        base = self.results("base.json", "--repetitions", "5", "--seed", "1")
        new = self.results("new.json", "--repetitions", "5", "--seed", "2",
                           "--scale", "slab:poll_queued=1.4")
        rc, _, _ = tl.run_main(compare, [base, new, "--threshold-p50", "60",
                                         "--threshold-p99", "60"])
        self.assertEqual(rc, 0)

    def test_json_shape(self):
        base = self.results("base.json", "--repetitions", "3")
        new = self.results("new.json", "--repetitions", "3", "--seed", "5",
                           "--scale", "malloc:spawn_poll_free=2")
        rc, out, _ = tl.run_main(compare, [base, new, "--json"])
        self.assertEqual(rc, 1)
        data = json.loads(out)
        self.assertTrue(data["regressed"])
        row = next(r for r in data["rows"] if r["case"] == "spawn_poll_free"
                   and r["backend"] == "malloc" and r["params"] == {"future_bytes": 0}
                   and r["mode"] == "batched")
        self.assertEqual(row["verdict"], "regressed")
        self.assertAlmostEqual(row["p50"]["change_pct"], 100.0, delta=10)
        self.assertEqual((row["reps_base"], row["reps_new"]), (3, 3))
        for key in ("thresholds", "fingerprint_differences", "only_in_base", "only_in_new",
                    "summary"):
            self.assertIn(key, data)

    def test_too_few_repetitions_said_and_thresholds_decide(self):
        base = self.results("base.json", "--repetitions", "1", "--seed", "1")
        new = self.results("new.json", "--repetitions", "1", "--seed", "2",
                           "--scale", "slab:poll_queued=1.4")
        rc, out, _ = tl.run_main(compare, [base, new])
        self.assertEqual(rc, 1)
        self.assertIn("too few repetitions (1 base, 1 new", out)
        rc, out, _ = tl.run_main(compare, [base, new, "--json"])
        row = next(r for r in json.loads(out)["rows"] if r["backend"] == "slab"
                   and r["case"] == "poll_queued")
        self.assertIsNone(row["p50"]["p_value"])

    def test_fingerprint_difference_warns_with_fields(self):
        base = self.results("base.json")
        new = self.results("new.json", "--cpu-model", "Some Other CPU")
        rc, _, err = tl.run_main(compare, [base, new])
        self.assertEqual(rc, 0)
        self.assertIn("warning", err)
        self.assertIn("cpu_model", err)
        self.assertIn("Some Other CPU", err)

    def test_rows_only_on_one_side_are_listed(self):
        base = self.results("base.json")
        new = self.results("new.json", "--no-peers")
        rc, out, _ = tl.run_main(compare, [base, new])
        self.assertEqual(rc, 0)
        self.assertIn("only in BASE (missing from NEW): spawn_poll_free api=post_run, "
                      "future_bytes=0 batched asio", out)


class CompareErrorsTest(unittest.TestCase):
    def setUp(self):
        self.d = tl.tempdir(self)
        self.good = tl.make_results(os.path.join(self.d, "good.json"))

    def write(self, content):
        path = os.path.join(self.d, "bad.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(content if isinstance(content, str) else json.dumps(content))
        return path

    def expect_error(self, args, text):
        rc, out, err = tl.run_main(compare, args)
        self.assertEqual(rc, 2, out + err)
        self.assertIn(text, err)
        self.assertEqual(out, "")

    def test_missing(self):
        self.expect_error([self.good, os.path.join(self.d, "nope.json")], "no such file")

    def test_malformed(self):
        self.expect_error([self.write("{\"schema\": 1,"), self.good], "not valid JSON")

    def test_wrong_schema(self):
        self.expect_error([self.good, self.write({"schema": 7, "fingerprint": {},
                                                  "results": [{}]})], "schema 7")

    def test_no_schema(self):
        self.expect_error([self.good, self.write({"benchmarks": []})], "no 'schema' field")

    def test_bad_row(self):
        data = tl.load_json(self.good)
        data["results"][0]["p50_cycles"] = "fast"
        self.expect_error([self.good, self.write(data)], "'p50_cycles' must be a finite number")

    def test_nothing_in_common(self):
        data = tl.load_json(self.good)
        for r in data["results"]:
            r["case"] = "other_" + r["case"]
        self.expect_error([self.good, self.write(data)], "no (case, params, mode, backend) in "
                                                         "common")

    def test_bad_alpha(self):
        self.expect_error([self.good, self.good, "--alpha", "2"], "--alpha")


if __name__ == "__main__":
    unittest.main()
