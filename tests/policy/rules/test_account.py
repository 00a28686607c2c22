"""Account password policy rules: one violation per rule."""

from __future__ import annotations

from tap.policy.rules import PolicyResource, rule_named
from tap.policy.rules import resource_types as r
from tests.policy.rules.support import STACK, Case, messages, res

# One violating input per rule, with a piece of the message it must produce.
VIOLATIONS: dict[str, Case] = {
    "iam-password-policy-length": Case(
        [res(r.PASSWORD_POLICY, minimumPasswordLength=8)], "shorter than 14 characters"
    ),
    "iam-password-policy-complexity": Case(
        [
            res(
                r.PASSWORD_POLICY,
                requireUppercaseCharacters=True,
                requireLowercaseCharacters=True,
                requireNumbers=True,
                requireSymbols=False,
            )
        ],
        "does not require requireSymbols",
    ),
    "iam-password-policy-max-age": Case(
        [res(r.PASSWORD_POLICY, maxPasswordAge=180)], "live 180 days"
    ),
    "iam-password-policy-reuse": Case(
        [res(r.PASSWORD_POLICY, passwordReusePrevention=5)], "reuse of the last 24"
    ),
    "iam-password-policy-managed-in-prod": Case(
        [STACK], "prod manages no account password policy", "prod"
    ),
    "apigateway-account-managed-in-prod": Case(
        [res(r.API_STAGE, stageName="v1")],
        "prod sets no API Gateway account settings in its region",
        "prod",
    ),
}

# Rules whose crafted case is a resource that lacks something (a companion, a key): making its
# props unknown does not supply what is missing.
FLAG_ON_ABSENCE: set[str] = {
    "iam-password-policy-managed-in-prod",
    "apigateway-account-managed-in-prod",
}


def test_prod_owns_the_api_gateway_settings_of_each_region_with_a_stage() -> None:
    rule = rule_named("apigateway-account-managed-in-prod")

    def in_region(type_: str, region: str) -> PolicyResource:
        return PolicyResource(f"urn:{type_}:{region}", type_, f"x-{region}", {}, region=region)

    stages = [in_region(r.API_STAGE, region) for region in ("us-east-1", "us-west-2")]
    east = in_region(r.API_ACCOUNT, "us-east-1")
    west = in_region(r.API_ACCOUNT, "us-west-2")
    assert messages(rule, [*stages, east, west], "prod") == []
    assert messages(rule, [*stages, east], "prod") == [
        "prod sets no API Gateway account settings in us-west-2 for the logging of its stage "
        "(set tap:manageApiGatewayAccount)"
    ]
    assert messages(rule, stages, "staging") == []  # another stack of the account may own them
