#!/usr/bin/python3
"""The toy bump allocator plugged in both ways: in the tree (`--backend
bump`, binary nxbench_bump) and as a plugin loaded by the plugin host
(`--backend bump_so=PATH/libbump.so`). Both must appear in results.json
under their names with every executor case, report the plugin's own version
text, and come from the right binary."""
import tempfile

from benchtest import Checks, build_dir_arg, load, results_check, run_args, runcmd
from nxbench_lib import cases, runplan, summary


def main() -> int:
    build = build_dir_arg()
    c = Checks()
    manifest = runplan.load_manifest(build)
    plugin = next((p["path"] for p in manifest["plugins"] if p["name"] == "bump"), None)
    if not c.check(plugin is not None, "the build has the bump plugin (nxrt_plugin_bump)"):
        return c.done("plugin")
    with tempfile.TemporaryDirectory() as tmp:
        rc = runcmd.main(run_args(build, tmp, rounds=1, backend=["bump", f"bump_so={plugin}"]))
        c.check(rc == 0, f"run exited {rc}")
        data = load(tmp)
        jobs = [("floor", "floor", "nxbench_floor"), ("bump", "executor", "nxbench_bump"),
                ("bump_so", "executor", "nxbench_plugin")]
        for p in results_check.check_run(data, jobs):
            c.check(False, p)
        rows = {b: [r for r in data["results"] if r["backend"] == b] for b in ("bump", "bump_so")}
        for b, rs in rows.items():
            c.check(len(rs) > 0, f"rows for {b}")
            want = cases.expected_cases("executor", b, bool(data["fingerprint"].get("pair_classes")))
            c.check({r["case"] for r in rs} == want,
                    f"{b} has every executor case: {sorted({r['case'] for r in rs})}")
        versions = {b: {r["backend_version"] for r in rs} for b, rs in rows.items()}
        c.check(versions["bump"] == versions["bump_so"] and len(versions["bump"]) == 1,
                f"both ways report the same version text: {versions}")
        c.check(any("bump" in v for v in versions["bump_so"]),
                f"the plugin's version names it: {versions['bump_so']}")
        c.check(data["fingerprint"]["backend_versions"].get("bump_so") is not None,
                "the fingerprint lists the plugin backend")
        c.check(data["plan"]["reference"] == "bump", "without malloc the first backend is the "
                "reference")
        c.check("bump_so" in summary.summary(data, "bump"), "the summary has a bump_so column")
    return c.done("plugin bump both ways")


if __name__ == "__main__":
    raise SystemExit(main())
