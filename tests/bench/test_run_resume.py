#!/usr/bin/python3
"""An interrupted `nxbench run` keeps what finished: results.json holds the
finished rounds with `complete: false`, and `run --resume DIR` completes
exactly the planned run (same order seed, every row with every round, the
first round's figures untouched). A resume refuses binaries that changed."""
import contextlib
import io
import json
import pathlib
import shutil
import tempfile

from benchtest import (Checks, CliError, build_dir_arg, load, results, results_check, run_args,
                       runcmd)
from nxbench_lib import runloop

ROUNDS = 3


def main() -> int:
    build = build_dir_arg()
    c = Checks()
    real = runloop.run_process
    calls = {"n": 0}

    def interrupting(job, families, quick, out, index, layout=None):
        if index == 1:  # the first process of the second round: Ctrl-C
            raise KeyboardInterrupt
        calls["n"] += 1
        return real(job, families, quick, out, index, layout)

    with tempfile.TemporaryDirectory() as tmp:
        kw = dict(backend=["malloc", "slab", "jemalloc"], case=["poll_queued", "churn"],
                  rounds=ROUNDS)
        runloop.run_process = interrupting
        err = io.StringIO()
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
                rc = runcmd.main(run_args(build, tmp, **kw))
        finally:
            runloop.run_process = real
        c.check(rc == 130, f"interrupted run exited {rc}, expected 130")
        c.check(f"--resume {tmp}" in err.getvalue(), f"says how to resume: {err.getvalue()}")
        part = load(tmp)
        c.check(part["complete"] is False, "complete: false after the interruption")
        c.check(len(part["rounds"]) == 1, f"{len(part['rounds'])} rounds kept, expected 1")
        c.check(all(len(r["rounds"]) == 1 for r in part["results"]), "rows hold round 1 only")
        c.check(calls["n"] > 0, "round 1 ran")

        # A changed binary is refused (the copy's plan names another sha256).
        other = pathlib.Path(tmp) / "changed"
        other.mkdir()
        doc = json.loads((pathlib.Path(tmp) / "results.json").read_text())
        doc["plan"]["jobs"][1]["sha256"] = "0" * 64
        (other / "results.json").write_text(json.dumps(doc))
        try:
            runcmd.main(run_args(None, None, resume=str(other), quick=False))
            c.check(False, "a changed binary was not refused")
        except CliError as e:
            c.check("changed since the run started" in str(e), str(e))
        shutil.rmtree(other)

        with contextlib.redirect_stdout(io.StringIO()):
            rc = runcmd.main(run_args(None, None, resume=tmp, quick=False))
        c.check(rc == 0, f"resume exited {rc}")
        full = load(tmp)
        c.check(full["complete"] is True, "complete after the resume")
        c.check(full["plan"]["seed"] == part["plan"]["seed"], "the same plan")
        c.check(full["rounds"][0] == part["rounds"][0], "round 1's record untouched")
        jobs = [("floor", "floor", "nxbench_floor"), ("malloc", "executor", "nxbench_malloc"),
                ("slab", "executor", "nxbench_slab"), ("jemalloc", "executor", "nxbench_jemalloc")]
        problems = [p for p in results_check.check_run(full, jobs) if "cases missing" not in p]
        c.check(problems == [], f"well formed after the resume: {problems}")
        before = {results.row_key(r): r["rounds"][0] for r in part["results"]}
        c.check(all(before[results.row_key(r)] == r["rounds"][0] for r in full["results"]),
                "round 1's figures kept as they were")
    return c.done("run --resume")


if __name__ == "__main__":
    raise SystemExit(main())
