"""Lambda runtimes past AWS's create-block date fail the plan, on the day it runs."""

from __future__ import annotations

from datetime import date

from tap import awsdata
from tap.constraints import check_manifest
from tests.constraints.crafted import resource

FUNCTION = "aws:lambda/function:Function"


def found_on(day: date, runtime: str) -> list[str]:
    manifest = {"resources": [resource(FUNCTION, {"runtime": runtime}, name="tap-prod-use1-api")]}
    return [v.message for v in check_manifest(manifest, today=day)]


def test_a_runtime_blocked_for_new_functions() -> None:
    schedule = awsdata.lambda_runtime_lifecycle()["python3.8"]
    blocked = date.fromisoformat(str(schedule["create-block"]))
    assert found_on(blocked, "python3.8") == [
        f"runtime='python3.8': Lambda has refused new functions on python3.8 since {blocked}; "
        f"its successor is {schedule['successor']}"
    ]
    # Deprecated (no more patches) is not yet refused: only the create-block date is.
    assert found_on(date.fromordinal(blocked.toordinal() - 1), "python3.8") == []


def test_the_shipped_runtime_is_not_blocked_today() -> None:
    assert found_on(date.today(), "python3.12") == []
    assert found_on(date.today(), "<unknown>") == []


def test_the_violation_cites_the_schedule() -> None:
    manifest = {"resources": [resource(FUNCTION, {"runtime": "go1.x"})]}
    (found,) = check_manifest(manifest, today=date(2030, 1, 1))
    assert found.property == "runtime"
    assert found.source.endswith(
        "AdditionalSpecs/LmbdRuntimeLifecycle.json; "
        "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"
    )
