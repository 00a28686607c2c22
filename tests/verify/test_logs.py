"""CloudWatch Logs checks: every log group of the stack expires and uses the region's key."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.verify.canned import ALIAS, findings_with


def test_log_groups_need_the_configured_retention_and_the_region_key(project: Path) -> None:
    def groups(params: Mapping[str, Any]) -> dict[str, Any]:
        name = params["logGroupNamePrefix"]
        if name.startswith("/aws/lambda/"):
            return {"logGroups": [{"logGroupName": name}]}  # never expires, AWS-owned key
        if name.startswith("API-Gateway"):
            return {"logGroups": [{"logGroupName": f"{name}-other"}]}  # only a prefix match
        return {"logGroups": [{"logGroupName": name, "retentionInDays": 30, "kmsKeyId": ALIAS}]}

    assert findings_with(project, DescribeLogGroups=groups) == [
        ("CloudWatch.16", "drift", "never expire"),
        ("TAP.2", "drift", "AWS-owned key"),
        ("CloudWatch.16", "fail", "not found (ResourceNotFoundException)"),
        ("TAP.2", "fail", "not found (ResourceNotFoundException)"),
    ]


def test_a_reply_that_is_not_the_document_is_unknown(project: Path) -> None:
    def groups(params: Mapping[str, Any]) -> dict[str, Any]:
        name = params["logGroupNamePrefix"]
        if name.startswith("/aws/lambda/"):
            group = {"logGroupName": name, "retentionInDays": "30", "kmsKeyId": ALIAS}
            return {"logGroups": [group]}
        return {"logGroups": [{"logGroupName": name, "retentionInDays": 30, "kmsKeyId": ALIAS}]}

    assert findings_with(project, DescribeLogGroups=groups) == [
        (
            "CloudWatch.16",
            "unknown",
            "unexpected reply (retentionInDays is a string, not a whole number)",
        ),
    ]


def test_the_database_log_group_is_checked_like_the_others(project: Path) -> None:
    """RDS creates /aws/rds/cluster/<id>/postgresql itself, unencrypted and kept forever, if the
    stack's group is missing; verify names it from the outputs' cluster identifier."""
    asked: list[str] = []

    def groups(params: Mapping[str, Any]) -> dict[str, Any]:
        name = params["logGroupNamePrefix"]
        asked.append(name)
        if name.startswith("/aws/rds/cluster/"):
            return {"logGroups": [{"logGroupName": name}]}  # as RDS creates it
        return {"logGroups": [{"logGroupName": name, "retentionInDays": 30, "kmsKeyId": ALIAS}]}

    assert findings_with(project, DescribeLogGroups=groups) == [
        ("CloudWatch.16", "drift", "never expire"),
        ("TAP.2", "drift", "AWS-owned key"),
    ]
    assert "/aws/rds/cluster/tap-unit-use1-aurora/postgresql" in asked
