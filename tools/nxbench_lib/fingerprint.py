"""The machine and build a run measured (results.json `fingerprint`), from
what the binaries reported in their google-benchmark context and from the
host."""
from __future__ import annotations

import datetime
import os
import platform
import re
import statistics
import subprocess

from nxbench_lib import REPO_ROOT


def read_first(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def cpu_model() -> str:
    text = read_first("/proc/cpuinfo") or ""
    m = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    return m.group(1).strip() if m else platform.processor()


def git(*argv: str, cwd=REPO_ROOT) -> str | None:
    try:
        proc = subprocess.run(["git", *argv], cwd=cwd, capture_output=True, text=True)
    except OSError:
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def fingerprint(contexts: dict, plan: dict, source=REPO_ROOT) -> dict:
    """`contexts`: label -> google-benchmark context of each binary run."""
    any_ctx = next(iter(contexts.values()), {})
    ghz = [float(c["tsc_ghz"]) for c in contexts.values() if c.get("tsc_ghz")]
    steps = [int(c["tsc_step_cycles"]) for c in contexts.values() if c.get("tsc_step_cycles")]
    libs, backends = {}, {}
    planted = sorted({c.get("nxbench_backend") for c in contexts.values()
                      if c.get("planted_slowdown")})
    for ctx in contexts.values():
        libs.update({k[4:]: v for k, v in ctx.items() if k.startswith("lib_")})
        if ctx.get("nxbench_backend"):
            backends[ctx["nxbench_backend"]] = ctx.get("nxbench_backend_version", "")
    status = git("status", "--porcelain", "--untracked-files=no", cwd=source)
    fp = {
        "cpu_model": cpu_model(),
        "cpu_model_hwloc": any_ctx.get("cpu_model_hwloc"),
        "cores": os.cpu_count(),
        "topology": any_ctx.get("topology"),
        "pair_classes": any_ctx.get("pair_classes"),
        "kernel": platform.release(),
        "machine": platform.machine(),
        "tsc_ghz": round(statistics.median(ghz), 4) if ghz else None,
        "tsc_invariant": any_ctx.get("tsc_invariant") == "1",
        # The most common answer: one process may see an interrupted read.
        "tsc_step_cycles": statistics.mode(steps) if steps else None,
        "timer": any_ctx.get("timer"),
        "batch_ops": int(any_ctx.get("batch_ops", 0) or 0),
        "governor": read_first("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
        "compiler": any_ctx.get("compiler"),
        "c_compiler": any_ctx.get("c_compiler"),
        "build_type": any_ctx.get("build_type"),
        "cxx_flags": any_ctx.get("cxx_flags"),
        "c_flags": any_ctx.get("c_flags"),
        "build_dir": plan["build_dirs"].get("new") or next(iter(plan["build_dirs"].values())),
        "libraries": libs,
        "backend_versions": backends,
        "git_commit": git("rev-parse", "HEAD", cwd=source),
        "git_dirty": bool(status) if status is not None else None,
        "rounds": plan["rounds"],
        "seed": plan["seed"],
        "quick": plan["quick"],
        "reference": plan["reference"],
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    if planted:
        fp["planted_slowdown"] = planted
    return fp
