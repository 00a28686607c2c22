"""tap.goyaml: YAML as the Pulumi CLI's parser (go-yaml v3) reads it, not as YAML 1.1 does."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest

from tap import goyaml
from tap.goyaml import LegacyOctal, Timestamp, YamlError


def value(text: str) -> Any:
    return goyaml.load(f"v: {text}\n")["v"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("True", True),
        ("FALSE", False),
        ("yes", "yes"),  # YAML 1.1 booleans are strings
        ("no", "no"),
        ("on", "on"),
        ("Off", "Off"),
        ("y", "y"),
        ("~", None),
        ("null", None),
        ("", None),
        ("8:32", "8:32"),  # no base 60
        ("190:20:30", "190:20:30"),
        ("0x1F", 31),
        ("0o17", 15),
        ("0b101", 5),
        ("-0b101", -5),
        ("1_000", 1000),
        ("+12", 12),
        ("0", 0),
        ("012345678901", 12345678901.0),  # not octal (8, 9): Go's float fallback
        ("1.5", 1.5),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("1.", 1.0),
        ("1e400", "1e400"),  # ParseFloat overflows: the text stays
        ("9223372036854775807", 9223372036854775807),
        ("18446744073709551615", 18446744073709551615),  # uint64
        ("18446744073709551616", 1.8446744073709552e19),
        ("-9223372036854775809", -9.223372036854775809e18),
        ("0x", "0x"),
        ("0o8", "0o8"),
        ("1_0.5", 10.5),
        ("._5", "._5"),
        ("2024-13-01", "2024-13-01"),  # no such month: Go's Parse fails, the text stays
        ("2024-02-30", "2024-02-30"),
        ("20240101", 20240101),
        ("'123'", "123"),
        ('"true"', "true"),
        ("!!str 123", "123"),
        ("!!float 1", 1.0),
        ("!!int '12'", 12),
        ("!custom text", "text"),
        ("!!binary aGVsbG8=", "hello"),
    ],
)
def test_scalars(text: str, expected: Any) -> None:
    assert value(text) == expected
    assert type(value(text)) is type(expected)


def test_special_floats() -> None:
    assert math.isnan(value(".nan"))
    assert value("-.Inf") == -math.inf
    assert value("+.inf") == math.inf


@pytest.mark.parametrize(
    ("text", "written", "number"),
    [
        ("0755", "0755", 493),
        ("-010", "-010", -8),
        ("00", "00", 0),
        ("012345670123", "012345670123", 1402433619),
    ],
)
def test_yaml_11_octals_are_still_read_in_base_8(text: str, written: str, number: int) -> None:
    assert value(text) == LegacyOctal(written, number)


@pytest.mark.parametrize(
    ("text", "moment", "go"),
    [
        ("2024-01-01", datetime(2024, 1, 1, tzinfo=UTC), "2024-01-01 00:00:00 +0000 UTC"),
        ("2024-1-2", datetime(2024, 1, 2, tzinfo=UTC), "2024-01-02 00:00:00 +0000 UTC"),
        (
            "2024-01-01T10:20:30Z",
            datetime(2024, 1, 1, 10, 20, 30, tzinfo=UTC),
            "2024-01-01 10:20:30 +0000 UTC",
        ),
        (
            "2024-01-01 10:20:30.25",
            datetime(2024, 1, 1, 10, 20, 30, 250000, tzinfo=UTC),
            "2024-01-01 10:20:30.25 +0000 UTC",
        ),
    ],
)
def test_unquoted_dates_are_timestamps(text: str, moment: datetime, go: str) -> None:
    stamp = value(text)
    assert stamp == Timestamp(text, moment)
    assert stamp.go_text() == go


def test_a_timestamp_with_an_offset_keeps_it() -> None:
    assert value("2001-12-14t21:59:43.10-05:00").go_text() == "2001-12-14 21:59:43.1 -0500 -0500"


def test_collections() -> None:
    assert goyaml.load("a: [1, b]\nc: {d: e}\n") == {"a": [1, "b"], "c": {"d": "e"}}
    assert goyaml.load("a: !!set {x, y}\n") == {"a": {"x": None, "y": None}}
    assert goyaml.load("- a\n- b\n") == ["a", "b"]
    assert goyaml.load("plain") == "plain"
    assert goyaml.load("") is None
    assert goyaml.load("# a comment only\n") is None


def test_only_the_first_document_is_read() -> None:
    assert goyaml.load("a: 1\n---\na: 2\n--- [unclosed\n") == {"a": 1}


def test_merges_put_explicit_keys_first_then_earlier_maps() -> None:
    text = "x: &x {a: 1, b: 1}\ny: &y {b: 2, c: 2}\nz:\n  <<: [*x, *y]\n  a: 0\n"
    assert goyaml.load(text)["z"] == {"a": 0, "b": 1, "c": 2}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\na: 2\n", "line 2: mapping key 'a' already defined at line 1"),
        ("a: {b: 1, b: 1}\n", "line 1: mapping key 'b' already defined at line 1"),
        ("a: 1\n'a': 2\n", "line 2: mapping key 'a' already defined at line 1"),
        ("a: *nope\n", "line 1: unknown anchor 'nope' referenced"),
        ("a: !!int abc\n", "line 1: cannot decode !!str `abc` as a !!int"),
        ("a: !!bool yes\n", "line 1: cannot decode !!str `yes` as a !!bool"),
        ("a: !!binary '%%'\n", "line 1: !!binary value contains invalid base64 data"),
        ("a: &a [*a]\n", "line 1: an anchor's value contains itself"),
        ("x: 1\n<<: [1]\n", "line 2: map merge requires map or sequence of maps as the value"),
        ("? [a]\n: 1\n", "line 1: invalid map key: a map or list"),
    ],
)
def test_refused(text: str, message: str) -> None:
    with pytest.raises(YamlError) as error:
        goyaml.load(text)
    assert str(error.value) == message


def test_syntax_errors_name_the_line() -> None:
    with pytest.raises(YamlError, match=r"^line 2: "):
        goyaml.load("a: [1\nb: 2\n")
    with pytest.raises(YamlError, match="cannot start any token"):
        goyaml.load("a:\n\t- 1\n")


def test_a_billion_laughs_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    with pytest.raises(YamlError, match="excessive aliasing"):
        goyaml.load("\n".join(lines) + "\n")
