"""Code signing rule: one violation, Enforce required in prod, images exempt."""

from __future__ import annotations

from tap.policy.rules import resource_types as r
from tap.policy.rules import rule_named
from tap.policy.rules.core import PolicyResource
from tests.policy.rules.support import Case, messages, res


def signing_config(action: str) -> PolicyResource:
    return res(
        r.CODE_SIGNING_CONFIG,
        "tap-prod-use1-code-signing",
        policies={"untrustedArtifactOnDeployment": action},
    )


VIOLATIONS: dict[str, Case] = {
    "lambda-code-signing-in-prod": Case(
        [res(r.LAMBDA_FUNCTION, "tap-prod-use1-api", packageType="Zip")],
        "tap-prod-use1-api has no code signing config",
        "prod",
    ),
}

FLAG_ON_ABSENCE: set[str] = {"lambda-code-signing-in-prod"}


def test_enforce_passes_warn_fails_in_prod_only() -> None:
    rule = rule_named("lambda-code-signing-in-prod")
    for action, expected in (("Enforce", []), ("Warn", ["only warns on unsigned code (Warn)"])):
        csc = signing_config(action)
        function = res(
            r.LAMBDA_FUNCTION,
            "tap-prod-use1-api",
            deps=(csc.urn,),
            packageType="Zip",
            codeSigningConfigArn="arn:csc",
        )
        found = messages(rule, [csc, function], "prod")
        assert [m for m in found if not any(e in m for e in expected)] == []
        assert len(found) == len(expected)
        assert messages(rule, [csc, function], "dev") == []


def test_container_images_are_out_of_scope() -> None:
    image = res(r.LAMBDA_FUNCTION, "tap-prod-use1-api", packageType="Image")
    assert messages(rule_named("lambda-code-signing-in-prod"), [image], "prod") == []
