"""Service roles: named, tagged IAM roles created through the global (primary-region) provider."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from tap.naming import Labels


def service_role(
    parent: pulumi.Resource,
    labels: Labels,
    role_name: str,
    *,
    description: str,
    trust_policy: pulumi.Input[str],
    iam_provider: aws.Provider | None,
    retain_on_delete: bool = False,
) -> aws.iam.Role:
    """A role named `role_name` (also its logical name), trusted by `trust_policy` only."""
    return aws.iam.Role(
        role_name,
        name=role_name,
        description=description,
        assume_role_policy=trust_policy,
        tags=labels.tags(role_name),
        opts=pulumi.ResourceOptions(
            parent=parent, provider=iam_provider, retain_on_delete=retain_on_delete
        ),
    )
