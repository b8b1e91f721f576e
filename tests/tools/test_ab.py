"""`nxbench ab`: in every round a backend's base and new process run back
to back; an interleaved session's state splits into a base and a new
results file of one pairing session (the floors, run once per round, in
both), which compare then judges round by round; bad input (no --base, an
unknown revision, fewer than 2 rounds, --resume with other options) gets a
clear error before anything is built. The real interleaved run is
tests/bench/test_aa_real.py."""
import argparse
import os
import pathlib
import unittest

import tools_testlib as tl
from nxbench_lib import CliError, ab, comparison, results, runplan


def state_from(base_doc, new_doc):
    """The combined state an ab session keeps, from two synthetic files."""
    rows = [dict(r, side="base") for r in base_doc["results"] if r["kind"] != "floor"]
    rows += [dict(r, side="new") for r in new_doc["results"] if r["kind"] != "floor"]
    rows += [r for r in new_doc["results"] if r["kind"] == "floor"]
    plan = dict(new_doc["plan"], ab={"session": "s1", "base_rev": "HEAD~1",
                                     "base_commit": "0" * 40})
    return dict(new_doc, results=rows, plan=plan,
                fingerprints={"base": dict(base_doc["fingerprint"], git_commit="base"),
                              "new": new_doc["fingerprint"]})


class SidesTest(unittest.TestCase):
    def test_sides_pair_and_decide(self):
        d = tl.tempdir(self)
        common = ["--host-noise", "0.3", "--host-seed", "9"]
        base = results.load(tl.make_results(os.path.join(d, "b.json"), "--seed", "1", *common))
        new = results.load(tl.make_results(os.path.join(d, "n.json"), "--seed", "2", *common,
                                           "--scale", "tcmalloc:churn=1.3"))
        ab.save_sides(state_from(base, new), pathlib.Path(d))
        b, n = results.load(os.path.join(d, "base")), results.load(os.path.join(d, "new"))
        self.assertEqual(b["pairing"], {"session": "s1", "side": "base"})
        self.assertEqual(n["pairing"]["side"], "new")
        self.assertEqual(b["fingerprint"]["git_commit"], "base")
        for doc in (b, n):
            self.assertTrue(any(r["kind"] == "floor" for r in doc["results"]))
            self.assertFalse(any("side" in r for r in doc["results"]))
        res = comparison.compare(b, n)
        self.assertTrue(res["paired"])
        flagged = {(r["backend"], r["case"]) for r in res["rows"]
                   if r["verdict"] in ("regressed", "improved")}
        self.assertEqual(flagged, {("tcmalloc", "churn")})


class OrderTest(unittest.TestCase):
    def test_pairs_run_back_to_back(self):
        # A session's plan: the floor, then base and new of three backends.
        jobs = [{"label": "new_floor", "kind": "floor", "backend": "floor",
                 "families": ["indirect_call"]}]
        for side in ("base", "new"):
            for b in ("malloc", "slab", "jemalloc"):
                jobs.append({"label": "%s_%s" % (side, b), "kind": "executor", "backend": b,
                             "side": side, "families": ["spawn_poll_free/future_bytes:0",
                                                        "churn/live_tasks:10000"]})
        plan = {"seed": 7, "jobs": jobs}
        orders = set()
        for i in range(6):
            slots = runplan.round_slots(plan, i)
            self.assertEqual([s[1] for s in (slots[0], slots[-1])], ["start", "end"])
            labels = [s[0] for s in slots[1:-1]]
            self.assertEqual(len(labels), 12)
            for k in range(0, 12, 2):  # every pair: one backend, both sides
                a, b = labels[k], labels[k + 1]
                self.assertEqual(a.split("_", 1)[1], b.split("_", 1)[1], labels)
                self.assertNotEqual(a.split("_")[0], b.split("_")[0], labels)
            orders.add(tuple(labels))
        self.assertGreater(len(orders), 3, "the order changes from round to round")


class ErrorsTest(unittest.TestCase):
    def args(self, **kw):
        a = dict(base=None, rounds=None, quick=False, backend=None, case=None, seed=None,
                 out=None, build_dir=None, base_build_dir=None, resume=None, threshold=5.0,
                 alpha=0.01, metric="p50", unit="cycles", allow_missing=False, json=False,
                 all=False)
        a.update(kw)
        return argparse.Namespace(**a)

    def expect(self, text, **kw):
        with self.assertRaises(CliError) as cm:
            ab.main(self.args(**kw))
        self.assertIn(text, str(cm.exception))
        self.assertEqual(cm.exception.exit_code, 2)

    def test_errors(self):
        self.expect("--base REV is required")
        self.expect("not a commit", base="no-such-revision-anywhere")
        self.expect("at least 2", base="HEAD", rounds=1)
        self.expect("drop --base", resume="/tmp", base="HEAD")
        self.expect("--alpha", base="HEAD", alpha=3.0)


if __name__ == "__main__":
    unittest.main()
