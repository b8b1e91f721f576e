"""The case catalogue (bench/README.md, "The catalogue"): what each benchmark
binary says about its cases when run with `--nxbench_cases` (kind, the floor a
case is read against, whether it is a control case, the counters it must
report, its source). tools/ keeps no list of cases: run reads the catalogue
from the binaries and stores it in results.json; report, compare, summary and
profile read it from there (or from the binaries of a build).

A results file written before files carried a catalogue is read with
bench/catalogue_legacy.json, the catalogue of the cases of that time.

The module holds the catalogues loaded so far (use()), merged: one process
may read several results files, and a case means the same in all of them.
"""
from __future__ import annotations

import json
import subprocess

from nxbench_lib import REPO_ROOT, CliError

LEGACY_FILE = REPO_ROOT / "bench" / "catalogue_legacy.json"
CATALOGUE_SCHEMA = 1

# The harness's vocabulary (bench/harness.h), not cases.
MODES = ("batched", "single")
PHASES = ("start", "end")   # floors run at both ends of a round
EXECUTOR_GROUP = "executor"  # every executor binary prints the same catalogue

# Backends: the display order of the built-in ones, the peers, the floor binary.
BUILTIN_BACKENDS = ("malloc", "slab", "slab_classes", "jemalloc", "mimalloc", "tcmalloc")
PEER_BACKENDS = ("asio", "libuv", "tokio")
FLOOR_BACKEND = "floor"

_groups: dict[str, dict] = {}   # group -> one binary's catalogue
_legacy: dict[str, dict] | None = None


# --------------------------------------------------------------------------
# loading

def group_of(kind: str, backend: str) -> str:
    """Executor binaries share one catalogue; a floor or peer binary has its own."""
    return EXECUTOR_GROUP if kind in ("executor", "plugin_host") else backend.split(" ", 1)[0]


def use(catalogue: dict | None) -> None:
    """Adds a results file's catalogue ({"groups": {...}}) or one binary's
    (as `--nxbench_cases` prints it) to the loaded ones. None: nothing."""
    if not catalogue:
        return
    if "groups" in catalogue:
        for name, cat in catalogue["groups"].items():
            _groups.setdefault(name, cat)
    else:
        _groups.setdefault(group_of(catalogue.get("backend_kind", ""),
                                    catalogue.get("backend", "")), catalogue)


def snapshot() -> dict:
    """The loaded catalogues in results-file form."""
    return {"schema": CATALOGUE_SCHEMA, "groups": dict(_groups)}


def reset() -> None:
    """Forgets the loaded catalogues (tests)."""
    _groups.clear()


def _legacy_groups() -> dict[str, dict]:
    global _legacy
    if _legacy is None:
        try:
            _legacy = json.loads(LEGACY_FILE.read_text())["groups"]
        except (OSError, ValueError, KeyError) as e:
            raise CliError(f"cannot read {LEGACY_FILE}: {e}") from e
    return _legacy


def _active() -> dict[str, dict]:
    if not _groups:
        return _legacy_groups()
    merged = dict(_legacy_groups())
    merged.update(_groups)
    return merged


def read_binary(path: str, env: dict | None = None, quick: bool = False) -> dict | None:
    """One binary's catalogue, or None when it cannot print one (a build from
    before the catalogue: `nxbench ab` may run such a base)."""
    cmd = [path, "--nxbench_cases"] + (["--nxbench_quick"] if quick else [])
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    try:
        cat = json.loads(proc.stdout)
    except ValueError as e:
        raise CliError(f"{path} --nxbench_cases printed invalid JSON ({e})") from e
    if cat.get("schema") != CATALOGUE_SCHEMA or not isinstance(cat.get("cases"), list):
        raise CliError(f"{path} --nxbench_cases: not a schema-{CATALOGUE_SCHEMA} catalogue")
    return cat


# --------------------------------------------------------------------------
# questions about cases

def _ordered_groups() -> list[tuple[str, dict]]:
    groups = _active()

    def rank(name):
        kind = groups[name].get("backend_kind")
        return (0 if name == EXECUTOR_GROUP else 2 if kind == "floor" else 1, name)
    return [(g, groups[g]) for g in sorted(groups, key=rank)]


def entries() -> list[tuple[str, dict]]:
    """(group, case entry) for every case of every catalogue, display order:
    executor cases, cases only a peer has, floors."""
    return [(g, c) for g, cat in _ordered_groups() for c in cat["cases"]]


def info(case: str, group: str | None = None) -> dict | None:
    """The case's entry: from `group` if given and known there, else from the
    executor catalogue, a peer's, or the floors' (in that order)."""
    groups = _active()
    if group and group in groups:
        for c in groups[group]["cases"]:
            if c["name"] == case:
                return c
    for _g, c in entries():
        if c["name"] == case:
            return c
    return None


def case_rank(name: str) -> tuple:
    """Display order of a case: its first place in entries(); unknown last."""
    for i, (_g, c) in enumerate(entries()):
        if c["name"] == name:
            return (0, i, name)
    return (1, 0, name)


def floor_for(case: str, params: dict | None = None) -> str | None:
    """The floor case a row is read against (same run, same round): the first
    `floor_when` entry ("param=value") its params match, else `floor`."""
    c = info(case)
    if c is None:
        return None
    for cond, floor in c.get("floor_when", {}).items():
        key, _, value = cond.partition("=")
        if params and str(params.get(key)) == value:
            return floor
    return c.get("floor") or None


def control_cases() -> set[str]:
    """Cases with no allocation in the timed operation: every backend should
    measure the same, so their differences are the run's noise."""
    return {c["name"] for _g, c in entries() if c.get("control")}


def cases_of_kind(kind: str) -> list[str]:
    """Case names of one kind (local, cross, floor, peer), display order."""
    out = []
    for _g, c in entries():
        if c.get("kind") == kind and c["name"] not in out:
            out.append(c["name"])
    return out


def pair_cases() -> set[str]:
    """Cases that need a core pair (absent on a one-core machine)."""
    return {c["name"] for _g, c in entries() if c.get("needs_pair")}


def measured_counters(case: str) -> list[str]:
    """Counters every row of the case must carry."""
    c = info(case)
    return list(c.get("measured", [])) if c else []


def measured_params() -> set[str]:
    """Counters that are measurements, not inputs: they never split rows
    (schema 1 files kept some among the params)."""
    return {m for _g, c in entries() for m in c.get("measured", [])}


def scaling_cases() -> dict[str, str]:
    """{case: param} of the cases drawn as a curve over one param."""
    return {c["name"]: c["scaling_param"] for _g, c in entries() if c.get("scaling_param")}


def not_profiled(case: str) -> str:
    c = info(case)
    return c.get("not_profiled", "") if c else ""


def source_of(group: str, case: str) -> dict | None:
    c = info(case, group)
    return c.get("source") if c else None


def section_cases(section: str) -> list[str]:
    """The measured (not floor) cases the catalogue puts in a report section
    of their own (`section`, e.g. "network"), display order."""
    out = []
    for _g, c in entries():
        if c.get("section") == section and c.get("kind") != "floor" and c["name"] not in out:
            out.append(c["name"])
    return out


def headline() -> tuple[str, str, dict] | None:
    """(case, mode, params) of the variant the executor catalogue names to
    stand for the suite where one is shown alone (the report's trend
    section; profile and trend without a case). None: no catalogue names
    one (results files from before the field)."""
    cat = _active().get(EXECUTOR_GROUP) or {}
    for c in cat.get("cases", []):
        h = c.get("headline")
        if h:
            return c["name"], h["mode"], {k: str(v) for k, v in h.get("params", {}).items()}
    return None


def reference_backend() -> str | None:
    """The backend the executor catalogue names as the reference of ratios."""
    cat = _active().get(EXECUTOR_GROUP)
    return (cat or {}).get("reference_backend") or None


def expected_cases(kind: str, backend: str, has_pairs: bool) -> set[str]:
    """The cases a complete run has for one backend of this kind."""
    cat = _active().get(group_of(kind, backend))
    cases = {c["name"] for c in cat["cases"]} if cat else set()
    return cases if has_pairs else cases - pair_cases()


# --------------------------------------------------------------------------
# backends

def kind_of(backend: str) -> str:
    """'floor', 'peer' or 'executor' (a built-in or a plugin backend)."""
    name = backend.split(" ", 1)[0]
    if name == FLOOR_BACKEND:
        return "floor"
    if name in PEER_BACKENDS:
        return "peer"
    return "executor"


def backend_rank(name: str) -> tuple:
    """Display order: built-ins, plugins (alphabetical), peers, floor. A peer
    variant such as "asio post_run" sorts with its peer."""
    base, _, variant = name.partition(" ")
    if base in BUILTIN_BACKENDS:
        return (0, BUILTIN_BACKENDS.index(base), base, variant)
    if base in PEER_BACKENDS:
        return (2, PEER_BACKENDS.index(base), base, variant)
    if base == FLOOR_BACKEND:
        return (3, 0, base, variant)
    return (1, 0, base, variant)
