"""`tap verify` as a command: load the inputs, run every check, print the report.

Exit codes (tap.exitcodes): 0 every check passes; 1 any drift or fail; 2 bad input (arguments,
stack file, outputs), one line on stderr and no report; 3 no drift or fail, but some checks are
unknown (AWS could not be read), or there are no usable credentials at all (one line, no report).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TextIO

from tap.aws import CALL_POLICY, CallPolicy, describe_aws_error, endpoint_url_problem
from tap.config import ConfigError, StackConfig
from tap.exitcodes import EXIT_AWS_UNAVAILABLE, EXIT_USER_ERROR
from tap.verify import (
    api,
    backup,
    database,
    entrypoint,
    function,
    kms,
    logs,
    monitoring,
    rotation,
    security,
    signing,
    storage,
    waf,
)
from tap.verify.context import Clients, Context, SessionFactory, Warn
from tap.verify.model import CheckResult, Control
from tap.verify.outputs import VerifyError, read_outputs, select_regions, validate_outputs
from tap.verify.report import exit_code, render_json, render_text

OutputFormat = Literal["text", "json"]

# The checks of one region, in report order.
REGIONAL_CHECKS: tuple[Callable[[Context, str], list[CheckResult]], ...] = (
    kms.check,
    storage.check,
    database.check,
    function.check,
    api.check,
    entrypoint.check,
    logs.check,
    monitoring.check,
    waf.check,
    signing.check,
    backup.check,
    rotation.check,
)
CONTROLS: dict[str, Control] = {
    control.id: control
    for module in (
        storage,
        kms,
        database,
        function,
        api,
        entrypoint,
        logs,
        monitoring,
        security,
        waf,
        signing,
        backup,
        rotation,
    )
    for control in module.CONTROLS
}


def verify(
    outputs: Mapping[str, Any],
    config: StackConfig,
    *,
    session_factory: SessionFactory,
    regions: Sequence[str] | None = None,
    endpoint_url: str | None = None,
    policy: CallPolicy = CALL_POLICY,
    warn: Warn | None = None,
) -> list[CheckResult]:
    """Every check for the selected regions (default: all of the stack's), then IAM.7.

    Raises VerifyError for bad input, and botocore's error when there are no usable credentials
    (run_verify turns both into one line); any other AWS fault makes checks `unknown`, said
    through `warn` when it stops further calls.
    """
    validate_outputs(outputs)
    selected = select_regions(outputs, config, regions)
    if config.dns is not None:
        entrypoint.validate_entry_point_outputs(outputs, config.regions)
    ctx = Context(outputs, config, Clients(session_factory, endpoint_url, policy, warn))
    results = [
        result for region in selected for check in REGIONAL_CHECKS for result in check(ctx, region)
    ]
    return results + security.check_account(ctx)


def run_verify(
    stack: str,
    outputs_path: str | None,
    endpoint_url: str | None,
    regions: list[str] | None,
    output_format: OutputFormat,
    stdout: TextIO,
    stderr: TextIO,
    *,
    stdin: TextIO | None = None,
    project_dir: Path | None = None,
    session_factory: SessionFactory | None = None,
    policy: CallPolicy = CALL_POLICY,
) -> int:
    """`tap verify`, with the exit codes of this module's docstring."""

    def warn(message: str) -> None:
        stderr.write(f"tap: warning: {_one_line(message)}\n")
        stderr.flush()

    try:
        config, outputs = _inputs(
            stack, outputs_path, endpoint_url, output_format, stdin or sys.stdin, project_dir
        )
        results = verify(
            outputs,
            config,
            session_factory=session_factory or _boto3_session,
            regions=regions,
            endpoint_url=endpoint_url,
            policy=policy,
            warn=warn,
        )
    except VerifyError as error:
        return _error(stderr, str(error), EXIT_USER_ERROR)
    except Exception as error:
        message = describe_aws_error(error, endpoint_url)
        if message is None:
            raise
        return _error(stderr, message, EXIT_AWS_UNAVAILABLE)

    if output_format == "json":
        render_json(results, stdout)
    else:
        render_text(results, stdout)
    return exit_code(results)


def _inputs(
    stack: str,
    outputs_path: str | None,
    endpoint_url: str | None,
    output_format: str,
    stdin: TextIO,
    project_dir: Path | None,
) -> tuple[StackConfig, Mapping[str, Any]]:
    """The stack's config and outputs, after every check that needs no AWS."""
    from tap.plan import PlanError, find_project_dir, load_stack_file  # noqa: PLC0415 - heavy

    if outputs_path is None:
        raise VerifyError(
            "--outputs is required: save `pulumi stack output --json --stack "
            f"{stack}` to a file and pass its path, or - to read it from stdin"
        )
    if output_format not in ("text", "json"):
        raise VerifyError(f"unknown format {output_format!r}; use text or json")
    if endpoint_url is not None and (problem := endpoint_url_problem(endpoint_url)):
        raise VerifyError(problem)
    try:
        config = load_stack_file(project_dir or find_project_dir(), stack).parse().config
    except PlanError as error:
        raise VerifyError(str(error)) from None
    except ConfigError as error:
        raise VerifyError(f"invalid configuration: {error}") from None

    outputs = read_outputs(outputs_path, stdin)
    source = "stdin" if outputs_path == "-" else outputs_path
    try:
        validate_outputs(outputs)
    except VerifyError as error:
        raise VerifyError(
            f"{source} is not `pulumi stack output --json` of a tap stack: {error}"
        ) from None
    return config, outputs


def _boto3_session() -> Any:
    """A session from the environment (profile, keys, SSO); boto3 loads only when verify runs."""
    import boto3  # type: ignore[import-untyped]  # noqa: PLC0415

    return boto3.Session()


def _error(stderr: TextIO, message: str, code: int) -> int:
    stderr.write(f"tap: error: {_one_line(message)}\n")
    return code


def _one_line(message: str) -> str:
    return " ".join(message.split())  # AWS messages may span lines
