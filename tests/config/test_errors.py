"""describe(): the key a pydantic error is about, spelt as the stack file spells it."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from tap.config import parse
from tap.config.base import Model
from tap.config.errors import describe
from tests.config.common import refuse


class Inner(Model):
    known_key: int


class Outer(Model):
    some_section: Inner
    by_region: dict[str, Inner]


def described(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        Outer.model_validate(data)
    return describe(caught.value, data, Outer)


def test_an_unknown_key_in_a_section_with_a_two_word_name() -> None:
    message = described({"someSection": {"knownKey": 1, "knownKye": 2}, "byRegion": {}})
    assert message == (
        "tap:someSection.knownKye is not a known key (did you mean "
        "tap:someSection.knownKey?); allowed keys here: knownKey"
    )


def test_an_unknown_key_in_an_entry_of_a_map_section() -> None:
    # The map's keys (regions, say) are stepped over to the entries' model.
    data = {
        "someSection": {"knownKey": 1},
        "byRegion": {"us-east-1": {"knownKey": 1, "knownKye": 2}},
    }
    assert described(data) == (
        "tap:byRegion.us-east-1.knownKye is not a known key (did you mean "
        "tap:byRegion.us-east-1.knownKey?); allowed keys here: knownKey"
    )


def test_a_map_key_of_the_wrong_type_is_named_by_its_map() -> None:
    # YAML allows a number as a key; the message names the map, not pydantic's "[key]".
    assert refuse({"tags": {1: "x"}}) == "tap:tags must be a string, got 1"


def test_an_index_into_regions_is_not_mistaken_for_a_network() -> None:
    raw = {"regions": ["mars-1"], "networks": {"us-east-1": {}}}
    assert refuse(raw) == (
        "tap:regions 'mars-1' is not allowed; use one of us-east-1, us-west-2 or eu-central-1"
    )


def test_staging_is_not_prod() -> None:
    assert parse({}, "staging").config.is_prod is False
    assert parse({}, "prod").config.is_prod is True
