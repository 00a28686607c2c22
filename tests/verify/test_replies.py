"""The strict readers of AWS replies: a missing or mistyped field is UnexpectedReply."""

from __future__ import annotations

import pytest

from tap.verify.replies import UnexpectedReply, items, optional, required


def test_required_returns_the_field_or_names_what_is_missing() -> None:
    assert required({"A": True}, "A", bool) is True
    with pytest.raises(UnexpectedReply, match=r"^no A$"):
        required({}, "A", bool)
    with pytest.raises(UnexpectedReply, match=r"^no A$"):
        required({"A": None}, "A", bool)


def test_optional_is_none_when_absent() -> None:
    assert optional({}, "A", str) is None
    assert optional({"A": "x"}, "A", str) == "x"


@pytest.mark.parametrize(
    ("value", "kind", "reason"),
    [
        (True, int, "A is a boolean, not a whole number"),
        (1, bool, "A is a whole number, not a boolean"),
        ("1", int, "A is a string, not a whole number"),
        ([], dict, "A is a list, not a map"),
        (1.5, int, "A is a decimal number, not a whole number"),
    ],
)
def test_a_field_of_another_type_is_unexpected(value: object, kind: type, reason: str) -> None:
    with pytest.raises(UnexpectedReply) as caught:
        optional({"A": value}, "A", kind)
    assert str(caught.value) == reason


def test_a_document_that_is_not_a_map_is_unexpected() -> None:
    with pytest.raises(UnexpectedReply, match="a list where a map with A was expected"):
        optional([], "A", str)  # type: ignore[arg-type]


def test_items_checks_every_item() -> None:
    assert items({}, "L", str) == []
    assert items({"L": ["a", "b"]}, "L", str) == ["a", "b"]
    with pytest.raises(UnexpectedReply, match=r"^L\[1\] is a whole number, not a string$"):
        items({"L": ["a", 1]}, "L", str)
    with pytest.raises(UnexpectedReply, match=r"^L is a string, not a list$"):
        items({"L": "a"}, "L", str)
