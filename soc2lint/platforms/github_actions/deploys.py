"""Whether a job looks like a deployment, release or publication, and why."""

from __future__ import annotations

import re

from soc2lint.platforms.github_actions.addresses import uses_info
from soc2lint.platforms.shared.ci_common import as_map

DEPLOY_NAME = re.compile(r"(?i)deploy|release|publish")
# actions that deploy, publish a package or create a release
DEPLOY_ACTIONS = re.compile(
    r"""(?ix)^(
        pypa/gh-action-pypi-publish | aws-actions/amazon-ecs-deploy-task-definition
      | aws-actions/aws-cloudformation-github-deploy | aws-actions/aws-lambda-deploy
      | azure/(webapps-deploy|functions-action|k8s-deploy|arm-deploy|container-apps-deploy-action
               |static-web-apps-deploy|aks-set-context)
      | google-github-actions/deploy-[a-z-]+ | actions/deploy-pages | peaceiris/actions-gh-pages
      | cloudflare/(wrangler-action|pages-action) | amondnet/vercel-action
      | nwtgck/actions-netlify | js-devtools/npm-publish | softprops/action-gh-release
      | ncipollo/release-action | goreleaser/goreleaser-action | hashicorp/tfc-workflows-github
      | helm/chart-releaser-action | superfly/flyctl-actions
    )(/.*)?$"""
)
# commands that change a running system or publish what others install (`_` is a blank within
# the line; `ARGS` any options before the subcommand)
_DEPLOY_COMMANDS = r"""
    (terraform|tofu|terragrunt)_ARGS apply | kubectl_ARGS (apply|create|replace|patch|set_image)
  | kubectl_ARGS rollout_restart | helm_ARGS (upgrade|install) | helmfile_ARGS (apply|sync)
  | (npm|pnpm)_publish | yarn_(npm_)?publish | twine_upload | (poetry|cargo|flit|hatch|uv)_publish
  | gem_push | docker_push | gcloud_ARGS deploy | az_(webapp|functionapp)_ARGS deploy
  | (cdk|serverless|sls|flyctl|fly|vercel|netlify|firebase)_ARGS deploy | pulumi_up
  | gh_release_create | aws_ecs_update-service | aws_cloudformation_deploy | ansible-playbook
"""
DEPLOY_COMMAND = re.compile(
    r"(?im)\b("
    + "|".join(
        alternative.replace("_ARGS ", r"[ \t]+(\S+[ \t]+)*?").replace("_", r"[ \t]+")
        for alternative in re.split(r"\s+\|\s+", _DEPLOY_COMMANDS.strip())
    )
    + r")\b"
)
# a job that starts a throwaway cluster applies manifests to it to test them, not to deploy
LOCAL_CLUSTER = re.compile(
    r"(?i)^(helm/kind-action|medyagh/setup-minikube|absaoss/k3d-action|nolar/setup-k3d-k3s)$"
    r"|\b(kind[ \t]+create[ \t]+cluster|minikube[ \t]+start|k3d[ \t]+cluster[ \t]+create)\b"
)


def deploys(job_id: str, job: dict, steps: list, keys: list[str]) -> list[str]:
    """Why the job looks like a deployment, release or publication (none: it does not)."""
    out = []
    name = job.get("name")
    if DEPLOY_NAME.search(job_id):
        out.append(f"job id {job_id!r}")
    if isinstance(name, str) and DEPLOY_NAME.search(name):
        out.append(f"job name {name!r}")
    local_cluster = any(
        isinstance(step, dict)
        and bool(
            LOCAL_CLUSTER.search(uses_info(step.get("uses")).get("uses_name", ""))
            or LOCAL_CLUSTER.search(str(step.get("run") or ""))
        )
        for step in steps
    )
    for step, key in zip(steps, keys, strict=True):
        if not isinstance(step, dict):
            continue
        uses = uses_info(step.get("uses")).get("uses_name", "")
        with_ = as_map(step.get("with"))
        if uses and DEPLOY_ACTIONS.match(uses):
            out.append(f"steps[{key}] uses {uses}")
        elif uses == "docker/build-push-action" and str(with_.get("push")).lower() == "true":
            out.append(f"steps[{key}] pushes an image with {uses}")
        command = DEPLOY_COMMAND.search(str(step.get("run") or ""))
        if command and local_cluster and command.group(0).lower().startswith(("kubectl", "helm")):
            command = None
        if command:
            out.append(f"steps[{key}] runs `{' '.join(command.group(0).split())}`")
    return out
