"""Building a preset and reading its tests, for `nxbench test` (testcmd.py):
configure + build with the output streamed to a log, ctest's test list and
JUnit results, and the tally of passed and failed items."""
from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from . import REPO_ROOT, CliError, say


@dataclass(frozen=True)
class Variant:
    name: str
    preset: str          # configure, build and test preset in CMakePresets.json
    what: str            # which tests run, for the progress line
    build_without_tests: bool = True  # False: skip the build if no test selected


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)  # "step: name (log: path)"
    attempted: set[str] = field(default_factory=set)    # presets this run tried to build
    broken: set[str] = field(default_factory=set)       # presets whose configure failed

    def fail(self, step: str, name: str, log: Path | None) -> None:
        self.failed += 1
        where = f"  (log: {rel(log)})" if log else ""
        self.failures.append(f"{step}: {name}{where}")


def rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


CTEST_PROGRESS = re.compile(r"^\s*\d+/\d+ Test +#\d+: ")


def stream(cmd: list[str], log, *, echo: bool, show=None, cwd: Path = REPO_ROOT,
           env: dict | None = None) -> int:
    """Runs `cmd`, writing its output to `log` as it comes; lines go to the
    terminal too when `echo`, or when `show(line)` is true."""
    log.write(f"\n$ {shlex.join(cmd)}\n")
    log.flush()
    try:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, errors="replace")
    except OSError as e:
        log.write(f"cannot start {cmd[0]}: {e}\n")
        say(f"    cannot start {cmd[0]}: {e}")
        return 127
    assert proc.stdout is not None
    for line in proc.stdout:
        log.write(line)
        if echo or (show and show(line)):
            sys.stdout.write("    " + line)
            sys.stdout.flush()
    rc = proc.wait()
    log.write(f"[exit status {rc}]\n")
    log.flush()
    return rc


def tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join("    | " + line for line in text[-lines:])


def list_tests(preset: str, extra: list[str] = ()) -> list[dict]:
    """The tests `ctest --preset` would run (after configure), as ctest's
    json-v1 entries: name, command, properties."""
    proc = subprocess.run(["ctest", "--preset", preset, "--show-only=json-v1", *extra],
                          cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise CliError(f"`ctest --preset {preset} --show-only=json-v1` failed: "
                       f"{proc.stderr.strip() or proc.stdout.strip()}")
    try:
        return json.loads(proc.stdout).get("tests", [])
    except json.JSONDecodeError as e:
        raise CliError(f"ctest printed unreadable JSON for preset {preset}: {e}") from e


def props(test: dict) -> dict:
    return {p["name"]: p["value"] for p in test.get("properties", [])}


def configure_and_build(v: Variant, args, tally: Tally, log, log_path: Path,
                        build: bool = True) -> list[dict] | None:
    """Configures (and builds) preset `v.preset`; returns the tests it would
    run, or None after recording a failure."""
    t0 = time.monotonic()
    say(f"[{v.name}] configure: cmake --preset {v.preset}")
    if stream(["cmake", "--preset", v.preset], log, echo=args.verbose) != 0:
        say(tail(log_path))
        tally.fail(v.name, "configure failed", log_path)
        tally.broken.add(v.preset)
        return None
    try:
        tests = list_tests(v.preset)
    except CliError as e:
        log.write(f"{e}\n")
        tally.fail(v.name, f"cannot list tests: {e}", log_path)
        return None
    if not tests:
        say(f"[{v.name}] no tests selected ({v.what}): nothing to run")
        if not v.build_without_tests:
            say(f"[{v.name}] skipping the {v.preset} build, no test would use it")
            return []
    if not build:
        return tests
    # -k (keep going): one target that fails to compile should not hide the
    # results of every test that does build; those still run.
    say(f"[{v.name}] build: cmake --build --preset {v.preset} -j{args.jobs} -- -k")
    tally.attempted.add(v.preset)
    rc = stream(["cmake", "--build", "--preset", v.preset, f"-j{args.jobs}", "--", "-k"], log,
                echo=args.verbose)
    if rc != 0:
        say(tail(log_path))
        tally.fail(v.name, "build failed (tests whose targets built still run)", log_path)
    say(f"[{v.name}] configure + build {'FAILED' if rc else 'done'} in "
        f"{time.monotonic() - t0:.0f}s")
    return tests


def read_junit(path: Path) -> list[tuple[str, str, str]]:
    """(test name, status, why) from ctest's --output-junit file. status is
    run (passed), fail, skip (the test asked to be skipped: SKIP_RETURN_CODE
    or SKIP_REGULAR_EXPRESSION; or DISABLED), or notrun (ctest could not run
    it, e.g. its executable failed to build: a failure)."""
    root = ET.parse(path).getroot()
    out = []
    for tc in root.iter("testcase"):
        status = tc.get("status", "?")
        skipped = tc.find("skipped")
        why = skipped.get("message", "") if skipped is not None else ""
        if status == "disabled" or (status == "notrun" and why.startswith("SKIP_")):
            status = "skip"
        out.append((tc.get("name", "?"), status, why))
    return out
