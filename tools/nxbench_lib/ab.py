"""`nxbench ab --base REV`: an A/B comparison in one job.

Builds REV in a work tree of its own (build/ab/src-<commit>, a `git worktree`,
built into build/ab/base-<commit>), builds the current tree as `nxbench run`
does, then runs both sets of binaries interleaved: in every round and case
group, the base and the new binary of every backend run as fresh processes
in one shuffled order, so each round pairs them close in time. Writes
DIR/base/results.json and DIR/new/results.json (one session: `compare`
pairs them round by round) and prints the comparison. `--resume DIR`
finishes an interrupted session (DIR/ab-state.json).
"""
from __future__ import annotations

import argparse
import datetime
import pathlib
import random
import shlex
import textwrap
import uuid

from nxbench_lib import BUILD_ROOT, REPO_ROOT, CliError, say
from nxbench_lib import compare, runcmd, runloop, runplan
from nxbench_lib import fingerprint as F
from nxbench_lib import results as R

STATE = "ab-state.json"
# A paired test has rounds - 1 degrees of freedom; with 5 (4 df), a planted
# +45% in slab's spawn rows stayed at q 0.01-0.06 under Benjamini-Hochberg
# over 182 rows on this machine (paired noise 5-20% per round); 10 rounds
# give 9 df and intervals about half as wide.
AB_ROUNDS = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = textwrap.fill(
        "Build the base revision REV in a separate work tree, build the current tree, and run "
        "both interleaved round by round on this machine (the base and new binary of each "
        "backend back to back for every benchmark), then compare them round by round. A host "
        "speed change hits both sides of a round and cancels, so this decides changes that "
        "two separate runs cannot, including ones every backend shares.", width=79)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = textwrap.dedent("""\
        examples:
          tools/nxbench ab --base origin/main            a pull request against its target
          tools/nxbench ab --base HEAD --quick           A/A: the same commit on both sides
          tools/nxbench ab --base HEAD~3 --case CASE --backend slab --backend malloc

        --quick (a tenth of the samples, still 10 rounds) decides large changes in batched
        rows (bench/README.md, "What a quick run can decide"); a quiet quick ab is no
        evidence against a change of a few percent, in p99, or in single-mode rows.""")
    parser.add_argument("--base", metavar="REV",
                        help="the revision to compare against (a commit, branch or tag)")
    parser.add_argument("--rounds", type=int, metavar="R",
                        help=f"rounds (default {AB_ROUNDS}, with --quick too: a paired test has "
                             "R-1 degrees of freedom, and over a couple of hundred rows fewer "
                             "decide little)")
    parser.add_argument("--quick", action="store_true",
                        help="a tenth of the samples per process (see below)")
    parser.add_argument("--backend", action="append", metavar="NAME",
                        help="only this backend (repeatable; default: all, peers included)")
    parser.add_argument("--case", action="append", metavar="CASE",
                        help="only this case (repeatable; default: every case)")
    parser.add_argument("--seed", type=int, metavar="N", help="seed of the per-round order")
    parser.add_argument("--out", metavar="DIR",
                        help="where base/, new/ and the logs go (default: reports/runs/ab-<time>)")
    parser.add_argument("--build-dir", metavar="DIR",
                        help="the current tree's existing build (default: build the release "
                             "preset into build/release)")
    parser.add_argument("--base-build-dir", metavar="DIR",
                        help="an existing build of the base (default: build REV in "
                             "build/ab/base-<commit>)")
    parser.add_argument("--resume", metavar="DIR", help="finish the interrupted session in DIR")
    compare.add_decision_arguments(parser)
    parser.add_argument("--json", action="store_true",
                        help="print the comparison as JSON (as `compare --json`)")
    parser.add_argument("--all", action="store_true", help="list every row of the comparison")


def main(args: argparse.Namespace) -> int:
    compare.check_decision_arguments(args)
    if args.resume:
        return resume(args)
    if not args.base:
        raise CliError("--base REV is required (the revision to compare against)", 2)
    rounds = args.rounds if args.rounds is not None else AB_ROUNDS
    if rounds < 2:
        raise CliError(f"--rounds must be at least 2 for a paired test (got {rounds})", 2)
    commit = resolve(args.base)
    base_dir = (runplan.prepare_build(args.base_build_dir) if args.base_build_dir
                else build_base(commit))
    new_dir = runplan.prepare_build(args.build_dir)
    base_jobs = [j for j in runplan.plan_jobs(runplan.load_manifest(base_dir), args.backend,
                                              "base") if j.kind != "floor"]
    new_jobs = runplan.plan_jobs(runplan.load_manifest(new_dir), args.backend, "new")
    jobs = new_jobs[:1] + base_jobs + new_jobs[1:]  # the floors run once, from the new build
    runplan.select_cases(args.case, jobs, args.quick)
    out = runcmd.output_dir(args.out or str(REPO_ROOT / "reports" / "runs" / (
        "ab-" + datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))))
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    plan = runplan.make_plan(jobs, rounds, seed, args.quick, "malloc",
                             {"base": base_dir, "new": new_dir},
                             {"ab": {"base_rev": args.base, "base_commit": commit,
                                     "session": uuid.uuid4().hex}})
    say(f"ab: base {args.base} = {commit[:12]} ({base_dir}), new = the current tree ({new_dir})")
    state = runcmd.new_state(plan, shlex.join(["tools/nxbench", "ab", "--base", args.base] +
                                              (["--quick"] if args.quick else [])))
    return finish(state, out, args)


def resolve(rev: str) -> str:
    sha = F.git("rev-parse", "--verify", "--quiet", rev + "^{commit}")
    if not sha:
        raise CliError(f"--base {rev}: not a commit in {REPO_ROOT} (git rev-parse found nothing)",
                       2)
    return sha


def build_base(commit: str) -> pathlib.Path:
    """A work tree of `commit` and its release build, both under build/ab/."""
    src = BUILD_ROOT / "ab" / f"src-{commit[:12]}"
    if not (src / ".git").exists():
        src.parent.mkdir(parents=True, exist_ok=True)
        say(f"ab: git worktree add --detach {src} {commit[:12]}")
        runplan.run_build_step(["git", "worktree", "add", "--detach", str(src), commit])
    elif F.git("rev-parse", "HEAD", cwd=src) != commit:
        raise CliError(f"{src} exists but is not at {commit[:12]}; remove it "
                       f"(git worktree remove --force {src})", 2)
    return runplan.prepare_build(None, source=src, default=BUILD_ROOT / "ab" / f"base-{commit[:12]}")


def save_sides(state: dict, out: pathlib.Path) -> None:
    """DIR/base/results.json and DIR/new/results.json from the combined state."""
    session = state["plan"]["ab"]["session"]
    floors = [r for r in state["results"] if r.get("kind") == "floor"]
    for side in ("base", "new"):
        doc = {k: v for k, v in state.items() if k not in ("results", "fingerprints")}
        doc["fingerprint"] = state.get("fingerprints", {}).get(side, state["fingerprint"])
        doc["pairing"] = {"session": session, "side": side}
        doc["results"] = [{k: v for k, v in r.items() if k != "side"}
                          for r in state["results"] if r.get("side") == side] + floors
        (out / side).mkdir(parents=True, exist_ok=True)
        if doc["results"]:
            R.write(out / side / "results.json", doc)


def finish(state: dict, out: pathlib.Path, args) -> int:
    plan = state["plan"]
    sources = {"base": BUILD_ROOT / "ab" / f"src-{plan['ab']['base_commit'][:12]}",
               "new": REPO_ROOT}
    inner = runcmd.saver(out / STATE, state)

    def save(st, contexts):
        fps = {}
        for side in ("base", "new"):
            # The floors run once per round (from the new build) and belong to both.
            ctx = {k: v for k, v in contexts.items() if k.startswith(side + "_") or
                   v.get("nxbench_backend") == "floor"}
            src = sources[side] if sources[side].exists() else REPO_ROOT
            fps[side] = {**st.get("fingerprints", {}).get(side, {}),
                         **F.fingerprint(ctx, dict(plan, build_dirs={
                             "new": plan["build_dirs"][side]}), src)}
        st["fingerprints"] = fps
        inner(st, contexts)
        save_sides(st, out)

    resume_cmd = f"tools/nxbench ab --resume {shlex.quote(str(out))}"
    try:
        runloop.execute(state, out, save)
    except KeyboardInterrupt:
        say("\n" + runloop.interrupted_message(out, state, resume_cmd), err=True)
        return 130
    state["complete"] = True
    R.write(out / STATE, state)
    save_sides(state, out)
    say("")
    base, new = R.load(str(out / "base")), R.load(str(out / "new"))
    rc = compare.decide(base, new, args)
    say(f"ab: {out / 'base' / 'results.json'} and {out / 'new' / 'results.json'}; "
        f"`tools/nxbench compare {out / 'base'} {out / 'new'}` repeats this comparison")
    return rc


def resume(args: argparse.Namespace) -> int:
    given = [o for o, v in (("--base", args.base), ("--backend", args.backend),
                            ("--case", args.case), ("--rounds", args.rounds),
                            ("--quick", args.quick), ("--out", args.out),
                            ("--build-dir", args.build_dir),
                            ("--base-build-dir", args.base_build_dir)) if v]
    if given:
        raise CliError(f"--resume continues the session as it was planned; drop "
                       f"{', '.join(given)}", 2)
    out = pathlib.Path(args.resume)
    state = runcmd.load_state(out / STATE)
    runplan.check_binaries(state["plan"])
    say(f"resuming {out}: {len(state['rounds'])} of {state['plan']['rounds']} rounds done")
    return finish(state, out, args)
