"""tools/ keeps no list of cases: every case name the build's binaries print
(`--nxbench_cases`), the opcount driver lists (`--list`) or the legacy
catalogue holds is searched for, as a whole word, in every text file under
tools/ and in reports/*.py; any hit fails, naming file, line and case. What
the tools need to know about a case comes from the catalogue instead, which
the second half checks with catalogues that no bench source has: a case the
catalogue puts in the "network" section reaches the report's network section,
and the headline variant the catalogue names is what the report's trend
section, `nxbench profile` and `nxbench trend` take by default.

Usage: test_case_names.py --build-dir BUILD (a built nxrt CMake folder);
exits 77 (skipped) when BUILD has no benchmark manifest."""
import argparse
import json
import os
import pathlib
import re
import sys
import unittest

import tools_testlib as tl
from nxbench_lib import cases as C
from nxbench_lib import profile, report_callgrind, report_net, runplan
from nxbench_lib import results as R
from nxbench_lib.gate import GateError

REPO = pathlib.Path(tl.REPO)
BUILD = None


def catalogue_names(build: pathlib.Path) -> set[str]:
    """Every case name the build knows of, and the legacy catalogue's."""
    names = {c["name"] for g in json.loads(C.LEGACY_FILE.read_text())["groups"].values()
             for c in g["cases"]}
    for b in runplan.load_manifest(build)["binaries"]:
        if b["kind"] == "plugin_host":   # prints the executor catalogue, given a plugin
            continue
        cat = C.read_binary(b["path"]) if os.path.exists(b["path"]) else None
        if cat is None:
            raise AssertionError("%s prints no catalogue (--nxbench_cases)" % b["path"])
        names |= {c["name"] for c in cat["cases"]}
    for driver in report_callgrind.find_drivers(build).values():
        names |= {op["name"] for op in report_callgrind.driver_ops(driver)}
    return names


def searched_files() -> list[pathlib.Path]:
    files = [p for p in (REPO / "tools").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]
    return files + sorted((REPO / "reports").glob("*.py"))


class NoCaseNamesTest(unittest.TestCase):
    def test_no_case_name_in_tools(self):
        names = catalogue_names(pathlib.Path(BUILD))
        self.assertGreater(len(names), 10, "the catalogue looks empty: %s" % sorted(names))
        word = re.compile(r"(?<![A-Za-z0-9_])(%s)(?![A-Za-z0-9_])"
                          % "|".join(sorted(map(re.escape, names), key=len, reverse=True)))
        hits = []
        for path in searched_files():
            rel = str(path.relative_to(REPO))
            for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                for m in word.finditer(line):
                    hits.append("%s:%d: %s" % (rel, n, m.group(1)))
        self.assertEqual(hits, [], "case names outside the bench sources and tests:\n"
                         + "\n".join(hits))

    def test_the_search_finds_a_planted_name(self):
        # The test above must be able to fail: the same pattern on a line
        # that names a case.
        names = catalogue_names(pathlib.Path(BUILD))
        case = sorted(names)[0]
        word = re.compile(r"(?<![A-Za-z0-9_])%s(?![A-Za-z0-9_])" % re.escape(case))
        self.assertTrue(word.search("tools/nxbench profile %s --out x" % case))
        self.assertFalse(word.search("tools/nxbench profile x%s_y" % case))


def _entry(name, kind, floor="", section="", headline=None):
    return {"name": name, "kind": kind, "description": "test-only: " + name,
            "source": {"file": "tests/tools/test_case_names.py", "function": name},
            "floor": floor, "floor_when": {}, "control": False, "needs_pair": False,
            "measured": [], "scaling_param": "", "not_profiled": "", "section": section,
            "headline": headline, "modes": ["single"], "params": {"msg_bytes": ["64"]}}


def _round(i, p50):
    return {"round": i, "samples": 1000, "tsc_ghz": 2.5, "p50_cycles": p50,
            "p90_cycles": p50 * 1.1, "p99_cycles": p50 * 1.2, "p999_cycles": p50 * 1.3,
            "max_cycles": p50 * 2}


def _row(backend, kind, case, p50, phase=None):
    params = {"msg_bytes": "64"}
    if phase:
        params["phase"] = phase
    return R.make_row({"backend": backend, "backend_version": "1", "case": case,
                       "params": params, "mode": "single", "kind": kind},
                      [_round(i, p50 * (1 + 0.01 * i)) for i in range(3)])


def dummy_network_results() -> dict:
    """A results document whose catalogue has a network-section case (and
    its floor and a peer's version) that no bench source describes, and one
    more case in no section."""
    executor = [_entry("dummy_echo", "cross", "dummy_echo_floor", "network",
                       {"mode": "single", "params": {"msg_bytes": "64"}}),
                _entry("dummy_local", "local", "dummy_echo_floor")]
    catalogue = {"schema": 1, "groups": {
        "executor": {"schema": 1, "backend": "malloc", "backend_kind": "executor",
                     "reference_backend": "malloc", "cases": executor},
        "asio": {"schema": 1, "backend": "asio", "backend_kind": "peer",
                 "reference_backend": "",
                 "cases": [_entry("dummy_echo", "peer", "dummy_echo_floor", "network")]},
        "floor": {"schema": 1, "backend": "floor", "backend_kind": "floor",
                  "reference_backend": "",
                  "cases": [_entry("dummy_echo_floor", "floor", section="network")]}}}
    rows = [_row("malloc", "executor", "dummy_echo", 3000),
            _row("asio", "peer", "dummy_echo", 3600),
            _row("malloc", "executor", "dummy_local", 50),
            _row("floor", "floor", "dummy_echo_floor", 2000, "start"),
            _row("floor", "floor", "dummy_echo_floor", 2000, "end")]
    return {"schema": 2, "fingerprint": {"tsc_ghz": 2.5}, "catalogue": catalogue,
            "results": rows}


class CatalogueDrivesTheToolsTest(unittest.TestCase):
    def setUp(self):
        C.reset()
        self.addCleanup(C.reset)

    def test_network_section_comes_from_the_catalogue(self):
        data = R.parse(dummy_network_results())
        self.assertEqual(C.section_cases(report_net.SECTION), ["dummy_echo"])
        blocks = report_net.net_blocks(data, "cycles", 0.05)
        self.assertTrue(blocks, "no network section for a network-section case")
        tables = [b for b in blocks if b.kind == "table"]
        self.assertEqual(len(tables), 1)
        rows = tables[0].rows
        self.assertEqual(sorted((r[0], r[2]) for r in rows),
                         [("dummy_echo", "asio"), ("dummy_echo", "malloc")])
        malloc = next(r for r in rows if r[2] == "malloc")
        self.assertTrue(malloc[6].startswith("1.5"), "ratio to the floor: %s" % malloc[6])
        self.assertTrue(malloc[7].startswith("0.8"), "ratio to the best peer: %s" % malloc[7])
        text = " ".join(str(getattr(b, "text", "")) for b in blocks)
        self.assertIn("dummy_echo p50, nxrt per backend", text)

    def test_no_network_section_without_one_in_the_catalogue(self):
        doc = dummy_network_results()
        for group in doc["catalogue"]["groups"].values():
            for c in group["cases"]:
                c["section"] = ""
        data = R.parse(doc)
        self.assertEqual(report_net.net_blocks(data, "cycles", 0.05), [])

    def test_headline_from_the_catalogue(self):
        R.parse(dummy_network_results())
        self.assertEqual(C.headline(), ("dummy_echo", "single", {"msg_bytes": "64"}))
        self.assertEqual(profile.default_case(), "dummy_echo")

    def test_trend_section_draws_the_catalogues_headline(self):
        # Flat synthetic runs (no change point): the section draws the
        # headline variant, which here is whatever the catalogue says.
        import history_testlib as hl
        from nxbench_lib import historydb, trend_section
        db = os.path.join(tl.tempdir(self), "history.db")
        runs = hl.series(3)
        with historydb.Database(db) as h:
            for data in runs:
                h.add_run(data, "test")
        row = runs[-1]["results"][0]
        drawn = {}
        for mode in ("batched", "single"):
            C.reset()
            entry = _entry(row["case"], "local", headline={"mode": mode,
                                                           "params": row["params"]})
            C.use({"schema": 1, "groups": {"executor": {
                "schema": 1, "backend": "malloc", "backend_kind": "executor",
                "reference_backend": "malloc", "cases": [entry]}}})
            blocks = trend_section.blocks(db, runs[-1])
            drawn[mode] = [b.name for b in blocks if b.kind == "img"]
        self.assertEqual(len(drawn["batched"]), 1, drawn)
        self.assertIn("batched", drawn["batched"][0])
        self.assertEqual(drawn["single"], [], "no rows of the single-mode headline")

    def test_trend_without_a_case(self):
        import history_testlib as hl
        from nxbench_lib import CliError, historydb, trend
        d = tl.tempdir(self)
        runs = hl.series(3)
        row = runs[-1]["results"][0]
        plain, named = os.path.join(d, "plain.db"), os.path.join(d, "named.db")
        catalogue = {"schema": 1, "groups": {"executor": {
            "schema": 1, "backend": "malloc", "backend_kind": "executor",
            "reference_backend": "malloc", "cases": [_entry(
                row["case"], "local", headline={"mode": "batched", "params": row["params"]})]}}}
        for where, cat in ((plain, None), (named, catalogue)):
            with historydb.Database(where) as h:
                for data in runs:
                    h.add_run(dict(data, catalogue=cat) if cat else data, "test")
        # No catalogue names a headline: a clear error, and --all still draws.
        with self.assertRaisesRegex(CliError, "names no headline case"):
            tl.run_main(trend, ["--db", plain, "--out", os.path.join(d, "x")])
        with self.assertRaisesRegex(CliError, "CASE or --all"):
            tl.run_main(trend, [row["case"], "--all", "--db", plain, "--out", d])
        out = os.path.join(d, "all")
        rc, _, err = tl.run_main(trend, ["--all", "--db", plain, "--out", out])
        self.assertEqual(rc, 0, err)
        self.assertIn("trend-all-cases.html", os.listdir(out))
        # The runs' catalogue names one: that case, its mode and params.
        C.reset()
        out = os.path.join(d, "headline")
        rc, _, err = tl.run_main(trend, ["--db", named, "--out", out])
        self.assertEqual(rc, 0, err)
        pngs = [f for f in os.listdir(out) if f.endswith(".png")]
        self.assertEqual(len(pngs), 1, pngs)
        self.assertIn("batched", pngs[0])

    def test_no_headline_is_a_clear_error(self):
        doc = dummy_network_results()
        doc["catalogue"]["groups"]["executor"]["cases"][0]["headline"] = None
        R.parse(doc)
        self.assertIsNone(C.headline())
        with self.assertRaisesRegex(GateError, "names no headline case"):
            profile.default_case()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True, help="a built nxrt CMake build folder")
    args, rest = ap.parse_known_args()
    BUILD = os.path.abspath(args.build_dir)
    if not (pathlib.Path(BUILD) / runplan.MANIFEST).exists():
        print("skipped: %s has no benchmark manifest (NXRT_BUILD_BENCH=OFF?)" % BUILD)
        sys.exit(77)
    unittest.main(argv=[sys.argv[0]] + rest)
