"""The optional trend section of `nxbench report --history DB`: how the
report's machine moved across the runs in the results database (each
backend's p50 as a ratio to the reference), the change points found, and
the charts of the rows that stepped most recently (else the headline
variant the catalogue names, cases.headline())."""
from __future__ import annotations

from nxbench_lib import CliError
from nxbench_lib import cases as C
from nxbench_lib import historydb as H
from nxbench_lib.history_keys import machine_key
from nxbench_lib import numfmt
from nxbench_lib import trend
from nxbench_lib import trends as T
from nxbench_lib.report_render import H as HEAD
from nxbench_lib.report_render import P
from nxbench_lib.report_render import T as TABLE

MAX_CHARTS = 4
MAX_STEPS = 20


def blocks(where: str, data: dict) -> list:
    """Report blocks; a database that cannot be read becomes a note, never
    a lost report."""
    try:
        return _blocks(where, data)
    except CliError as e:
        return [HEAD(2, "Trend across runs"), P("Not drawn: %s" % e, cls="warning")]


def _blocks(where: str, data: dict) -> list:
    out = [HEAD(2, "Trend across runs")]
    machine = machine_key(data["fingerprint"])
    with H.Database(H.target(where)) as db:
        runs = [r for r in db.runs() if r["machine"] == machine]
        if len(runs) < 2:
            return out + [P("The results database %s holds %d run(s) of this machine (`%s`); "
                            "a trend needs two or more." % (H.describe(db.where), len(runs),
                                                            machine))]
        series = T.build(db, runs, None, "ratio", fields=("p50",))
    steps = sorted(((cp, s) for s in series for cp in s.changes),
                   key=lambda cs: T.step_range(cs[1], cs[0])[1]["started"], reverse=True)
    out.append(P("%d run(s) of this machine (`%s`) in %s, %s .. %s; p50 of each backend as a "
                 "ratio to the run's reference, change points by E-divisive means with a "
                 "t-test (`tools/nxbench trend CASE` draws any case, p99 too)."
                 % (len(runs), machine, H.describe(H.target(where)),
                    str(runs[0]["started"])[:10], str(runs[-1]["started"])[:10])))
    if steps:
        rows = []
        for cp, s in steps[:MAX_STEPS]:
            before, after = T.step_range(s, cp)
            rows.append([s.label, s.backend, numfmt.pct(cp.change), T.commit_of(before),
                         T.commit_of(after), str(after["started"])[:16]])
        out.append(TABLE(["row", "backend", "step", "last before", "first after", "date"],
                         rows, text_cols=2, text_last=3))
        labels = []
        for _cp, s in steps:
            if s.label not in labels:
                labels.append(s.label)
        chosen = [s for s in series if s.label in labels[:MAX_CHARTS]]
    else:
        out.append(P("No change point in this machine's history."))
        headline = C.headline()
        chosen = []
        if headline:
            case, mode, params = headline
            chosen = [s for s in series if s.case == case and s.mode == mode and all(
                str(s.params.get(k)) == v for k, v in params.items())]
    return out + trend.blocks_for(chosen, runs, "ratio", "trend") if chosen else out
