"""Property test: random variable/local/module wiring resolves like a plain reference evaluator.

Resolution never raises, never loops on cycles (they become Unknown), and every value it does
resolve equals what a straightforward recursive evaluation of the same wiring gives.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from soc2lint.model import Unknown
from soc2lint.platforms.terraform.files import parse_file
from soc2lint.platforms.terraform.module import build_module

# A node's definition: ("lit", n) | ("var", i) | ("local", j) | ("concat", j, k) | ("module", j)
Definition = tuple


def definitions(n_locals: int, n_vars: int) -> st.SearchStrategy[list[Definition]]:
    one = st.one_of(
        st.tuples(st.just("lit"), st.integers(0, 99)),
        st.tuples(st.just("var"), st.integers(0, n_vars - 1)),
        st.tuples(st.just("local"), st.integers(0, n_locals - 1)),
        st.tuples(st.just("concat"), st.integers(0, n_locals - 1), st.integers(0, n_locals - 1)),
        st.tuples(st.just("module"), st.integers(0, n_locals - 1)),
    )
    return st.lists(one, min_size=n_locals, max_size=n_locals)


def _expr(d: Definition) -> str:
    kind = d[0]
    if kind == "lit":
        return str(d[1])
    if kind == "var":
        return f"var.v{d[1]}"
    if kind == "local":
        return f"local.l{d[1]}"
    if kind == "concat":
        return f'"${{local.l{d[1]}}}-${{local.l{d[2]}}}"'
    return f"module.m{d[1]}.out"


def reference(defs: list[Definition], var_defaults: list[int | None]) -> list[Any]:
    """A plain recursive evaluator; None stands for unknown (no value, or a cycle)."""
    memo: dict[int, Any] = {}

    def value(i: int, stack: frozenset[int]) -> Any:
        if i in memo:
            return memo[i]
        if i in stack:
            return None
        d = defs[i]
        kind = d[0]
        if kind == "lit":
            out: Any = d[1]
        elif kind == "var":
            out = var_defaults[d[1]]
        elif kind in ("local", "module"):
            # module m{j} passes local.l{j} in as var.x and returns it as output `out`
            out = value(d[1], stack | {i})
        else:
            a, b = value(d[1], stack | {i}), value(d[2], stack | {i})
            out = None if a is None or b is None else f"{a}-{b}"
        if not stack:
            memo[i] = out
        return out

    return [value(i, frozenset()) for i in range(len(defs))]


@given(
    st.integers(1, 6).flatmap(
        lambda n: st.tuples(
            definitions(n, 3),
            st.lists(st.one_of(st.none(), st.integers(0, 9)), min_size=3, max_size=3),
        )
    )
)
def test_resolution_matches_a_reference_evaluation(case: tuple) -> None:
    defs, var_defaults = case
    lines = []
    for i, default in enumerate(var_defaults):
        lines.append(
            f'variable "v{i}" {{'
            + (f"\n  default = {default}\n" if default is not None else "\n")
            + "}"
        )
    lines.append("locals {")
    lines += [f"  l{i} = {_expr(d)}" for i, d in enumerate(defs)]
    lines.append("}")
    for i in range(len(defs)):
        lines.append(f'module "m{i}" {{\n  source = "./passthrough"\n  x = local.l{i}\n}}')
    lines.append('resource "test_thing" "t" {')
    lines += [f"  a{i} = local.l{i}" for i in range(len(defs))]
    lines.append("}")
    root = parse_file("main.tf", "\n".join(lines) + "\n")
    module = parse_file(
        "passthrough/main.tf", 'variable "x" {}\noutput "out" {\n  value = var.x\n}\n'
    )
    assert not root.errors and not module.errors

    def loader(caller: str, source: str, key: tuple) -> tuple:
        return "passthrough", [module]

    result = build_module([root], [], ".", directory="", loader=loader)
    (thing,) = [r for r in result.resources if r.type == "test_thing"]
    expected = reference(defs, var_defaults)
    for i, want in enumerate(expected):
        got = thing.attributes[f"a{i}"]
        if want is None:
            assert isinstance(got, Unknown), (i, got)
        else:
            assert got == want, (i, got, want)
