"""Is a finished run's results file complete and well formed? The smoke
check of `nxbench test` and the run tests ask; the file's layout itself is
results.py's."""
from __future__ import annotations

from nxbench_lib import CliError
from nxbench_lib import cases as C
from nxbench_lib import results as R


def check_run(data: dict, jobs: list[tuple[str, str, str]]) -> list[str]:
    """Problems with a finished run's file (empty list: complete and well
    formed). `jobs` = (backend, kind, binary) that were run: each must have
    every case of its kind in every round, from the binary its name says."""
    problems = []
    if data.get("schema") != R.SCHEMA:
        problems.append("schema is %r, expected %d" % (data.get("schema"), R.SCHEMA))
    if data.get("complete") is not True:
        problems.append("complete is %r: the run did not finish" % data.get("complete"))
    fp = data.get("fingerprint")
    if not isinstance(fp, dict):
        return problems + ["fingerprint is missing"]
    for k in ("cpu_model", "cores", "kernel", "tsc_ghz", "tsc_step_cycles", "compiler",
              "cxx_flags", "libraries", "git_commit"):
        if fp.get(k) in (None, "", {}):
            problems.append("fingerprint.%s is empty" % k)
    if not data.get("command"):
        problems.append("command is missing")
    plan = data.get("plan") or {}
    want_rounds = plan.get("rounds")
    if not isinstance(want_rounds, int) or want_rounds < 1:
        problems.append("plan.rounds is %r" % want_rounds)
    if len(data.get("rounds") or []) != want_rounds:
        problems.append("%d round records for %r planned rounds"
                        % (len(data.get("rounds") or []), want_rounds))
    rows = data.get("results")
    if not isinstance(rows, list) or not rows:
        return problems + ["results is empty"]
    problems += ["run reported: %s" % e for e in data.get("errors") or []]
    binaries = {backend: binary for backend, _kind, binary in jobs}
    seen: dict = {}
    for i, r in enumerate(rows):
        where = "results[%d] (%s, %s)" % (i, r.get("backend"), r.get("case"))
        try:
            R.check_row(r, i, "results")
        except CliError as e:
            problems.append(str(e))
            continue
        if r["mode"] not in C.MODES:
            problems.append("%s: mode %r" % (where, r["mode"]))
        if not r.get("backend_version"):
            problems.append("%s: empty backend_version" % where)
        if want_rounds and sorted(x["round"] for x in r["rounds"]) != list(range(want_rounds)):
            problems.append("%s: rounds %s, expected 0..%d"
                            % (where, [x["round"] for x in r["rounds"]], want_rounds - 1))
        for rnd in r["rounds"]:
            vals = [rnd.get("%s_cycles" % p) for p in R.PERCENTILES]
            if any(v < 0 for v in vals):
                problems.append("%s round %d: negative percentile %s" % (where, rnd["round"], vals))
            elif any(a > b for a, b in zip(vals, vals[1:])):
                problems.append("%s round %d: percentiles out of order (p50 <= p90 <= p99 <= "
                                "p999 <= max): %s" % (where, rnd["round"], vals))
            if not isinstance(rnd.get("samples"), int) or rnd["samples"] <= 0:
                problems.append("%s round %d: samples %r" % (where, rnd["round"],
                                                             rnd.get("samples")))
        if r["case"] in C.pair_cases() and "pair_class" not in r["params"]:
            problems.append("%s: cross-thread case without params.pair_class" % where)
        for counter in C.measured_counters(r["case"]):
            if R.optional_median(r, counter) is None:
                problems.append("%s: no %s (the catalogue says every row of %s has it)"
                                % (where, counter, r["case"]))
        seen.setdefault(r["backend"], set()).add(r["case"])
        binary = binaries.get(r["backend"])
        if binary and r.get("binary") != binary:
            problems.append("%s: from binary %r, but backend %s is %s"
                            % (where, r.get("binary"), r["backend"], binary))
    has_pairs = bool(fp.get("pair_classes"))
    for backend, kind, _binary in jobs:
        want = C.expected_cases(kind, backend, has_pairs)
        got = seen.pop(backend, set())
        if want - got:
            problems.append("backend %s: cases missing: %s" % (backend, ", ".join(sorted(want - got))))
        if got - want:
            problems.append("backend %s: unexpected cases: %s"
                            % (backend, ", ".join(sorted(got - want))))
    for backend in seen:
        problems.append("rows for backend %r, which no binary was run as" % backend)
    floors = [r for r in rows if r.get("backend") == C.FLOOR_BACKEND]
    for phase in C.PHASES:
        if not any(r["params"].get("phase") == phase for r in floors):
            problems.append("no floor rows with params.phase %s" % phase)
    return problems
