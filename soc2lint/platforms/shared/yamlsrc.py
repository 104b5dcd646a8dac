"""YAML documents as plain Python values with the line of every key and item.

ruamel.yaml's round-trip loader keeps positions and never constructs arbitrary objects. It reads
YAML 1.2, so `on`, `yes` and `no` stay strings; integers written with a leading zero (`0644`)
are kept as the text written rather than guessed as octal or decimal. Aliases are shared nodes in
ruamel's tree; expanding them into plain values is bounded, so an alias bomb ("billion laughs")
becomes a parse error instead of eating memory.

Speed: the same round-trip constructor and YAML 1.2 resolver run over nodes composed by
ruamel's C parser (libyaml, from ruamel.yaml.clib), which keeps every node's line and column;
that is several times faster than the pure-Python scanner, most of whose time goes to gathering
comments nobody here reads. The pure loader still decides whenever the C path cannot: a syntax
error (its messages and lines are the ones reported), anything libyaml reads differently (a
`%YAML` directive; plain scalars such as `[a:b]` that only YAML 1.2 allows, which libyaml
rejects), and text that could nest deeper than the C composer's stack allows.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.constructor import RoundTripConstructor, SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarint import ScalarInt

try:
    from _ruamel_yaml import CParser
except ImportError:  # pragma: no cover - no C extension (PyPy, a source-only install)
    CParser = None

from soc2lint.model import Location, ParseError
from soc2lint.platforms.shared import jsonsrc

MAX_NODES = 250_000  # values one document may expand to, aliases included
MAX_DEPTH = 100


@dataclass(frozen=True)
class YamlDoc:
    """One YAML document: its value, where each part is written, and its line span."""

    data: Any
    # dotted path ("spec.containers.0.image") -> (line, column), both 1-based
    locations: dict[str, tuple[int, int]] = field(default_factory=dict)
    start_line: int = 1
    end_line: int = 1
    index: int = 0
    # plain scalars YAML 1.1 reads differently (yes/no/on/off booleans, 0644 octal): path as a
    # tuple of steps (key strings, list indices as ints; never a dotted string, since a key may
    # itself hold dots) -> the YAML 1.1 value, for consumers that use YAML 1.1 (Kubernetes)
    yaml11: dict[tuple[str | int, ...], Any] = field(default_factory=dict)

    def under(self, prefix: str) -> list[tuple[str, tuple[int, int]]]:
        """(key, position) of every part below the dotted prefix ("": all), in key order.

        Keys below "a.b" sort between "a.b." and "a.b/" ("/" follows "."), so this is a
        bisection of the sorted keys, not a scan: a file of thousands of jobs or List items is
        not read once per item."""
        keys = self.__dict__.get("_sorted_keys")
        if keys is None:
            keys = sorted(self.locations)
            object.__setattr__(self, "_sorted_keys", keys)
        if not prefix:
            return [(k, self.locations[k]) for k in keys]
        low, high = bisect_left(keys, prefix + "."), bisect_left(keys, prefix + "/")
        return [(k, self.locations[k]) for k in keys[low:high]]

    def located(self, path: str, prefix: str) -> dict[str, Location]:
        """Where each part under the dotted prefix is written, keyed relative to prefix."""
        cut = len(prefix) + 1 if prefix else 0
        # one Location per line, shared by every resource of the document that points there:
        # a job and its steps name the same places (Locations are immutable)
        made = self.__dict__.get("_made")
        if made is None or made[0] != path:
            made = (path, {})
            object.__setattr__(self, "_made", made)
        lines: dict[int, Location] = made[1]
        out = {}
        for key, (line, _c) in self.under(prefix):
            loc = lines.get(line)
            if loc is None:
                loc = lines[line] = Location(path, line, line)
            out[key[cut:]] = loc
        return out

    def span(self, prefix: str) -> tuple[int, int]:
        """(first, last) line of the part under the dotted prefix."""
        start = self.locations.get(prefix, (self.start_line, 1))[0]
        return start, max([start, *(line for _k, (line, _c) in self.under(prefix))])


class _TooLarge(Exception):
    pass


class _Budget:
    """Values a whole file may expand to, across all its documents: without aliases a file
    cannot hold more values than it has characters, so only an alias bomb reaches this."""

    def __init__(self, text: str) -> None:
        self.left = MAX_NODES + len(text)
        self.limit = self.left


class _Converter:
    def __init__(self, budget: _Budget | None = None) -> None:
        self.budget = budget if budget is not None else _Budget("")  # one document alone
        self.nodes = 0
        self.locations: dict[str, tuple[int, int]] = {}
        self.last_line = 1
        self.yaml11: dict[tuple[str | int, ...], Any] = {}

    def value(self, node: Any, path: str, depth: int, steps: tuple[str | int, ...] = ()) -> Any:
        self.nodes += 1
        self.budget.left -= 1
        if self.budget.left < 0:
            raise _TooLarge(
                f"aliases expand the file to more than {self.budget.limit} values (alias bomb?)"
            )
        if depth > MAX_DEPTH:
            raise _TooLarge(f"nesting deeper than {MAX_DEPTH} levels")
        if isinstance(node, CommentedMap):
            out: dict[str, Any] = {}
            for key, item in node.items():
                name = str(key) if not isinstance(key, bool) else ("true" if key else "false")
                child = f"{path}.{name}" if path else name
                line, col = _key_position(node, key)
                # a key written with dots (`securityContext.privileged`) has the same dotted
                # path as the nested value: the nested one keeps (or takes) the place
                if line and ("." not in name or child not in self.locations):
                    self.locations[child] = (line, col)
                    self.last_line = max(self.last_line, line)
                out[name] = self.value(item, child, depth + 1, (*steps, name))
            return out
        if isinstance(node, CommentedSeq):
            items = []
            for i, item in enumerate(node):
                child = f"{path}.{i}" if path else str(i)
                try:
                    line, col = node.lc.item(i)
                    self.locations[child] = (line + 1, col + 1)
                    self.last_line = max(self.last_line, line + 1)
                except (AttributeError, KeyError, TypeError):
                    pass
                items.append(self.value(item, child, depth + 1, (*steps, i)))
            return items
        value = _scalar(node)
        old = _yaml11(node, value)
        if old is not None:
            self.yaml11[steps] = old
        return value


_YAML11_BOOLS = {"y": True, "yes": True, "on": True, "n": False, "no": False, "off": False}


def _yaml11(node: Any, value: Any) -> Any:
    """The value YAML 1.1 gives a plain scalar where it differs from YAML 1.2's, else None."""
    if type(node) is str and node.lower() in _YAML11_BOOLS:  # plain, unquoted
        return _YAML11_BOOLS[node.lower()]
    if isinstance(value, str) and type(node) is ScalarInt and value.isdigit():
        try:
            return int(value, 8)  # a leading zero: octal in YAML 1.1
        except ValueError:
            return None
    return None


def _key_position(node: CommentedMap, key: Any) -> tuple[int, int]:
    try:
        line, col = node.lc.key(key)
        return line + 1, col + 1
    except (AttributeError, KeyError, TypeError):
        return 0, 0


def _scalar(node: Any) -> Any:
    if isinstance(node, bool) or node is None:
        return node
    if type(node) is ScalarInt and getattr(node, "_width", None):
        text = str(int(node))
        if node._width > len(text) and node >= 0:  # written with leading zeros: keep it as text
            return text.zfill(node._width)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, (dt.date, dt.datetime)):
        return node.isoformat()
    if isinstance(node, TaggedScalar):
        return str(node.value)
    return str(node)


# The C composer recurses on the C stack (no Python recursion limit): text that could nest
# thousands deep goes to the pure loader, which turns that into a parse error. Block nesting
# needs a character of indentation or an indicator per level on a line, flow nesting a bracket.
_MAX_C_NESTING = 1000
_LONG_LINE = re.compile(rf"^[^\n]{{{_MAX_C_NESTING}}}", re.M)
_BRACKET = re.compile(r"[\[\]{}]")
_DIRECTIVE = re.compile(r"^%YAML", re.M)


def _c_readable(text: str) -> bool:
    """Whether the C parser may read text: no `%YAML` directive, no nesting near its limit."""
    if CParser is None or _DIRECTIVE.search(text) or _LONG_LINE.search(text):
        return False
    if text.count("[") + text.count("{") <= _MAX_C_NESTING:
        return True
    depth = 0
    for match in _BRACKET.finditer(text):  # brackets in strings only make this cautious
        depth = depth + 1 if match.group() in "[{" else max(0, depth - 1)
        if depth >= _MAX_C_NESTING:
            return False
    return True


if CParser is not None:

    class _CLoader(CParser, RoundTripConstructor, VersionedResolver):  # type: ignore[misc]
        """ruamel's round-trip constructor and YAML 1.2 resolver over libyaml's nodes."""

        # no `%YAML` directive reaches the C path, so every document is YAML 1.2 (the resolver
        # would otherwise look the version up, failing twice, for every scalar)
        processing_version = (1, 2)

        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            self._parser = self._composer = self
            RoundTripConstructor.__init__(self, preserve_quotes=True, loader=self)
            self.allow_duplicate_keys = False
            self.comment_handling = None
            VersionedResolver.__init__(self, version=None, loadumper=self)


_STR, _MAP, _SEQ = (f"tag:yaml.org,2002:{t}" for t in ("str", "map", "seq"))


class _Unusual(Exception):
    """A node the direct conversion leaves to ruamel's constructor (see _NodeConverter)."""


class _NodeConverter(_Converter):
    """Plain values straight from the C parser's nodes, without building ruamel's commented
    objects first: what _Converter makes of the constructed tree, with the same positions
    (each key's and item's start mark, which is what the constructor records) and the same
    budget. Strings are taken as written (a `>` block's fold markers removed, as the
    constructor does); other scalars (numbers, booleans, null, timestamps, custom tags) are
    still made by the constructor, so they read exactly as before. Anything else, a mapping or
    sequence with a tag, a key that is not a string, a merge key or a key given twice, raises
    _Unusual and the file is read by the constructor path instead."""

    def __init__(self, budget: _Budget, loader: Any) -> None:
        super().__init__(budget)
        self.loader = loader

    def value(self, node: Any, path: str, depth: int, steps: tuple[str | int, ...] = ()) -> Any:
        self.nodes += 1
        self.budget.left -= 1
        if self.budget.left < 0:
            raise _TooLarge(
                f"aliases expand the file to more than {self.budget.limit} values (alias bomb?)"
            )
        if depth > MAX_DEPTH:
            raise _TooLarge(f"nesting deeper than {MAX_DEPTH} levels")
        kind = type(node)
        if kind is MappingNode:
            if node.tag != _MAP:
                raise _Unusual(node.tag)
            out: dict[str, Any] = {}
            for key, item in node.value:
                if type(key) is not ScalarNode or key.tag != _STR or key.style in ("|", ">"):
                    raise _Unusual("key")
                name = key.value
                if name in out:
                    raise _Unusual("a key given twice")
                child = f"{path}.{name}" if path else name
                line = key.start_mark.line + 1
                if "." not in name or child not in self.locations:
                    self.locations[child] = (line, key.start_mark.column + 1)
                    if line > self.last_line:
                        self.last_line = line
                out[name] = self.value(item, child, depth + 1, (*steps, name))
            return out
        if kind is SequenceNode:
            if node.tag != _SEQ:
                raise _Unusual(node.tag)
            items = []
            for i, item in enumerate(node.value):
                child = f"{path}.{i}" if path else str(i)
                line = item.start_mark.line + 1
                self.locations[child] = (line, item.start_mark.column + 1)
                if line > self.last_line:
                    self.last_line = line
                items.append(self.value(item, child, depth + 1, (*steps, i)))
            return items
        if node.tag == _STR:
            text = node.value
            if node.style == ">":
                return text.replace("\a", "")
            if not node.style and text.lower() in _YAML11_BOOLS:  # plain, unquoted
                self.yaml11[steps] = _YAML11_BOOLS[text.lower()]
            return text
        constructed = self.loader.construct_object(node, deep=True)
        value = _scalar(constructed)
        old = _yaml11(constructed, value)
        if old is not None:
            self.yaml11[steps] = old
        return value


def _load_nodes(text: str, budget: _Budget) -> list[YamlDoc] | None:
    """The documents read through the C parser and converted from its nodes; None when the
    pure loader must decide; _Unusual when the constructor path must (see _NodeConverter)."""
    loader = _CLoader(text)
    docs: list[YamlDoc] = []
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            converter = _NodeConverter(budget, loader)
            data = converter.value(node, "", 0)
            if data is not None:
                start = node.start_mark.line + 1 if type(node) is not ScalarNode else 1
                end = max(start, converter.last_line)
                docs.append(YamlDoc(data, converter.locations, start, end, index, converter.yaml11))
            index += 1
    except _Unusual:
        raise
    except Exception:  # noqa: BLE001 - any problem: the pure loader reads it and words it
        return None
    finally:
        loader.dispose()
    return docs


if CParser is not None:

    class _CSafeLoader(CParser, SafeConstructor, VersionedResolver):  # type: ignore[misc]
        """ruamel's safe constructor and YAML 1.2 resolver over libyaml's nodes."""

        processing_version = (1, 2)

        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            self._parser = self._composer = self
            SafeConstructor.__init__(self, loader=self)
            self.allow_duplicate_keys = False
            VersionedResolver.__init__(self, version=None, loadumper=self)


NotPlain = _Unusual  # what plain_load raises where ruamel's own loader must decide


def plain_load(text: str) -> Any:
    """What `YAML(typ="safe").load(text)` gives for one document of plain data, made from the C
    parser's nodes (strings as written, other scalars by ruamel's safe constructor); raises
    _Unusual where that path must decide instead (no C parser, a tag on a collection, a key
    that is not a string, a merge key, a key given twice, several documents, deep nesting,
    any error), so its errors and messages stay ruamel's."""
    if CParser is None or not _c_readable(text):
        raise _Unusual("no C path")
    loader = _CSafeLoader(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _plain(node, loader, 0)
    except _Unusual:
        raise
    except Exception as exc:  # noqa: BLE001 - the safe loader reads it and words the error
        raise _Unusual(str(exc)) from None
    finally:
        loader.dispose()


def _plain(node: Any, loader: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise _Unusual("deep")
    kind = type(node)
    if kind is MappingNode:
        if node.tag != _MAP:
            raise _Unusual(node.tag)
        out: dict[str, Any] = {}
        for key, item in node.value:
            if type(key) is not ScalarNode or key.tag != _STR or key.value in out:
                raise _Unusual("key")
            out[key.value] = _plain(item, loader, depth + 1)
        return out
    if kind is SequenceNode:
        if node.tag != _SEQ:
            raise _Unusual(node.tag)
        return [_plain(item, loader, depth + 1) for item in node.value]
    if node.tag == _STR:
        return node.value
    return loader.construct_object(node, deep=True)


def _load_fast(text: str, budget: _Budget) -> list[YamlDoc] | None:
    """The documents read through the C parser, or None when the pure loader must decide (a
    syntax error, a file over its budget, anything the C path does not take)."""
    loader = _CLoader(text)
    docs: list[YamlDoc] = []
    try:
        index = 0
        while loader.check_data():
            raw = loader.get_data()
            if raw is not None:
                converter = _Converter(budget)
                data = converter.value(raw, "", 0)
                start = _start_line(raw)
                end = max(start, converter.last_line)
                docs.append(YamlDoc(data, converter.locations, start, end, index, converter.yaml11))
            index += 1
    except Exception:  # noqa: BLE001 - any problem: the pure loader reads it and words it
        return None
    finally:
        loader.dispose()
    return docs


def load_documents(path: str, text: str) -> tuple[list[YamlDoc], list[ParseError]]:
    """Every document in text; a document that does not load is a ParseError at its line, and
    the documents after it are still read (a duplicate key in one object must not hide the
    privileged Pod after it). A `.json` file is read as JSON, never as YAML."""
    if path.endswith(".json"):
        return _load_json(path, text)
    if _c_readable(text):
        try:
            fast = _load_nodes(text, _Budget(text))
        except _Unusual:
            fast = _load_fast(text, _Budget(text))
        if fast is not None:
            return fast, []
    # the pure loader decides whatever the C path did not take, and words every error
    budget = _Budget(text)
    docs, errors, broken = _load_stream(path, text, budget, 0)
    if not broken or not _DOC_MARKER.search(text):
        return docs, errors
    # read the stream again one document at a time: the markers end a document whatever it
    # holds (block scalars and flow collections cannot run past a `---` at column 1)
    docs, errors = [], []
    budget = _Budget(text)
    lines = text.split("\n")
    starts = [0] + [i for i, line in enumerate(lines) if _DOC_MARKER.fullmatch(line)]
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        chunk = "\n" * start + "\n".join(lines[start:end])
        more, problems, _broken = _load_stream(path, chunk, budget, len(docs))
        docs += more
        errors += problems
        if budget.left < 0:
            break
    return docs, errors


def _load_json(path: str, text: str) -> tuple[list[YamlDoc], list[ParseError]]:
    try:
        value = jsonsrc.parse(text)
    except jsonsrc.JsonError as exc:
        return [], [ParseError(path, exc.line, f"invalid JSON: {exc.message}", exc.column)]
    repeated = jsonsrc.repeated_name(value)
    if repeated is not None:  # tools disagree on which one counts: say so, read neither
        return [], [ParseError(path, repeated[1], f"invalid JSON: duplicate key {repeated[0]!r}")]
    data, locations, end = jsonsrc.located(value)
    start = min((line for line, _c in locations.values()), default=1)
    return [YamlDoc(data, locations, start, max(start, end), 0)], []


_DOC_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t]|$).*$", re.M)


def _load_stream(
    path: str, text: str, budget: _Budget, first_index: int
) -> tuple[list[YamlDoc], list[ParseError], bool]:
    """The documents of text, the errors, and whether a syntax error ended the stream early."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.preserve_quotes = True  # quoted scalars keep their type, so `"no"` stays a string
    docs: list[YamlDoc] = []
    errors: list[ParseError] = []
    try:
        for index, raw in enumerate(yaml.load_all(io.StringIO(text)), first_index):
            if raw is None:
                continue
            converter = _Converter(budget)
            try:
                data = converter.value(raw, "", 0)
            except _TooLarge as exc:
                errors.append(ParseError(path, _start_line(raw), str(exc)))
                if budget.left < 0:
                    return docs, errors, False
                continue
            start = _start_line(raw)
            end = max(start, converter.last_line)
            docs.append(YamlDoc(data, converter.locations, start, end, index, converter.yaml11))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        column = mark.column + 1 if mark is not None else 0
        problem = exc.problem or exc.context or "invalid YAML"
        errors.append(ParseError(path, line, f"invalid YAML: {problem}", column))
    except YAMLError as exc:
        errors.append(ParseError(path, 1, f"invalid YAML: {str(exc).splitlines()[0][:200]}"))
    except RecursionError:
        errors.append(ParseError(path, 1, "invalid YAML: nesting is too deep to read"))
    except (ValueError, TypeError, AttributeError) as exc:  # constructor errors on odd input
        errors.append(ParseError(path, 1, f"invalid YAML: {type(exc).__name__}: {exc}"[:200]))
    else:
        return docs, errors, False
    return docs, errors, True


def _start_line(node: Any) -> int:
    try:
        return int(node.lc.line) + 1
    except (AttributeError, TypeError):
        return 1
