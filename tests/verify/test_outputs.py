"""`tap verify`'s inputs: the outputs file, the stack file and the regions, checked before AWS.

Each mistake is one line on stderr naming the key or the file, and exit code 2.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from tap.verify import run_verify
from tests.conftest import PROJECT_DIR
from tests.verify.canned import (
    REGION,
    CannedSession,
    assert_usage_error,
    conforming,
    region_outputs,
    run,
    stack_outputs,
    write_outputs,
)


def test_outputs_are_required(project: Path) -> None:
    session = CannedSession({})

    result = run(project, None, session=session)

    assert_usage_error(
        result,
        "--outputs is required: save `pulumi stack output --json --stack unit` to a file and "
        "pass its path, or - to read it from stdin",
    )
    assert session.calls == []


def test_a_missing_outputs_file(project: Path) -> None:
    missing = project / "missing.json"

    assert_usage_error(run(project, str(missing)), f"outputs file {missing} does not exist")


def test_an_unreadable_outputs_file(project: Path) -> None:
    assert_usage_error(
        run(project, str(project)), f"cannot read outputs file {project}: Is a directory"
    )


def test_malformed_json_in_a_file(project: Path) -> None:
    path = write_outputs(project, '{"environment": "dev",')

    assert_usage_error(
        run(project, path),
        f"{path} is not valid JSON (Expecting property name enclosed in double quotes at line 1, "
        "column 23); pass what `pulumi stack output --json` prints",
    )


def test_malformed_json_on_stdin(project: Path) -> None:
    assert_usage_error(
        run(project, "-", stdin="Error: no stack selected"),
        "stdin is not valid JSON (Expecting value at line 1, column 1); pass what "
        "`pulumi stack output --json` prints",
    )


def test_outputs_are_read_from_stdin(project: Path) -> None:
    code, stdout, stderr = run(
        project, "-", stdin=json.dumps(stack_outputs()), session=CannedSession(conforming())
    )

    assert (code, stderr) == (0, "")
    assert stdout.splitlines()[-1].endswith("the stack conforms")


NOT_OUTPUTS = "is not `pulumi stack output --json` of a tap stack"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (["primaryRegion"], "missing key primaryRegion"),
        (["regions"], "missing key regions"),
        (["regions", REGION, "kmsKeyArn"], f"missing key regions.{REGION}.kmsKeyArn"),
        (["regions", REGION, "storage"], f"missing key regions.{REGION}.storage"),
        (
            ["regions", REGION, "api", "restApiId"],
            f"missing key regions.{REGION}.api.restApiId",
        ),
        (
            ["regions", REGION, "database", "clusterIdentifier"],
            f"missing key regions.{REGION}.database.clusterIdentifier",
        ),
    ],
)
def test_a_missing_key_is_named(project: Path, path: list[str], message: str) -> None:
    outputs = stack_outputs()
    parent = outputs
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]

    assert_usage_error(run(project, write_outputs(project, outputs)), f"{_at(project)}: {message}")


def _at(project: Path) -> str:
    return f"{project / 'outputs.json'} {NOT_OUTPUTS}"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["regions"], [], "regions must be a map, got a list"),
        (
            ["regions", REGION, "api", "alarmNames"],
            "tap-unit-use1-alarm",
            f"regions.{REGION}.api.alarmNames must be a list, got the string 'tap-unit-use1-alarm'",
        ),
        (
            ["regions", REGION, "api", "logGroupNames"],
            ["/aws/lambda/x", None],
            f"regions.{REGION}.api.logGroupNames[1] must be a string, got null",
        ),
        (
            ["regions", REGION, "storage"],
            "[secret]",
            f"regions.{REGION}.storage must be a map, got the string '[secret]'",
        ),
        (["environment"], 3, "environment must be a string, got a number"),
    ],
)
def test_a_mistyped_key_is_named(project: Path, path: list[str], value: Any, message: str) -> None:
    outputs = stack_outputs()
    parent = outputs
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value

    assert_usage_error(run(project, write_outputs(project, outputs)), f"{_at(project)}: {message}")


def test_outputs_must_be_an_object(project: Path) -> None:
    assert_usage_error(
        run(project, write_outputs(project, [])),
        f"{_at(project)}: must be a JSON object (what `pulumi stack output --json` prints), "
        "got a list",
    )


def test_null_database_and_flow_log_group_are_allowed(project: Path) -> None:
    outputs = stack_outputs()
    outputs["regions"][REGION]["database"] = None
    outputs["regions"][REGION]["flowLogGroupName"] = None
    session = CannedSession(conforming())

    code, _, stderr = run(project, write_outputs(project, outputs), session=session)

    assert (code, stderr) == (0, "")
    assert "DescribeDBClusters" not in session.calls


def test_outputs_of_another_environment(project: Path) -> None:
    outputs = dict(stack_outputs(), environment="prod")

    assert_usage_error(
        run(project, write_outputs(project, outputs)),
        "the outputs are of a prod stack but Pulumi.unit.yaml says environment dev; pass the "
        "outputs of stack unit",
    )


def test_outputs_with_other_regions(project: Path) -> None:
    outputs = stack_outputs()
    outputs["regions"]["us-west-2"] = region_outputs()

    assert_usage_error(
        run(project, write_outputs(project, outputs)),
        "the outputs have regions us-east-1, us-west-2 but Pulumi.unit.yaml lists us-east-1; "
        "run `pulumi up` first, or pass the outputs of stack unit",
    )


@pytest.mark.parametrize("region", ["eu-west-1", "us-west-2"])
def test_an_unknown_region_names_the_allowed_ones(project: Path, region: str) -> None:
    session = CannedSession({})

    result = run(
        project, write_outputs(project, stack_outputs()), regions=[region], session=session
    )

    assert_usage_error(result, f"unknown region {region}; stack unit runs in us-east-1")
    assert session.calls == []


def test_an_unknown_region_of_a_shipped_stack() -> None:
    outputs = stack_outputs()
    outputs["regions"] = {r: region_outputs() for r in ("us-east-1", "us-west-2")}
    stdout, stderr = io.StringIO(), io.StringIO()

    code = run_verify(
        "dev",
        "-",
        None,
        ["us-east-1", "eu-central-1"],
        "text",
        stdout,
        stderr,
        stdin=io.StringIO(json.dumps(outputs)),
        project_dir=PROJECT_DIR,
    )

    assert (code, stdout.getvalue()) == (2, "")
    assert stderr.getvalue() == (
        "tap: error: unknown region eu-central-1; stack dev runs in us-east-1, us-west-2\n"
    )


def test_an_unknown_stack(project: Path) -> None:
    assert_usage_error(
        run(project, write_outputs(project, stack_outputs()), stack="nope"),
        f"unknown stack 'nope'; stacks in {project}: unit",
    )


def test_an_invalid_stack_file(project: Path) -> None:
    (project / "Pulumi.bad.yaml").write_text(
        "config:\n  tap:environment: dev\n  tap:logRetentionDays: 10\n"
    )

    code, stdout, stderr = run(project, write_outputs(project, stack_outputs()), stack="bad")

    assert (code, stdout) == (2, "")
    assert stderr.startswith(
        "tap: error: invalid configuration: tap:logRetentionDays 10 is not a retention "
        "CloudWatch Logs accepts"
    )
    assert stderr.count("\n") == 1


# Digits a `\d` pattern would take, and AWS would not (U+FF10 is FULLWIDTH DIGIT ZERO).
FULL_WIDTH_ACCOUNT = "".join(chr(0xFF10 + int(digit)) for digit in "123456789012")


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ["regions", REGION, "kmsKeyArn"],
            "not-an-arn",
            f"regions.{REGION}.kmsKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:"
            "key/<key id>), got the string 'not-an-arn'",
        ),
        (
            ["regions", REGION, "kmsKeyArn"],
            f"arn:aws:kms:us-east-1:{FULL_WIDTH_ACCOUNT}:key/1",
            f"regions.{REGION}.kmsKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:"
            f"key/<key id>), got the string 'arn:aws:kms:us-east-1:{FULL_WIDTH_ACCOUNT}:key/1'",
        ),
        (
            ["regions", REGION, "storage", "bucketArn"],
            "arn:aws:s3",
            f"regions.{REGION}.storage.bucketArn must be an S3 bucket ARN (arn:aws:s3:::<bucket>),"
            " got the string 'arn:aws:s3'",
        ),
        (
            ["regions", REGION, "api", "alarmTopicArn"],
            "arn:aws:sns:us-east-1:123456789012",
            f"regions.{REGION}.api.alarmTopicArn must be an SNS topic ARN (arn:aws:sns:<region>:"
            "<account>:<topic>), got the string 'arn:aws:sns:us-east-1:123456789012'",
        ),
        (
            ["regions", REGION, "storage", "bucketArn"],
            "arn:aws:s3:::another-bucket",
            f"regions.{REGION}.storage.bucketArn names bucket 'another-bucket' but "
            f"regions.{REGION}.storage.bucketName is 'tap-unit-use1-data-123456789012'",
        ),
        (
            ["regions", REGION, "api", "functionName"],
            " ",
            f"regions.{REGION}.api.functionName must not be empty",
        ),
        (
            ["regions", REGION, "api", "alarmNames"],
            [""],
            f"regions.{REGION}.api.alarmNames[0] must not be empty",
        ),
    ],
)
def test_a_malformed_name_or_arn_is_named_before_any_call(
    project: Path, path: list[str], value: Any, message: str
) -> None:
    outputs = stack_outputs()
    parent = outputs
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    session = CannedSession({})

    result = run(project, write_outputs(project, outputs), session=session)

    assert_usage_error(result, f"{_at(project)}: {message}")
    assert session.calls == []


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_outputs_nested_too_deeply(project: Path, source: str) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    if source == "file":
        path = write_outputs(project, deep)
        result = run(project, path)
    else:
        path = "stdin"
        result = run(project, "-", stdin=deep)

    assert_usage_error(
        result,
        f"{path} nests JSON deeper than Python's parser goes; pass what `pulumi stack output "
        "--json` prints",
    )


def test_a_region_runs_its_function_and_api_together_or_neither(project: Path) -> None:
    outputs = stack_outputs()
    outputs["regions"][REGION]["api"]["functionName"] = None
    assert_usage_error(
        run(project, write_outputs(project, outputs)),
        f"{_at(project)}: regions.{REGION}.api.functionName null while the region's other API "
        "outputs are set; a region runs the function and its REST API together, or neither",
    )
