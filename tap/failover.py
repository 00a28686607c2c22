"""`tap failover`: move the writer of a stack's Aurora global database to another region.

The stack's config, read through tap's own model, says which global cluster and which member
clusters the program created (the names come from `tap.components.database`). AWS says which
member is the writer now (DescribeGlobalClusters). From both, the command

1. checks the request: the stack has a global database, the target region holds one of its
   secondaries (not the writer), no switchover or failover is running, and the clusters are in
   a state AWS can promote;
2. shows what it will do (writer, target, members, the RPO and RTO AWS documents, the data-loss
   warning of an unplanned failover) and asks for the target region to be typed on a terminal,
   or takes `--yes`; without a terminal and without `--yes` it refuses;
3. asks RDS for a planned switchover (SwitchoverGlobalCluster: no data loss, sent to the
   writer's region) or, with `--unplanned`, a failover that may lose data (FailoverGlobalCluster
   with AllowDataLoss, sent to the target's region), as the Aurora User Guide prescribes;
4. waits, bounded by `--timeout` and polling every `--poll-interval` seconds, until the target is
   the writer and available (and, for a switchover, the operation is over);
5. checks every member's role (IsWriter) and cluster status, then prints the result and the
   next steps of docs/runbook.md ("Moving the writer").

Exit codes (also in docs/runbook.md):

- 0: the target is the writer and every member was verified;
- 1: the operation was requested but did not end verified: it timed out, was cancelled, left a
  member in the wrong role or state, or AWS stopped answering. The writer may still be moving:
  look (`aws rds describe-global-clusters`) before acting again;
- 2: refused, nothing was changed: bad input or config, no global database, a target that is
  not a secondary, an operation already running, no terminal and no --yes, or AWS refusing,
  throttling or unreachable before the request;
- 3: declined at the prompt, nothing was changed.

This module loads nothing heavy at import (cli.py reads its defaults to build `tap --help`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from tap.aurora import release
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


# --- the decision (pure) -------------------------------------------------------------------------


@dataclass(frozen=True)
class Mode:
    title: str
    action: str  # the IAM action, as AWS names it in AccessDenied messages
    rpo: str
    rto: str


PLANNED = Mode(
    title="planned switchover",
    action="rds:SwitchoverGlobalCluster",
    rpo="0 (Aurora waits until the target has every committed write before the roles change)",
    rto="minutes (writes fail while the two clusters change roles; AWS: RTO in the order of "
    "minutes, longer with a larger replication lag)",
)
UNPLANNED = Mode(
    title="unplanned failover that may lose data",
    action="rds:FailoverGlobalCluster",
    rpo="typically seconds (the target's replication lag when the writer stopped)",
    rto="minutes (the target usually becomes the writer within a few minutes; the other "
    "secondaries are then rebuilt from it, which takes minutes to hours)",
)


@dataclass(frozen=True)
class Move:
    """A checked request: what will be asked of AWS, and where."""

    topology: Topology
    state: GlobalState
    clusters: Mapping[str, ClusterState]  # by region, every member of the topology
    target: Member
    writer: Member | None
    unplanned: bool
    request_region: str

    @property
    def mode(self) -> Mode:
        return UNPLANNED if self.unplanned else PLANNED


def plan_move(
    top: Topology,
    state: GlobalState,
    clusters: Mapping[str, ClusterState],
    target_region: str,
    *,
    unplanned: bool,
    api_region: str | None = None,
) -> Move:
    """Check the request against the live state; raise Stop (nothing changed) to refuse it."""
    identifier = top.clusters[target_region]
    target = state.member(target_region, identifier)
    if target is None:
        members = ", ".join(f"{m.identifier} ({m.region})" for m in state.members) or "none"
        raise Stop(
            f"{identifier} ({target_region}) is not a member of the global cluster "
            f"{top.global_cluster}; its members: {members}"
        )
    if state.running and state.operation is not None:
        raise Stop(
            f"a {state.operation.describe()} is already running on {top.global_cluster}; "
            "wait until it ends (aws rds describe-global-clusters shows no FailoverState), then "
            "run tap failover again"
        )
    if target.is_writer:
        raise Stop(
            f"{target_region} ({identifier}) is already the writer of {top.global_cluster}; "
            "nothing to move"
        )
    writers = state.writers
    writer = writers[0] if len(writers) == 1 else None
    if len(writers) > 1:
        names = ", ".join(f"{w.identifier} ({w.region})" for w in writers)
        raise Stop(
            f"AWS reports more than one writer in {top.global_cluster} ({names}); resolve that "
            "first (see the RDS events of those clusters)"
        )
    if not unplanned:
        _check_switchover(top, state, clusters, writer)
    target_cluster = clusters[target_region]
    if target_cluster.status != AVAILABLE:
        raise Stop(
            f"the target cluster {identifier} is {target_cluster.label}; AWS promotes only an "
            "available cluster: wait until it is available"
        )
    if target_cluster.instances == 0:
        raise Stop(
            f"the target cluster {identifier} has no DB instance; AWS cannot promote a headless "
            "cluster: give it instances (tap:database.instanceCount) and deploy first"
        )
    if writer is not None:
        _check_versions(writer, clusters.get(writer.region), target, target_cluster)
    if api_region is not None:
        request_region = api_region
    elif unplanned or writer is None:
        # The Aurora User Guide sends a failover to the target's region: the writer's region
        # may be the one that is down.
        request_region = target_region
    else:
        # ... and a switchover to the writer's region.
        request_region = writer.region
    return Move(top, state, clusters, target, writer, unplanned, request_region)


def _check_switchover(
    top: Topology,
    state: GlobalState,
    clusters: Mapping[str, ClusterState],
    writer: Member | None,
) -> None:
    """A switchover is for a healthy global database (Aurora User Guide): every part of it."""
    hint = "use --unplanned only if the writer's region is down (it may lose data)"
    if writer is None:
        raise Stop(f"{top.global_cluster} has no writer; a switchover needs one: {hint}")
    if state.status != AVAILABLE:
        raise Stop(
            f"{top.global_cluster} is {state.status or 'in an unknown state'}; a switchover "
            f"needs it available: wait, or {hint}"
        )
    for region, identifier in top.clusters.items():
        cluster = clusters[region]
        if cluster.status != AVAILABLE:
            raise Stop(
                f"{identifier} ({region}) is {cluster.label}; a switchover needs every member "
                f"available: wait, or {hint}"
            )


def _check_versions(
    writer: Member,
    writer_cluster: ClusterState | None,
    target: Member,
    target_cluster: ClusterState,
) -> None:
    """AWS moves the writer only between the same major and minor engine versions."""
    if writer_cluster is None or not writer_cluster.engine_version:
        return
    if not target_cluster.engine_version:
        return
    try:
        versions = (
            release(writer_cluster.engine_version),
            release(target_cluster.engine_version),
        )
    except ValueError:
        return  # a version format tap does not know: AWS decides
    if versions[0] != versions[1]:
        raise Stop(
            f"the writer {writer.identifier} runs Aurora PostgreSQL "
            f"{writer_cluster.engine_version} and the target {target.identifier} runs "
            f"{target_cluster.engine_version}; AWS moves the writer only between the same "
            "major and minor version: upgrade them to match first"
        )


@dataclass(frozen=True)
class Finding:
    region: str
    identifier: str
    role: str  # "writer", "reader" or "missing"
    status: str
    problem: str | None = None  # the member is not as it must be: exit 1
    note: str | None = None  # expected after an unplanned failover; reported, exit 0

    @property
    def verdict(self) -> str:
        return "WRONG" if self.problem else ("note" if self.note else "ok")


def check_members(
    move: Move, state: GlobalState, clusters: Mapping[str, ClusterState]
) -> list[Finding]:
    """Every member's role and status after the move.

    After a switchover every member must be available, the target the writer and the rest
    readers. After an unplanned failover only the new writer must be: AWS re-adds the old
    writer when its region is back and rebuilds the other secondaries (minutes to hours), so
    their state is reported, not failed. A second writer is always a failure.
    """
    findings = []
    old_writer = move.writer.region if move.writer else None
    for region, identifier in move.topology.clusters.items():
        member = state.member(region, identifier)
        cluster = clusters.get(region, ClusterState(error="not read"))
        expected = "writer" if region == move.target.region else "reader"
        tolerated = move.unplanned and region != move.target.region
        role = "missing" if member is None else ("writer" if member.is_writer else "reader")
        problem: str | None = None
        note: str | None = None
        rejoins = f"Aurora adds it back as a secondary when {region} is available"
        if member is None:
            problem = f"is not a member of {state.identifier}"
            if tolerated and region == old_writer:
                problem, note = None, f"{problem} now: {rejoins}"
        elif role != expected:
            problem = f"is the {role}; it must be the {expected}"
        elif cluster.status != AVAILABLE:
            problem = f"is {cluster.label}, not available"
            if tolerated:
                why = rejoins if region == old_writer else "Aurora rebuilds it from the new writer"
                problem, note = None, f"{problem}: {why}"
        findings.append(Finding(region, identifier, role, cluster.label, problem, note))
    known = set(move.topology.clusters.items())
    for member in state.members:
        if (member.region, member.identifier) in known:
            continue
        if member.is_writer:
            problem = "is a writer the program does not create; the target must be the only one"
            findings.append(Finding(member.region, member.identifier, "writer", "-", problem))
        else:
            note = "is a member the program does not create"
            findings.append(Finding(member.region, member.identifier, "reader", "-", note=note))
    return findings


AFTER_CHECKS = (
    "the Route 53 health checks and their alarms (with tap:dns), the API alarms of every "
    "region, and the Aurora alarms of the new writer are OK."
)


def next_steps(stack: str, region: str) -> list[str]:
    """The commands after the writer moved; docs/runbook.md shows the same (a test keeps them
    equal)."""
    return [
        f"pulumi config set --stack {stack} --path {WRITER_REGION_KEY} {region}",
        f"pulumi preview --stack {stack} --diff   # must show no replace and no delete",
        f"pulumi up --stack {stack} --policy-pack tap/policy "
        "--policy-pack-config policy-config.json",
        f"pulumi stack output --stack {stack} --json > outputs.json",
        f"scripts/uv run tap verify --stack {stack} --outputs outputs.json",
    ]


# --- AWS access ----------------------------------------------------------------------------------


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
        try:
            answer = self._clients(region).describe_global_clusters(
                GlobalClusterIdentifier=identifier
            )
        except Exception as error:
            if _error_code(error) == "GlobalClusterNotFoundFault":
                return global_state({}, identifier)
            raise self.fail(error, "rds:DescribeGlobalClusters", region, code) from None
        return global_state(answer, identifier)

    def cluster(self, region: str, identifier: str, code: int) -> ClusterState:
        """A cluster's state; an unreachable or refusing region is reported, except when the
        credentials themselves are refused (then nothing can be read anywhere)."""
        try:
            answer = self._clients(region).describe_db_clusters(DBClusterIdentifier=identifier)
        except Exception as error:
            if is_refused(error):
                raise self.fail(error, "rds:DescribeDBClusters", region, code) from None
            message = describe_failure(error, "rds:DescribeDBClusters", region, self._endpoint_url)
            if message is None:
                raise
            return ClusterState(error=_error_code(error) or message)
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


def _error_code(error: BaseException) -> str:
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return ""
    return str(response.get("Error", {}).get("Code", ""))


# --- the command ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    stack: str
    target: str
    unplanned: bool = False
    assume_yes: bool = False
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
    poll_seconds: int = DEFAULT_POLL_SECONDS
    endpoint_url: str | None = None
    api_region: str | None = None  # where the reads and the request go, instead of the default


@dataclass
class Console:
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO

    def say(self, line: str = "") -> None:
        self.stdout.write(line + "\n")
        self.stdout.flush()


@dataclass
class Clock:
    """Time for the wait loop; tests pass a fake one, so nothing really sleeps."""

    now: Callable[[], float]
    sleep: Callable[[float], None]


def system_clock() -> Clock:
    import time  # noqa: PLC0415

    return Clock(now=time.monotonic, sleep=time.sleep)


def run_failover(
    request: Request,
    console: Console,
    *,
    project_dir: Path | None = None,
    clients: RdsClients | None = None,
    clock: Clock | None = None,
) -> int:
    """`tap failover`: the exit code of the module docstring; errors are one line on stderr."""
    try:
        return _run(
            request,
            console,
            project_dir,
            clients or rds_clients(request.endpoint_url),
            clock or system_clock(),
        )
    except Stop as stop:
        console.stderr.write(f"tap: error: {' '.join(stop.message.split())}\n")
        return stop.code


def _run(
    request: Request,
    console: Console,
    project_dir: Path | None,
    clients: RdsClients,
    clock: Clock,
) -> int:
    if request.timeout_seconds <= 0:
        raise Stop(f"--timeout must be a positive number of seconds, got {request.timeout_seconds}")
    if not 0 < request.poll_seconds <= request.timeout_seconds:
        raise Stop(
            f"--poll-interval must be between 1 and --timeout ({request.timeout_seconds}) "
            f"seconds, got {request.poll_seconds}"
        )
    top = topology(_load_config(request.stack, project_dir))
    if request.target not in top.clusters:
        raise Stop(
            f"{request.target} is not a region of stack {top.stack} (tap:regions: "
            f"{', '.join(top.clusters)})"
        )
    aws = Aws(clients, request.endpoint_url)
    read_region = request.api_region or request.target
    state = aws.global_state(read_region, top.global_cluster, EXIT_REFUSED)
    clusters = aws.clusters(top, EXIT_REFUSED)
    move = plan_move(
        top,
        state,
        clusters,
        request.target,
        unplanned=request.unplanned,
        api_region=request.api_region,
    )
    show_move(move, console)
    if not request.assume_yes:
        if not console.stdin.isatty():
            raise Stop(
                "refusing to move the writer without confirmation: stdin is not a terminal; "
                "pass --yes to confirm non-interactively"
            )
        console.stdout.write(
            f"Type the target region ({move.target.region}) to go ahead, anything else to cancel: "
        )
        console.stdout.flush()
        if console.stdin.readline().strip() != move.target.region:
            console.say("Cancelled: nothing was changed.")
            return EXIT_DECLINED

    _send(aws, move, read_region, console)
    outcome = wait_for_writer(aws, move, read_region, request, console, clock)
    return report(aws, move, outcome, console)


def _load_config(stack: str, project_dir: Path | None) -> StackConfig:
    from tap.config import ConfigError  # noqa: PLC0415
    from tap.stackfile import PlanError, find_project_dir, load_stack_file  # noqa: PLC0415

    try:
        return load_stack_file(project_dir or find_project_dir(), stack).parse().config
    except PlanError as error:
        raise Stop(str(error)) from None
    except ConfigError as error:
        raise Stop(f"invalid configuration: {error}") from None


def _send(aws: Aws, move: Move, read_region: str, console: Console) -> None:
    """Ask for the move. A lost answer is not a refusal: if AWS shows the operation, wait."""
    console.say(
        f"Requesting the {move.mode.title} ({move.mode.action}) in {move.request_region}..."
    )
    try:
        aws.request(move)
    except Exception as error:
        refusal = aws.fail(error, move.mode.action, move.request_region, EXIT_REFUSED)
        # The request may have reached AWS before the error (a timeout, a retried call that
        # then met its own operation): read before calling it refused.
        try:
            state = aws.global_state(read_region, move.topology.global_cluster, EXIT_UNVERIFIED)
        except Stop as unread:
            raise Stop(
                f"{refusal.message}; and the global cluster cannot be read to see whether the "
                f"request took effect ({unread.message}): check before running tap failover "
                "again",
                EXIT_UNVERIFIED,
            ) from None
        operation = state.operation if state.running else None
        ours = operation is not None and operation.to_arn == move.target.arn
        target = state.member(move.target.region, move.target.identifier)
        if not ours and not (target is not None and target.is_writer):
            raise refusal from None
        console.say(f"  ({refusal.message}; but AWS shows the operation under way)")


@dataclass(frozen=True)
class Outcome:
    finished: bool  # False: timed out, or the operation was cancelled
    elapsed: float
    state: GlobalState | None
    target: ClusterState | None
    cancelled: bool = False
    last_error: str | None = None


def wait_for_writer(
    aws: Aws,
    move: Move,
    read_region: str,
    request: Request,
    console: Console,
    clock: Clock,
) -> Outcome:
    """Poll until the target is the writer and available, bounded by the timeout."""
    start = clock.now()
    deadline = start + request.timeout_seconds
    target_region, target_id = move.target.region, move.target.identifier
    state: GlobalState | None = None
    target: ClusterState | None = None
    last_error: str | None = None
    seen: tuple[str, ...] = ()
    cancelled = False
    while (remaining := deadline - clock.now()) > 0:
        clock.sleep(min(request.poll_seconds, remaining))
        elapsed = clock.now() - start
        try:
            state = aws.global_state(read_region, move.topology.global_cluster, EXIT_UNVERIFIED)
            target = aws.cluster(target_region, target_id, EXIT_UNVERIFIED)
        except Stop as stop:
            if stop.refused:
                raise Stop(
                    f"the {move.mode.title} was requested, but AWS stopped answering: "
                    f"{stop.message}; check {_where_to_look(move)}",
                    EXIT_UNVERIFIED,
                ) from None
            last_error = stop.message
            console.say(f"  [{_duration(elapsed):>7}] could not read the state: {stop.message}")
            continue
        last_error = None
        member = state.member(target_region, target_id)
        is_writer = member is not None and member.is_writer
        writer = ", ".join(w.region for w in state.writers) or "none"
        operation = state.operation.describe() if state.operation else "none"
        line = (state.status, operation, writer, target.label)
        if line != seen:
            seen = line
            console.say(
                f"  [{_duration(elapsed):>7}] global cluster {state.status}; operation "
                f"{operation}; writer {writer}; {target_id} {target.label}"
            )
        if state.operation is not None and state.operation.status == CANCELLING:
            cancelled = True
        if is_writer and target.status == AVAILABLE and (move.unplanned or not state.running):
            return Outcome(True, elapsed, state, target)
        if cancelled and not state.running:
            return Outcome(False, elapsed, state, target, cancelled=True)
    return Outcome(False, clock.now() - start, state, target, last_error=last_error)


def report(aws: Aws, move: Move, outcome: Outcome, console: Console) -> int:
    top = move.topology
    target = move.target
    if not outcome.finished:
        state = outcome.state
        if outcome.cancelled:
            writer = ", ".join(w.region for w in state.writers) if state else "unknown"
            raise Stop(
                f"the {move.mode.title} to {target.region} was cancelled (FailoverState went "
                f"to cancelling); the writer is {writer or 'none'}. Read the RDS events of "
                f"{_clusters_of(move)} for the reason",
                EXIT_UNVERIFIED,
            )
        seen = (
            f"global cluster {state.status}, operation "
            f"{state.operation.describe() if state.operation else 'none'}, writer "
            f"{', '.join(w.region for w in state.writers) or 'none'}, {target.identifier} "
            f"{outcome.target.label if outcome.target else 'unread'}"
            if state
            else "never read"
        )
        last = f"; the last read failed: {outcome.last_error}" if outcome.last_error else ""
        raise Stop(
            f"timed out after {_duration(outcome.elapsed)} waiting for {target.region} to "
            f"become the writer; last seen: {seen}{last}. It may still finish: check "
            f"{_where_to_look(move)} and follow {RUNBOOK_SECTION}",
            EXIT_UNVERIFIED,
        )
    assert outcome.state is not None  # a finished wait read the state
    try:
        clusters = aws.clusters(top, EXIT_UNVERIFIED)
    except Stop as stop:
        raise Stop(
            f"{target.region} is the writer now, but the members could not be checked: "
            f"{stop.message}",
            EXIT_UNVERIFIED,
        ) from None
    findings = check_members(move, outcome.state, clusters)
    console.say()
    console.say(
        f"The writer of {top.global_cluster} is now {target.region} ({target.identifier}), "
        f"after {_duration(outcome.elapsed)}."
    )
    _table(
        console,
        ("region", "cluster", "role", "status", "check"),
        [(f.region, f.identifier, f.role, f.status, f.verdict) for f in findings],
    )
    for finding in findings:
        if finding.problem:
            console.say(f"  WRONG: {finding.identifier} ({finding.region}) {finding.problem}")
        elif finding.note:
            console.say(f"  note: {finding.identifier} ({finding.region}) {finding.note}")
    problems = [f for f in findings if f.problem]
    if problems:
        console.stderr.write(
            f"tap: error: {len(problems)} member(s) of {top.global_cluster} are not as they "
            f"must be after the {move.mode.title}; check {_where_to_look(move)}\n"
        )
        return EXIT_UNVERIFIED
    console.say()
    console.say(
        f"Next steps ({RUNBOOK_SECTION}): make the program follow the writer (commit the "
        "config change and deploy it through the pipeline, or by hand in an emergency), then "
        "check."
    )
    for step in next_steps(top.stack, target.region):
        console.say(f"  {step}")
    console.say(f"  Then: {AFTER_CHECKS}")
    return EXIT_OK


def _where_to_look(move: Move) -> str:
    return (
        f"`aws rds describe-global-clusters --global-cluster-identifier "
        f"{move.topology.global_cluster} --region {move.target.region}` and the RDS events of "
        f"{_clusters_of(move)}"
    )


def _clusters_of(move: Move) -> str:
    names = [move.target.identifier]
    if move.writer is not None:
        names.insert(0, move.writer.identifier)
    return " and ".join(names)


# --- output --------------------------------------------------------------------------------------


def show_move(move: Move, console: Console) -> None:
    top, state, target, writer = move.topology, move.state, move.target, move.writer
    console.say(f"Stack {top.stack}: Aurora global database {top.global_cluster} ({state.status})")
    rows = []
    for region, identifier in top.clusters.items():
        member = state.member(region, identifier)
        role = "missing" if member is None else ("writer" if member.is_writer else "reader")
        forwarding = (member.write_forwarding if member else None) or "-"
        rows.append((region, identifier, role, move.clusters[region].label, forwarding))
    _table(console, ("region", "cluster", "role", "status", "write forwarding"), rows)
    if state.endpoint:
        console.say(f"  global writer endpoint: {state.endpoint}")
    if writer is not None and writer.region != top.program_writer:
        console.say(
            f"  note: the program treats {top.program_writer} as the writer "
            f"({WRITER_REGION_KEY}); AWS has it in {writer.region}"
        )
    console.say()
    mode = move.mode
    source = f"{writer.region} ({writer.identifier})" if writer else "no writer"
    console.say(
        f"{mode.title[0].upper()}{mode.title[1:]} ({mode.action}, sent to {move.request_region}):"
    )
    console.say(f"  the writer moves from {source} to {target.region} ({target.identifier}).")
    if move.unplanned:
        old = writer.region if writer else "the old writer"
        console.say(
            f"  WARNING: Aurora does not wait for {target.region} to catch up. Writes {old} "
            "committed and had not yet replicated are lost from the database (Aurora tries to "
            "keep them in a snapshot named rds:unplanned-global-failover-...). Stop the writes "
            f"to {old} first if you can."
        )
        console.say(
            f"  Aurora adds {old} back as a secondary when its region is available; the "
            "other secondaries are rebuilt from the new writer."
        )
    else:
        old = writer.region if writer else "the old writer"
        console.say(f"  {old} becomes a reader; the other members stay readers.")
    console.say(f"  RPO: {mode.rpo}.")
    console.say(f"  RTO: {mode.rto}.")
    console.say("  In-flight transactions fail and connections drop: clients reconnect and retry.")
    console.say(f"  Source: {AWS_SOURCE}")
    console.say()


def _table(console: Console, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    lines = [tuple(header), *(tuple(r) for r in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        cells = (cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        console.say(("  " + "  ".join(cells)).rstrip())


def _duration(seconds: float) -> str:
    whole = round(seconds)
    minutes, rest = divmod(whole, 60)
    return f"{minutes}m {rest:02d}s" if minutes else f"{rest}s"
