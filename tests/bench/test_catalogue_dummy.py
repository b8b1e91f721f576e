#!/usr/bin/python3
"""A case added in one bench source file reaches every consumer of the
catalogue. bench_dummy_case is an executor binary (backend malloc) with one
more family, tests/bench/dummy_cases.cpp; a build folder whose manifest names
it as the malloc binary is run with `--case dummy_case`, and the case must
appear, with its source, in results.json (catalogue and rows), in the
summary, in the report, and in what `nxbench profile` says about it; no file
in tools/ knows its name."""
import argparse
import contextlib
import io
import json
import pathlib
import tempfile

from benchtest import REPO, Checks, build_dir_arg, load, run_args, runcmd
from nxbench_lib import profile, report, runplan, summary

CASE = "dummy_case"


def fake_build(build: pathlib.Path, tmp: pathlib.Path) -> pathlib.Path:
    """A build folder whose manifest runs bench_dummy_case as malloc."""
    manifest = runplan.load_manifest(build)
    dummy = build / "tests" / "bench" / "bench_dummy_case"
    binaries = [b for b in manifest["binaries"] if b["kind"] == "floor"]
    binaries.append({"binary": "bench_dummy_case", "path": str(dummy), "backend": "malloc",
                     "kind": "executor", "example": False})
    fake = tmp / "build"
    (fake / "bench").mkdir(parents=True)
    (fake / runplan.MANIFEST).write_text(json.dumps(dict(manifest, binaries=binaries,
                                                         plugins=[])))
    return fake


def main() -> int:
    build = build_dir_arg()
    c = Checks()
    tools_text = "\n".join(p.read_text() for p in (REPO / "tools").rglob("*.py"))
    c.check(CASE not in tools_text, "no file in tools/ names the dummy case")
    with tempfile.TemporaryDirectory() as t:
        tmp = pathlib.Path(t)
        fake = fake_build(build, tmp)
        out = tmp / "run"
        rc = runcmd.main(run_args(fake, out, rounds=1, case=[CASE]))
        c.check(rc == 0, f"run exited {rc}")
        data = load(out)
        entry = next((e for e in data["catalogue"]["groups"]["executor"]["cases"]
                      if e["name"] == CASE), None)
        c.check(entry is not None, "results.json's catalogue has the case")
        if entry:
            c.check(entry["source"]["file"] == "tests/bench/dummy_cases.cpp" and
                    entry["source"]["function"] == CASE, f"its source: {entry['source']}")
            c.check(entry["modes"] == ["batched", "single"], f"its modes: {entry['modes']}")
        rows = [r for r in data["results"] if r["case"] == CASE]
        c.check(len(rows) == 2, f"two rows (batched, single): {len(rows)}")
        c.check(all(r.get("source", {}).get("file") == "tests/bench/dummy_cases.cpp"
                    for r in rows), "each row carries its source")
        text = summary.summary(data)
        c.check(CASE in text, "the summary shows the case")
        rc = report.main(argparse.Namespace(results=str(out), out=str(out), unit="cycles",
                                            title=report.DEFAULT_TITLE))
        c.check(rc == 0, f"report exited {rc}")
        md = (out / "report.md").read_text() if (out / "report.md").exists() else ""
        c.check(CASE in md, "the report shows the case")
        driver = build / "bench" / "opcount" / "nx_opcount_malloc"
        if driver.exists():
            err = io.StringIO()
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                ns = argparse.Namespace(case=CASE, future_bytes=None, live_tasks=None, top=8,
                                        out=str(tmp / "profile"), baseline=None,
                                        build_dir=str(fake), driver=[f"malloc={driver}"],
                                        no_build=True, backend=[])
                prc = profile.main(ns)
            c.check(prc == 2 and "test-only case" in err.getvalue(),
                    f"the profiler gives the catalogue's reason: {prc} {err.getvalue()!r}")
        else:
            print(f"note: {driver} not built (valgrind headers missing): profiler not checked")
    return c.done("catalogue: dummy case")


if __name__ == "__main__":
    raise SystemExit(main())
