"""The names the results schema uses (bench/README.md): cases, backends,
floors, and what is read against what. The one place in tools/ where these
lists are written down; run, compare, ab and report import them from here.
"""
from __future__ import annotations

# Every executor binary (nxbench_<backend>) has all of these, in this order.
EXECUTOR_CASES = ("spawn_poll_free", "spawn_poll_free_one", "poll_queued", "self_wake_poll",
                  "self_wake_one", "wake_other_poll", "waker_clone_drop", "spawn_with_live",
                  "churn", "cross_wake_busy", "cross_wake_parked", "cross_wake_responsive",
                  "cross_wake_idle_gap", "io_woken_poll", "timer_fire", "channel_roundtrip")
FLOOR_CASES = ("indirect_call", "min_executor", "pingpong", "eventfd_roundtrip")
PEER_CASES = {"asio": ("spawn_poll_free", "cross_wake_busy", "cross_wake_parked"),
              "libuv": ("cross_wake_busy", "cross_wake_parked")}
# Cases that need a core pair (absent on a one-core machine).
CROSS_CASES = ("pingpong", "eventfd_roundtrip", "cross_wake_busy", "cross_wake_parked",
               "cross_wake_responsive", "cross_wake_idle_gap")
# Allocator-independent: no allocation in the timed operation, so every
# backend should measure the same. Their differences are the run's noise.
CONTROL_CASES = ("poll_queued", "self_wake_poll", "waker_clone_drop")

BUILTIN_BACKENDS = ("malloc", "slab", "jemalloc", "mimalloc", "tcmalloc")
PEER_BACKENDS = ("asio", "libuv")
FLOOR_BACKEND = "floor"
DEFAULT_REFERENCE = "malloc"

# The floor a case is read against (same run, same round).
FLOOR_FOR_CASE = {"cross_wake_busy": "pingpong", "cross_wake_parked": "eventfd_roundtrip",
                  "cross_wake_responsive": "pingpong", "cross_wake_idle_gap": "pingpong"}
DEFAULT_FLOOR = "indirect_call"
SCALING_CASE = "spawn_with_live"

# Params that are measurements, not inputs: they never split rows.
MEASURED_PARAMS = ("bytes_per_task", "voluntary_csw_per_op")
MODES = ("batched", "single")
PHASES = ("start", "end")


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


def case_rank(name: str) -> tuple:
    if name in EXECUTOR_CASES:
        return (0, EXECUTOR_CASES.index(name), name)
    if name in FLOOR_CASES:
        return (2, FLOOR_CASES.index(name), name)
    return (1, 0, name)


def floor_for(case: str) -> str:
    return FLOOR_FOR_CASE.get(case, DEFAULT_FLOOR)


def expected_cases(kind: str, backend: str, has_pairs: bool) -> set[str]:
    """The cases a complete run has for one backend of this kind."""
    if kind == "floor":
        cases = set(FLOOR_CASES)
    elif kind == "peer":
        cases = set(PEER_CASES.get(backend, ()))
    else:
        cases = set(EXECUTOR_CASES)
    return cases if has_pairs else cases - set(CROSS_CASES)
