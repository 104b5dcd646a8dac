"""Terraform JSON plans (`terraform show -json plan.out`): planned resources, unknowns, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from soc2lint.model import Unknown
from soc2lint.platforms.terraform.files import parse_file
from soc2lint.platforms.terraform.plan import (
    PlanConfigRef,
    PlannedResource,
    apply_unknowns,
    config_refs,
    module_dir,
    parse_plan,
    split_module_path,
    strip_instance_keys,
)

PLANS = Path(__file__).resolve().parents[1] / "fixtures" / "plans"
AFTER_APPLY = Unknown("known after apply", True)


def _parse(case: str) -> tuple[list[PlannedResource], dict[str, str]]:
    path = PLANS / case / "plan.json"
    resources, sources, errors = parse_plan(f"fixtures/plans/{case}/plan.json", path.read_text())
    assert errors == []
    return resources, sources


def _by_address(resources: list[PlannedResource]) -> dict[str, PlannedResource]:
    return {r.address: r for r in resources}


def _unknown_paths(value: Any, prefix: str = "") -> set[str]:
    """Dotted paths ("rule.0.x") of every Unknown in a value."""
    if isinstance(value, Unknown):
        return {prefix}
    found: set[str] = set()
    if isinstance(value, dict):
        for key, sub in value.items():
            found |= _unknown_paths(sub, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            found |= _unknown_paths(sub, f"{prefix}.{i}" if prefix else str(i))
    return found


def _plan(**sections: Any) -> str:
    doc: dict[str, Any] = {"format_version": "1.2", "terraform_version": "1.8.5"}
    doc.update(sections)
    return json.dumps(doc, indent=2)


def _pv(*resources: dict[str, Any], child_modules: list[Any] | None = None) -> dict[str, Any]:
    root: dict[str, Any] = {"resources": list(resources)}
    if child_modules is not None:
        root["child_modules"] = child_modules
    return {"root_module": root}


def _res(address: str, rtype: str, name: str, values: dict[str, Any], **extra: Any) -> dict:
    mode = "data" if address.startswith("data.") or ".data." in address else "managed"
    return {
        "address": address,
        "mode": mode,
        "type": rtype,
        "name": name,
        "values": values,
        **extra,
    }


def _rc(address: str, actions: list[str], after_unknown: Any = None, **extra: Any) -> dict:
    change = {"actions": actions, "before": None, "after": {}, "after_unknown": after_unknown or {}}
    return {"address": address, "change": change, **extra}


KMS_UNKNOWN = {
    "arn",
    "id",
    "key_id",
    "multi_region",
    "policy",
    "rotation_period_in_days",
    "tags_all",
}
BUCKET_UNKNOWN = {
    "acceleration_status",
    "acl",
    "arn",
    "bucket_domain_name",
    "bucket_prefix",
    "bucket_regional_domain_name",
    "cors_rule",
    "grant",
    "hosted_zone_id",
    "id",
    "lifecycle_rule",
    "logging",
    "object_lock_configuration",
    "object_lock_enabled",
    "policy",
    "region",
    "replication_configuration",
    "request_payer",
    "server_side_encryption_configuration",
    "versioning",
    "website",
    "website_domain",
    "website_endpoint",
}
SSE_UNKNOWN = {"bucket", "id", "rule.0.apply_server_side_encryption_by_default.0.kms_master_key_id"}


# -- fixture 1: root module --------------------------------------------------------------------


def test_root_case_resources() -> None:
    resources, sources = _parse("root_case")
    assert {(r.address, r.module_address, r.type, r.index) for r in resources} == {
        ("aws_kms_key.data", "", "aws_kms_key", None),
        ("aws_s3_bucket.data", "", "aws_s3_bucket", None),
        (
            "aws_s3_bucket_server_side_encryption_configuration.data",
            "",
            "aws_s3_bucket_server_side_encryption_configuration",
            None,
        ),
        ("aws_cloudwatch_log_group.app[0]", "", "aws_cloudwatch_log_group", 0),
        ("aws_cloudwatch_log_group.app[1]", "", "aws_cloudwatch_log_group", 1),
    }
    assert sources == {}
    assert all(r.mode == "managed" and r.actions == ("create",) for r in resources)
    app = _by_address(resources)["aws_cloudwatch_log_group.app[1]"]
    assert app.config_key == ("", "managed", "aws_cloudwatch_log_group", "app")
    assert app.name == "app"


def test_root_case_unknowns() -> None:
    res = _by_address(_parse("root_case")[0])
    kms = res["aws_kms_key.data"]
    assert _unknown_paths(kms.values) == KMS_UNKNOWN
    assert kms.values["arn"] == AFTER_APPLY and kms.values["arn"].not_null
    assert kms.values["enable_key_rotation"] is True
    assert kms.values["tags"] is None  # known null stays null

    bucket = res["aws_s3_bucket.data"]
    assert _unknown_paths(bucket.values) == BUCKET_UNKNOWN
    # a computed block is unknown as a whole, not an empty list
    assert bucket.values["server_side_encryption_configuration"] == AFTER_APPLY
    assert bucket.values["tags"] == {"Environment": "prod"}
    assert bucket.values["tags_all"] == {"Environment": "prod"}

    sse = res["aws_s3_bucket_server_side_encryption_configuration.data"]
    assert _unknown_paths(sse.values) == SSE_UNKNOWN
    default = sse.values["rule"][0]["apply_server_side_encryption_by_default"][0]
    assert default == {"kms_master_key_id": AFTER_APPLY, "sse_algorithm": "aws:kms"}
    assert sse.values["rule"][0]["bucket_key_enabled"] is True

    for i in (0, 1):
        group = res[f"aws_cloudwatch_log_group.app[{i}]"]
        assert _unknown_paths(group.values) == {
            "arn",
            "id",
            "kms_key_id",
            "name_prefix",
            "tags_all",
        }
        assert group.values["name"] == f"/acme/prod/app-{i}"
        assert group.values["retention_in_days"] == 365


# -- fixture 2: a local module called twice, a nested module with count -----------------------


def test_modules_case_resources() -> None:
    resources, _ = _parse("modules_case")
    got = {(r.address, r.module_address, r.type, r.index) for r in resources}
    want = set()
    for call, keys in (("logs", ("access", "audit")), ("data", ("raw", "curated"))):
        module = f"module.{call}"
        for key in keys:
            for rtype in ("aws_s3_bucket", "aws_s3_bucket_server_side_encryption_configuration"):
                want.add((f'{module}.{rtype}.this["{key}"]', module, rtype, key))
        kms = f"{module}.module.kms[0]"
        want.add((f"{kms}.aws_kms_key.this", kms, "aws_kms_key", None))
        want.add((f"{kms}.aws_kms_alias.this", kms, "aws_kms_alias", None))
    assert got == want
    assert len(resources) == 12


def test_modules_case_config_keys_and_sources() -> None:
    resources, sources = _parse("modules_case")
    assert sources == {
        "module.logs": "./modules/bucket",
        "module.data": "./modules/bucket",
        "module.logs.module.kms": "../kms",
        "module.data.module.kms": "../kms",
    }
    res = _by_address(resources)
    key = res["module.logs.module.kms[0].aws_kms_key.this"].config_key
    assert key == ("module.logs.module.kms", "managed", "aws_kms_key", "this")
    key = res['module.data.aws_s3_bucket.this["raw"]'].config_key
    assert key == ("module.data", "managed", "aws_s3_bucket", "this")
    assert module_dir(sources, "module.logs") == "modules/bucket"
    assert module_dir(sources, "module.data.module.kms") == "modules/kms"
    assert module_dir(sources, "") == "."
    assert config_refs(sources) == [
        PlanConfigRef("", ""),
        PlanConfigRef("module.data", "./modules/bucket"),
        PlanConfigRef("module.logs", "./modules/bucket"),
        PlanConfigRef("module.data.module.kms", "../kms"),
        PlanConfigRef("module.logs.module.kms", "../kms"),
    ]


def test_modules_case_unknowns() -> None:
    res = _by_address(_parse("modules_case")[0])
    for call, key in (("logs", "access"), ("logs", "audit"), ("data", "raw"), ("data", "curated")):
        bucket = res[f'module.{call}.aws_s3_bucket.this["{key}"]']
        assert _unknown_paths(bucket.values) == BUCKET_UNKNOWN | {"tags_all"}
        assert bucket.values["bucket"] == f"acme-{call}-{key}"
        sse = res[f'module.{call}.aws_s3_bucket_server_side_encryption_configuration.this["{key}"]']
        assert _unknown_paths(sse.values) == SSE_UNKNOWN
    alias = res["module.data.module.kms[0].aws_kms_alias.this"]
    assert _unknown_paths(alias.values) == {
        "arn",
        "id",
        "name_prefix",
        "target_key_arn",
        "target_key_id",
    }
    assert alias.values["name"] == "alias/acme-data"
    assert _unknown_paths(res["module.logs.module.kms[0].aws_kms_key.this"].values) == KMS_UNKNOWN


@pytest.mark.parametrize("case", ["root_case", "modules_case", "delete_case"])
def test_every_planned_resource_is_declared_in_the_tf_beside_the_plan(case: str) -> None:
    """config_key + module_dir lead to a `resource "type" "name"` block in the fixture's .tf."""
    resources, sources = _parse(case)
    for res in resources:
        module_path, mode, rtype, name = res.config_key
        directory = module_dir(sources, module_path)
        assert directory is not None, res.address
        blocks = set()
        for tf in sorted((PLANS / case / directory).glob("*.tf")):
            parsed = parse_file(str(tf), tf.read_text())
            assert parsed.body is not None and not parsed.errors
            blocks |= {(b.type, *b.labels) for b in parsed.body.blocks}
        assert ("resource" if mode == "managed" else "data", rtype, name) in blocks, res.address


@pytest.mark.parametrize("case", ["root_case", "modules_case", "delete_case"])
def test_every_config_key_is_in_the_plan_configuration(case: str) -> None:
    doc = json.loads((PLANS / case / "plan.json").read_text())
    declared = set()
    stack = [("", doc["configuration"]["root_module"])]
    while stack:
        prefix, module = stack.pop()
        for r in module.get("resources", []):
            declared.add((prefix, r["mode"], r["type"], r["name"]))
        for call, body in module.get("module_calls", {}).items():
            stack.append(
                (f"{prefix}.module.{call}" if prefix else f"module.{call}", body["module"])
            )
    resources, _ = _parse(case)
    assert {r.config_key for r in resources} <= declared


# -- fixture 3: deletions, a replace, a no-op, data sources ------------------------------------


def test_delete_case_resources() -> None:
    resources, sources = _parse("delete_case")
    assert sources == {}
    got = {(r.address, r.module_address, r.type, r.index): r.actions for r in resources}
    assert got == {
        ("aws_cloudtrail.main", "", "aws_cloudtrail", None): ("create",),
        ("aws_cloudwatch_log_group.trail[0]", "", "aws_cloudwatch_log_group", 0): ("no-op",),
        ("aws_iam_policy.trail_reader", "", "aws_iam_policy", None): ("create",),
        ("aws_kms_key.trail", "", "aws_kms_key", None): ("create",),
        ("aws_s3_bucket.trail", "", "aws_s3_bucket", None): ("update",),
        (
            "aws_s3_bucket_public_access_block.trail",
            "",
            "aws_s3_bucket_public_access_block",
            None,
        ): ("delete", "create"),
        ("aws_ssm_parameter.trail_webhook", "", "aws_ssm_parameter", None): ("create",),
        # read during apply: a change with action read, in planned_values
        ("data.aws_iam_policy_document.trail_key", "", "aws_iam_policy_document", None): ("read",),
        # read while planning: only in prior_state, no change
        ("data.aws_caller_identity.current", "", "aws_caller_identity", None): (),
    }
    addresses = {r.address for r in resources}
    assert "aws_s3_bucket.legacy" not in addresses  # removed from the configuration
    assert "aws_cloudwatch_log_group.trail[1]" not in addresses  # count went from 2 to 1


def test_delete_case_values() -> None:
    res = _by_address(_parse("delete_case")[0])
    document = res["data.aws_iam_policy_document.trail_key"]
    assert document.mode == "data"
    assert document.config_key == ("", "data", "aws_iam_policy_document", "trail_key")
    assert _unknown_paths(document.values) == {
        "id",
        "json",
        "minified_json",
        "statement.0.resources.0",
    }
    statement = document.values["statement"][0]
    assert statement["resources"] == [AFTER_APPLY]
    assert statement["actions"] == ["kms:GenerateDataKey*"]
    assert statement["principals"] == [
        {"identifiers": ["cloudtrail.amazonaws.com"], "type": "Service"}
    ]

    caller = res["data.aws_caller_identity.current"]
    assert caller.mode == "data" and caller.values["account_id"] == "123456789012"

    bucket = res["aws_s3_bucket.trail"]  # an update: everything known
    assert _unknown_paths(bucket.values) == set()
    assert bucket.values["tags"] == {"Owner": "security", "Purpose": "audit"}
    sse = bucket.values["server_side_encryption_configuration"][0]["rule"][0]
    assert sse["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "AES256"
    assert bucket.values["versioning"] == [{"enabled": False, "mfa_delete": False}]

    assert _unknown_paths(res["aws_s3_bucket_public_access_block.trail"].values) == {"id"}
    assert _unknown_paths(res["aws_cloudwatch_log_group.trail[0]"].values) == set()
    assert res["aws_cloudwatch_log_group.trail[0]"].values["kms_key_id"] == ""
    assert _unknown_paths(res["aws_iam_policy.trail_reader"].values) >= {"policy", "arn"}
    trail = res["aws_cloudtrail.main"]
    assert trail.values["kms_key_id"] == AFTER_APPLY
    assert trail.values["event_selector"] == []
    assert trail.values["s3_bucket_name"] == "acme-cloudtrail-123456789012"
    # sensitive values are kept as the plan gives them
    assert res["aws_ssm_parameter.trail_webhook"].values["value"] == "example-not-a-secret"


# -- combining planned_values and resource_changes ---------------------------------------------


def test_only_deleted_and_forgotten_instances_are_left_out() -> None:
    text = _plan(
        planned_values=_pv(
            _res("aws_s3_bucket.gone", "aws_s3_bucket", "gone", {}),
            _res("aws_s3_bucket.forgotten", "aws_s3_bucket", "forgotten", {}),
            _res("aws_s3_bucket.replaced", "aws_s3_bucket", "replaced", {}),
            _res("aws_s3_bucket.kept", "aws_s3_bucket", "kept", {}),
        ),
        resource_changes=[
            _rc("aws_s3_bucket.gone", ["delete"]),
            _rc("aws_s3_bucket.forgotten", ["forget"]),
            _rc("aws_s3_bucket.replaced", ["create", "delete"]),
            _rc("aws_s3_bucket.kept", ["no-op"]),
        ],
    )
    resources, _, errors = parse_plan("p.json", text)
    assert errors == []
    assert [(r.address, r.actions) for r in resources] == [
        ("aws_s3_bucket.replaced", ("create", "delete")),
        ("aws_s3_bucket.kept", ("no-op",)),
    ]


def test_a_deposed_object_change_does_not_hide_the_current_one() -> None:
    text = _plan(
        planned_values=_pv(_res("aws_s3_bucket.b", "aws_s3_bucket", "b", {"bucket": "b"})),
        resource_changes=[
            _rc("aws_s3_bucket.b", ["delete"], deposed="00000001"),
            _rc("aws_s3_bucket.b", ["create", "delete"], {"id": True}),
        ],
    )
    (res,), _, errors = parse_plan("p.json", text)
    assert errors == []
    assert res.actions == ("create", "delete")
    assert res.values == {"bucket": "b", "id": AFTER_APPLY}


def test_unknowns_at_any_depth() -> None:
    values = {"a": 1, "blocks": [{"x": "known"}, {"x": None}], "m": {"k": "v"}, "n": None}
    unknown = {
        "blocks": [{"y": True}, {"x": True}],
        "m": {},
        "whole": True,
        "absent": {"deep": [False, {"leaf": True}]},
        "list": [False, True],
    }
    text = _plan(
        planned_values=_pv(_res("t_r.n", "t_r", "n", values)),
        resource_changes=[_rc("t_r.n", ["create"], unknown)],
    )
    (res,), _, errors = parse_plan("p.json", text)
    assert errors == []
    assert res.values == {
        "a": 1,
        "blocks": [{"x": "known", "y": AFTER_APPLY}, {"x": AFTER_APPLY}],
        "m": {"k": "v"},
        "n": None,
        "whole": AFTER_APPLY,
        "absent": {"deep": [None, {"leaf": AFTER_APPLY}]},
        "list": [None, AFTER_APPLY],
    }


def test_apply_unknowns_leaves_known_parts_alone() -> None:
    value = {"a": [1, 2], "b": {"c": "d"}}
    assert apply_unknowns(value, {"a": [False, False], "b": {}}) is value
    assert apply_unknowns(value, None) is value
    assert apply_unknowns(value, True) == AFTER_APPLY
    assert apply_unknowns([1], [False, True, False]) == [1, AFTER_APPLY, None]
    # a mirror that does not fit the value is ignored rather than trusted
    assert apply_unknowns("text", {"x": True}) == "text"
    assert apply_unknowns({"x": 1}, [True]) == {"x": 1}


def test_planned_values_without_values_take_the_change_after() -> None:
    entry = {"address": "t_r.n", "mode": "managed", "type": "t_r", "name": "n"}
    text = _plan(
        planned_values=_pv(entry),
        resource_changes=[
            {"address": "t_r.n", "change": {"actions": ["create"], "after": {"a": 1}}}
        ],
    )
    (res,), _, errors = parse_plan("p.json", text)
    assert errors == []
    assert res.values == {"a": 1}


def test_module_paths_and_addresses() -> None:
    assert strip_instance_keys('module.a["x.y]z"].module.b[0]') == "module.a.module.b"
    assert strip_instance_keys('module.a["q\\"]"].module.b') == "module.a.module.b"
    assert strip_instance_keys("") == ""
    assert split_module_path('module.a["k"].module.b[3]') == ["a", "b"]
    sources = {"module.a": "./a", "module.a.module.b": "../shared/b", "module.r": "org/x/aws"}
    assert module_dir(sources, 'module.a["k"].module.b[3]') == "shared/b"
    assert module_dir(sources, "module.r") is None  # registry module: not in the tree
    assert module_dir(sources, "module.missing") is None


def test_child_module_resources_take_the_module_address() -> None:
    child = {
        "address": 'module.m["a.b"]',
        "resources": [_res('module.m["a.b"].t_r.n[0]', "t_r", "n", {}, index=0)],
        "child_modules": [
            {
                "address": 'module.m["a.b"].module.inner',
                "resources": [_res('module.m["a.b"].module.inner.data.t_d.n', "t_d", "n", {})],
            }
        ],
    }
    resources, _, errors = parse_plan("p.json", _plan(planned_values=_pv(child_modules=[child])))
    assert errors == []
    assert [(r.module_address, r.mode, r.index, r.config_key) for r in resources] == [
        ('module.m["a.b"]', "managed", 0, ("module.m", "managed", "t_r", "n")),
        (
            'module.m["a.b"].module.inner',
            "data",
            None,
            ("module.m.module.inner", "data", "t_d", "n"),
        ),
    ]


def test_prior_state_data_sources_need_a_declaration_and_no_change() -> None:
    def data(name: str) -> dict[str, Any]:
        return _res(f"data.t_d.{name}", "t_d", name, {"v": name})

    configuration = {
        "root_module": {
            "resources": [
                {"address": f"data.t_d.{n}", "mode": "data", "type": "t_d", "name": n}
                for n in ("read", "deferred")
            ]
        }
    }
    text = _plan(
        planned_values=_pv(),
        resource_changes=[_rc("data.t_d.deferred", ["read"])],
        prior_state={
            "values": {"root_module": {"resources": [data("read"), data("deferred"), data("old")]}}
        },
        configuration=configuration,
    )
    resources, _, errors = parse_plan("p.json", text)
    assert errors == []
    assert [r.address for r in resources] == ["data.t_d.read"]


# -- errors, never exceptions ------------------------------------------------------------------


def test_not_json_gives_the_line() -> None:
    text = '{\n  "format_version": "1.2",\n  planned_values: {}\n}\n'
    resources, sources, errors = parse_plan("plan.json", text)
    assert (resources, sources) == ([], {})
    assert len(errors) == 1
    assert errors[0].path == "plan.json" and errors[0].line == 3 and errors[0].column == 3
    assert "JSON" in errors[0].message


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[1, 2]", "list"),
        ('"plan"', "str"),
        ("{}", "format_version"),
        ('{"version": 4, "terraform_version": "1.8.5", "resources": []}', "format_version"),
        ('{"format_version": 1.2, "planned_values": {}}', "format_version"),
        ('{"format_version": "one", "planned_values": {}}', "format_version"),
        ('{"format_version": "1.2"}', "planned_values"),
        ('{"format_version": "1.0", "values": {"root_module": {}}}', "state"),
        ('{"format_version": "1.2", "planned_values": []}', "planned_values"),
    ],
)
def test_json_that_is_not_a_plan(text: str, needle: str) -> None:
    resources, _, errors = parse_plan("x.json", text)
    assert resources == []
    assert len(errors) == 1 and needle in errors[0].message, errors
    assert errors[0].line == 1


@pytest.mark.parametrize("version", ["2.0", "0.2", "10.1"])
def test_unsupported_format_version(version: str) -> None:
    text = json.dumps({"format_version": version, "planned_values": {"root_module": {}}})
    resources, _, errors = parse_plan("x.json", text)
    assert resources == []
    assert len(errors) == 1
    assert "unsupported" in errors[0].message and repr(version) in errors[0].message


def test_newer_minor_versions_and_unknown_properties_are_read() -> None:
    text = json.dumps(
        {
            "format_version": "1.9",
            "some_future_field": {"x": 1},
            "planned_values": _pv(_res("t_r.n", "t_r", "n", {"a": 1}, new_key=True)),
        }
    )
    (res,), _, errors = parse_plan("x.json", text)
    assert errors == [] and res.values == {"a": 1} and res.actions == ()


def test_an_errored_plan_is_read_with_an_error() -> None:
    text = _plan(planned_values=_pv(_res("t_r.n", "t_r", "n", {})), errored=True)
    resources, _, errors = parse_plan("x.json", text)
    assert [r.address for r in resources] == ["t_r.n"]
    assert len(errors) == 1 and "errored" in errors[0].message


def test_malformed_entries_are_skipped_with_their_line() -> None:
    text = _plan(
        planned_values=_pv(
            _res("t_r.ok", "t_r", "ok", {}),
            {"address": "t_r.bad", "mode": "managed", "values": {}},
            "not an object",
        ),
        resource_changes={"not": "a list"},
    )
    resources, _, errors = parse_plan("x.json", text)
    assert [r.address for r in resources] == ["t_r.ok"]
    assert len(errors) == 3
    bad = next(e for e in errors if "t_r.bad" in e.message)
    assert text.splitlines()[bad.line - 1].strip() == '"address": "t_r.bad",'


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"format_version": "1.2", "planned_values": {"root_module": {}}, "x": ' + "9" * 5000 + "}",
        "",
        "\ufeff{}",
        "NaN",
    ],
)
def test_pathological_input_gives_errors(text: str) -> None:
    resources, _, errors = parse_plan("x.json", text)
    assert resources == [] and errors


@pytest.mark.parametrize("depth", [200, 900, 5000])
def test_deeply_nested_values_do_not_raise(depth: int) -> None:
    deep = '{"a": ' * depth + "true" + "}" * depth
    text = _plan(
        planned_values=_pv(_res("t_r.n", "t_r", "n", {})),
        resource_changes=[_rc("t_r.n", ["create"], {"x": "DEEP"})],
    ).replace('"DEEP"', deep)
    resources, _, errors = parse_plan("x.json", text)
    if errors:  # too deep for Python's json or for the merge: reported, not raised
        assert resources == [] and "deep" in errors[0].message
    else:
        (res,) = resources
        leaf = res.values["x"]
        for _ in range(depth):
            leaf = leaf["a"]
        assert leaf == AFTER_APPLY


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)
KEYS = st.sampled_from(["a", "b", "c"])
MIRRORS = st.recursive(
    st.booleans() | st.none(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=3),
    max_leaves=15,
)


@given(JSON_VALUES)
def test_random_json_never_raises(value: Any) -> None:
    resources, sources, errors = parse_plan("x.json", json.dumps(value))
    assert isinstance(resources, list) and isinstance(sources, dict) and isinstance(errors, list)


@given(st.text(max_size=40))
def test_random_text_never_raises(text: str) -> None:
    parse_plan("x.json", text)


@given(
    values=st.dictionaries(KEYS, JSON_VALUES, max_size=4),
    unknown=MIRRORS,
    actions=JSON_VALUES,
    module=st.sampled_from(["", "module.m", 'module.m["k"]', "module.a[0].module.b"]),
    index=st.none() | st.integers() | st.text(max_size=4) | st.booleans(),
    extra=st.dictionaries(
        st.sampled_from(["configuration", "prior_state", "errored", "resource_changes"]),
        JSON_VALUES,
        max_size=2,
    ),
)
def test_random_plan_shapes_never_raise(
    values: dict, unknown: Any, actions: Any, module: str, index: Any, extra: dict
) -> None:
    address = f"{module}.t_r.n" if module else "t_r.n"
    resource = {"address": address, "mode": "managed", "type": "t_r", "name": "n", "index": index}
    resource["values"] = values
    root: dict[str, Any] = {"resources": [] if module else [resource]}
    if module:
        root["child_modules"] = [{"address": module, "resources": [resource]}]
    doc: dict[str, Any] = {
        "format_version": "1.2",
        "planned_values": {"root_module": root},
        "resource_changes": [
            {"address": address, "change": {"actions": actions, "after_unknown": unknown}}
        ],
    }
    doc.update(extra)
    resources, _, _ = parse_plan("x.json", json.dumps(doc))
    for res in resources:
        assert isinstance(res.values, dict)
        assert res.index is None or isinstance(res.index, (int, str))
        assert not isinstance(res.index, bool)


@given(JSON_VALUES, MIRRORS)
def test_apply_unknowns_never_raises_and_only_adds_where_marked(value: Any, unknown: Any) -> None:
    merged = apply_unknowns(value, unknown)
    if not _unknown_paths_in_mirror(unknown):
        assert merged is value


def _unknown_paths_in_mirror(unknown: Any) -> bool:
    if unknown is True:
        return True
    if isinstance(unknown, dict):
        return any(_unknown_paths_in_mirror(v) for v in unknown.values())
    if isinstance(unknown, list):
        return any(_unknown_paths_in_mirror(v) for v in unknown)
    return False
