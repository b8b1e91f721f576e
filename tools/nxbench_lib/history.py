"""`nxbench history`: the results database (historydb.py).

  nxbench history [--machine M] [--branch B] [--since D] [--json]   list runs
  nxbench history import DIR|results.json ...                        add runs
  nxbench history machines                                           the machines
  nxbench history check [--threshold 10] [--markdown FILE]           the CI alert
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import textwrap

from nxbench_lib import CliError, say
from nxbench_lib import changepoints as CP
from nxbench_lib import historydb as H
from nxbench_lib import history_check as HC
from nxbench_lib import numfmt
from nxbench_lib import results as R
from nxbench_lib import trends as T

ACTIONS = ("list", "import", "machines", "check")


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", metavar="PATH|URL",
        help="the results database: a SQLite file, or a postgresql://user@host/dbname URL "
             "(default: $%s, else %s)" % (H.ENV, H.DEFAULT_PATH.relative_to(H.REPO_ROOT)))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = textwrap.fill(
        "The results database: every `nxbench run` adds its run (commit, branch, machine "
        "fingerprint, every row with its per-round values). Without an action, lists the "
        "runs; `import` adds runs made elsewhere (a results.json, a run folder, or a folder "
        "of them; the same run twice is a no-op); `machines` lists the machines (grouped by "
        "fingerprint: CPU, topology, kernel, compiler, library versions); `check` is the CI "
        "alert: exits 1 when the latest run starts a step up beyond --threshold in a "
        "backend's ratio to the reference or a case's ratio to its floor.", width=79)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (
        "examples:\n"
        "  tools/nxbench history                              every run, oldest first\n"
        "  tools/nxbench history --machine 3fa2 --since 2026-11-01\n"
        "  tools/nxbench history import ci-artifacts/         runs made elsewhere\n"
        "  tools/nxbench history check --markdown \"$GITHUB_STEP_SUMMARY\"\n"
        "  tools/nxbench history --db postgresql://nxbench@db.example/nxbench\n"
        "\nthe view nxbench_results (one line per run x row x round) is there to query "
        "directly,\ne.g. sqlite3 reports/history.db 'SELECT * FROM nxbench_results LIMIT 5'")
    parser.add_argument("action", nargs="?", default="list", choices=ACTIONS,
                        help="list (default), import, machines or check")
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="import: results.json files or folders holding them")
    add_db_argument(parser)
    parser.add_argument("--machine", metavar="M",
                        help="list: only this machine (a key prefix from `history machines`, "
                             "or part of the CPU model); check: judge this machine's newest "
                             "run (in a store many machines write to)")
    parser.add_argument("--branch", metavar="B",
                        help="list: only this branch; import: the branch the runs measured "
                             "(default: none recorded); check: compare with this branch's runs")
    parser.add_argument("--since", metavar="DATE", help="list: runs started on or after DATE "
                                                        "(ISO, e.g. 2026-11-01)")
    parser.add_argument("--until", metavar="DATE", help="list: runs started before DATE")
    parser.add_argument("--json", action="store_true", help="list, machines: JSON output")
    parser.add_argument("--run", type=int, metavar="ID",
                        help="check: judge this run instead of the latest")
    parser.add_argument("--threshold", type=float, default=100 * HC.DEFAULT_THRESHOLD,
                        metavar="PCT",
                        help="check: the smallest step up that alerts, in percent "
                             "(default: %(default)g, like compare across two runs)")
    parser.add_argument("--recent", type=int, default=1, metavar="N",
                        help="check: alert on steps that start in the last N runs (default 1: "
                             "the latest run itself)")
    parser.add_argument("--metric", action="append", choices=T.METRICS,
                        help="check: the series to judge (repeatable; default: ratio and "
                             "floor). cycles only makes sense for one machine, which check "
                             "always keeps to")
    parser.add_argument("--alpha", type=float, default=CP.ALPHA,
                        help="check: significance of a change point (default %(default)g)")
    parser.add_argument("--markdown", metavar="FILE",
                        help="check: append a Markdown summary to FILE (`-`: print it), e.g. "
                             "$GITHUB_STEP_SUMMARY")


def main(args: argparse.Namespace) -> int:
    if args.paths and args.action != "import":
        raise CliError("only `history import` takes paths (got %s)" % " ".join(args.paths), 2)
    where = H.target(args.db)
    with H.Database(where) as db:
        if args.action == "import":
            return do_import(db, args.paths, args.branch)
        if args.action == "machines":
            return do_machines(db, args.json)
        if args.action == "check":
            return do_check(db, args, where)
        return do_list(db, args)


def result_files(path: str) -> list[str]:
    """results.json files of a path: the file, the folder's results.json,
    or every results.json below the folder (CI artifacts, reports/runs)."""
    if os.path.isfile(path):
        return [path]
    if not os.path.isdir(path):
        raise CliError("%s: no such file or folder" % path, 2)
    if os.path.exists(os.path.join(path, "results.json")):
        return [os.path.join(path, "results.json")]
    found = sorted(glob.glob(os.path.join(path, "**", "results.json"), recursive=True))
    if not found:
        raise CliError("%s: no results.json in this folder or below it" % path, 2)
    return found


def do_import(db, paths: list[str], branch: str | None) -> int:
    if not paths:
        raise CliError("import needs a results.json or a folder (e.g. reports/runs/)", 2)
    files = [f for p in paths for f in result_files(p)]
    added = same = bad = 0
    for f in files:
        try:
            data = R.load(f)
            if data.get("complete") is False:
                say("skipped %s: an unfinished run (finish it with `nxbench run --resume`)" % f)
                bad += 1
                continue
            run_id, new = db.add_run(data, os.path.abspath(f), branch)
        except CliError as e:
            say("skipped %s: %s" % (f, e))
            bad += 1
            continue
        added += new
        same += not new
        say("%s run %d: %s" % ("added" if new else "already had", run_id, f))
    say("history: %d added, %d already there, %d skipped (%s)"
        % (added, same, bad, H.describe(db.where)))
    return 1 if bad else 0


def do_machines(db, as_json: bool) -> int:
    machines = db.machines()
    if as_json:
        print(json.dumps(machines, indent=1, default=str))
        return 0
    if not machines:
        say("no runs in %s yet" % H.describe(db.where))
        return 0
    for m in machines:
        d = m["description"]
        say("%s  %d run(s) %s .. %s" % (m["machine"], m["runs"], str(m["first"])[:10],
                                        str(m["last"])[:10]))
        say("    %s, %s cores, kernel %s, %s" % (m["cpu_model"], m["cores"], m["kernel"],
                                                 m["compiler"]))
        if d.get("libraries"):
            say("    libraries: %s" % ", ".join("%s %s" % kv for kv in
                                                sorted(d["libraries"].items())))
    say(T.CROSS_MACHINE_NOTE)
    return 0


def do_list(db, args) -> int:
    runs = db.runs(args.machine, args.branch, args.since, args.until)
    if args.json:
        print(json.dumps(runs, indent=1, default=str))
        return 0
    if not runs:
        say("no runs in %s match" % H.describe(db.where))
        return 0
    say("%5s  %-16s  %-16s  %-14s  %-12s  %-6s  %s" % ("run", "started", "commit", "branch",
                                                       "machine", "rounds", "command"))
    for r in runs:
        say("%5d  %-16s  %-16s  %-14s  %-12s  %-6s  %s" % (
            r["id"], str(r["started"])[:16].replace("T", " "), T.commit_of(r),
            (r["branch"] or "-")[:14], r["machine"],
            "%s%s" % (r["rounds"], " q" if r["quick"] else ""),
            (r["command"] or "") + ("  (%d error(s))" % r["errors"] if r["errors"] else "")))
    say("%d run(s) on %d machine(s) in %s" % (len(runs), len({r["machine"] for r in runs}),
                                              H.describe(db.where)))
    return 0


def do_check(db, args, where: str) -> int:
    if args.threshold < 0 or args.recent < 1:
        raise CliError("--threshold must be >= 0 and --recent >= 1", 2)
    threshold = args.threshold / 100.0
    v = HC.check(db, args.run, threshold, tuple(args.metric or HC.DEFAULT_METRICS),
                 args.recent, args.branch, args.alpha, args.machine)
    if args.markdown:
        text = HC.markdown(v, threshold, H.describe(where))
        if args.markdown == "-":
            print(text)
        else:
            with open(args.markdown, "a", encoding="utf-8") as f:
                f.write(text + "\n")
    if v is None:
        if args.run is not None or args.machine:
            raise CliError("%s is not in %s" % ("run %d" % args.run if args.run is not None
                                                else "machine %s" % args.machine,
                                                H.describe(where)), 2)
        say("history check: %s holds no run yet; nothing to check" % H.describe(where))
        return 0
    lt = v.latest
    say("history check: run %d (%s, machine %s) against %d earlier run(s), %d series"
        % (lt["id"], T.commit_of(lt), lt["machine"], len(v.runs) - 1, v.series))
    if len(v.runs) - 1 < CP.MIN_HISTORY:
        say("note: fewer than %d earlier runs of this machine and kind: the latest run "
            "cannot be judged yet" % CP.MIN_HISTORY)
    for a in v.alerts:
        say("REGRESSION %s" % a.line())
    if v.alerts:
        say("history check: %d regression(s) beyond %s start at this run"
            % (len(v.alerts), numfmt.pct(threshold, signed=False)), err=True)
        return 1
    say("history check: no step up beyond %s starts at this run"
        % numfmt.pct(threshold, signed=False))
    return 0
