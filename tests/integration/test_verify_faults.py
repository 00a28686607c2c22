"""`tap verify` under faults on the wire: throttling, refusals, dropped connections, replies that
are not the API's document, an endpoint that never answers.

The moto deployment of conftest.py answers; FaultProxy (faults.py) sits between botocore and
moto and spoils the calls a test names, so botocore's standard retry mode, its timeouts and its
parsers all take part. Every run checks the primary region only, unless a test says otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tap.aws import CallPolicy
from tests.integration.faults import (
    DROP,
    HANG,
    Answer,
    BlackHole,
    FaultProxy,
    json_error,
    query_error,
    s3_error,
)
from tests.integration.moto_stack import PRIMARY, SECONDARY, Deployment, Run

# Fast enough for a test, slow enough for moto on a busy machine.
QUICK = CallPolicy(connect_timeout=1.0, read_timeout=2.0, max_attempts=3)


@pytest.fixture(scope="module")
def proxy(deployment: Deployment) -> Iterator[FaultProxy]:
    with FaultProxy(deployment.endpoint).running() as running:
        yield running


@pytest.fixture
def faults(proxy: FaultProxy) -> Iterator[FaultProxy]:
    proxy.reset()
    yield proxy
    proxy.reset()


def verify(deployment: Deployment, proxy: FaultProxy, **options: object) -> Run:
    options.setdefault("regions", [PRIMARY])
    options.setdefault("policy", QUICK)
    return deployment.run(endpoint=proxy.url, **options)  # type: ignore[arg-type]


def not_passed(run: Run) -> list[tuple[str, str, str]]:
    return [(r.control, r.status, r.actual) for r in run.results if r.status != "pass"]


def test_through_the_proxy_a_conforming_deployment_passes(
    deployment: Deployment, faults: FaultProxy
) -> None:
    run = verify(deployment, faults)

    assert (not_passed(run), run.code, run.stderr) == ([], 0, "")
    assert faults.attempts("GetKeyRotationStatus", PRIMARY) == 1


def test_a_throttled_call_is_retried_and_then_read(
    deployment: Deployment, faults: FaultProxy
) -> None:
    faults.inject("GetKeyRotationStatus", json_error("ThrottlingException"), times=2)
    faults.inject("GetBucketVersioning", s3_error("SlowDown", 503), times=1)

    run = verify(deployment, faults)

    assert (not_passed(run), run.code, run.stderr) == ([], 0, "")
    assert faults.attempts("GetKeyRotationStatus", PRIMARY) == 3


def test_a_call_throttled_past_the_retries_is_unknown_not_a_fail(
    deployment: Deployment, faults: FaultProxy
) -> None:
    faults.inject("GetKeyRotationStatus", json_error("ThrottlingException"))

    run = verify(deployment, faults)

    assert not_passed(run) == [("KMS.4", "unknown", "could not read (ThrottlingException)")]
    assert (run.code, run.stderr) == (3, "")
    assert faults.attempts("GetKeyRotationStatus", PRIMARY) == QUICK.max_attempts


def test_access_denied_on_one_api_costs_only_its_checks(
    deployment: Deployment, faults: FaultProxy
) -> None:
    faults.inject("DescribeDBClusters", query_error("AccessDenied", 403))

    run = verify(deployment, faults, regions=None)

    assert not_passed(run) == [
        (control, "unknown", "could not read (AccessDenied)")
        for control in ("RDS.27", "RDS.4", "RDS.50", "RDS.37")
    ]
    assert (run.code, run.stderr) == (3, "")
    assert run.results[-1].control == "IAM.7"  # the report went on to its last check
    assert {r.region for r in run.results} == {PRIMARY, SECONDARY, "global"}


def test_a_server_error_is_retried_then_unknown(deployment: Deployment, faults: FaultProxy) -> None:
    faults.inject("GetFunctionConfiguration", json_error("ServiceException", 500))

    run = verify(deployment, faults)

    assert not_passed(run) == [
        ("Lambda.3", "unknown", "could not read (ServiceException)"),
        ("Lambda.7", "unknown", "could not read (ServiceException)"),
    ]
    assert run.code == 3
    assert faults.attempts("GetFunctionConfiguration") == QUICK.max_attempts


def test_a_dropped_connection_is_retried(deployment: Deployment, faults: FaultProxy) -> None:
    faults.inject("GetStage", DROP, times=1)

    run = verify(deployment, faults)

    assert (not_passed(run), run.code, run.stderr) == ([], 0, "")
    assert faults.attempts("GetStage") == 2


def test_a_connection_dropped_every_time_costs_only_its_checks(
    deployment: Deployment, faults: FaultProxy
) -> None:
    faults.inject("GetStage", DROP)

    run = verify(deployment, faults)

    assert not_passed(run) == [
        (control, "unknown", "could not read (ConnectionClosedError)")
        for control in ("APIGateway.1", "APIGateway.3", "APIGateway.9")
    ]
    assert (run.code, run.stderr) == (3, "")
    assert faults.attempts("DescribeAlarms") == 1  # the checks after it still ran


@pytest.mark.parametrize(
    "answer",
    [
        Answer(200, b"{}"),
        Answer(200, b'{"KeyRotationEnabled": "yes"}'),
        Answer(200, b"<html><body>Gateway says hello</body></html>", "text/html"),
    ],
    ids=["empty-document", "string-for-boolean", "html-page"],
)
def test_a_kms_reply_that_is_not_the_document_is_unknown_not_drift(
    deployment: Deployment, faults: FaultProxy, answer: Answer
) -> None:
    faults.inject("GetKeyRotationStatus", answer)

    run = verify(deployment, faults)

    [(control, status, actual)] = not_passed(run)
    assert (control, status) == ("KMS.4", "unknown")
    assert actual.startswith("unexpected reply (")
    assert run.code == 3


def test_an_rds_reply_botocore_cannot_parse_is_unknown(
    deployment: Deployment, faults: FaultProxy
) -> None:
    faults.inject(
        "DescribeDBClusters", Answer(200, b"<DescribeDBClustersResponse><oops", "text/xml")
    )

    run = verify(deployment, faults)

    assert not_passed(run) == [
        (control, "unknown", "could not read (a reply botocore cannot parse)")
        for control in ("RDS.27", "RDS.4", "RDS.50", "RDS.37")
    ]
    assert run.code == 3


def test_credentials_that_expire_during_the_run_stop_the_calls_not_the_report(
    deployment: Deployment, faults: FaultProxy
) -> None:
    faults.inject("DescribeLogGroups", json_error("ExpiredTokenException"))

    run = verify(deployment, faults, regions=None)

    read = [r for r in run.results if r.status == "pass"]
    assert {r.control for r in read} >= {"KMS.4", "S3.14", "Lambda.3", "APIGateway.1"}
    assert {r.region for r in read} == {PRIMARY}
    unread = run.results[len(read) :]
    # The first log group's two checks share the rejected call; nothing is called after it.
    assert [r.actual for r in unread[:2]] == ["could not read (ExpiredTokenException)"] * 2
    assert {r.actual for r in unread[2:]} == {
        "not read (credentials rejected: ExpiredTokenException)"
    }
    assert unread[-1].control == "IAM.7"
    assert faults.attempts("DescribeLogGroups") == 1  # a rejection is not retried
    assert run.stderr == (
        "tap: warning: AWS rejected the credentials (ExpiredTokenException: "
        "ExpiredTokenException (injected)); check that they are valid and not expired; no "
        "further calls are made\n"
    )
    assert run.code == 3


def test_an_operation_that_never_answers_is_given_up_in_bounded_time(
    deployment: Deployment, faults: FaultProxy
) -> None:
    faults.inject("GetStage", HANG)
    policy = CallPolicy(connect_timeout=1.0, read_timeout=0.5, max_attempts=2)

    started = time.monotonic()
    run = verify(deployment, faults, policy=policy)
    elapsed = time.monotonic() - started

    assert faults.attempts("GetStage") == 2
    stage = [r for r in run.results if r.control.startswith("APIGateway")]
    assert {(r.status, r.actual) for r in stage} == {
        ("unknown", "could not read (ReadTimeoutError)")
    }
    # One endpoint serves every service here, so the later checks are not attempted.
    assert faults.attempts("DescribeAlarms") == 0
    assert run.stderr == (
        f"tap: warning: no answer from {faults.url} (ReadTimeoutError, 2 attempts); no further "
        "calls are made to it\n"
    )
    assert run.code == 3
    assert elapsed < 2 * 0.5 + 10  # two read timeouts, plus the checks that were read


def test_a_black_hole_endpoint_is_given_up_after_one_call(deployment: Deployment) -> None:
    policy = CallPolicy(connect_timeout=1.0, read_timeout=0.5, max_attempts=2)

    with BlackHole().running() as hole:
        started = time.monotonic()
        run = deployment.run(endpoint=hole.url, policy=policy)
        elapsed = time.monotonic() - started

    assert hole.connections == policy.max_attempts  # one call, retried; no other call made
    assert elapsed < policy.max_attempts * policy.read_timeout + 3
    assert {r.status for r in run.results} == {"unknown"}
    assert run.results[0].actual == "could not read (ReadTimeoutError)"
    assert {r.actual for r in run.results[1:]} == {f"not read (no answer from {hole.url})"}
    assert run.stderr == (
        f"tap: warning: no answer from {hole.url} (ReadTimeoutError, 2 attempts); no further "
        "calls are made to it\n"
    )
    assert run.code == 3
