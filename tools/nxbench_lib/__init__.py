"""Shared bits of the nxbench CLI (tools/nxbench.py).

Subcommand modules live next to this file, one per subcommand (testcmd.py,
runcmd.py, report.py, compare.py, ab.py, gate.py, profile.py, deps.py), with
the helpers they share (tools/README.md lists every module's job). How
tools/nxbench.py finds and calls them is documented in tools/README.md:
a module defines ``add_arguments(parser)`` and ``main(args) -> int``.
"""
from __future__ import annotations

import pathlib
import sys

TOOLS_DIR = pathlib.Path(__file__).resolve().parent.parent
REPO_ROOT = TOOLS_DIR.parent
BUILD_ROOT = REPO_ROOT / "build"


class CliError(Exception):
    """A problem the user can fix (bad input, missing file, missing tool).

    nxbench.py prints "nxbench <cmd>: <message>" and exits with ``exit_code``;
    raise it instead of printing a traceback.
    """

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


def say(msg: str = "", *, err: bool = False) -> None:
    """Print a progress line immediately (output may be piped to a CI log)."""
    stream = sys.stderr if err else sys.stdout
    print(msg, file=stream, flush=True)
