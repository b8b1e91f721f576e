#!/usr/bin/python3
"""`nxbench run --quick` on this build: the whole default matrix in rounds,
then the form of its output: every backend and case in every round,
percentiles ordered, backend names matching the binaries, each round's
order recorded (seeded: the same seed gives the same order), the
per-round google-benchmark JSON there, the verdict summary printed. No
timing thresholds."""
import contextlib
import io
import json
import tempfile

from benchtest import Checks, build_dir_arg, load, results_check, run_args, runcmd
from nxbench_lib import runplan


def main() -> int:
    build = build_dir_arg()
    c = Checks()
    with tempfile.TemporaryDirectory() as tmp:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = runcmd.main(run_args(build, tmp, rounds=2, seed=1234))
        text = out.getvalue()
        c.check(rc == 0, f"run --quick exited {rc}")
        data = load(tmp)
        jobs = runcmd.default_jobs(runplan.load_manifest(build))
        for p in results_check.check_run(data, jobs):
            c.check(False, p)
        backends = {r["backend"] for r in data["results"]}
        for name in ("malloc", "slab", "floor"):
            c.check(name in backends, f"backend {name} has rows")
        c.check("bump" not in backends, "the example backend is not in the default matrix")
        c.check(data["plan"]["seed"] == 1234 and data["fingerprint"]["seed"] == 1234,
                "the seed is recorded")
        orders = [[tuple(o) for o in r["order"]] for r in data["rounds"]]
        c.check(orders[0] != orders[1], "the order differs between rounds")
        c.check([o for o in runplan.round_slots(data["plan"], 1)][0][0] == orders[1][0][0],
                "the recorded order is the planned one")
        for i in (1, 2):
            for label in [b for b, _k, _bin in jobs if b != "floor"] + ["floor_start",
                                                                          "floor_end"]:
                path = f"{tmp}/gbench/round-{i}/{label}.json"
                try:
                    g = json.load(open(path))
                    want = "floor" if label in ("floor_start", "floor_end") else label
                    c.check(g["context"].get("nxbench_backend") == want,
                            f"{path}: context names backend {g['context'].get('nxbench_backend')}")
                    c.check(len(g["benchmarks"]) > 0, f"{path}: no benchmarks")
                except (OSError, ValueError, KeyError) as e:
                    c.check(False, f"{path}: {e}")
        for fragment in ("ratio to malloc in the same round", "noise gauge:",
                         "round 2/2 done", "left]"):
            c.check(fragment in text, f"the output says '{fragment}'")
    return c.done("run --quick")


if __name__ == "__main__":
    raise SystemExit(main())
