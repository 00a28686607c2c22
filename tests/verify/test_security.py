"""IAM check: the account password policy meets IAM.7, where the stack manages it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tap.plan import load_stack_file
from tap.verify import describe_password_policy, verify
from tests.verify.canned import (
    STACK_FILE,
    CannedSession,
    conforming,
    findings_with,
    stack_outputs,
)


def test_the_password_policy_must_meet_iam_7(project: Path) -> None:
    assert findings_with(project, GetAccountPasswordPolicy="NoSuchEntity") == [
        ("IAM.7", "drift", "not set (NoSuchEntity)")
    ]
    weak = {"MinimumPasswordLength": 8, "RequireNumbers": True, "PasswordReusePrevention": 5}
    assert findings_with(project, GetAccountPasswordPolicy={"PasswordPolicy": weak}) == [
        ("IAM.7", "drift", "length 8, classes numbers, max age never, reuse 5")
    ]


def test_the_password_policy_is_checked_only_where_the_stack_manages_it(project: Path) -> None:
    (project / "Pulumi.nopolicy.yaml").write_text(
        STACK_FILE.replace(
            "manageAccountPasswordPolicy: true", "manageAccountPasswordPolicy: false"
        )
    )
    config = load_stack_file(project, "nopolicy").parse().config
    session = CannedSession(conforming())

    results = verify(stack_outputs(), config, session_factory=lambda: session)

    assert "IAM.7" not in {r.control for r in results}
    assert "GetAccountPasswordPolicy" not in session.calls


@pytest.mark.parametrize(
    ("change", "ok"),
    [
        ({}, True),
        ({"MinimumPasswordLength": 13}, False),
        ({"RequireSymbols": False}, False),
        ({"MaxPasswordAge": 91}, False),
        ({"MaxPasswordAge": None}, False),  # never expires
        ({"PasswordReusePrevention": 23}, False),
        ({"MinimumPasswordLength": 20, "MaxPasswordAge": 30, "PasswordReusePrevention": 24}, True),
    ],
)
def test_password_policy_thresholds(change: dict[str, Any], ok: bool) -> None:
    policy = conforming()["GetAccountPasswordPolicy"]
    assert isinstance(policy, dict)

    _, passed = describe_password_policy({**policy["PasswordPolicy"], **change})

    assert passed is ok


def test_a_reply_that_is_not_the_document_is_unknown(project: Path) -> None:
    assert findings_with(project, GetAccountPasswordPolicy={}) == [
        ("IAM.7", "unknown", "unexpected reply (no PasswordPolicy)")
    ]
    policy = conforming()["GetAccountPasswordPolicy"]
    assert isinstance(policy, dict)
    policy["PasswordPolicy"]["MinimumPasswordLength"] = "14"
    assert findings_with(project, GetAccountPasswordPolicy=policy) == [
        (
            "IAM.7",
            "unknown",
            "unexpected reply (MinimumPasswordLength is a string, not a whole number)",
        )
    ]
