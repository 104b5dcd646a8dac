"""The Dockerfile reader: lines, continuations, heredocs, stages and ARG substitution."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from soc2lint.model import Unknown
from soc2lint.platforms.dockerfile.parse import instructions, split_image
from soc2lint.platforms.dockerfile.platform import PLATFORM


def _stages(text: str) -> dict:
    return {r.address: r for r in PLATFORM.parse("Dockerfile", text, "dockerfile").resources}


def test_continuations_comments_and_heredocs_keep_lines() -> None:
    text = (
        "# syntax=docker/dockerfile:1\n"
        "FROM alpine:3.19\n"
        "RUN apk add \\\n"
        "  # a comment inside\n"
        "\n"
        "  curl\n"
        "RUN <<EOF\n"
        "echo one\n"
        "EOF\n"
        "USER app\n"
    )
    found = instructions(text)
    assert [(i.keyword, i.line, i.end_line) for i in found] == [
        ("FROM", 2, 2),
        ("RUN", 3, 6),
        ("RUN", 7, 9),
        ("USER", 10, 10),
    ]
    assert found[1].value == "apk add curl"
    assert found[2].heredocs == ["echo one"]


def test_escape_directive() -> None:
    found = instructions("# escape=`\nFROM windows/servercore:ltsc2022\nRUN dir `\n  C:\\\n")
    assert [(i.keyword, i.value) for i in found][1] == ("RUN", "dir C:\\")


def test_stages_args_and_inherited_user() -> None:
    stages = _stages(
        "ARG TAG=3.12-slim\nARG REGISTRY\nFROM python:${TAG} AS base\nUSER app\n"
        "FROM base\nFROM ${REGISTRY}/tool:1\n"
    )
    assert stages["stage.base"].attributes["from"] == {
        "ref": "python:3.12-slim",
        "image": "python",
        "tag": "3.12-slim",
    }
    assert stages["stage.1"].attributes["user"] == "app"  # built on base, runs as its user
    assert stages["stage.1"].attributes["from"]["stage"] == "base"
    assert isinstance(stages["stage.2"].attributes["from"]["tag"], Unknown)
    assert stages["stage.2"].attributes["final"] is True


def test_image_references() -> None:
    assert split_image("registry:5000/team/app") == {
        "ref": "registry:5000/team/app",
        "image": "registry:5000/team/app",
    }
    got = split_image("app:1.2@sha256:ab")
    assert (got["image"], got["tag"], got["digest"]) == ("app", "1.2", "sha256:ab")


def test_claims_by_name() -> None:
    assert PLATFORM.claim("svc/Dockerfile") and PLATFORM.claim("api.Dockerfile")
    assert PLATFORM.claim("Dockerfile.prod") and PLATFORM.claim("Containerfile")
    assert PLATFORM.claim("Dockerfile.dockerignore") is None and PLATFORM.claim("docker.md") is None


KEYWORDS = st.sampled_from(["FROM", "RUN", "USER", "ENV", "COPY", "ADD", "ARG", "LABEL", "EXPOSE"])
WORD = st.text(alphabet="abcxyz019=._-/:$", min_size=1, max_size=8)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            KEYWORDS, st.lists(WORD, min_size=1, max_size=4), st.integers(0, 2), st.booleans()
        ),
        min_size=1,
        max_size=12,
    )
)
def test_property_every_instruction_is_found_at_its_line(spec) -> None:  # type: ignore[no-untyped-def]
    lines: list[str] = []
    want = []
    for keyword, words, breaks, comment in spec:
        if comment:
            lines.append("# note")
        start = len(lines) + 1
        # spread the words over 1 + breaks physical lines joined by continuations
        chunks = [words[i :: breaks + 1] for i in range(breaks + 1)]
        chunks = [c for c in chunks if c] or [words]
        first = f"{keyword} {' '.join(chunks[0])}"
        body = [first, *(" ".join(c) for c in chunks[1:])]
        lines += [b + " \\" for b in body[:-1]] + [body[-1]]
        want.append((keyword, start, len(lines)))
    found = instructions("\n".join(lines) + "\n")
    assert [(i.keyword, i.line, i.end_line) for i in found] == want


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_property_any_text_parses(text: str) -> None:
    parsed = PLATFORM.parse("Dockerfile", text, "dockerfile")
    for res in parsed.resources:
        assert 1 <= res.location.start_line <= res.location.end_line
