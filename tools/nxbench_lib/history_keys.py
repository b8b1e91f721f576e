"""What names a run, a machine and a branch in the results database: a run
is keyed by a hash of what it measured (so importing it twice is a no-op), a
machine by a hash of its host and build (runs compare only within one), the
branch by CI's variables or git."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess

from nxbench_lib import REPO_ROOT
from nxbench_lib.history_schema import ROUND_FIELDS

# Fields of the fingerprint that make two runs "the same machine": the host
# and the build, not the run's options or its date.
MACHINE_FIELDS = ("cpu_model", "cpu_model_hwloc", "cores", "topology", "kernel", "machine",
                  "compiler", "c_compiler", "build_type")
# Libraries every run's binaries report (a run of two backends lists fewer
# libraries than a full one: those must not make it another machine). The
# backends' own versions (jemalloc, ...) and nxrt's are what a series tracks,
# so a change there is a step to find, not a new machine; they are kept in
# the description.
MACHINE_LIBRARIES = ("glibc", "benchmark", "hwloc")

def canonical_params(params: dict) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"))


def run_key(data: dict) -> str:
    """What makes a run itself: its start, fingerprint and every measured
    round (not where the file was found, nor what was derived from it)."""
    rows = sorted(([r["backend"], r["case"], canonical_params(r["params"]), r["mode"],
                    sorted(([x["round"]] + [x.get(f) for f in ROUND_FIELDS]
                            for x in r["rounds"]), key=lambda v: v[0])]
                   for r in data["results"]), key=lambda v: v[:4])
    doc = {"started": started_of(data), "fingerprint": data["fingerprint"], "rows": rows}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def machine_identity(fp: dict) -> dict:
    out = {k: fp.get(k) for k in MACHINE_FIELDS if fp.get(k) not in (None, "", {})}
    libs = fp.get("libraries") or {}
    out["libraries"] = {k: libs[k] for k in MACHINE_LIBRARIES if k in libs}
    # A VM may name its CPU only "AMD EPYC" while the host under it changes
    # between sessions (Zen 3, Zen 4, Turin: TSC 2.1-2.6 GHz here); the TSC
    # frequency to 0.1 GHz tells those hosts apart (one host calibrates the
    # same to about 0.001 GHz run after run).
    if isinstance(fp.get("tsc_ghz"), (int, float)):
        out["tsc_ghz"] = round(float(fp["tsc_ghz"]), 1)
    return out


def machine_description(fp: dict) -> dict:
    """The identity plus every library and backend version the run saw."""
    return dict(machine_identity(fp), **{k: fp[k] for k in ("libraries", "backend_versions")
                                         if fp.get(k)})


def machine_key(fp: dict) -> str:
    """12 hex digits naming the machine and build (MACHINE_FIELDS,
    MACHINE_LIBRARIES)."""
    text = json.dumps(machine_identity(fp), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def started_of(data: dict) -> str:
    return str(data.get("started") or data["fingerprint"].get("date") or "")


def current_branch(source=REPO_ROOT) -> str | None:
    """The branch being measured: CI's variables first (a CI checkout is a
    detached head), then git."""
    for var in ("NXBENCH_BRANCH", "GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_COMMIT_REF_NAME"):
        if os.environ.get(var):
            return os.environ[var]
    try:
        proc = subprocess.run(["git", "rev-parse", "--abbrev-ref", "HEAD"], cwd=source,
                              capture_output=True, text=True)
    except OSError:
        return None
    name = proc.stdout.strip()
    return name if proc.returncode == 0 and name and name != "HEAD" else None
