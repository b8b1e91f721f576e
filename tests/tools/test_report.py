"""`nxbench report` writes report.md and a self-contained report.html from a
results file (here a SYNTHETIC fixture, schema 2 and schema 1): it opens
with the ranked summary and the noise gauge, shows every ratio with its
interval and every chart with each round's range, and rejects bad input
clearly."""
import base64
import json
import os
import re
import unittest

import tools_testlib as tl
from nxbench_lib import CliError, report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class ReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import tempfile
        cls._tmp = tempfile.TemporaryDirectory(prefix="nxbench-report-")
        cls.dir = cls._tmp.name
        tl.make_results(os.path.join(cls.dir, "results.json"))
        cls.rc, cls.out, cls.err = tl.run_main(report, [os.path.join(cls.dir, "results.json")])
        with open(os.path.join(cls.dir, "report.md"), encoding="utf-8") as f:
            cls.md = f.read()
        with open(os.path.join(cls.dir, "report.html"), encoding="utf-8") as f:
            cls.html = f.read()

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def test_exit_status_and_paths(self):
        self.assertEqual(self.rc, 0, self.err)
        self.assertIn("report.md", self.out)
        self.assertIn("report.html", self.out)

    def test_opens_with_the_ranked_summary(self):
        first = [line for line in self.md.splitlines() if line.startswith("## ")][:3]
        self.assertEqual(first, ["## Summary: backends ranked per row", "## How to read this",
                                 "## Noise gauge"])
        row = next(line for line in self.md.splitlines()
                   if line.startswith("| spawn_poll_free batched future_bytes=0 |"))
        # Fastest first: slab (18 vs 60), mimalloc, tcmalloc, jemalloc, then malloc itself.
        self.assertRegex(row, r"\| slab 0\.\d\dx faster \| mimalloc 0\.\d\dx faster \| "
                              r"tcmalloc 0\.\d\dx faster \| jemalloc 0\.\d\dx faster \| "
                              r"malloc = \| asio post_run \d\.\d\dx slower")
        self.assertIn("Quantised, not ranked", self.md)
        self.assertIn("poll_queued single", self.md)

    def test_noise_gauge_and_intervals(self):
        self.assertIn("Band for '≈ same': +-5.0%", self.md)
        self.assertIn("| floor | p50 (cycles, start) | spread over rounds |", self.md)
        self.assertIn("### Control cases", self.md)
        self.assertIn("| backend | mode | bytes between consecutive tasks |", self.md)
        self.assertIn("| malloc | batched | 112 | 11.1k |", self.md)
        self.assertRegex(self.md, r"0\.\d\dx \[0\.\d\d-0\.\d\d\] faster")
        self.assertIn('class="text faster"', self.html)
        for name in ("floors_by_round", "ratios_batched", "ratios_single"):
            self.assertIn("img/%s.png" % name, self.md)

    def test_sections_present(self):
        for heading in ("How to read this", "Machine and command", "p50 / p99 per backend",
                        "p50 and p99 per backend, with peers and floors",
                        "Latency percentile curves per case",
                        "Cost and memory versus live tasks",
                        "Cross-thread wake latency per core-pair class"):
            self.assertIn(heading, self.md)
            self.assertIn(heading, self.html)

    def test_synthetic_warning_and_command(self):
        self.assertIn("SYNTHETIC FIXTURE", self.md)
        self.assertIn("make_synthetic_results.py", self.md)  # the command from the file

    def test_fingerprint_in_table(self):
        self.assertIn("| tsc_ghz | 2.5 |", self.md)

    def test_summary_has_every_backend_and_ratio(self):
        header = next(line for line in self.md.splitlines() if line.startswith("| case | params"))
        for b in ("malloc", "slab", "jemalloc", "mimalloc", "tcmalloc", "asio", "libuv"):
            self.assertIn(" %s " % b, header)
        self.assertRegex(self.md, r"\| spawn_poll_free \| future_bytes=0 \| 60\.\d / \d+ \|")

    def test_peer_params_fold_into_peer_name(self):
        # asio's spawn rows carry api=post_run; they must sit beside the
        # backends' rows (same case and future_bytes), named "asio post_run".
        header = next(line for line in self.md.splitlines() if line.startswith("| case | params"))
        self.assertIn(" asio post_run ", header)
        self.assertNotIn("api=", self.md)
        row = next(line for line in self.md.splitlines()
                   if line.startswith("| spawn_poll_free | future_bytes=0 |"))
        self.assertEqual(row.count(" / "), 6, row)  # 5 backends + asio post_run

    def test_schema_1_still_reads(self):
        d = tl.tempdir(self)
        path = tl.make_results(os.path.join(d, "results.json"), "--schema", "1", "--rounds", "3")
        rc, _, err = tl.run_main(report, [path])
        self.assertEqual(rc, 0, err)
        with open(os.path.join(d, "report.md"), encoding="utf-8") as f:
            self.assertIn("schema 1: its rounds are repetitions", f.read())

    def test_csw_column(self):
        self.assertIn("voluntary csw / op", self.md)

    def test_md_images_exist_and_are_png(self):
        names = re.findall(r"!\[[^\]]*\]\((img/[^)]+\.png)\)", self.md)
        self.assertGreaterEqual(len(names), 10)
        for n in names:
            with open(os.path.join(self.dir, n), "rb") as f:
                self.assertEqual(f.read(8), PNG_MAGIC, n)

    def test_html_self_contained(self):
        srcs = re.findall(r'<img [^>]*src="([^"]+)"', self.html)
        self.assertEqual(len(srcs), len(re.findall(r"!\[", self.md)))
        for s in srcs:
            self.assertTrue(s.startswith("data:image/png;base64,"), s[:40])
            self.assertEqual(base64.b64decode(s.split(",", 1)[1])[:8], PNG_MAGIC)
        # Nothing fetched from anywhere: no scripts, links or remote URLs.
        self.assertNotRegex(self.html, r"<script|<link|https?://|url\(")


class ReportErrorsTest(unittest.TestCase):
    def check_error(self, content, expected):
        d = tl.tempdir(self)
        path = os.path.join(d, "results.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(content)
        with self.assertRaises(CliError) as cm:
            tl.run_main(report, [path])
        self.assertEqual(cm.exception.exit_code, 2)
        self.assertIn(expected, str(cm.exception))
        self.assertFalse(os.path.exists(os.path.join(d, "report.md")))

    def test_missing_file(self):
        with self.assertRaises(CliError) as cm:
            tl.run_main(report, ["/nonexistent/results.json"])
        self.assertIn("no such file", str(cm.exception))

    def test_not_json(self):
        self.check_error("{not json", "not valid JSON")

    def test_wrong_schema(self):
        self.check_error(json.dumps({"schema": 3, "fingerprint": {}, "results": []}),
                         "schema 3")

    def test_missing_percentile(self):
        d = tl.tempdir(self)
        data = tl.load_json(tl.make_results(os.path.join(d, "r.json")))
        del data["results"][3]["rounds"][2]["p99_cycles"]
        self.check_error(json.dumps(data), "results[3]")

    def test_existing_report_kept_on_error(self):
        d = tl.tempdir(self)
        with open(os.path.join(d, "report.md"), "w") as f:
            f.write("an earlier report")
        bad = os.path.join(d, "bad.json")
        with open(bad, "w") as f:
            f.write("[]")
        with self.assertRaises(CliError) as cm:
            tl.run_main(report, [bad, "--out", d])
        self.assertIn("top level must be a JSON object", str(cm.exception))
        with open(os.path.join(d, "report.md")) as f:
            self.assertEqual(f.read(), "an earlier report")

if __name__ == "__main__":
    unittest.main()
