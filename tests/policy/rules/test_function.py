"""Lambda rules: one violation per rule, container images, unknown subnets."""

from __future__ import annotations

from tap.policy.rules import SECRET, UNKNOWN, rule_named
from tap.policy.rules import resource_types as r
from tests.policy.rules.support import Case, messages, res

# One violating input per rule, with a piece of the message it must produce.
VIOLATIONS: dict[str, Case] = {
    "lambda-supported-runtime": Case(
        [res(r.LAMBDA_FUNCTION, runtime="python3.8", packageType="Zip")],
        "uses runtime 'python3.8'",
    ),
    "lambda-in-vpc": Case([res(r.LAMBDA_FUNCTION, runtime="python3.12")], "does not run in a VPC"),
    "lambda-multi-az": Case(
        [res(r.LAMBDA_FUNCTION, vpcConfig={"subnetIds": ["subnet-a"], "securityGroupIds": ["sg"]})],
        "has one subnet",
    ),
    "lambda-xray-tracing-active": Case(
        [res(r.LAMBDA_FUNCTION, tracingConfig={"mode": "PassThrough"})],
        "does not trace actively",
    ),
    "lambda-env-no-credentials": Case(
        [res(r.LAMBDA_FUNCTION, environment={"variables": {"TAP_DB_PASSWORD": "hunter2"}})],
        "environment variable TAP_DB_PASSWORD names a credential",
    ),
    "lambda-permission-not-public": Case(
        [res(r.LAMBDA_PERMISSION, principal="*", action="lambda:InvokeFunction")],
        'lets any principal ("*") invoke',
    ),
}

# Rules whose crafted case is a resource that lacks something (a companion, a key): making its
# props unknown does not supply what is missing.
FLAG_ON_ABSENCE: set[str] = {
    "lambda-in-vpc",
}


def test_container_functions_need_no_runtime() -> None:
    rule = rule_named("lambda-supported-runtime")
    assert messages(rule, [res(r.LAMBDA_FUNCTION, packageType="Image")]) == []
    assert messages(rule, [res(r.LAMBDA_FUNCTION, runtime="python3.13")]) == []
    assert messages(rule, [res(r.LAMBDA_FUNCTION)])


def test_two_unknown_subnets_count_as_two() -> None:
    rule = rule_named("lambda-multi-az")
    fn = res(r.LAMBDA_FUNCTION, vpcConfig={"subnetIds": [UNKNOWN, UNKNOWN]})
    assert messages(rule, [fn]) == []


def test_a_secret_value_or_a_connection_string_is_a_credential() -> None:
    rule = rule_named("lambda-env-no-credentials")
    secret = res(r.LAMBDA_FUNCTION, environment={"variables": {"TAP_DB_HOST": SECRET}})
    assert messages(rule, [secret]) == [
        "tap-test-use1-x: environment variable TAP_DB_HOST holds a secret value"
    ]
    dsn = res(r.LAMBDA_FUNCTION, environment={"variables": {"TAP_DB_DSN": "host=x"}})
    assert messages(rule, [dsn])


def test_names_and_arns_that_point_at_credentials_are_fine() -> None:
    rule = rule_named("lambda-env-no-credentials")
    variables = {
        "TAP_DB_HOST": "db.example",
        "TAP_DB_USER": "tap_app",
        "TAP_DB_ADMIN_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:x",
    }
    assert messages(rule, [res(r.LAMBDA_FUNCTION, environment={"variables": variables})]) == []
    assert messages(rule, [res(r.LAMBDA_FUNCTION, environment=UNKNOWN)]) == []
    assert messages(rule, [res(r.LAMBDA_FUNCTION)]) == []
