"""The report's network section: the cases the catalogue puts in the
"network" section (bench/net_echo.h: echo round trips and throughput over
loopback) for every executor backend and every peer, each read as a multiple
of its floor (the same client against a plain thread, same params, same
round) and of the best peer of the row, as paired per-round ratios with their
95% intervals (stats.trimmed_interval), like every ratio in the report.
Throughput rows (those with a `batch_bytes` param) also give MB/s. The
closing sentence is about the section's first case in catalogue order.
"""
from __future__ import annotations

import math

from nxbench_lib import cases as C
from nxbench_lib import numfmt, plots, stats
from nxbench_lib import results as R
from nxbench_lib import verdicts as V
from nxbench_lib.report_render import H, IMG, P, T

SECTION = "network"

METHOD = (
    "One client for every server: plain sockets on the second core of the pair class, one "
    "message sent and its echo read per sample (throughput: 16 writes of 64 KiB, then a "
    "1-byte acknowledgement once the server has read the whole MiB). Only the server differs: "
    "an nxrt task on an executor of each allocator backend, Boost.Asio, libuv or a tokio "
    "current-thread runtime on the first core. run=busy: the server's loop and the client "
    "spin; run=parked: both sleep (epoll, blocking recv). The floor is the same client against "
    "a plain thread with no event loop (blocking socket, or spinning on a non-blocking one): "
    "the kernel's own cost. 'x floor' and 'x best peer' are the p50's paired ratios per round "
    "(the floor: the geometric mean of its start and end of the same round) with their 95% "
    "intervals; the best peer is the peer with the lowest median p50 in the row.")


def section_cases() -> tuple[list[str], dict[str, str]]:
    """The section's measured cases (catalogue order) and {floor case: the
    case it is the floor of}."""
    measured = C.section_cases(SECTION)
    floors = {}
    for case in measured:
        floor = C.floor_for(case)
        if floor:
            floors.setdefault(floor, case)
    return measured, floors


def _key(r: dict, case: str) -> tuple:
    return (case, R.params_key({k: v for k, v in r["params"].items() if k != "phase"}),
            r["mode"])


def _floor_per_round(floors: list[dict]) -> dict[int, float]:
    """Per round, the geometric mean of the floor at the round's start and end."""
    logs: dict[int, list[float]] = {}
    for f in floors:
        for k, v in R.per_round(f).items():
            if v > 0:
                logs.setdefault(k, []).append(math.log(v))
    return {k: math.exp(sum(v) / len(v)) for k, v in logs.items()}


def _ratio(row: dict, ref: dict[int, float]) -> stats.Interval | None:
    mine = R.per_round(row)
    lr = [math.log(mine[k] / ref[k]) for k in sorted(mine) if k in ref and mine[k] > 0 and ref[k] > 0]
    return stats.trimmed_interval(lr) if lr else None


def _fmt(iv: stats.Interval | None) -> str:
    if iv is None:
        return "-"
    if iv.lo is None:
        return "%.2f (1 round)" % iv.ratio
    return "%.2f [%.2f-%.2f]" % (iv.ratio, iv.ratio_lo, iv.ratio_hi)


def _mb_per_s(row: dict) -> float | None:
    batch = row["params"].get("batch_bytes")
    ns = R.median(row, "p50", "ns")
    return batch / ns * 1e3 if batch and ns > 0 else None


def net_blocks(data: dict, unit: str, band: float) -> list:
    cases, floor_of = section_cases()
    if not any(r["case"] in cases for r in data["results"]):
        return []
    lead_case = cases[0]
    groups: dict = {}
    floors: dict = {}
    for r in data["results"]:
        if C.kind_of(r["backend"]) == "floor" and r["case"] in floor_of:
            floors.setdefault(_key(r, floor_of[r["case"]]), []).append(r)
        elif C.kind_of(r["backend"]) != "floor" and r["case"] in cases:
            groups.setdefault(_key(r, r["case"]), []).append(r)
    table, panels, headline = [], [], []
    for key in sorted(groups, key=lambda k: R.sort_key(dict(groups[k][0], backend=""))):
        members = sorted(groups[key], key=lambda r: C.backend_rank(r["backend"]))
        floor = _floor_per_round(floors.get(key, []))
        peers = [m for m in members if C.kind_of(m["backend"]) == "peer"]
        best = min(peers, key=lambda m: R.median(m)) if peers else None
        best_ref = R.per_round(best) if best else {}
        plabel = R.params_label(members[0]["params"])
        points = []
        for m in members:
            to_floor = _ratio(m, floor) if floor else None
            to_peer = _ratio(m, best_ref) if best is not None and m is not best else None
            mbs = _mb_per_s(m)
            table.append([key[0], plabel, m["backend"], numfmt.num(R.median(m, "p50", unit)),
                          numfmt.num(R.median(m, "p99", unit)),
                          "-" if mbs is None else "%.0f" % mbs, _fmt(to_floor),
                          _fmt(to_peer) if best is not None and m is not best else
                          ("best peer" if m is best else "-")])
            if to_floor is not None:
                points.append((m["backend"], to_floor.ratio, to_floor.ratio_lo, to_floor.ratio_hi,
                               V.decide(to_floor, band)))
            if key[0] == lead_case and C.kind_of(m["backend"]) == "executor":
                headline.append((plabel, m["backend"], to_floor, to_peer,
                                 best["backend"] if best else None))
        if points:
            short = ", ".join("%s=%s" % (k, v) for k, v in sorted(members[0]["params"].items())
                              if k in ("msg_bytes", "run"))
            panels.append(("%s %s" % (key[0], short), points))
    blocks = [H(2, "Network: echo round trips and throughput, with the peers"), P(METHOD)]
    if panels:
        blocks.append(IMG("net_to_floor", plots.ratio_panels(
            "network cases", panels, band, "the floor (same params, same round)", ncols=2),
            "network cases: p50 as a multiple of the floor, with 95% intervals"))
    blocks.append(T(["case", "params", "backend", "p50 (%s)" % unit, "p99 (%s)" % unit,
                     "MB/s (p50)", "x floor [95%]", "x best peer [95%]"], table, text_cols=3))
    if headline:
        lines = ["%s, %s: %s the floor, %s %s" % (
            plabel, backend, _fmt(fl) + "x" if fl else "-",
            (_fmt(pe) + "x") if pe else "-", "the best peer (%s)" % bp if bp else "(no peer)")
            for plabel, backend, fl, pe, bp in headline]
        blocks.append(P("%s p50, nxrt per backend: %s." % (lead_case, "; ".join(lines))))
    return blocks
