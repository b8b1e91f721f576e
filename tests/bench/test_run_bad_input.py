#!/usr/bin/python3
"""Bad input to `nxbench run` gets a clear error and a non-zero exit, before
anything runs: unknown backend or case, a plugin path that does not exist or
is not a plugin, a plugin named like a built-in backend, rounds < 1, a
reference not in the run, --resume with other options or of a complete run.
Also through the CLI itself (tools/nxbench.py), which must exit 2."""
import json
import os
import subprocess
import sys
import tempfile

from benchtest import REPO, Checks, CliError, build_dir_arg, run_args, runcmd

NOT_A_PLUGIN = "/lib/x86_64-linux-gnu/libm.so.6"


def expect_error(c, build, out, fragment, **kw):
    build = kw.pop("build_dir", build)
    out = kw.pop("out_dir", out)
    try:
        rc = runcmd.main(run_args(build, out, **kw))
        c.check(False, f"{kw}: no error (exit {rc}); expected one saying '{fragment}'")
    except CliError as e:
        c.check(fragment in str(e), f"{kw}: error '{e}' lacks '{fragment}'")
        c.check(e.exit_code != 0, f"{kw}: exit code 0")


def main() -> int:
    build = build_dir_arg()
    c = Checks()
    with tempfile.TemporaryDirectory() as tmp:
        expect_error(c, build, tmp, "unknown backend", backend=["nosuch"])
        expect_error(c, build, tmp, "no such file", backend=["mine=/nonexistent/libmine.so"])
        expect_error(c, build, tmp, "is a built-in backend", backend=["malloc=" + NOT_A_PLUGIN])
        expect_error(c, build, tmp, "nxrt_plugin_allocator", backend=["mine=" + NOT_A_PLUGIN])
        expect_error(c, build, tmp, "unknown case", case=["spawn_poll_freeee"])
        expect_error(c, build, tmp, "at least 1", rounds=0)
        expect_error(c, build, tmp, "NAME must start with a letter", backend=["=x.so"])
        expect_error(c, build, tmp, "does not exist", build_dir=tmp)
        expect_error(c, build, tmp, "not a backend of this run", backend=["slab"],
                     reference="jemalloc")
        expect_error(c, build, tmp, "no such file", resume=tmp, out_dir=None, quick=False,
                     build_dir=None)
        expect_error(c, build, tmp, "drop --rounds", resume=tmp, rounds=3, out_dir=None,
                     build_dir=None)
        # Nothing ran, so nothing was written.
        c.check(not os.path.exists(f"{tmp}/results.json"), "no results.json written")
        with open(f"{tmp}/results.json", "w") as f:
            json.dump({"schema": 2, "complete": True, "plan": {"rounds": 1}, "fingerprint": {},
                       "results": [{"backend": "malloc", "backend_version": "v", "case": "x",
                                    "params": {}, "mode": "batched", "rounds": [
                                        {"round": 0, "p50_cycles": 1, "p90_cycles": 1,
                                         "p99_cycles": 1, "p999_cycles": 1,
                                         "max_cycles": 1}]}]}, f)
        expect_error(c, build, tmp, "this run is complete", resume=tmp, out_dir=None,
                     quick=False, build_dir=None)
    cli = subprocess.run([sys.executable, str(REPO / "tools" / "nxbench.py"), "run",
                          "--build-dir", str(build), "--backend", "nosuch"],
                         capture_output=True, text=True)
    c.check(cli.returncode == 2, f"CLI exit status {cli.returncode}, expected 2")
    c.check("nxbench run: --backend nosuch: unknown backend" in cli.stderr,
            f"CLI message: {cli.stderr.strip()}")
    helptext = subprocess.run([sys.executable, str(REPO / "tools" / "nxbench.py"), "run",
                               "--help"], capture_output=True, text=True)
    for opt in ("--backend", "--case", "--rounds", "--quick", "--out", "--no-report",
                "--resume", "--reference", "--seed"):
        c.check(opt in helptext.stdout, f"--help explains {opt}")
    return c.done("bad input")


if __name__ == "__main__":
    raise SystemExit(main())
