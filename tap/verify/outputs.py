"""The inputs of `tap verify`: the stack's outputs (what was deployed), checked before any call.

The outputs are what `pulumi stack output --json` prints. Verify reads the names and ARNs it
needs from them, so each is checked here and a bad one is named by its key, before AWS is
asked anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from tap.config import StackConfig


class VerifyError(Exception):
    """Bad input: shown as one line, with the exit code for a user error."""


@dataclass(frozen=True)
class _Nullable:
    spec: Any


@dataclass(frozen=True)
class _Arn:
    """An ARN of one kind: checked here, because checks take its partition and names apart."""

    kind: str
    pattern: re.Pattern[str]
    example: str


_PARTITION = r"aws(?:-[a-z]+)*"
_REGION = r"[a-z]{2}(?:-[a-z]+)+-[0-9]+"
_ACCOUNT = r"[0-9]{12}"  # not \d, which takes any Unicode digit
_KEY_ARN = _Arn(
    "a KMS key ARN",
    re.compile(rf"arn:{_PARTITION}:kms:{_REGION}:{_ACCOUNT}:key/[A-Za-z0-9-]+"),
    "arn:aws:kms:<region>:<account>:key/<key id>",
)
_BUCKET_ARN = _Arn(
    "an S3 bucket ARN",
    re.compile(rf"arn:{_PARTITION}:s3:::[a-z0-9.-]+"),
    "arn:aws:s3:::<bucket>",
)
_TOPIC_ARN = _Arn(
    "an SNS topic ARN",
    re.compile(rf"arn:{_PARTITION}:sns:{_REGION}:{_ACCOUNT}:[A-Za-z0-9_.-]+"),
    "arn:aws:sns:<region>:<account>:<topic>",
)

# What verify reads from each region of `pulumi stack output --json` (more keys are fine).
_REGION_SHAPE: dict[str, Any] = {
    "kmsKeyArn": _KEY_ARN,
    "kmsAliasName": str,
    "flowLogGroupName": _Nullable(str),  # null when the network comes from another stack
    "subnetIds": {"private": [str]},
    "securityGroupIds": {"app": str},
    "storage": {"role": str, "bucketName": str, "bucketArn": _BUCKET_ARN, "logBucketName": str},
    "database": _Nullable({"role": str, "clusterIdentifier": str}),
    # The function and the REST API are null in a region without a data path (dev and
    # staging outside the primary region); the alarms and their topic are in every region.
    "api": {
        "restApiId": _Nullable(str),
        "stageName": _Nullable(str),
        "functionName": _Nullable(str),
        "alarmTopicArn": _TOPIC_ARN,
        "alarmNames": [str],
        "logGroupNames": [str],
    },
}
# Keys of the hardening controls, present where the stack deploys them; checked when present.
_OPTIONAL_TOP: dict[str, Any] = {
    "backup": {"vaultNames": dict, "planRegions": [str], "copyRegion": _Nullable(str)},
    "secretRotation": {"secretName": str, "functionName": str},
}
_OPTIONAL_API: dict[str, Any] = {
    "webAclArn": _Nullable(str),
    "codeSigningConfigArn": _Nullable(str),
}
_TYPE_NAMES = {str: "a string", dict: "a map", list: "a list"}


def validate_outputs(outputs: Any) -> None:
    """Raise VerifyError naming the first missing or mistyped key."""
    if not isinstance(outputs, Mapping):
        raise VerifyError(
            f"must be a JSON object (what `pulumi stack output --json` prints), got "
            f"{_kind(outputs)}"
        )
    for key in ("environment", "primaryRegion"):
        _validate(outputs, key, str, key)
    _validate(outputs, "regions", dict, "regions")
    for region, values in outputs["regions"].items():
        path = f"regions.{region}"
        _validate(outputs["regions"], region, _REGION_SHAPE, path)
        api = values["api"]
        serving = {key: api[key] is not None for key in ("restApiId", "stageName", "functionName")}
        if len(set(serving.values())) > 1:
            missing = ", ".join(f"{path}.api.{key}" for key, on in serving.items() if not on)
            raise VerifyError(
                f"{missing} null while the region's other API outputs are set; a region runs "
                "the function and its REST API together, or neither"
            )
        for key, spec in _OPTIONAL_API.items():
            if key in values["api"]:
                _validate(values["api"], key, spec, f"{path}.api.{key}")
        storage = values["storage"]
        arn_bucket = storage["bucketArn"].rsplit(":", 1)[-1]
        if arn_bucket != storage["bucketName"]:
            raise VerifyError(
                f"{path}.storage.bucketArn names bucket {arn_bucket!r} but "
                f"{path}.storage.bucketName is {storage['bucketName']!r}"
            )
    for key, spec in _OPTIONAL_TOP.items():
        if key in outputs:
            _validate(outputs, key, spec, key)
    if "backup" in outputs:
        for region, name in outputs["backup"]["vaultNames"].items():
            _validate_string(name, f"backup.vaultNames.{region}")


def _validate(parent: Mapping[str, Any], key: str, spec: Any, path: str) -> None:
    if key not in parent:
        raise VerifyError(f"missing key {path}")
    value = parent[key]
    if isinstance(spec, _Nullable):
        if value is None:
            return
        spec = spec.spec
    if isinstance(spec, _Arn):
        _validate_string(value, path)
        if not spec.pattern.fullmatch(value):
            raise VerifyError(f"{path} must be {spec.kind} ({spec.example}), got {_kind(value)}")
    elif isinstance(spec, dict):
        if not isinstance(value, Mapping):
            raise VerifyError(f"{path} must be a map, got {_kind(value)}")
        for child, child_spec in spec.items():
            _validate(value, child, child_spec, f"{path}.{child}")
    elif isinstance(spec, list):
        if not isinstance(value, list):
            raise VerifyError(f"{path} must be a list, got {_kind(value)}")
        for index, item in enumerate(value):
            _validate_string(item, f"{path}[{index}]")
    elif spec is str:
        _validate_string(value, path)
    elif not isinstance(value, spec):
        raise VerifyError(f"{path} must be {_TYPE_NAMES[spec]}, got {_kind(value)}")


def _validate_string(value: Any, path: str) -> None:
    """Every string verify reads names something: a name or id, never empty."""
    if not isinstance(value, str):
        raise VerifyError(f"{path} must be a string, got {_kind(value)}")
    if not value.strip():
        raise VerifyError(f"{path} must not be empty")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"the string {value!r}"
    names = {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "a map"}
    return names.get(type(value), type(value).__name__)


def select_regions(
    outputs: Mapping[str, Any], config: StackConfig, requested: Sequence[str] | None
) -> list[str]:
    """The regions to check, in the stack's order; the outputs must belong to the config."""
    stack = config.stack
    if outputs["environment"] != config.environment:
        raise VerifyError(
            f"the outputs are of a {outputs['environment']} stack but Pulumi.{stack}.yaml says "
            f"environment {config.environment}; pass the outputs of stack {stack}"
        )
    if outputs["primaryRegion"] != config.primary_region:
        raise VerifyError(
            f"the outputs have primaryRegion {outputs['primaryRegion']} but Pulumi.{stack}.yaml "
            f"has {config.primary_region}; pass the outputs of stack {stack}"
        )
    deployed = sorted(outputs["regions"])
    if deployed != sorted(config.regions):
        raise VerifyError(
            f"the outputs have regions {', '.join(deployed)} but Pulumi.{stack}.yaml lists "
            f"{', '.join(config.regions)}; run `pulumi up` first, or pass the outputs of stack "
            f"{stack}"
        )
    allowed: list[str] = list(config.regions)
    if not requested:
        return allowed
    unknown = [r for r in requested if r not in allowed]
    if unknown:
        raise VerifyError(
            f"unknown region {', '.join(unknown)}; stack {stack} runs in {', '.join(allowed)}"
        )
    return [r for r in allowed if r in requested]


def read_outputs(path: str, stdin: TextIO) -> Any:
    """The parsed JSON of the outputs file (`-`: stdin)."""
    source = "stdin" if path == "-" else path
    try:
        text = stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise VerifyError(f"outputs file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise VerifyError(f"cannot read outputs file {path}: {reason}") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise VerifyError(
            f"{source} nests JSON deeper than Python's parser goes; pass what "
            "`pulumi stack output --json` prints"
        ) from None
    except json.JSONDecodeError as exc:
        raise VerifyError(
            f"{source} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
            "pass what `pulumi stack output --json` prints"
        ) from None
