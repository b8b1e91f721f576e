"""The results database (tools/nxbench_lib/historydb.py, history.py,
trends.py, changepoints.py, history_check.py) against SQLite: append and
re-import, migration from an older schema, the planted step found at its
commit, no alert on a flat noisy series, the CI alert and its summary,
machines kept apart. test_history_postgres.py runs the same tests against a
real PostgreSQL server. Every run here is a SYNTHETIC fixture
(history_testlib.py)."""
import json
import math
import os
import unittest

import history_testlib as hl
import tools_testlib as tl
from nxbench_lib import CliError
from nxbench_lib import changepoints as CP
from nxbench_lib import history
from nxbench_lib import history_keys as K
from nxbench_lib import history_schema as S
from nxbench_lib import historydb as H
from nxbench_lib import trend
from nxbench_lib import trends as T


class HistoryTests:
    """Mixed into a unittest.TestCase that defines new_target() -> a fresh
    empty database (path or URL)."""

    def setUp(self):
        self.where = self.new_target()
        self.dir = tl.tempdir(self)

    def db(self, **kw):
        d = H.Database(self.where, **kw)
        self.addCleanup(d.close)
        return d

    def cli(self, module, *argv):
        return run_cli(module, [*argv, "--db", self.where])

    def write_runs(self, runs):
        paths = []
        for i, data in enumerate(runs):
            d = os.path.join(self.dir, "run-%03d" % i)
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "results.json"), "w") as f:
                json.dump(data, f)
            paths.append(d)
        return paths

    def count(self, db, table):
        return db.query("SELECT COUNT(*) AS n FROM %s" % table)[0]["n"]

    def add(self, runs):
        db = self.db()
        for data in runs:
            db.add_run(data, "test")
        return db

    # -- append, re-import, the view ----------------------------------------

    def test_import_twice_adds_once(self):
        self.write_runs(hl.series(3))
        rc, out, err = self.cli(history, "import", self.dir)
        self.assertEqual(rc, 0, err + out)
        self.assertIn("3 added, 0 already there", out)
        db = self.db()
        before = [self.count(db, t) for t in ("nxbench_runs", "nxbench_rows", "nxbench_rounds")]
        self.assertEqual(before, [3, 9, 45])
        rc, out, _ = self.cli(history, "import", self.dir, os.path.join(self.dir, "run-001"))
        self.assertEqual(rc, 0)
        self.assertIn("0 added, 4 already there", out)
        after = [self.count(db, t) for t in ("nxbench_runs", "nxbench_rows", "nxbench_rounds")]
        self.assertEqual(after, before)
        # The same run written again by another path (a copied CI artifact).
        run_id, added = db.add_run(json.loads(json.dumps(hl.series(3)[2])), "copy")
        self.assertFalse(added)

    def test_unfinished_and_broken_files_are_skipped_others_kept(self):
        runs = hl.series(2)
        runs[1]["complete"] = False
        paths = self.write_runs(runs)
        bad = os.path.join(self.dir, "bad", "results.json")
        os.makedirs(os.path.dirname(bad))
        with open(bad, "w") as f:
            f.write("{not json")
        rc, out, _ = self.cli(history, "import", paths[0], paths[1], bad)
        self.assertEqual(rc, 1)
        self.assertIn("unfinished run", out)
        self.assertIn("not valid JSON", out)
        self.assertIn("1 added, 0 already there, 2 skipped", out)
        self.assertEqual(self.count(self.db(), "nxbench_runs"), 1)

    def test_schema_1_file_imports(self):
        path = tl.make_results(os.path.join(self.dir, "v1.json"), "--schema", "1")
        rc, out, err = self.cli(history, "import", path)
        self.assertEqual(rc, 0, err + out)
        rows = self.db().query("SELECT COUNT(DISTINCT round) AS n FROM nxbench_results "
                               "WHERE backend = 'slab'")
        self.assertEqual(rows[0]["n"], 5)

    def test_view_has_every_round(self):
        self.add(hl.series(4))
        rows = self.db().query("SELECT git_commit, round, p50_cycles FROM nxbench_results "
                               "WHERE backend = 'slab' AND case_name = 'spawn_poll_free' "
                               "ORDER BY started, round")
        self.assertEqual(len(rows), 4 * 5)
        self.assertEqual(rows[0]["git_commit"], hl.COMMITS[0])
        self.assertTrue(all(15 < r["p50_cycles"] < 25 for r in rows))

    def test_list_filters(self):
        db = self.db()
        for i, data in enumerate(hl.series(4)):
            db.add_run(data, "test", branch="main" if i < 3 else "topic")
        db.add_run(hl.run(10, hl.numpy.random.default_rng(5), machine="synthetic-b"), "test")
        rc, out, _ = self.cli(history, "--branch", "topic")
        self.assertEqual(rc, 0)
        self.assertIn("1 run(s) on 1 machine(s)", out)
        rc, out, _ = self.cli(history, "--since", "2026-01-01T02:00")
        self.assertIn("3 run(s) on 2 machine(s)", out)
        rc, out, _ = self.cli(history, "--machine", "synthetic-b", "--json")
        listed = json.loads(out)
        self.assertEqual([r["git_commit"] for r in listed], [hl.COMMITS[10]])
        rc, out, _ = self.cli(history, "machines")
        self.assertEqual(out.count(" run(s) "), 2)
        self.assertIn("never raw cycles", out)

    def test_machine_is_the_host_and_build_not_the_selection(self):
        fp = dict(hl.fingerprint(), libraries={"glibc": "2.36", "benchmark": "1.7.1",
                                               "hwloc": "2.9.0", "nxrt": "0.1.0"})
        full = dict(fp, libraries=dict(fp["libraries"], boost="1_74", libuv="1.44.2"),
                    backend_versions={"jemalloc": "5.3.0"}, tsc_ghz=2.4961)
        self.assertEqual(K.machine_key(fp), K.machine_key(full))
        self.assertEqual(K.machine_key(fp), K.machine_key(
            dict(fp, libraries=dict(fp["libraries"], nxrt="0.2.0"))))
        for change in ({"cpu_model_hwloc": "other"}, {"tsc_ghz": 2.1},
                       {"libraries": dict(fp["libraries"], glibc="2.41")}, {"kernel": "6.1"}):
            self.assertNotEqual(K.machine_key(fp), K.machine_key(dict(fp, **change)), change)

    # -- migration ------------------------------------------------------------

    def test_migrates_a_version_1_database(self):
        old = self.db(migrate=False)
        old.migrate(upto=1)
        self.assertEqual(old.version(), 1)
        # A run as version 1 stored it (no branch column, no views).
        old.execute("INSERT INTO nxbench_machines (machine_key, cpu_model, cores, kernel, "
                    "compiler, description) VALUES ('m1', 'SYNTHETIC', 2, 'k', 'c', '{}')")
        old.execute("INSERT INTO nxbench_runs (run_key, machine_id, git_commit, git_dirty, "
                    "started, imported, command, source, quick, rounds, reference, tsc_ghz, "
                    "tsc_step_cycles, errors, fingerprint) VALUES ('k1', 1, 'abc', 0, "
                    "'2025-12-01T00:00:00+00:00', 'now', 'old run', 'x', 0, 1, 'malloc', 2.5, "
                    "1, 0, '{}')")
        old.execute("INSERT INTO nxbench_rows (run_id, backend, kind, case_name, params, mode, "
                    "p50_cycles, p99_cycles, quantised) VALUES (1, 'slab', 'executor', "
                    "'spawn_poll_free', '{\"future_bytes\":64}', 'batched', 20, 40, 0)")
        old.execute("INSERT INTO nxbench_rounds (row_id, round, p50_cycles) VALUES (1, 0, 20)")
        old.close()
        with self.assertRaises(Exception):
            self.db(migrate=False).query("SELECT * FROM nxbench_results")
        db = self.db()
        self.assertEqual(db.version(), S.SCHEMA_VERSION)
        runs = db.runs()
        self.assertEqual([(r["git_commit"], r["branch"]) for r in runs], [("abc", None)])
        self.assertEqual(db.query("SELECT p50_cycles FROM nxbench_results")[0]["p50_cycles"], 20)
        db.add_run(hl.series(1)[0], "test", branch="main")
        self.assertEqual([r["branch"] for r in db.runs()], [None, "main"])

    def test_newer_database_is_refused(self):
        db = self.db()
        db.execute("UPDATE nxbench_meta SET value = '99' WHERE key = 'schema_version'")
        with self.assertRaises(CliError) as cm:
            self.db()
        self.assertEqual(cm.exception.exit_code, 2)
        self.assertIn("schema version 99", str(cm.exception))

    # -- change points and the alert -------------------------------------------

    def slab_series(self, db, metric):
        runs = db.runs()
        found = [s for s in T.build(db, runs, "spawn_poll_free", metric, fields=("p50",))
                 if s.backend == "slab"]
        self.assertEqual(len(found), 1)
        return found[0]

    def test_planted_step_found_at_its_commit(self):
        # 30 runs; from run 20 on the slab costs 10% more. The host factor
        # (5% per round) moves every row alike and cancels in the ratios.
        db = self.add(hl.series(30, step_at=20, factor=1.10, noise=0.02, host=0.05, seed=3))
        for metric in ("ratio", "floor"):
            s = self.slab_series(db, metric)
            self.assertEqual(len(s.changes), 1, (metric, s.changes))
            cp = s.changes[0]
            before, after = T.step_range(s, cp)
            self.assertEqual(after["git_commit"], hl.COMMITS[20], metric)
            self.assertEqual(before["git_commit"], hl.COMMITS[19], metric)
            self.assertAlmostEqual(cp.change, 0.10, delta=0.03)
        # The reference has no step against its floor.
        malloc = [s for s in T.build(db, db.runs(), "spawn_poll_free", "floor", fields=("p50",))
                  if s.backend == "malloc"][0]
        self.assertEqual(malloc.changes, [])
        rc, out, err = self.cli(trend, "spawn_poll_free", "--out", self.dir)
        self.assertEqual(rc, 0, err)
        self.assertIn("slab p50: +", out)
        self.assertIn(hl.COMMITS[20][:10], out)

    def test_flat_noisy_series_no_step_no_alert(self):
        for seed in range(5):
            with self.subTest(seed=seed):
                where = self.new_target()
                db = H.Database(where)
                self.addCleanup(db.close)
                for data in hl.series(30, noise=0.03, host=0.08, seed=100 + seed):
                    db.add_run(data, "test")
                for metric in ("ratio", "floor", "cycles"):
                    self.assertEqual(self.slab_series(db, metric).changes, [], metric)
                rc, out, err = run_cli(history, ["check", "--db", where])
                self.assertEqual(rc, 0, out + err)
                self.assertIn("no step up beyond 10.0%", out)

    def test_check_alerts_when_the_latest_run_starts_a_regression(self):
        runs = hl.series(25, seed=7) + [hl.run(25, hl.numpy.random.default_rng(8),
                                               slab_factor=1.25)]
        self.add(runs)
        summary = os.path.join(self.dir, "summary.md")
        rc, out, err = self.cli(history, "check", "--markdown", summary)
        self.assertEqual(rc, 1, out + err)
        self.assertIn("REGRESSION spawn_poll_free batched future_bytes=64 slab", out)
        self.assertIn("first commit after the step %s" % hl.COMMITS[25][:10], out)
        self.assertIn("regression(s) beyond 10.0%", err)
        with open(summary) as f:
            md = f.read()
        self.assertIn("## nxbench history: ", md)
        self.assertRegex(md, r"\| spawn_poll_free batched future_bytes=64 \| slab \| p50 / "
                             r"malloc \| \+2\d\.\d%% \| `%s` \|" % hl.COMMITS[25][:10])
        self.assertIn("never raw cycles", md)
        # Beyond the step's size: no alert.
        rc, out, _ = self.cli(history, "check", "--threshold", "40")
        self.assertEqual(rc, 0, out)
        # An older run judged: nothing starts there.
        rc, out, _ = self.cli(history, "check", "--run", "20")
        self.assertEqual(rc, 0, out)

    def test_check_keeps_to_the_latest_runs_machine(self):
        # A machine whose slab is 25% slower throughout is not a step.
        rng = hl.numpy.random.default_rng(9)
        db = self.add(hl.series(12, seed=9))
        for i in range(12, 20):
            db.add_run(hl.run(i, rng, slab_factor=1.25, machine="synthetic-b"), "test")
        rc, out, _ = self.cli(history, "check")
        self.assertEqual(rc, 0, out)
        self.assertIn("against 7 earlier run(s)", out)
        # The other machine's newest run, judged against its own 11.
        rc, out, _ = self.cli(history, "check", "--machine", "synthetic-a")
        self.assertEqual(rc, 0, out)
        self.assertIn("against 11 earlier run(s)", out)
        rc, _, err = self.cli(history, "check", "--machine", "no-such-machine")
        self.assertEqual(rc, 2)
        self.assertIn("machine no-such-machine is not in", err)

    def test_trend_refuses_raw_cycles_across_machines(self):
        rng = hl.numpy.random.default_rng(4)
        db = self.add(hl.series(3))
        db.add_run(hl.run(5, rng, machine="synthetic-b"), "test")
        rc, out, err = self.cli(trend, "spawn_poll_free", "--metric", "cycles", "--out", self.dir)
        self.assertEqual(rc, 2)
        self.assertIn("not comparable between machines", err)
        rc, out, err = self.cli(trend, "spawn_poll_free", "--out", self.dir)
        self.assertEqual(rc, 0, err)
        with open(os.path.join(self.dir, "trend-spawn-poll-free.html")) as f:
            page = f.read()
        self.assertIn("never raw cycles", page)
        self.assertIn("p50 / malloc", page)


def run_cli(module, argv):
    """tl.run_main, with a CliError turned into (exit code, '', message) as
    the CLI prints it."""
    try:
        return tl.run_main(module, argv)
    except CliError as e:
        return e.exit_code, "", str(e)


class SQLiteHistoryTest(HistoryTests, unittest.TestCase):
    def new_target(self):
        return os.path.join(tl.tempdir(self), "history.db")


class ChangePointTest(unittest.TestCase):
    """changepoints.py on bare series (logs), with a known truth."""

    def test_step_found_at_its_index(self):
        hits = 0
        for seed in range(20):
            rng = hl.numpy.random.default_rng(500 + seed)
            x = rng.normal(0.0, 0.02, 40)
            x[25:] += math.log(1.10)
            cps = CP.detect(x)
            self.assertEqual(len(cps), 1, (seed, cps))
            self.assertLessEqual(abs(cps[0].index - 25), 1, seed)
            hits += cps[0].index == 25
        self.assertGreaterEqual(hits, 18)

    def test_flat_series_has_none(self):
        for seed in range(20):
            rng = hl.numpy.random.default_rng(900 + seed)
            self.assertEqual(CP.detect(rng.normal(0.0, 0.03, 40)), [], seed)

    def test_newest_value_alone(self):
        rng = hl.numpy.random.default_rng(11)
        x = list(rng.normal(0.0, 0.01, 20)) + [math.log(1.2)]
        cps = CP.detect(x)
        self.assertEqual([c.index for c in cps], [20])
        self.assertAlmostEqual(cps[0].change, 0.2, delta=0.03)
        self.assertEqual(CP.detect(x[:-1]), [])

    def test_newest_far_off_does_not_hide_an_older_step(self):
        # A step down at 8, then the newest value 40% up: its spread would
        # swamp the whole series' first split; both steps are found.
        rng = hl.numpy.random.default_rng(2)
        x = list(rng.normal(0.0, 0.01, 20))
        x[8:] = [v + math.log(0.85) for v in x[8:]]
        x.append(math.log(1.2))
        self.assertEqual([c.index for c in CP.detect(x)], [8, 20])

    def test_two_steps(self):
        x = [0.0] * 10 + [0.1] * 10 + [0.2] * 10
        x = [v + 0.005 * ((i * 7) % 5 - 2) for i, v in enumerate(x)]
        self.assertEqual([c.index for c in CP.detect(x)], [10, 20])

    def test_deterministic(self):
        rng = hl.numpy.random.default_rng(3)
        x = rng.normal(0.0, 0.02, 50)
        x[30:] += 0.1
        self.assertEqual(CP.detect(x), CP.detect(list(x)))


if __name__ == "__main__":
    unittest.main()
