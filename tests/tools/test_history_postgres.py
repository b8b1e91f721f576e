"""The results-database tests of test_history.py against a real PostgreSQL
server: a throw-away cluster (initdb in a temporary folder, listening only
on a unix socket in that folder, trust authentication) started by this test
and stopped at its end, each test in a database of its own. The server runs
as an unprivileged user: the invoking user, or `nobody` when the test runs
as root (initdb refuses root). Exit 77 (skipped) with a message when the
server binaries (Debian's postgresql) or psycopg2 (python3-psycopg2) are
missing."""
import glob
import itertools
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import unittest

import test_history as th

PORT = 54329
SUPERUSER = "nxbench"


def server_bin():
    """The newest installed server's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[-3]) if p.split("/")[-3].isdigit() else 0)
    return os.path.dirname(found[-1]) if found else None


class Cluster:
    def __init__(self, bindir):
        self.bindir = bindir
        self.dir = tempfile.mkdtemp(prefix="nxbench-pg-")
        self.user = None
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            self.user, self.group = nobody.pw_uid, nobody.pw_gid
            os.chown(self.dir, self.user, self.group)
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")

    def run(self, *argv):
        kw = {"user": self.user, "group": self.group} if self.user is not None else {}
        proc = subprocess.run([os.path.join(self.bindir, argv[0]), *argv[1:]], cwd=self.dir,
                              capture_output=True, text=True, timeout=120, **kw)
        if proc.returncode != 0:
            raise RuntimeError("%s failed (%d): %s%s" % (argv[0], proc.returncode, proc.stdout,
                                                         proc.stderr))
        return proc

    def start(self):
        self.run("initdb", "-D", self.data, "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                 "--no-sync")
        self.run("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "-o",
                 "-k %s -c listen_addresses='' -p %d -F" % (self.dir, PORT), "start")

    def stop(self):
        try:
            self.run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, dbname):
        return "postgresql://%s@/%s?host=%s&port=%d" % (SUPERUSER, dbname, self.dir, PORT)


CLUSTER = None
NAMES = itertools.count()


def setUpModule():
    global CLUSTER
    CLUSTER = Cluster(server_bin())
    try:
        CLUSTER.start()
    except Exception:
        if os.path.exists(CLUSTER.log):
            with open(CLUSTER.log) as f:
                sys.stderr.write(f.read())
        CLUSTER.stop()
        raise


def tearDownModule():
    if CLUSTER is not None:
        CLUSTER.stop()


class PostgresHistoryTest(th.HistoryTests, unittest.TestCase):
    def new_target(self):
        import psycopg2
        name = "history_%d" % next(NAMES)
        conn = psycopg2.connect(CLUSTER.url("postgres"))
        conn.autocommit = True
        try:
            conn.cursor().execute("CREATE DATABASE %s" % name)
        finally:
            conn.close()
        return CLUSTER.url(name)

    def test_two_writers_store_a_run_once(self):
        # Two CI jobs importing the same artifact: one run, whichever wins.
        from nxbench_lib import historydb as H
        data = th.hl.series(1)[0]
        a, b = H.Database(self.where), H.Database(self.where)
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        self.assertEqual([a.add_run(data, "a")[1], b.add_run(data, "b")[1]], [True, False])
        self.assertEqual(self.count(a, "nxbench_runs"), 1)

    def test_bad_url_is_a_clear_error(self):
        from nxbench_lib import history
        rc, _, err = th.run_cli(history, ["--db", CLUSTER.url("no_such_db")])
        self.assertEqual(rc, 2)
        self.assertIn("cannot connect to", err)
        self.assertIn("no_such_db", err)


if __name__ == "__main__":
    if server_bin() is None:
        print("SKIP: PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin; "
              "apt-get install postgresql)")
        sys.exit(77)
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        print("SKIP: psycopg2 missing (apt-get install python3-psycopg2)")
        sys.exit(77)
    unittest.main()
