#!/usr/bin/python3
"""The checker behind `nxbench test`'s smoke step (results_check.check_run)
accepts a complete, well-formed schema-2 run and catches each kind of
malformed or unfinished one, so the smoke check can fail; and one process's
google-benchmark JSON turns into per-round records (runloop). Needs no build."""
import copy

from benchtest import Checks, results, results_check
from nxbench_lib import cases, runloop, runplan

JOBS = [("floor", "floor", "nxbench_floor"), ("malloc", "executor", "nxbench_malloc"),
        ("asio", "peer", "nxbench_asio"), ("libuv", "peer", "nxbench_libuv")]
ROUNDS = 3


def row(backend, binary, case, **params):
    rounds = []
    for i in range(ROUNDS):
        rnd = {"round": i, "samples": 100}
        for k, p in enumerate(results.PERCENTILES):
            rnd[f"{p}_cycles"] = 10.0 * (k + 1) + i
        for counter in cases.measured_counters(case):
            rnd[counter] = 2.0
        rounds.append(rnd)
    first = {"backend": backend, "backend_version": "v1", "case": case, "params": params,
             "mode": "single", "binary": binary}
    return results.make_row(first, rounds, 21)


def well_formed() -> dict:
    rows = []
    for backend, kind, binary in JOBS:
        for case in sorted(cases.expected_cases(kind, backend, True)):
            params = {}
            if case in cases.pair_cases():
                params["pair_class"] = "cross_l3"
            if case == "spawn_with_live":
                params["live_tasks"] = 10
            if kind == "floor":
                for phase in ("start", "end"):
                    rows.append(row(backend, binary, case, phase=phase, **params))
            else:
                rows.append(row(backend, binary, case, **params))
    fp = {"cpu_model": "cpu", "cores": 2, "kernel": "6", "tsc_ghz": 2.1, "tsc_step_cycles": 21,
          "compiler": "GNU", "cxx_flags": "-O2", "libraries": {"hwloc": "2.9"},
          "git_commit": "abc", "pair_classes": "cross_l3=0+1"}
    return {"schema": 2, "complete": True, "fingerprint": fp, "command": "tools/nxbench run",
            "plan": {"rounds": ROUNDS}, "rounds": [{"round": i} for i in range(ROUNDS)],
            "results": rows, "errors": []}


def main() -> int:
    c = Checks()
    good = well_formed()
    c.check(results_check.check_run(good, JOBS) == [],
            f"well-formed file accepted: {results_check.check_run(good, JOBS)}")

    def expect(what, mutate, fragment):
        bad = copy.deepcopy(good)
        mutate(bad)
        problems = results_check.check_run(bad, JOBS)
        c.check(any(fragment in p for p in problems),
                f"{what}: expected a problem with '{fragment}', got {problems}")

    def swap_p50_p99(d):
        r = d["results"][3]["rounds"][1]
        r["p50_cycles"], r["p99_cycles"] = 99.0, 1.0
    expect("p50 > p99 in a round", swap_p50_p99, "out of order")
    expect("NaN percentile", lambda d: d["results"][0]["rounds"][0].update(
        p90_cycles=float("nan")), "finite number")
    expect("a round missing", lambda d: d["results"][2]["rounds"].pop(), "expected 0..2")
    expect("case missing", lambda d: d.update(results=[r for r in d["results"]
                                                      if not (r["backend"] == "malloc" and
                                                              r["case"] == "churn")]),
           "backend malloc: cases missing: churn")
    expect("backend missing", lambda d: d.update(results=[r for r in d["results"]
                                                         if r["backend"] != "libuv"]),
           "backend libuv: cases missing")
    expect("unknown backend", lambda d: d["results"].append(
        row("bogus", "nxbench_bogus", "churn")), "no binary was run as")
    expect("row from the wrong binary", lambda d: d["results"][5].update(binary="nxbench_x"),
           "from binary")
    expect("bad mode", lambda d: d["results"][0].update(mode="batch"), "mode")
    expect("no version", lambda d: d["results"][0].update(backend_version=""),
           "empty backend_version")
    expect("no samples", lambda d: d["results"][0]["rounds"][0].update(samples=0), "samples")
    expect("schema 1", lambda d: d.update(schema=1), "schema")
    expect("unfinished", lambda d: d.update(complete=False), "did not finish")
    expect("round records", lambda d: d["rounds"].pop(), "round records")
    expect("no fingerprint tsc", lambda d: d["fingerprint"].pop("tsc_ghz"), "fingerprint.tsc_ghz")
    expect("no tsc step", lambda d: d["fingerprint"].pop("tsc_step_cycles"), "tsc_step_cycles")
    expect("no command", lambda d: d.pop("command"), "command is missing")
    expect("run errors", lambda d: d.update(errors=["slab: churn: boom"]), "boom")
    expect("no end floors", lambda d: d.update(results=[r for r in d["results"]
                                                       if r["params"].get("phase") != "end"]),
           "phase end")
    expect("parked without csw", lambda d: [rnd.pop("voluntary_csw_per_op", None)
                                            for r in d["results"] for rnd in r["rounds"]],
           "voluntary_csw_per_op")
    expect("live without bytes", lambda d: [rnd.pop("bytes_per_task", None)
                                            for r in d["results"] for rnd in r["rounds"]],
           "bytes_per_task")
    expect("empty results", lambda d: d.update(results=[]), "results is empty")

    # Names from google-benchmark parse into case, mode and typed params,
    # and families group a benchmark's modes.
    case, mode, params = runloop.parse_name(
        "spawn_with_live/mode:batched/live_tasks:1000/iterations:1/repeats:3")
    c.check((case, mode, params) == ("spawn_with_live", "batched", {"live_tasks": 1000}),
            f"parse_name: {(case, mode, params)}")
    fam = runplan.family_of("spawn_poll_free/mode:single/future_bytes:64/iterations:1")
    c.check(fam == "spawn_poll_free/future_bytes:64", f"family_of: {fam}")
    c.check(runplan.family_filter(["poll_queued"]) == "^(poll_queued/mode:[a-z]+)(/iterations:1)?$",
            runplan.family_filter(["poll_queued"]))
    # One process's JSON: a case that failed (SkipWithError) and a binary
    # reporting another backend than it was run as are problems.
    job = runplan.Job("nxbench_slab", "/x", "executor", "slab", "slab")
    bench = {"run_name": "churn/mode:single/live_tasks:10/iterations:1", "run_type": "iteration",
             "samples": 5.0, "label": "d", "p50_cycles": 1.0, "tsc_ghz": 2.1}
    failed = dict(bench, error_occurred=True, error_message="churn step: NX_ENOMEM")
    recs, problems = runloop.round_records(job, {"context": {"nxbench_backend": "slab",
                                                             "nxbench_backend_version": "v"},
                                                 "benchmarks": [bench, failed]}, 2, None)
    c.check(len(recs) == 1 and recs[0][0]["params"] == {"live_tasks": 10} and
            recs[0][1]["round"] == 2 and recs[0][1]["tsc_ghz"] == 2.1,
            f"round_records keeps the good run: {recs}")
    c.check(any("NX_ENOMEM" in p for p in problems), f"failed case reported: {problems}")
    recs, problems = runloop.round_records(job, {"context": {"nxbench_backend": "malloc",
                                                             "nxbench_backend_version": "v"},
                                                 "benchmarks": [bench]}, 0, "start")
    c.check(recs and recs[0][0]["backend"] == "malloc" and recs[0][0]["params"]["phase"] ==
            "start", "rows keep the name the binary reports; floors carry their phase")
    c.check(any("mislinked" in p for p in problems), f"backend mismatch reported: {problems}")
    return c.done("check_run")


if __name__ == "__main__":
    raise SystemExit(main())
