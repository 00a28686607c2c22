"""Security groups for the tiers, and the account password policy.

Groups are created empty and every rule is its own resource with a description: inline rules
and rule resources fight each other, and one resource per rule makes each one reviewable.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from tap.baseline import PASSWORD_MAX_AGE_DAYS, PASSWORD_MIN_LENGTH, PASSWORD_REUSE_PREVENTION
from tap.naming import Labels

HTTPS = 443
POSTGRES = 5432
SSH = 22
ANYWHERE = "0.0.0.0/0"


class _GroupBuilder:
    """Creates one security group and its described rules as children of `parent`."""

    def __init__(
        self,
        parent: pulumi.Resource,
        labels: Labels,
        vpc_id: pulumi.Input[str],
        role: str,
        description: str,
    ) -> None:
        self._parent = parent
        self._labels = labels
        self.name = labels.name("sg", role)
        self.group = aws.ec2.SecurityGroup(
            self.name,
            name=self.name,
            description=description,
            vpc_id=vpc_id,
            revoke_rules_on_delete=True,
            tags=labels.tags(self.name),
            opts=pulumi.ResourceOptions(parent=parent),
        )

    def ingress(
        self,
        rule: str,
        port: int,
        description: str,
        *,
        cidr: pulumi.Input[str] | None = None,
        source_group: pulumi.Input[str] | None = None,
    ) -> None:
        self._rule(
            aws.vpc.SecurityGroupIngressRule, "in", rule, port, description, cidr, source_group
        )

    def egress(
        self,
        rule: str,
        port: int,
        description: str,
        *,
        cidr: pulumi.Input[str] | None = None,
        target_group: pulumi.Input[str] | None = None,
    ) -> None:
        self._rule(
            aws.vpc.SecurityGroupEgressRule, "out", rule, port, description, cidr, target_group
        )

    def _rule(
        self,
        kind: type[aws.vpc.SecurityGroupIngressRule] | type[aws.vpc.SecurityGroupEgressRule],
        direction: str,
        rule: str,
        port: int,
        description: str,
        cidr: pulumi.Input[str] | None,
        peer_group: pulumi.Input[str] | None,
    ) -> None:
        """One TCP port, to or from exactly one CIDR or one peer group."""
        name = f"{self.name}-{direction}-{rule}"
        kind(
            name,
            security_group_id=self.group.id,
            description=description,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            cidr_ipv4=cidr,
            referenced_security_group_id=peer_group,
            tags=self._labels.tags(name),
            opts=pulumi.ResourceOptions(parent=self._parent),
        )


def https_from_vpc(
    parent: pulumi.Resource,
    labels: Labels,
    vpc_id: pulumi.Input[str],
    vpc_cidr: pulumi.Input[str],
    role: str,
    description: str,
    extra_cidrs: tuple[str, ...] = (),
) -> aws.ec2.SecurityGroup:
    """A group that accepts HTTPS from the VPC (and `extra_cidrs`) and nothing else."""
    builder = _GroupBuilder(parent, labels, vpc_id, role, description)
    builder.ingress("https-vpc", HTTPS, "HTTPS from inside the VPC", cidr=vpc_cidr)
    for index, cidr in enumerate(extra_cidrs):
        builder.ingress(
            f"https-allowed-{index}", HTTPS, f"HTTPS from allowed CIDR {cidr}", cidr=cidr
        )
    return builder.group


@dataclass(frozen=True)
class SecurityGroupsArgs:
    labels: Labels
    vpc_id: pulumi.Input[str]
    vpc_cidr: pulumi.Input[str]
    allowed_cidrs: tuple[str, ...] = ()
    enable_bastion_ssh: bool = False
    # A PRIVATE API: its execute-api endpoint gets the `api` group. A REGIONAL API is reached
    # over the internet and no group of this VPC sits in front of it, so there is none.
    private_api: bool = False


class SecurityGroups(pulumi.ComponentResource):
    """The app (Lambda), database and, where they are used, API-endpoint and bastion groups of
    one VPC."""

    app: aws.ec2.SecurityGroup
    # Only for a PRIVATE API, attached to the VPC's execute-api endpoint.
    api_endpoint: aws.ec2.SecurityGroup | None
    database: aws.ec2.SecurityGroup
    bastion: aws.ec2.SecurityGroup | None

    def __init__(
        self, name: str, args: SecurityGroupsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("tap:security:SecurityGroups", name, None, opts)
        labels = args.labels

        app = _GroupBuilder(
            self,
            labels,
            args.vpc_id,
            "app",
            "Lambda functions: no ingress, egress to HTTPS and the database",
        )
        database = _GroupBuilder(
            self, labels, args.vpc_id, "db", "Aurora PostgreSQL: 5432 from the app tier only"
        )
        app.egress("https", HTTPS, "HTTPS to AWS APIs and endpoints", cidr=ANYWHERE)
        app.egress(
            "postgres", POSTGRES, "PostgreSQL to the database tier", target_group=database.group.id
        )
        database.ingress(
            "postgres-app", POSTGRES, "PostgreSQL from the app tier", source_group=app.group.id
        )

        self.api_endpoint = None
        if args.private_api:
            self.api_endpoint = https_from_vpc(
                self,
                labels,
                args.vpc_id,
                args.vpc_cidr,
                "api",
                "API endpoint: HTTPS from the VPC and allowed CIDRs",
                args.allowed_cidrs,
            )

        self.bastion = None
        if args.enable_bastion_ssh:
            bastion = _GroupBuilder(
                self, labels, args.vpc_id, "bastion", "Bastion: SSH from allowed CIDRs only"
            )
            for index, cidr in enumerate(args.allowed_cidrs):
                bastion.ingress(f"ssh-{index}", SSH, f"SSH from allowed CIDR {cidr}", cidr=cidr)
            bastion.egress(
                "postgres",
                POSTGRES,
                "PostgreSQL to the database tier",
                target_group=database.group.id,
            )
            bastion.egress("https", HTTPS, "HTTPS for SSM and package updates", cidr=ANYWHERE)
            database.ingress(
                "postgres-bastion",
                POSTGRES,
                "PostgreSQL from the bastion",
                source_group=bastion.group.id,
            )
            self.bastion = bastion.group

        self.app = app.group
        self.database = database.group
        outputs: dict[str, pulumi.Output[str]] = {"app": self.app.id, "database": self.database.id}
        if self.api_endpoint is not None:
            outputs["apiEndpoint"] = self.api_endpoint.id
        if self.bastion is not None:
            outputs["bastion"] = self.bastion.id
        self.ids = outputs
        self.register_outputs(outputs)


@dataclass(frozen=True)
class AccountPasswordPolicyArgs:
    """CIS AWS Foundations 1.8-1.9 / FSBP IAM.7 values. The defaults are the floor."""

    minimum_length: int = PASSWORD_MIN_LENGTH
    max_age_days: int = PASSWORD_MAX_AGE_DAYS
    reuse_prevention: int = PASSWORD_REUSE_PREVENTION


class AccountPasswordPolicy(pulumi.ComponentResource):
    """The account's IAM password policy: one per AWS account, so exactly one stack owns it."""

    policy: aws.iam.AccountPasswordPolicy

    def __init__(
        self,
        name: str,
        args: AccountPasswordPolicyArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("tap:security:AccountPasswordPolicy", name, None, opts)
        args = args or AccountPasswordPolicyArgs()
        if (
            args.minimum_length < PASSWORD_MIN_LENGTH
            or args.reuse_prevention < PASSWORD_REUSE_PREVENTION
            or args.max_age_days > PASSWORD_MAX_AGE_DAYS
        ):
            raise ValueError(
                "the password policy may only be stricter than CIS: length >= 14, "
                "reuse prevention >= 24, max age <= 90 days"
            )
        self.policy = aws.iam.AccountPasswordPolicy(
            f"{name}-policy",
            minimum_password_length=args.minimum_length,
            require_lowercase_characters=True,
            require_uppercase_characters=True,
            require_numbers=True,
            require_symbols=True,
            allow_users_to_change_password=True,
            max_password_age=args.max_age_days,
            password_reuse_prevention=args.reuse_prevention,
            hard_expiry=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"minimumPasswordLength": self.policy.minimum_password_length})
