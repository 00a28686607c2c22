"""YAML read the way the Pulumi CLI's parser (go-yaml v3) reads it (pure).

ruamel.yaml, a maintained YAML 1.2 parser, turns the text into events; this module builds the
values from them with go-yaml v3's rules (resolve.go, decode.go of gopkg.in/yaml.v3 v3.0.1, the
version the CLI vendors), which differ from both YAML 1.1 and PyYAML:

- `true`/`True`/`TRUE` and `false`/... are booleans; `yes`, `no`, `on`, `off` are strings.
- `8:32` is a string (no base 60); `0x1F`, `0o17`, `0b101` are integers, and so is a YAML 1.1
  octal `0755` (493), which go-yaml still reads; `012345678901` (8 and 9 are not octal
  digits) falls through to a float, 12345678901.
- An unquoted `2024-01-01` (or `2024-01-01T10:00:00Z`, `2024-01-01 10:00:00`) is a timestamp.
- Duplicate keys in one mapping are an error; `<<` merges maps, explicit keys first.
- Only the first document of the stream is read.

A value with a reading a person may not expect comes back wrapped (Timestamp, LegacyOctal) so
the caller can say so, naming the key.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from ruamel.yaml import YAML, events
from ruamel.yaml.error import MarkedYAMLError, YAMLError

TAG_PREFIX = "tag:yaml.org,2002:"
STR, BOOL, INT, FLOAT, NULL, TIMESTAMP, BINARY, MERGE = (
    "!!str",
    "!!bool",
    "!!int",
    "!!float",
    "!!null",
    "!!timestamp",
    "!!binary",
    "!!merge",
)
_RESOLVABLE = frozenset({STR, BOOL, INT, FLOAT, NULL, TIMESTAMP})
_MERGE_KEY = object()
_PLAIN_VALUES: dict[str, tuple[str, Any]] = {
    **dict.fromkeys(("true", "True", "TRUE"), (BOOL, True)),
    **dict.fromkeys(("false", "False", "FALSE"), (BOOL, False)),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), (NULL, None)),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), (FLOAT, math.nan)),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), (FLOAT, math.inf)),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), (FLOAT, -math.inf)),
    "<<": (MERGE, _MERGE_KEY),
}
# go-yaml's resolve table: the first character decides what a plain scalar may be.
_MAP_ONLY = frozenset("yYnNtTfFoO~")
_NUMERIC = frozenset("0123456789+-")
_YAML_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?")
_DATE = r"(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})"
_CLOCK = r"(?P<H>[0-9]{1,2}):(?P<M>[0-9]{1,2}):(?P<S>[0-9]{1,2})(?:\.(?P<f>[0-9]+))?"
_TIMESTAMPS = (
    re.compile(_DATE + "[Tt]" + _CLOCK + r"(?P<z>Z|[-+][0-9]{2}:[0-9]{2})"),
    re.compile(_DATE + " " + _CLOCK),
    re.compile(_DATE),
)
_INT64 = (-(2**63), 2**63 - 1)
_UINT64_MAX = 2**64 - 1
# go-yaml refuses a document whose aliases expand beyond reason; so does this reader.
_MAX_NODES = 100_000


class YamlError(ValueError):
    """Text the CLI's parser would refuse; the message names the line where it can."""


@dataclass(frozen=True)
class Timestamp:
    """An unquoted date or time: go-yaml reads a timestamp, Pulumi keeps Go's text of it."""

    written: str
    value: datetime

    def go_text(self) -> str:
        """Go's time.Time.String(), what the CLI hands the program (`2024-01-01 00:00:00 +0000
        UTC`); fractions beyond microseconds are dropped."""
        text = self.value.strftime("%Y-%m-%d %H:%M:%S")
        if self.value.microsecond:
            text += f".{self.value.microsecond:06d}".rstrip("0")
        offset = self.value.utcoffset() or timedelta()
        minutes = int(offset.total_seconds()) // 60
        sign = "-" if minutes < 0 else "+"
        numeric = f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
        # A zone Go knows by name prints its name; a bare offset prints the offset again.
        return f"{text} {numeric} {'UTC' if minutes == 0 else numeric}"


@dataclass(frozen=True)
class LegacyOctal:
    """A YAML 1.1 octal such as `0755`: go-yaml still reads it in base 8."""

    written: str
    value: int


@dataclass
class _Node:
    kind: str  # "scalar", "mapping", "sequence"
    line: int
    tag: str | None = None
    value: str = ""
    plain: bool = True
    children: list[_Node] = field(default_factory=list)


def load(text: str) -> Any:
    """The first document of `text` as go-yaml v3 decodes it into Go's `any`."""
    node = _compose(text)
    return None if node is None else _Decoder().value(node)


# --- the event stream -> nodes -----------------------------------------------------------------


def _events(text: str) -> Iterator[Any]:
    try:
        yield from YAML(typ="safe", pure=True).parse(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise YamlError(f"{where}{exc.problem or exc.context}") from None
    except YAMLError as exc:
        raise YamlError(str(exc).replace("\n", " ")) from None


def _compose(text: str) -> _Node | None:
    anchors: dict[str, _Node] = {}
    stack: list[_Node] = []
    root: _Node | None = None
    for event in _events(text):
        node: _Node | None = None
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, events.AliasEvent):
            if event.anchor not in anchors:
                raise YamlError(f"line {line}: unknown anchor '{event.anchor}' referenced")
            node = anchors[event.anchor]
        elif isinstance(event, events.ScalarEvent):
            node = _Node("scalar", line, _short(event.tag), event.value, not event.style)
        elif isinstance(event, events.MappingStartEvent | events.SequenceStartEvent):
            kind = "mapping" if isinstance(event, events.MappingStartEvent) else "sequence"
            node = _Node(kind, line, _short(event.tag))
        elif isinstance(event, events.MappingEndEvent | events.SequenceEndEvent):
            stack.pop()
            continue
        elif isinstance(event, events.DocumentEndEvent):
            break  # go-yaml's Unmarshal reads the first document only
        else:
            continue
        if getattr(event, "anchor", None) and not isinstance(event, events.AliasEvent):
            anchors[event.anchor] = node
        if stack:
            stack[-1].children.append(node)
        else:
            root = node
        if node.kind != "scalar" and not isinstance(event, events.AliasEvent):
            stack.append(node)
    return root


def _short(tag: str | None) -> str | None:
    if tag is None or tag == "!":
        return None
    return "!!" + tag[len(TAG_PREFIX) :] if tag.startswith(TAG_PREFIX) else tag


# --- nodes -> values, with go-yaml's rules -------------------------------------------------------


class _Decoder:
    def __init__(self) -> None:
        self.active: set[int] = set()
        self.count = 0

    def value(self, node: _Node) -> Any:
        self.count += 1
        if self.count > _MAX_NODES:
            raise YamlError("document contains excessive aliasing")
        if id(node) in self.active:
            raise YamlError(f"line {node.line}: an anchor's value contains itself")
        self.active.add(id(node))
        try:
            if node.kind == "scalar":
                return scalar(node.value, node.tag, node.plain, node.line)
            if node.kind == "sequence":
                return [self.value(child) for child in node.children]
            return self.mapping(node)
        finally:
            self.active.discard(id(node))

    def mapping(self, node: _Node) -> dict[Any, Any]:
        pairs = list(zip(node.children[::2], node.children[1::2], strict=True))
        seen: dict[tuple[str, str], int] = {}
        for key, _ in pairs:
            identity = (key.kind, key.value)
            if identity in seen:
                raise YamlError(
                    f"line {key.line}: mapping key {key.value!r} already defined at line "
                    f"{seen[identity]}"
                )
            seen[identity] = key.line
        result: dict[Any, Any] = {}
        merges: list[_Node] = []
        for key, value in pairs:
            decoded_key = self.value(key)
            if decoded_key is _MERGE_KEY:
                merges.append(value)
                continue
            if isinstance(decoded_key, dict | list):
                raise YamlError(f"line {key.line}: invalid map key: a map or list")
            result[_hashable(decoded_key)] = self.value(value)
        for merge in merges:
            sources = merge.children if merge.kind == "sequence" else [merge]
            for source in sources:
                if source.kind != "mapping":
                    raise YamlError(
                        f"line {merge.line}: map merge requires map or sequence of maps as the "
                        "value"
                    )
                for key, value in self.mapping(source).items():
                    result.setdefault(key, value)
        return result


def _hashable(key: Any) -> Any:
    return key if not isinstance(key, float) or not math.isnan(key) else "NaN"


def scalar(text: str, tag: str | None, plain: bool, line: int = 0) -> Any:
    """A scalar's value: quoted text or `!!str` is a string; a plain one is resolved."""
    if tag == STR or (tag is None and not plain):
        return text
    if tag == BINARY:
        try:
            return base64.b64decode("".join(text.split()), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            raise YamlError(f"line {line}: !!binary value contains invalid base64 data") from None
    if tag is not None and tag not in _RESOLVABLE:
        return text  # a tag go-yaml does not know (!!set on a scalar, !custom): the text
    resolved_tag, value = _resolve(text, tag)
    if tag is None or tag == resolved_tag:
        return value
    if tag == FLOAT and resolved_tag == INT:
        return float(value.value if isinstance(value, LegacyOctal) else value)
    raise YamlError(f"line {line}: cannot decode {resolved_tag} `{text}` as a {tag}")


def _resolve(text: str, tag: str | None) -> tuple[str, Any]:
    first = text[:1]
    if text in _PLAIN_VALUES:
        return _PLAIN_VALUES[text]
    if first == ".":
        if _DOT_FLOAT.fullmatch(text):
            return FLOAT, float(text)
    elif first in _NUMERIC:
        if tag in (None, TIMESTAMP):
            stamp = _timestamp(text)
            if stamp is not None:
                return TIMESTAMP, Timestamp(text, stamp)
        plain = text.replace("_", "")
        number = _go_int(plain)
        if number is not None:
            return INT, number
        if _YAML_FLOAT.fullmatch(plain):
            value = float(plain)
            if not math.isinf(value):  # Go's ParseFloat fails on overflow; it stays text
                return FLOAT, value
    return STR, text


def _go_int(text: str) -> int | LegacyOctal | None:
    """strconv.ParseInt(text, 0, 64), then ParseUint: base prefixes, and 0755 as octal."""
    sign, digits = (text[0], text[1:]) if text[:1] in "+-" else ("", text)
    base, body = 10, digits
    if digits[:2].lower() in ("0x", "0b", "0o"):
        base, body = {"x": 16, "b": 2, "o": 8}[digits[1].lower()], digits[2:]
    elif len(digits) > 1 and digits.startswith("0"):
        base, body = 8, digits[1:]
    allowed = "0123456789abcdefABCDEF"[: base if base <= 10 else 10 + 2 * (base - 10)]
    if not body or any(ch not in allowed for ch in body):
        return None
    value = int(body, base) * (-1 if sign == "-" else 1)
    # ParseInt's int64 range, then ParseUint's (which takes no sign) for larger numbers.
    if not (_INT64[0] <= value <= (_UINT64_MAX if sign == "" else _INT64[1])):
        return None
    if base == 8 and digits[:2].lower() != "0o":
        return LegacyOctal(text, value)
    return value


def _timestamp(text: str) -> datetime | None:
    if len(text) < 5 or not text[:4].isdigit() or text[4] != "-":
        return None
    for pattern in _TIMESTAMPS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        parts = match.groupdict()
        try:
            return datetime(
                int(parts["y"]),
                int(parts["m"]),
                int(parts["d"]),
                int(parts.get("H") or 0),
                int(parts.get("M") or 0),
                int(parts.get("S") or 0),
                int((parts.get("f") or "0")[:6].ljust(6, "0")),
                tzinfo=_zone(parts.get("z")),
            )
        except ValueError:  # month, day or time out of range: Go's Parse fails too
            return None
    return None


def _zone(text: str | None) -> timezone:
    if text is None or text == "Z":
        return UTC
    hours, minutes = int(text[1:3]), int(text[4:6])
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if text[0] == "-" else offset)
