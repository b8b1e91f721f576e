"""Shared bits of the tests of `nxbench run` (tests/bench/test_*.py)."""
import argparse
import json
import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))

from nxbench_lib import CliError, results, results_check, runcmd  # noqa: E402,F401


def build_dir_arg() -> pathlib.Path:
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True, help="a built nxrt CMake build folder")
    return pathlib.Path(ap.parse_args().build_dir)


def run_args(build_dir, out, **kw) -> argparse.Namespace:
    """The namespace `nxbench run` parses, for runcmd.main(): quick, no report."""
    a = dict(quick=True, out=None if out is None else str(out), no_report=True,
             build_dir=None if build_dir is None else str(build_dir))
    a.update(kw)
    return runcmd.run_args(**a)


def load(out) -> dict:
    return json.loads((pathlib.Path(out) / "results.json").read_text())


class Checks:
    """Counts failed checks; each failure prints what went wrong."""

    def __init__(self):
        self.failed = 0

    def check(self, cond, what):
        if not cond:
            self.failed += 1
            print(f"FAIL: {what}", flush=True)
        return cond

    def done(self, name) -> int:
        print(f"{name}: {'all checks passed' if not self.failed else f'{self.failed} failed'}")
        return 0 if not self.failed else 1
