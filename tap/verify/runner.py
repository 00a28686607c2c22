"""`tap verify` as a command: load the inputs, run every check, print the report."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TextIO

import boto3  # type: ignore[import-untyped]

from tap.aws import describe_aws_error
from tap.config import ConfigError, StackConfig
from tap.exitcodes import EXIT_USER_ERROR
from tap.verify import api, database, function, kms, logs, monitoring, security, storage
from tap.verify.context import Clients, Context, SessionFactory
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
    logs.check,
    monitoring.check,
)
CONTROLS: dict[str, Control] = {
    control.id: control
    for module in (storage, kms, database, function, api, logs, monitoring, security)
    for control in module.CONTROLS
}


def verify(
    outputs: Mapping[str, Any],
    config: StackConfig,
    *,
    session_factory: SessionFactory,
    regions: Sequence[str] | None = None,
    endpoint_url: str | None = None,
) -> list[CheckResult]:
    """Every check for the selected regions (default: all of the stack's), then IAM.7.

    Raises VerifyError for bad input; botocore's errors for missing or refused credentials and
    unreachable endpoints propagate (run_verify turns them into one line).
    """
    validate_outputs(outputs)
    selected = select_regions(outputs, config, regions)
    ctx = Context(outputs, config, Clients(session_factory, endpoint_url))
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
) -> int:
    """`tap verify`: 0 when every check passes, 1 on any drift or fail, 2 on bad input."""
    try:
        results = _run(
            stack,
            outputs_path,
            endpoint_url,
            regions,
            output_format,
            stdin or sys.stdin,
            project_dir,
            session_factory or boto3.Session,
        )
    except VerifyError as error:
        return _usage_error(stderr, str(error))
    except Exception as error:
        message = describe_aws_error(error, endpoint_url)
        if message is None:
            raise
        return _usage_error(stderr, message)

    if output_format == "json":
        render_json(results, stdout)
    else:
        render_text(results, stdout)
    return exit_code(results)


def _run(
    stack: str,
    outputs_path: str | None,
    endpoint_url: str | None,
    regions: list[str] | None,
    output_format: str,
    stdin: TextIO,
    project_dir: Path | None,
    session_factory: SessionFactory,
) -> list[CheckResult]:
    from tap.plan import PlanError, find_project_dir, load_stack_file  # noqa: PLC0415 - heavy

    if outputs_path is None:
        raise VerifyError(
            "--outputs is required: save `pulumi stack output --json --stack "
            f"{stack}` to a file and pass its path, or - to read it from stdin"
        )
    if output_format not in ("text", "json"):
        raise VerifyError(f"unknown format {output_format!r}; use text or json")
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
    return verify(
        outputs,
        config,
        session_factory=session_factory,
        regions=regions,
        endpoint_url=endpoint_url,
    )


def _usage_error(stderr: TextIO, message: str) -> int:
    one_line = " ".join(message.split())  # AWS messages may span lines
    stderr.write(f"tap: error: {one_line}\n")
    return EXIT_USER_ERROR
