"""The whole run: every check of a conforming stack passes, control ids match the policy pack,
and AWS access errors (credentials, endpoint) are reported as one line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tap.aws import CALL_POLICY
from tap.verify import CONTROLS, verify
from tests.conftest import PROJECT_DIR
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
    # 5 log groups (flow, function, access, execution, the cluster's postgresql) x 2, 1 alarm,
    # code signing 1, password policy 1; no replication with a single region, and dev has no WAF,
    # AWS Backup or global database (so no rotation of its own).
    assert len(results) == 1 + 4 + 3 + 4 + 2 + 3 + 10 + 1 + 1 + 1
    assert {r.control for r in results} == set(CONTROLS) - {
        "S3.7",
        "RDS.7",
        "TAP.7",
        "TAP.8",
        "TAP.9",
        "APIGateway.4",
        "WAF.11",
        "TAP.14",
        "RDS.26",
        "SecretsManager.1",
        "SecretsManager.4",
    }


def test_checks_use_the_policy_packs_control_ids() -> None:
    """A finding from tap verify and a violation from the pack name the same control."""
    from tap.policy.rules import RULES  # noqa: PLC0415
    from tap.verify import CONTROLS  # noqa: PLC0415

    pack_controls = {rule.control for rule in RULES}
    # Snapshot encryption, and when the secret was last rotated, are live-only facts: no planned
    # resource declares them.
    live_only = {"RDS.4", "SecretsManager.4"}
    assert set(CONTROLS) - live_only <= pack_controls


def test_missing_credentials_stop_the_run(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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

    code, stdout, stderr = run(
        project, write_outputs(project, stack_outputs()), endpoint_url=f"http://{closed_port()}"
    )

    assert (code, stdout) == (3, "")
    assert stderr == (
        "tap: error: no usable AWS credentials (Unable to locate credentials); set "
        "AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n"
    )


def test_a_profile_that_does_not_exist_stops_the_run(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(project / "no-config"))
    monkeypatch.setenv("AWS_PROFILE", "nope")

    code, stdout, stderr = run(project, write_outputs(project, stack_outputs()))

    assert (code, stdout) == (3, "")
    assert stderr == (
        "tap: error: no usable AWS credentials: The config profile (nope) could not be found\n"
    )


@pytest.mark.parametrize(
    "code", ["InvalidClientTokenId", "UnrecognizedClientException", "ExpiredToken"]
)
def test_rejected_credentials_stop_the_calls_but_not_the_report(project: Path, code: str) -> None:
    session = CannedSession({}, default=code)

    exit_code, stdout, stderr = run(
        project, write_outputs(project, stack_outputs()), session=session
    )

    assert session.calls == ["GetKeyRotationStatus"]  # the first rejection stops the calls
    assert stderr == (
        f"tap: warning: AWS rejected the credentials ({code}: {code} (canned)); check that "
        "they are valid and not expired; no further calls are made\n"
    )
    lines = stdout.splitlines()
    assert lines[0].split()[:2] == ["UNKNOWN", "KMS.4"]
    assert lines[0].endswith(f"actual=could not read ({code})")
    assert all(line.startswith("UNKNOWN ") for line in lines[:-1])
    assert all(f"actual=not read (credentials rejected: {code})" in x for x in lines[1:-1])
    assert lines[-1] == (
        "Summary: 30 checks in us-east-1: 0 pass, 0 drift, 0 fail, 30 unknown; the stack could "
        "not be verified: some checks could not be read"
    )
    assert exit_code == 3


@pytest.mark.parametrize(
    "code", ["AccessDenied", "AccessDeniedException", "ThrottlingException", "InternalFailure"]
)
def test_a_call_that_fails_costs_its_checks_only(project: Path, code: str) -> None:
    """AccessDenied on one API, throttling after the retries, an AWS-side error: `unknown`."""
    session = CannedSession({**conforming(), "GetFunctionConfiguration": code})

    exit_code, stdout, stderr = run(
        project, write_outputs(project, stack_outputs()), session=session
    )

    unknown = [line.split()[1] for line in stdout.splitlines() if line.startswith("UNKNOWN")]
    assert unknown == ["Lambda.3", "Lambda.7"]
    assert f"actual=could not read ({code})" in stdout
    assert stdout.splitlines()[-1] == (
        "Summary: 30 checks in us-east-1: 28 pass, 0 drift, 0 fail, 2 unknown; the stack could "
        "not be verified: some checks could not be read"
    )
    assert (exit_code, stderr) == (3, "")
    assert "GetAccountPasswordPolicy" in session.calls  # the run went on to the last check


def test_a_finding_stands_beside_checks_that_could_not_be_read(project: Path) -> None:
    answers = {
        **conforming(),
        "GetFunctionConfiguration": "AccessDenied",
        "GetKeyRotationStatus": {"KeyRotationEnabled": False},
    }

    exit_code, stdout, _ = run(
        project, write_outputs(project, stack_outputs()), session=CannedSession(answers)
    )

    assert stdout.splitlines()[-1] == (
        "Summary: 30 checks in us-east-1: 27 pass, 1 drift, 0 fail, 2 unknown; the stack does "
        "not conform"
    )
    assert exit_code == 1


def test_an_endpoint_that_refuses_connections(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    endpoint = f"http://{closed_port()}"

    code, stdout, stderr = run(
        project, write_outputs(project, stack_outputs()), endpoint_url=endpoint
    )

    assert stderr == (
        f"tap: warning: no answer from {endpoint} (EndpointConnectionError, 3 attempts); no "
        "further calls are made to it\n"
    )
    lines = stdout.splitlines()
    assert lines[0].endswith("actual=could not read (EndpointConnectionError)")
    assert all(f"actual=not read (no answer from {endpoint})" in x for x in lines[1:-1])
    assert lines[-1].endswith(
        "0 pass, 0 drift, 0 fail, 30 unknown; the stack could not be "
        "verified: some checks could not be read"
    )
    assert code == 3


@pytest.mark.parametrize("endpoint", ["localhost:5000", "127.0.0.1:5000", "ftp://x", "http://"])
def test_an_endpoint_url_without_a_scheme_or_host(project: Path, endpoint: str) -> None:
    session = CannedSession({})

    result = run(
        project, write_outputs(project, stack_outputs()), endpoint_url=endpoint, session=session
    )

    assert_usage_error(
        result,
        f"--endpoint-url {endpoint!r} is not an http(s) URL; give the scheme and host, e.g. "
        "http://localhost:5000",
    )
    assert session.calls == []


@pytest.mark.parametrize("doc", ["README.md", "docs/runbook.md"])
def test_the_docs_state_the_call_policy(doc: str) -> None:
    text = " ".join((PROJECT_DIR / doc).read_text(encoding="utf-8").split())
    policy = CALL_POLICY

    assert f"{policy.max_attempts} attempts" in text
    assert f"{policy.connect_timeout:g} s connect" in text
    assert f"{policy.read_timeout:g} s read" in text
    assert f"about {policy.max_attempts * policy.read_timeout:g} s" in text
