"""The results database's tables (tools/README.md, "The results database"):
the migrations that build them, one per schema version, and the per-round
columns. historydb.py applies them when it opens a store; the views
`nxbench_results` and `nxbench_runs_view` are the documented way to query.
"""

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
