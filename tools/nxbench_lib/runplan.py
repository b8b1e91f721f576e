"""Planning a benchmark run: the build, which binaries run as which backend,
which cases, and the order of every round.

A round starts with the floors, then takes the benchmark families one by
one (a family: one case with one set of params, both modes, e.g.
`<case> future_bytes=64`); for each family every binary that has it
runs as a fresh process, in an order shuffled per family and round (seeded:
the seed is in the plan and each round's order in results.json; in an ab
session a backend's base and new process are kept next to each other); the
floors run again at the end of the round. A family's processes take a second or
two together, so the backends compared in a row are measured within the
same few seconds: this machine's speed level moves by up to 1.8x over
seconds to minutes (shared/MEASURING.md), and what moves between two
processes of one family is rare; the rounds carry the spread that is left.

The plan is plain JSON (results.json keeps it), which is what lets
`run --resume` continue exactly the run that was started.
"""
from __future__ import annotations

import hashlib
import os
import pathlib
import random
import re
import shlex
import subprocess

from nxbench_lib import BUILD_ROOT, REPO_ROOT, CliError, say
from nxbench_lib import cases as C

DEFAULT_BUILD_DIR = BUILD_ROOT / "release"
MANIFEST = pathlib.Path("bench") / "nxbench_manifest.json"
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


# --------------------------------------------------------------------------
# build and manifest

def prepare_build(build_dir: str | None, source: pathlib.Path = REPO_ROOT,
                  default: pathlib.Path = DEFAULT_BUILD_DIR) -> pathlib.Path:
    """The build folder holding the benchmark binaries. With `build_dir`: that
    existing build, checked. Without: configures the release preset of
    `source` into `default` if needed, then builds the benchmark targets (an
    up-to-date build takes seconds)."""
    if build_dir:
        path = pathlib.Path(build_dir).resolve()
        if not (path / MANIFEST).exists():
            raise CliError(f"{path / MANIFEST} does not exist: is {path} a configured and built "
                           "nxrt build folder (NXRT_BUILD_BENCH=ON)?", 2)
        return path
    path = pathlib.Path(default)
    if not (path / "CMakeCache.txt").exists() or not (path / MANIFEST).exists():
        say(f"configuring the release preset into {path}")
        run_build_step(["cmake", "--preset", "release", "-B", str(path)], source)
    jobs = str(os.cpu_count() or 2)
    say(f"building the benchmarks in {path}")
    # A build may re-run CMake and list new binaries: build until every
    # binary the manifest names exists.
    for _ in range(2):
        manifest = load_manifest(path)
        targets = [b["binary"] for b in manifest["binaries"]] + \
            ["nxrt_plugin_" + p["name"] for p in manifest["plugins"]]
        run_build_step(["cmake", "--build", str(path), "-j", jobs, "--target", *targets], source)
        manifest = load_manifest(path)
        if all(os.path.exists(b["path"]) for b in manifest["binaries"]):
            return path
    missing = [b["binary"] for b in manifest["binaries"] if not os.path.exists(b["path"])]
    raise CliError(f"the build did not produce {', '.join(missing)}")


def run_build_step(cmd: list[str], cwd: pathlib.Path = REPO_ROOT) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
        raise CliError(f"`{shlex.join(cmd)}` failed (exit {proc.returncode}):\n{tail}")


def load_manifest(build_dir: pathlib.Path) -> dict:
    path = pathlib.Path(build_dir) / MANIFEST
    try:
        import json
        manifest = json.loads(path.read_text())
    except OSError as e:
        raise CliError(f"cannot read {path}: {e}") from e
    except ValueError as e:
        raise CliError(f"{path} is not valid JSON ({e}); reconfigure the build") from e
    if not any(b["kind"] == "floor" for b in manifest.get("binaries", [])):
        raise CliError(f"{path} lists no floor binary; is bench/ built?")
    return manifest


def sha256_of(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------
# jobs: one binary run as one backend

class Job:
    """One benchmark binary run as one backend (on one side of an A/B)."""

    def __init__(self, binary: str, path: str, kind: str, backend: str, label: str,
                 plugin: str | None = None, side: str | None = None):
        self.binary, self.path, self.kind = binary, path, kind
        self.backend = backend       # the name the binary must report
        self.label = label           # file names, progress lines
        self.plugin = plugin
        self.side = side             # None, or "base"/"new" in `nxbench ab`
        self.families: list[str] = []  # the benchmark families it runs (see family_of)
        self.layout = False          # takes --nxbench_layout (older builds do not)

    @property
    def cases(self) -> list[str]:
        out = []
        for f in self.families:
            if f.split("/", 1)[0] not in out:
                out.append(f.split("/", 1)[0])
        return out

    def env(self) -> dict:
        env = dict(os.environ)
        if self.plugin:
            env["NXRT_BACKEND_PLUGIN"] = self.plugin
            env["NXRT_BACKEND_NAME"] = self.backend
        return env

    def to_json(self) -> dict:
        return {"label": self.label, "binary": self.binary, "path": self.path,
                "kind": self.kind, "backend": self.backend, "plugin": self.plugin,
                "side": self.side, "families": self.families, "layout": self.layout,
                "sha256": self.sha256()}

    def sha256(self) -> str:
        """Of the binary, and of the plugin it loads: what a resume must find again."""
        digest = sha256_of(self.path)
        return digest + ("+" + sha256_of(self.plugin) if self.plugin else "")

    @classmethod
    def from_json(cls, d: dict) -> "Job":
        job = cls(d["binary"], d["path"], d["kind"], d["backend"], d["label"], d.get("plugin"),
                  d.get("side"))
        job.families = list(d.get("families", []))
        job.layout = bool(d.get("layout"))
        return job


def plan_jobs(manifest: dict, wanted: list[str] | None, side: str | None = None) -> list[Job]:
    """The binaries to run for --backend (floor first). CliError on an
    unknown name or a plugin path that does not exist."""
    prefix = f"{side}_" if side else ""

    def job(entry, name, plugin=None, label=None):
        return Job(entry["binary"], entry["path"], entry["kind"], name,
                   prefix + (label or name), plugin, side)

    by_backend = {b["backend"]: b for b in manifest["binaries"] if b["kind"] != "plugin_host"}
    host = next((b for b in manifest["binaries"] if b["kind"] == "plugin_host"), None)
    jobs = [job(by_backend["floor"], "floor")]
    if not wanted:
        return jobs + [job(b, name) for name, b in sorted(by_backend.items(),
                                                          key=lambda kv: C.backend_rank(kv[0]))
                       if b["kind"] != "floor" and not b.get("example")]
    seen = set()
    choices = sorted(n for n in by_backend if n != "floor")
    for spec in wanted:
        name, sep, path = spec.partition("=")
        if not NAME_RE.match(name):
            raise CliError(f"--backend {spec!r}: NAME must start with a letter and hold only "
                           "letters, digits, '_', '.', '-'", 2)
        if name in seen:
            raise CliError(f"--backend {name} given twice", 2)
        seen.add(name)
        if name == "floor":
            continue  # always runs
        if sep:
            if name in by_backend:
                raise CliError(f"--backend {spec}: {name} is a built-in backend; give the "
                               "plugin another name", 2)
            if host is None:
                raise CliError("this build has no plugin host (nxbench_plugin)", 2)
            plugin = pathlib.Path(path).expanduser().resolve()
            if not plugin.is_file():
                raise CliError(f"--backend {spec}: no such file: {plugin}", 2)
            jobs.append(job(host, name, str(plugin), f"plugin_{name}"))
        elif name in by_backend:
            jobs.append(job(by_backend[name], name))
        else:
            raise CliError(f"--backend {name}: unknown backend (built: {', '.join(choices)}; "
                           "or NAME=PATH.so for a plugin)", 2)
    return jobs


def family_of(name: str) -> str:
    """'<case>/mode:batched/future_bytes:0/iterations:1' ->
    '<case>/future_bytes:0': a benchmark without its mode."""
    parts = [p for p in name.split("/") if not p.startswith(("mode:", "iterations:"))]
    return "/".join(parts)


def family_filter(families: list[str]) -> str:
    """A --benchmark_filter regex matching every mode of these families."""
    alts = []
    for fam in families:
        case, _, rest = fam.partition("/")
        alts.append(re.escape(case) + "/mode:[a-z]+" + ("/" + re.escape(rest) if rest else ""))
    return "^(" + "|".join(alts) + ")(/iterations:1)?$"


def list_families(job: Job, quick: bool) -> list[str]:
    """The binary's benchmark families, in its order (google-benchmark's list)."""
    cmd = [job.path, "--benchmark_list_tests"] + (["--nxbench_quick"] if quick else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, env=job.env())
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise CliError(f"{job.binary} ({job.label}) cannot list its cases (exit "
                       f"{proc.returncode}): {last}")
    out = []
    for line in proc.stdout.split():
        fam = family_of(line)
        if fam not in out:
            out.append(fam)
    return out


def read_catalogues(jobs: list[Job], quick: bool) -> None:
    """Loads each binary's case catalogue (cases.use): one per executor build
    side, one per floor and peer binary. A binary too old to print one (an
    `ab` base) leaves its cases to the catalogue of the other side."""
    seen = set()
    for job in sorted(jobs, key=lambda j: j.side == "base"):
        group = C.group_of(job.kind, job.backend)
        if group in seen:
            continue
        cat = C.read_binary(job.path, job.env(), quick)
        if cat is not None:
            seen.add(group)
            C.use(cat)


def layout_of(seed, index: int, label: str, group: str) -> int:
    """The --nxbench_layout value of one process: different for every
    process, the same for the same seed (a resumed run repeats it)."""
    return random.Random(f"{seed}:{index}:{label}:{group}").randrange(1 << 16)


def takes_layout(job: Job) -> bool:
    """Whether the binary knows --nxbench_layout (builds before it do not:
    `ab` may run one as its base)."""
    proc = subprocess.run([job.path, "--nxbench_layout=0", "--benchmark_list_tests"],
                          capture_output=True, text=True, env=job.env())
    return proc.returncode == 0


def select_cases(wanted: list[str] | None, jobs: list[Job], quick: bool) -> list[str]:
    """Fills each job's families (all of them for floors; those of the
    selected cases otherwise) and returns the selected cases. CliError on an
    unknown --case."""
    listed = {job.label: list_families(job, quick) for job in jobs}
    read_catalogues(jobs, quick)
    for job in jobs:
        job.layout = takes_layout(job)
    known = {f.split("/", 1)[0] for job in jobs if job.kind != "floor" for f in listed[job.label]}
    if wanted:
        for c in wanted:
            if c not in known:
                raise CliError(f"--case {c}: unknown case (known: {', '.join(sorted(known))})", 2)
    chosen = set(wanted) if wanted else known
    for job in jobs:
        job.families = [f for f in listed[job.label]
                        if job.kind == "floor" or f.split("/", 1)[0] in chosen]
    return sorted(chosen, key=C.case_rank)


# --------------------------------------------------------------------------
# the plan and each round's order

def make_plan(jobs: list[Job], rounds: int, seed: int, quick: bool, reference: str,
              build_dirs: dict, extra: dict | None = None) -> dict:
    plan = {"rounds": rounds, "seed": seed, "quick": quick, "reference": reference,
            "build_dirs": {k: str(v) for k, v in build_dirs.items()},
            "jobs": [j.to_json() for j in jobs]}
    plan.update(extra or {})
    return plan


def jobs_of(plan: dict) -> list[Job]:
    return [Job.from_json(j) for j in plan["jobs"]]


def check_binaries(plan: dict) -> None:
    """CliError unless every binary of the plan is still the one it started
    with (a resumed run must not mix builds)."""
    for j in plan["jobs"]:
        for path in filter(None, (j["path"], j.get("plugin"))):
            if not os.path.exists(path):
                raise CliError(f"{path} ({j['label']}) no longer exists; start a new run", 2)
        if Job.from_json(j).sha256() != j["sha256"]:
            raise CliError(f"{j['path']} ({j['label']}) changed since the run started (rebuilt?); "
                           "a resumed run must use the same binaries: start a new run", 2)


def _slot_key(family: str, core: dict) -> str:
    """The family without params only a peer has (asio's api): the peer's
    processes then run beside the executors' of the same case and params."""
    case, *params = family.split("/")
    keep = core.get(case)
    return "/".join([case] + [p for p in params if keep is None or p.split(":")[0] in keep])


def round_slots(plan: dict, index: int) -> list[tuple[str, str | None, str, list[str]]]:
    """The processes of round `index`, in order: (job label, floor phase or
    None, slot title, benchmark families to run)."""
    jobs = plan["jobs"]
    rng = random.Random(f"{plan['seed']}:{index}")
    floor = next(j for j in jobs if j["kind"] == "floor")
    slots = [(floor["label"], "start", "floors", floor["families"])]
    others = [j for j in jobs if j["kind"] != "floor"]
    core: dict = {}
    for j in others:
        if j["kind"] == "executor":
            for fam in j["families"]:
                case, *params = fam.split("/")
                core.setdefault(case, set()).update(p.split(":")[0] for p in params)
    groups: dict = {}
    for j in others:
        for fam in j["families"]:
            groups.setdefault(_slot_key(fam, core), {}).setdefault(j["label"], []).append(fam)
    order = sorted(groups, key=lambda k: C.case_rank(k.split("/", 1)[0]))  # stable: list order
    backend_of = {j["label"]: (j["backend"], j.get("plugin")) for j in jobs}
    for key in order:
        # In an A/B session a backend's base and new process run back to back
        # (in a random order), the pairs shuffled: the paired test compares
        # processes a fraction of a second apart, not a whole family apart.
        units: dict = {}
        for label, fams in groups[key].items():
            units.setdefault(backend_of[label], []).append((label, fams))
        pairs = list(units.values())
        rng.shuffle(pairs)
        for unit in pairs:
            rng.shuffle(unit)
            slots += [(label, None, key, fams) for label, fams in unit]
    slots.append((floor["label"], "end", "floors", floor["families"]))
    return slots
