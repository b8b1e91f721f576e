"""`nxbench trend [CASE | --all]`: a case's p50 and p99 across runs from the
results database, one line per backend, each run's interval, the change
points with their commit range; a PNG per (params, mode) and one HTML page.
Without CASE: the headline variant the runs' catalogue names
(cases.headline()); --all: every case."""
from __future__ import annotations

import argparse
import os
import re
import textwrap

import json

from nxbench_lib import REPO_ROOT, CliError, say
from nxbench_lib import cases as C
from nxbench_lib import changepoints as CP
from nxbench_lib import historydb as H
from nxbench_lib import numfmt
from nxbench_lib import report_render as W
from nxbench_lib import trend_chart
from nxbench_lib import trends as T
from nxbench_lib.history import add_db_argument
from nxbench_lib.report_render import H as HEAD
from nxbench_lib.report_render import IMG, P
from nxbench_lib.report_render import T as TABLE

DEFAULT_OUT = REPO_ROOT / "reports" / "trends"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = textwrap.fill(
        "Draw CASE's p50 and p99 across the runs in the results database, oldest first, one "
        "line per backend with each run's 95% interval, and the change points (E-divisive "
        "means with a t-test) with the commits around them: a PNG per params and mode and "
        "an HTML page. Within one machine the unit is cycles; across machines only ratios "
        "(backend to reference, case to floor), never raw cycles. Without CASE: the headline "
        "variant the catalogue names (its mode and params unless given); --all: every case "
        "on one page.", width=79)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = ("examples:\n"
                     "  tools/nxbench trend\n"
                     "  tools/nxbench trend CASE --params future_bytes=64 --mode batched\n"
                     "  tools/nxbench trend CASE --backend slab --backend malloc --metric ratio\n"
                     "  tools/nxbench trend --all --metric floor")
    parser.add_argument("case", metavar="CASE", nargs="?",
                        help="a case name (bench/README.md, Cases); default: the headline "
                             "variant of the catalogue")
    parser.add_argument("--all", action="store_true", help="every case, on one page")
    add_db_argument(parser)
    parser.add_argument("--backend", action="append", metavar="B",
                        help="only this backend (repeatable; default: every one)")
    parser.add_argument("--machine", metavar="M",
                        help="only this machine (key prefix from `nxbench history machines`, "
                             "or part of the CPU model)")
    parser.add_argument("--branch", metavar="B", help="only runs of this branch")
    parser.add_argument("--since", metavar="DATE", help="only runs started on or after DATE")
    parser.add_argument("--mode", choices=C.MODES, help="only this mode")
    parser.add_argument("--params", action="append", metavar="K=V",
                        help="only rows with this param, e.g. future_bytes=64 (repeatable)")
    parser.add_argument("--metric", choices=T.METRICS,
                        help="cycles (default within one machine), ratio (backend to the "
                             "run's reference; the default across machines) or floor")
    parser.add_argument("--out", metavar="DIR",
                        help="where trend-*.png and trend-CASE.html go (default: %s)"
                             % DEFAULT_OUT.relative_to(REPO_ROOT))


def parse_params(items) -> dict:
    out = {}
    for item in items or []:
        k, sep, v = item.partition("=")
        if not sep or not k:
            raise CliError("--params %s: expected KEY=VALUE, e.g. future_bytes=64" % item, 2)
        out[k] = v
    return out


def chosen_case(args: argparse.Namespace, runs: list[dict]) -> tuple:
    """(case or None for every case, mode, params) to draw: CASE, --all, or
    the headline variant of the runs' catalogue (--mode, --params win)."""
    mode, params = args.mode, parse_params(args.params)
    if args.all:
        if args.case:
            raise CliError("give CASE or --all, not both", 2)
        return None, mode, params
    if args.case:
        return args.case, mode, params
    for run in runs:
        if run.get("catalogue"):
            C.use(json.loads(run["catalogue"]))
    headline = C.headline()
    if headline is None:
        raise CliError("no CASE given and the runs' catalogue names no headline case: name "
                       "one, or --all", 2)
    case, h_mode, h_params = headline
    return case, mode or h_mode, params or h_params


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def main(args: argparse.Namespace) -> int:
    where = H.target(args.db)
    with H.Database(where) as db:
        runs = db.runs(args.machine, args.branch, args.since)
        if not runs:
            raise CliError("no runs in %s match (see `nxbench history`)" % H.describe(where), 2)
        metric = T.default_metric(runs, args.metric)
        case, mode, params = chosen_case(args, runs)
        series = T.build(db, runs, case, metric, backends=args.backend, mode=mode,
                         params=params)
    name = case or "all cases"
    if not series:
        known = list(dict.fromkeys(c["name"] for _g, c in C.entries()))
        hint = "" if case is None or case in known else (
            " (is the case name right? cases: %s)" % ", ".join(known))
        if metric == "ratio" and args.backend:
            hint += " (a run's reference backend has no ratio to itself: --metric floor)"
        raise CliError("no %s rows of %s in the selected %d run(s)%s"
                       % (metric, case and "case " + case or "any case", len(runs), hint), 2)
    out = args.out or str(DEFAULT_OUT)
    try:
        os.makedirs(out, exist_ok=True)
        paths = write(series, runs, metric, out, name, where)
    except OSError as e:
        raise CliError("cannot write into %s: %s" % (out, e), 2) from None
    for s in series:
        for cp in s.changes:
            before, after = T.step_range(s, cp)
            say("step %s %s %s: %s, between %s and %s (p = %.2g)" % (
                s.label, s.backend, s.field, numfmt.pct(cp.change), T.commit_of(before),
                T.commit_of(after), cp.p))
    for p in paths:
        say("trend: %s" % p)
    return 0


def groups(series: list[T.Series]) -> list[list[T.Series]]:
    """Series grouped by (case, params, mode): one chart each."""
    out: dict = {}
    for s in series:
        out.setdefault(s.label, []).append(s)
    return list(out.values())


def blocks_for(series: list[T.Series], runs: list[dict], metric: str, name_prefix: str) -> list:
    """Report blocks: per group a chart and its change points."""
    blocks = []
    machines = {s.machine for s in series}
    if len(machines) > 1:
        blocks.append(P(T.CROSS_MACHINE_NOTE))
    refs = {r["reference"] for r in runs}
    ref = refs.pop() if len(refs) == 1 else None
    for group in groups(series):
        label = group[0].label
        title = "%s: %s across %d run(s)%s" % (label, group[0].unit(ref), len(runs), (
            " on %d machines" % len(machines) if len(machines) > 1 else ""))
        png = trend_chart.chart(group, runs, title)
        blocks.append(HEAD(3, label))
        blocks.append(P("%s, one line per backend%s; dashed lines: change points."
                        % (", ".join(sorted({s.unit(ref) for s in group})),
                           " and machine" if len(machines) > 1 else "")))
        blocks.append(IMG("%s-%s" % (name_prefix, slug(label)), png,
                          "trend of %s (%s)" % (label, metric)))
        rows = []
        for s in group:
            for cp in s.changes:
                before, after = T.step_range(s, cp)
                rows.append([s.backend, s.field, s.machine, numfmt.pct(cp.change),
                             T.commit_of(before), T.commit_of(after),
                             str(after["started"])[:16], "%.2g" % cp.p])
        if rows:
            blocks.append(TABLE(["backend", "percentile", "machine", "step", "last before",
                                 "first after", "date", "p"], rows, text_cols=3, text_last=4))
        else:
            blocks.append(P("No change point (E-divisive means, t-test at p < %g)." % CP.ALPHA))
    return blocks


def write(series, runs, metric, out, case, where) -> list[str]:
    blocks = [P("From %s: %d run(s) on %d machine(s), %s .. %s. Each point is one run: the "
                "trimmed geometric mean over its rounds with its 95%% interval." % (
                    H.describe(where), len(runs), len({r["machine"] for r in runs}),
                    str(runs[0]["started"])[:10], str(runs[-1]["started"])[:10]))]
    blocks += blocks_for(series, runs, metric, "trend-" + slug(case))
    paths = []
    for b in blocks:
        if b.kind == "img":
            path = os.path.join(out, b.name + ".png")
            with open(path, "wb") as f:
                f.write(b.png)
            paths.append(path)
    html_path = os.path.join(out, "trend-%s.html" % slug(case))
    with open(html_path, "w", encoding="utf-8") as f:
        f.write(W.render_html(blocks, "nxrt trend: %s" % case))
    return paths + [html_path]
