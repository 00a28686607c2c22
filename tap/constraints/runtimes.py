"""Lambda runtimes AWS no longer lets a function be created on (its published schedule).

AWS retires runtimes on announced dates: after `create-block` a new function on that runtime
is refused, after `update-block` an existing one can no longer be updated. Like a retired
Aurora minor, a runtime passes the mock engine and fails the deployment, so the plan checks
the schedule cfn-lint ships (AdditionalSpecs/LmbdRuntimeLifecycle.json, through awsdata) on
the day it runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from tap import awsdata
from tap.constraints.model import Violation, violation

FUNCTION = "aws:lambda/function:Function"
LIFECYCLE_DATA = "AdditionalSpecs/LmbdRuntimeLifecycle.json"
LIFECYCLE_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"


def runtime_problem(runtime: str, today: date) -> str | None:
    """Why Lambda would refuse to create a function on `runtime` on `today` (None if not)."""
    schedule = awsdata.lambda_runtime_lifecycle().get(runtime)
    if schedule is None:
        return None  # an unknown runtime is the schema's enum to refuse
    blocked = schedule.get("create-block")
    if blocked and date.fromisoformat(blocked) <= today:
        successor = schedule.get("successor")
        hint = f"; its successor is {successor}" if successor else ""
        return f"Lambda has refused new functions on {runtime} since {blocked}{hint}"
    return None


def check(resources: list[dict[str, Any]], today: date) -> Iterator[Violation]:
    for resource in resources:
        if resource["type"] != FUNCTION:
            continue
        runtime = resource["inputs"].get("runtime")
        if not isinstance(runtime, str):
            continue
        problem = runtime_problem(runtime, today)
        if problem:
            yield violation(
                resource,
                "runtime",
                runtime,
                problem,
                "runtime not blocked for new functions",
                f"{awsdata.source()}: {LIFECYCLE_DATA}; {LIFECYCLE_DOC}",
            )
