#!/usr/bin/python3
"""The checker behind `nxbench test`'s smoke step (runcmd.check_results)
accepts a well-formed results file and catches each kind of malformed one,
so the smoke check can fail. Needs no build."""
import copy

from benchtest import Checks, runcmd

JOBS = [("floor", "floor", "nxbench_floor"), ("malloc", "executor", "nxbench_malloc"),
        ("asio", "peer", "nxbench_asio"), ("libuv", "peer", "nxbench_libuv")]


def row(backend, binary, case, **params):
    r = {"backend": backend, "backend_version": "v1", "case": case, "params": params,
         "mode": "single", "repetition": 0, "samples": 100, "binary": binary}
    for unit in ("cycles", "ns"):
        for i, p in enumerate(runcmd.PERCENTILES):
            r[f"{p}_{unit}"] = 10.0 * (i + 1)
    if case in ("cross_wake_parked", "eventfd_roundtrip"):
        r["voluntary_csw_per_op"] = 2.0
    return r


def well_formed() -> dict:
    rows = []
    for backend, kind, binary in JOBS:
        for case in sorted(runcmd.expected_cases(kind, backend, True)):
            params = {}
            if case in runcmd.CROSS_CASES:
                params["pair_class"] = "cross_l3"
            if case == "spawn_with_live":
                params.update(live_tasks=10, bytes_per_task=100.0)
            if kind == "floor":
                for phase in ("start", "end"):
                    rows.append(row(backend, binary, case, phase=phase, **params))
            else:
                rows.append(row(backend, binary, case, **params))
    fp = {"cpu_model": "cpu", "cores": 2, "kernel": "6", "tsc_ghz": 2.1, "compiler": "GNU",
          "cxx_flags": "-O2", "libraries": {"hwloc": "2.9"}, "git_commit": "abc",
          "pair_classes": "cross_l3=0+1"}
    return {"schema": 1, "fingerprint": fp, "command": "tools/nxbench run", "results": rows}


def main() -> int:
    c = Checks()
    good = well_formed()
    c.check(runcmd.check_results(good, JOBS) == [],
            f"well-formed file accepted: {runcmd.check_results(good, JOBS)}")

    def expect(what, mutate, fragment):
        bad = copy.deepcopy(good)
        mutate(bad)
        problems = runcmd.check_results(bad, JOBS)
        c.check(any(fragment in p for p in problems),
                f"{what}: expected a problem with '{fragment}', got {problems}")

    def swap_p50_p99(d):
        d["results"][3]["p50_cycles"], d["results"][3]["p99_cycles"] = 99.0, 1.0
    expect("p50 > p99", swap_p50_p99, "out of order")
    expect("max < p999", lambda d: d["results"][0].update(max_ns=0.5), "out of order")
    expect("NaN percentile", lambda d: d["results"][0].update(p90_cycles=float("nan")),
           "not all numbers")
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
    expect("no samples", lambda d: d["results"][0].update(samples=0), "samples")
    expect("schema 2", lambda d: d.update(schema=2), "schema")
    expect("no fingerprint tsc", lambda d: d["fingerprint"].pop("tsc_ghz"), "fingerprint.tsc_ghz")
    expect("no command", lambda d: d.pop("command"), "command is missing")
    expect("run errors", lambda d: d.update(errors=["slab: churn: boom"]), "boom")
    expect("no end floors", lambda d: d.update(results=[r for r in d["results"]
                                                       if r["params"].get("phase") != "end"]),
           "phase end")
    expect("parked without csw", lambda d: [r.pop("voluntary_csw_per_op", None)
                                            for r in d["results"]], "voluntary_csw_per_op")
    expect("live without bytes", lambda d: [r["params"].pop("bytes_per_task", None)
                                            for r in d["results"]], "bytes_per_task")
    expect("empty results", lambda d: d.update(results=[]), "results is empty")

    # Names from google-benchmark parse into case, mode and typed params.
    case, mode, params = runcmd.parse_name(
        "spawn_with_live/mode:batched/live_tasks:1000/iterations:1/repeats:3")
    c.check((case, mode, params) == ("spawn_with_live", "batched", {"live_tasks": 1000}),
            f"parse_name: {(case, mode, params)}")
    # Converting google-benchmark JSON: a case that failed (SkipWithError) and a
    # binary reporting another backend than it was run as are problems.
    job = runcmd.Job({"binary": "nxbench_slab", "path": "/x", "kind": "executor"}, "slab", "slab")
    bench = {"run_name": "churn/mode:single/live_tasks:10/iterations:1", "run_type": "iteration",
             "repetition_index": 0, "samples": 5.0, "label": "d", "p50_cycles": 1.0}
    failed = dict(bench, error_occurred=True, error_message="churn step: NX_ENOMEM")
    rows, problems = runcmd.rows_of(job, {"context": {"nxbench_backend": "slab",
                                                      "nxbench_backend_version": "v"},
                                          "benchmarks": [bench, failed]})
    c.check(len(rows) == 1 and rows[0]["params"] == {"live_tasks": 10},
            f"rows_of keeps the good run: {rows}")
    c.check(any("NX_ENOMEM" in p for p in problems), f"failed case reported: {problems}")
    rows, problems = runcmd.rows_of(job, {"context": {"nxbench_backend": "malloc",
                                                      "nxbench_backend_version": "v"},
                                          "benchmarks": [bench]})
    c.check(rows and rows[0]["backend"] == "malloc", "rows keep the name the binary reports")
    c.check(any("mislinked" in p for p in problems), f"backend mismatch reported: {problems}")
    return c.done("check_results")


if __name__ == "__main__":
    raise SystemExit(main())
