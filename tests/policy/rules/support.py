"""Helpers for the rule tests: crafted resources and the one-violation-per-rule case."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tap.policy.rules import PolicyConfig, PolicyResource, Rule, run_rule
from tap.policy.rules.resource_types import STACK as STACK_TYPE

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/abc"


def res(
    type_: str, name: str = "tap-test-use1-x", *, deps: tuple[str, ...] = (), **props: Any
) -> PolicyResource:
    return PolicyResource(
        urn=urn(type_, name), type=type_, name=name, props=props, dependencies=deps
    )


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:test::tap::{type_}::{name}"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


STACK = res(STACK_TYPE, "tap-test")


@dataclass(frozen=True)
class Case:
    """One violating input for a rule, with a piece of the message it must produce."""

    resources: list[PolicyResource]
    message: str
    environment: str = "dev"


def messages(rule: Rule, resources: list[PolicyResource], environment: str = "dev") -> list[str]:
    return [v.message for v in run_rule(rule, resources, PolicyConfig(environment))]
