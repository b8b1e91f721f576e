#!/usr/bin/python3
"""Bad input to `nxbench run` gets a clear error and a non-zero exit, before
anything runs: unknown backend or case, a plugin path that does not exist or
is not a plugin, a plugin named like a built-in backend, repetitions < 1.
Also through the CLI itself (tools/nxbench.py), which must exit 2."""
import os
import subprocess
import sys
import tempfile

from benchtest import REPO, Checks, CliError, build_dir_arg, run_args, runcmd

NOT_A_PLUGIN = "/lib/x86_64-linux-gnu/libm.so.6"


def expect_error(c, build, out, fragment, **kw):
    build = kw.pop("build_dir", build)
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
        expect_error(c, build, tmp, "at least 1", repetitions=0)
        expect_error(c, build, tmp, "NAME must start with a letter", backend=["=x.so"])
        expect_error(c, build, tmp, "does not exist", build_dir=tmp)
        # Nothing ran, so nothing was written.
        c.check(not os.path.exists(f"{tmp}/results.json"), "no results.json written")
    cli = subprocess.run([sys.executable, str(REPO / "tools" / "nxbench.py"), "run",
                          "--build-dir", str(build), "--backend", "nosuch"],
                         capture_output=True, text=True)
    c.check(cli.returncode == 2, f"CLI exit status {cli.returncode}, expected 2")
    c.check("nxbench run: --backend nosuch: unknown backend" in cli.stderr,
            f"CLI message: {cli.stderr.strip()}")
    helptext = subprocess.run([sys.executable, str(REPO / "tools" / "nxbench.py"), "run",
                               "--help"], capture_output=True, text=True)
    for opt in ("--backend", "--case", "--repetitions", "--quick", "--out", "--no-report"):
        c.check(opt in helptext.stdout, f"--help explains {opt}")
    return c.done("bad input")


if __name__ == "__main__":
    raise SystemExit(main())
