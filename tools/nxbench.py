#!/usr/bin/python3
"""nxbench: build, test, benchmark and report on nxrt.

Run it through the launcher `tools/nxbench`, which installs missing Debian
packages and uses /usr/bin/python3 (the interpreter that has matplotlib and
scipy). Each subcommand lives in its own module under tools/nxbench_lib/ and
is imported only when that subcommand runs, so one broken or missing module
never breaks the others. The module contract is in tools/README.md.
"""
from __future__ import annotations

import argparse
import importlib
import pathlib
import re
import sys
import traceback
from dataclasses import dataclass

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from nxbench_lib import REPO_ROOT, TOOLS_DIR, CliError  # noqa: E402


@dataclass(frozen=True)
class Command:
    name: str
    modules: tuple[str, ...]  # candidate modules, first = the command's own module
    summary: str


COMMANDS = (
    Command("test", ("testcmd",),
            "configure, build and run the test suite in every variant (default, "
            "ASan+UBSan, TSan, Valgrind memcheck) plus the benchmark smoke check and the "
            "callgrind gate; prints one summary line, exits non-zero on any failure"),
    Command("run", ("runcmd",),
            "run the benchmark matrix (every allocator backend x every case) in interleaved "
            "rounds, write results.json, print each backend's ratio to glibc with its "
            "interval and verdict"),
    Command("report", ("report",),
            "turn a results.json into report.md and a self-contained report.html with plots"),
    Command("compare", ("compare",),
            "compare two results files row by row; exits non-zero if anything regressed or "
            "went missing"),
    Command("ab", ("ab",),
            "build a base revision, run it and the current tree interleaved round by round, "
            "and compare them (the pull-request check)"),
    Command("history", ("history",),
            "the results database: list runs, import runs made elsewhere, list machines, "
            "and `history check`, the CI alert on a step up that starts at the latest run"),
    Command("trend", ("trend",),
            "draw a case's p50 and p99 across runs from the results database, with each "
            "run's interval and the change points (PNG + HTML)"),
    Command("baseline", ("baseline", "gate"),
            "rewrite the committed callgrind instruction-count baseline and show the diff"),
    Command("profile", ("profile",),
            "run one case under callgrind per backend: instructions, cache misses, "
            "branch mispredictions per operation, and the top functions"),
    Command("deps", ("deps",),
            "list the Debian packages nxbench needs and which are missing"),
)
BY_NAME = {c.name: c for c in COMMANDS}


def nxrt_version() -> str:
    try:
        text = (REPO_ROOT / "runtime" / "include" / "nxrt.h").read_text()
    except OSError:
        return "unknown"
    parts = [re.search(rf"#define NXRT_VERSION_{p}\s+(\d+)", text) for p in ("MAJOR", "MINOR", "PATCH")]
    return ".".join(m.group(1) for m in parts) if all(parts) else "unknown"


def module_path(module: str) -> pathlib.Path:
    return TOOLS_DIR / "nxbench_lib" / f"{module}.py"


def resolve(cmd: Command):
    """(module, add_arguments or None, main) for `cmd`, or None if its module is
    missing from this checkout.

    The command's own module (first candidate) provides `main` and optionally
    `add_arguments`. A shared module (a later candidate, e.g. gate.py for
    `baseline`) must name its entry points after the command:
    `baseline_main` and `add_baseline_arguments`.
    """
    for i, modname in enumerate(cmd.modules):
        if not module_path(modname).exists():
            continue
        try:
            mod = importlib.import_module(f"nxbench_lib.{modname}")
        except Exception as e:  # a broken module: say which file and why
            traceback.print_exc()
            raise CliError(f"cannot load {module_path(modname).relative_to(REPO_ROOT)}: "
                           f"{type(e).__name__}: {e}") from e
        main = getattr(mod, f"{cmd.name}_main", None)
        add = getattr(mod, f"add_{cmd.name}_arguments", None)
        if main is None and i == 0:
            main = getattr(mod, "main", None)
            add = getattr(mod, "add_arguments", None)
        if main is not None:
            return mod, add, main
    return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nxbench",
        description="Build, test, benchmark and report on nxrt, the single-threaded C "
                    "async executor.",
        epilog="`nxbench SUBCOMMAND --help` explains each subcommand's options; "
               "tools/README.md has more.")
    parser.add_argument("--version", action="version", version=f"nxrt {nxrt_version()}")
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND")
    for c in COMMANDS:
        sub.add_parser(c.name, help=c.summary, description=c.summary, add_help=False)
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    if not argv or argv[0] in ("-h", "--help", "help"):
        parser.print_help()
        return 0 if argv else 2
    if argv[0] == "--version":
        parser.parse_args(argv)  # prints and exits

    name = argv[0]
    cmd = BY_NAME.get(name)
    if cmd is None:
        parser.print_usage(sys.stderr)
        print(f"nxbench: unknown subcommand '{name}' (choose from "
              f"{', '.join(c.name for c in COMMANDS)})", file=sys.stderr)
        return 2

    try:
        found = resolve(cmd)
        if found is None:
            raise CliError(f"tools/nxbench_lib/{cmd.modules[0]}.py is missing from this "
                           "checkout", 2)
        _mod, add_arguments, entry = found
        if add_arguments is None:
            # The module parses its own arguments.
            return int(entry(argv[1:]) or 0)
        sub = argparse.ArgumentParser(prog=f"nxbench {name}", description=cmd.summary)
        add_arguments(sub)
        args = sub.parse_args(argv[1:])
        args.command = name
        return int(entry(args) or 0)
    except CliError as e:
        print(f"nxbench {name}: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print(f"\nnxbench {name}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
