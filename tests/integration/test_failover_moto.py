"""`tap failover` against a moto server: every read it makes before the request.

moto 5 builds global clusters and their members across regions and answers
DescribeGlobalClusters (IsWriter per member) and DescribeDBClusters over real HTTP, so the
checks before the prompt run here end to end, through `tap`'s own command line and
`--endpoint-url`. moto does not implement SwitchoverGlobalCluster or FailoverGlobalCluster;
the request and everything after it are tested with botocore's Stubber (tests/test_failover.py).

The global database is named from the shipped prod stack through the program's own naming, so
these tests also prove the command finds what the program deploys.
"""

from __future__ import annotations

import io
import logging
import sys
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto.server import ThreadedMotoServer

from tap.cli import main
from tap.failover import EXIT_DECLINED, EXIT_REFUSED, Topology, topology
from tap.plan import load_stack_file
from tests.conftest import PROJECT_DIR

TOP: Topology = topology(load_stack_file(PROJECT_DIR, "prod").parse().config)
EAST, WEST, EU = "us-east-1", "us-west-2", "eu-central-1"
SESSION = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    try:
        host, port = moto.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        moto.stop()


@pytest.fixture
def clean(server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The moto server, emptied, and test credentials."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    request = urllib.request.Request(f"{server}/moto-api/reset", method="POST")
    urllib.request.urlopen(request).close()
    return server


@pytest.fixture
def endpoint(clean: str) -> str:
    """prod's global database: the writer in us-east-1, secondaries in the others."""
    deploy(clean, members=tuple(TOP.clusters))
    return clean


def deploy(endpoint: str, members: tuple[str, ...]) -> None:
    """Every cluster of the topology with an instance; `members` join the global cluster."""
    client(endpoint, EAST).create_global_cluster(
        GlobalClusterIdentifier=TOP.global_cluster,
        Engine="aurora-postgresql",
        EngineVersion="16.6",
        StorageEncrypted=True,
    )
    # The writer joins first: moto makes the first member the writer, as AWS does.
    for region, identifier in TOP.clusters.items():
        joins = region in members
        writer = region == EAST or not joins
        rds = client(endpoint, region)
        rds.create_db_cluster(
            DBClusterIdentifier=identifier,
            Engine="aurora-postgresql",
            EngineVersion="16.6",
            **({"GlobalClusterIdentifier": TOP.global_cluster} if joins else {}),
            **(
                {"MasterUsername": "tap_admin", "MasterUserPassword": "not-a-real-password-1"}
                if writer
                else {}
            ),
        )
        rds.create_db_instance(
            DBInstanceIdentifier=f"{identifier}-0",
            DBClusterIdentifier=identifier,
            Engine="aurora-postgresql",
            DBInstanceClass="db.r6g.large",
        )


def client(endpoint: str, region: str) -> Any:
    return SESSION.client("rds", region_name=region, endpoint_url=endpoint)


def tap(
    endpoint: str,
    *args: str,
    stdin: io.StringIO | None = None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", stdin or io.StringIO(""))
    code = main(["failover", "--stack", "prod", "--endpoint-url", endpoint, *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def test_the_plan_shows_moto_s_global_database(
    endpoint: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = tap(endpoint, "--to", WEST, capsys=capsys, monkeypatch=monkeypatch)
    assert code == EXIT_REFUSED
    assert err == (
        "tap: error: refusing to move the writer without confirmation: stdin is not a "
        "terminal; pass --yes to confirm non-interactively\n"
    )
    assert f"Aurora global database {TOP.global_cluster} (available)" in out
    rows = [line.split() for line in out.splitlines() if line.startswith("  ")][1:4]
    assert rows == [
        [EAST, TOP.clusters[EAST], "writer", "available", "-"],
        [WEST, TOP.clusters[WEST], "reader", "available", "disabled"],
        [EU, TOP.clusters[EU], "reader", "available", "disabled"],
    ]
    assert "Planned switchover (rds:SwitchoverGlobalCluster, sent to us-east-1)" in out


def test_declining_at_the_prompt_changes_nothing(
    endpoint: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = tap(
        endpoint,
        "--to",
        EU,
        "--unplanned",
        stdin=Tty("no\n"),
        capsys=capsys,
        monkeypatch=monkeypatch,
    )
    assert code == EXIT_DECLINED
    assert "WARNING: Aurora does not wait for eu-central-1 to catch up" in out
    assert "Cancelled: nothing was changed." in out
    members = client(endpoint, EU).describe_global_clusters()["GlobalClusters"][0]
    writers = [m["DBClusterArn"] for m in members["GlobalClusterMembers"] if m["IsWriter"]]
    assert [w.rsplit(":", 1)[1] for w in writers] == [TOP.clusters[EAST]]


def test_the_writer_is_not_a_target(
    endpoint: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = tap(endpoint, "--to", EAST, "--yes", capsys=capsys, monkeypatch=monkeypatch)
    assert code == EXIT_REFUSED
    assert f"us-east-1 ({TOP.clusters[EAST]}) is already the writer" in err


def test_a_cluster_outside_the_global_database_is_not_a_target(
    clean: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    deploy(clean, members=(EAST, WEST))
    code, _, err = tap(clean, "--to", EU, "--yes", capsys=capsys, monkeypatch=monkeypatch)
    assert code == EXIT_REFUSED
    assert f"{TOP.clusters[EU]} (eu-central-1) is not a member of the global cluster" in err


def test_an_undeployed_stack(
    clean: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = tap(clean, "--to", WEST, "--yes", capsys=capsys, monkeypatch=monkeypatch)
    assert code == EXIT_REFUSED
    assert f"AWS has no global cluster {TOP.global_cluster}: is the stack deployed" in err


def test_a_regional_stack_is_refused_before_any_call(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["failover", "--stack", "dev", "--to", WEST, "--endpoint-url", "http://127.0.0.1:9"]
    )
    assert code == EXIT_REFUSED
    assert "stack dev has no Aurora global database" in capsys.readouterr().err
