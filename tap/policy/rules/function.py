"""Lambda: supported runtimes, VPC placement across AZs, X-Ray, who may invoke, and no
credentials in environment variables."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from tap.markers import SECRET
from tap.policy.rules.core import (
    PolicyConfig,
    PolicyResource,
    RuleBook,
    dig,
    is_opaque,
    items,
)
from tap.policy.rules.resource_types import LAMBDA_FUNCTION, LAMBDA_PERMISSION

_book = RuleBook()

# Lambda runtimes AWS supports and has not scheduled for deprecation; revisit when it does.
SUPPORTED_LAMBDA_RUNTIMES = (
    "python3.11",
    "python3.12",
    "python3.13",
    "nodejs20.x",
    "nodejs22.x",
    "java17",
    "java21",
    "dotnet8",
    "ruby3.3",
    "ruby3.4",
    "provided.al2023",
)


@_book.resource(
    "lambda-supported-runtime",
    "Lambda.2",
    f"Zip-packaged functions use a runtime AWS supports ({', '.join(SUPPORTED_LAMBDA_RUNTIMES)}).",
    LAMBDA_FUNCTION,
)
def _lambda_runtime(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    runtime = r.props.get("runtime")
    if r.props.get("packageType") == "Image" or is_opaque(runtime):
        return
    if runtime not in SUPPORTED_LAMBDA_RUNTIMES:
        yield f"{r.name} uses runtime {runtime!r}, which is not a supported Lambda runtime"


def _lambda_subnets(r: PolicyResource) -> list[Any] | None:
    return items(dig(r.props, "vpcConfig", "subnetIds"))


@_book.resource(
    "lambda-in-vpc",
    "Lambda.3",
    "Functions run inside a VPC (vpcConfig with subnets).",
    LAMBDA_FUNCTION,
)
def _lambda_vpc(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if _lambda_subnets(r) == []:
        yield f"{r.name} does not run in a VPC (vpcConfig.subnetIds)"


@_book.resource(
    "lambda-multi-az",
    "Lambda.5",
    "VPC functions get at least two subnets, so they survive the loss of an Availability Zone.",
    LAMBDA_FUNCTION,
)
def _lambda_multi_az(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    subnets = _lambda_subnets(r)
    if subnets is None:
        return
    known = {str(s) for s in subnets if not is_opaque(s)}
    if len(known) + sum(1 for s in subnets if is_opaque(s)) == 1:
        yield f"{r.name} has one subnet; give its vpcConfig at least two (one per AZ)"


@_book.resource(
    "lambda-xray-tracing-active",
    "Lambda.7",
    "Functions trace with X-Ray in Active mode.",
    LAMBDA_FUNCTION,
)
def _lambda_tracing(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    mode = dig(r.props, "tracingConfig", "mode")
    if not is_opaque(mode) and mode != "Active":
        yield f"{r.name} does not trace actively (tracingConfig.mode is {mode!r})"


@_book.resource(
    "lambda-permission-not-public",
    "Lambda.1",
    'No Lambda permission grants invocation to principal "*".',
    LAMBDA_PERMISSION,
)
def _lambda_permission(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if r.props.get("principal") == "*":
        yield f'{r.name} lets any principal ("*") invoke the function'


# Variable names that hold a credential rather than point at one (an ARN, a host, a user name).
CREDENTIAL_NAME = re.compile(r"PASSWORD|PASSWD|PGPASS|TOKEN|ACCESS_KEY|SECRET_KEY|PRIVATE_KEY|DSN")


@_book.resource(
    "lambda-env-no-credentials",
    "TAP.13",
    "Function environments hold no credential: no variable named for a password, token, key or "
    "connection string, and no secret value. Functions log in with IAM or read Secrets Manager.",
    LAMBDA_FUNCTION,
)
def _lambda_env_credentials(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    variables = dig(r.props, "environment", "variables")
    if not isinstance(variables, Mapping):
        return
    for name, value in variables.items():
        if CREDENTIAL_NAME.search(str(name).upper()):
            yield (
                f"{r.name}: environment variable {name} names a credential; use IAM "
                "authentication or a Secrets Manager ARN instead"
            )
        elif value == SECRET:
            yield f"{r.name}: environment variable {name} holds a secret value"


RULES = _book.rules
