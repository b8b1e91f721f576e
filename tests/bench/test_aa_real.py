#!/usr/bin/python3
"""A short real A/A on this build: two `nxbench run --quick` of the same
binaries back to back, then `nxbench compare`, and one `nxbench ab --base
HEAD` with this build on both sides: both must exit 0 with no row
"regressed" or "improved". The machine may be busy (CI, other builds): the
method must stay quiet anyway, which is what this checks. No timing
thresholds: only the verdicts."""
import argparse
import contextlib
import io
import json
import tempfile

from benchtest import Checks, build_dir_arg, run_args, runcmd
from nxbench_lib import ab, compare

KW = dict(backend=["malloc", "slab", "jemalloc", "mimalloc"],
          case=["spawn_poll_free", "poll_queued"], rounds=3)


def decision(**kw):
    a = dict(threshold=None, alpha=compare.DEFAULT_ALPHA,
             metric="p50", unit="cycles", allow_missing=False, json=True, all=False)
    a.update(kw)
    return argparse.Namespace(**a)


def flagged(text):
    data = json.loads(text[text.index("{"):text.rindex("}") + 1])
    return [(r["case"], r["mode"], r["params"], r["backend"], r["verdict"])
            for r in data["rows"] if r["verdict"] in ("regressed", "improved")]


def main() -> int:
    build = build_dir_arg()
    c = Checks()
    with tempfile.TemporaryDirectory() as tmp:
        quiet = io.StringIO()
        for name in ("a", "b"):
            with contextlib.redirect_stdout(quiet):
                rc = runcmd.main(run_args(build, f"{tmp}/{name}", **KW))
            c.check(rc == 0, f"run {name} exited {rc}")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = compare.main(decision(base=f"{tmp}/a", new=f"{tmp}/b"))
        c.check(rc == 0, f"compare A A exited {rc}")
        c.check(flagged(out.getvalue()) == [], f"compare A A flagged {flagged(out.getvalue())}")

        args = decision(base="HEAD", base_build_dir=str(build), build_dir=str(build),
                        quick=True, out=f"{tmp}/ab", seed=None, resume=None, **KW)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = ab.main(args)
        text = out.getvalue()
        c.check(rc == 0, f"ab --base HEAD exited {rc}")
        c.check('"paired": true' in text, "ab compares round by round")
        c.check(flagged(text) == [], f"ab --base HEAD flagged {flagged(text)}")
    return c.done("real A/A")


if __name__ == "__main__":
    raise SystemExit(main())
