"""The Compose reader: services by name, interpolation, extends, and one shape for the short
and long syntaxes of environment, volumes, ports and capabilities."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from soc2lint import platforms
from soc2lint.model import Unknown
from soc2lint.pipeline import unsupported
from soc2lint.platforms.docker_compose.interpolate import interpolate
from soc2lint.platforms.docker_compose.platform import PLATFORM


def _services(text: str) -> dict:
    parsed = PLATFORM.parse("docker-compose.yml", text, "compose")
    assert not parsed.errors, parsed.errors
    return {r.address: r for r in parsed.resources}


def test_compose_files_are_claimed_by_name_and_no_longer_listed_as_unread() -> None:
    for path in (
        "docker-compose.yml",
        "deploy/docker-compose.prod.yaml",
        "compose.yaml",
        "compose.override.yml",
    ):
        assert platforms.claim(path) == ("docker_compose", "compose"), path
        assert unsupported.by_path(path) is None, path
    for path in ("composer.json", "my-compose.yml", "compose.json"):
        assert platforms.claim(path) != ("docker_compose", "compose"), path
    assert "docker-compose file" not in unsupported.kinds()


def test_interpolation_defaults_escapes_and_unknowns() -> None:
    assert interpolate("nginx:${TAG:-1.25}") == "nginx:1.25"
    assert interpolate("nginx:${TAG-1.25}") == "nginx:1.25"
    assert interpolate("${A:-${B:-x}}y") == "xy"
    assert interpolate("cost $$5") == "cost $5"
    assert interpolate("no variables") == "no variables"
    for text in ("${TAG}", "$TAG", "${TAG:?set it}", "${TAG:+x}", "${A:-${B}}", "${TAG"):
        value = interpolate(f"nginx:{text}")
        assert isinstance(value, Unknown), text
        assert value.prefix == "nginx:"


@given(st.text(max_size=60))
def test_interpolation_never_raises(text: str) -> None:
    value = interpolate(text)
    assert isinstance(value, (str, Unknown))
    if "$" not in text:
        assert value == text


def test_extends_merges_and_keeps_each_value_where_it_is_written() -> None:
    services = _services(
        "services:\n"
        "  base:\n"
        "    image: alpine:3.19\n"
        "    cap_add: [sys_admin]\n"
        "    environment:\n"
        "      - LEVEL=1\n"
        "  web:\n"
        "    extends: base\n"
        "    environment:\n"
        "      TOKEN: abc\n"
        "    cap_add: [CAP_NET_ADMIN]\n"
    )
    web = services["service.web"]
    assert web.attributes["image"] == "alpine:3.19"
    assert web.attributes["cap_add"] == ["SYS_ADMIN", "NET_ADMIN"]
    assert web.attributes["environment"] == [
        {"name": "LEVEL", "value": "1"},
        {"name": "TOKEN", "value": "abc"},
    ]
    lines = {k: v.start_line for k, v in web.attribute_locations.items()}
    assert lines["image"] == 3 and lines["cap_add.0"] == 4 and lines["cap_add.1"] == 11
    assert lines["environment.0.value"] == 6 and lines["environment.1.value"] == 10
    assert web.location.start_line == 7


def test_extends_loops_and_missing_services_are_parse_errors() -> None:
    parsed = PLATFORM.parse(
        "docker-compose.yml",
        "services:\n  a:\n    extends: b\n  b:\n    extends: a\n  c:\n    extends: nope\n",
        "compose",
    )
    assert {r.address for r in parsed.resources} == {"service.a", "service.b", "service.c"}
    messages = [(e.line, e.message) for e in parsed.errors]
    assert any("loop" in m for _, m in messages)
    assert (7, "service c extends 'nope', not in the file") in messages


def test_volume_and_port_syntaxes() -> None:
    web = _services(
        "services:\n"
        "  web:\n"
        "    image: nginx:1.25\n"
        "    volumes:\n"
        "      - /var/run/docker.sock:/var/run/docker.sock:ro\n"
        "      - data:/data\n"
        "      - ${DIR}:/src\n"
        "      - ${DIR:-./src}:/src\n"
        "      - /cache\n"
        "    ports:\n"
        "      - 8080:80\n"
        "      - 127.0.0.1:5432:5432/tcp\n"
        "      - '[::1]:6379:6379'\n"
        "      - 9000\n"
    )["service.web"]
    volumes = web.attributes["volumes"]
    assert volumes[0] == {
        "type": "bind",
        "source": "/var/run/docker.sock",
        "target": "/var/run/docker.sock",
        "read_only": True,
    }
    assert volumes[1]["type"] == "volume"
    assert isinstance(volumes[2]["source"], Unknown) and isinstance(volumes[2]["type"], Unknown)
    assert volumes[2]["target"] == "/src"
    assert volumes[3]["type"] == "bind" and volumes[3]["source"] == "./src"
    assert volumes[4] == {"type": "volume", "target": "/cache", "read_only": False}
    ports = web.attributes["ports"]
    assert [(p["host_ip"], p.get("published"), p["target"]) for p in ports] == [
        ("0.0.0.0", "8080", "80"),
        ("127.0.0.1", "5432", "5432"),
        ("::1", "6379", "6379"),
        ("0.0.0.0", None, "9000"),
    ]
    assert web.attribute_locations["volumes.3.source"].start_line == 8


def test_environment_list_form_keeps_names_of_variable_values() -> None:
    api = _services(
        "services:\n  api:\n    image: a:1\n    environment:\n"
        "      - DB_PASSWORD=${DB_PASSWORD}\n      - FROM_SHELL\n      - PORT=8080\n"
    )["service.api"]
    env = api.attributes["environment"]
    assert env[0]["name"] == "DB_PASSWORD" and isinstance(env[0]["value"], Unknown)
    assert env[1] == {"name": "FROM_SHELL"}
    assert env[2] == {"name": "PORT", "value": "8080"}


def test_a_file_without_services_has_no_resources_and_no_errors() -> None:
    parsed = PLATFORM.parse("compose.yaml", "version: '3.8'\nvolumes:\n  data: {}\n", "compose")
    assert parsed.platform == "docker_compose"
    assert parsed.resources == [] and parsed.errors == []
    parsed = PLATFORM.parse("compose.yaml", "services:\n  web: [1, 2]\n", "compose")
    assert [e.message for e in parsed.errors] == ["service web is not a mapping"]
    assert re.fullmatch(r"service\.web", parsed.resources[0].address)


def test_ports_are_split_before_their_variables_are_read() -> None:
    db = _services(
        "services:\n  db:\n    image: postgres:16\n    ports:\n"
        '      - "${BIND:-127.0.0.1}:5432:5432"\n'
        '      - "${BIND}:5433:5432"\n'
        '      - "${PORT:-5434}:5432/udp"\n'
        "      - target: 6379\n        published: 6379\n"
    )["service.db"]
    ports = db.attributes["ports"]
    assert ports[0] == {
        "host_ip": "127.0.0.1",
        "published": "5432",
        "target": "5432",
        "protocol": "tcp",
    }
    assert isinstance(ports[1]["host_ip"], Unknown) and ports[1]["target"] == "5432"
    assert (ports[2]["published"], ports[2]["protocol"]) == ("5434", "udp")
    # the long syntax without host_ip listens on every interface too
    assert ports[3] == {"target": 6379, "published": 6379, "host_ip": "0.0.0.0"}
