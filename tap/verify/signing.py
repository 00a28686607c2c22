"""Lambda code signing: each region's API function runs under the stack's code signing config,
which enforces signatures in prod (warns elsewhere). Mirrors tap.components.signing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tap.verify.context import Context
from tap.verify.model import CheckResult, Control, Failure
from tap.verify.replies import optional, required

CODE_SIGNING = Control(
    "TAP.15",
    "code-signing",
    "the function runs under the stack's code signing config, with the configured action",
)
CONTROLS = (CODE_SIGNING,)


def check(ctx: Context, region: str) -> list[CheckResult]:
    settings = ctx.config.code_signing
    if not settings.enabled:
        return []
    api = ctx.region(region)["api"]
    function = api["functionName"]
    if function is None:
        return []  # a region without a data path runs no function
    expected_arn = api.get("codeSigningConfigArn")
    action = settings.untrusted_artifact_on_deployment
    expected = f"{expected_arn}: {action} untrusted code"
    if not expected_arn:
        missing = Failure("fail", "no codeSigningConfigArn in the stack's outputs")
        return [CODE_SIGNING.unread(region, function, expected, missing)]
    reply = ctx.read("lambda", region, "get_function_code_signing_config", FunctionName=function)
    if isinstance(reply, Failure):
        return [CODE_SIGNING.unread(region, function, expected, reply)]
    arn = optional(reply, "CodeSigningConfigArn", str) if isinstance(reply, Mapping) else None
    if arn != expected_arn:
        return [CODE_SIGNING.judge(region, function, expected, f"{arn or 'none'}", False)]

    def policy(config: Mapping[str, Any]) -> str:
        signing = required(config, "CodeSigningConfig", dict)
        policies = required(signing, "CodeSigningPolicies", dict)
        found = required(policies, "UntrustedArtifactOnDeployment", str)
        return f"{arn}: {found} untrusted code"

    return [
        CODE_SIGNING.evaluate(
            region,
            function,
            expected,
            ctx.read("lambda", region, "get_code_signing_config", CodeSigningConfigArn=arn),
            policy,
        )
    ]
