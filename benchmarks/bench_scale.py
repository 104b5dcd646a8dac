"""Benchmark at monorepo scale: a generated mixed repository (Terraform roots calling modules,
with a terraform.tfvars per stack; Kubernetes manifests, some teams as Kustomize bases with an
overlay each; GitHub workflows; a GitLab pipeline including per-team files), scanned through the
real CLI cold (empty cache), warm (unchanged repository) and with one file changed
(`--only-changed FILE`, the pre-commit path).

    python benchmarks/bench_scale.py                 # 1,000 / 2,000 / 5,000 files
    python benchmarks/bench_scale.py --sizes 5000 --jobs 2
    python benchmarks/bench_scale.py --sizes 50000   # the monorepo target (issue 22)
    CHECKOV=/path/to/venv/bin/checkov python benchmarks/bench_scale.py --sizes 1000

Targets (2 cores): 5,000 files cold ≤ 60 s, warm ≤ 5 s, peak ≤ 500 MB; 50,000 files cold
≤ 3 min, warm ≤ 15 s, one changed file ≤ 2 s, peak ≤ 1.5 GB; cost growing linearly. Peak memory
is the whole process tree's (the scan and its parser workers together), sampled while it runs, in
a second run of each scan with a cache of its own, so that the sampling does not slow the timed
runs. CPU seconds (user + system over the whole tree) are printed beside the wall times: they vary
less than wall time when the machine is shared.
Not a timed test: the machine's noise is in every figure, so read the ratios.
Where Checkov is installed (on PATH, or CHECKOV=...), it is timed on the same corpus.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

MODULE = """\
variable "name" {{}}
variable "encrypted" {{
  default = true
}}

resource "aws_s3_bucket" "this" {{
  bucket = var.name
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {{
  count  = var.encrypted ? 1 : 0
  bucket = aws_s3_bucket.this.id
  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm = "aws:kms"
    }}
  }}
}}

resource "aws_security_group" "this" {{
  name = "${{var.name}}-sg"
  ingress {{
    from_port   = {port}
    to_port     = {port}
    protocol    = "tcp"
    cidr_blocks = ["{cidr}"]
  }}
}}

output "bucket_id" {{
  value = aws_s3_bucket.this.id
}}
"""

ROOT_VARIABLES = """\
variable "retention" {{
  type    = number
  default = 7
}}

"""

TFVARS = """\
retention = {days}
"""

ROOT = """\
module "store_{i}" {{
  source    = "../../modules/m{m:03d}"
  name      = "acme-{i}"
  encrypted = {flag}
}}

resource "aws_db_instance" "db_{i}" {{
  identifier              = "db-{i}"
  storage_encrypted       = {flag}
  backup_retention_period = {retention}
  multi_az                = {flag}
  deletion_protection     = true
}}
"""

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: team-{ns}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: app-{i}}}
  template:
    metadata:
      labels: {{app: app-{i}}}
    spec:
      containers:
        - name: app
          image: registry.example.com/app:{tag}
          securityContext:
            privileged: {privileged}
            allowPrivilegeEscalation: false
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
---
apiVersion: v1
kind: Service
metadata:
  name: app-{i}
  namespace: team-{ns}
spec:
  type: {svc}
  selector: {{app: app-{i}}}
  ports:
    - port: 80
"""

WORKFLOW = """\
name: ci-{i}
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@{ref}
      - run: make test
      - run: echo "${{{{ github.event.pull_request.title }}}}"
"""


KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
{resources}
"""

OVERLAY = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: team-{ns}-prod
resources:
  - ../../team-{ns}
patches:
  - path: replicas.yaml
"""

OVERLAY_PATCH = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: team-{ns}
spec:
  replicas: 3
"""

GITLAB_ROOT = """\
stages: [test, deploy]
include:
{includes}
"""

GITLAB_TEAM = """\
test-{i}:
  stage: test
  image: python:3.12@sha256:{digest}
  script:
    - make test
deploy-{i}:
  stage: deploy
  image: alpine:3.20
  script:
    - ./deploy.sh
  rules:
    - if: $CI_COMMIT_BRANCH == "main"
  environment: production
"""


CHART_TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: "nginx:{{ .Values.tag }}"
          securityContext:
            privileged: {{ .Values.privileged }}
"""


def generate(
    root: Path, files: int, seed: int = 11, mix: tuple[float, float] = (0.6, 0.3), charts: int = 0
) -> None:
    """Terraform, Kubernetes and workflows (by default 60/30/10%); deterministic for a seed.
    charts: that many of the Kubernetes files are Helm charts' (three files a chart). The simple
    mix (--simple; the golden-output test's corpus): no tfvars, Kustomize or GitLab."""
    rnd = random.Random(seed)
    (root / ".git").mkdir(parents=True)
    n_tf, n_k8s = int(files * mix[0]), int(files * mix[1])
    for c in range(charts // 3):
        chart = root / "charts" / f"app{c}"
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: app{c}\nversion: 0.1.0\n")
        (chart / "values.yaml").write_text(
            f"replicas: {rnd.choice([1, 3])}\ntag: {rnd.choice(['1.27', 'latest'])}\n"
            f"privileged: {rnd.choice(['true', 'false'])}\n"
        )
        (chart / "templates" / "deployment.yaml").write_text(CHART_TEMPLATE)
    n_wf = files - n_tf - n_k8s
    n_k8s -= charts // 3 * 3  # the charts' files are Kubernetes files too
    modules = _modules(root, rnd, n_tf)
    for i in range(n_tf - modules):
        env = root / "envs" / f"stack{i // 10:04d}"
        env.mkdir(parents=True, exist_ok=True)
        (env / f"main{i}.tf").write_text(
            ROOT.format(
                i=i,
                m=rnd.randrange(modules),
                flag=rnd.choice(["true", "false"]),
                retention=rnd.randint(0, 35),
            )
        )
    for i in range(n_k8s):
        ns = i // 25
        k8s = root / "k8s" / f"team-{ns}"
        k8s.mkdir(parents=True, exist_ok=True)
        (k8s / f"app{i}.yaml").write_text(_manifest(rnd, i, ns))
    _workflows(root, rnd, n_wf)


def generate_realistic(root: Path, files: int, seed: int = 11) -> None:
    """generate()'s mix, as a monorepo has it: Terraform stacks with a terraform.tfvars each,
    every fifth Kubernetes team a Kustomize base with a production overlay, and a tenth of the
    CI files a GitLab pipeline that includes one file a team."""
    rnd = random.Random(seed)
    (root / ".git").mkdir(parents=True)
    n_tf, n_k8s = int(files * 0.6), int(files * 0.3)
    n_wf = files - n_tf - n_k8s
    # a GitLab pipeline (its root and one included file a team) takes a tenth of the CI files
    n_gitlab = n_wf // 10
    n_wf -= n_gitlab
    modules = _modules(root, rnd, n_tf)
    # stacks of ten roots; a full stack is nine .tf files and its terraform.tfvars
    roots, i, stack = n_tf - modules, 0, 0
    while i < roots:
        env = root / "envs" / f"stack{stack:04d}"
        env.mkdir(parents=True)
        take = min(10, roots - i)
        with_vars = take == 10
        for j in range(take - 1 if with_vars else take):
            retention = "var.retention" if with_vars else rnd.randint(0, 35)
            text = ROOT.format(
                i=i + j,
                m=rnd.randrange(modules),
                flag=rnd.choice(["true", "false"]),
                retention=retention,
            )
            (env / f"main{i + j}.tf").write_text(
                (ROOT_VARIABLES.format() if with_vars and not j else "") + text
            )
        if with_vars:
            (env / "terraform.tfvars").write_text(TFVARS.format(days=rnd.randint(0, 35)))
        i += take
        stack += 1
    # every fifth team is a Kustomize base with a production overlay (three of its files)
    teams: dict[int, list[int]] = {}
    for i in range(n_k8s):
        teams.setdefault(i // 25, []).append(i)
    kustomized = [ns for ns in teams if ns % 5 == 0 and len(teams[ns]) > 3]
    extra = 0
    for ns in kustomized:
        members = teams[ns][: len(teams[ns]) - 3]  # three files go to the kustomizations
        extra += 3
        teams[ns] = members
    for ns, members in teams.items():
        k8s = root / "k8s" / f"team-{ns}"
        k8s.mkdir(parents=True, exist_ok=True)
        for i in members:
            (k8s / f"app{i}.yaml").write_text(_manifest(rnd, i, ns))
        if ns in kustomized:
            listed = "\n".join(f"  - app{i}.yaml" for i in members)
            (k8s / "kustomization.yaml").write_text(KUSTOMIZATION.format(resources=listed))
            overlay = root / "k8s" / "overlays" / f"team-{ns}"
            overlay.mkdir(parents=True)
            (overlay / "kustomization.yaml").write_text(OVERLAY.format(ns=ns))
            (overlay / "replicas.yaml").write_text(OVERLAY_PATCH.format(i=members[0], ns=ns))
    _workflows(root, rnd, n_wf)
    if n_gitlab:
        ci = root / "ci"
        ci.mkdir()
        for i in range(n_gitlab - 1):
            digest = f"{rnd.getrandbits(256):064x}"
            (ci / f"team{i}.yml").write_text(GITLAB_TEAM.format(i=i, digest=digest))
        includes = "\n".join(f"  - local: ci/team{i}.yml" for i in range(n_gitlab - 1))
        (root / ".gitlab-ci.yml").write_text(GITLAB_ROOT.format(includes=includes or "  []"))


def _modules(root: Path, rnd: random.Random, n_tf: int) -> int:
    """A module for every twenty Terraform files; how many."""
    modules = max(1, n_tf // 20) if n_tf else 0
    for m in range(modules):
        mdir = root / "modules" / f"m{m:03d}"
        mdir.mkdir(parents=True)
        (mdir / "main.tf").write_text(
            MODULE.format(port=rnd.choice([22, 443]), cidr=rnd.choice(["0.0.0.0/0", "10.0.0.0/8"]))
        )
    return modules


def _manifest(rnd: random.Random, i: int, ns: int) -> str:
    return MANIFEST.format(
        i=i,
        ns=ns,
        replicas=rnd.choice([1, 3]),
        tag=rnd.choice(["1.2.3", "latest"]),
        privileged=rnd.choice(["true", "false"]),
        svc=rnd.choice(["ClusterIP", "LoadBalancer"]),
    )


def _workflows(root: Path, rnd: random.Random, n_wf: int) -> None:
    wf = root / ".github" / "workflows"
    wf.mkdir(parents=True, exist_ok=True)
    for i in range(n_wf):
        ref = rnd.choice(["v4", "11bd71901bbe5b1630ceea73d27597364c9af683"])
        (wf / f"ci{i}.yml").write_text(WORKFLOW.format(i=i, ref=ref))


def some_file(root: Path) -> Path:
    """A Terraform root file to change for the one-file (pre-commit) run."""
    return min((root / "envs").rglob("main*.tf"), default=None) or next(root.rglob("*.yml"))


class Run(NamedTuple):
    seconds: float  # wall
    cpu: float  # user + system, of the command and every process it waited for (its workers)
    peak: float  # MB, 0.0 where the run was not sampled


def timed(command: list[str], cwd: Path, *, sample: bool = False) -> Run:
    """Run a command through the CLI, as installed. Without `sample`, nothing watches it while
    it runs: its wall and CPU seconds come from the clock and the kernel's account of the tree
    (wait4). With `sample`, its peak memory is the largest sum of proportional resident memory
    (PSS: pages a forked worker shares with its parent counted once) over the command and all
    its processes, read from /proc every 20 ms; where there is no /proc, the largest single
    process's peak instead. Timing and sampling are separate runs because reading smaps_rollup
    costs the kernel about 20 ms per GB mapped: on 2 cores, sampling a 1.5 GB scan every 20 ms
    takes most of a core from the scan it measures."""
    # as installed: pip writes the bytecode of what it installs, so start-up does not compile
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryFile("w+") as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=stderr, text=True
        )
        peak, cpu = 0, 0.0
        if sample:
            while proc.poll() is None:
                peak = max(peak, _tree_rss(proc.pid))
                time.sleep(0.02)
            code = proc.returncode
        else:
            _pid, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = code = os.waitstatus_to_exitcode(status)
            cpu = usage.ru_utime + usage.ru_stime
        seconds = time.perf_counter() - start
        if code not in (0, 1):
            stderr.seek(0)
            raise SystemExit(f"{' '.join(command)} failed: {stderr.read()[-500:]}")
    if sample and not Path("/proc/self/smaps_rollup").exists():
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    # a sampled run is slowed by its sampling: only its peak is reported
    return Run(seconds, cpu, peak / 2**20)


def _tree_rss(pid: int) -> int:
    """Proportional resident bytes of pid and its descendants (0 for those gone meanwhile)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            # proportional set size: pages a forked worker shares with its parent count once
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
            total += next(
                int(line.split()[1]) * 1024
                for line in rollup.splitlines()
                if line.startswith("Pss:")
            )
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 5000])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--simple",
        action="store_true",
        help="the earlier mix, without tfvars, Kustomize overlays or GitLab pipelines",
    )
    parser.add_argument(
        "--kubernetes-only",
        action="store_true",
        help="only manifests (two objects per file): the Kubernetes benchmark",
    )
    parser.add_argument(
        "--chart-share",
        type=float,
        default=0.06,
        help="with --kubernetes-only: the share of files that are Helm charts' (rendered "
        "with helm when it is on PATH, .ci/install-helm)",
    )
    args = parser.parse_args()
    # exit status 1 is a scan with findings, and also Python's for a missing module: check first
    probe = [sys.executable, "-c", "import soc2lint"]
    if subprocess.run(probe, cwd=tempfile.gettempdir(), check=False).returncode:
        raise SystemExit(f"soc2lint is not installed for {sys.executable}")
    mix = (0.0, 1.0) if args.kubernetes_only else (0.6, 0.3)
    checkov = os.environ.get("CHECKOV") or shutil.which("checkov")
    soc2lint = [
        sys.executable,
        "-m",
        "soc2lint",
        "scan",
        ".",
        "--format",
        "json",
        "--jobs",
        str(args.jobs),
    ]
    header = (
        f"{'files':>6} {'cold s':>8} {'warm s':>7} {'changed s':>9} {'files/s':>8} {'peak MB':>8}"
        f" {'cpu s: cold':>11} {'warm':>6} {'changed':>7}"
    )
    print(header + (f" {'checkov s':>10} {'ratio':>6}" if checkov else ""))
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="soc2lint-bench-") as tmp:
            root = Path(tmp) / "repo"
            if args.kubernetes_only or args.simple:
                charts = int(size * args.chart_share) if args.kubernetes_only else 0
                generate(root, size, mix=mix, charts=charts)
            else:
                generate_realistic(root, size)
            # two caches: one for the timed runs, one for the sampled runs (the peak)
            timing = [*soc2lint, "--cache-dir", str(Path(tmp) / "cache")]
            sampled = [*soc2lint, "--cache-dir", str(Path(tmp) / "cache-sampled")]
            cold, peak_cold = timed(timing, root), timed(sampled, root, sample=True)
            warm, peak_warm = timed(timing, root), timed(sampled, root, sample=True)
            # the file differs from what both caches last saw, so both runs do the same work
            victim = some_file(root)
            victim.write_text(victim.read_text() + "\n# changed\n")
            changed = timed([*timing, "--only-changed", str(victim)], root)
            victim.write_text(victim.read_text() + "\n# changed again\n")
            peak_changed = timed([*sampled, "--only-changed", str(victim)], root, sample=True)
            peak = max(peak_cold.peak, peak_warm.peak, peak_changed.peak)
            line = (
                f"{size:>6} {cold.seconds:>8.1f} {warm.seconds:>7.1f} {changed.seconds:>9.1f} "
                f"{size / cold.seconds:>8.0f} {peak:>8.0f}"
                f" {cold.cpu:>11.1f} {warm.cpu:>6.1f} {changed.cpu:>7.1f}"
            )
            if checkov:
                checkov_run = timed(
                    [checkov, "-d", ".", "--quiet", "--compact", "-o", "json"], root
                )
                line += f" {checkov_run.seconds:>10.1f} {checkov_run.seconds / cold.seconds:>5.1f}x"
            print(line, flush=True)


if __name__ == "__main__":
    main()
