"""report.html renders in a real browser (headless Chromium) with every image
loaded. Chromium prints the DOM after the load event; a small script added to
a COPY of the page (the report itself has no script, and its Content Security
Policy forbids any) writes each image's natural size into the DOM. A planted
broken image proves the check can fail. Exit 77 (skipped) without Chromium."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import tools_testlib as tl
from nxbench_lib import report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHECK_SCRIPT = """<script>
window.addEventListener("load", function () {
  var out = [];
  document.querySelectorAll("img").forEach(function (img, i) {
    out.push(i + " " + (img.complete ? 1 : 0) + " " + img.naturalWidth + " " + img.naturalHeight);
  });
  var pre = document.createElement("pre");
  pre.id = "nx-img-check";
  pre.textContent = "IMAGES " + out.length + "\\n" + out.join("\\n") + "\\nEND";
  document.body.appendChild(pre);
});
</script>"""
BROKEN_IMG = '<img alt="planted broken image" src="data:image/png;base64,AAAA">'


def chromium_dump_dom(path):
    profile = tempfile.mkdtemp(prefix="nxbench-chromium-")
    try:
        proc = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", "--user-data-dir=" + profile, "--virtual-time-budget=10000",
             "--dump-dom", "file://" + path],
            capture_output=True, text=True, timeout=180)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return proc.stdout


def image_sizes(dom):
    m = re.search(r'<pre id="nx-img-check">IMAGES (\d+)\n(.*?)\nEND</pre>', dom, re.S)
    if not m:
        return None
    rows = [line.split() for line in m.group(2).splitlines()]
    return [(int(c), int(w), int(h)) for _, c, w, h in rows]


class RenderTest(unittest.TestCase):
    def test_every_image_loads(self):
        d = tl.tempdir(self)
        results = tl.make_results(os.path.join(d, "results.json"))
        rc, _, err = tl.run_main(report, [results])
        self.assertEqual(rc, 0, err)
        with open(os.path.join(d, "report.html"), encoding="utf-8") as f:
            page = f.read()
        n_img = page.count("<img ")
        self.assertGreaterEqual(n_img, 10)
        # Allow the check script in the copy only; images stay limited to data:.
        csp = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
        self.assertIn(csp, page)
        copy = page.replace(csp, csp + "; script-src 'unsafe-inline'")
        copy = copy.replace("</body>", BROKEN_IMG + CHECK_SCRIPT + "</body>")
        check = os.path.join(d, "check.html")
        with open(check, "w", encoding="utf-8") as f:
            f.write(copy)
        sizes = image_sizes(chromium_dump_dom(check))
        self.assertIsNotNone(sizes, "the check script did not run in Chromium")
        self.assertEqual(len(sizes), n_img + 1)
        for i, (complete, w, h) in enumerate(sizes[:-1]):
            self.assertTrue(complete and w >= 300 and h >= 200,
                            "image %d did not load: complete=%d %dx%d" % (i, complete, w, h))
        self.assertEqual(sizes[-1][1:], (0, 0), "the planted broken image must not load")


if __name__ == "__main__":
    if CHROMIUM is None:
        print("SKIP: chromium not installed (apt-get install chromium)")
        sys.exit(77)
    unittest.main()
