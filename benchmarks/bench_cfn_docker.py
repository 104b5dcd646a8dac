"""Benchmark of the CloudFormation and Dockerfile platforms: a generated repository of N
templates (YAML with short-form tags, parameters, conditions, mappings, a bucket policy and
security group ingress as separate resources; one in five JSON) and N Dockerfiles (multi-stage,
continuations, heredocs), scanned cold and warm through the real CLI.

    python benchmarks/bench_cfn_docker.py                    # 1,000 templates + 1,000 Dockerfiles
    nice -n 10 python benchmarks/bench_cfn_docker.py --sizes 100 300 --jobs 1
    python benchmarks/bench_cfn_docker.py --compose          # and a Compose file per service

Throughput is files per second of the cold scan; peak memory is the whole process tree's
(proportional set size, see bench_scale.py). Where Checkov is installed (CHECKOV=...), it is
timed on the same corpus.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import timed  # noqa: E402

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env: {{Type: String, Default: {env}}}
  KeyArn: {{Type: String}}
Mappings:
  Retention:
    prod: {{Days: 400}}
    dev: {{Days: 30}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Data{i}:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "acme-${{Env}}-{i}"
      VersioningConfiguration:
        Status: !If [IsProd, Enabled, Suspended]
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault:
              SSEAlgorithm: aws:kms
              KMSMasterKeyID: !Ref KeyArn
      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
        BlockPublicPolicy: true
        IgnorePublicAcls: true
        RestrictPublicBuckets: {block}
  Policy{i}:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Data{i}
      PolicyDocument:
        Statement:
          - Effect: Deny
            Principal: "*"
            Action: "s3:*"
            Resource: !Sub "${{Data{i}.Arn}}/*"
            Condition: {{Bool: {{"aws:SecureTransport": false}}}}
  Logs{i}:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: !FindInMap [Retention, !Ref Env, Days]
  Group{i}:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: app {i}
  Ssh{i}:
    Type: AWS::EC2::SecurityGroupIngress
    Properties:
      GroupId: !GetAtt Group{i}.GroupId
      IpProtocol: tcp
      FromPort: 22
      ToPort: 22
      CidrIp: {cidr}
  Queue{i}:
    Type: AWS::SQS::Queue
    Properties:
      SqsManagedSseEnabled: true
"""

DOCKERFILE = """\
# syntax=docker/dockerfile:1
ARG PY=3.12-slim
FROM python:${{PY}} AS build
RUN apt-get update && \\
    apt-get install -y --no-install-recommends build-essential {extra}
COPY requirements.txt .
RUN <<EOF
pip wheel -w /wheels -r requirements.txt
EOF
FROM python:${{PY}}{digest}
COPY --from=build /wheels /wheels
RUN pip install /wheels/* && useradd --uid 10001 app
EXPOSE 8080
{health}USER {user}
CMD ["python", "-m", "app"]
"""


COMPOSE = """\
x-common: &common
  restart: unless-stopped
  security_opt: [{secopt}]
services:
  app:
    <<: *common
    build: .
    image: acme/svc{i}:${{TAG:-1.{i}.0}}
    environment:
      LOG_LEVEL: info
      DB_PASSWORD: {password}
    ports:
      - "{bind}8080:8080"
    volumes:
      - ./config:/etc/app:ro
{extra}  db:
    <<: *common
    image: postgres:{pg}
    ports:
      - "{dbbind}5432:5432"
    volumes:
      - data:/var/lib/postgresql/data
volumes:
  data: {{}}
"""

COMPOSE_EXTRA = [
    "",
    "  agent:\n    image: registry.example.com/agent:2.0.0\n    privileged: true\n"
    "    network_mode: host\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n",
    "  tools:\n    extends: app\n    cap_add: [NET_ADMIN]\n    pid: host\n",
]


def generate(root: Path, n: int, seed: int = 7, compose: bool = False) -> None:
    from soc2lint.platforms.cloudformation.template import load

    rnd = random.Random(seed)
    for i in range(n):
        d = root / "stacks" / f"s{i // 100}"
        d.mkdir(parents=True, exist_ok=True)
        text = TEMPLATE.format(
            i=i,
            env=rnd.choice(["prod", "dev"]),
            block=rnd.choice(["true", "false"]),
            cidr=rnd.choice(["10.0.0.0/8", "0.0.0.0/0"]),
        )
        if i % 5 == 0:  # a CDK-style JSON template
            found, _ = load("t.yaml", text)
            assert found is not None
            (d / f"Stack{i}.template.json").write_text(json.dumps(found.data, indent=1))
        else:
            (d / f"stack{i}.yaml").write_text(text)
        svc = root / "services" / f"svc{i}"
        svc.mkdir(parents=True, exist_ok=True)
        health = "HEALTHCHECK CMD wget -qO- http://127.0.0.1:8080/ || exit 1\n"
        (svc / "Dockerfile").write_text(
            DOCKERFILE.format(
                extra=rnd.choice(["", "sudo", "curl"]),
                digest=rnd.choice(["", "@sha256:" + "ab" * 32]),
                health=rnd.choice(["", health]),
                user=rnd.choice(["app", "root", "10001"]),
            )
        )
        if compose:
            (svc / "docker-compose.yml").write_text(
                COMPOSE.format(
                    i=i,
                    secopt=rnd.choice(["no-new-privileges:true", "seccomp:unconfined"]),
                    password=rnd.choice(["${DB_PASSWORD}", "hunter2"]),
                    bind=rnd.choice(["", "127.0.0.1:"]),
                    dbbind=rnd.choice(["", "127.0.0.1:", "${DB_BIND}:"]),
                    pg=rnd.choice(["16.3", "latest"]),
                    extra=rnd.choice(COMPOSE_EXTRA),
                )
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--compose", action="store_true", help="also a Compose file per service")
    args = parser.parse_args()
    checkov = os.environ.get("CHECKOV")
    soc2lint = [sys.executable, "-m", "soc2lint", "scan", ".", "--format", "json"]
    soc2lint += ["--jobs", str(args.jobs)]
    print(
        f"{'templates':>9} {'dockerfiles':>11} {'cold s':>7} {'warm s':>7} {'files/s':>8} "
        f"{'peak MB':>8}" + (f" {'checkov s':>10}" if checkov else "")
    )
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix="soc2lint-bench-cfn-") as tmp:
            root = Path(tmp) / "repo"
            generate(root, n, compose=args.compose)
            files = 3 if args.compose else 2  # files per n: template, Dockerfile, Compose file
            # timed runs unobserved; the peak from runs of their own (bench_scale.timed)
            timing = [*soc2lint, "--cache-dir", str(Path(tmp) / "cache")]
            sampled = [*soc2lint, "--cache-dir", str(Path(tmp) / "cache-sampled")]
            cold, peak_cold = timed(timing, root).seconds, timed(sampled, root, sample=True).peak
            warm, peak_warm = timed(timing, root).seconds, timed(sampled, root, sample=True).peak
            line = (
                f"{n:>9} {n:>11} {cold:>7.1f} {warm:>7.1f} {files * n / cold:>8.0f} "
                f"{max(peak_cold, peak_warm):>8.0f}"
            )
            if checkov:
                seconds = timed(
                    [
                        checkov,
                        "-d",
                        ".",
                        "--quiet",
                        "--compact",
                        "-o",
                        "json",
                        "--framework",
                        "cloudformation",
                        "dockerfile",
                    ],
                    root,
                ).seconds
                line += f" {seconds:>10.1f}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
