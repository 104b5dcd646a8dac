"""Terraform number, encoding and network functions (min, jsonencode, cidrsubnet, ...)."""

from __future__ import annotations

import base64
import ipaddress
import json
import math
import re
from decimal import Decimal
from typing import Any

from soc2lint.platforms.terraform.functions.core import (
    _DECIMAL,
    _decimal,
    _from_decimal,
    _int,
    _json,
    _list,
    _num,
    _str,
    _Unsupported,
    function,
)

# --- numbers ----------------------------------------------------------------------------------


@function("min")
def _min(*values: Any) -> int | float:
    """min(numbers...): the smallest."""
    return min(_num(value) for value in values)


@function("max")
def _max(*values: Any) -> int | float:
    """max(numbers...): the largest."""
    return max(_num(value) for value in values)


@function("abs")
def _abs(value: Any) -> int | float:
    """abs(n): n without its sign."""
    return abs(_num(value))


@function("ceil")
def _ceil(value: Any) -> int:
    """ceil(n): the smallest whole number not less than n."""
    return math.ceil(_num(value))


@function("floor")
def _floor(value: Any) -> int:
    """floor(n): the largest whole number not greater than n."""
    return math.floor(_num(value))


@function("sum")
def _sum(items: Any) -> int | float:
    """sum(list): the total of a non-empty list of numbers."""
    numbers = [_num(item) for item in _list(items)]
    if not numbers:
        raise ValueError("cannot sum an empty list")
    total = Decimal(0)
    for n in numbers:
        total = _DECIMAL.add(total, _decimal(n))
    return _from_decimal(total)


# --- encodings --------------------------------------------------------------------------------


@function("jsonencode")
def _jsonencode(value: Any) -> str:
    """jsonencode(v): v as minified JSON with sorted keys."""
    return _json(value)


def _json_float(text: str) -> float:
    """A JSON number as a float; one too large for a float is Unknown rather than infinite."""
    result = float(text)
    if not math.isfinite(result):
        raise _Unsupported(f"JSON number {text} is beyond a float")
    return result


def _json_constant(name: str) -> Any:
    """JSON has no NaN or Infinity, though Python's decoder accepts them."""
    raise ValueError(f"invalid JSON value {name}")


@function("jsondecode")
def _jsondecode(text: Any) -> Any:
    """jsondecode(s): the value a JSON document represents."""
    return json.loads(_str(text), parse_float=_json_float, parse_constant=_json_constant)


@function("base64encode")
def _base64encode(text: Any) -> str:
    """base64encode(s): the Base64 of s's UTF-8 bytes."""
    return base64.b64encode(_str(text).encode("utf-8")).decode("ascii")


@function("base64decode")
def _base64decode(text: Any) -> str:
    """base64decode(s): the UTF-8 text that s encodes in Base64."""
    encoded = _str(text).replace("\r", "").replace("\n", "")
    return base64.b64decode(encoded, validate=True).decode("utf-8")


# --- networks ---------------------------------------------------------------------------------


def _network(prefix: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A CIDR prefix as a network; host bits are dropped, IPv4 octets with leading zeros are
    decimal as in Terraform."""
    text = _str(prefix)
    address, slash, bits = text.partition("/")
    if not slash or not re.fullmatch(r"[0-9]+", bits):
        raise ValueError(f"invalid CIDR prefix {text!r}")
    if re.fullmatch(r"[0-9]+(\.[0-9]+){3}", address):
        address = ".".join(str(int(octet)) for octet in address.split("."))
    return ipaddress.ip_network(f"{address}/{int(bits)}", strict=False)


@function("cidrsubnet")
def _cidrsubnet(prefix: Any, newbits: Any, netnum: Any) -> str:
    """cidrsubnet(prefix, newbits, netnum): subnet netnum of the prefix extended by newbits."""
    network, extra, index = _network(prefix), _int(newbits), _int(netnum)
    length = network.prefixlen + extra
    if extra < 0 or length > network.max_prefixlen:
        raise ValueError(f"cannot extend /{network.prefixlen} by {extra} bits")
    if not 0 <= index < 2**extra:
        raise ValueError(f"netnum {index} does not fit in {extra} bits")
    address = int(network.network_address) + (index << (network.max_prefixlen - length))
    return str(type(network)((address, length)))


@function("cidrhost")
def _cidrhost(prefix: Any, hostnum: Any) -> str:
    """cidrhost(prefix, hostnum): the address of host hostnum (negative: from the end)."""
    network, index = _network(prefix), _int(hostnum)
    size = 2 ** (network.max_prefixlen - network.prefixlen)
    if index < 0:
        index += size
    if not 0 <= index < size:
        raise ValueError(f"host number {hostnum} is outside {network}")
    return str(network.network_address + index)


@function("cidrnetmask")
def _cidrnetmask(prefix: Any) -> str:
    """cidrnetmask(prefix): the dotted-decimal netmask of an IPv4 prefix."""
    network = _network(prefix)
    if network.version != 4:
        raise ValueError("cidrnetmask only accepts IPv4 prefixes")
    return str(network.netmask)
