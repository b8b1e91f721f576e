"""`nxbench report RESULTS [--out DIR]`: report.md + self-contained report.html.

The report is first built as a list of blocks (heading, paragraph, table,
image, code), then written twice: as Markdown (tables a reviewer pastes into a
pull request, images as files under img/) and as HTML (images embedded as
base64 data URIs so the file opens offline).
"""
import base64
import datetime
import glob
import html
import json
import os
import re
import string
import sys

from nxbench_lib import REPO_ROOT, plots
from nxbench_lib import report_results as rr

TEMPLATES = str(REPO_ROOT / "reports" / "templates")
PCT_FIELDS = ("p50", "p90", "p99", "p999", "max")
# Which floor a case is read against (issue 4's targets use these pairs).
FLOOR_FOR_CASE = {"cross_wake_busy": "pingpong", "cross_wake_parked": "eventfd_roundtrip"}
DEFAULT_FLOOR = "indirect_call"
SCALING_CASE = "spawn_with_live"
CROSS_CASES = ("cross_wake_busy", "cross_wake_parked")


def add_arguments(parser):
    parser.description = ("Write report.md and a self-contained report.html (plots embedded) "
                          "from a results.json written by `nxbench run`.")
    parser.add_argument("results", metavar="RESULTS",
                        help="results.json, or the folder that holds it")
    parser.add_argument("--out", metavar="DIR",
                        help="report folder (default: the folder of RESULTS). Writes report.md, "
                             "report.html and img/*.png (charts of an earlier report there are "
                             "replaced). A profile table written there by `nxbench profile` is "
                             "included.")
    parser.add_argument("--unit", choices=("cycles", "ns"), default="cycles",
                        help="latency unit of tables and charts (default: cycles)")
    parser.add_argument("--title", default="nxrt latency report",
                        help="report title (default: %(default)s)")


def main(args):
    try:
        data = rr.load(args.results)
    except rr.ResultsError as e:
        print("nxbench report: error: %s" % e, file=sys.stderr)
        return 2
    results_path = args.results
    if os.path.isdir(results_path):
        results_path = os.path.join(results_path, "results.json")
    out = args.out or os.path.dirname(os.path.abspath(results_path))
    try:
        os.makedirs(os.path.join(out, "img"), exist_ok=True)
    except OSError as e:
        print("nxbench report: error: cannot create report folder %s: %s" % (out, e),
              file=sys.stderr)
        return 2
    try:
        blocks = build_blocks(data, out, args.unit)
        md_path, html_path = write_report(blocks, out, args.title)
    except OSError as e:
        print("nxbench report: error: cannot write the report into %s: %s" % (out, e),
              file=sys.stderr)
        return 2
    except ProfileError as e:
        print("nxbench report: error: %s" % e, file=sys.stderr)
        return 2
    print("report: %s" % md_path)
    print("report: %s" % html_path)
    return 0


class ProfileError(Exception):
    """A profile table in the report folder that cannot be read."""


# --------------------------------------------------------------------------- blocks

class Block:
    def __init__(self, kind, **kw):
        self.kind = kind
        self.__dict__.update(kw)


def H(level, text):
    return Block("h", level=level, text=text)


def P(text, cls=None):
    return Block("p", text=text, cls=cls)


def T(headers, rows, text_cols=1, text_last=0):
    """A table; the first `text_cols` and the last `text_last` columns are
    text (left-aligned), the others numbers (right-aligned)."""
    n = len(headers)
    return Block("table", headers=headers, rows=rows,
                 text_idx=set(range(text_cols)) | set(range(n - text_last, n)))


def IMG(name, png, alt):
    return Block("img", name=name, png=png, alt=alt)


def PRE(text):
    return Block("pre", text=text)


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 100:
        return "%.0f" % v
    if abs(v) >= 10:
        return "%.1f" % v
    return "%.2f" % v


def _slug(text):
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower() or "x"


def _field(p, unit):
    return "%s_%s" % (p, unit)


def fold_peer_params(groups):
    """Peers may carry params the backends of the same case do not have
    (asio's spawn_poll_free rows name the API: post_poll or post_run). Those
    go into the peer's display name, so the peer lands in the same chart
    and table row as the backends it stands beside."""
    core = {}
    for g in groups:
        if g.backend not in rr.PEER_BACKENDS and g.backend != rr.FLOOR_BACKEND:
            core.setdefault(g.case, set()).update(g.params)
    for g in groups:
        if g.backend in rr.PEER_BACKENDS and g.case in core:
            extra = sorted((k, v) for k, v in g.params.items() if k not in core[g.case])
            if extra:
                g.backend = "%s %s" % (g.backend, " ".join(str(v) for _, v in extra))
                g.params = {k: v for k, v in g.params.items() if k in core[g.case]}
    groups.sort(key=rr.Group.sort_key)
    return groups


def build_blocks(data, out, unit):
    groups = fold_peer_params(rr.groups(data))
    fp = data["fingerprint"]
    blocks = []
    if fp.get("synthetic_fixture"):
        blocks.append(P("SYNTHETIC FIXTURE: every number in this report was invented by a test "
                        "fixture generator. It is not a measurement.", cls="warning"))
    blocks.append(H(2, "How to read this"))
    with open(os.path.join(TEMPLATES, "how_to_read.md"), encoding="utf-8") as f:
        blocks.append(P(" ".join(f.read().split())))
    step = fp.get("tsc_step_cycles")
    if isinstance(step, (int, float)) and step > 1 and unit == "cycles":
        blocks.append(P("On this machine the time-stamp counter advances in steps of %g cycles "
                        "(fingerprint `tsc_step_cycles`), so a single-mode value is a multiple "
                        "of that step minus the timer's cost, and 0 means \"less than one step\". "
                        "Read batched mode for operations that cheap; log-scale charts cannot "
                        "draw 0 and leave such points out." % step))
    blocks += _machine_blocks(data)
    blocks += _summary_blocks(groups, unit)
    blocks += _bar_blocks(groups, unit)
    blocks += _curve_blocks(groups, unit)
    blocks += _scaling_blocks(groups, unit)
    blocks += _cross_blocks(groups, unit)
    blocks += _profile_blocks(out)
    return blocks


def _flatten(d, prefix=""):
    for k in sorted(d):
        v = d[k]
        if isinstance(v, dict):
            yield from _flatten(v, prefix + k + ".")
        else:
            if isinstance(v, list):
                v = ", ".join(str(x) for x in v)
            yield prefix + k, "-" if v is None else str(v)


def _machine_blocks(data):
    blocks = [H(2, "Machine and command")]
    rows = [[k, v] for k, v in _flatten(data["fingerprint"]) if k != "command"]
    blocks.append(T(["field", "value"], rows, text_cols=2))
    cmd = rr.command_of(data)
    blocks.append(P("Command that produced these results:"))
    blocks.append(PRE(cmd if cmd else "(the results file does not record its command)"))
    # `nxbench run` lists what it skipped (a core-pair class this machine does
    # not have) and what went wrong; a reader must see both next to the numbers.
    for key, title in (("skipped", "Skipped in this run"), ("errors", "Problems in this run")):
        items = data.get(key)
        if isinstance(items, list) and items:
            blocks.append(P("%s:" % title))
            blocks.append(T(["what", "why"] if key == "skipped" else ["problem"],
                            [[str(i.get("what", "?")), str(i.get("reason", ""))]
                             if isinstance(i, dict) and key == "skipped" else [str(i)]
                             for i in items], text_cols=2))
    return blocks


def _columns(groups):
    """Backend columns for the summary tables (floors get their own table)."""
    names = sorted({g.backend for g in groups if g.backend != rr.FLOOR_BACKEND},
                   key=rr.backend_rank)
    return names


def _rowkeys(groups, want):
    keys = []
    for g in groups:
        k = (g.case, g.params_label, g.mode)
        if want(g) and k not in keys:
            keys.append(k)
    return keys


def _summary_blocks(groups, unit):
    blocks = [H(2, "Summary: p50 / p99 per backend (%s)" % unit)]
    cols = _columns(groups)
    index = {(g.case, g.params_label, g.mode, g.backend): g for g in groups}
    for mode in rr.MODES + tuple(sorted({g.mode for g in groups} - set(rr.MODES))):
        keys = _rowkeys(groups, lambda g: g.mode == mode and g.backend != rr.FLOOR_BACKEND)
        if not keys:
            continue
        blocks.append(H(3, "%s mode" % mode))
        rows, ratio_rows = [], []
        for case, plabel, _ in keys:
            cells, ratios = [case, plabel], [case, plabel]
            base = index.get((case, plabel, mode, "malloc"))
            for b in cols:
                g = index.get((case, plabel, mode, b))
                if g is None:
                    cells.append("-")
                    ratios.append("-")
                    continue
                p50, p99 = g.median(_field("p50", unit)), g.median(_field("p99", unit))
                cells.append("%s / %s" % (fmt(p50), fmt(p99)))
                bp50 = base.median(_field("p50", unit)) if base else None
                ratios.append("%.2fx" % (p50 / bp50) if bp50 else "-")
            rows.append(cells)
            ratio_rows.append(ratios)
        blocks.append(T(["case", "params"] + cols, rows, text_cols=2))
        if "malloc" in cols:
            blocks.append(P("p50 as a ratio to glibc malloc's p50 in the same row "
                            "(below 1.00x: cheaper than glibc):"))
            blocks.append(T(["case", "params"] + cols, ratio_rows, text_cols=2))
    floors = [g for g in groups if g.backend == rr.FLOOR_BACKEND]
    if floors:
        blocks.append(H(3, "Floors (measured in the same run)"))
        blocks.append(T(["floor", "params", "mode", "p50", "p90", "p99", "p99.9", "max"],
                        [[g.case, g.params_label, g.mode]
                         + [fmt(g.median(_field(p, unit))) for p in PCT_FIELDS]
                         for g in floors], text_cols=3))
    return blocks


def _floor_value(groups, case, mode, unit, pair_class=None):
    """p50 of the floor a case is read against, or None."""
    fname = FLOOR_FOR_CASE.get(case, DEFAULT_FLOOR)
    candidates = [g for g in groups if g.backend == rr.FLOOR_BACKEND and g.case == fname]
    if pair_class is not None:
        same = [g for g in candidates if g.params.get("pair_class") == pair_class]
        candidates = same or candidates
    same_mode = [g for g in candidates if g.mode == mode]
    candidates = same_mode or candidates
    # `nxbench run` measures floors at the start and at the end of the run.
    start = [g for g in candidates if g.params.get("phase") in (None, "start")]
    candidates = start or candidates
    if not candidates:
        return None
    return fname, candidates[0].median(_field("p50", unit))


def _bar_blocks(groups, unit):
    blocks = [H(2, "p50 and p99 per backend, with peers and floors for scale")]
    for mode in rr.MODES:
        panels = []
        for case, plabel, _ in _rowkeys(groups, lambda g: g.mode == mode
                                        and g.backend != rr.FLOOR_BACKEND
                                        and g.case != SCALING_CASE):
            bars = {}
            pair_class = None
            for g in groups:
                if (g.case, g.params_label, g.mode) == (case, plabel, mode):
                    bars[g.backend] = (g.median(_field("p50", unit)),
                                       g.median(_field("p99", unit)))
                    pair_class = g.params.get("pair_class", pair_class)
            floor = _floor_value(groups, case, mode, unit, pair_class)
            title = case + (" (%s)" % plabel if plabel else "")
            panels.append((title, bars, [floor] if floor else []))
        if panels:
            png = plots.p50_p99_bars("%s mode" % mode, panels, unit)
            blocks.append(IMG("bars_%s" % mode, png,
                              "p50 and p99 per backend per case, %s mode" % mode))
    return blocks


def _curve_blocks(groups, unit):
    blocks = [H(2, "Latency percentile curves per case")]
    seen = []
    for g in groups:
        if g.case == SCALING_CASE or g.backend == rr.FLOOR_BACKEND:
            continue
        if (g.case, g.params_label) not in seen:
            seen.append((g.case, g.params_label))
    for case, plabel in seen:
        members = [g for g in groups if (g.case, g.params_label) == (case, plabel)]
        title = case + (" (%s)" % plabel if plabel else "")
        blocks.append(H(3, title))
        desc = next((g.description for g in members if g.description), None)
        if desc:
            blocks.append(P(desc))
        by_mode = {}
        for g in members:
            by_mode.setdefault(g.mode, {})[g.backend] = [g.median(_field(p, unit))
                                                         for p in PCT_FIELDS]
        blocks.append(IMG("curve_%s" % _slug(title), plots.percentile_curves(title, by_mode, unit),
                          "percentile curve of %s" % title))
        blocks.append(_percentile_table(members, unit))
    floors = [g for g in groups if g.backend == rr.FLOOR_BACKEND]
    if floors:
        blocks.append(H(3, "floors"))
        by_mode = {}
        for g in floors:
            label = g.case + (" " + g.params_label if g.params_label else "")
            by_mode.setdefault(g.mode, {})[label] = [g.median(_field(p, unit))
                                                     for p in PCT_FIELDS]
        blocks.append(IMG("curve_floors", plots.percentile_curves("floors", by_mode, unit),
                          "percentile curves of the floors"))
    return blocks


def _percentile_table(members, unit):
    rows = []
    for g in members:
        rows.append([g.backend, g.mode] + [fmt(g.median(_field(p, unit))) for p in PCT_FIELDS]
                    + [str(len(g.rows)), str(g.rows[0].get("samples", "-")),
                       str(g.backend_version or "-")])
    return T(["backend", "mode", "p50", "p90", "p99", "p99.9", "max", "reps", "samples",
              "version"], rows, text_cols=2, text_last=1)


def _scaling_blocks(groups, unit):
    members = [g for g in groups if g.case == SCALING_CASE]
    if not members:
        return []
    blocks = [H(2, "Cost and memory versus live task count (%s)" % SCALING_CASE)]
    # Batched mode for the chart: a spawn costs tens of cycles, and single-mode
    # values are quantized by the timer (tsc_step_cycles); the table has both.
    modes = {g.mode for g in members}
    mode = "batched" if "batched" in modes else sorted(modes)[0]
    series = {}
    for g in members:
        if g.mode != mode or "live_tasks" not in g.params:
            continue
        series.setdefault(g.backend, []).append(
            (g.params["live_tasks"], g.median(_field("p50", unit)), g.median(_field("p99", unit)),
             g.optional_median("bytes_per_task")))
    if series:
        blocks.append(P("Chart: %s mode. Each point spawns one task while N tasks are already "
                        "alive; the right panel is resident memory growth divided by N." % mode))
        blocks.append(IMG("live_scaling", plots.live_scaling(series, unit),
                          "spawn cost and bytes per task versus live tasks"))
    rows = [[g.backend, g.mode, str(g.params.get("live_tasks", "-")),
             fmt(g.median(_field("p50", unit))), fmt(g.median(_field("p99", unit))),
             fmt(g.optional_median("bytes_per_task"))] for g in members]
    rows.sort(key=lambda r: (rr.backend_rank(r[0]), r[1], float(r[2]) if r[2] != "-" else 0))
    blocks.append(T(["backend", "mode", "live tasks", "p50", "p99", "bytes per task"], rows,
                    text_cols=2))
    return blocks


def _cross_blocks(groups, unit):
    members = [g for g in groups if g.case in CROSS_CASES]
    if not members:
        return []
    blocks = [H(2, "Cross-thread wake latency per core-pair class")]
    by_case, floors = {}, {}
    for g in members:
        cls = str(g.params.get("pair_class", "-"))
        # One chart per case; single mode preferred (cross-thread rows are
        # usually single-operation anyway).
        modes = {m.mode for m in members if m.case == g.case}
        if g.mode != ("single" if "single" in modes else sorted(modes)[0]):
            continue
        by_case.setdefault(g.case, {}).setdefault(cls, {})[g.backend] = (
            g.median(_field("p50", unit)), g.median(_field("p99", unit)))
        fl = _floor_value(groups, g.case, g.mode, unit, g.params.get("pair_class"))
        if fl:
            floors.setdefault(g.case, {})[cls] = fl
    blocks.append(P("A round trip: a thread pinned on one core wakes a task on the executor "
                    "pinned on the other core of the pair class. Parked rows are only honest "
                    "with their voluntary context switches per operation: near 0 means the "
                    "executor never really slept."))
    blocks.append(IMG("cross_wake", plots.cross_wake(by_case, floors, unit),
                      "cross-thread wake latency per core-pair class"))
    has_csw = any(g.optional_median("voluntary_csw_per_op") is not None for g in members)
    rows = []
    for g in members:
        row = [g.case, str(g.params.get("pair_class", "-")), g.backend, g.mode,
               fmt(g.median(_field("p50", unit))), fmt(g.median(_field("p99", unit))),
               fmt(g.median(_field("max", unit)))]
        if has_csw:
            row.append(fmt(g.optional_median("voluntary_csw_per_op")))
        rows.append(row)
    headers = ["case", "pair class", "backend", "mode", "p50", "p99", "max"]
    if has_csw:
        headers.append("voluntary csw / op")
    blocks.append(T(headers, rows, text_cols=4))
    return blocks


def _profile_blocks(out):
    paths = sorted(glob.glob(os.path.join(out, "profile-*.json")))
    if not paths:
        return []
    blocks = [H(2, "Per-operation profile (callgrind, simulated caches)")]
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                prof = json.load(f)
            rows = prof["rows"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ProfileError("%s: unreadable profile table (%s); rerun `nxbench profile` "
                               "or delete the file" % (path, e)) from None
        blocks.append(H(3, "%s" % prof.get("case", os.path.basename(path))))
        blocks.append(P("Deterministic counts per operation from `valgrind --tool=callgrind "
                        "--cache-sim=yes --branch-sim=yes` (%s); misses are from callgrind's "
                        "simulated caches, not the hardware. Raw files: %s"
                        % (prof.get("valgrind", "valgrind"),
                           ", ".join(r.get("callgrind_file", "?") for r in rows))))
        blocks.append(T(["backend", "op", "instructions", "of which executor",
                         "of which allocator", "L1 misses (I1+D1)", "LL misses",
                         "branch mispredicts"],
                        [[r["backend"], r["op"], fmt(r["instructions"]),
                          fmt(r.get("split", {}).get("executor")),
                          fmt(r.get("split", {}).get("allocator")),
                          "%.3f" % r["l1_misses"], "%.3f" % r["ll_misses"],
                          "%.3f" % r["branch_mispredicts"]] for r in rows],
                        text_cols=2))
        for r in rows:
            top = r.get("top_functions") or []
            if top:
                blocks.append(P("Top functions by instructions, %s (%s):" % (r["backend"],
                                                                              r["op"])))
                blocks.append(T(["function", "object", "code of", "share of instructions",
                                 "instructions per op"],
                                [[t["function"], t.get("object", ""), t.get("kind", ""),
                                  "%.1f%%" % t["percent"], fmt(t.get("per_op"))]
                                 for t in top[:8]], text_cols=3))
    return blocks


# --------------------------------------------------------------------------- writers

def _md_inline(text):
    return text


def _html_inline(text):
    out = html.escape(text)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)


def _md_cell(text):
    return str(text).replace("|", "\\|")


def render_md(blocks, title):
    lines = ["# %s" % title, ""]
    for b in blocks:
        if b.kind == "h":
            lines += ["#" * b.level + " " + b.text, ""]
        elif b.kind == "p":
            lines += [("> **%s**" % b.text) if b.cls == "warning" else _md_inline(b.text), ""]
        elif b.kind == "pre":
            lines += ["```", b.text, "```", ""]
        elif b.kind == "img":
            lines += ["![%s](img/%s.png)" % (b.alt, b.name), ""]
        elif b.kind == "table":
            lines.append("| " + " | ".join(_md_cell(h) for h in b.headers) + " |")
            lines.append("|" + "|".join(":---" if i in b.text_idx else "---:"
                                        for i in range(len(b.headers))) + "|")
            for r in b.rows:
                lines.append("| " + " | ".join(_md_cell(c) for c in r) + " |")
            lines.append("")
    return "\n".join(lines)


def render_html(blocks, title):
    parts = []
    for b in blocks:
        if b.kind == "h":
            parts.append("<h%d>%s</h%d>" % (b.level, html.escape(b.text), b.level))
        elif b.kind == "p":
            cls = ' class="%s"' % b.cls if b.cls else ""
            parts.append("<p%s>%s</p>" % (cls, _html_inline(b.text)))
        elif b.kind == "pre":
            parts.append("<pre>%s</pre>" % html.escape(b.text))
        elif b.kind == "img":
            parts.append('<img alt="%s" src="data:image/png;base64,%s">'
                         % (html.escape(b.alt), base64.b64encode(b.png).decode("ascii")))
        elif b.kind == "table":
            head = "".join('<th%s>%s</th>' % (' class="text"' if i in b.text_idx else "",
                                              html.escape(str(h)))
                           for i, h in enumerate(b.headers))
            body = "".join("<tr>%s</tr>" % "".join(
                '<td%s>%s</td>' % (' class="text"' if i in b.text_idx else "",
                                   html.escape(str(c))) for i, c in enumerate(r))
                for r in b.rows)
            parts.append("<table><thead><tr>%s</tr></thead><tbody>%s</tbody></table>"
                         % (head, body))
    with open(os.path.join(TEMPLATES, "report.html"), encoding="utf-8") as f:
        tmpl = string.Template(f.read())
    return tmpl.substitute(title=html.escape(title), body="\n".join(parts),
                           generated=datetime.datetime.now().strftime("%Y-%m-%d %H:%M"))


def _write_atomic(path, data):
    tmp = path + ".tmp"
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(tmp, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as f:
        f.write(data)
    os.replace(tmp, path)


def write_report(blocks, out, title):
    written = set()
    for b in blocks:
        if b.kind == "img":
            _write_atomic(os.path.join(out, "img", b.name + ".png"), b.png)
            written.add(b.name + ".png")
    # img/ belongs to the report: charts of an earlier report that this one
    # no longer has would otherwise sit there looking current.
    for old in glob.glob(os.path.join(out, "img", "*.png")):
        if os.path.basename(old) not in written:
            os.remove(old)
    md_path = os.path.join(out, "report.md")
    html_path = os.path.join(out, "report.html")
    _write_atomic(md_path, render_md(blocks, title))
    _write_atomic(html_path, render_html(blocks, title))
    return md_path, html_path
