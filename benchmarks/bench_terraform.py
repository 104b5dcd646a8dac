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
    args = parser.parse_args()
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
