"""Account-wide settings: the IAM password policy, and that prod owns it and API Gateway's
logging settings."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from tap.baseline import PASSWORD_MAX_AGE_DAYS, PASSWORD_MIN_LENGTH, PASSWORD_REUSE_PREVENTION
from tap.policy.rules.core import (
    ADVISORY,
    Finding,
    PolicyConfig,
    PolicyResource,
    RuleBook,
    is_opaque,
    number,
    of_type,
)
from tap.policy.rules.resource_types import API_ACCOUNT, API_STAGE, PASSWORD_POLICY, STACK

_book = RuleBook()


@_book.resource(
    "iam-password-policy-length",
    "IAM.15",
    "The account password policy requires at least 14 characters.",
    PASSWORD_POLICY,
)
def _password_length(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    raw = r.props.get("minimumPasswordLength")
    length = number(raw)
    if not is_opaque(raw) and (length is None or length < PASSWORD_MIN_LENGTH):
        yield f"{r.name} allows passwords shorter than {PASSWORD_MIN_LENGTH} characters ({raw})"


@_book.resource(
    "iam-password-policy-complexity",
    "IAM.7",
    "The account password policy requires upper- and lowercase letters, numbers and symbols.",
    PASSWORD_POLICY,
)
def _password_complexity(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    keys = (
        "requireUppercaseCharacters",
        "requireLowercaseCharacters",
        "requireNumbers",
        "requireSymbols",
    )
    off = [k for k in keys if r.props.get(k) is not True and not is_opaque(r.props.get(k))]
    if off:
        yield f"{r.name} does not require {', '.join(off)}"


@_book.resource(
    "iam-password-policy-max-age",
    "IAM.17",
    "Passwords expire within 90 days.",
    PASSWORD_POLICY,
)
def _password_age(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    raw = r.props.get("maxPasswordAge")
    age = number(raw)
    if not is_opaque(raw) and (not age or age > PASSWORD_MAX_AGE_DAYS):
        lifetime = f"{raw} days" if age else "forever"
        yield (
            f"{r.name} lets passwords live {lifetime}; they must expire within "
            f"{PASSWORD_MAX_AGE_DAYS} days"
        )


@_book.resource(
    "iam-password-policy-reuse",
    "IAM.16",
    "The account password policy prevents reusing any of the last 24 passwords.",
    PASSWORD_POLICY,
)
def _password_reuse(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    raw = r.props.get("passwordReusePrevention")
    count = number(raw)
    if not is_opaque(raw) and (count is None or count < PASSWORD_REUSE_PREVENTION):
        yield (
            f"{r.name} remembers {raw or 0} passwords; it must prevent reuse of the last "
            f"{PASSWORD_REUSE_PREVENTION}"
        )


@_book.stack(
    "iam-password-policy-managed-in-prod",
    "IAM.7",
    "The prod stack owns the account password policy (one AccountPasswordPolicy).",
    enforcement=ADVISORY,
    uses_environment=True,
)
def _password_policy_present(
    resources: Sequence[PolicyResource], config: PolicyConfig
) -> Iterator[Finding]:
    stack = next((r for r in resources if r.type == STACK), None)
    if config.is_prod and not of_type(resources, PASSWORD_POLICY):
        yield Finding(
            stack.urn if stack else "",
            "prod manages no account password policy (set tap:manageAccountPasswordPolicy)",
        )


@_book.stack(
    "apigateway-account-managed-in-prod",
    "TAP.12",
    "The prod stack owns API Gateway's account settings (the CloudWatch logging role every REST "
    "API's logs need) in each region where it has a stage.",
    enforcement=ADVISORY,
    uses_environment=True,
    subjects=(API_STAGE,),
)
def _api_account_present(
    resources: Sequence[PolicyResource], config: PolicyConfig
) -> Iterator[Finding]:
    if not config.is_prod:
        return
    owned = {r.region for r in of_type(resources, API_ACCOUNT)}
    for stage in of_type(resources, API_STAGE):
        if stage.region not in owned:
            yield Finding(
                stage.urn,
                f"prod sets no API Gateway account settings in {stage.region or 'its region'} "
                "for the logging of its stage (set tap:manageApiGatewayAccount)",
            )


RULES = _book.rules
