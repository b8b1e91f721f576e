"""The results database: every run's rows with their per-round values, kept
across runs, commits and machines (tools/README.md, "The results database").

Two stores, one schema and one set of queries:
- SQLite (Python's sqlite3), a file, `reports/history.db` by default;
- PostgreSQL (Debian's python3-psycopg2) when the target is a
  `postgresql://` URL, so many CI machines can write to one store.
The target is `--db`, else `$NXBENCH_DB`, else the default file.

A run is stored once: its key is a hash of what the run measured (start
time, fingerprint, rows and rounds; history_keys.py), so importing the same results.json
twice, or from two copies of a CI artifact, is a no-op. A run is written in
one transaction: a reader never sees half of it.

The schema (history_schema.py) is versioned (table `nxbench_meta`, key
`schema_version`) and migrated forward when opened; a database newer than this nxbench is refused.
`nxbench_results` is the documented view to query directly (one line per run
x row x round); `nxbench_runs_view` one line per run with its machine.
"""
from __future__ import annotations

import datetime
import json
import os
import pathlib
import re
import sqlite3

from nxbench_lib import REPO_ROOT, CliError
from nxbench_lib import cases as C
from nxbench_lib import results as R
from nxbench_lib.history_keys import (canonical_params, current_branch, machine_description,
                                      machine_key, run_key, started_of)
from nxbench_lib.history_schema import MIGRATIONS, ROUND_FIELDS, SCHEMA_VERSION

DEFAULT_PATH = REPO_ROOT / "reports" / "history.db"
ENV = "NXBENCH_DB"
PG_SCHEMES = ("postgresql://", "postgres://")


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
