"""The trend page of `nxbench trend` and the trend section of `nxbench report
--history` render in headless Chromium with every chart loaded (the check of
test_report_render.py: a script added to a COPY of the page reports each
image's natural size, and a planted broken image proves the check can
fail). The runs are SYNTHETIC fixtures (history_testlib.py) with a planted
step, so the charts carry a change point. Exit 77 (skipped) without Chromium."""
import json
import os
import re
import sys
import unittest

import history_testlib as hl
import test_report_render as rr
import tools_testlib as tl
from nxbench_lib import historydb as H
from nxbench_lib import report, trend


def images_load(test, html_path, at_least):
    with open(html_path, encoding="utf-8") as f:
        page = f.read()
    n_img = page.count("<img ")
    test.assertGreaterEqual(n_img, at_least)
    csp = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    test.assertIn(csp, page)
    copy = page.replace(csp, csp + "; script-src 'unsafe-inline'")
    copy = copy.replace("</body>", rr.BROKEN_IMG + rr.CHECK_SCRIPT + "</body>")
    check = html_path + ".check.html"
    with open(check, "w", encoding="utf-8") as f:
        f.write(copy)
    sizes = rr.image_sizes(rr.chromium_dump_dom(check))
    test.assertIsNotNone(sizes, "the check script did not run in Chromium")
    test.assertEqual(len(sizes), n_img + 1)
    alts = re.findall(r'<img alt="([^"]*)"', page)
    test.assertTrue(any(a.startswith("trend of ") for a in alts), alts)
    for i, ((complete, w, h), alt) in enumerate(zip(sizes[:-1], alts)):
        # A trend chart is at least 800x720 as drawn; the report's own
        # charts of a two-backend fixture can be small, but must load.
        small = (600, 400) if alt.startswith("trend of ") else (1, 1)
        test.assertTrue(complete and w >= small[0] and h >= small[1],
                        "image %d (%s) did not load: complete=%d %dx%d" % (i, alt, complete, w, h))
    test.assertEqual(sizes[-1][1:], (0, 0), "the planted broken image must not load")
    return page


class TrendRenderTest(unittest.TestCase):
    def setUp(self):
        self.dir = tl.tempdir(self)
        self.db = os.path.join(self.dir, "history.db")
        runs = hl.series(16, step_at=10, factor=1.15, noise=0.02, seed=5)
        with H.Database(self.db) as db:
            for data in runs:
                db.add_run(data, "test")
        self.latest = os.path.join(self.dir, "latest.json")
        with open(self.latest, "w") as f:
            json.dump(runs[-1], f)

    def test_trend_page_renders(self):
        out = os.path.join(self.dir, "trend")
        rc, stdout, err = tl.run_main(trend, ["spawn_poll_free", "--db", self.db, "--out", out])
        self.assertEqual(rc, 0, err)
        pngs = [f for f in os.listdir(out) if f.endswith(".png")]
        self.assertEqual(pngs, ["trend-spawn-poll-free-spawn-poll-free-batched-future-bytes-64.png"])
        page = images_load(self, os.path.join(out, "trend-spawn-poll-free.html"), 1)
        self.assertIn(hl.COMMITS[10][:10], page)   # the step's first commit, in its table

    def test_report_trend_section_renders(self):
        out = os.path.join(self.dir, "report")
        rc, _, err = tl.run_main(report, [self.latest, "--out", out, "--history", self.db])
        self.assertEqual(rc, 0, err)
        page = images_load(self, os.path.join(out, "report.html"), 2)
        self.assertIn("Trend across runs", page)
        self.assertTrue(os.path.exists(os.path.join(
            out, "img", "trend-spawn-poll-free-batched-future-bytes-64.png")))
        self.assertIn(hl.COMMITS[10][:10], page)


if __name__ == "__main__":
    if rr.CHROMIUM is None:
        print("SKIP: chromium not installed (apt-get install chromium)")
        sys.exit(77)
    unittest.main()
