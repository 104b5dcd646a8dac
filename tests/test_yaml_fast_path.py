"""YAML read through the C parser gives exactly what the pure loader gives, and text the C
composer cannot nest safely goes to the pure loader instead of crashing the process."""

from __future__ import annotations

import pytest

from soc2lint.platforms.shared import yamlsrc

CASES = {
    "plain": "a: 1\nb: [x, y]\nc: {d: e}\n",
    "yaml12 scalars": "a: 'yes'\nb: \"no\"\nc: on\nd: 0644\ne: 0x1F\nf: 1.5e3\n"
    "g: 2024-01-01\nh: ~\n",
    "unicode and crlf": "naïve: ü\r\nk:\r\n  - é\r\n",
    "bom": "\ufeffa: 1\n",
    "merge and anchors": "base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\ne: *b\n",
    "cloudformation tags": "R: !Ref Foo\nS: !Sub 'x-${A}'\nG: !GetAtt [a, b]\n",
    "documents": "---\na: 1\n---\n---\nb: 2\n...\n",
    "blocks": "s: |\n  ${{ x }}\nf: >-\n  folded\n  text\n",
    "keys": "true: 1\n2: x\nnull: y\n? [a, b]\n: 1\n",
    "yaml 1.1 directive": "%YAML 1.1\n---\non: yes\nmode: 0644\n",
    "flow colon": "k: [a:b]\n",
    "duplicate key": "a: 1\na: 2\n",
    "tab": "a:\n\t- x\n",
    "unclosed": "a: [1, 2\n",
    "yaml 1.1 booleans": "a: yes\nb: 'no'\nc: On\ne: [off, \"y\"]\nf: 010\n",
    "dotted keys": "a.b: 1\na:\n  b: 2\nc:\n  d: 3\nc.d: 4\n",
    "folded keeps": "f: >+\n  one\n  two\n\ng: |-\n  x\n",
    "null and scalar documents": "---\n~\n---\njust text\n---\n- 1\n- {a: [b]}\n",
    "timestamps and tags": "t: 2024-01-01T10:00:00Z\nb: !!binary aGk=\nc: !custom x\n",
    "nested items": "jobs:\n  a:\n    steps:\n      - run: x\n      -\n        uses: y\n",
}


def _pure(text: str):  # type: ignore[no-untyped-def]
    real = yamlsrc._c_readable
    yamlsrc._c_readable = lambda _text: False
    try:
        return yamlsrc.load_documents("x.yaml", text)
    finally:
        yamlsrc._c_readable = real


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_as_pure_loader(name: str) -> None:
    assert yamlsrc.load_documents("x.yaml", CASES[name]) == _pure(CASES[name])


@pytest.mark.parametrize("name", sorted(CASES))
def test_node_conversion_same_as_constructed_tree(name: str) -> None:
    # plain values straight from the C parser's nodes, or _Unusual: the constructor path decides
    text = CASES[name].replace("\r\n", "\n").lstrip("\ufeff")
    if yamlsrc.CParser is None or not yamlsrc._c_readable(text):
        pytest.skip("not read through the C parser")
    try:
        direct = yamlsrc._load_nodes(text, yamlsrc._Budget(text))
    except yamlsrc._Unusual:
        assert name in ("merge and anchors", "keys", "duplicate key", "cloudformation tags")
        return
    assert direct == yamlsrc._load_fast(text, yamlsrc._Budget(text))


def test_c_parser_reads_ordinary_files() -> None:
    if yamlsrc.CParser is None:
        pytest.skip("ruamel.yaml.clib is not installed")
    assert yamlsrc._c_readable(CASES["plain"])
    plain = CASES["plain"]
    assert yamlsrc._load_fast(plain, yamlsrc._Budget(plain)) == _pure(plain)[0]
    assert not yamlsrc._c_readable(CASES["yaml 1.1 directive"])


@pytest.mark.parametrize("text", ["- " * 30000 + "x\n", "a: " + "[" * 1200 + "]" * 1200 + "\n"])
def test_deep_nesting_is_an_error_not_a_crash(text: str) -> None:
    # libyaml's composer recurses on the C stack and crashes the process past ~20,000 levels
    assert not yamlsrc._c_readable(text)
    docs, errors = yamlsrc.load_documents("x.yaml", text)
    assert docs == [] and "nesting is too deep" in errors[0].message


def test_located_places_are_shared_and_survive_pickling() -> None:
    # the parse workers send resources back pickled: a place is one object however many
    # resources point at it, and it comes back equal, ordered and frozen
    import pickle

    from soc2lint.model import Location

    docs, _errors = yamlsrc.load_documents("w.yml", CASES["nested items"])
    job, step = docs[0].located("w.yml", "jobs.a"), docs[0].located("w.yml", "jobs.a.steps.0")
    assert job["steps.0.run"] is step["run"] == Location("w.yml", 4, 4)
    back = pickle.loads(pickle.dumps([job, step]))
    assert back == [job, step] and back[0]["steps.0.run"] is back[1]["run"]
    moved = pickle.loads(pickle.dumps(Location("a.tf", 3, 5, 2, 9)))
    assert moved == Location("a.tf", 3, 5, 2, 9) and moved < Location("a.tf", 4, 4)
    with pytest.raises(AttributeError):
        moved.path = "b.tf"  # type: ignore[misc]


@pytest.mark.parametrize(
    "text",
    [
        "id: X-1\nseverity: high\nn: 7\nf: 1.5\nb: true\nz: ~\nd: 2024-01-01\nl: [a, 'b', \"c\"]\n",
        "s: |\n  two\n  lines\nf: >-\n  folded\n  text\nq: 'it''s'\nyes: no\n",
        "",
        "- a\n- {b: [1, 2]}\n",
    ],
)
def test_plain_load_gives_what_the_safe_loader_gives(text: str) -> None:
    from ruamel.yaml import YAML

    if yamlsrc.CParser is None:
        pytest.skip("ruamel.yaml.clib is not installed")
    got = yamlsrc.plain_load(text)
    want = YAML(typ="safe").load(text)
    assert got == want and repr(got) == repr(want)


@pytest.mark.parametrize(
    "text",
    ["a: 1\na: 2\n", "b: &x {k: 1}\nc:\n  <<: *x\n", "1: x\n", "t: !!set {a}\n", "a\n---\nb\n"],
)
def test_plain_load_leaves_the_unusual_to_the_safe_loader(text: str) -> None:
    with pytest.raises(yamlsrc.NotPlain):
        yamlsrc.plain_load(text)
