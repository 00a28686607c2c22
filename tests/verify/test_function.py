"""Lambda checks: the function runs in the private subnets with the app group, and traces."""

from __future__ import annotations

from pathlib import Path

from tests.verify.canned import findings_with


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
