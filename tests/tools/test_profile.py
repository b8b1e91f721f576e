"""`nxbench profile CASE`: per-operation counts with simulated caches, the
executor/allocator split, top functions, raw callgrind files kept, and the
table picked up by `nxbench report` in the same folder. Uses the malloc
driver ctest passes in NXBENCH_TEST_DRIVER."""
import os
import unittest

import tools_testlib as tl
from nxbench_lib import profile, report
from nxbench_lib import report_callgrind as rc

DRIVER = os.environ.get("NXBENCH_TEST_DRIVER")

# A driver that only lists its operations (the real one's --list format).
FAKE_LIST = """#!/bin/sh
[ "$1" = "--list" ] || exit 0
echo "spawn_poll_free    future_bytes             gate  spawn a future"
echo "poll_queued        -                        gate  wake and poll"
echo "spawn_with_live    future_bytes,live_tasks  -     spawn with live tasks"
"""


class ProfileErrorsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import tempfile
        cls._tmp = tempfile.TemporaryDirectory(prefix="nxbench-profile-")
        cls.fake = os.path.join(cls._tmp.name, "fake_driver")
        with open(cls.fake, "w", encoding="utf-8") as f:
            f.write(FAKE_LIST)
        os.chmod(cls.fake, 0o755)

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def run_profile(self, *argv):
        return tl.run_main(profile, list(argv) + ["--driver", "malloc=" + self.fake,
                                                  "--build-dir", self._tmp.name])

    def test_unknown_case(self):
        rc_, _, err = self.run_profile("no_such_case")
        self.assertEqual(rc_, 2)
        self.assertIn("unknown case 'no_such_case'", err)
        self.assertIn("spawn_poll_free, poll_queued, spawn_with_live", err)

    def test_cross_thread_case_explains(self):
        rc_, _, err = self.run_profile("cross_wake_busy")
        self.assertEqual(rc_, 2)
        self.assertIn("two threads", err)

    def test_case_without_driver_operation(self):
        rc_, _, err = self.run_profile("timer_fire")
        self.assertEqual(rc_, 2)
        self.assertIn("no operation in the opcount driver", err)

    def test_param_for_wrong_case(self):
        rc_, _, err = self.run_profile("poll_queued", "--future-bytes", "64")
        self.assertEqual(rc_, 2)
        self.assertIn("--future-bytes applies to spawn_poll_free and spawn_with_live", err)
        rc_, _, err = self.run_profile("spawn_poll_free", "--live-tasks", "5")
        self.assertIn("--live-tasks applies to spawn_with_live", err)


@unittest.skipUnless(DRIVER, "run through ctest (driver passed in the environment)")
class ProfileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import tempfile
        cls._tmp = tempfile.TemporaryDirectory(prefix="nxbench-profile-")
        cls.dir = cls._tmp.name
        cls.rc, cls.out, cls.err = tl.run_main(
            profile, ["spawn_poll_free", "--future-bytes", "64", "--driver", "malloc=" + DRIVER,
                      "--out", cls.dir])

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def test_table_printed(self):
        self.assertEqual(self.rc, 0, self.err)
        self.assertIn("| backend | instructions | executor | allocator | L1 misses | "
                      "LL misses | branch mispred. |", self.out)
        self.assertRegex(self.out, r"\| malloc \| \d+\.\d \| \d+\.\d \| \d+\.\d \|")

    def test_json_rows(self):
        data = tl.load_json(os.path.join(self.dir, "profile-spawn_poll_free_future_bytes_64.json"))
        self.assertEqual(data["case"], "spawn_poll_free:future_bytes=64")
        (row,) = data["rows"]
        self.assertEqual(row["backend"], "malloc")
        self.assertGreater(row["instructions"], 10)
        for key in ("l1_misses", "ll_misses", "branch_mispredicts"):
            self.assertGreaterEqual(row[key], 0.0)
        # glibc malloc's own functions are the allocator's share; nx_spawn the executor's.
        self.assertGreater(row["split"]["executor"], 0)
        self.assertGreater(row["split"]["allocator"], 0)
        self.assertAlmostEqual(sum(row["split"].values()), row["instructions"], delta=0.5)
        kinds = {t["function"]: t["kind"] for t in row["top_functions"]}
        self.assertEqual(kinds.get("nx_spawn"), "executor")
        self.assertTrue(any(k == "allocator" for k in kinds.values()), kinds)

    def test_raw_files_kept_and_readable(self):
        data = tl.load_json(os.path.join(self.dir, "profile-spawn_poll_free_future_bytes_64.json"))
        path = os.path.join(self.dir, data["rows"][0]["callgrind_file"])
        self.assertTrue(os.path.exists(path), path)
        label, events = rc.parse_dump(path)
        self.assertEqual(label, "spawn_poll_free:future_bytes=64@6144")
        self.assertIn("D1mr", events)  # cache simulation was on
        self.assertIn("Bcm", events)   # branch simulation was on

    def test_report_includes_profile(self):
        results = tl.make_results(os.path.join(self.dir, "results.json"))
        rc_, _, err = tl.run_main(report, [results])
        self.assertEqual(rc_, 0, err)
        with open(os.path.join(self.dir, "report.md"), encoding="utf-8") as f:
            md = f.read()
        self.assertIn("## Per-operation profile", md)
        self.assertRegex(md, r"\| malloc \| spawn_poll_free:future_bytes=64 \| \d")
        self.assertIn("| nx_spawn |", md)


if __name__ == "__main__":
    unittest.main()
