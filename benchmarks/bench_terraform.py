"""Benchmark: scan a generated Terraform corpus and print files/s and peak memory.

Not a timed test: run it by hand (or in a nightly job) and read the table.
    python benchmarks/bench_terraform.py --files 500 [--files 1000 ...]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

TEMPLATES = [
    """resource "aws_s3_bucket" "b{i}" {{
  bucket = "${{var.prefix}}-{i}"
  tags = {{
    Name = local.name
    Team = "team-{m}"
  }}
}}

resource "aws_s3_bucket_versioning" "b{i}" {{
  bucket = aws_s3_bucket.b{i}.id
  versioning_configuration {{
    status = "{status}"
  }}
}}
""",
    """resource "aws_security_group" "sg{i}" {{
  name = "sg-{i}"
  ingress {{
    from_port   = {port}
    to_port     = {port}
    protocol    = "tcp"
    cidr_blocks = ["{cidr}"]
  }}
}}
""",
    """resource "aws_db_instance" "db{i}" {{
  identifier              = "db-{i}"
  storage_encrypted       = {flag}
  backup_retention_period = {days}
  multi_az                = {flag}
  deletion_protection     = var.protect
  publicly_accessible     = false
}}
""",
    """resource "aws_iam_policy" "p{i}" {{
  name   = "p{i}"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect   = "Allow"
      Action   = ["s3:GetObject"]
      Resource = "*"
    }}]
  }})
}}
""",
]


def generate(root: Path, files: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    per_module = 10
    for n in range(files):
        module = root / f"stack{n // per_module:04d}"
        module.mkdir(parents=True, exist_ok=True)
        if n % per_module == 0:
            (module / "variables.tf").write_text(
                'variable "prefix" {\n  default = "acme"\n}\nvariable "protect" {}\n'
                'locals {\n  name = "${var.prefix}-stack"\n}\n'
            )
            continue
        body = "\n".join(
            rnd.choice(TEMPLATES).format(
                i=f"{n}_{k}",
                m=rnd.randint(1, 9),
                status=rnd.choice(["Enabled", "Suspended"]),
                port=rnd.choice([22, 443, 3389]),
                cidr=rnd.choice(["0.0.0.0/0", "10.0.0.0/8"]),
                flag=rnd.choice(["true", "false"]),
                days=rnd.randint(0, 35),
            )
            for k in range(3)
        )
        (module / f"main{n}.tf").write_text(body)


def generate_modules(root: Path, modules: int, instances: int, seed: int = 7) -> None:
    """`modules` local modules, each called `instances` times from one root module."""
    rnd = random.Random(seed)
    calls = []
    for m in range(modules):
        mdir = root / "modules" / f"m{m:03d}"
        mdir.mkdir(parents=True)
        body = "\n".join(
            rnd.choice(TEMPLATES).format(
                i=f"{m}_{k}",
                m=rnd.randint(1, 9),
                status=rnd.choice(["Enabled", "Suspended"]),
                port=rnd.choice([22, 443]),
                cidr=rnd.choice(["0.0.0.0/0", "10.0.0.0/8"]),
                flag="var.flag",
                days=rnd.randint(0, 35),
            )
            for k in range(4)
        )
        (mdir / "main.tf").write_text(
            'variable "prefix" {}\nvariable "flag" {\n  default = true\n}\n'
            'variable "protect" {\n  default = true\n}\n'
            "locals {\n  name = var.prefix\n}\n" + body
        )
        for n in range(instances):
            calls.append(
                f'module "m{m}_{n}" {{\n  source = "./modules/m{m:03d}"\n'
                f'  prefix = "p{n}"\n  flag   = {"true" if n % 2 else "false"}\n}}\n'
            )
    (root / "main.tf").write_text("\n".join(calls))


def run_once(target: Path) -> dict:
    """Scan in a child process so peak memory is that scan's alone."""
    code = (
        "import json,resource,sys,time\n"
        "from soc2lint.engine.rules import load_rules\n"
        "from soc2lint.scan import scan\n"
        "t=time.perf_counter(); r=scan([sys.argv[1]], load_rules()); dt=time.perf_counter()-t\n"
        "print(json.dumps({'seconds':dt,'files':len(r.files),'resources':r.resources,"
        "'findings':len(r.findings),'errors':len(r.errors),"
        "'peak_mb':resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(target)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, action="append", help="corpus size (repeatable)")
    parser.add_argument(
        "--modules",
        type=int,
        default=0,
        help="instead: this many local modules, each called --instances times",
    )
    parser.add_argument("--instances", type=int, default=20)
    args = parser.parse_args()
    if args.modules:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / ".git").mkdir()
            generate_modules(root, args.modules, args.instances)
            r = run_once(root)
            print(
                f"{'modules':>7} {'calls':>6} {'files':>6} {'resources':>9} {'results':>8} "
                f"{'seconds':>8} {'peak MB':>8}"
            )
            print(
                f"{args.modules:>7} {args.modules * args.instances:>6} {r['files']:>6} "
                f"{r['resources']:>9} {r['findings']:>8} {r['seconds']:>8.2f} "
                f"{r['peak_mb']:>8.1f}"
            )
            assert r["errors"] == 0, "the generated corpus should parse cleanly"
        return
    sizes = args.files or [500]
    print(
        f"{'files':>6} {'resources':>9} {'results':>8} {'seconds':>8} {'files/s':>8} {'peak MB':>8}"
    )
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / ".git").mkdir()
            generate(root, size)
            r = run_once(root)
            print(
                f"{r['files']:>6} {r['resources']:>9} {r['findings']:>8} {r['seconds']:>8.2f} "
                f"{r['files'] / r['seconds']:>8.1f} {r['peak_mb']:>8.1f}"
            )
            assert r["errors"] == 0, "the generated corpus should parse cleanly"


if __name__ == "__main__":
    main()
