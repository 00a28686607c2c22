"""The whole run: every check of a conforming stack passes, control ids match the policy pack,
and AWS access errors (credentials, endpoint) are reported as one line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tap.verify import CONTROLS, verify
from tests.verify.canned import (
    CannedSession,
    assert_usage_error,
    closed_port,
    conforming,
    load_config,
    run,
    stack_outputs,
    write_outputs,
)


def test_a_conforming_stack_passes_every_check(project: Path) -> None:
    results = verify(
        stack_outputs(), load_config(project), session_factory=lambda: CannedSession(conforming())
    )

    assert [r for r in results if r.status != "pass"] == []
    # key 1, data bucket 4, log bucket 3, cluster 4 (no RDS.7 in dev), function 2, stage 3,
    # 4 log groups x 2, 1 alarm, password policy 1; no replication with a single region.
    assert len(results) == 1 + 4 + 3 + 4 + 2 + 3 + 8 + 1 + 1
    assert {r.control for r in results} == set(CONTROLS) - {"S3.7", "RDS.7"}


def test_checks_use_the_policy_packs_control_ids() -> None:
    """A finding from tap verify and a violation from the pack name the same control."""
    from tap.policy.rules import RULES  # noqa: PLC0415
    from tap.verify import CONTROLS  # noqa: PLC0415

    pack_controls = {rule.control for rule in RULES}
    # Snapshot encryption is a live-only fact: no planned resource declares it.
    live_only = {"RDS.4"}
    assert set(CONTROLS) - live_only <= pack_controls


def test_missing_credentials(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(project / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(project / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    result = run(
        project, write_outputs(project, stack_outputs()), endpoint_url=f"http://{closed_port()}"
    )

    assert_usage_error(
        result,
        "no usable AWS credentials (Unable to locate credentials); set AWS_PROFILE, or "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    )


@pytest.mark.parametrize(
    "code",
    ["InvalidClientTokenId", "UnrecognizedClientException", "AccessDenied", "ExpiredToken"],
)
def test_refused_credentials(project: Path, code: str) -> None:
    session = CannedSession({}, default=code)

    result = run(project, write_outputs(project, stack_outputs()), session=session)

    assert_usage_error(
        result,
        f"AWS refused the request ({code}: {code} (canned)); check that the credentials are "
        "valid, not expired, and allowed to make this call",
    )
    assert len(session.calls) == 1  # the first refusal stops the run


def test_an_unreachable_endpoint(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    endpoint = f"http://{closed_port()}"

    result = run(project, write_outputs(project, stack_outputs()), endpoint_url=endpoint)

    assert_usage_error(
        result, f"cannot reach the AWS endpoint {endpoint}; check --endpoint-url and the network"
    )
