#!/usr/bin/python3
"""`nxbench run --quick` on this build: the whole default matrix, then the
form of its output: every backend and case present, percentiles ordered,
backend names matching the binaries, the per-binary google-benchmark JSON
there, the summary printed. No timing thresholds."""
import json
import tempfile

from benchtest import Checks, build_dir_arg, load, run_args, runcmd


def main() -> int:
    build = build_dir_arg()
    c = Checks()
    with tempfile.TemporaryDirectory() as tmp:
        rc = runcmd.main(run_args(build, tmp))
        c.check(rc == 0, f"run --quick exited {rc}")
        data = load(tmp)
        manifest = runcmd.load_manifest(build)
        jobs = runcmd.default_jobs(manifest)
        for p in runcmd.check_results(data, jobs):
            c.check(False, p)
        backends = {r["backend"] for r in data["results"]}
        for name in ("malloc", "slab", "floor"):
            c.check(name in backends, f"backend {name} has rows")
        c.check("bump" not in backends, "the example backend is not in the default matrix")
        for label in [b for b, _k, _bin in jobs if b != "floor"] + ["floor_start", "floor_end"]:
            path = f"{tmp}/gbench/{label}.json"
            try:
                g = json.load(open(path))
                c.check(g["context"].get("nxbench_backend") == label.split("_")[0],
                        f"{path}: context names backend {g['context'].get('nxbench_backend')}")
                c.check(len(g["benchmarks"]) > 0, f"{path}: no benchmarks")
            except (OSError, ValueError, KeyError) as e:
                c.check(False, f"{path}: {e}")
        # Row order does not matter to readers, but every row's repetition must be in range.
        c.check(all(r["repetition"] == 0 for r in data["results"]),
                "--quick runs one repetition")
    return c.done("run --quick")


if __name__ == "__main__":
    raise SystemExit(main())
