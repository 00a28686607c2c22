"""`tap failover`'s vocabulary: exit codes, limits, what the program declares (the global
database's names) and what AWS says (the global cluster and its members, parsed). Pure."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tap.naming import Namer

if TYPE_CHECKING:
    from tap.config import StackConfig


EXIT_OK = 0
EXIT_UNVERIFIED = 1
EXIT_REFUSED = 2
EXIT_DECLINED = 3

DEFAULT_TIMEOUT_SECONDS = 1800
DEFAULT_POLL_SECONDS = 15
# botocore's standard retry mode retries throttling and transient errors with exponential
# backoff and jitter. A region in trouble throttles its control plane, so allow more than the
# mode's default of 3 attempts (the first call included).
MAX_ATTEMPTS = 6
CONNECT_TIMEOUT_SECONDS = 10
READ_TIMEOUT_SECONDS = 30

AVAILABLE = "available"
# FailoverState.Status while an operation runs: the botocore RDS model documents pending,
# failing-over, cancelling and switching-over. AWS clears the object when the operation ends.
RUNNING = frozenset({"pending", "failing-over", "switching-over", "cancelling"})
CANCELLING = "cancelling"
# The error codes RDS's Query API answers a throttled call with; botocore's standard mode has
# already retried them when one reaches us.
THROTTLING = frozenset({"Throttling", "ThrottlingException", "RequestLimitExceeded"})

# The program-side step after a move (docs/runbook.md, "Moving the writer"): the key of
# tap.config's DatabaseConfig.writer_region, written out here so that `tap --help` loads no
# config model (a test keeps the two equal).
WRITER_REGION_KEY = "tap:database.writerRegion"
RUNBOOK_SECTION = 'docs/runbook.md, "Moving the writer"'
AWS_SOURCE = (
    "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/"
    "aurora-global-database-disaster-recovery.html"
)
_ARN = re.compile(r"^arn:[a-z-]+:rds:(?P<region>[a-z0-9-]+):\d{12}:cluster:(?P<identifier>.+)$")

# Region -> an RDS client for that region.
RdsClients = Callable[[str], Any]


class Stop(Exception):
    """Ends the command with one line on stderr and an exit code."""

    def __init__(self, message: str, code: int = EXIT_REFUSED, *, refused: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        # The credentials were missing or refused: polling again will not help.
        self.refused = refused


# --- what the program declares -------------------------------------------------------------------


@dataclass(frozen=True)
class Topology:
    """The global database the program creates for a stack."""

    stack: str
    global_cluster: str
    clusters: Mapping[str, str]  # region -> member cluster identifier, in tap:regions order
    program_writer: str  # where the program treats the writer as being: tap:database.writerRegion


def topology(config: StackConfig) -> Topology:
    """Names through the program's own code; a stack without a global database is refused."""
    from tap.components.database import (  # noqa: PLC0415 - pulumi_aws loads only here
        aurora_cluster_identifier,
        aurora_global_cluster_identifier,
    )

    if not config.database.global_database:
        raise Stop(
            f"stack {config.stack} has no Aurora global database (tap:database.global is "
            "false): it runs one regional cluster, which fails over between its own "
            "availability zones; there is no writer region to move"
        )
    namer = Namer(config.environment_suffix)
    return Topology(
        stack=config.stack,
        global_cluster=aurora_global_cluster_identifier(namer),
        clusters={
            region: aurora_cluster_identifier(namer.for_region(region)) for region in config.regions
        },
        program_writer=config.writer_region,
    )


# --- what AWS says -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    arn: str
    region: str
    identifier: str
    is_writer: bool
    write_forwarding: str | None = None


@dataclass(frozen=True)
class Operation:
    """A switchover or failover in progress (the global cluster's FailoverState)."""

    status: str
    from_arn: str | None
    to_arn: str | None
    data_loss: bool | None

    def describe(self) -> str:
        kind = "failover" if self.data_loss else "switchover"
        source = parse_arn(self.from_arn)[0] if self.from_arn else "?"
        destination = parse_arn(self.to_arn)[0] if self.to_arn else "?"
        return f"{kind} {self.status} from {source} to {destination}"


@dataclass(frozen=True)
class GlobalState:
    identifier: str
    status: str
    members: tuple[Member, ...]
    operation: Operation | None
    endpoint: str | None = None

    @property
    def running(self) -> bool:
        return self.operation is not None and self.operation.status in RUNNING

    @property
    def writers(self) -> list[Member]:
        return [m for m in self.members if m.is_writer]

    def member(self, region: str, identifier: str) -> Member | None:
        return next(
            (m for m in self.members if m.region == region and m.identifier == identifier), None
        )


@dataclass(frozen=True)
class ClusterState:
    """One member cluster as DescribeDBClusters shows it; `error` when it could not be read."""

    status: str | None = None
    engine_version: str | None = None
    instances: int = 0
    error: str | None = None

    @property
    def label(self) -> str:
        return self.status or f"unreadable ({self.error})"


def parse_arn(arn: str) -> tuple[str, str]:
    """`arn:aws:rds:us-west-2:123456789012:cluster:x` -> ("us-west-2", "x")."""
    match = _ARN.match(arn)
    if not match:
        raise Stop(f"AWS returned a global cluster member that is not a cluster ARN: {arn!r}")
    return match.group("region"), match.group("identifier")


def global_state(answer: Mapping[str, Any], identifier: str) -> GlobalState:
    """The global cluster from a DescribeGlobalClusters answer, or a refusal naming it."""
    found = [
        g
        for g in answer.get("GlobalClusters", [])
        if str(g.get("GlobalClusterIdentifier", "")).lower() == identifier.lower()
    ]
    if not found:
        raise Stop(
            f"AWS has no global cluster {identifier}: is the stack deployed, and are these "
            "credentials for its account?"
        )
    data = found[0]
    members = []
    for raw in data.get("GlobalClusterMembers", []):
        region, cluster = parse_arn(raw["DBClusterArn"])
        members.append(
            Member(
                arn=raw["DBClusterArn"],
                region=region,
                identifier=cluster,
                is_writer=bool(raw.get("IsWriter")),
                write_forwarding=raw.get("GlobalWriteForwardingStatus"),
            )
        )
    failover = data.get("FailoverState") or {}
    operation = (
        Operation(
            status=failover["Status"],
            from_arn=failover.get("FromDbClusterArn"),
            to_arn=failover.get("ToDbClusterArn"),
            data_loss=failover.get("IsDataLossAllowed"),
        )
        if failover.get("Status")
        else None
    )
    return GlobalState(
        identifier=data["GlobalClusterIdentifier"],
        status=str(data.get("Status", "")),
        members=tuple(members),
        operation=operation,
        endpoint=data.get("Endpoint"),
    )


def cluster_state(answer: Mapping[str, Any]) -> ClusterState:
    cluster = answer["DBClusters"][0]
    return ClusterState(
        status=cluster.get("Status"),
        engine_version=cluster.get("EngineVersion"),
        instances=len(cluster.get("DBClusterMembers", [])),
    )
