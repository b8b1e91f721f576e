"""Two real (short) benchmark runs of this build appended to a results
database by `nxbench run` itself, then listed, drawn and checked: the path a
user takes, on real results files rather than fixtures. Form only, no
timing thresholds (the numbers are whatever this machine measured).

Usage: test_history_real.py --build-dir BUILD (a built nxrt CMake folder)."""
import argparse
import contextlib
import io
import os
import sys
import unittest

import tools_testlib as tl
from nxbench_lib import history, historydb, runcmd, trend
from nxbench_lib.fingerprint import git

BUILD = None


class RealRunsTest(unittest.TestCase):
    def test_two_runs_appended_and_drawn(self):
        d = tl.tempdir(self)
        db_path = os.path.join(d, "history.db")
        for i in (1, 2):
            out = io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                rc = runcmd.main(runcmd.run_args(
                    quick=True, rounds=2, case=["spawn_poll_free"], backend=["malloc", "slab"],
                    out=os.path.join(d, "run-%d" % i), no_report=True, build_dir=BUILD,
                    db=db_path, no_history=False))
            self.assertEqual(rc, 0, out.getvalue()[-3000:])
            self.assertIn("history: added run %d in %s" % (i, db_path), out.getvalue())
        with historydb.Database(db_path) as db:
            runs = db.runs()
            self.assertEqual(len(runs), 2)
            self.assertEqual({r["git_commit"] for r in runs}, {git("rev-parse", "HEAD")})
            self.assertEqual(len({r["machine"] for r in runs}), 1)
            rows = db.query("SELECT backend, COUNT(*) AS n FROM nxbench_results "
                            "WHERE case_name = 'spawn_poll_free' GROUP BY backend "
                            "ORDER BY backend")
            # 4 future sizes x 2 modes x 2 rounds x 2 runs per backend.
            self.assertEqual([(r["backend"], r["n"]) for r in rows],
                             [("malloc", 32), ("slab", 32)])
        rc, out, err = tl.run_main(history, ["--db", db_path])
        self.assertEqual(rc, 0, err)
        self.assertIn("2 run(s) on 1 machine(s)", out)
        charts = os.path.join(d, "trend")
        rc, out, err = tl.run_main(trend, ["spawn_poll_free", "--db", db_path, "--mode",
                                           "batched", "--params", "future_bytes=64",
                                           "--out", charts])
        self.assertEqual(rc, 0, err)
        png = os.path.join(charts, "trend-spawn-poll-free-spawn-poll-free-batched-future-bytes-64.png")
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        with open(os.path.join(charts, "trend-spawn-poll-free.html")) as f:
            page = f.read()
        self.assertIn("2 run(s) on 1 machine(s)", page)
        self.assertIn("data:image/png;base64,", page)
        # Without a case: the headline variant the runs' catalogue names.
        headline = os.path.join(d, "headline")
        rc, out, err = tl.run_main(trend, ["--db", db_path, "--out", headline])
        self.assertEqual(rc, 0, err)
        self.assertEqual(sorted(os.listdir(headline)), sorted(os.listdir(charts)), out)
        rc, out, _ = tl.run_main(history, ["check", "--db", db_path])
        self.assertEqual(rc, 0, out)
        self.assertIn("cannot be judged yet", out)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True, help="a built nxrt CMake build folder")
    args, rest = ap.parse_known_args()
    BUILD = os.path.abspath(args.build_dir)
    unittest.main(argv=[sys.argv[0]] + rest)
