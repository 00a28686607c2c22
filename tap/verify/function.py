"""Lambda: each region's API function runs in the private subnets and traces with X-Ray.

A region without a data path (no cluster: dev and staging outside the primary region) runs no
function; its checks are not run there.

Mirrors tap.components.function: the function is attached to the VPC's private subnets with
the app security group, and its tracing mode is Active.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tap.verify.context import Context
from tap.verify.model import CheckResult, Control
from tap.verify.replies import items, optional

IN_VPC = Control("Lambda.3", "in-vpc", "the function runs in the private subnets and app group")
TRACING = Control("Lambda.7", "function-tracing", "X-Ray tracing mode is Active")
CONTROLS = (IN_VPC, TRACING)


def check(ctx: Context, region: str) -> list[CheckResult]:
    outputs = ctx.region(region)
    name = outputs["api"]["functionName"]
    if name is None:
        return []  # no data path in this region, so no function to check
    subnets = sorted(outputs["subnetIds"]["private"])
    group = outputs["securityGroupIds"]["app"]
    in_vpc = f"subnets {', '.join(subnets)}; security group {group}"

    def placement(function: Mapping[str, Any]) -> tuple[str, bool]:
        vpc = optional(function, "VpcConfig", dict) or {}
        actual_subnets = sorted(items(vpc, "SubnetIds", str))
        actual_groups = sorted(items(vpc, "SecurityGroupIds", str))
        actual = (
            f"subnets {', '.join(actual_subnets)}; security groups {', '.join(actual_groups)}"
            if actual_subnets
            else "not in a VPC"
        )
        return actual, actual_subnets == subnets and group in actual_groups

    def tracing(function: Mapping[str, Any]) -> str:
        # Lambda's default mode, when the function sets none.
        return optional(optional(function, "TracingConfig", dict) or {}, "Mode", str) or (
            "PassThrough"
        )

    reply = ctx.read("lambda", region, "get_function_configuration", FunctionName=name)
    return [
        IN_VPC.evaluate(region, name, in_vpc, reply, placement),
        TRACING.evaluate(region, name, "Active", reply, tracing),
    ]
