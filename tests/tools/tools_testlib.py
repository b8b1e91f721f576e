"""Helpers shared by the tests of tools/nxbench_lib (report, compare, gate,
profile): import path, running a subcommand's main() with captured output,
and the synthetic results fixture."""
import argparse
import contextlib
import io
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tools"))
FIXTURE_GENERATOR = os.path.join(HERE, "fixtures", "make_synthetic_results.py")


def run_main(module, argv):
    """(exit code, stdout, stderr) of module.main(parsed argv)."""
    parser = argparse.ArgumentParser(prog="nxbench")
    module.add_arguments(parser)
    args = parser.parse_args(argv)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = module.main(args)
    return rc, out.getvalue(), err.getvalue()


def make_results(path, *extra):
    """Writes a SYNTHETIC fixture results file (never a measurement)."""
    subprocess.run([sys.executable, FIXTURE_GENERATOR, path, *extra], check=True)
    return path


def tempdir(test):
    d = tempfile.TemporaryDirectory(prefix="nxbench-test-")
    test.addCleanup(d.cleanup)
    return d.name


def load_json(path):
    import json
    with open(path, encoding="utf-8") as f:
        return json.load(f)
