"""Reading and checking a results file (schema 1, bench/README.md).

Shared by `nxbench report` and `nxbench compare`: both need the same checks
so a malformed file is rejected with the same clear message everywhere.
"""
import json
import math
import os
from collections import OrderedDict

import numpy

SCHEMA = 1
PERCENTILES = ("p50", "p90", "p99", "p999", "max")
REQUIRED_ROW_FIELDS = ("backend", "backend_version", "case", "params", "mode",
                       "repetition", "samples")
MODES = ("batched", "single")

# Display order; anything not listed (a user's plugin backend) goes after the
# built-ins, alphabetically, and before peers and floors.
BUILTIN_BACKENDS = ("malloc", "slab", "jemalloc", "mimalloc", "tcmalloc")
PEER_BACKENDS = ("asio", "libuv")
FLOOR_BACKEND = "floor"
CASE_ORDER = ("spawn_poll_free", "poll_queued", "self_wake_poll", "wake_other_poll",
              "waker_clone_drop", "spawn_with_live", "churn", "cross_wake_busy",
              "cross_wake_parked")
FLOOR_CASES = ("indirect_call", "pingpong", "eventfd_roundtrip")
# Params that are measurements rather than inputs: they must not split rows
# into different groups (two runs would never match otherwise).
MEASURED_PARAMS = ("bytes_per_task", "voluntary_csw_per_op")


class ResultsError(Exception):
    """A results file that cannot be used; the message says why."""


def load(path):
    """Loads and checks a results file. Returns the parsed dict. Raises
    ResultsError naming the file and the first problem found."""
    if not os.path.exists(path):
        raise ResultsError("%s: no such file" % path)
    if os.path.isdir(path):
        candidate = os.path.join(path, "results.json")
        if not os.path.exists(candidate):
            raise ResultsError("%s: is a folder without results.json" % path)
        path = candidate
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise ResultsError("%s: not valid JSON (line %d column %d: %s)"
                           % (path, e.lineno, e.colno, e.msg)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ResultsError("%s: cannot read: %s" % (path, e)) from None
    check(data, path)
    return data


def check(data, path="results"):
    """Raises ResultsError unless `data` follows schema 1."""
    if not isinstance(data, dict):
        raise ResultsError("%s: top level must be a JSON object" % path)
    if "schema" not in data:
        raise ResultsError("%s: no 'schema' field (is this a results.json from "
                           "`nxbench run`?)" % path)
    if data["schema"] != SCHEMA:
        raise ResultsError("%s: schema %r, this nxbench reads schema %d"
                           % (path, data["schema"], SCHEMA))
    if not isinstance(data.get("fingerprint"), dict):
        raise ResultsError("%s: 'fingerprint' must be an object" % path)
    rows = data.get("results")
    if not isinstance(rows, list):
        raise ResultsError("%s: 'results' must be a list" % path)
    if not rows:
        raise ResultsError("%s: 'results' is empty" % path)
    for i, row in enumerate(rows):
        _check_row(row, i, path)


def _check_row(row, i, path):
    if not isinstance(row, dict):
        raise ResultsError("%s: results[%d] is not an object" % (path, i))
    where = "%s: results[%d] (case %s, backend %s)" % (
        path, i, row.get("case", "?"), row.get("backend", "?"))
    for field in REQUIRED_ROW_FIELDS:
        if field not in row:
            raise ResultsError("%s: missing field '%s'" % (where, field))
    for field in ("backend", "case", "mode"):
        if not isinstance(row[field], str) or not row[field]:
            raise ResultsError("%s: '%s' must be a non-empty string" % (where, field))
    if not isinstance(row["params"], dict):
        raise ResultsError("%s: 'params' must be an object" % where)
    for unit in ("cycles", "ns"):
        for p in PERCENTILES:
            field = "%s_%s" % (p, unit)
            if field not in row:
                raise ResultsError("%s: missing field '%s'" % (where, field))
            v = row[field]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ResultsError("%s: '%s' must be a finite number, got %r"
                                   % (where, field, v))


def command_of(data):
    """The command that produced the file, or None."""
    cmd = data.get("command") or data["fingerprint"].get("command")
    if isinstance(cmd, list):
        cmd = " ".join(str(c) for c in cmd)
    return cmd


def params_key(params):
    """Hashable, order-independent key of the input params of a row."""
    return tuple(sorted((k, json.dumps(v, sort_keys=True))
                        for k, v in params.items() if k not in MEASURED_PARAMS))


def params_label(params):
    """Short human label, e.g. 'future_bytes=64' ('' for no params)."""
    return ", ".join("%s=%s" % (k, params[k]) for k in sorted(params)
                     if k not in MEASURED_PARAMS)


def row_key(row):
    return (row["case"], params_key(row["params"]), row["mode"], row["backend"])


def backend_rank(name):
    """Display order. A peer variant such as "asio post_run" (see
    report.fold_peer_params) sorts with its peer."""
    variant = ""
    if " " in name:
        name, variant = name.split(" ", 1)
    return _backend_rank(name) + (variant,)


def _backend_rank(name):
    if name in BUILTIN_BACKENDS:
        return (0, BUILTIN_BACKENDS.index(name), name)
    if name in PEER_BACKENDS:
        return (2, PEER_BACKENDS.index(name), name)
    if name == FLOOR_BACKEND:
        return (3, 0, name)
    return (1, 0, name)


def case_rank(name):
    if name in CASE_ORDER:
        return (0, CASE_ORDER.index(name), name)
    if name in FLOOR_CASES:
        return (2, FLOOR_CASES.index(name), name)
    return (1, 0, name)


def _param_sort_value(params):
    # Numeric params sort numerically (live_tasks 1, 10, 100 ... not 1, 10, 100000, 11).
    out = []
    for k in sorted(params):
        if k in MEASURED_PARAMS:
            continue
        v = params[k]
        out.append((k, (0, v, "") if isinstance(v, (int, float)) else (1, 0, str(v))))
    return out


class Group:
    """All repetitions of one (case, params, mode, backend)."""

    def __init__(self, rows):
        self.rows = rows
        first = rows[0]
        self.case = first["case"]
        self.params = {k: v for k, v in first["params"].items() if k not in MEASURED_PARAMS}
        self.mode = first["mode"]
        self.backend = first["backend"]
        self.backend_version = first.get("backend_version")
        self.description = first.get("description")

    def values(self, field):
        return [float(r[field]) for r in self.rows]

    def median(self, field):
        """Median over repetitions of a percentile field (e.g. 'p50_cycles')."""
        return float(numpy.median(self.values(field)))

    def optional_median(self, field):
        """Median of an optional measured field found on the row or in its
        params (bytes_per_task, voluntary_csw_per_op); None when absent."""
        vals = []
        for r in self.rows:
            v = r.get(field, r["params"].get(field))
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                vals.append(float(v))
        return float(numpy.median(vals)) if vals else None

    @property
    def params_label(self):
        return params_label(self.params)

    def sort_key(self):
        return (case_rank(self.case), _param_sort_value(self.params),
                MODES.index(self.mode) if self.mode in MODES else 9,
                backend_rank(self.backend))


def groups(data):
    """Rows grouped over repetitions, in display order."""
    by_key = OrderedDict()
    for row in data["results"]:
        by_key.setdefault(row_key(row), []).append(row)
    out = [Group(rows) for rows in by_key.values()]
    out.sort(key=Group.sort_key)
    return out
