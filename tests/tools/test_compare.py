"""`nxbench compare BASE NEW` on SYNTHETIC fixtures with a known truth
(tests/tools/fixtures/make_synthetic_results.py): an A/A is quiet even when
the host moved between the runs; a slowdown planted in one backend is found
in exactly that backend's rows; missing rows, reported errors and unfinished
runs fail; the two files of one ab session are compared round by round;
schema 1 is still read; bad input gets a clear error."""
import json
import os
import unittest

import tools_testlib as tl
from nxbench_lib import CliError, compare


class CompareTest(unittest.TestCase):
    def setUp(self):
        self.d = tl.tempdir(self)

    def results(self, name, *extra):
        return tl.make_results(os.path.join(self.d, name), *extra)

    def run_json(self, base, new, *extra):
        rc, out, err = tl.run_main(compare, [base, new, "--json", *extra])
        return rc, json.loads(out), err

    def flagged(self, data):
        return {(r["backend"], r["case"], r["mode"], json.dumps(r["params"], sort_keys=True))
                for r in data["rows"] if r["verdict"] in ("regressed", "improved")}

    def test_same_file_is_unchanged(self):
        base = self.results("base.json")
        rc, out, err = tl.run_main(compare, [base, base])
        self.assertEqual(rc, 0, out + err)
        self.assertIn("0 regressed, 0 improved", out)
        self.assertEqual(err, "")  # same fingerprint: no warning

    def test_aa_quiet_when_the_host_moved(self):
        # Other noise, other per-round host factors, and the whole second
        # run 1.8x slower (the host moved between the runs).
        for seed in range(3):
            base = self.results("base%d.json" % seed, "--seed", str(10 + seed))
            new = self.results("new%d.json" % seed, "--seed", str(20 + seed), "--host-seed",
                               str(30 + seed), "--host-shift", "1.8")
            rc, data, _ = self.run_json(base, new)
            self.assertEqual(rc, 0)
            self.assertEqual(self.flagged(data), set(), seed)
            self.assertEqual(data["shared"], [], "the floors moved alike: nothing shared")

    def test_ab_found_in_exactly_the_planted_rows(self):
        # +15% in slab's spawning rows, the host 0.6x between the runs, 2%
        # noise per process: every flagged row is a planted one, flagged as
        # regressed. A planted row whose resolution allows 15% (batched) is
        # found or, when 5 rounds cannot decide, "inconclusive", never
        # "unchanged"; single-mode rows here are ~6 TSC steps, too coarse
        # for 15%, and their threshold says so.
        for seed in range(3):
            base = self.results("base%d.json" % seed, "--seed", str(40 + seed))
            new = self.results("new%d.json" % seed, "--seed", str(50 + seed), "--host-seed",
                               str(60 + seed), "--host-shift", "0.6",
                               "--scale", "slab:spawn_poll_free=1.15",
                               "--scale", "slab:spawn_with_live=1.15")
            rc, data, _ = self.run_json(base, new)
            self.assertEqual(rc, 1)
            planted = [r for r in data["rows"] if r["backend"] == "slab" and
                       r["case"] in ("spawn_poll_free", "spawn_with_live")]
            self.assertEqual(len(planted), 16)
            self.assertEqual({f[:2] for f in self.flagged(data)},
                             {("slab", "spawn_poll_free"), ("slab", "spawn_with_live")})
            resolvable = [r["verdict"] for r in planted if r["threshold"] < 0.14]
            self.assertEqual(len(resolvable), 8)
            self.assertGreaterEqual(resolvable.count("regressed"), 7, resolvable)
            self.assertEqual(set(resolvable) - {"regressed", "inconclusive"}, set(), resolvable)
            coarse = [r for r in planted if r["threshold"] >= 0.14]
            self.assertTrue(all(r["mode"] == "single" for r in coarse))

    def test_regression_is_named_in_text(self):
        base = self.results("base.json", "--seed", "1")
        new = self.results("new.json", "--seed", "2", "--scale", "slab:churn=1.4")
        rc, out, _ = tl.run_main(compare, [base, new])
        self.assertEqual(rc, 1)
        self.assertRegex(out, r"REGRESSED: churn batched slab: p50 [\d.]+ -> [\d.]+ \(\+\d+\.\d%")
        self.assertNotIn("REGRESSED: churn batched malloc", out)

    def test_improvement_is_not_failure(self):
        # mimalloc is churn's middle backend (25, 45, 55, 60, 90): its change
        # must not move the others' yardstick.
        base = self.results("base.json", "--seed", "1")
        new = self.results("new.json", "--seed", "2", "--scale", "mimalloc:churn=0.7")
        rc, data, _ = self.run_json(base, new)
        self.assertEqual(rc, 0)
        self.assertEqual({f[:2] for f in self.flagged(data)}, {("mimalloc", "churn")})
        churn = [r for r in data["rows"] if r["case"] == "churn" and r["backend"] == "mimalloc"]
        self.assertEqual({r["verdict"] for r in churn}, {"improved"})
        self.assertTrue(all(r["q"] <= 0.01 for r in churn))

    def test_change_shared_by_every_backend_is_listed_not_judged(self):
        scale = ["--scale=%s:poll_queued=1.3" % b
                 for b in ("malloc", "slab", "jemalloc", "mimalloc", "tcmalloc")]
        base = self.results("base.json", "--seed", "1")
        new = self.results("new.json", "--seed", "2", *scale)
        rc, out, _ = tl.run_main(compare, [base, new])
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"shared by every backend: poll_queued batched: \+2\d\.\d%")
        self.assertIn("nxbench ab", out)

    def test_threshold_is_configurable(self):
        base = self.results("base.json", "--seed", "1")
        new = self.results("new.json", "--seed", "2", "--scale", "slab:churn=1.4")
        rc, _, _ = tl.run_main(compare, [base, new, "--threshold", "60"])
        self.assertEqual(rc, 0)

    def test_beyond_threshold_but_noisy_is_inconclusive(self):
        base = self.results("base.json", "--seed", "1", "--noise", "0.25", "--rounds", "3")
        new = self.results("new.json", "--seed", "2", "--noise", "0.25", "--rounds", "3")
        rc, out, _ = tl.run_main(compare, [base, new])
        self.assertEqual(rc, 0, out)
        self.assertIn("inconclusive", out)
        self.assertIn("beyond the threshold but not significant", out)

    def test_missing_backend_fails_unless_allowed(self):
        base = self.results("base.json")
        new = self.results("new.json", "--seed", "2", "--drop", "tcmalloc")
        rc, out, _ = tl.run_main(compare, [base, new])
        self.assertEqual(rc, 1)
        self.assertIn("problem: backend tcmalloc is missing from NEW", out)
        rc, _, _ = tl.run_main(compare, [base, new, "--allow-missing"])
        self.assertEqual(rc, 0)

    def test_missing_row_fails(self):
        base = self.results("base.json")
        new = self.results("new.json", "--seed", "2", "--drop", "slab:churn")
        rc, out, _ = tl.run_main(compare, [base, new])
        self.assertEqual(rc, 1)
        self.assertIn("only in BASE (missing from NEW): churn batched slab", out)
        self.assertIn("row(s) of BASE are missing from NEW", out)

    def test_errors_and_unfinished_runs_fail(self):
        base = self.results("base.json")
        for extra, text in ((["--error", "slab: churn: exit status 1"], "NEW reported: slab"),
                            (["--incomplete"], "NEW is an unfinished run")):
            new = self.results("new.json", "--seed", "2", *extra)
            rc, out, _ = tl.run_main(compare, [base, new])
            self.assertEqual(rc, 1, out)
            self.assertIn(text, out)

    def test_quantised_rows_are_not_judged(self):
        base = self.results("base.json")
        rc, data, _ = self.run_json(base, base)
        q = [r for r in data["rows"] if r["case"] == "poll_queued" and r["mode"] == "single"]
        self.assertEqual({r["verdict"] for r in q}, {"not judged"})
        self.assertIn("quantised", q[0]["note"])

    def test_base_zero_is_said(self):
        base = self.results("base.json")
        data = tl.load_json(base)
        row = next(r for r in data["results"] if r["backend"] == "slab" and r["case"] == "churn")
        for rnd in row["rounds"]:
            rnd["p50_cycles"] = 0.0
        with open(base, "w") as f:
            json.dump(data, f)
        rc, out, _ = tl.run_main(compare, [base, self.results("new.json", "--seed", "2")])
        self.assertIn("not judged (1 row): base is 0", out)
        self.assertIn("churn batched slab", out)

    def test_ab_session_is_compared_round_by_round(self):
        # Round factors up to +-30% shared by both sides of a round: the
        # paired comparison finds a 15% change that is lost in that spread.
        common = ["--host-noise", "0.3", "--host-seed", "5", "--session", "s1"]
        base = self.results("base.json", "--seed", "1", "--side", "base", *common)
        new = self.results("new.json", "--seed", "2", "--side", "new", *common,
                           "--scale", "jemalloc:churn=1.15")
        rc, data, _ = self.run_json(base, new)
        self.assertTrue(data["paired"])
        self.assertEqual(rc, 1)
        self.assertEqual({f[:2] for f in self.flagged(data)}, {("jemalloc", "churn")})

    def test_schema_1_is_read(self):
        base = self.results("base.json", "--schema", "1", "--rounds", "3")
        new = self.results("new.json", "--seed", "2", "--rounds", "3")
        rc, out, _ = tl.run_main(compare, [base, new])
        self.assertEqual(rc, 0, out)
        self.assertIn("schema-1 file", out)

    def test_json_shape(self):
        base = self.results("base.json")
        new = self.results("new.json", "--seed", "5", "--scale", "malloc:spawn_poll_free=2")
        rc, data, _ = self.run_json(base, new)
        self.assertEqual(rc, 1)
        self.assertTrue(data["regressed"])
        row = next(r for r in data["rows"] if r["case"] == "spawn_poll_free"
                   and r["backend"] == "malloc" and r["params"] == {"future_bytes": 0}
                   and r["mode"] == "batched")
        self.assertEqual(row["verdict"], "regressed")
        self.assertEqual(row["view"], "relative")
        self.assertAlmostEqual(row["change"], 1.0, delta=0.1)
        self.assertEqual((row["rounds_base"], row["rounds_new"]), (5, 5))
        for key in ("thresholds", "fingerprint_differences", "only_in_base", "only_in_new",
                    "summary", "shared", "floors", "problems", "paired"):
            self.assertIn(key, data)

    def test_fingerprint_difference_warns_with_fields(self):
        base = self.results("base.json")
        new = self.results("new.json", "--cpu-model", "Some Other CPU")
        rc, _, err = tl.run_main(compare, [base, new])
        self.assertEqual(rc, 0)
        self.assertIn("warning", err)
        self.assertIn("Some Other CPU", err)


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
        with self.assertRaises(CliError) as cm:
            tl.run_main(compare, args)
        self.assertEqual(cm.exception.exit_code, 2)
        self.assertIn(text, str(cm.exception))

    def test_missing(self):
        self.expect_error([self.good, os.path.join(self.d, "nope.json")], "no such file")

    def test_malformed(self):
        self.expect_error([self.write("{\"schema\": 2,"), self.good], "not valid JSON")

    def test_wrong_schema(self):
        self.expect_error([self.good, self.write({"schema": 7, "fingerprint": {},
                                                  "results": [{}]})], "schema 7")

    def test_no_schema(self):
        self.expect_error([self.good, self.write({"benchmarks": []})], "no 'schema' field")

    def test_bad_round(self):
        data = tl.load_json(self.good)
        data["results"][0]["rounds"][1]["p50_cycles"] = "fast"
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
