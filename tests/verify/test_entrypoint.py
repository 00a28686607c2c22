"""tap verify's entry point input: with tap:dns, the outputs must name the zone and the checks."""

from __future__ import annotations

from typing import Any

import pytest

from tap.verify.entrypoint import validate_entry_point_outputs
from tap.verify.outputs import VerifyError

REGIONS = ("us-east-1", "us-west-2")
ENTRY = {"zoneId": "Z0TEST", "healthCheckIds": {"us-east-1": "hc-1", "us-west-2": "hc-2"}}


def test_complete_entry_point_outputs_pass() -> None:
    validate_entry_point_outputs({"entryPoint": ENTRY}, REGIONS)


@pytest.mark.parametrize(
    ("outputs", "message"),
    [
        ({}, "missing key entryPoint: the stack file sets tap:dns"),
        ({"entryPoint": None}, "missing key entryPoint"),
        ({"entryPoint": {**ENTRY, "zoneId": 7}}, "entryPoint.zoneId must be a string"),
        (
            {"entryPoint": {**ENTRY, "healthCheckIds": {"us-east-1": "hc-1"}}},
            "entryPoint.healthCheckIds.us-west-2 must be a string",
        ),
        (
            {"entryPoint": {**ENTRY, "healthCheckIds": "hc-1"}},
            "entryPoint.healthCheckIds.us-east-1 must be a string",
        ),
    ],
)
def test_incomplete_entry_point_outputs_are_refused_naming_the_key(
    outputs: dict[str, Any], message: str
) -> None:
    with pytest.raises(VerifyError, match=message):
        validate_entry_point_outputs(outputs, REGIONS)
