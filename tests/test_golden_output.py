"""Golden outputs: the JSON and SARIF reports of the demo, of every fixture and of a generated
mixed corpus, byte for byte (timestamps and the absolute root aside).

They pin behaviour across refactors: moving code must not change a byte. A change that means to
change output (a new rule, a fixed false positive) regenerates them on purpose:

    SOC2LINT_UPDATE_GOLDEN=1 pytest tests/test_golden_output.py

and the diff of tests/golden/ is reviewed with the change. SARIF rule metadata is long and
pinned elsewhere (test_sarif, test_docs), so here each rule's metadata is kept as a digest.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from soc2lint.cli import main

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden"
UPDATE = os.environ.get("SOC2LINT_UPDATE_GOLDEN") == "1"
_STAMP = re.compile(r'"(started|finished|startTimeUtc|endTimeUtc|generated)": "[^"]*"')


def _corpus(tmp: Path) -> Path:
    spec = importlib.util.spec_from_file_location(
        "bench_scale", REPO / "benchmarks" / "bench_scale.py"
    )
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    root = tmp / "corpus"
    bench.generate(root, 100, seed=5)
    return root


def _normal(text: str, fmt: str, root: Path) -> str:
    text = _STAMP.sub(lambda m: f'"{m.group(1)}": "<time>"', text)
    text = text.replace(root.resolve().as_uri(), "<root-uri>").replace(
        str(root.resolve()), "<root>"
    )
    if fmt == "sarif":
        doc = json.loads(text)
        for run in doc["runs"]:
            # the commit and branch of this checkout (tests/test_sarif_provenance.py pins it)
            run.pop("versionControlProvenance", None)
            rules = run["tool"]["driver"].get("rules", [])
            run["tool"]["driver"]["rules"] = [
                {
                    "id": r["id"],
                    "sha256": hashlib.sha256(json.dumps(r, sort_keys=True).encode()).hexdigest(),
                }
                for r in rules
            ]
        text = json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    return text


def _scan(cwd: Path, target: str, fmt: str, root: Path) -> str:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(
            main, ["scan", target, "--no-cache", "--format", fmt, "--fail-on", "none"]
        )
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output
    return _normal(result.stdout, fmt, root)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _corpus(tmp_path_factory.mktemp("golden"))


@pytest.fixture(autouse=True)
def only_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside tools (kubectl, kustomize, helm) render differently, or not at all, from one
    machine to the next: the golden scans see git and nothing else."""
    git = shutil.which("git")
    assert git, "the golden scans need git"
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "git").symlink_to(git)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))


@pytest.mark.parametrize("fmt", ["json", "sarif"])
@pytest.mark.parametrize("target", ["demo", "fixtures", "corpus"])
def test_golden_output(target: str, fmt: str, corpus: Path) -> None:
    if target == "corpus":
        got = _scan(corpus, ".", fmt, corpus)
    else:
        path = "fixtures/demo" if target == "demo" else "fixtures"
        got = _scan(REPO, path, fmt, REPO)
    golden = GOLDEN / f"{target}.{fmt}"
    if UPDATE:
        golden.write_text(got, encoding="utf-8")
    assert golden.is_file(), f"no {golden}: run SOC2LINT_UPDATE_GOLDEN=1 pytest {__file__}"
    want = golden.read_text(encoding="utf-8")
    if got != want:
        out = Path(os.environ.get("TMPDIR", "/tmp")) / f"soc2lint-golden-{target}.{fmt}"
        out.write_text(got, encoding="utf-8")
        pytest.fail(
            f"{target}.{fmt} differs from tests/golden/{target}.{fmt} (this run's output: {out};"
            " `diff` them; if the change is meant, regenerate with SOC2LINT_UPDATE_GOLDEN=1)"
        )
