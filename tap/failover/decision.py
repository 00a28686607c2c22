"""`tap failover`'s decision, pure: whether a move can go ahead, how it is sent, and whether
the members ended where they should."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tap.aurora import release
from tap.failover.model import (
    AVAILABLE,
    WRITER_REGION_KEY,
    ClusterState,
    GlobalState,
    Member,
    Stop,
    Topology,
)


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
