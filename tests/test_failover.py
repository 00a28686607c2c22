"""`tap failover` on every path, with botocore's Stubber.

moto 5 does not implement SwitchoverGlobalCluster or FailoverGlobalCluster (it answers that
they are not implemented), so the RDS clients here are real boto3 clients with a Stubber attached:
every request is validated against botocore's RDS service model (parameter names, types,
required members) and every canned answer against the model's output shapes. The reads alone
also run against moto in tests/integration/test_failover_moto.py.

The wait loop runs on a fake clock: nothing sleeps, and the sleeps it asked for are asserted.
"""

from __future__ import annotations

import http.server
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.stub import Stubber  # type: ignore[import-untyped]

from tap import failover
from tap.failover import (
    AVAILABLE,
    EXIT_DECLINED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_UNVERIFIED,
    WRITER_REGION_KEY,
    Clock,
    ClusterState,
    Console,
    GlobalState,
    Member,
    RdsClients,
    Request,
    Stop,
    check_members,
    global_state,
    next_steps,
    parse_arn,
    plan_move,
    rds_clients,
    run_failover,
    topology,
)
from tap.plan import load_stack_file
from tests.conftest import PROJECT_DIR, Planned

ACCOUNT = "123456789012"
TOP = topology(load_stack_file(PROJECT_DIR, "prod").parse().config)
GLOBAL = TOP.global_cluster
EAST, WEST, EU = "us-east-1", "us-west-2", "eu-central-1"
SESSION = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")


def arn(region: str) -> str:
    return f"arn:aws:rds:{region}:{ACCOUNT}:cluster:{TOP.clusters[region]}"


# --- canned AWS answers --------------------------------------------------------------------------


def global_answer(
    writer: str | tuple[str, ...] = EAST,
    *,
    status: str = "available",
    members: tuple[str, ...] = (EAST, WEST, EU),
    operation: dict[str, Any] | None = None,
    identifier: str = GLOBAL,
) -> dict[str, Any]:
    writers = (writer,) if isinstance(writer, str) else writer
    cluster: dict[str, Any] = {
        "GlobalClusterIdentifier": identifier,
        "GlobalClusterArn": f"arn:aws:rds::{ACCOUNT}:global-cluster:{identifier}",
        "Status": status,
        "Engine": "aurora-postgresql",
        "EngineVersion": "16.6",
        "Endpoint": f"{identifier}.global-abc123.global.rds.amazonaws.com",
        "GlobalClusterMembers": [
            {
                "DBClusterArn": arn(region),
                "IsWriter": region in writers,
                "Readers": [],
                **({} if region in writers else {"GlobalWriteForwardingStatus": "disabled"}),
            }
            for region in members
        ],
    }
    if operation is not None:
        cluster["FailoverState"] = operation
    return {"GlobalClusters": [cluster]}


def operation(status: str, to: str = WEST, source: str = EAST, data_loss: bool = False) -> Any:
    return {
        "Status": status,
        "FromDbClusterArn": arn(source),
        "ToDbClusterArn": arn(to),
        "IsDataLossAllowed": data_loss,
    }


def cluster_answer(
    region: str, status: str = "available", version: str = "16.6", instances: int = 2
) -> dict[str, Any]:
    return {
        "DBClusters": [
            {
                "DBClusterIdentifier": TOP.clusters[region],
                "DBClusterArn": arn(region),
                "Status": status,
                "Engine": "aurora-postgresql",
                "EngineVersion": version,
                "DBClusterMembers": [
                    {
                        "DBInstanceIdentifier": f"{TOP.clusters[region]}-{i}",
                        "IsClusterWriter": i == 0,
                        "DBClusterParameterGroupStatus": "in-sync",
                        "PromotionTier": 1,
                    }
                    for i in range(instances)
                ],
            }
        ]
    }


class Fake:
    """One stubbed RDS client per region, as `rds_clients` would make them."""

    def __init__(self) -> None:
        self.clients: dict[str, Any] = {}
        self.stubbers: dict[str, Stubber] = {}

    def __call__(self, region: str) -> Any:
        self.stub(region)
        return self.clients[region]

    def stub(self, region: str) -> Stubber:
        if region not in self.stubbers:
            self.clients[region] = SESSION.client("rds", region_name=region)
            self.stubbers[region] = Stubber(self.clients[region])
            self.stubbers[region].activate()
        return self.stubbers[region]

    def describe_global(self, region: str, answer: dict[str, Any]) -> None:
        self.stub(region).add_response(
            "describe_global_clusters", answer, {"GlobalClusterIdentifier": GLOBAL}
        )

    def describe_cluster(self, region: str, answer: dict[str, Any] | None = None) -> None:
        self.stub(region).add_response(
            "describe_db_clusters",
            answer or cluster_answer(region),
            {"DBClusterIdentifier": TOP.clusters[region]},
        )

    def fail(self, region: str, method: str, code: str, status: int = 400, **meta: Any) -> None:
        self.stub(region).add_client_error(
            method,
            service_error_code=code,
            service_message=f"{code} message",
            http_status_code=status,
            response_meta={"HTTPStatusCode": status, **meta} if meta else None,
        )

    def preflight(
        self,
        writer: str = EAST,
        read_region: str = WEST,
        clusters: dict[str, dict[str, Any]] | None = None,
        **global_kwargs: Any,
    ) -> None:
        """The reads before the prompt: the global cluster, then each member in its region."""
        self.describe_global(read_region, global_answer(writer, **global_kwargs))
        for region in (EAST, WEST, EU):
            self.describe_cluster(region, (clusters or {}).get(region))

    def switchover(self, region: str, to: str = WEST) -> None:
        self.stub(region).add_response(
            "switchover_global_cluster",
            {"GlobalCluster": global_answer(operation=operation("pending"))["GlobalClusters"][0]},
            {"GlobalClusterIdentifier": GLOBAL, "TargetDbClusterIdentifier": arn(to)},
        )

    def failover(self, region: str, to: str = WEST) -> None:
        self.stub(region).add_response(
            "failover_global_cluster",
            {"GlobalCluster": global_answer(operation=operation("pending"))["GlobalClusters"][0]},
            {
                "GlobalClusterIdentifier": GLOBAL,
                "TargetDbClusterIdentifier": arn(to),
                "AllowDataLoss": True,
            },
        )

    def poll(
        self, answer: dict[str, Any], target: str = "available", read_region: str = WEST
    ) -> None:
        """One turn of the wait loop: the global cluster, then the target cluster."""
        self.describe_global(read_region, answer)
        self.describe_cluster(WEST, cluster_answer(WEST, target))

    def final(self, clusters: dict[str, dict[str, Any]] | None = None) -> None:
        for region in (EAST, WEST, EU):
            self.describe_cluster(region, (clusters or {}).get(region))

    def assert_done(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@dataclass
class FakeClock:
    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> Clock:
        return Clock(now=lambda: self.now, sleep=self.sleep)


@dataclass
class Run:
    code: int
    out: str
    err: str
    sleeps: list[float]


@pytest.fixture
def aws() -> Iterator[Fake]:
    fake = Fake()
    yield fake
    fake.assert_done()


def run(
    aws: RdsClients,
    target: str = WEST,
    *,
    stack: str = "prod",
    stdin: io.StringIO | None = None,
    project_dir: Path = PROJECT_DIR,
    **options: Any,
) -> Run:
    options.setdefault("assume_yes", stdin is None)
    stdout, stderr = io.StringIO(), io.StringIO()
    clock = FakeClock()
    code = run_failover(
        Request(stack=stack, target=target, **options),
        Console(stdin or io.StringIO(), stdout, stderr),
        project_dir=project_dir,
        clients=aws,
        clock=clock.clock(),
    )
    assert "Traceback" not in stderr.getvalue()
    return Run(code, stdout.getvalue(), stderr.getvalue(), clock.sleeps)


def one_line_error(result: Run) -> str:
    assert result.err.startswith("tap: error: "), result.err
    assert result.err.count("\n") == 1, result.err
    return result.err


# --- names come from the program -----------------------------------------------------------------


def test_names_are_the_ones_the_prod_plan_creates(plans: dict[str, Planned]) -> None:
    prod = plans["prod"]
    (global_cluster,) = prod.of_type("aws:rds/globalCluster:GlobalCluster")
    assert TOP.global_cluster == global_cluster["inputs"]["globalClusterIdentifier"]
    planned = {
        c["region"]: c["inputs"]["clusterIdentifier"]
        for c in prod.of_type("aws:rds/cluster:Cluster")
    }
    assert dict(TOP.clusters) == planned
    assert TOP.global_cluster == "tap-prod-gbl-aurora-global"
    assert dict(TOP.clusters) == {
        EAST: "tap-prod-use1-aurora",
        WEST: "tap-prod-usw2-aurora",
        EU: "tap-prod-euc1-aurora",
    }
    assert TOP.program_writer == EAST


def test_next_steps_are_the_runbooks() -> None:
    runbook = (PROJECT_DIR / "docs" / "runbook.md").read_text()
    for step in next_steps("prod", "<region>"):
        assert step in runbook, step
    assert "Route 53 health checks of every region's `/health`" in runbook
    assert (
        next_steps("prod", WEST)[0]
        == f"pulumi config set --stack prod --path {WRITER_REGION_KEY} {WEST}"
    )


def test_clients_retry_in_botocores_standard_mode() -> None:
    client = rds_clients("http://127.0.0.1:9", lambda: SESSION)(WEST)
    assert client.meta.config.retries == {
        "mode": "standard",
        "total_max_attempts": failover.MAX_ATTEMPTS,
    }
    assert client.meta.region_name == WEST
    assert client.meta.endpoint_url == "http://127.0.0.1:9"


def test_parse_arn() -> None:
    assert parse_arn(arn(WEST)) == (WEST, TOP.clusters[WEST])
    with pytest.raises(Stop, match="not a cluster ARN"):
        parse_arn(f"arn:aws:rds:{WEST}:{ACCOUNT}:db:instance-1")


def test_global_state_picks_our_cluster_among_others() -> None:
    """moto answers DescribeGlobalClusters with every global cluster, whatever the filter."""
    other = global_answer(identifier="someone-else")["GlobalClusters"]
    state = global_state({"GlobalClusters": other + global_answer()["GlobalClusters"]}, GLOBAL)
    assert state.identifier == GLOBAL
    assert [w.region for w in state.writers] == [EAST]
    with pytest.raises(Stop, match=f"AWS has no global cluster {GLOBAL}"):
        global_state({"GlobalClusters": other}, GLOBAL)


# --- success -------------------------------------------------------------------------------------


def test_planned_switchover(aws: Fake) -> None:
    aws.preflight()
    aws.switchover(EAST)  # the Aurora User Guide sends a switchover to the writer's region
    aws.poll(global_answer(operation=operation("switching-over")), target="modifying")
    aws.poll(global_answer(WEST))
    aws.final()
    result = run(aws)
    assert result.code == EXIT_OK, result.err
    assert result.err == ""
    assert result.sleeps == [15, 15]
    out = result.out
    assert f"Aurora global database {GLOBAL} (available)" in out
    assert "Planned switchover (rds:SwitchoverGlobalCluster, sent to us-east-1)" in out
    assert "RPO: 0" in out
    assert "may lose" not in out
    assert "operation switchover switching-over from us-east-1 to us-west-2" in out
    assert f"The writer of {GLOBAL} is now us-west-2 (tap-prod-usw2-aurora), after 30s." in out
    assert out.count(" ok\n") == 3
    assert f"pulumi config set --stack prod --path {WRITER_REGION_KEY} us-west-2" in out
    assert "scripts/uv run tap verify --stack prod --outputs outputs.json" in out
    assert failover.AWS_SOURCE in out


def test_unplanned_failover_tolerates_the_lost_region(aws: Fake) -> None:
    """us-east-1 is down: its cluster cannot be read before or after; the others rebuild."""
    aws.describe_global(WEST, global_answer())
    aws.fail(EAST, "describe_db_clusters", "InternalFailure", 500, RetryAttempts=5)
    aws.describe_cluster(WEST)
    aws.describe_cluster(EU)
    aws.failover(WEST)  # ... and a failover to the target's region
    aws.poll(global_answer(WEST, operation=operation("failing-over", data_loss=True)))
    aws.fail(EAST, "describe_db_clusters", "InternalFailure", 500, RetryAttempts=5)
    aws.describe_cluster(WEST)
    aws.describe_cluster(EU, cluster_answer(EU, "modifying"))
    result = run(aws, unplanned=True)
    assert result.code == EXIT_OK, result.err
    out = result.out
    assert (
        "Unplanned failover that may lose data (rds:FailoverGlobalCluster, sent to us-west-2)"
        in out
    )
    assert "WARNING: Aurora does not wait for us-west-2 to catch up" in out
    assert "rds:unplanned-global-failover-" in out
    assert "RPO: typically seconds" in out
    assert "unreadable (InternalFailure)" in out
    assert (
        "note: tap-prod-use1-aurora (us-east-1) is unreadable (InternalFailure), not available"
        in out
    )
    assert (
        "note: tap-prod-euc1-aurora (eu-central-1) is modifying, not available: Aurora rebuilds"
        in out
    )
    assert "WRONG" not in out
    # The operation is still shown as failing over (the others rebuild), but the writer is up.
    assert result.sleeps == [15]


def test_region_override_sends_every_call_there(aws: Fake) -> None:
    aws.preflight(read_region=EU)
    aws.switchover(EU)
    aws.poll(global_answer(WEST), read_region=EU)
    aws.final()
    assert run(aws, api_region=EU).code == EXIT_OK


def test_poll_interval_and_timeout_options(aws: Fake) -> None:
    aws.preflight()
    aws.switchover(EAST)
    aws.poll(global_answer(operation=operation("switching-over")))
    aws.poll(global_answer(WEST))
    aws.final()
    assert run(aws, poll_seconds=40, timeout_seconds=600).sleeps == [40, 40]


def test_a_first_read_that_lags_behind_the_request_is_not_an_outcome(aws: Fake) -> None:
    """Right after the request, AWS may still show the old writer and no operation."""
    aws.preflight()
    aws.switchover(EAST)
    aws.poll(global_answer())
    aws.poll(global_answer(WEST))
    aws.final()
    assert run(aws).code == EXIT_OK


def test_a_switchover_is_over_only_when_aws_says_so(aws: Fake) -> None:
    """The target may show as the writer while AWS still synchronises the old one."""
    aws.preflight()
    aws.switchover(EAST)
    aws.poll(global_answer(WEST, operation=operation("switching-over")))
    aws.poll(global_answer(WEST))
    aws.final()
    result = run(aws)
    assert result.code == EXIT_OK, result.err
    assert result.sleeps == [15, 15]


# --- the prompt ----------------------------------------------------------------------------------


def test_prompt_accepts_the_typed_region(aws: Fake) -> None:
    aws.preflight()
    aws.switchover(EAST)
    aws.poll(global_answer(WEST))
    aws.final()
    result = run(aws, stdin=Tty("us-west-2\n"))
    assert result.code == EXIT_OK, result.err
    assert "Type the target region (us-west-2) to go ahead, anything else to cancel: " in result.out


@pytest.mark.parametrize("answer", ["yes\n", "n\n", "", "us-east-1\n"])
def test_prompt_declines_anything_else(aws: Fake, answer: str) -> None:
    aws.preflight()  # and no request: the Stubber fails on any call not queued
    result = run(aws, stdin=Tty(answer))
    assert result.code == EXIT_DECLINED
    assert "Cancelled: nothing was changed." in result.out
    assert result.err == ""


def test_no_terminal_and_no_yes_is_refused(aws: Fake) -> None:
    aws.preflight()
    result = run(aws, stdin=io.StringIO("us-west-2\n"))
    assert result.code == EXIT_REFUSED
    assert "stdin is not a terminal; pass --yes" in one_line_error(result)
    assert "Planned switchover" in result.out  # the plan is shown before the refusal


# --- refusals before anything changes ------------------------------------------------------------


def test_a_stack_without_a_global_database(aws: Fake) -> None:
    for stack in ("dev", "staging"):
        result = run(aws, stack=stack)
        assert result.code == EXIT_REFUSED
        assert f"stack {stack} has no Aurora global database" in one_line_error(result)


def test_a_region_outside_the_stack(aws: Fake) -> None:
    result = run(aws, "us-east-2")
    assert result.code == EXIT_REFUSED
    assert "us-east-2 is not a region of stack prod" in one_line_error(result)


def test_a_target_that_is_not_a_member(aws: Fake) -> None:
    aws.describe_global(WEST, global_answer(members=(EAST, EU)))
    aws.describe_cluster(EAST)
    aws.fail(WEST, "describe_db_clusters", "DBClusterNotFoundFault", 404)
    aws.describe_cluster(EU)
    result = run(aws)
    assert result.code == EXIT_REFUSED
    assert (
        f"tap-prod-usw2-aurora (us-west-2) is not a member of the global cluster {GLOBAL}; "
        "its members: tap-prod-use1-aurora (us-east-1), tap-prod-euc1-aurora (eu-central-1)"
    ) in one_line_error(result)


def test_a_target_that_is_already_the_writer(aws: Fake) -> None:
    aws.preflight(writer=WEST)
    result = run(aws)
    assert result.code == EXIT_REFUSED
    assert "us-west-2 (tap-prod-usw2-aurora) is already the writer" in one_line_error(result)


@pytest.mark.parametrize("status", ["pending", "switching-over", "failing-over", "cancelling"])
def test_an_operation_already_running(aws: Fake, status: str) -> None:
    aws.preflight(operation=operation(status, to=EU), status="switching-over")
    result = run(aws)
    assert result.code == EXIT_REFUSED
    assert (
        f"a switchover {status} from us-east-1 to eu-central-1 is already running on {GLOBAL}"
        in one_line_error(result)
    )


@pytest.mark.parametrize("how", ["fault", "empty"])
def test_no_such_global_cluster(aws: Fake, how: str) -> None:
    if how == "fault":
        aws.fail(WEST, "describe_global_clusters", "GlobalClusterNotFoundFault", 404)
    else:
        aws.describe_global(WEST, {"GlobalClusters": []})
    result = run(aws)
    assert result.code == EXIT_REFUSED
    assert f"AWS has no global cluster {GLOBAL}: is the stack deployed" in one_line_error(result)


def test_a_switchover_needs_every_member_available(aws: Fake) -> None:
    aws.preflight(clusters={EU: cluster_answer(EU, "backing-up")})
    result = run(aws)
    assert result.code == EXIT_REFUSED
    err = one_line_error(result)
    assert (
        "tap-prod-euc1-aurora (eu-central-1) is backing-up; a switchover needs every member" in err
    )
    assert "use --unplanned only if the writer's region is down" in err


def test_a_switchover_needs_the_global_cluster_available(aws: Fake) -> None:
    aws.preflight(status="modifying")
    result = run(aws)
    assert result.code == EXIT_REFUSED
    assert f"{GLOBAL} is modifying; a switchover needs it available" in one_line_error(result)


def test_an_unreachable_writer_region_refuses_a_switchover(aws: Fake) -> None:
    aws.describe_global(WEST, global_answer())
    aws.fail(EAST, "describe_db_clusters", "InternalFailure", 503)
    aws.describe_cluster(WEST)
    aws.describe_cluster(EU)
    result = run(aws)
    assert result.code == EXIT_REFUSED
    assert "tap-prod-use1-aurora (us-east-1) is unreadable (InternalFailure)" in one_line_error(
        result
    )


def test_a_headless_target(aws: Fake) -> None:
    aws.preflight(clusters={WEST: cluster_answer(WEST, instances=0)})
    result = run(aws, unplanned=True)
    assert result.code == EXIT_REFUSED
    assert "tap-prod-usw2-aurora has no DB instance" in one_line_error(result)


def test_an_unavailable_target_refuses_a_failover_too(aws: Fake) -> None:
    aws.preflight(clusters={WEST: cluster_answer(WEST, "modifying")})
    result = run(aws, unplanned=True)
    assert result.code == EXIT_REFUSED
    assert "the target cluster tap-prod-usw2-aurora is modifying" in one_line_error(result)


def test_engine_versions_must_match(aws: Fake) -> None:
    aws.preflight(clusters={WEST: cluster_answer(WEST, version="16.4")})
    result = run(aws)
    assert result.code == EXIT_REFUSED
    assert "runs Aurora PostgreSQL 16.6 and the target tap-prod-usw2-aurora runs 16.4" in (
        one_line_error(result)
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timeout_seconds": 0}, "--timeout must be a positive number of seconds, got 0"),
        ({"poll_seconds": 0}, "--poll-interval must be between 1 and --timeout (1800)"),
        ({"poll_seconds": 60, "timeout_seconds": 30}, "--poll-interval must be between 1"),
    ],
)
def test_bad_wait_options(aws: Fake, options: dict[str, Any], message: str) -> None:
    result = run(aws, **options)
    assert result.code == EXIT_REFUSED
    assert message in one_line_error(result)


def test_a_bad_stack_file(aws: Fake, tmp_path: Path) -> None:
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  tap:regions: [us-east-1, mars-1]\n")
    result = run(aws, project_dir=tmp_path)
    assert result.code == EXIT_REFUSED
    assert "invalid configuration: tap:regions" in one_line_error(result)
    result = run(aws, stack="nope", project_dir=tmp_path)
    assert "unknown stack 'nope'" in one_line_error(result)


# --- AWS failures --------------------------------------------------------------------------------


def test_access_denied(aws: Fake) -> None:
    aws.fail(WEST, "describe_global_clusters", "AccessDenied", 403)
    result = run(aws)
    assert result.code == EXIT_REFUSED
    err = one_line_error(result)
    assert (
        "AWS denied rds:DescribeGlobalClusters in us-west-2 (AccessDenied: AccessDenied message)"
        in err
    )
    assert "rds:SwitchoverGlobalCluster or rds:FailoverGlobalCluster" in err


def test_throttling_after_the_standard_retries(aws: Fake) -> None:
    aws.fail(WEST, "describe_global_clusters", "Throttling", 400, RetryAttempts=5)
    result = run(aws)
    assert result.code == EXIT_REFUSED
    assert (
        "AWS throttled rds:DescribeGlobalClusters in us-west-2 (Throttling) and still did after 6 "
        "attempt(s)" in one_line_error(result)
    )


def test_a_cluster_read_denied_stops_everything(aws: Fake) -> None:
    aws.describe_global(WEST, global_answer())
    aws.fail(EAST, "describe_db_clusters", "ExpiredToken", 403)
    result = run(aws)
    assert result.code == EXIT_REFUSED
    assert "AWS denied rds:DescribeDBClusters in us-east-1 (ExpiredToken" in one_line_error(result)


def test_no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    clients = rds_clients("http://127.0.0.1:9", max_attempts=1)
    result = run(clients)
    assert result.code == EXIT_REFUSED
    assert "rds:DescribeGlobalClusters in us-west-2: no usable AWS credentials" in (
        one_line_error(result)
    )


def test_an_unreachable_endpoint() -> None:
    clients = rds_clients("http://127.0.0.1:9", lambda: SESSION, max_attempts=1)
    result = run(clients)
    assert result.code == EXIT_REFUSED
    assert (
        "rds:DescribeGlobalClusters in us-west-2: no answer from the AWS endpoint "
        "http://127.0.0.1:9" in one_line_error(result)
    )


def test_an_endpoint_that_is_not_aws() -> None:
    class Html(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = b"<!doctype html><title>proxy</title>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Html)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        result = run(rds_clients(url, lambda: SESSION, max_attempts=1))
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert result.code == EXIT_REFUSED
    err = one_line_error(result)
    assert (
        "rds:DescribeGlobalClusters in us-west-2: the endpoint's answer is not the RDS API's" in err
    )
    assert "check --endpoint-url" in err


def test_aws_refuses_the_request(aws: Fake) -> None:
    aws.preflight()
    aws.fail(EAST, "switchover_global_cluster", "InvalidGlobalClusterStateFault", 400)
    aws.describe_global(WEST, global_answer())  # the re-read: nothing under way
    result = run(aws)
    assert result.code == EXIT_REFUSED
    assert (
        "AWS refused rds:SwitchoverGlobalCluster in us-east-1 (InvalidGlobalClusterStateFault"
        in one_line_error(result)
    )


def test_a_lost_answer_to_a_request_that_took_effect(aws: Fake) -> None:
    """The call failed after retries, but AWS shows our operation: wait for it."""
    aws.preflight()
    aws.fail(EAST, "switchover_global_cluster", "InternalFailure", 500, RetryAttempts=5)
    aws.describe_global(WEST, global_answer(operation=operation("switching-over")))
    aws.poll(global_answer(WEST))
    aws.final()
    result = run(aws)
    assert result.code == EXIT_OK, result.err
    assert "failed on AWS's side (InternalFailure: InternalFailure message) after 6" in result.out
    assert "but AWS shows the operation under way" in result.out


def test_a_failed_request_that_cannot_be_rechecked(aws: Fake) -> None:
    aws.preflight()
    aws.fail(EAST, "switchover_global_cluster", "InternalFailure", 500)
    aws.fail(WEST, "describe_global_clusters", "InternalFailure", 500)
    result = run(aws)
    assert result.code == EXIT_UNVERIFIED
    assert "cannot be read to see whether the request took effect" in one_line_error(result)


# --- the wait ------------------------------------------------------------------------------------


def test_the_wait_is_bounded(aws: Fake) -> None:
    aws.preflight()
    aws.switchover(EAST)
    for _ in range(3):
        aws.poll(global_answer(operation=operation("switching-over")), target="modifying")
    result = run(aws, timeout_seconds=40)
    assert result.code == EXIT_UNVERIFIED
    assert result.sleeps == [15, 15, 10]
    err = one_line_error(result)
    assert "timed out after 40s waiting for us-west-2 to become the writer" in err
    assert (
        "last seen: global cluster available, operation switchover switching-over from "
        "us-east-1 to us-west-2, writer us-east-1, tap-prod-usw2-aurora modifying" in err
    )
    assert f"aws rds describe-global-clusters --global-cluster-identifier {GLOBAL}" in err


def test_read_errors_while_waiting_are_retried(aws: Fake) -> None:
    aws.preflight()
    aws.switchover(EAST)
    aws.fail(WEST, "describe_global_clusters", "Throttling", 400, RetryAttempts=5)
    aws.poll(global_answer(WEST))
    aws.final()
    result = run(aws)
    assert result.code == EXIT_OK, result.err
    assert "could not read the state: AWS throttled rds:DescribeGlobalClusters" in result.out
    assert result.sleeps == [15, 15]


def test_a_timeout_reports_the_last_read_error(aws: Fake) -> None:
    aws.preflight()
    aws.switchover(EAST)
    aws.fail(WEST, "describe_global_clusters", "InternalFailure", 500)
    result = run(aws, timeout_seconds=15)
    assert result.code == EXIT_UNVERIFIED
    err = one_line_error(result)
    assert "last seen: never read; the last read failed: rds:DescribeGlobalClusters" in err


def test_credentials_that_expire_while_waiting(aws: Fake) -> None:
    aws.preflight()
    aws.switchover(EAST)
    aws.fail(WEST, "describe_global_clusters", "ExpiredToken", 403)
    result = run(aws)
    assert result.code == EXIT_UNVERIFIED
    err = one_line_error(result)
    assert "the planned switchover was requested, but AWS stopped answering: AWS denied" in err


def test_a_cancelled_switchover(aws: Fake) -> None:
    aws.preflight()
    aws.switchover(EAST)
    aws.poll(global_answer(operation=operation("cancelling")))
    aws.poll(global_answer())
    result = run(aws)
    assert result.code == EXIT_UNVERIFIED
    assert "was cancelled (FailoverState went to cancelling); the writer is us-east-1" in (
        one_line_error(result)
    )


# --- verification of the roles -------------------------------------------------------------------


def test_a_second_writer_after_the_switchover(aws: Fake) -> None:
    aws.preflight()
    aws.switchover(EAST)
    aws.poll(global_answer((EAST, WEST)))
    aws.final()
    result = run(aws)
    assert result.code == EXIT_UNVERIFIED
    assert "WRONG: tap-prod-use1-aurora (us-east-1) is the writer; it must be the reader" in (
        result.out
    )
    assert "1 member(s) of tap-prod-gbl-aurora-global are not as they must be" in (
        one_line_error(result)
    )
    assert "Next steps" not in result.out


def test_a_member_not_available_after_a_switchover(aws: Fake) -> None:
    aws.preflight()
    aws.switchover(EAST)
    aws.poll(global_answer(WEST))
    aws.final({EU: cluster_answer(EU, "modifying")})
    result = run(aws)
    assert result.code == EXIT_UNVERIFIED
    assert "WRONG: tap-prod-euc1-aurora (eu-central-1) is modifying, not available" in result.out


def test_members_that_cannot_be_checked_after_the_move(aws: Fake) -> None:
    aws.preflight()
    aws.switchover(EAST)
    aws.poll(global_answer(WEST))
    aws.fail(EAST, "describe_db_clusters", "ExpiredTokenException", 400)
    result = run(aws)
    assert result.code == EXIT_UNVERIFIED
    assert "us-west-2 is the writer now, but the members could not be checked: AWS denied" in (
        one_line_error(result)
    )


def move(unplanned: bool = False) -> failover.Move:
    clusters = {r: ClusterState(AVAILABLE, "16.6", 2) for r in TOP.clusters}
    return plan_move(
        TOP, global_state(global_answer(), GLOBAL), clusters, WEST, unplanned=unplanned
    )


def test_check_members_after_a_failover() -> None:
    after = global_state(global_answer(WEST, members=(WEST, EU)), GLOBAL)
    clusters = {
        EAST: ClusterState(error="EndpointConnectionError"),
        WEST: ClusterState(AVAILABLE),
        EU: ClusterState(AVAILABLE),
    }
    findings = {f.region: f for f in check_members(move(unplanned=True), after, clusters)}
    note = findings[EAST].note
    assert note is not None and "Aurora adds it back" in note
    assert findings[EAST].problem is None
    assert findings[WEST].verdict == findings[EU].verdict == "ok"
    # The same picture after a switchover is wrong: the old writer must be a reader.
    findings = {f.region: f for f in check_members(move(), after, clusters)}
    assert findings[EAST].problem == f"is not a member of {GLOBAL}"


def test_check_members_reports_members_the_program_does_not_create() -> None:
    extra = global_answer(WEST)
    extra["GlobalClusters"][0]["GlobalClusterMembers"].append(
        {"DBClusterArn": f"arn:aws:rds:ap-south-1:{ACCOUNT}:cluster:stray", "IsWriter": True}
    )
    clusters = {r: ClusterState(AVAILABLE) for r in TOP.clusters}
    findings = check_members(move(), global_state(extra, GLOBAL), clusters)
    stray = next(f for f in findings if f.identifier == "stray")
    assert stray.problem is not None and "the program does not create" in stray.problem
    extra["GlobalClusters"][0]["GlobalClusterMembers"][-1]["IsWriter"] = False
    findings = check_members(move(), global_state(extra, GLOBAL), clusters)
    stray = next(f for f in findings if f.identifier == "stray")
    assert stray.problem is None and stray.note


def test_plan_move_sends_each_mode_where_the_user_guide_says() -> None:
    assert move().request_region == EAST
    assert move(unplanned=True).request_region == WEST
    state = global_state(global_answer(), GLOBAL)
    clusters = {r: ClusterState(AVAILABLE, "16.6", 2) for r in TOP.clusters}
    assert (
        plan_move(TOP, state, clusters, WEST, unplanned=False, api_region=EU).request_region == EU
    )


def test_two_writers_are_refused_before_anything() -> None:
    state = global_state(global_answer((EAST, EU)), GLOBAL)
    clusters = {r: ClusterState(AVAILABLE, "16.6", 2) for r in TOP.clusters}
    with pytest.raises(Stop, match="more than one writer"):
        plan_move(TOP, state, clusters, WEST, unplanned=True)


def test_member_lookup_needs_region_and_name() -> None:
    state = GlobalState(GLOBAL, AVAILABLE, (Member(arn(WEST), WEST, "x", True),), None)
    assert state.member(WEST, "x") is not None
    assert state.member(EAST, "x") is None
