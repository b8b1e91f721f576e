"""The report's idle-strategy section draws latency against CPU per op for
cross_wake_responsive and cross_wake_idle_gap rows (nxrt's busy, parked and
spin_park budgets beside the Asio and libuv loops) and the timer lateness
table, from a SYNTHETIC fixture with such rows added. Known per-round values
check the paired ratios and the intervals; odd input (one round, a missing
CPU counter) still draws."""
import json
import os
import re
import unittest

import tools_testlib as tl
from nxbench_lib import report

GHZ = 2.5  # the fixture's TSC frequency
# (run, spin_ns or None) -> (p50 ns, loop CPU ns per op): invented levels, NOT measurements.
NXRT = {("parked", None): (30000, 4000), ("spin_park", 1000): (1200, 1300),
        ("spin_park", 50000): (1100, 1250), ("busy", None): (1000, 1200)}
PEERS = {"asio": {("parked", None): (5000, 2500), ("busy", None): (1500, 1600)},
         "libuv": {("parked", None): (6000, 3000), ("busy", None): (1800, 1900)}}
ROUND_FACTORS = (1.0, 1.1, 0.95, 1.05, 0.9)


def _row(backend, case, run, spin, p50_ns, cpu_ns, rounds, with_cpu=True):
    params = {"run": run, "pair_class": "cross_l3"}
    if spin is not None:
        params["spin_ns"] = spin
    rs = []
    for i, f in enumerate(ROUND_FACTORS[:rounds]):
        rnd = {"round": i, "samples": 500, "tsc_ghz": GHZ, "ops_per_sample": 1,
               "voluntary_csw_per_op_main": 1.0 if run == "parked" else 0.0,
               "cpu_ns_per_op_other": p50_ns * f}
        for name, k in (("p50", 1), ("p90", 2), ("p99", 4), ("p999", 8), ("max", 16)):
            rnd["%s_cycles" % name] = p50_ns * f * k * GHZ
        if with_cpu:
            rnd["cpu_ns_per_op_main"] = cpu_ns * f
        rs.append(rnd)
    row = {"backend": backend, "backend_version": "synthetic-0.0", "case": case,
           "params": params, "mode": "single", "rounds": rs, "samples": 500,
           "kind": "peer" if backend in PEERS else "executor",
           "description": "SYNTHETIC fixture row for %s" % case,
           "binary": "nxbench_%s" % backend}
    for name in ("p50", "p90", "p99", "p999", "max"):
        vals = sorted(r["%s_cycles" % name] for r in rs)
        row["%s_cycles" % name] = vals[len(vals) // 2]
    return row


def _entry(name, kind, section, runs, floor):
    """A catalogue entry for a fixture case (bench/harness.h's fields)."""
    return {"name": name, "kind": kind, "section": section, "floor": floor, "floor_when": {},
            "description": "SYNTHETIC fixture case %s" % name, "control": False,
            "needs_pair": kind != "local", "measured": [], "scaling_param": "",
            "not_profiled": "", "modes": ["single"],
            "source": {"file": "tests/tools/test_report_idle.py", "function": "_entry"},
            "params": {"run": list(runs)}}


def _catalogue():
    """The legacy catalogue (the fixture's other rows) with this section's
    cases added, as results.json carries it: which cases are drawn here
    comes from their `section`, not from names in tools/."""
    with open(os.path.join(tl.REPO, "bench", "catalogue_legacy.json"), encoding="utf-8") as f:
        groups = json.load(f)["groups"]
    idle = ("cross_wake_responsive", "cross_wake_idle_gap")
    for name in idle:
        groups["executor"]["cases"].append(
            _entry(name, "cross", "idle", ("busy", "parked", "spin_park"), "pingpong"))
        for peer in PEERS:
            groups[peer]["cases"].append(_entry(name, "peer", "idle", ("busy", "parked"),
                                                "pingpong"))
    timer = next((c for c in groups["executor"]["cases"] if c["name"] == "timer_fire"), None)
    if timer is None:
        timer = _entry("timer_fire", "local", "", ("busy", "parked", "spin_park"),
                       "indirect_call")
        groups["executor"]["cases"].append(timer)
    timer["section"] = "timer_lateness"
    return {"schema": 1, "groups": groups}


def add_idle_rows(path, rounds=5, with_cpu=True):
    """Keeps the fixture's pingpong floor (the cases' floor) and adds the rows
    of this section: a small report draws in seconds."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    data["results"] = [r for r in data["results"] if r["case"] == "pingpong"]
    data["catalogue"] = _catalogue()
    for case in ("cross_wake_responsive", "cross_wake_idle_gap"):
        for (run, spin), (p50, cpu) in NXRT.items():
            for backend in ("malloc", "slab"):
                data["results"].append(_row(backend, case, run, spin, p50, cpu, rounds, with_cpu))
        for peer, levels in PEERS.items():
            for (run, spin), (p50, cpu) in levels.items():
                data["results"].append(_row(peer, case, run, spin, p50, cpu, rounds, with_cpu))
    for run, late_ns in (("busy", 100), ("parked", 90000), ("spin_park", 7000)):
        row = _row("malloc", "timer_fire", run, None, late_ns, 0, rounds)
        row["params"] = {"run": run}
        data["results"].append(row)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f)


def write_report(test, rounds=5, with_cpu=True, d=None):
    d = d or tl.tempdir(test)
    path = tl.make_results(os.path.join(d, "results.json"), "--rounds", str(rounds))
    add_idle_rows(path, rounds, with_cpu)
    rc, _, err = tl.run_main(report, [path])
    test.assertEqual(rc, 0, err)
    with open(os.path.join(d, "report.md"), encoding="utf-8") as f:
        return d, f.read()


def table_line(md, *cells):
    prefix = "| " + " | ".join(cells) + " |"
    return next((line for line in md.splitlines() if line.startswith(prefix)), None)


class IdleSectionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import tempfile
        cls._tmp = tempfile.TemporaryDirectory(prefix="nxbench-report-idle-")
        cls.dir, cls.md = write_report(unittest.TestCase(), d=cls._tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def test_chart_is_drawn(self):
        self.assertIn("## Idle strategies: round-trip latency against CPU burned", self.md)
        m = re.search(r"!\[[^\]]*\]\((img/idle_latency_cpu\.png)\)", self.md)
        self.assertIsNotNone(m)
        with open(os.path.join(self.dir, m.group(1)), "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_reference_and_peers_only(self):
        # malloc is the fixture's reference; slab's rows stay in the general tables.
        self.assertIsNotNone(table_line(self.md, "cross_wake_responsive", "cross_l3", "malloc",
                                        "spin 50 us"))
        self.assertIsNone(table_line(self.md, "cross_wake_responsive", "cross_l3", "slab"))
        for peer in ("asio", "libuv"):
            self.assertIsNotNone(table_line(self.md, "cross_wake_idle_gap", "cross_l3", peer,
                                            "parked"))

    def test_values(self):
        line = table_line(self.md, "cross_wake_responsive", "cross_l3", "malloc", "spin 1 us")
        cells = [c.strip() for c in line.strip("|").split("|")]
        # p50 1.2 µs scaled per round by factors whose trimmed geometric mean is ~1.
        self.assertTrue(cells[4].startswith("1.2"), cells[4])
        self.assertEqual(cells[6], "0")  # sleeps/op
        self.assertTrue(cells[7].startswith("1.3"), cells[7])  # loop CPU µs/op
        self.assertEqual(cells[9], "5")

    def test_paired_ratios(self):
        # Every round scales all rows alike, so each ratio is exact: a
        # zero-width interval. spin 1 us: 1.2 / 1.0 busy, / 30 parked, / 5
        # asio parked, / 6 libuv parked.
        self.assertIsNotNone(table_line(
            self.md, "cross_wake_idle_gap", "cross_l3", "spin 1 us", "1.20x [1.20-1.20]",
            "0.04x [0.04-0.04]", "0.24x [0.24-0.24]", "0.20x [0.20-0.20]"))
        busy = table_line(self.md, "cross_wake_responsive", "cross_l3", "busy")
        self.assertIn("| - | 0.03x [0.03-0.03] |", busy)  # no ratio to itself

    def test_cross_table_tells_the_strategies_apart(self):
        # One row per idle strategy in the cross-thread table, and no cross
        # chart when only these cases ran (they have their own).
        from nxbench_lib import report_latency as L
        from nxbench_lib import results as R
        data = R.load(os.path.join(self.dir, "results.json"))
        blocks = L.cross_blocks(data["results"], "cycles", None)
        self.assertNotIn("img", [b.kind for b in blocks])
        table = next(b for b in blocks if b.kind == "table")
        self.assertIn(["cross_wake_responsive", "cross_l3", "run=spin_park, spin_ns=1000",
                       "malloc", "single"], [row[:5] for row in table.rows])

    def test_timer_lateness_table(self):
        self.assertIn("### Timer lateness per run mode (timer_fire)", self.md)
        line = table_line(self.md, "spin_park", "malloc")
        self.assertIsNotNone(line)
        self.assertRegex(line, r"\| [67]\.\d+ \[\d\.\d+-\d\.\d+\] \| 2\d\.\d \[")


class IdleOddInputTest(unittest.TestCase):
    def test_without_the_reference_backend(self):
        from nxbench_lib import report_idle as I
        from nxbench_lib import results as R
        d = tl.tempdir(self)
        path = tl.make_results(os.path.join(d, "results.json"), "--rounds", "3")
        add_idle_rows(path, 3)
        rows = [r for r in R.load(path)["results"] if r["backend"] != "malloc"]
        md = "\n".join(str(getattr(b, "text", "")) for b in I.idle_blocks(rows, "malloc"))
        self.assertIn("nxrt is the slab backend", md)

    def test_one_round_draws_without_bars(self):
        d, md = write_report(self, rounds=1)
        self.assertTrue(os.path.exists(os.path.join(d, "img", "idle_latency_cpu.png")))
        self.assertIn("(1 round)", md)

    def test_missing_cpu_counter_keeps_the_table(self):
        d, md = write_report(self, with_cpu=False)
        # No point to draw without the CPU counter: no chart, the table says "-".
        self.assertFalse(os.path.exists(os.path.join(d, "img", "idle_latency_cpu.png")))
        line = table_line(md, "cross_wake_responsive", "cross_l3", "malloc", "busy")
        self.assertEqual([c.strip() for c in line.strip("|").split("|")][7], "-")
        self.assertIn("| cross_wake_responsive | cross_l3 | spin 50 us | 1.10x", md)


if __name__ == "__main__":
    unittest.main()
