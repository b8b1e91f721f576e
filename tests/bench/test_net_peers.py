#!/usr/bin/python3
"""The network cases and their peers, on this build (form only, no timing):
- a one-round `nxbench run --quick` of tcp_echo_rtt: a row for every
  executor backend and every peer (tokio too, when built), each with its
  floor row of the same params;
- the tokio peer's crate resolves and builds offline from Debian's crates
  (a fresh CARGO_HOME, any network access sent to a closed port);
- without cargo the tokio peer is skipped with the reason: CMake configured
  with NXBENCH_CARGO hidden writes it into the manifest, and a run on such
  a build lists it under `skipped` in results.json and in its output."""
import argparse
import contextlib
import io
import json
import os
import pathlib
import shutil
import subprocess
import tempfile

from benchtest import REPO, Checks, build_dir_arg, load, run_args, runcmd
from nxbench_lib import report, runplan

CASE = "tcp_echo_rtt"


def run_quick(c: Checks, build, out, **kw) -> tuple[dict, str]:
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        rc = runcmd.main(run_args(build, out, rounds=1, seed=7, case=[CASE], **kw))
    c.check(rc == 0, f"run --quick --case {CASE} exited {rc}:\n{text.getvalue()[-2000:]}")
    return load(out), text.getvalue()


def check_rows(c: Checks, data: dict, manifest: dict) -> None:
    rows = data["results"]
    backends = {b["backend"] for b in manifest["binaries"]
                if b["kind"] in ("executor", "peer") and not b.get("example")}
    floors = [r for r in rows if r["case"] == CASE + "_floor"]
    for b in sorted(backends):
        mine = [r for r in rows if r["backend"] == b and r["case"] == CASE]
        # 2 sizes x 2 run modes per pair class
        c.check(len(mine) >= 4, f"{b}: {len(mine)} {CASE} rows (want 2 sizes x busy/parked)")
        for r in mine:
            p = r["params"]
            c.check({"msg_bytes", "run", "pair_class"} <= set(p), f"{b}: params {p}")
            same = [f for f in floors if all(f["params"].get(k) == v for k, v in p.items())]
            c.check(len(same) == 2, f"{b} {p}: floor rows at start and end ({len(same)})")
            c.check(r["samples"] > 0 and r["p50_cycles"] > 0, f"{b} {p}: no samples")


def check_report(c: Checks, out: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        rc = report.main(argparse.Namespace(results=f"{out}/results.json", out=out,
                                            unit="cycles", title="t", reference=None))
    c.check(rc == 0, f"report exited {rc}")
    md = (pathlib.Path(out) / "report.md").read_text()
    section = md.partition("## Network")[2]
    c.check(bool(section), "the report has a network section")
    c.check("x floor [95%]" in section and "net_to_floor.png" in section,
            "the network section has the ratios to the floor and its chart")
    c.check(f"{CASE} p50, nxrt per backend:" in section, f"the network section sums up {CASE}")


def check_offline_build(c: Checks, build: pathlib.Path) -> None:
    # The crates are already built into the shared target folder; a copy of
    # the crate (its Cargo.lock stays out of the tree) resolves them again.
    target = REPO / "build" / "cargo-tokio"
    with tempfile.TemporaryDirectory() as home:
        crate = pathlib.Path(home) / "crate"
        shutil.copytree(REPO / "bench" / "peers" / "tokio", crate)
        src = crate / "Cargo.toml"
        env = dict(os.environ, CARGO_HOME=home, RUSTC="/usr/bin/rustc", CARGO_TARGET_DIR=str(target),
                   http_proxy="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9",
                   HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9")
        proc = subprocess.run(
            ["/usr/bin/cargo", "--config", str(REPO / "bench/peers/tokio/cargo/config.toml"),
             "build", "--release", "--offline", "--manifest-path", str(src)],
            capture_output=True, text=True, env=env, timeout=600)
        c.check(proc.returncode == 0, f"offline cargo build failed:\n{proc.stderr[-2000:]}")


def check_without_cargo(c: Checks, build: pathlib.Path, manifest: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cfg = pathlib.Path(tmp) / "cfg"
        proc = subprocess.run(
            ["cmake", "-S", str(REPO), "-B", str(cfg), "-DCMAKE_BUILD_TYPE=Release",
             "-DNXRT_BUILD_TESTS=OFF", "-DNXBENCH_CARGO=/nonexistent/cargo"],
            capture_output=True, text=True, timeout=300)
        c.check(proc.returncode == 0, f"configure without cargo failed:\n{proc.stderr[-2000:]}")
        c.check("tokio peer is skipped" in proc.stdout,
                "configure says the tokio peer is skipped")
        hidden = runplan.load_manifest(cfg)
        c.check(not any(b["backend"] == "tokio" for b in hidden["binaries"]),
                "no tokio binary in that manifest")
        why = [s for s in hidden.get("skipped", []) if s.get("backend") == "tokio"]
        c.check(len(why) == 1 and "/nonexistent/cargo" in why[0]["reason"],
                f"the manifest says why tokio is skipped: {hidden.get('skipped')}")
        # A run on this build's binaries with that manifest: tokio listed as skipped.
        fake = pathlib.Path(tmp) / "build"
        (fake / "bench").mkdir(parents=True)
        m = dict(manifest)
        m["binaries"] = [b for b in manifest["binaries"] if b["backend"] != "tokio"]
        m["skipped"] = why
        (fake / runplan.MANIFEST).write_text(json.dumps(m))
        data, text = run_quick(c, fake, pathlib.Path(tmp) / "out")
        c.check(any(s.get("backend") == "tokio" for s in data.get("skipped", [])),
                f"results.json lists tokio under skipped: {data.get('skipped')}")
        c.check("skipped peer tokio:" in text, "the run says tokio is skipped")
        c.check(not any(r["backend"] == "tokio" for r in data["results"]), "no tokio rows")


def main() -> int:
    build = build_dir_arg()
    c = Checks()
    manifest = runplan.load_manifest(build)
    with tempfile.TemporaryDirectory() as tmp:
        data, _ = run_quick(c, build, tmp)
        check_rows(c, data, manifest)
        check_report(c, tmp)
    if any(b["backend"] == "tokio" for b in manifest["binaries"]):
        c.check(any(r["backend"] == "tokio" for r in data["results"]), "tokio rows in results.json")
        check_offline_build(c, build)
    else:
        print("note: nxbench_tokio is not built here (no cargo): its rows are not checked")
    if shutil.which("cmake"):
        check_without_cargo(c, build, manifest)
    return c.done("net peers")


if __name__ == "__main__":
    raise SystemExit(main())
