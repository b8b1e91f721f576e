"""`nxbench compare BASE NEW`: did anything get slower between two results files?

Per (case, params, mode, backend): the change of the median (over
repetitions) p50 and p99, a one-sided Mann-Whitney U test (scipy) over the
per-repetition values when each side has at least MIN_REPS repetitions, and a
verdict: improved, unchanged or regressed.

A metric is regressed when it moved beyond its threshold in the slower
direction AND, where the test can run, the test says the shift is significant
(p <= alpha). With fewer repetitions the verdict rests on the thresholds alone
and the row says "too few repetitions".

Exit status: 0 nothing regressed, 1 something regressed, 2 unusable input.
"""
import json
import statistics
import sys

from scipy.stats import mannwhitneyu

from nxbench_lib import report_results as rr

MIN_REPS = 3
# Fingerprint fields that differ between any two runs by design.
EXPECTED_TO_DIFFER = ("git_commit", "git_dirty", "commit", "date", "time", "timestamp",
                      "started", "finished", "command", "duration_s", "build_dir")


def add_arguments(parser):
    parser.description = ("Compare two results files (BASE = before, NEW = after) case by "
                          "case and backend by backend. Exit 1 if anything regressed beyond "
                          "the thresholds, 2 if a file cannot be used.")
    parser.add_argument("base", metavar="BASE", help="results.json (or its folder) before")
    parser.add_argument("new", metavar="NEW", help="results.json (or its folder) after")
    parser.add_argument("--json", action="store_true",
                        help="print the comparison as JSON on stdout (warnings stay on stderr)")
    parser.add_argument("--threshold-p50", type=float, default=5.0, metavar="PCT",
                        help="a p50 change smaller than this percentage is 'unchanged' "
                             "(default %(default)s)")
    parser.add_argument("--threshold-p99", type=float, default=10.0, metavar="PCT",
                        help="the same for p99 (default %(default)s; tails are noisier)")
    parser.add_argument("--alpha", type=float, default=0.05, metavar="A",
                        help="significance level of the Mann-Whitney U test "
                             "(default %(default)s). With 3 repetitions per side the smallest "
                             "possible one-sided p is 0.05; use 5+ repetitions for a margin.")
    parser.add_argument("--unit", choices=("cycles", "ns"), default="cycles",
                        help="which latency fields to compare (default: cycles)")


def _flat(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, prefix + k + "."))
        else:
            out[prefix + k] = v
    return out


def fingerprint_differences(fp_base, fp_new):
    """[(field, base_value, new_value)] for fields that differ, ignoring the
    ones that differ between any two runs (commit, date, command)."""
    a, b = _flat(fp_base), _flat(fp_new)
    diffs = []
    for k in sorted(set(a) | set(b)):
        if k.split(".")[-1] in EXPECTED_TO_DIFFER:
            continue
        if a.get(k) != b.get(k):
            diffs.append((k, a.get(k, "(absent)"), b.get(k, "(absent)")))
    return diffs


def _metric(base_vals, new_vals, threshold, alpha):
    """Compares one metric. Returns a dict: base, new (medians), change_pct,
    p_value (None when not tested), verdict, note."""
    base, new = float(statistics.median(base_vals)), float(statistics.median(new_vals))
    out = {"base": base, "new": new, "change_pct": None, "p_value": None,
           "verdict": "unchanged", "note": ""}
    if base <= 0:
        out["note"] = "base is %g: no relative change" % base
        return out
    change = (new - base) / base * 100.0
    out["change_pct"] = change
    enough = len(base_vals) >= MIN_REPS and len(new_vals) >= MIN_REPS
    if enough:
        # One-sided in the direction of the change: "is NEW really slower
        # (or faster) than BASE?", which is the question the verdict answers.
        alternative = "greater" if new > base else "less"
        out["p_value"] = float(mannwhitneyu(new_vals, base_vals, alternative=alternative).pvalue)
    else:
        out["note"] = "too few repetitions (%d base, %d new; the test needs %d each)" % (
            len(base_vals), len(new_vals), MIN_REPS)
    if abs(change) <= threshold:
        return out
    if enough and out["p_value"] > alpha:
        out["note"] = "beyond threshold but not significant (p=%.3g > %g)" % (
            out["p_value"], alpha)
        return out
    out["verdict"] = "regressed" if change > 0 else "improved"
    return out


def compare(base_data, new_data, threshold_p50=5.0, threshold_p99=10.0, alpha=0.05,
            unit="cycles"):
    """The comparison as a dict (what --json prints)."""
    base_groups = {(g.case, rr.params_key(g.params), g.mode, g.backend): g
                   for g in rr.groups(base_data)}
    new_groups = {(g.case, rr.params_key(g.params), g.mode, g.backend): g
                  for g in rr.groups(new_data)}
    rows = []
    for key, nb in new_groups.items():
        bg = base_groups.get(key)
        if bg is None:
            continue
        m50 = _metric(bg.values("p50_" + unit), nb.values("p50_" + unit), threshold_p50, alpha)
        m99 = _metric(bg.values("p99_" + unit), nb.values("p99_" + unit), threshold_p99, alpha)
        verdicts = (m50["verdict"], m99["verdict"])
        verdict = ("regressed" if "regressed" in verdicts
                   else "improved" if "improved" in verdicts else "unchanged")
        rows.append({"case": nb.case, "params": nb.params, "mode": nb.mode,
                     "backend": nb.backend, "reps_base": len(bg.rows), "reps_new": len(nb.rows),
                     "p50": m50, "p99": m99, "verdict": verdict})
    rows.sort(key=lambda r: (rr.case_rank(r["case"]), sorted(r["params"].items()),
                             r["mode"], rr.backend_rank(r["backend"])))

    def describe(keys, groups):
        return [{"case": groups[k].case, "params": groups[k].params, "mode": groups[k].mode,
                 "backend": groups[k].backend} for k in keys]

    only_base = [k for k in base_groups if k not in new_groups]
    only_new = [k for k in new_groups if k not in base_groups]
    summary = {v: sum(1 for r in rows if r["verdict"] == v)
               for v in ("improved", "unchanged", "regressed")}
    return {
        "unit": unit,
        "thresholds": {"p50_pct": threshold_p50, "p99_pct": threshold_p99, "alpha": alpha,
                       "min_repetitions": MIN_REPS},
        "fingerprint_differences": [{"field": f, "base": a, "new": b} for f, a, b in
                                    fingerprint_differences(base_data["fingerprint"],
                                                            new_data["fingerprint"])],
        "rows": rows,
        "only_in_base": describe(only_base, base_groups),
        "only_in_new": describe(only_new, new_groups),
        "summary": summary,
        "regressed": summary["regressed"] > 0,
    }


def _cell(m):
    if m["change_pct"] is None:
        return "%s -> %s" % (_num(m["base"]), _num(m["new"]))
    return "%s -> %s (%+.1f%%)" % (_num(m["base"]), _num(m["new"]), m["change_pct"])


def _num(v):
    return "%.0f" % v if abs(v) >= 100 else "%.3g" % v


def _pval(m):
    return "-" if m["p_value"] is None else "%.3g" % m["p_value"]


def print_text(result, out=None):
    out = out or sys.stdout
    t = result["thresholds"]
    print("Thresholds: p50 %.1f%%, p99 %.1f%%; Mann-Whitney U (one-sided) alpha %g when both "
          "sides have >= %d repetitions. Unit: %s."
          % (t["p50_pct"], t["p99_pct"], t["alpha"], t["min_repetitions"], result["unit"]),
          file=out)
    headers = ["case", "params", "mode", "backend", "p50 base -> new", "p", "p99 base -> new",
               "p", "verdict"]
    table = []
    for r in result["rows"]:
        table.append([r["case"], rr.params_label(r["params"]) or "-", r["mode"], r["backend"],
                      _cell(r["p50"]), _pval(r["p50"]), _cell(r["p99"]), _pval(r["p99"]),
                      r["verdict"].upper() if r["verdict"] == "regressed" else r["verdict"]])
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *table)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)), file=out)
    for row in table:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)), file=out)
    notes = sorted({n for r in result["rows"] for n in (r["p50"]["note"], r["p99"]["note"])
                    if n.startswith("too few")})
    for n in notes:
        print("note: %s: verdicts rest on the thresholds alone" % n, file=out)
    for label, key in (("only in BASE (missing from NEW)", "only_in_base"),
                       ("only in NEW", "only_in_new")):
        for r in result[key]:
            print("%s: %s %s %s %s" % (label, r["case"], rr.params_label(r["params"]) or "-",
                                       r["mode"], r["backend"]), file=out)
    s = result["summary"]
    print("summary: %d regressed, %d improved, %d unchanged"
          % (s["regressed"], s["improved"], s["unchanged"]), file=out)
    for r in result["rows"]:
        if r["verdict"] == "regressed":
            for m in ("p50", "p99"):
                if r[m]["verdict"] == "regressed":
                    print("REGRESSED: %s %s %s %s: %s %s -> %s %s (%+.1f%%)"
                          % (r["case"], rr.params_label(r["params"]) or "", r["mode"],
                             r["backend"], m, _num(r[m]["base"]), _num(r[m]["new"]),
                             result["unit"], r[m]["change_pct"]), file=out)


def main(args):
    for name in ("threshold_p50", "threshold_p99"):
        if getattr(args, name) < 0:
            print("nxbench compare: error: --%s must be >= 0" % name.replace("_", "-"),
                  file=sys.stderr)
            return 2
    if not 0 < args.alpha < 1:
        print("nxbench compare: error: --alpha must be between 0 and 1", file=sys.stderr)
        return 2
    try:
        base = rr.load(args.base)
        new = rr.load(args.new)
    except rr.ResultsError as e:
        print("nxbench compare: error: %s" % e, file=sys.stderr)
        return 2
    result = compare(base, new, args.threshold_p50, args.threshold_p99, args.alpha, args.unit)
    if result["fingerprint_differences"]:
        print("nxbench compare: warning: the two results come from different machines or "
              "builds; these fingerprint fields differ:", file=sys.stderr)
        for d in result["fingerprint_differences"]:
            print("  %s: %r -> %r" % (d["field"], d["base"], d["new"]), file=sys.stderr)
    if not result["rows"]:
        print("nxbench compare: error: the two files have no (case, params, mode, backend) "
              "in common", file=sys.stderr)
        return 2
    if args.json:
        json.dump(result, sys.stdout, indent=1)
        print()
    else:
        print_text(result)
    return 1 if result["regressed"] else 0
