"""Speed machinery and robustness: caches, parallelism, determinism, and bad input."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from soc2lint import platforms
from soc2lint.engine import evaluate
from soc2lint.engine.rules import load_rules
from soc2lint.pipeline import load as loader
from soc2lint.pipeline.load import parse_source as parse_yaml_source
from soc2lint.reporters import json_report, sarif
from soc2lint.scan import ScanOptions, scan

REPO = Path(__file__).resolve().parents[1]
RULES = load_rules()
sys.path.insert(0, str(REPO / "benchmarks"))


def corpus(path: Path, files: int) -> Path:
    from bench_scale import generate

    generate(path, files)
    return path


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return corpus(tmp_path_factory.mktemp("corpus") / "repo", 320)


def _stable(text: str) -> str:
    """SARIF/JSON with the invocation's timestamps removed."""
    doc = json.loads(text)
    for run in doc.get("runs", []):
        for inv in run.get("invocations", []):
            inv.pop("startTimeUtc", None)
            inv.pop("endTimeUtc", None)
    return json.dumps(doc, sort_keys=True)


def test_output_is_identical_whatever_the_number_of_processes(
    big: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evaluate, "PARALLEL_PAIRS", 10)  # parse and evaluate in processes
    one = scan([str(big)], RULES, ScanOptions(jobs=1))
    two = scan([str(big)], RULES, ScanOptions(jobs=2))
    assert len(one.files) > loader.PARALLEL_THRESHOLD
    assert json_report.render(one) == json_report.render(two)
    assert _stable(sarif.render(one)) == _stable(sarif.render(two))


def test_warm_rescan_parses_nothing_and_gives_the_same_report(
    big: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = ScanOptions(jobs=1, cache_dir=str(tmp_path / "cache"))
    cold = scan([str(big)], RULES, options)
    calls: list[str] = []
    real = loader.parse_source
    monkeypatch.setattr(loader, "parse_source", lambda p, *a: calls.append(p) or real(p, *a))
    from soc2lint.pipeline import result_cache

    monkeypatch.setattr(result_cache, "load", lambda *a: None)  # force a full re-scan
    warm = scan([str(big)], RULES, options)
    assert calls == []
    assert json_report.render(cold) == json_report.render(warm)


def test_unchanged_repository_reuses_results_and_an_edit_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = corpus(tmp_path / "repo", 40)
    options = ScanOptions(cache_dir=str(tmp_path / "cache"))
    first = scan([str(repo)], RULES, options)
    evaluations: list[int] = []
    real = evaluate.evaluate_rules
    from soc2lint import scan as scan_module

    monkeypatch.setattr(
        scan_module, "evaluate_rules", lambda *a, **k: evaluations.append(1) or real(*a, **k)
    )
    again = scan([str(repo)], RULES, options)
    assert evaluations == [] and json_report.render(first) == json_report.render(again)
    victim = next(repo.rglob("main*.tf"))
    victim.write_text(victim.read_text() + "\n# edited\n")
    scan([str(repo)], RULES, options)
    assert evaluations == [1]


def test_corrupt_cache_entries_are_ignored_and_rewritten(tmp_path: Path) -> None:
    repo = corpus(tmp_path / "repo", 30)
    cache = tmp_path / "cache"
    expected = json_report.render(scan([str(repo)], RULES, ScanOptions(cache_dir=str(cache))))
    entries = [p for p in cache.rglob("*") if p.is_file()]
    assert entries
    for entry in entries:
        entry.write_bytes(b"not a pickle")
    again = scan([str(repo)], RULES, ScanOptions(cache_dir=str(cache)))
    assert json_report.render(again) == expected
    assert all(p.read_bytes() != b"not a pickle" for p in cache.rglob("*") if p.is_file())


def test_concurrent_scans_share_one_cache_safely(tmp_path: Path) -> None:
    repo = corpus(tmp_path / "repo", 60)
    cache = tmp_path / "cache"
    command = [
        sys.executable,
        "-m",
        "soc2lint",
        "scan",
        str(repo),
        "--format",
        "json",
        "--cache-dir",
        str(cache),
        "--jobs",
        "1",
    ]
    procs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode in (0, 1) for p in procs), [e for _o, e in outputs]
    assert len({o for o, _e in outputs}) == 1
    assert not list(cache.rglob(".tmp-*"))  # no half-written entries left behind


def test_no_cache_writes_nothing(tmp_path: Path) -> None:
    repo = corpus(tmp_path / "repo", 10)
    home = tmp_path / "home"
    env = {"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "soc2lint",
            "scan",
            str(repo),
            "--no-cache",
            "-o",
            str(tmp_path / "out.txt"),
        ],
        env=env,
        check=False,
        timeout=300,
    )
    assert not (home / ".cache" / "soc2lint").exists()
    subprocess.run(
        [sys.executable, "-m", "soc2lint", "scan", str(repo), "-o", str(tmp_path / "out.txt")],
        env=env,
        check=False,
        timeout=300,
    )
    assert (home / ".cache" / "soc2lint").is_dir()


def test_progress_only_on_a_terminal_and_never_in_machine_output(tmp_path: Path) -> None:
    assert loader.tty_progress() is None  # pytest captures stderr: not a terminal
    repo = corpus(tmp_path / "repo", 20)
    proc = subprocess.run(
        [sys.executable, "-m", "soc2lint", "scan", str(repo), "--format", "json", "--no-cache"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    json.loads(proc.stdout)
    assert "parsing" not in proc.stderr


def test_a_rule_that_raises_is_a_rule_error_and_the_scan_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from soc2lint.engine import operators

    broken = operators.Operator("is_true", lambda a, e: 1 / 0, False, "broken")
    monkeypatch.setitem(evaluate.OPERATORS, "is_true", broken)
    report = scan([str(REPO / "fixtures" / "demo")], RULES)
    assert report.rule_errors and all("ZeroDivisionError" in e for e in report.rule_errors)
    assert report.failing()  # the other rules still ran


def test_gitlab_local_includes_are_read_as_pipelines(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "ci").mkdir()
    (tmp_path / ".gitlab-ci.yml").write_text("include:\n  - local: ci/build.yml\n")
    (tmp_path / "ci" / "build.yml").write_text("build:\n  image: node:latest\n  script: [make]\n")
    report = scan([str(tmp_path)], [r for r in RULES if r.id == "SOC2-GLC-001"])
    assert [(f.resource, f.location.path, f.location.start_line) for f in report.failing()] == [
        ("ci/build.yml:build", "ci/build.yml", 2)
    ]
    assert "ci/build.yml" in report.files


# -- property tests: the YAML side never raises, never hangs ------------------------------------

YAML_PATHS = [
    "k8s/app.yaml",
    ".github/workflows/ci.yml",
    ".gitlab-ci.yml",
    "action.yml",
    "values.yaml",
    "data.json",
]


@given(st.sampled_from(YAML_PATHS), st.binary(max_size=400))
def test_arbitrary_bytes_as_yaml_never_raise(path: str, raw: bytes) -> None:
    parsed = parse_yaml_source(path, raw.decode("utf-8", errors="replace"))
    for error in parsed.errors:
        assert error.path == path and error.line >= 1


_YAML_TOKENS = [
    "apiVersion: v1\n",
    "kind: Pod\n",
    "kind: Deployment\n",
    "metadata:\n",
    "  name: x\n",
    "spec:\n",
    "  containers:\n",
    "    - name: a\n",
    "      image: y\n",
    "---\n",
    "on: push\n",
    "jobs:\n",
    "  build:\n",
    "    steps:\n",
    "      - run: ls\n",
    "&a [1, 2]\n",
    "*a\n",
    "x: &b {k: v}\n",
    "y: *b\n",
    "  - ",
    ": ",
    "{",
    "}",
    "[",
    "]",
    "'",
    '"',
    "# c\n",
    "\t",
    "key: key\nkey: dup\n",
    "image: ${{ github.head_ref }}\n",
]


@given(st.sampled_from(YAML_PATHS), st.lists(st.sampled_from(_YAML_TOKENS), max_size=40))
def test_yaml_shaped_noise_never_crashes_the_pipeline(path: str, tokens: list[str]) -> None:
    parsed = parse_yaml_source(path, "".join(tokens))
    from soc2lint.graph import ResourceGraph

    graph = ResourceGraph()
    for res in parsed.resources:
        graph.add_resource(res)
    for platform in platforms.platforms():
        platform.link(graph, parsed.resources)
    _findings, errors = evaluate.evaluate_rules(RULES, graph)
    assert errors == []


@given(st.integers(min_value=1, max_value=600))
def test_deep_nesting_is_bounded(depth: int) -> None:
    text = "apiVersion: v1\nkind: ConfigMap\ndata: " + "[" * depth + "]" * depth + "\n"
    parse_yaml_source("deep.yaml", text)
    hcl = "x = " + "[" * depth + "]" * depth + "\n"
    from soc2lint.platforms.terraform.files import parse_file

    parse_file("deep.tf", hcl)


def test_huge_strings_and_unicode_pass_through(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    big = "é" * 300_000
    (tmp_path / "main.tf").write_text(f'resource "aws_s3_bucket" "b" {{\n  bucket = "{big}"\n}}\n')
    (tmp_path / "cm.yaml").write_text(
        f'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: "{big}"\n'
    )
    report = scan([str(tmp_path)], RULES)
    assert not report.errors and len(report.files) == 2


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_symlinks_out_of_the_root_are_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.tf").write_text('resource "aws_s3_bucket" "x" {}\n')
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "link").symlink_to(outside, target_is_directory=True)
    report = scan([str(repo)], RULES)
    assert report.files == {} and [s.path for s in report.skipped] == ["link"]


def test_a_reused_report_holds_every_result_as_the_scan_made_it(tmp_path: Path) -> None:
    """Passes, unknowns, evidence, resource locations and call sites come back from the result
    cache equal to the scan's own (the JSON report shows only some of them)."""
    from soc2lint.pipeline import load as cache_store
    from soc2lint.pipeline import result_cache

    demo = Path(__file__).resolve().parents[1] / "fixtures" / "demo"
    report = scan([str(demo)], RULES, ScanOptions(jobs=1))
    statuses = {f.status.value for f in report.findings}
    assert statuses == {"fail", "pass", "unknown"}
    assert any(f.call_sites for f in report.findings) and any(f.evidence for f in report.findings)
    # a rendered object's finding names where its value came from
    from dataclasses import replace

    report.findings[0] = replace(
        report.findings[0],
        value_source="value from values file prod.yaml",
        value_files=("p.yaml",),
        instances=3,
    )
    cache = cache_store.Cache(tmp_path / "cache")
    result_cache.store(cache, "k", report)
    again = result_cache.load(cache, "k", Path(report.root), RULES)
    assert again is not None and again.findings == report.findings
    assert [type(f.status) for f in again.findings] == [type(f.status) for f in report.findings]


# a well-formed table: strings, places (5 numbers each), tuples, findings (12 numbers each);
# the places and the findings are packed (result_cache._pack) unless a case says otherwise, and
# the findings are failing ones: no passes, the order (each a failing one) and a fingerprint each
_ROW = [0, 1, 1, 0, 0, 1, 0, 0, 0, 1, 0, 1]


def _packed(table: list) -> list:
    from soc2lint.pipeline import result_cache

    if len(table) != 4:
        return table
    strings, places, groups, flat = table

    def pack(row: object) -> object:
        return [result_cache._pack(row)] if isinstance(row, list) else row

    results = len(flat) // 12
    return [
        strings,
        pack(places),
        groups,
        pack(flat),
        [result_cache._pack([])],
        [base64.b64encode(zlib.compress(bytes(results))).decode()],
        [base64.b64encode(bytes(16 * results)).decode()],
    ]


def _with(row: int, value: list) -> list:
    """The well-formed packed table with one row replaced."""
    table = _packed([["SOC2-X", "a"], [1, 1, 1, 1, 1], [[]], _ROW])
    table[row] = value
    return table


def test_a_well_formed_packed_table_decodes() -> None:
    """The control for the cases below: the same table, well formed, is one finding."""
    from soc2lint.pipeline import codec, result_cache

    table = _packed([["SOC2-X", "a"], [1, 1, 1, 1, 1], [[]], _ROW])
    [finding] = result_cache._findings(codec.Rows(table))
    assert (finding.rule_id, finding.resource, finding.location.path) == ("SOC2-X", "a", "a")
    assert finding.status.value == "fail" and finding.instances == 1  # status 0: Status.FAIL


def test_a_report_with_a_number_beyond_the_packed_words_is_not_cached(tmp_path: Path) -> None:
    from dataclasses import replace

    from soc2lint.pipeline import load as cache_store
    from soc2lint.pipeline import result_cache

    demo = Path(__file__).resolve().parents[1] / "fixtures" / "demo"
    report = scan([str(demo)], RULES, ScanOptions(jobs=1))
    report.findings[0] = replace(report.findings[0], instances=2**32)
    cache = cache_store.Cache(tmp_path / "cache")
    result_cache.store(cache, "k", report)
    assert result_cache.load(cache, "k", Path(report.root), RULES) is None


@pytest.mark.parametrize(
    "table",
    [
        [],
        _packed([["SOC2-X", "a"], [1, 1, 1, 1, 1], [[]], [0, 1, 1, 7, 0, 1, 0, 0, 0, 1, 0, 1]]),
        _packed([["SOC2-X", "a"], [1, 1, 1, 1, 1], [[]], [0, 9, *_ROW[2:]]]),  # no string 9
        _packed([["SOC2-X", 7], [1, 1, 1, 1, 1], [[]], _ROW]),  # number as text
        _packed([["SOC2-X", "a"], [1, 1, 1, 1, 1], [[]], _ROW[:9]]),  # numbers missing
        _packed([["SOC2-X", "a"], [1, 1, 1, 1], [[]], _ROW]),  # a place cut short
        _packed([["SOC2-X", "a"], [1, 1, 1, 1, 1], [[]], [*_ROW[:6], 5, *_ROW[7:]]]),  # no tuple 5
        # the places as numbers, not packed (the format before), and as one number
        _with(1, [1, 1, 1, 1, 1]),
        _with(1, [5]),
        # packed texts that are not base64, not compressed, or not whole 32-bit words
        _with(3, ["%%%"]),
        _with(3, ["AAAA"]),
        _with(3, [base64.b64encode(zlib.compress(b"abcdef")).decode()]),
        # two packed texts where one belongs
        _with(3, ["AAAA", "AAAA"]),
        # the table of the findings as it was before the passes had their own (four lists)
        _packed([["SOC2-X", "a"], [1, 1, 1, 1, 1], [[]], _ROW])[:4],
    ],
)
def test_a_findings_table_the_cache_could_not_have_written_is_a_miss(table: list) -> None:
    from soc2lint.pipeline import codec, result_cache

    with pytest.raises((ValueError, TypeError, KeyError, IndexError)):
        result_cache._findings(codec.Rows(table))
