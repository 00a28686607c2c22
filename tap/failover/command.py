"""`tap failover` itself: the request, the prompt, the wait for the new writer, the report."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from tap.config import StackConfig

from tap.failover.aws import Aws, rds_clients
from tap.failover.decision import AFTER_CHECKS, Move, check_members, next_steps, plan_move
from tap.failover.model import (
    AVAILABLE,
    AWS_SOURCE,
    CANCELLING,
    DEFAULT_POLL_SECONDS,
    DEFAULT_TIMEOUT_SECONDS,
    EXIT_DECLINED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_UNVERIFIED,
    RUNBOOK_SECTION,
    WRITER_REGION_KEY,
    ClusterState,
    GlobalState,
    RdsClients,
    Stop,
    topology,
)


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
