"""`tap failover`'s AWS access: RDS clients with botocore's standard retries, the reads and
the one write, and every AWS failure as one line (Stop)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tap.failover.decision import Move
from tap.failover.model import (
    CONNECT_TIMEOUT_SECONDS,
    MAX_ATTEMPTS,
    READ_TIMEOUT_SECONDS,
    THROTTLING,
    ClusterState,
    GlobalState,
    RdsClients,
    Stop,
    Topology,
    cluster_state,
    global_state,
)


def rds_clients(
    endpoint_url: str | None,
    session_factory: Callable[[], Any] | None = None,
    max_attempts: int = MAX_ATTEMPTS,
) -> RdsClients:
    """One RDS client per region from one session, with botocore's standard retry mode."""
    import boto3  # type: ignore[import-untyped]  # noqa: PLC0415 - only AWS commands need it
    from botocore.config import Config  # type: ignore[import-untyped]  # noqa: PLC0415

    session = (session_factory or boto3.Session)()
    config = Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"mode": "standard", "total_max_attempts": max_attempts},
    )
    clients: dict[str, Any] = {}

    def client(region: str) -> Any:
        if region not in clients:
            clients[region] = session.client(
                "rds", region_name=region, endpoint_url=endpoint_url, config=config
            )
        return clients[region]

    return client


def is_refused(error: BaseException) -> bool:
    """Credentials missing, invalid or not allowed: waiting will not help."""
    from botocore import exceptions  # type: ignore[import-untyped]  # noqa: PLC0415

    from tap.aws import REFUSED, error_code  # noqa: PLC0415

    if isinstance(error, exceptions.NoCredentialsError | exceptions.PartialCredentialsError):
        return True
    return isinstance(error, exceptions.ClientError) and error_code(error) in REFUSED


def describe_failure(
    error: BaseException, action: str, region: str, endpoint_url: str | None
) -> str | None:
    """One line for an AWS failure of `action` in `region`; None for anything else (a bug)."""
    from botocore import exceptions, parsers  # noqa: PLC0415

    from tap.aws import REFUSED, describe_aws_error, error_code  # noqa: PLC0415

    where = f"{action} in {region}"
    if isinstance(error, exceptions.ClientError):
        code = error_code(error)
        message = error.response.get("Error", {}).get("Message", "")
        metadata = error.response.get("ResponseMetadata", {})
        attempts = int(metadata.get("RetryAttempts", 0)) + 1
        if code in THROTTLING:
            return (
                f"AWS throttled {where} ({code}) and still did after {attempts} attempt(s) "
                "with botocore's standard retries; wait a minute and run tap failover again"
            )
        if code in REFUSED:
            return (
                f"AWS denied {where} ({code}: {message}); the credentials need "
                "rds:DescribeGlobalClusters, rds:DescribeDBClusters and "
                "rds:SwitchoverGlobalCluster or rds:FailoverGlobalCluster on the global "
                "cluster and its member clusters"
            )
        if int(metadata.get("HTTPStatusCode", 0)) >= 500:
            return (
                f"{where} failed on AWS's side ({code}: {message}) after {attempts} "
                "attempt(s); try again in a minute"
            )
        return f"AWS refused {where} ({code}: {message})"
    if isinstance(error, parsers.ResponseParserError):
        return (
            f"{where}: the endpoint's answer is not the RDS API's ({str(error).splitlines()[0]}); "
            "check --endpoint-url"
        )
    described = describe_aws_error(error, endpoint_url)
    return None if described is None else f"{where}: {described}"


class Aws:
    """The reads and the one write `tap failover` makes, with failures as Stop."""

    def __init__(self, clients: RdsClients, endpoint_url: str | None) -> None:
        self._clients = clients
        self._endpoint_url = endpoint_url

    def fail(self, error: BaseException, action: str, region: str, code: int) -> Stop:
        message = describe_failure(error, action, region, self._endpoint_url)
        if message is None:
            raise error
        return Stop(message, code, refused=is_refused(error))

    def global_state(self, region: str, identifier: str, code: int) -> GlobalState:
        from tap.aws import error_code  # noqa: PLC0415 - keeps `tap --help` light

        try:
            answer = self._clients(region).describe_global_clusters(
                GlobalClusterIdentifier=identifier
            )
        except Exception as error:
            if error_code(error) == "GlobalClusterNotFoundFault":
                return global_state({}, identifier)
            raise self.fail(error, "rds:DescribeGlobalClusters", region, code) from None
        return global_state(answer, identifier)

    def cluster(self, region: str, identifier: str, code: int) -> ClusterState:
        """A cluster's state; an unreachable or refusing region is reported, except when the
        credentials themselves are refused (then nothing can be read anywhere)."""
        from tap.aws import error_code  # noqa: PLC0415

        try:
            answer = self._clients(region).describe_db_clusters(DBClusterIdentifier=identifier)
        except Exception as error:
            if is_refused(error):
                raise self.fail(error, "rds:DescribeDBClusters", region, code) from None
            message = describe_failure(error, "rds:DescribeDBClusters", region, self._endpoint_url)
            if message is None:
                raise
            return ClusterState(error=error_code(error) or message)
        return cluster_state(answer)

    def clusters(self, top: Topology, code: int) -> dict[str, ClusterState]:
        return {
            region: self.cluster(region, identifier, code)
            for region, identifier in top.clusters.items()
        }

    def request(self, move: Move) -> None:
        client = self._clients(move.request_region)
        if move.unplanned:
            client.failover_global_cluster(
                GlobalClusterIdentifier=move.topology.global_cluster,
                TargetDbClusterIdentifier=move.target.arn,
                AllowDataLoss=True,
            )
        else:
            client.switchover_global_cluster(
                GlobalClusterIdentifier=move.topology.global_cluster,
                TargetDbClusterIdentifier=move.target.arn,
            )
