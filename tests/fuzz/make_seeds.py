#!/usr/bin/python3
"""Writes the seed corpus of fuzz_api (tests/fuzz/corpus/): deterministic
byte strings, each biased toward one family of operations, so the fuzzer
starts from inputs that already spawn, run, cancel, use channels, shut down
and destroy. Rerun after changing the op table in fuzz_api.c:
    /usr/bin/python3 tests/fuzz/make_seeds.py
"""
import random
from pathlib import Path

# Must follow `enum op` in fuzz_api.c.
OPS = ["SPAWN", "SPAWN_SLAB", "RESERVE", "RESERVE_SLAB", "WAKE_BY_REF", "WAKE", "CLONE",
       "DROP_WAKER", "CANCEL", "CANCEL_STALE", "RUN_ONCE", "JOIN_TRY", "JOIN_DETACH",
       "SEND", "RECV", "CLOSE_TX", "CLOSE_RX", "SPAWN_ZERO", "SHUTDOWN", "DESTROY"]
SPAWNS = {"SPAWN", "SPAWN_SLAB", "RESERVE", "RESERVE_SLAB"}

FAMILIES = {
    "spawn_run": {"SPAWN": 4, "SPAWN_SLAB": 3, "RUN_ONCE": 6, "WAKE_BY_REF": 2, "CLONE": 1},
    "wakers": {"SPAWN": 3, "RUN_ONCE": 4, "WAKE": 3, "WAKE_BY_REF": 3, "CLONE": 3,
               "DROP_WAKER": 3},
    "cancel": {"SPAWN": 3, "SPAWN_SLAB": 2, "RUN_ONCE": 3, "CANCEL": 4, "CANCEL_STALE": 1,
               "JOIN_TRY": 2},
    "reserve": {"RESERVE": 4, "RESERVE_SLAB": 4, "RUN_ONCE": 3, "JOIN_TRY": 2,
                "JOIN_DETACH": 2},
    "channels": {"SEND": 5, "RECV": 5, "CLOSE_TX": 1, "CLOSE_RX": 1, "SPAWN": 2, "RUN_ONCE": 2},
    "shutdown": {"SPAWN": 4, "RUN_ONCE": 3, "SPAWN_ZERO": 2, "SHUTDOWN": 1, "CANCEL": 1,
                 "CLONE": 1},
    "destroy": {"SPAWN": 4, "SPAWN_SLAB": 2, "RUN_ONCE": 3, "CLONE": 2, "DESTROY": 1},
    "mixed": {op: 1 for op in OPS},
}


def seed(rng: random.Random, weights: dict, n_ops: int) -> bytes:
    ops = list(weights)
    w = [weights[o] for o in ops]
    out = bytearray([rng.randrange(8), rng.randrange(4)])  # tasks_per_cycle, ring
    out += bytes(rng.randrange(4) for _ in range(3))       # channel capacities
    for _ in range(n_ops):
        op = rng.choices(ops, w)[0]
        out += bytes([OPS.index(op), rng.randrange(256)])
        if op in SPAWNS:
            out += bytes(rng.randrange(256) for _ in range(3))
    return bytes(out)


def main() -> None:
    corpus = Path(__file__).resolve().parent / "corpus"
    corpus.mkdir(exist_ok=True)
    for old in corpus.glob("seed-*"):
        old.unlink()
    rng = random.Random(20260601)
    for family, weights in FAMILIES.items():
        for k, n_ops in enumerate((16, 64, 256)):
            (corpus / f"seed-{family}-{k}").write_bytes(seed(rng, weights, n_ops))
    print(f"wrote {len(FAMILIES) * 3} seeds to {corpus}")


if __name__ == "__main__":
    main()
