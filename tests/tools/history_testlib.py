"""SYNTHETIC runs for the results-database tests: small results documents
(schema 2) whose numbers are invented from a seeded generator with a known
truth, marked as fixtures in their fingerprint. Never a measurement.

A run has two executor backends (malloc, the reference, and slab), one
case (spawn_poll_free future_bytes=64, batched) and the indirect_call
floor. `slab_factor` scales the slab's cost in that run: a planted step.
"""
import datetime
import hashlib
import math

import numpy

import tools_testlib  # noqa: F401  (puts tools/ on sys.path)

LEVELS = {"malloc": 60.0, "slab": 20.0}
FLOOR = 3.0
COMMITS = [hashlib.sha1(b"synthetic commit %d" % i).hexdigest() for i in range(200)]


def fingerprint(machine="synthetic-a"):
    return {"cpu_model": "SYNTHETIC FIXTURE - not a measurement (%s)" % machine, "cores": 2,
            "kernel": "synthetic", "compiler": "synthetic", "tsc_ghz": 2.5,
            "tsc_step_cycles": 1, "libraries": {"nxrt": "0.1.0"},
            "synthetic_fixture": True}


def run(i, rng, slab_factor=1.0, noise=0.02, host=0.0, machine="synthetic-a", rounds=5,
        quick=False, day0=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)):
    """Run number i (commit COMMITS[i], started i hours after day0).
    Each round has a host speed factor shared by every row (`host`: its
    lognormal sigma) and each row's own noise (`noise`)."""
    started = (day0 + datetime.timedelta(hours=i)).isoformat(timespec="seconds")
    fp = dict(fingerprint(machine), git_commit=COMMITS[i], git_dirty=False, date=started)
    host_f = [math.exp(rng.normal(0.0, host)) if host else 1.0 for _ in range(rounds)]

    def row(backend, case, params, level, kind):
        rnds = []
        for k in range(rounds):
            p50 = level * host_f[k] * math.exp(rng.normal(0.0, noise))
            rnds.append({"round": k, "samples": 1000, "tsc_ghz": 2.5, "p50_cycles": p50,
                         "p90_cycles": p50 * 1.2, "p99_cycles": p50 * 2.0,
                         "p999_cycles": p50 * 4.0, "max_cycles": p50 * 20.0})
        return {"backend": backend, "kind": kind, "backend_version": "synthetic",
                "case": case, "params": params, "mode": "batched", "rounds": rnds,
                "description": "SYNTHETIC"}

    rows = [row(b, "spawn_poll_free", {"future_bytes": 64},
                LEVELS[b] * (slab_factor if b == "slab" else 1.0), "executor")
            for b in LEVELS]
    rows.append(row("floor", "indirect_call", {"phase": "start"}, FLOOR, "floor"))
    return {"schema": 2, "complete": True, "fingerprint": fp, "started": started,
            "command": "SYNTHETIC FIXTURE run %d" % i,
            "plan": {"rounds": rounds, "seed": i, "quick": quick, "reference": "malloc"},
            "rounds": [{"round": k} for k in range(rounds)], "results": rows, "errors": []}


def series(n, step_at=None, factor=1.10, seed=1, **kw):
    """n runs; from run `step_at` on the slab costs `factor` times more."""
    rng = numpy.random.default_rng(seed)
    return [run(i, rng, factor if step_at is not None and i >= step_at else 1.0, **kw)
            for i in range(n)]
