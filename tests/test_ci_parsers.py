"""CI parsers: GitHub Actions workflows and actions, GitLab CI pipelines, expressions, CI edges."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import soc2lint.scan as scan_module
from soc2lint.graph import ResourceGraph
from soc2lint.model import Location, Resource, Unknown
from soc2lint.pipeline.load import parse_source as parse_yaml_source
from soc2lint.platforms import github_actions, gitlab_ci
from soc2lint.platforms.shared.ci_expressions import (
    CONTEXT_ROOTS,
    analyse,
    contexts_in,
    falsy_ternary_values,
    find_expressions,
    parse_tree,
    possible_results,
)
from soc2lint.platforms.shared.yamlsrc import load_documents
from soc2lint.scan import scan

SHA = "11bd71901bbe5b1630ceea73d27597364c9af683"


def _parse(module, path: str, text: str) -> dict[str, Resource]:
    docs, errors = load_documents(path, textwrap.dedent(text))
    assert not errors
    resources, problems = module.parse(path, docs)
    assert not problems
    return {r.address: r for r in resources}


# -- expressions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "contexts", "flowing"),
    [
        ("github.event.issue.title", ["github.event.issue.title"], ["github.event.issue.title"]),
        ("GitHub.Event.Issue.Title", ["github.event.issue.title"], ["github.event.issue.title"]),
        # a boolean result: the title is read but its text cannot reach the script
        ("contains(github.event.issue.title, '[bug]')", ["github.event.issue.title"], []),
        ("github.head_ref == 'main'", ["github.head_ref"], []),
        ("!github.event.issue.body", ["github.event.issue.body"], []),
        (
            "format('{0}-{1}', github.head_ref, toJSON(github.event.commits[0].message))",
            ["github.event.commits.*.message", "github.head_ref"],
            ["github.event.commits.*.message", "github.head_ref"],
        ),
        (
            "github.event['pull_request']['title']",
            ["github.event.pull_request.title"],
            ["github.event.pull_request.title"],
        ),
        (
            "github.event.commits.*.author.name",
            ["github.event.commits.*.author.name"],
            ["github.event.commits.*.author.name"],
        ),
        (
            "steps.build-it.outputs.ok == 'true' && matrix.os || inputs.Name",
            ["inputs.name", "matrix.os", "steps.build-it.outputs.ok"],
            ["inputs.name", "matrix.os"],
        ),
        (
            "fromJSON(needs.setup.outputs.cfg).image",
            ["needs.setup.outputs.cfg"],
            ["needs.setup.outputs.cfg"],
        ),
        (
            "github.event.pages[matrix.i].page_name",
            ["github.event.pages.*.page_name", "matrix.i"],
            ["github.event.pages.*.page_name"],
        ),
        ("startsWith(format('{0}', github.head_ref), 'x')", ["github.head_ref"], []),
        ("'it''s' || null", [], []),
        ("true && 0x1F >= -1.5e3", [], []),
        ("unknown_thing.x", [], []),
        # odd input: unbalanced, unterminated, stray characters; the parser falls back
        ("github.event.issue.title ||", ["github.event.issue.title"], ["github.event.issue.title"]),
        ("((((", [], []),
        ("'unterminated", [], []),
        ("a ~ b", [], []),
        ("", [], []),
    ],
)
def test_expression_contexts(expression: str, contexts: list[str], flowing: list[str]) -> None:
    assert analyse(expression) == (tuple(contexts), tuple(flowing))


def test_expressions_found_in_text() -> None:
    text = "echo ${{ github.head_ref }} ${{ format('}}', github.actor) }} ${{ 'a' }} ${{ tail"
    found = find_expressions(text)
    assert [e.text for e in found] == [
        "github.head_ref",
        "format('}}', github.actor)",
        "'a'",
        "tail",
    ]
    assert text[found[0].start : found[0].end] == "${{ github.head_ref }}"
    assert contexts_in(text) == ["github.actor", "github.head_ref"]
    assert find_expressions(None) == [] and find_expressions(["${{ x }}"]) == []


def test_deeply_nested_expression_does_not_raise() -> None:
    assert analyse("(" * 5000 + "github.head_ref" + ")" * 5000)[0] == ("github.head_ref",)
    assert analyse("!" * 5000 + "github.event.issue.title")[0] == ("github.event.issue.title",)


_TOKENS = st.sampled_from(
    [
        "github",
        "event",
        ".",
        "[",
        "]",
        "(",
        ")",
        "'",
        "''",
        "*",
        ",",
        "==",
        "&&",
        "||",
        "!",
        "contains",
        "format",
        "toJSON",
        "inputs",
        "x",
        "0",
        "${{",
        "}}",
        " ",
        "-",
        "\n",
    ]
)


@given(st.one_of(st.text(), st.lists(_TOKENS, max_size=40).map("".join)))
def test_expression_parser_never_raises(text: str) -> None:
    contexts, flowing = analyse(text)
    assert set(flowing) <= set(contexts)
    assert all(c.split(".")[0] in CONTEXT_ROOTS for c in contexts)
    for expr in find_expressions(text):
        assert 0 <= expr.start < expr.end <= len(text)
    find_expressions("${{ " + text + " }}")
    tree = parse_tree(text)
    if tree is not None:
        falsy_ternary_values(tree)
        possible_results(tree)


@pytest.mark.parametrize(
    ("expression", "falsy"),
    [
        ("foo && '' || 'bar'", ["''"]),
        ("foo && ('') || 'bar'", ["('')"]),
        ("foo && 0 || 'bar'", ["0"]),
        ("foo && false || 'bar'", ["false"]),
        ("foo && null || 'bar'", ["null"]),
        ("foo && fromJSON('false') || 'bar'", ["fromJSON('false')"]),
        ("foo && format('{0}', '') || 'bar'", ["format('{0}', '')"]),
        ("foo || bar && '' || 'baz'", ["''"]),
        ("foo || (bar && '' || 'baz')", ["''"]),
        ("(foo && '' || 'bar') || baz", ["''"]),
        ("foo && '' || bar && 0 || 'baz'", ["''", "0"]),
        ("format('{0}', foo && '' || 'x')", ["''"]),
        ("foo || (true && '' || 'bar')", []),
        ("!foo && 'bar' || ''", []),
        ("foo && 'bar' || ''", []),
        ("foo && inputs.tag || 'latest'", []),
        ("foo || bar && ''", []),
        ("true && '' || 'bar'", []),
        ("foo && format('{0}', 'x') || 'bar'", []),
    ],
)
def test_pseudo_ternaries_with_a_falsy_value(expression: str, falsy: list[str]) -> None:
    tree = parse_tree(expression)
    assert tree is not None
    assert falsy_ternary_values(tree) == falsy


def test_possible_results_of_an_expression() -> None:
    def results(text: str) -> list | None:
        tree = parse_tree(text)
        assert tree is not None
        return possible_results(tree)

    assert results("github.ref == 'refs/heads/main' && 'production' || ''") == ["production", ""]
    assert results("github.ref == 'refs/heads/main' && 'prod' || 'staging'") == ["prod", "staging"]
    assert results("'production'") == ["production"]
    assert results("inputs.environment") is None
    assert results("inputs.go && 'production' || 'staging'") is None
    assert parse_tree("foo &&") is None


# -- GitHub Actions ------------------------------------------------------------------------------

WORKFLOW = f"""\
name: ci
on:
  pull_request:
  workflow_dispatch:
    inputs:
      note: {{type: string}}
permissions:
  contents: read
jobs:
  build:
    runs-on: [self-hosted, linux]
    timeout-minutes: 10
    steps:
      - name: Check out
        uses: actions/checkout@{SHA}
      - run: echo "${{{{ github.event.pull_request.title }}}}"
      - uses: actions/github-script@v7
        with:
          script: console.log(`${{{{ inputs.note }}}}`)
  test:
    needs: build
    runs-on: ${{{{ matrix.os }}}}
    strategy:
      matrix:
        os: [ubuntu-latest, windows-2022]
    permissions: {{}}
    steps:
      - uses: ./.github/actions/setup
      - uses: docker://alpine:3.20
  call:
    uses: ./.github/workflows/reusable.yml
    secrets: inherit
"""


def test_on_key_stays_on() -> None:
    docs, _ = load_documents(".github/workflows/ci.yml", "on: push\njobs: {}\n")
    assert docs[0].data == {"on": "push", "jobs": {}}
    assert github_actions.triggers_of("push") == ["push"]
    assert github_actions.triggers_of(["push", "pull_request"]) == ["pull_request", "push"]
    assert github_actions.triggers_of({"push": None, "schedule": [{"cron": "0 0 * * *"}]}) == [
        "push",
        "schedule",
    ]
    assert github_actions.triggers_of(None) == []


def test_workflow_job_and_step_addresses_and_lines() -> None:
    path = ".github/workflows/ci.yml"
    res = _parse(github_actions, path, WORKFLOW)
    assert sorted(res) == [
        path,
        f"{path}:jobs.build",
        f"{path}:jobs.build.steps[actions/checkout]",
        f"{path}:jobs.build.steps[actions/github-script]",
        f'{path}:jobs.build.steps[echo "${{{{ github.event.pull_request.title }}}}"]',
        f"{path}:jobs.call",
        f"{path}:jobs.test",
        f"{path}:jobs.test.steps[./.github/actions/setup]",
        f"{path}:jobs.test.steps[docker://alpine]",
    ]
    assert {r.type for r in res.values()} == {"github_workflow", "github_job", "github_step"}
    assert all(r.scope == "ci" and r.kind == "object" for r in res.values())
    workflow = res[path]
    assert workflow.attributes["triggers"] == ["pull_request", "workflow_dispatch"]
    assert workflow.location_of("write_scopes").start_line == 7  # permissions:
    build = res[f"{path}:jobs.build"]
    assert build.location.start_line == 10
    assert build.attributes["runs_on"] == ["self-hosted", "linux"]
    assert build.attributes["self_hosted"] is True
    assert build.attributes["effective_permissions"] == {"contents": "read"}
    assert build.location_of("effective_permissions").start_line == 7
    checkout = res[f"{path}:jobs.build.steps[actions/checkout]"]
    assert checkout.location.start_line == 14  # the step item
    assert checkout.location_of("uses_pinned").start_line == 15  # its uses: line
    assert checkout.attributes["uses_kind"] == "action" and checkout.attributes["uses_pinned"]
    assert checkout.attributes["job_id"] == "build"
    run = res[f'{path}:jobs.build.steps[echo "${{{{ github.event.pull_request.title }}}}"]']
    assert run.attributes["attacker_controlled"] == ["github.event.pull_request.title"]
    assert run.location_of("attacker_controlled").start_line == 16
    script = res[f"{path}:jobs.build.steps[actions/github-script]"]
    assert script.attributes["script_contexts"] == ["inputs.note"]
    assert script.attributes["attacker_controlled"] == ["inputs.note"]  # free-text dispatch input
    assert script.location_of("attacker_controlled").start_line == 19
    test = res[f"{path}:jobs.test"]
    assert test.attributes["needs"] == ["build"]
    assert test.attributes["runs_on"] == ["ubuntu-latest", "windows-2022"]  # the literal matrix
    assert test.attributes["self_hosted"] is False
    assert test.attributes["effective_permissions"] == {}
    assert (
        res[f"{path}:jobs.test.steps[./.github/actions/setup]"].attributes["uses_kind"] == "local"
    )
    docker = res[f"{path}:jobs.test.steps[docker://alpine]"].attributes
    # a docker:// step is judged as an image of its job (SOC2-GHA-014), not as an action
    assert docker["uses_kind"] == "docker" and "uses_pinned" not in docker
    docker_image = test.attributes["images"][-1]
    assert docker_image["image"] == "alpine:3.20" and docker_image["pinned"] is True  # a tag
    call = res[f"{path}:jobs.call"]
    assert call.attributes["uses_kind"] == "local" and call.attributes["secrets"] == "inherit"
    assert call.location_of("secrets").start_line == 32


def test_default_permissions_are_unknown() -> None:
    path = ".github/workflows/x.yml"
    res = _parse(github_actions, path, "on: push\njobs:\n  a:\n    runs-on: foo\n")
    job = res[f"{path}:jobs.a"].attributes
    assert isinstance(job["effective_permissions"], Unknown)
    assert isinstance(job["self_hosted"], Unknown)  # a custom label may be self-hosted


def test_composite_action_parsed() -> None:
    text = """\
    name: setup
    inputs:
      version: {description: tool version}
    runs:
      using: composite
      steps:
        - uses: actions/cache@v4
        - run: ./install.sh ${{ inputs.version }}
          shell: bash
    """
    parsed = parse_yaml_source("tools/setup/action.yml", textwrap.dedent(text))
    assert parsed.platform == "github_actions" and not parsed.errors
    res = {r.address: r for r in parsed.resources}
    action = res["tools/setup/action.yml"]
    assert action.type == "github_action" and action.attributes["runs_using"] == "composite"
    first = res["tools/setup/action.yml:runs.steps[actions/cache]"]
    assert first.type == "github_step" and first.location_of("uses").start_line == 7
    second = res["tools/setup/action.yml:runs.steps[./install.sh ${{ inputs.version }}]"].attributes
    # the action's caller chooses the input: unknown, not a failure
    assert isinstance(second["attacker_controlled"], Unknown)


# -- GitLab CI -----------------------------------------------------------------------------------

PIPELINE = """\
include:
  - local: /ci/build.yml
  - 'ci/test.yml'
  - remote: https://example.com/ci.yml
  - project: group/templates
    ref: v1.2.0
    file: [/a.yml, /b.yml]
  - template: Security/SAST.gitlab-ci.yml
image: ruby:3.3
variables:
  TAG: "3.20"
default:
  image: alpine:$TAG
.base:
  image: node:latest
  variables: {MODE: base}
.child:
  extends: .base
  stage: build
build:
  extends: .child
  script: [make]
test:
  needs: [build]
  script: [rake]
plain:
  inherit:
    default: false
  script: [echo]
"""


def test_gitlab_includes_recorded_not_fetched() -> None:
    res = _parse(gitlab_ci, ".gitlab-ci.yml", PIPELINE)
    pipeline = res[".gitlab-ci.yml"]
    assert pipeline.type == "gitlab_pipeline"
    assert pipeline.attributes["local_includes"] == ["ci/build.yml", "ci/test.yml"]
    kinds = [(i["type"], i["location"], i["ref"]) for i in pipeline.attributes["includes"]]
    assert kinds == [
        ("local", "ci/build.yml", None),
        ("local", "ci/test.yml", None),
        ("remote", "https://example.com/ci.yml", None),
        ("project", "group/templates", "v1.2.0"),
        ("template", "Security/SAST.gitlab-ci.yml", None),
    ]
    project = res[".gitlab-ci.yml:include[3]"]
    assert project.type == "gitlab_include"
    assert project.attributes["file"] == ["/a.yml", "/b.yml"]
    assert project.attributes["pinned"] is False
    assert project.location_of("pinned").start_line == 6  # its ref: line
    single = _parse(gitlab_ci, "x.yml", "include: ci/one.yml\njob:\n  script: [a]\n")
    assert single["x.yml"].attributes["local_includes"] == ["ci/one.yml"]
    assert single["x.yml:include[0]"].attributes["type"] == "local"


def test_gitlab_extends_and_default_inheritance() -> None:
    res = _parse(gitlab_ci, ".gitlab-ci.yml", PIPELINE)
    assert sorted(a for a, r in res.items() if r.type == "gitlab_job") == [
        ".gitlab-ci.yml:build",
        ".gitlab-ci.yml:plain",
        ".gitlab-ci.yml:test",
    ]  # hidden jobs (.base, .child) are templates, not jobs
    build = res[".gitlab-ci.yml:build"]
    assert build.attributes["image"] == "node:latest"  # through .child from .base
    assert build.attributes["stage"] == "build"
    assert build.attributes["variables"] == {"TAG": "3.20", "MODE": "base"}
    assert build.location_of("image_pinned").start_line == 15  # written in .base
    test = res[".gitlab-ci.yml:test"]
    assert test.attributes["image_name"] == "alpine:3.20"  # default:, variable expanded
    assert test.attributes["image_pinned"] is True
    assert test.location_of("image").start_line == 13
    assert test.attributes["needs"] == ["build"] and test.attributes["stage"] == "test"
    plain = res[".gitlab-ci.yml:plain"]
    assert plain.attributes["image"] == "ruby:3.3"  # default: not inherited, top level is
    assert plain.location_of("image").start_line == 9


def test_gitlab_unresolved_extends_and_component_header() -> None:
    text = "spec:\n  inputs: {}\n---\njob:\n  extends: .elsewhere\n  script: [x]\n"
    res = _parse(gitlab_ci, "templates/comp.yml", text)
    job = res["templates/comp.yml:job"].attributes
    assert job["extends_unresolved"] == [".elsewhere"]
    assert isinstance(job["image_pinned"], Unknown)


# -- graph edges through the real scan -----------------------------------------------------------


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))


def test_ci_edges_via_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    _write(
        tmp_path,
        {
            ".github/workflows/ci.yml": WORKFLOW,
            ".github/workflows/reusable.yml": "on: workflow_call\njobs: {}\n",
            ".github/actions/setup/action.yml": (
                "name: s\nruns:\n  using: composite\n  steps:\n    - run: echo\n      shell: bash\n"
            ),
            ".gitlab-ci.yml": PIPELINE,
        },
    )
    graphs: list[ResourceGraph] = []

    class Recording(ResourceGraph):
        def __init__(self) -> None:
            super().__init__()
            graphs.append(self)

    monkeypatch.setattr(scan_module, "ResourceGraph", Recording)
    report = scan([str(tmp_path)], [])
    assert not report.errors
    graph = graphs[0]
    wf = "ci::.github/workflows/ci.yml"

    def out(key: str, kind: str) -> list[str]:
        return [r.address for r in graph.neighbours(key, direction="out", kind=kind)]

    assert out(wf, "contains") == [
        ".github/workflows/ci.yml:jobs.build",
        ".github/workflows/ci.yml:jobs.call",
        ".github/workflows/ci.yml:jobs.test",
    ]
    assert out(f"{wf}:jobs.build", "contains") == [
        f".github/workflows/ci.yml:jobs.build.steps[{key}]"
        for key in (
            "actions/checkout",
            "actions/github-script",
            'echo "${{ github.event.pull_request.title }}"',
        )
    ]
    assert out(f"{wf}:jobs.test", "needs") == [".github/workflows/ci.yml:jobs.build"]
    assert out(f"{wf}:jobs.test.steps[./.github/actions/setup]", "uses") == [
        ".github/actions/setup/action.yml"
    ]
    assert out(f"{wf}:jobs.call", "uses") == [".github/workflows/reusable.yml"]
    assert out("ci::.github/actions/setup/action.yml", "contains") == [
        ".github/actions/setup/action.yml:runs.steps[echo]"
    ]
    assert out("ci::.gitlab-ci.yml", "contains") == [
        ".gitlab-ci.yml:build",
        ".gitlab-ci.yml:plain",
        ".gitlab-ci.yml:test",
    ]
    assert out("ci::.gitlab-ci.yml:test", "needs") == [".gitlab-ci.yml:build"]
    assert out("ci::.gitlab-ci.yml", "includes") == [
        f".gitlab-ci.yml:include[{n}]" for n in range(5)
    ]


# -- odd shapes never crash the parsers ----------------------------------------------------------

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(["", "x", "write", "write-all", "inherit", "self-hosted", "${{ matrix.os }}"]),
    st.sampled_from([".base", "./local", "docker://a", "a/b@v1", "$VAR", "actions/checkout@v4"]),
)
_KEYS = st.sampled_from(
    [
        "on",
        "jobs",
        "steps",
        "runs-on",
        "uses",
        "run",
        "with",
        "env",
        "permissions",
        "needs",
        "strategy",
        "matrix",
        "container",
        "services",
        "secrets",
        "include",
        "extends",
        "image",
        "variables",
        "default",
        "rules",
        "only",
        "script",
        "runs",
        "inputs",
        "local",
        "project",
        "ref",
        "build",
        ".hidden",
        "allow_failure",
        "environment",
        "workflow_dispatch",
    ]
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=5)),
    max_leaves=30,
)


@given(st.dictionaries(_KEYS, _VALUES, max_size=8))
def test_parsers_accept_any_shape(data: dict) -> None:
    from soc2lint.platforms.shared.yamlsrc import YamlDoc

    doc = YamlDoc(data)
    for module, path in (
        (github_actions, ".github/workflows/ci.yml"),
        (github_actions, "a/action.yml"),
        (gitlab_ci, ".gitlab-ci.yml"),
    ):
        resources, _errors = module.parse(path, [doc])
        assert all(r.address.startswith(path) for r in resources)


def test_local_include_links_to_the_included_pipeline_and_its_jobs() -> None:
    from soc2lint.platforms.shared import ci_linker

    main = _parse(gitlab_ci, ".gitlab-ci.yml", "include: ci/build.yml\ntest:\n  needs: [build]\n")
    included = _parse(gitlab_ci, "ci/build.yml", "build:\n  script: [make]\n")
    resources = [*main.values(), *included.values()]
    graph = ResourceGraph()
    for res in resources:
        graph.add_resource(res)
    ci_linker.link(graph, resources)
    include = "ci::.gitlab-ci.yml:include[0]"
    assert [r.address for r in graph.neighbours(include, direction="out")] == ["ci/build.yml"]
    needs = graph.neighbours("ci::.gitlab-ci.yml:test", direction="out", kind="needs")
    assert [r.address for r in needs] == ["ci/build.yml:build"]


# -- step addresses ------------------------------------------------------------------------------

STEPS = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: setup
        uses: actions/setup-node@v4
      - name: Install
        run: npm ci
      - run: |
          set -eu
          npm test
      - uses: actions/checkout@v4
        with: {path: other}
"""


def test_step_addresses_are_stable_keys_not_indexes() -> None:
    path = ".github/workflows/ci.yml"
    job = f"{path}:jobs.build"
    before = _parse(github_actions, path, STEPS)
    steps = sorted(a for a, r in before.items() if r.type == "github_step")
    assert steps == [
        f"{job}.steps[Install]",
        f"{job}.steps[actions/checkout#2]",  # a repeated key gets an ordinal
        f"{job}.steps[actions/checkout]",
        f"{job}.steps[npm test]",  # the first command, past `set -eu`
        f"{job}.steps[setup]",  # the id wins over the action
    ]
    # a step inserted above, and a version bump, leave every other address alone
    inserted = STEPS.replace("    steps:\n", "    steps:\n      - run: echo first\n").replace(
        "setup-node@v4", "setup-node@v5"
    )
    after = _parse(github_actions, path, inserted)
    assert set(steps) <= set(after)
    assert after[f"{job}.steps[setup]"].attributes["step_index"] == 2


def test_baseline_key_survives_an_inserted_step(tmp_path: Path) -> None:
    from soc2lint.engine.rules import load_rules
    from soc2lint.policies.baseline import key

    (tmp_path / ".git").mkdir()
    rules = [r for r in load_rules() if r.id == "SOC2-GHA-001"]
    _write(tmp_path, {".github/workflows/ci.yml": STEPS})
    first = {key(f) for f in scan([str(tmp_path)], rules).failing()}
    _write(
        tmp_path,
        {
            ".github/workflows/ci.yml": STEPS.replace(
                "    steps:\n", "    steps:\n      - uses: actions/cache@v4\n"
            )
        },
    )
    second = {key(f) for f in scan([str(tmp_path)], rules).failing()}
    assert first and first < second and len(second - first) == 1


# -- GitHub Actions detections -------------------------------------------------------------------


def test_job_write_all_and_deploy_detection() -> None:
    path = ".github/workflows/ci.yml"
    text = """\
    on: push
    jobs:
      a:
        permissions: write-all
        steps:
          - run: |
              terraform init
              terraform -chdir=infra apply -auto-approve
      b:
        permissions: {contents: write}
        steps:
          - uses: docker/build-push-action@v6
            with: {push: true}
          - uses: google-github-actions/deploy-cloudrun@v2
      c:
        steps:
          - run: terraform plan && helm template ./chart
    """
    res = _parse(github_actions, path, text)
    a, b, c = (res[f"{path}:jobs.{j}"].attributes for j in "abc")
    assert a["write_all"] is True and b["write_all"] is False and "write_all" not in c
    assert a["deploys"] == ["steps[terraform init] runs `terraform -chdir=infra apply`"]
    assert b["deploys"] == [
        "steps[docker/build-push-action] pushes an image with docker/build-push-action",
        "steps[google-github-actions/deploy-cloudrun] uses google-github-actions/deploy-cloudrun",
    ]
    assert c["deploys"] == []


@pytest.mark.parametrize(
    ("context", "attacker"),
    [
        ("github.event.discussion.title", True),
        ("github.event.commits[0].committer.name", True),
        ("github.event.head_commit.committer.email", True),
        ("github.event.pull_request.head.label", True),
        ("github.event.pull_request.head.repo.description", True),
        ("github.event.workflow_run.head_branch", True),
        ("github.event.workflow_run.head_commit.message", True),
        ("github.event.pages[0].page_name", True),
        ("github.event.pull_request.head.sha", False),
        ("github.event.pull_request.number", False),
        ("github.actor", False),
    ],
)
def test_attacker_controlled_contexts(context: str, attacker: bool) -> None:
    from soc2lint.platforms.shared.ci_expressions import attacker_controlled

    flowing = list(analyse(context)[1])
    assert bool(attacker_controlled(flowing, {}, {})) is attacker


# -- credentials ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "flagged"),
    [
        ("API_TOKEN", "3f9a2c7d1e8b4a6f", True),
        ("token_format", "access_token", False),
        ("access_token_lifetime", "300s", False),
        ("id_token_audience", "https://iam.example.com", False),
        ("secret-ids", "prod/db", False),
        ("SECRET_DETECTION_EXCLUDED_PATHS", "tests/", False),
        ("DB_PASSWORD", "/run/secrets/db", False),
        ("DB_PASSWORD", "$DB_PASSWORD", False),
        ("DB_PASSWORD", "${{ secrets.DB }}", False),
        ("PASSWORD_RETRIES", "3", False),
        ("HELPER", "glpat-aaaaaaaaaaaaaaaaaaaa", True),
        ("HELPER", "xoxb-0000000000-abcdefabcdef", True),
        ("HELPER", "-----BEGIN OPENSSH PRIVATE KEY-----", True),
        ("HELPER", "sk_live_0000000000000000", True),
        ("REMOTE", "https://bot:hunter2x@git.example.com/a.git", True),
        ("REMOTE", "https://git.example.com/a.git", False),
        ("DATABASE_URL", "postgres://postgres:postgres@localhost/test", False),
        ("POSTGRES_PASSWORD", "postgres", True),  # outside a service container
    ],
)
def test_secret_literals(name: str, value: str, flagged: bool) -> None:
    from soc2lint.platforms.shared.ci_common import secret_literals

    literal = lambda v: "${{" not in str(v)  # noqa: E731
    assert bool(secret_literals({name: value}, "env", literal)) is flagged


def test_service_placeholder_passwords_pass_only_in_services() -> None:
    from soc2lint.platforms.shared.ci_common import secret_literals

    env = {"POSTGRES_PASSWORD": "postgres", "MYSQL_ROOT_PASSWORD": "Xk9pQ2vLm7"}
    assert secret_literals(env, "env", lambda v: True, True) == ["env.MYSQL_ROOT_PASSWORD"]


# -- GitLab: includes, extends and !reference across files ---------------------------------------

TEMPLATES = """\
.base:
  image: registry.example.com/deployer:2.3.1
  allow_failure: true
.deploy:
  extends: .base
  stage: deploy
  environment: production
  before_script:
    - curl -sSL https://example.com/x.sh | sh
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
.vars:
  variables:
    REGION: eu-west-1
"""


def test_gitlab_extends_resolved_over_included_files(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    _write(
        tmp_path,
        {
            ".gitlab-ci.yml": """\
            include:
              - local: ci/templates.yml
              - local: ci/jobs/*.yml
            deploy:
              extends: [.vars, .deploy]
              script: [./deploy.sh]
            """,
            "ci/templates.yml": TEMPLATES,
            "ci/jobs/tests.yml": """\
            unit-test:
              extends: .base
              script:
                - !reference [.deploy, before_script]
                - pytest
            """,
        },
    )
    report = scan([str(tmp_path)], [])
    assert not report.errors
    # the scan reads the included files (the wildcard expanded) ...
    assert sorted(report.files) == [".gitlab-ci.yml", "ci/jobs/tests.yml", "ci/templates.yml"]
    # ... and parses them as one pipeline, included files first
    order = ("ci/templates.yml", "ci/jobs/tests.yml", ".gitlab-ci.yml")
    files = [(p, load_documents(p, (tmp_path / p).read_text())[0]) for p in order]
    resources, problems = gitlab_ci.parse_pipeline(files)
    assert not problems
    graphs = {r.address: r for r in resources}
    deploy = graphs[".gitlab-ci.yml:deploy"]
    attrs = deploy.attributes
    assert attrs["extends_unresolved"] == []
    assert attrs["environment"] == "production" and attrs["stage"] == "deploy"
    assert attrs["image_pinned"] is True and attrs["failure_allowed"] is True
    assert attrs["variables"] == {"REGION": "eu-west-1"}
    assert attrs["protected_refs_only"] is True
    # located where each key is written, in the included file
    assert deploy.location.path == ".gitlab-ci.yml"
    assert deploy.location_of("environment") == Location("ci/templates.yml", 7, 7)
    assert deploy.location_of("failure_allowed") == Location("ci/templates.yml", 3, 3)
    assert deploy.location_of("image_pinned") == Location("ci/templates.yml", 2, 2)
    unit = graphs["ci/jobs/tests.yml:unit-test"]
    assert unit.attributes["script"] == ["curl -sSL https://example.com/x.sh | sh", "pytest"]
    assert unit.location_of("script.0") == Location("ci/templates.yml", 9, 9)
    assert unit.location_of("script.1") == Location("ci/jobs/tests.yml", 5, 5)


def test_gitlab_scan_replaces_the_standalone_parse(tmp_path: Path) -> None:
    from soc2lint.engine.rules import load_rules

    (tmp_path / ".git").mkdir()
    _write(
        tmp_path,
        {
            ".gitlab-ci.yml": "include: ci/t.yml\ndeploy:\n  extends: .deploy\n  script: [x]\n",
            "ci/t.yml": ".deploy:\n  stage: deploy\n  environment: production\n",
        },
    )
    rules = [r for r in load_rules() if r.id == "SOC2-GLC-006"]
    findings = scan([str(tmp_path)], rules).findings
    assert [(f.resource, f.status.value) for f in findings] == [(".gitlab-ci.yml:deploy", "pass")]


@pytest.mark.parametrize(
    ("pattern", "path", "matched"),
    [
        ("ci/*.yml", "ci/a.yml", True),
        ("ci/*.yml", "ci/sub/a.yml", False),
        ("ci/**.yml", "ci/sub/deeper/a.yml", True),
        ("ci/**/*.yml", "ci/a.yml", False),
        ("ci/**/*.yml", "ci/sub/a.yml", True),
        ("ci/?.yml", "ci/a.yml", True),
        ("ci/a.yml", "ci/a.yml", None),
    ],
)
def test_gitlab_include_wildcards(pattern: str, path: str, matched: bool | None) -> None:
    compiled = gitlab_ci.include_pattern(pattern)
    assert (None if compiled is None else bool(compiled.match(path))) is matched


def test_gitlab_wildcard_include_links_every_file(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".git").mkdir()
    _write(
        tmp_path,
        {
            ".gitlab-ci.yml": "include: 'ci/**.yml'\ntest:\n  needs: [a, b]\n  script: [x]\n",
            "ci/a.yml": "a:\n  script: [a]\n",
            "ci/sub/b.yml": "b:\n  script: [b]\n",
        },
    )
    graphs: list[ResourceGraph] = []

    class Recording(ResourceGraph):
        def __init__(self) -> None:
            super().__init__()
            graphs.append(self)

    monkeypatch.setattr(scan_module, "ResourceGraph", Recording)
    scan([str(tmp_path)], [])
    graph = graphs[0]
    linked = graph.neighbours("ci::.gitlab-ci.yml:include[0]", direction="out")
    assert [r.address for r in linked] == ["ci/a.yml", "ci/sub/b.yml"]
    needs = graph.neighbours("ci::.gitlab-ci.yml:test", direction="out", kind="needs")
    assert [r.address for r in needs] == ["ci/a.yml:a", "ci/sub/b.yml:b"]


def test_gitlab_reference_in_rules_and_variables() -> None:
    text = """\
    .rules:
      rules:
        - if: $CI_COMMIT_TAG
    .vars:
      variables:
        MODE: fast
        LEVEL: "3"
    job:
      rules: !reference [.rules, rules]
      variables:
        MODE: !reference [.vars, variables, MODE]
      script:
        - [echo nested, [echo deeper]]
    block:
      variables: !reference [.vars, variables]
      script: [x]
    """
    res = _parse(gitlab_ci, ".gitlab-ci.yml", text)
    job = res[".gitlab-ci.yml:job"]
    assert job.attributes["rules"] == [{"if": "$CI_COMMIT_TAG"}]
    assert job.attributes["protected_refs_only"] is True
    assert job.attributes["variables"] == {"MODE": "fast"}
    assert job.attributes["script"] == ["echo nested", "echo deeper"]  # nested lists flattened
    assert job.location_of("rules.0").start_line == 3  # where the referenced rule is written
    block = res[".gitlab-ci.yml:block"]
    assert block.attributes["variables"] == {"MODE": "fast", "LEVEL": "3"}
    assert block.location_of("variables.LEVEL").start_line == 7


# -- the repository's own actions ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "identity"),
    [
        ("https://github.com/Acme/App.git", "acme/app"),
        ("git@github.com:acme/app.git", "acme/app"),
        ("ssh://git@github.com/acme/app", "acme/app"),
        ("https://token@gitlab.example.com/group/sub/app.git", "group/sub/app"),
        ("/srv/mirror/app.git", ""),
    ],
)
def test_repository_identity_from_origin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, identity: str
) -> None:
    from soc2lint.platforms.repository.resource import repository_identity

    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text(f'[remote "origin"]\n\turl = {url}\n')
    assert repository_identity(tmp_path) == identity
    monkeypatch.setenv("GITHUB_REPOSITORY", "Other/Repo")
    assert repository_identity(tmp_path) == (identity or "other/repo")


def test_own_actions_and_workflows_need_no_pin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from soc2lint.engine.rules import load_rules

    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text(
        '[remote "origin"]\n\turl = git@github.com:acme/app.git\n'
    )
    _write(
        tmp_path,
        {
            ".github/workflows/ci.yml": """\
            on: push
            jobs:
              build:
                runs-on: ubuntu-latest
                steps:
                  - uses: acme/app/.github/actions/setup@main
                  - uses: acme/other/setup@main
              reuse:
                uses: Acme/App/.github/workflows/build.yml@main
            """
        },
    )
    rules = [r for r in load_rules() if r.id == "SOC2-GHA-001"]
    results = {f.resource: f.status.value for f in scan([str(tmp_path)], rules).findings}
    wf = ".github/workflows/ci.yml"
    assert results == {
        f"{wf}:jobs.build": "pass",
        f"{wf}:jobs.build.steps[acme/app/.github/actions/setup]": "pass",
        f"{wf}:jobs.build.steps[acme/other/setup]": "fail",
        f"{wf}:jobs.reuse": "pass",
    }
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/other")  # the remote comes first
    (tmp_path / ".git" / "config").write_text("")
    results = {f.resource: f.status.value for f in scan([str(tmp_path)], rules).findings}
    assert results[f"{wf}:jobs.build.steps[acme/other/setup]"] == "pass"
    assert results[f"{wf}:jobs.reuse"] == "fail"


# -- the repository resource ---------------------------------------------------------------------


def test_repository_findings_point_where_codeowners_is_or_belongs(tmp_path: Path) -> None:
    from soc2lint.engine.rules import load_rules
    from soc2lint.model import REPOSITORY

    (tmp_path / ".git").mkdir()
    _write(tmp_path, {"infra/main.tf": 'resource "aws_s3_bucket" "b" {}\n'})
    rules = [r for r in load_rules() if r.id in ("SOC2-GOV-101", "SOC2-GOV-102")]
    found = {f.rule_id: f.location for f in scan([str(tmp_path)], rules).findings}
    # no CODEOWNERS: the repository as a whole, never a CODEOWNERS:1 that does not exist
    assert found["SOC2-GOV-101"] == REPOSITORY
    assert found["SOC2-GOV-102"] == REPOSITORY
    _write(tmp_path, {".github/CODEOWNERS": "* @acme/eng\n# un-owned\ninfra/\n"})
    found = {f.rule_id: f for f in scan([str(tmp_path)], rules).findings}
    assert found["SOC2-GOV-101"].status.value == "pass"
    assert found["SOC2-GOV-102"].location == Location(".github/CODEOWNERS", 3, 3)
