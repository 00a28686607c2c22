"""Lambda code signing: in prod every zip function runs only code its signing config trusts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from tap.policy.rules.core import (
    Finding,
    PolicyConfig,
    PolicyResource,
    RuleBook,
    dig,
    is_opaque,
    is_set,
    of_type,
    referenced,
)
from tap.policy.rules.resource_types import CODE_SIGNING_CONFIG, LAMBDA_FUNCTION

_book = RuleBook()


@_book.stack(
    "lambda-code-signing-in-prod",
    "TAP.15",
    "In prod, every zip-packaged function has a code signing config whose "
    "untrustedArtifactOnDeployment is Enforce (container images are out of Lambda code "
    "signing's scope).",
    uses_environment=True,
    subjects=(LAMBDA_FUNCTION, CODE_SIGNING_CONFIG),
)
def _code_signing(resources: Sequence[PolicyResource], config: PolicyConfig) -> Iterator[Finding]:
    if not config.is_prod:
        return
    configs = of_type(resources, CODE_SIGNING_CONFIG)
    for function in of_type(resources, LAMBDA_FUNCTION):
        package = function.props.get("packageType")
        if package == "Image" or is_opaque(package):
            continue
        if not is_set(function.props.get("codeSigningConfigArn")):
            yield Finding(
                function.urn, f"{function.name} has no code signing config (codeSigningConfigArn)"
            )
            continue
        refs = referenced(function, "codeSigningConfigArn", configs)
        for csc in refs or []:
            action = dig(csc.props, "policies", "untrustedArtifactOnDeployment")
            if not is_opaque(action) and action != "Enforce":
                yield Finding(
                    function.urn,
                    f"{function.name}'s code signing config {csc.name} only warns on unsigned "
                    f"code ({action or 'Warn'}); prod needs Enforce",
                )


RULES = _book.rules
