"""tap's copies of AWS managed policies against moto's, which moto takes from AWS itself."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tap.policy.rules.aws_managed import MANAGED_POLICIES, is_aws_managed, managed_policy


def aws_published() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data  # noqa: PLC0415

    published: dict[str, Any] = json.loads(aws_managed_policies_data)
    return published


@pytest.mark.parametrize("name", sorted(MANAGED_POLICIES))
def test_each_copy_is_the_default_version_aws_publishes(name: str) -> None:
    ours = MANAGED_POLICIES[name]
    theirs = aws_published()[name]
    assert (ours.path, ours.version) == (theirs["Path"], theirs["DefaultVersionId"])
    assert ours.document == theirs["Document"]


def test_managed_policy_arns_are_read_with_their_path() -> None:
    arn = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    found = managed_policy(arn)
    assert found is not None and found.name == "AmazonRDSEnhancedMonitoringRole"
    assert managed_policy(arn.replace("arn:aws:", "arn:aws-us-gov:")) == found
    assert managed_policy(arn.replace("/service-role/", "/")) is None
    assert managed_policy("arn:aws:iam::aws:policy/ReadOnlyAccess") is None
    assert is_aws_managed("arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert is_aws_managed("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess")
    for arn in (
        "arn:aws:iam::123456789012:policy/tap/own",
        "arn:aws:iam::aws:role/service-role/x",
        "AmazonRDSEnhancedMonitoringRole",
    ):
        assert not is_aws_managed(arn), arn
        assert managed_policy(arn) is None, arn
