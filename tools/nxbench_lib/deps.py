"""`nxbench deps`: the Debian packages nxbench needs, and which are missing.

The list itself is tools/packages.txt (the bash launcher reads the same file
before Python may exist). The launcher installs what is missing; this module
reports, and lets other subcommands check for the programs they run.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess

from . import TOOLS_DIR, CliError, say

PACKAGES_FILE = TOOLS_DIR / "packages.txt"


def required_packages() -> list[str]:
    """Package names from tools/packages.txt, in file order."""
    try:
        text = PACKAGES_FILE.read_text()
    except OSError as e:
        raise CliError(f"cannot read the package list {PACKAGES_FILE}: {e}") from e
    names = []
    for line in text.splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            names.append(name)
    return names


def missing_packages(packages: list[str] | None = None) -> list[str]:
    """Packages not installed according to dpkg. Raises CliError without dpkg."""
    packages = required_packages() if packages is None else packages
    if shutil.which("dpkg-query") is None:
        raise CliError("dpkg-query not found: not a Debian system, cannot check packages")
    proc = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package} ${db:Status-Abbrev}\n", *packages],
        capture_output=True, text=True, check=False)
    installed = {line.split()[0] for line in proc.stdout.splitlines()
                 if len(line.split()) >= 2 and line.split()[1].startswith("ii")}
    return [p for p in packages if p not in installed]


def require_programs(*programs: str) -> None:
    """Raise CliError naming every program in `programs` not found on PATH."""
    absent = [p for p in programs if shutil.which(p) is None]
    if absent:
        raise CliError(
            f"program(s) not found: {', '.join(absent)}; run tools/nxbench (the launcher) "
            f"as root to install the packages in {PACKAGES_FILE.name}, or see `nxbench deps`")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "List the Debian packages nxbench needs (tools/packages.txt) and whether each is "
        "installed. Exits 1 and prints the apt-get line if any is missing. The launcher "
        "tools/nxbench installs missing packages itself when run as root.")


def main(args: argparse.Namespace) -> int:
    wanted = required_packages()
    missing = missing_packages(wanted)
    for name in wanted:
        say(f"  {'missing  ' if name in missing else 'installed'}  {name}")
    if missing:
        say(f"nxbench deps: {len(missing)} missing; install with:")
        say(f"  sudo apt-get install -y {' '.join(missing)}")
        return 1
    say(f"nxbench deps: all {len(wanted)} packages installed")
    return 0
