"""Lambda rules: one violation per rule, container images, unknown subnets."""

from __future__ import annotations

from tap.policy.rules import UNKNOWN, rule_named
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
