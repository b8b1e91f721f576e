"""`nxbench test`: build and test every variant, print one summary line.

Steps, in order (select with --only):
  default   cmake preset `default` (optimized, asserts on): every ctest test
  asan      preset `asan` (ASan+UBSan): every ctest test
  tsan      preset `tsan` (ThreadSanitizer): tests labelled `threads`
  memcheck  the `default` build's tests labelled `memcheck`, each run under
            valgrind memcheck (leaks of kind definite/indirect are errors)
  fuzz      preset `fuzz` (clang, libFuzzer, ASan+UBSan): tests/fuzz/fuzz_api
            for --fuzz-seconds (60) from the committed seed corpus; a crash is
            one failure, its input saved under build/nxbench-test/fuzz/
  smoke     runcmd.smoke_check(args) -> (passed, failed), when runcmd.py has it
  gate      gate.run_gate(args) -> (passed, failed), when gate.py has it

Build directories are build/<preset> (incremental: an existing one is reused).
Everything a step prints goes to build/nxbench-test/<step>.log; the terminal
gets progress lines, failing test names and the log paths, and last of all
exactly one line that CI can read:

    nxbench test: N passed, M failed

N and M count tests over all steps (a test run in two variants counts twice).
A configure or build failure counts as one failed item. Exit status is 0 only
when M is 0 and at least one test ran.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import importlib
import os
import re
import shlex
import subprocess
import threading
import time
import traceback
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from . import BUILD_ROOT, REPO_ROOT, TOOLS_DIR, CliError, say
from .deps import require_programs
from .testbuild import (CTEST_PROGRESS, Tally, Variant, configure_and_build, list_tests,
                        props, read_junit, rel, stream, tail)

LOG_DIR = BUILD_ROOT / "nxbench-test"
VALGRIND_SUPPRESSIONS = REPO_ROOT / "tests" / "valgrind.supp"
VALGRIND_ERROR_EXIT = 99


VARIANTS = {
    "default": Variant("default", "default", "all tests, optimized build"),
    "asan": Variant("asan", "asan", "all tests under ASan+UBSan"),
    # The test preset filters on the label; a TSan build is only worth its
    # time when some test exercises threads.
    "tsan": Variant("tsan", "tsan", "tests labelled 'threads' under TSan",
                    build_without_tests=False),
}


@dataclass(frozen=True)
class ExtraStep:
    """A check delivered by another module. `function(args)` must return
    (passed, failed) test counts; it may print progress; it must not exit."""
    name: str
    module: str
    function: str
    what: str


# Checks other modules deliver; a missing module or function is a failure.
EXTRA_STEPS = (
    ExtraStep("smoke", "runcmd", "smoke_check",
              "benchmark smoke run (nxbench run --quick), output checked for form"),
    ExtraStep("gate", "gate", "run_gate",
              "callgrind instruction-count regression gate"),
)

STEPS = (*VARIANTS, "memcheck", "fuzz", *(s.name for s in EXTRA_STEPS))

FUZZ_PRESET = "fuzz"
FUZZ_SEEDS = REPO_ROOT / "tests" / "fuzz" / "corpus"
FUZZ_REPRODUCERS = REPO_ROOT / "tests" / "fuzz" / "reproducers"
# libFuzzer's status lines: "#123 NEW cov: 742 ft: 5256 corp: ... exec/s: 10425 ..."
FUZZ_STATUS = re.compile(r"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)")


# --------------------------------------------------------------------------
# steps

def run_variant(v: Variant, args, tally: Tally) -> None:
    log_path = args.log_dir / f"{v.name}.log"
    with open(log_path, "w") as log:
        tests = configure_and_build(v, args, tally, log, log_path)
        if not tests:
            return
        say(f"[{v.name}] ctest: {len(tests)} test(s), {v.what}")
        junit = args.log_dir / f"{v.name}.junit.xml"
        junit.unlink(missing_ok=True)
        t0 = time.monotonic()
        rc = stream(["ctest", "--preset", v.preset, f"-j{args.jobs}",
                     "--output-junit", str(junit)],
                    log, echo=args.verbose, show=CTEST_PROGRESS.match)
        try:
            results = read_junit(junit)
        except (OSError, ET.ParseError) as e:
            tally.fail(v.name, f"ctest left no readable results (exit {rc}): {e}", log_path)
            return
        passed = failed = skipped = 0
        for name, status, why in results:
            if status == "run":
                passed += 1
            elif status == "skip":
                skipped += 1
            else:
                failed += 1
                tally.fail(v.name, name if status == "fail" else f"{name} (not run: {why})",
                           log_path)
        tally.passed += passed
        tally.skipped += skipped
        if rc != 0 and failed == 0:
            failed += 1
            tally.fail(v.name, f"ctest exited with status {rc} but reported no failed test",
                       log_path)
        say(f"[{v.name}] {passed} passed, {failed} failed, {skipped} skipped in "
            f"{time.monotonic() - t0:.0f}s (log: {rel(log_path)})")


def valgrind_one(test: dict, outdir: Path, timeout: float) -> tuple[str, str, Path]:
    """Runs one ctest test under memcheck: (name, verdict, log) with verdict
    pass, skip, or a failure description."""
    name = test["name"]
    p = props(test)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    vg_log = outdir / f"{safe}.valgrind.log"
    out_log = outdir / f"{safe}.out.log"
    if p.get("DISABLED") or p.get("WILL_FAIL"):
        return name, "skip", out_log
    cmd = ["valgrind", "--tool=memcheck", "--leak-check=full",
           "--show-leak-kinds=definite,indirect", "--errors-for-leak-kinds=definite,indirect",
           f"--error-exitcode={VALGRIND_ERROR_EXIT}", "--num-callers=40",
           f"--log-file={vg_log}"]
    if VALGRIND_SUPPRESSIONS.exists():
        cmd.append(f"--suppressions={VALGRIND_SUPPRESSIONS}")
    cmd += test["command"]
    env = dict(os.environ)
    for item in p.get("ENVIRONMENT", []):
        key, _, value = item.partition("=")
        env[key] = value
    with open(out_log, "w") as out:
        out.write(f"$ {shlex.join(cmd)}\n")
        out.flush()
        try:
            proc = subprocess.run(cmd, cwd=p.get("WORKING_DIRECTORY", REPO_ROOT), env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, errors="replace", timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return name, f"timed out after {timeout:.0f}s under valgrind", out_log
        out.write(proc.stdout)
    rc = proc.returncode
    if "SKIP_RETURN_CODE" in p and rc == int(p["SKIP_RETURN_CODE"]):
        return name, "skip", out_log
    if rc == VALGRIND_ERROR_EXIT:
        return name, "memory errors or leaks", vg_log
    if rc != 0:
        return name, f"failed under valgrind (exit {rc})", out_log
    for pattern in p.get("FAIL_REGULAR_EXPRESSION", []):
        if re.search(pattern, proc.stdout):
            return name, f"output matched FAIL_REGULAR_EXPRESSION {pattern!r}", out_log
    passes = p.get("PASS_REGULAR_EXPRESSION", [])
    if passes and not any(re.search(pt, proc.stdout) for pt in passes):
        return name, "output matched no PASS_REGULAR_EXPRESSION", out_log
    return name, "pass", vg_log


def run_memcheck(args, tally: Tally) -> None:
    v = VARIANTS["default"]
    log_path = args.log_dir / "memcheck.log"
    if v.preset in tally.broken:
        say("[memcheck] skipped: the default configure failed (counted above)")
        return
    with open(log_path, "w") as log:
        if v.preset not in tally.attempted:  # e.g. --only memcheck
            if configure_and_build(Variant("memcheck", v.preset, v.what), args, tally,
                                   log, log_path) is None:
                return
        try:
            tests = list_tests(v.preset, ["-L", "memcheck"])
        except CliError as e:
            tally.fail("memcheck", f"cannot list tests: {e}", log_path)
            return
        if not tests:
            say("[memcheck] no tests carry the label 'memcheck' yet: nothing to run")
            return
        outdir = args.log_dir / "memcheck"
        outdir.mkdir(parents=True, exist_ok=True)
        say(f"[memcheck] valgrind memcheck over {len(tests)} test(s) of the default build "
            f"(-j{args.jobs})")
        t0 = time.monotonic()
        lock = threading.Lock()
        done = 0
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(valgrind_one, t, outdir, args.memcheck_timeout)
                       for t in tests]
            for fut in concurrent.futures.as_completed(futures):
                name, verdict, detail_log = fut.result()
                with lock:
                    done += 1
                    shown = {"pass": "Passed", "skip": "Skipped"}.get(verdict, "***Failed")
                    say(f"    {done}/{len(tests)} memcheck {name} ... {shown}")
                    log.write(f"{name}: {verdict} ({detail_log})\n")
                    if verdict == "pass":
                        tally.passed += 1
                    elif verdict == "skip":
                        tally.skipped += 1
                    else:
                        tally.fail("memcheck", f"{name}: {verdict}", detail_log)
                        log.write(detail_log.read_text(errors="replace")
                                  if detail_log.exists() else "")
        say(f"[memcheck] done in {time.monotonic() - t0:.0f}s (logs: {rel(outdir)}/)")


def run_fuzz(args, tally: Tally) -> None:
    """Builds the libFuzzer target and runs it for args.fuzz_seconds from the
    committed seeds (read-only) into a working corpus kept in the build dir,
    so coverage accumulates over runs. One item: pass, or fail with the
    crashing input saved and the command that replays it."""
    log_path = args.log_dir / "fuzz.log"
    outdir = args.log_dir / "fuzz"
    outdir.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        v = Variant("fuzz", FUZZ_PRESET, "libFuzzer target, ASan+UBSan")
        if configure_and_build(v, args, tally, log, log_path) is None:
            return
        binary = BUILD_ROOT / FUZZ_PRESET / "tests" / "fuzz" / "bin" / "fuzz_api"
        if not binary.exists():
            tally.fail("fuzz", f"{rel(binary)} was not built", log_path)
            return
        work = BUILD_ROOT / FUZZ_PRESET / "corpus"
        work.mkdir(parents=True, exist_ok=True)
        for old in outdir.glob("crash-*"):
            old.unlink()
        cmd = [str(binary), f"-max_total_time={args.fuzz_seconds}", "-print_final_stats=1",
               f"-artifact_prefix={outdir}/", "-rss_limit_mb=2048", str(work),
               str(FUZZ_SEEDS), str(FUZZ_REPRODUCERS)]
        say(f"[fuzz] {rel(binary)} for {args.fuzz_seconds}s "
            f"(seeds: {rel(FUZZ_SEEDS)}, working corpus: {rel(work)})")
        last = None
        t0 = time.monotonic()

        def progress(line: str) -> bool:
            nonlocal last
            m = FUZZ_STATUS.match(line)
            if m:
                last = m
            return "ERROR" in line or "fuzz_api:" in line or "runtime error" in line

        rc = stream(cmd, log, echo=args.verbose, show=progress)
        stats = (f"{int(last.group(1)):,} executions, cov {last.group(2)} edges, "
                 f"ft {last.group(3)} features, corpus {last.group(4)}" if last else
                 "no status line")
        crashes = sorted(outdir.glob("crash-*")) + sorted(outdir.glob("leak-*")) + \
            sorted(outdir.glob("timeout-*"))
        if rc != 0 or crashes:
            what = rel(crashes[0]) if crashes else f"exit status {rc}"
            say(tail(log_path, 30))
            say(f"[fuzz] FAILED: {what}. Replay: {rel(binary)} {what}; keep it as a "
                f"regression test: cp {what} {rel(FUZZ_REPRODUCERS)}/<what-it-does>")
            tally.fail("fuzz", f"fuzz_api found a failing input: {what}", log_path)
            return
        tally.passed += 1
        say(f"[fuzz] clean in {time.monotonic() - t0:.0f}s: {stats} (log: {rel(log_path)})")


def run_extra(step: ExtraStep, args, tally: Tally) -> None:
    path = TOOLS_DIR / "nxbench_lib" / f"{step.module}.py"
    where = f"tools/nxbench_lib/{step.module}.py"
    if not path.exists():
        tally.fail(step.name, f"{where} is missing ({step.what})", None)
        return
    log_path = args.log_dir / f"{step.name}.log"
    try:
        mod = importlib.import_module(f"nxbench_lib.{step.module}")
    except Exception as e:
        log_path.write_text(traceback.format_exc())
        tally.fail(step.name, f"cannot import {where}: {type(e).__name__}: {e}", log_path)
        return
    fn = getattr(mod, step.function, None)
    if fn is None:
        tally.fail(step.name, f"{where} has no {step.function}() ({step.what})", None)
        return
    say(f"[{step.name}] {step.what}: {step.module}.{step.function}()")
    try:
        result = fn(args)
        passed, failed = (int(x) for x in result)
    except Exception as e:
        log_path.write_text(traceback.format_exc())
        say(tail(log_path, 15))
        tally.fail(step.name, f"{step.module}.{step.function}() raised "
                   f"{type(e).__name__}: {e}", log_path)
        return
    tally.passed += passed
    for _ in range(failed):
        tally.fail(step.name, f"{step.module}.{step.function}() reported a failed check "
                   "(see its output above)", None)
    say(f"[{step.name}] {passed} passed, {failed} failed")


# --------------------------------------------------------------------------
# CLI

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Configure, build and test nxrt in every variant, then print one line "
        "`nxbench test: N passed, M failed` and exit non-zero on any failure. "
        "Build dirs: build/<preset> (reused, incremental). Logs: build/nxbench-test/.")
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "steps:\n" + "\n".join([
        "  default   preset `default` (RelWithDebInfo, asserts on): every test",
        "  asan      preset `asan` (ASan+UBSan): every test",
        "  tsan      preset `tsan` (ThreadSanitizer): tests labelled `threads`",
        "  memcheck  default build, tests labelled `memcheck`, each under valgrind "
        "(leaks are errors)",
        "  fuzz      preset `fuzz`: libFuzzer target tests/fuzz/fuzz_api for "
        "--fuzz-seconds (ASan+UBSan)",
        *(f"  {s.name:<9} {s.what} ({s.module}.{s.function})"
          for s in EXTRA_STEPS)])
    parser.add_argument("--only", metavar="STEPS",
                        help=f"comma-separated steps to run (default: all): {','.join(STEPS)}")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2,
                        help="parallel build jobs and tests (default: %(default)s, the CPU count)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="stream all configure/build/ctest output, not just progress")
    parser.add_argument("--memcheck-timeout", type=float, default=900, metavar="SECONDS",
                        help="per-test limit under valgrind (default: %(default)s)")
    parser.add_argument("--fuzz-seconds", type=int, default=60, metavar="SECONDS",
                        help="how long the fuzz step runs the fuzzer (default: %(default)s; "
                             "tests/fuzz/README.md says how to run it for hours)")


def selected_steps(only: str | None) -> list[str]:
    if not only:
        return list(STEPS)
    wanted = [s.strip() for s in only.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in STEPS]
    if unknown or not wanted:
        raise CliError(f"--only: unknown step(s) {', '.join(unknown) or '(none given)'}; "
                       f"choose from {','.join(STEPS)}", exit_code=2)
    return [s for s in STEPS if s in wanted]  # always in the documented order


def main(args: argparse.Namespace) -> int:
    steps = selected_steps(args.only)
    if args.jobs < 1:
        raise CliError("-j must be at least 1", exit_code=2)
    if args.memcheck_timeout <= 0:
        raise CliError("--memcheck-timeout must be positive", exit_code=2)
    if args.fuzz_seconds <= 0:
        raise CliError("--fuzz-seconds must be positive", exit_code=2)
    require_programs("cmake", "ctest", *(["valgrind"] if "memcheck" in steps else []),
                     *(["clang"] if "fuzz" in steps else []))

    # What extra steps may read: repo paths and the common options.
    args.root = REPO_ROOT
    args.build_root = BUILD_ROOT
    args.log_dir = LOG_DIR
    args.default_build_dir = BUILD_ROOT / VARIANTS["default"].preset
    LOG_DIR.mkdir(parents=True, exist_ok=True)

    tally = Tally()
    t0 = time.monotonic()
    for i, step in enumerate(steps, 1):
        say(f"== nxbench test: step {i}/{len(steps)}: {step}")
        if step in VARIANTS:
            run_variant(VARIANTS[step], args, tally)
        elif step == "memcheck":
            run_memcheck(args, tally)
        elif step == "fuzz":
            run_fuzz(args, tally)
        else:
            run_extra(next(s for s in EXTRA_STEPS if s.name == step), args, tally)

    say(f"== nxbench test: finished in {time.monotonic() - t0:.0f}s; logs in {rel(LOG_DIR)}/")
    if tally.failures:
        say("nxbench test: FAILED:")
        for line in tally.failures:
            say(f"  {line}")
    if tally.skipped:
        say(f"nxbench test: {tally.skipped} test(s) skipped (not counted below)")
    nothing = tally.passed == 0 and tally.failed == 0
    if nothing:
        say("nxbench test: no test ran at all; that is not a pass")
    say(f"nxbench test: {tally.passed} passed, {tally.failed} failed")
    return 1 if tally.failed or nothing else 0
