"""The results database: every run's rows with their per-round values, kept
across runs, commits and machines (tools/README.md, "The results database").

Two stores, one schema and one set of queries:
- SQLite (Python's sqlite3), a file, `reports/history.db` by default;
- PostgreSQL (Debian's python3-psycopg2) when the target is a
  `postgresql://` URL, so many CI machines can write to one store.
The target is `--db`, else `$NXBENCH_DB`, else the default file.

A run is stored once: its key is a hash of what the run measured (start
time, fingerprint, rows and rounds), so importing the same results.json
twice, or from two copies of a CI artifact, is a no-op. A run is written in
one transaction: a reader never sees half of it.

The schema is versioned (table `nxbench_meta`, key `schema_version`) and
migrated forward when opened; a database newer than this nxbench is refused.
`nxbench_results` is the documented view to query directly (one line per run
x row x round); `nxbench_runs_view` one line per run with its machine.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import pathlib
import re
import sqlite3
import subprocess

from nxbench_lib import REPO_ROOT, CliError
from nxbench_lib import cases as C
from nxbench_lib import results as R

DEFAULT_PATH = REPO_ROOT / "reports" / "history.db"
ENV = "NXBENCH_DB"
PG_SCHEMES = ("postgresql://", "postgres://")
# Fields of the fingerprint that make two runs "the same machine": the host
# and the build, not the run's options or its date.
MACHINE_FIELDS = ("cpu_model", "cpu_model_hwloc", "cores", "topology", "kernel", "machine",
                  "compiler", "c_compiler", "build_type")
# Libraries every run's binaries report (a run of two backends lists fewer
# libraries than a full one: those must not make it another machine). The
# backends' own versions (jemalloc, ...) and nxrt's are what a series tracks,
# so a change there is a step to find, not a new machine; they are kept in
# the description.
MACHINE_LIBRARIES = ("glibc", "benchmark", "hwloc")
ROUND_FIELDS = ("p50_cycles", "p90_cycles", "p99_cycles", "p999_cycles", "max_cycles")

# Each migration takes the database from version i to i+1. Never edit one
# that has shipped: add the next. {id} and {real} are filled per store.
MIGRATIONS = (
    # 1: runs, machines, rows and their per-round values.
    (
        """CREATE TABLE nxbench_machines (
             id {id},
             machine_key TEXT NOT NULL UNIQUE,
             cpu_model TEXT, cores INTEGER, kernel TEXT, compiler TEXT,
             description TEXT NOT NULL)""",
        """CREATE TABLE nxbench_runs (
             id {id},
             run_key TEXT NOT NULL UNIQUE,
             machine_id INTEGER NOT NULL REFERENCES nxbench_machines(id),
             git_commit TEXT, git_dirty INTEGER, started TEXT NOT NULL, imported TEXT NOT NULL,
             command TEXT, source TEXT, quick INTEGER, rounds INTEGER, reference TEXT,
             tsc_ghz {real}, tsc_step_cycles {real}, errors INTEGER NOT NULL,
             fingerprint TEXT NOT NULL)""",
        """CREATE TABLE nxbench_rows (
             id {id},
             run_id INTEGER NOT NULL REFERENCES nxbench_runs(id) ON DELETE CASCADE,
             backend TEXT NOT NULL, kind TEXT NOT NULL, backend_version TEXT,
             case_name TEXT NOT NULL, params TEXT NOT NULL, mode TEXT NOT NULL,
             p50_cycles {real}, p99_cycles {real}, quantised INTEGER NOT NULL)""",
        """CREATE TABLE nxbench_rounds (
             row_id INTEGER NOT NULL REFERENCES nxbench_rows(id) ON DELETE CASCADE,
             round INTEGER NOT NULL,
             p50_cycles {real} NOT NULL, p90_cycles {real}, p99_cycles {real},
             p999_cycles {real}, max_cycles {real}, tsc_ghz {real}, samples INTEGER,
             counters TEXT,
             PRIMARY KEY (row_id, round))""",
        "CREATE INDEX nxbench_rows_case ON nxbench_rows (case_name, mode, backend)",
        "CREATE INDEX nxbench_runs_machine ON nxbench_runs (machine_id, started)",
    ),
    # 2: the branch a run measured, and the documented views.
    (
        "ALTER TABLE nxbench_runs ADD COLUMN branch TEXT",
        """CREATE VIEW nxbench_runs_view AS
             SELECT r.id AS run_id, r.started, r.git_commit, r.git_dirty, r.branch,
                    m.machine_key AS machine, m.cpu_model, r.quick, r.rounds,
                    r.reference, r.command, r.source
             FROM nxbench_runs r JOIN nxbench_machines m ON m.id = r.machine_id""",
        """CREATE VIEW nxbench_results AS
             SELECT r.id AS run_id, r.started, r.git_commit, r.git_dirty, r.branch,
                    m.machine_key AS machine, m.cpu_model, r.quick, r.reference,
                    w.backend, w.kind, w.case_name, w.params, w.mode, w.quantised,
                    d.round, d.p50_cycles, d.p90_cycles, d.p99_cycles, d.p999_cycles,
                    d.max_cycles, d.tsc_ghz
             FROM nxbench_runs r
             JOIN nxbench_machines m ON m.id = r.machine_id
             JOIN nxbench_rows w ON w.run_id = r.id
             JOIN nxbench_rounds d ON d.row_id = w.id""",
    ),
    # 3: the run's case catalogue (kinds, floors, counters: results.json
    # `catalogue`), so a case added later is read the way its run described it.
    (
        "ALTER TABLE nxbench_runs ADD COLUMN catalogue TEXT",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


def target(explicit: str | None = None) -> str:
    """The database the user means: --db, else $NXBENCH_DB, else the default."""
    return explicit or os.environ.get(ENV) or str(DEFAULT_PATH)


def is_postgres(where: str) -> bool:
    return where.startswith(PG_SCHEMES)


def describe(where: str) -> str:
    """The target without a password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", where)


class Database:
    """One open store. Methods take and return plain Python values; SQL is
    written once with '?' placeholders and adapted per store."""

    def __init__(self, where: str, migrate: bool = True):
        self.where = where
        self.postgres = is_postgres(where)
        if self.postgres:
            try:
                import psycopg2
            except ImportError:
                raise CliError("a postgresql:// database needs psycopg2: apt-get install "
                               "python3-psycopg2 (listed in tools/packages.txt)", 2) from None
            try:
                self.conn = psycopg2.connect(where)
            except psycopg2.Error as e:
                raise CliError("cannot connect to %s: %s" % (describe(where),
                                                             str(e).strip()), 2) from None
            self.conn.autocommit = True
        else:
            path = pathlib.Path(where)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self.conn = sqlite3.connect(str(path), isolation_level=None, timeout=60)
                self.conn.execute("PRAGMA foreign_keys = ON")
            except (OSError, sqlite3.Error) as e:
                raise CliError("cannot open the database %s: %s" % (where, e), 2) from None
        if migrate:
            self.migrate()

    # -- plumbing ---------------------------------------------------------

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _sql(self, sql: str) -> str:
        if self.postgres:
            sql = sql.replace("?", "%s")
        return sql

    def execute(self, sql: str, params=()):
        cur = self.conn.cursor()
        cur.execute(self._sql(sql), tuple(params))
        return cur

    def query(self, sql: str, params=()) -> list[dict]:
        cur = self.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def begin(self) -> None:
        # SQLite: take the write lock now, so two writers queue instead of
        # failing half way; PostgreSQL: a plain transaction.
        self.execute("BEGIN IMMEDIATE" if not self.postgres else "BEGIN")

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        self.execute("ROLLBACK")

    def _ddl(self, sql: str) -> str:
        if self.postgres:
            return sql.format(id="BIGSERIAL PRIMARY KEY", real="DOUBLE PRECISION")
        return sql.format(id="INTEGER PRIMARY KEY AUTOINCREMENT", real="REAL")

    # -- schema -------------------------------------------------------------

    def version(self) -> int:
        if self.postgres:
            exists = self.query("SELECT to_regclass('nxbench_meta') IS NOT NULL AS e")[0]["e"]
        else:
            exists = bool(self.query("SELECT name FROM sqlite_master WHERE type = 'table' "
                                     "AND name = 'nxbench_meta'"))
        if not exists:
            return 0
        rows = self.query("SELECT value FROM nxbench_meta WHERE key = 'schema_version'")
        return int(rows[0]["value"]) if rows else 0

    def migrate(self, upto: int = SCHEMA_VERSION) -> None:
        """Brings the schema to version `upto` (tests stop early to build an
        older database)."""
        self.begin()
        try:
            if self.postgres:
                # Two CI jobs opening a new store at once: one migrates.
                self.execute("SELECT pg_advisory_xact_lock(7315604)")
            have = self.version()
            if have > SCHEMA_VERSION:
                raise CliError("%s has schema version %d; this nxbench knows up to %d: "
                               "update nxbench" % (describe(self.where), have,
                                                   SCHEMA_VERSION), 2)
            if have == 0:
                self.execute("CREATE TABLE nxbench_meta (key TEXT PRIMARY KEY, value TEXT)")
                self.execute("INSERT INTO nxbench_meta (key, value) VALUES "
                             "('schema_version', '0')")
            for version in range(have, upto):
                for stmt in MIGRATIONS[version]:
                    self.execute(self._ddl(stmt))
            if upto > have:
                self.execute("UPDATE nxbench_meta SET value = ? WHERE key = 'schema_version'",
                             (str(upto),))
            self.commit()
        except BaseException:
            self.rollback()
            raise

    # -- writing ------------------------------------------------------------

    def add_run(self, data: dict, source: str = "", branch: str | None = None) -> tuple[int, bool]:
        """Stores one run (a results document in schema-2 form). Returns
        (run id, True if added / False if it was already there)."""
        key = run_key(data)
        found = self.query("SELECT id FROM nxbench_runs WHERE run_key = ?", (key,))
        if found:
            return int(found[0]["id"]), False
        fp = data["fingerprint"]
        step = R.tsc_step(data)
        self.begin()
        try:
            machine_id = self._machine(fp)
            plan = data.get("plan") or {}
            cur = self.execute(
                "INSERT INTO nxbench_runs (run_key, machine_id, git_commit, git_dirty, branch, "
                "started, imported, command, source, quick, rounds, reference, tsc_ghz, "
                "tsc_step_cycles, errors, fingerprint, catalogue) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (run_key) DO NOTHING RETURNING id",
                (key, machine_id, fp.get("git_commit"), _flag(fp.get("git_dirty")), branch,
                 started_of(data), _now(), R.command_of(data), source,
                 _flag(plan.get("quick", fp.get("quick"))), R.round_count(data),
                 plan.get("reference") or fp.get("reference") or C.reference_backend(),
                 fp.get("tsc_ghz"), step, len(data.get("errors") or []),
                 json.dumps(fp, sort_keys=True),
                 json.dumps(data["catalogue"], sort_keys=True) if data.get("catalogue") else None))
            got = cur.fetchone()
            if got is None:  # another writer stored it since the check above
                self.rollback()
                return int(self.query("SELECT id FROM nxbench_runs WHERE run_key = ?",
                                      (key,))[0]["id"]), False
            run_id = int(got[0])
            for row in data["results"]:
                self._row(run_id, row, step)
            self.commit()
        except BaseException:
            self.rollback()
            raise
        return run_id, True

    def _machine(self, fp: dict) -> int:
        desc = machine_description(fp)
        key = machine_key(fp)
        self.execute("INSERT INTO nxbench_machines (machine_key, cpu_model, cores, kernel, "
                     "compiler, description) VALUES (?, ?, ?, ?, ?, ?) "
                     "ON CONFLICT (machine_key) DO NOTHING",
                     (key, fp.get("cpu_model"), fp.get("cores"), fp.get("kernel"),
                      fp.get("compiler"), json.dumps(desc, sort_keys=True)))
        return int(self.query("SELECT id FROM nxbench_machines WHERE machine_key = ?",
                              (key,))[0]["id"])

    def _row(self, run_id: int, row: dict, step: float | None) -> None:
        params = {k: v for k, v in row["params"].items() if k not in C.measured_params()}
        cur = self.execute(
            "INSERT INTO nxbench_rows (run_id, backend, kind, backend_version, case_name, "
            "params, mode, p50_cycles, p99_cycles, quantised) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (run_id, row["backend"], row.get("kind") or C.kind_of(row["backend"]),
             row.get("backend_version"), row["case"], canonical_params(params), row["mode"],
             R.median(row, "p50"), R.median(row, "p99"), _flag(R.is_quantised(row, step))))
        row_id = int(cur.fetchone()[0])
        for rnd in row["rounds"]:
            counters = {k: v for k, v in rnd.items()
                        if k not in ROUND_FIELDS and k not in ("round", "tsc_ghz", "samples")}
            self.execute(
                "INSERT INTO nxbench_rounds (row_id, round, p50_cycles, p90_cycles, "
                "p99_cycles, p999_cycles, max_cycles, tsc_ghz, samples, counters) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (row_id, rnd["round"], *(rnd.get(f) for f in ROUND_FIELDS), rnd.get("tsc_ghz"),
                 rnd.get("samples"), json.dumps(counters, sort_keys=True)))

    # -- reading ------------------------------------------------------------

    def runs(self, machine: str | None = None, branch: str | None = None,
             since: str | None = None, until: str | None = None) -> list[dict]:
        """Runs, oldest first, with their machine key; filters as `history`
        documents them (machine: a key prefix or part of the CPU model)."""
        sql = ("SELECT r.id, r.started, r.git_commit, r.git_dirty, r.branch, r.quick, r.rounds, "
               "r.reference, r.command, r.source, r.errors, r.tsc_step_cycles, r.catalogue, "
               "m.machine_key AS machine, m.cpu_model, m.cores, m.kernel, m.compiler "
               "FROM nxbench_runs r JOIN nxbench_machines m ON m.id = r.machine_id WHERE 1 = 1")
        args: list = []
        if machine:
            sql += " AND (m.machine_key LIKE ? OR LOWER(m.cpu_model) LIKE ?)"
            args += [machine + "%", "%" + machine.lower() + "%"]
        if branch:
            sql += " AND r.branch = ?"
            args.append(branch)
        if since:
            sql += " AND r.started >= ?"
            args.append(since)
        if until:
            sql += " AND r.started <= ?"
            args.append(until)
        return self.query(sql + " ORDER BY r.started, r.id", args)

    def machines(self) -> list[dict]:
        rows = self.query("SELECT m.machine_key AS machine, m.cpu_model, m.cores, m.kernel, "
                          "m.compiler, m.description, COUNT(r.id) AS runs, "
                          "MIN(r.started) AS first, MAX(r.started) AS last "
                          "FROM nxbench_machines m LEFT JOIN nxbench_runs r "
                          "ON r.machine_id = m.id GROUP BY m.id, m.machine_key, m.cpu_model, "
                          "m.cores, m.kernel, m.compiler, m.description ORDER BY MIN(r.started)")
        for r in rows:
            r["description"] = json.loads(r["description"])
        return rows

    def rows_of(self, run_ids: list[int], case: str | None = None) -> dict[int, list[dict]]:
        """{run id: rows in results.json form (schema 2, per-round values)},
        optionally only one case (the floors always come along: ratios to
        the floor need them)."""
        out: dict[int, dict] = {i: {} for i in run_ids}
        if not run_ids:
            return {}
        marks = ", ".join("?" for _ in run_ids)
        sql = ("SELECT w.id, w.run_id, w.backend, w.kind, w.backend_version, w.case_name, "
               "w.params, w.mode, d.round, d.p50_cycles, d.p90_cycles, d.p99_cycles, "
               "d.p999_cycles, d.max_cycles, d.tsc_ghz, d.samples "
               "FROM nxbench_rows w JOIN nxbench_rounds d ON d.row_id = w.id "
               "WHERE w.run_id IN (%s)" % marks)
        args: list = list(run_ids)
        if case:
            sql += " AND (w.case_name = ? OR w.kind = 'floor')"
            args.append(case)
        for rec in self.query(sql + " ORDER BY w.id, d.round", args):
            rows = out[rec["run_id"]]
            row = rows.get(rec["id"])
            if row is None:
                row = rows[rec["id"]] = {
                    "backend": rec["backend"], "kind": rec["kind"],
                    "backend_version": rec["backend_version"], "case": rec["case_name"],
                    "params": json.loads(rec["params"]), "mode": rec["mode"], "rounds": []}
            rnd = {"round": rec["round"], "samples": rec["samples"], "tsc_ghz": rec["tsc_ghz"]}
            rnd.update({f: rec[f] for f in ROUND_FIELDS})
            row["rounds"].append(rnd)
        return {run_id: list(rows.values()) for run_id, rows in out.items()}


# --------------------------------------------------------------------------
# identities

def canonical_params(params: dict) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"))


def run_key(data: dict) -> str:
    """What makes a run itself: its start, fingerprint and every measured
    round (not where the file was found, nor what was derived from it)."""
    rows = sorted(([r["backend"], r["case"], canonical_params(r["params"]), r["mode"],
                    sorted(([x["round"]] + [x.get(f) for f in ROUND_FIELDS]
                            for x in r["rounds"]), key=lambda v: v[0])]
                   for r in data["results"]), key=lambda v: v[:4])
    doc = {"started": started_of(data), "fingerprint": data["fingerprint"], "rows": rows}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def machine_identity(fp: dict) -> dict:
    out = {k: fp.get(k) for k in MACHINE_FIELDS if fp.get(k) not in (None, "", {})}
    libs = fp.get("libraries") or {}
    out["libraries"] = {k: libs[k] for k in MACHINE_LIBRARIES if k in libs}
    # A VM may name its CPU only "AMD EPYC" while the host under it changes
    # between sessions (Zen 3, Zen 4, Turin: TSC 2.1-2.6 GHz here); the TSC
    # frequency to 0.1 GHz tells those hosts apart (one host calibrates the
    # same to about 0.001 GHz run after run).
    if isinstance(fp.get("tsc_ghz"), (int, float)):
        out["tsc_ghz"] = round(float(fp["tsc_ghz"]), 1)
    return out


def machine_description(fp: dict) -> dict:
    """The identity plus every library and backend version the run saw."""
    return dict(machine_identity(fp), **{k: fp[k] for k in ("libraries", "backend_versions")
                                         if fp.get(k)})


def machine_key(fp: dict) -> str:
    """12 hex digits naming the machine and build (MACHINE_FIELDS,
    MACHINE_LIBRARIES)."""
    text = json.dumps(machine_identity(fp), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def started_of(data: dict) -> str:
    return str(data.get("started") or data["fingerprint"].get("date") or "")


def current_branch(source=REPO_ROOT) -> str | None:
    """The branch being measured: CI's variables first (a CI checkout is a
    detached head), then git."""
    for var in ("NXBENCH_BRANCH", "GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_COMMIT_REF_NAME"):
        if os.environ.get(var):
            return os.environ[var]
    try:
        proc = subprocess.run(["git", "rev-parse", "--abbrev-ref", "HEAD"], cwd=source,
                              capture_output=True, text=True)
    except OSError:
        return None
    name = proc.stdout.strip()
    return name if proc.returncode == 0 and name and name != "HEAD" else None


def _flag(v) -> int | None:
    return None if v is None else int(bool(v))


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def record(results_path, where: str | None = None) -> str:
    """The `nxbench run` hook: adds a finished run to the database and says
    where; raises CliError when it cannot (the results file stays)."""
    data = R.load(str(results_path))
    if data.get("complete") is False:
        raise CliError("the run is unfinished; finish it with `nxbench run --resume`")
    db_where = target(where)
    with Database(db_where) as db:
        run_id, added = db.add_run(data, str(results_path), current_branch())
    return "history: %s run %d in %s" % ("added" if added else "already had", run_id,
                                         describe(db_where))
