"""Lambda checks: the function runs in the private subnets with the app group, and traces."""

from __future__ import annotations

from pathlib import Path

from tap.verify import verify
from tests.verify.canned import CannedSession, conforming, findings_with, load_config, stack_outputs


def test_a_missing_function_fails_both_checks(project: Path) -> None:
    assert findings_with(project, GetFunctionConfiguration="ResourceNotFoundException") == [
        ("Lambda.3", "fail", "not found (ResourceNotFoundException)"),
        ("Lambda.7", "fail", "not found (ResourceNotFoundException)"),
    ]


def test_a_function_outside_the_vpc_without_tracing(project: Path) -> None:
    assert findings_with(
        project, GetFunctionConfiguration={"TracingConfig": {"Mode": "PassThrough"}}
    ) == [
        ("Lambda.3", "drift", "not in a VPC"),
        ("Lambda.7", "drift", "PassThrough"),
    ]


def test_a_function_in_other_subnets(project: Path) -> None:
    other_subnets = {
        "VpcConfig": {"SubnetIds": ["subnet-a", "subnet-c"], "SecurityGroupIds": ["sg-app"]},
        "TracingConfig": {"Mode": "Active"},
    }

    assert findings_with(project, GetFunctionConfiguration=other_subnets) == [
        ("Lambda.3", "drift", "subnets subnet-a, subnet-c; security groups sg-app")
    ]


def test_a_function_needs_the_app_security_group(project: Path) -> None:
    other_group = {
        "VpcConfig": {"SubnetIds": ["subnet-a", "subnet-b"], "SecurityGroupIds": ["sg-other"]},
        "TracingConfig": {"Mode": "Active"},
    }

    assert findings_with(project, GetFunctionConfiguration=other_group) == [
        ("Lambda.3", "drift", "subnets subnet-a, subnet-b; security groups sg-other")
    ]


def test_a_reply_that_is_not_the_document_is_unknown(project: Path) -> None:
    odd = {"VpcConfig": {"SubnetIds": "subnet-a"}, "TracingConfig": {"Mode": "Active"}}

    assert findings_with(project, GetFunctionConfiguration=odd) == [
        ("Lambda.3", "unknown", "unexpected reply (SubnetIds is a string, not a list)")
    ]


def test_a_region_without_a_data_path_has_no_function_to_check(project: Path) -> None:
    outputs = stack_outputs()
    region = next(iter(outputs["regions"].values()))
    region["api"].update(restApiId=None, stageName=None, functionName=None, logGroupNames=[])
    # An empty answer to every Lambda and API Gateway call: any check that asked would fail.
    answers = {**conforming(), "GetFunctionConfiguration": "ResourceNotFoundException"}
    answers["GetStage"] = "NotFoundException"
    results = verify(outputs, load_config(project), session_factory=lambda: CannedSession(answers))
    controls = {r.control for r in results}
    assert not controls & {"Lambda.3", "Lambda.7", "APIGateway.1", "APIGateway.3", "APIGateway.9"}
    assert [r for r in results if r.status != "pass"] == []
