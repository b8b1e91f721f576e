"""`nxbench compare BASE NEW`: did anything change between two results files?

The decisions are comparison.py's (its docstring says how a row is judged);
this module is the command line and the text output.

Exit status: 0 nothing regressed and nothing missing, 1 a row regressed or a
backend/row of BASE is missing from NEW or either run reported errors (unless
--allow-missing), 2 unusable input.
"""
from __future__ import annotations

import json
import sys

from nxbench_lib import CliError, numfmt
from nxbench_lib import comparison as K
from nxbench_lib import results as R

DEFAULT_ALPHA = 0.01


def add_arguments(parser):
    parser.description = (
        "Compare two results files (BASE = before, NEW = after) row by row. A row is "
        "'regressed' or 'improved' only when its change is beyond the threshold AND "
        "significant after Benjamini-Hochberg across rows; beyond the threshold but not "
        "significant is 'inconclusive'. Two separate runs are compared relative to the "
        "row's other backends in the same round, after taking out the change the median "
        "backend shows (a host speed change between or within the runs cancels); the two "
        "files of one `nxbench ab` are compared round by round. Exit 1 if anything "
        "regressed, or something of BASE is missing from NEW, or a run reported errors; "
        "2 if a file cannot be used.")
    parser.add_argument("base", metavar="BASE", help="results.json (or its folder) before")
    parser.add_argument("new", metavar="NEW", help="results.json (or its folder) after")
    add_decision_arguments(parser)
    parser.add_argument("--json", action="store_true",
                        help="print the comparison as JSON on stdout (warnings stay on stderr)")
    parser.add_argument("--all", action="store_true",
                        help="list every row (default: leave out 'unchanged' rows and "
                             "quantised ones, which are counted)")


def add_decision_arguments(parser):
    """Options shared with `nxbench ab`."""
    parser.add_argument("--threshold", type=float, metavar="PCT",
                        help="a change smaller than this percentage is 'unchanged' (default: "
                             "%g for the two sides of one ab session, %g for two separate "
                             "runs; per row at least %g TSC steps)"
                             % (100 * K.PAIRED_THRESHOLD, 100 * K.RUNS_THRESHOLD,
                                K.RESOLUTION_STEPS))
    parser.add_argument("--alpha", type=float, default=DEFAULT_ALPHA, metavar="Q",
                        help="false discovery rate across rows (Benjamini-Hochberg) at which a "
                             "change counts as significant (default %(default)s)")
    parser.add_argument("--metric", choices=("p50", "p90", "p99"), default="p50",
                        help="which percentile is judged (default: p50)")
    parser.add_argument("--unit", choices=("cycles", "ns"), default="cycles",
                        help="latency unit (default: cycles)")
    parser.add_argument("--allow-missing", action="store_true",
                        help="do not fail when NEW lacks rows or backends of BASE, or a run "
                             "reported errors (they are still listed)")


def check_decision_arguments(args):
    if args.threshold is not None and args.threshold < 0:
        raise CliError("--threshold must be >= 0 (got %g)" % args.threshold, 2)
    if not 0 < args.alpha < 1:
        raise CliError("--alpha must be between 0 and 1 (got %g)" % args.alpha, 2)


def main(args):
    check_decision_arguments(args)
    base, new = R.load(args.base), R.load(args.new)
    return decide(base, new, args)


def decide(base: dict, new: dict, args, out=None) -> int:
    """Compares, prints (text or JSON), returns the exit status."""
    out = out or sys.stdout
    result = K.compare(base, new, None if args.threshold is None else args.threshold / 100.0,
                       args.alpha, args.metric, args.unit)
    if not result["rows"]:
        raise CliError("the two files have no (case, params, mode, backend) in common", 2)
    if result["fingerprint_differences"]:
        print("nxbench compare: warning: the two results come from different machines or "
              "builds; these fingerprint fields differ:", file=sys.stderr)
        for d in result["fingerprint_differences"]:
            print("  %s: %r -> %r" % (d["field"], d["base"], d["new"]), file=sys.stderr)
    if args.json:
        json.dump(result, out, indent=1)
        print(file=out)
    else:
        print_text(result, getattr(args, "all", False), out)
    failed = result["regressed"] or (result["problems"] and not args.allow_missing)
    return 1 if failed else 0


def _label(r):
    extra = R.params_label(r["params"])
    return "%s %s%s" % (r["case"], r["mode"], " " + extra if extra else "")


def _change(r):
    if r["change"] is None:
        return "-"
    iv = "" if r["lo"] is None else " [%s..%s]" % (numfmt.pct(r["lo"]), numfmt.pct(r["hi"]))
    return numfmt.pct(r["change"]) + iv


def print_text(result, show_all=False, out=None):
    out = out or sys.stdout
    t = result["thresholds"]
    how = ("paired round by round (one `nxbench ab` session)" if result["paired"] else
           "relative to the row's backends in each round, less the median backend's change "
           "(two separate runs)")
    print("%s %s: threshold %.1f%% (per row at least %g TSC steps), significant at FDR %g "
          "(Benjamini-Hochberg over %d judged rows); compared %s."
          % (result["metric"], result["unit"], 100 * t["change"], K.RESOLUTION_STEPS,
                                   t["alpha"], sum(1 for r in result["rows"] if r["p"] is not None),
                                   how), file=out)
    if result["rounds_are_repetitions"]:
        print("note: a schema-1 file: its 'rounds' are repetitions inside one process, so the "
              "tests understate the noise between runs", file=out)
    headers = ["row", "backend", "base", "new", "change [95%]", "q", "view", "verdict"]
    table = []
    for r in result["rows"]:
        if not show_all and (r["verdict"] == K.UNCHANGED or (
                r["verdict"] == K.NOT_JUDGED and r["note"].startswith("quantised"))):
            continue
        verdict = r["verdict"].upper() if r["verdict"] == K.REGRESSED else r["verdict"]
        if r["verdict"] == K.INCONCLUSIVE and r.get("noise") is not None:
            verdict += " (noise +-%.0f%%)" % (100 * r["noise"])
        table.append([_label(r), r["backend"], numfmt.num(r["base"]), numfmt.num(r["new"]),
                      _change(r), "-" if r["q"] is None else "%.2g" % r["q"], r["view"] or "-",
                      verdict])
    if table:
        widths = [max(len(str(x)) for x in col) for col in zip(headers, *table)]
        print("  ".join(h.ljust(w) for h, w in zip(headers, widths)), file=out)
        for row in table:
            print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)), file=out)
    notes = {}
    for r in result["rows"]:
        if r["note"] and r["verdict"] != K.INCONCLUSIVE:
            key = r["note"].split(":")[0]
            notes.setdefault(key, (r["note"], []))[1].append("%s %s" % (_label(r), r["backend"]))
    for note, where in notes.values():
        print("not judged (%d row%s): %s" % (len(where), "s" if len(where) > 1 else "", note),
              file=out)
        if note.startswith("base is"):
            print("  " + "; ".join(where), file=out)
    n_inc = result["summary"][K.INCONCLUSIVE]
    if n_inc:
        print("inconclusive (%d row%s): beyond the threshold but not significant at FDR %g; "
              "more rounds (--rounds)%s may decide" % (
                  n_inc, "s" if n_inc > 1 else "", t["alpha"],
                  "" if result["paired"] else " or `nxbench ab`"), file=out)
    for sh in result["shared"]:
        print("shared by every backend: %s: %s against the floor (raw %s): two runs cannot tell "
              "this from a host change; `nxbench ab` can" % (_label(sh), numfmt.pct(sh["change"]),
                                                            numfmt.pct(sh["raw_change"])), file=out)
    moved = [f for f in result["floors"] if f["base"] > 0 and
             abs(f["new"] / f["base"] - 1) > t["change"]]
    if moved:
        print("the host moved between the runs (floors, p50): " + "; ".join(
            "%s %s -> %s" % (_label(f), numfmt.num(f["base"]), numfmt.num(f["new"]))
            for f in moved), file=out)
    for label, key in (("only in BASE (missing from NEW)", "only_in_base"),
                       ("only in NEW", "only_in_new")):
        for r in result[key]:
            print("%s: %s %s" % (label, _label(r), r["backend"]), file=out)
    for p in result["problems"]:
        print("problem: %s" % p, file=out)
    s = result["summary"]
    print("summary: %d regressed, %d improved, %d unchanged, %d inconclusive, %d not judged"
          % (s[K.REGRESSED], s[K.IMPROVED], s[K.UNCHANGED], s[K.INCONCLUSIVE], s[K.NOT_JUDGED]),
          file=out)
    if not result["paired"] and (s[K.REGRESSED] or s[K.IMPROVED]):
        print("note: two separate runs can also differ because the machine did: on the KVM "
              "guests one backend's row has been seen to move 2x for half an hour with the "
              "same binary (bench/README.md); `nxbench ab` runs both sides in the same rounds "
              "and tells the two apart", file=out)
    for r in result["rows"]:
        if r["verdict"] == K.REGRESSED:
            print("REGRESSED: %s %s: %s %s -> %s (%s)" % (
                _label(r), r["backend"], result["metric"], numfmt.num(r["base"]),
                numfmt.num(r["new"]), _change(r)), file=out)
