"""`nxbench report RESULTS [--out DIR]`: report.md + self-contained report.html.

The report opens with a one-screen summary (per row, the backends ranked
with their verdicts) and the noise gauge, then every ratio with its
interval, then the details: latency tables and charts with each round's
range, scaling with live tasks, cross-thread wakes, the idle strategies
(report_idle.py), the network cases with the peers (report_net.py), and a
callgrind profile if one was written beside it. Sections: report_verdicts.py,
report_latency.py, report_idle.py, report_net.py; rendering: report_render.py.
"""
import os

from nxbench_lib import CliError
from nxbench_lib import cases as C
from nxbench_lib import report_idle as I
from nxbench_lib import report_latency as L
from nxbench_lib import report_net as N
from nxbench_lib import report_render as W
from nxbench_lib import report_verdicts as RV
from nxbench_lib import results as R
from nxbench_lib import verdicts as V
from nxbench_lib.report_render import H, P

DEFAULT_TITLE = "nxrt latency report"


def add_arguments(parser):
    parser.description = ("Write report.md and a self-contained report.html (plots embedded) "
                          "from a results.json written by `nxbench run` (schema 2, or 1).")
    parser.add_argument("results", metavar="RESULTS",
                        help="results.json, or the folder that holds it")
    parser.add_argument("--out", metavar="DIR",
                        help="report folder (default: the folder of RESULTS). Writes report.md, "
                             "report.html and img/*.png (charts of an earlier report there are "
                             "replaced). A profile table written there by `nxbench profile` is "
                             "included.")
    parser.add_argument("--unit", choices=("cycles", "ns"), default="cycles",
                        help="latency unit of tables and charts (default: cycles)")
    parser.add_argument("--reference", default=None, metavar="NAME",
                        help="the backend ratios are to (default: the run's, else malloc)")
    parser.add_argument("--history", metavar="PATH|URL",
                        help="add a trend section from this results database (`nxbench "
                             "history`): this machine's runs, their change points and charts")
    parser.add_argument("--title", default=DEFAULT_TITLE,
                        help="report title (default: %(default)s)")


def main(args):
    data = R.load(args.results)
    results_path = args.results
    if os.path.isdir(results_path):
        results_path = os.path.join(results_path, "results.json")
    out = args.out or os.path.dirname(os.path.abspath(results_path))
    try:
        os.makedirs(os.path.join(out, "img"), exist_ok=True)
    except OSError as e:
        raise CliError("cannot create report folder %s: %s" % (out, e), 2) from None
    reference = getattr(args, "reference", None) or (data.get("plan") or {}).get(
        "reference") or C.reference_backend()
    try:
        blocks = build_blocks(data, out, args.unit, reference)
        if getattr(args, "history", None):
            from nxbench_lib import trend_section
            blocks += trend_section.blocks(args.history, data)
        md_path, html_path = W.write_report(blocks, out, args.title)
    except OSError as e:
        raise CliError("cannot write the report into %s: %s" % (out, e), 2) from None
    except L.ProfileError as e:
        raise CliError(str(e), 2) from None
    print("report: %s" % md_path)
    print("report: %s" % html_path)
    return 0


def _warnings(data):
    fp = data["fingerprint"]
    out = []
    if fp.get("synthetic_fixture"):
        out.append(P("SYNTHETIC FIXTURE: every number in this report was invented by a test "
                     "fixture generator. It is not a measurement.", cls="warning"))
    if fp.get("planted_slowdown"):
        out.append(P("TEST BUILD: a slowdown was planted on purpose in the spawn path of %s "
                     "(NXBENCH_PLANT_SLOWDOWN). Do not read these numbers as nxrt's."
                     % ", ".join(fp["planted_slowdown"]), cls="warning"))
    if data.get("complete") is False:
        out.append(P("UNFINISHED RUN: %d of %d rounds; `tools/nxbench run --resume` finishes "
                      "it." % (len(data.get("rounds") or []), data["plan"]["rounds"]),
                     cls="warning"))
    return out


def build_blocks(data, out, unit, reference=None):
    rows = R.fold_peer_params(data["results"])
    step = R.tsc_step(data)
    analysis = V.analyse(data, reference)
    blocks = _warnings(data)
    blocks += RV.summary_blocks(analysis)
    blocks.append(H(2, "How to read this"))
    with open(os.path.join(W.TEMPLATES, "how_to_read.md"), encoding="utf-8") as f:
        blocks.append(P(" ".join(f.read().split())))
    if step and step > 1 and unit == "cycles":
        blocks.append(P("On this machine the time-stamp counter advances in steps of %g cycles "
                        "(fingerprint `tsc_step_cycles`), so a single-mode value is a multiple "
                        "of that step minus the timer's cost, and 0 means \"less than one "
                        "step\"; rows within %d steps are marked quantised (q) and not ranked. "
                        "Read batched mode for operations that cheap." % (step,
                                                                          R.QUANTISED_STEPS)))
    blocks += RV.noise_blocks(analysis, data, unit)
    blocks += RV.detail_blocks(analysis)
    blocks += L.table_blocks(rows, unit, step)
    blocks += L.bar_blocks(rows, unit, step)
    blocks += L.curve_blocks(rows, unit, step)
    blocks += L.scaling_blocks(rows, unit, step)
    blocks += L.cross_blocks(rows, unit, step)
    blocks += I.idle_blocks(rows, analysis.reference)
    blocks += N.net_blocks(data, unit, analysis.noise.band)
    blocks += L.profile_blocks(out)
    blocks += L.machine_blocks(data)
    return blocks
