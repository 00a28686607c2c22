"""Offline plan: run the real program under Pulumi's mock engine and collect a manifest.

No cloud, credentials or Pulumi CLI. The manifest format is a contract (docs/architecture.md):
other tools read `tap plan --format json`, so change it only by adding fields.

The mock engine hides failures a real engine would report, so the plan guards against them:
duplicate URNs are detected here, unmocked invokes fail loudly instead of returning None (the
fake cloud, `PlanMocks`, is here too), and `tap.mockengine` runs the program as the Pulumi CLI
does while recording what the stock mock monitor drops (protect, parents, dependencies).
"""

from __future__ import annotations

import hashlib
import runpy
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks

from tap import stackfile
from tap.awsdata import AwsDataError
from tap.config import ConfigError, ParsedConfig
from tap.constraints import check_manifest
from tap.mockengine import PROJECT, PlanError
from tap.mockengine.manifest import build_manifest
from tap.mockengine.recording import (
    Recording,
    RecordingMonitor,
    Registration,
    disabled_default_providers,
)
from tap.mockengine.render import render_struct, render_value
from tap.mockengine.run import run_program
from tap.policy.rules import PolicyConfig, evaluate, from_manifest

# Stack files are read as the Pulumi CLI reads them (tap.stackfile); importable from here too.
StackFile = stackfile.StackFile
StackFileError = stackfile.StackFileError
available_stacks = stackfile.available_stacks
find_project_dir = stackfile.find_project_dir
load_stack_file = stackfile.load_stack_file

PROGRAM_MODULE = "tap.__main__"
MOCK_ACCOUNT_ID = "123456789012"
AZ_LETTERS = "abc"

# Resources whose id is their name, with the ARN resource type AWS uses for them.
_NAMED_BY_ID = {
    "aws:rds/subnetGroup:SubnetGroup": "subgrp",
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": "cluster-pg",
    "aws:rds/parameterGroup:ParameterGroup": "pg",
}
_ID_PREFIXES = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
}


# --- the mock engine ---------------------------------------------------------------------------


def _short_hash(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


class PlanMocks(Mocks):
    """Deterministic fake cloud: ids and ARNs derive from names, so manifests are reproducible."""

    def __init__(self, default_region: str | None) -> None:
        self.default_region = default_region
        self.provider_regions: dict[str, str] = {}
        self.stack_reference_outputs: dict[str, Any] = {}
        self._lock = threading.Lock()

    def region_of_provider(self, provider_ref: str | None) -> str | None:
        if provider_ref:
            provider_id = provider_ref.rsplit("::", 1)[-1]
            with self._lock:
                if provider_id in self.provider_regions:
                    return self.provider_regions[provider_id]
        return self.default_region

    def call(self, args: MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        token = args.token
        region = args.args.get("region") or self.region_of_provider(args.provider)
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": MOCK_ACCOUNT_ID,
                "arn": f"arn:aws:iam::{MOCK_ACCOUNT_ID}:user/tap-plan",
                "userId": "AIDATAPPLAN",
                "id": MOCK_ACCOUNT_ID,
            }
        if token == "aws:index/getPartition:getPartition":
            return {
                "partition": "aws",
                "dnsSuffix": "amazonaws.com",
                "reverseDnsPrefix": "com.amazonaws",
                "id": "aws",
            }
        if region is None:
            raise PlanError(f"invoke {token} has no provider region; pass an explicit provider")
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            code = region.split("-")[0] + region.split("-")[1][0] + region.split("-")[2]
            return {
                "names": [f"{region}{letter}" for letter in AZ_LETTERS],
                "zoneIds": [f"{code}-az{i + 1}" for i in range(len(AZ_LETTERS))],
                "id": region,
            }
        if token == "aws:index/getRegion:getRegion":
            return {
                "region": region,
                "name": region,
                "endpoint": f"ec2.{region}.amazonaws.com",
                "id": region,
            }
        if token == "aws:rds/getEngineVersion:getEngineVersion":
            return rds_engine_version(args.args, region)
        # An unmocked invoke would silently return None under the mock engine.
        raise PlanError(f"the offline plan has no mock for invoke {token}; add one in tap/plan.py")

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs: dict[str, Any] = dict(args.inputs)
        typ: str = args.typ
        name: str = args.name
        if typ == "pulumi:providers:aws":
            provider_id = f"provider-{_short_hash(name)}"
            with self._lock:
                self.provider_regions[provider_id] = inputs.get("region", "")
            return provider_id, inputs
        if typ == "pulumi:pulumi:StackReference":
            stack_name = inputs.get("name", name)
            return stack_name, {
                "name": stack_name,
                "outputs": self.stack_reference_outputs.get(stack_name, {}),
                "secretOutputNames": [],
            }
        region = inputs.get("region") or self.region_of_provider(args.provider) or "us-east-1"
        resource_id = f"{_ID_PREFIXES.get(typ, 'id')}-{_short_hash(typ, name)}"
        state = {**inputs, "id": resource_id}
        state.update(_computed_outputs(typ, name, region, resource_id, inputs))
        # Some resources' ids are their names (buckets, clusters, groups): keep that shape.
        return str(state["id"]), state


def rds_engine_version(query: Mapping[str, Any], region: str) -> dict[str, Any]:
    """`aws.rds.get_engine_version` answered from AWS's published data, as the provider would."""
    from tap import aurora  # noqa: PLC0415 - reads AWS's data only when a plan asks

    try:
        chosen = aurora.find_release(
            str(query.get("engine")), str(query.get("version") or ""), bool(query.get("latest"))
        )
    except LookupError as exc:
        raise PlanError(str(exc)) from None
    return {
        "engine": aurora.ENGINE,
        "version": chosen,
        "versionActual": chosen,
        "status": "available",
        "parameterGroupFamily": aurora.EngineVersionRequest.parse(chosen).family,
        "supportsGlobalDatabases": True,
        "region": region,
        "id": chosen,
    }


def _computed_outputs(
    typ: str, name: str, region: str, resource_id: str, inputs: Mapping[str, Any]
) -> dict[str, Any]:
    account = MOCK_ACCOUNT_ID
    service = typ.split(":")[1].split("/", maxsplit=1)[0]
    physical = str(inputs.get("name") or name)
    if typ == "aws:lambda/function:Function":
        function = str(inputs.get("name") or name)
        arn = f"arn:aws:lambda:{region}:{account}:function:{function}"
        return {
            "id": function,
            "name": function,
            "arn": arn,
            "qualifiedArn": f"{arn}:$LATEST",
            "invokeArn": (
                f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations"
            ),
            "version": "$LATEST",
        }
    if typ == "aws:apigateway/restApi:RestApi":
        return {
            "rootResourceId": f"root-{_short_hash(name, length=10)}",
            "arn": f"arn:aws:apigateway:{region}::/restapis/{resource_id}",
            "executionArn": f"arn:aws:execute-api:{region}:{account}:{resource_id}",
        }
    if typ == "aws:apigateway/stage:Stage":
        stage = str(inputs.get("stageName", "stage"))
        api = str(inputs.get("restApi", "api"))
        return {
            "arn": f"arn:aws:apigateway:{region}::/restapis/{api}/stages/{stage}",
            "executionArn": f"arn:aws:execute-api:{region}:{account}:{api}/{stage}",
            "invokeUrl": f"https://{api}.execute-api.{region}.amazonaws.com/{stage}",
        }
    if typ == "aws:sns/topic:Topic":
        topic = str(inputs.get("name") or name)
        return {
            "id": f"arn:aws:sns:{region}:{account}:{topic}",
            "arn": f"arn:aws:sns:{region}:{account}:{topic}",
        }
    if typ == "aws:sqs/queue:Queue":
        queue = str(inputs.get("name") or name)
        return {
            "id": f"https://sqs.{region}.amazonaws.com/{account}/{queue}",
            "url": f"https://sqs.{region}.amazonaws.com/{account}/{queue}",
            "arn": f"arn:aws:sqs:{region}:{account}:{queue}",
        }
    if typ == "aws:secretsmanager/secret:Secret":
        # Secrets Manager appends "-" and six characters to the name; the id is the ARN.
        arn = f"arn:aws:secretsmanager:{region}:{account}:secret:{physical}-{resource_id[-6:]}"
        return {"id": arn, "arn": arn}
    if typ == "aws:cloudwatch/dashboard:Dashboard":
        dashboard = str(inputs.get("dashboardName") or name)
        return {"dashboardArn": f"arn:aws:cloudwatch::{account}:dashboard/{dashboard}"}
    if typ == "random:index/randomPassword:RandomPassword":
        # A fixed marker, so tests can prove the value never reaches the manifest in clear.
        return {"result": f"mock-password-{_short_hash(name, length=12)}", "bcryptHash": "mock"}
    if typ == "aws:kms/key:Key":
        key_id = f"{_short_hash(name, length=8)}-0000-4000-8000-{_short_hash(name, length=12)}"
        return {"keyId": key_id, "arn": f"arn:aws:kms:{region}:{account}:key/{key_id}"}
    if typ == "aws:kms/alias:Alias":
        return {"arn": f"arn:aws:kms:{region}:{account}:{physical}"}
    if typ == "aws:iam/role:Role":
        return {"name": physical, "arn": f"arn:aws:iam::{account}:role/{physical}"}
    if typ == "aws:cloudwatch/logGroup:LogGroup":
        return {"arn": f"arn:aws:logs:{region}:{account}:log-group:{physical}"}
    if typ == "aws:ec2/vpc:Vpc":
        return {
            "arn": f"arn:aws:ec2:{region}:{account}:vpc/{resource_id}",
            "defaultSecurityGroupId": f"sg-{_short_hash('default', name)}",
            "mainRouteTableId": f"rtb-{_short_hash('main', name)}",
        }
    if typ == "aws:ec2/eip:Eip":
        return {"allocationId": resource_id, "publicIp": "192.0.2.1"}
    if typ == "aws:s3/bucket:Bucket":
        bucket = str(inputs.get("bucket") or name)
        return {
            "id": bucket,
            "bucket": bucket,
            "arn": f"arn:aws:s3:::{bucket}",
            "bucketDomainName": f"{bucket}.s3.amazonaws.com",
            "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com",
        }
    if typ == "aws:rds/cluster:Cluster":
        identifier = str(inputs.get("clusterIdentifier") or name)
        host = f"{identifier}.cluster-{_rds_domain(identifier, region)}"
        outputs: dict[str, Any] = {
            "id": identifier,
            "clusterIdentifier": identifier,
            "arn": f"arn:aws:rds:{region}:{account}:cluster:{identifier}",
            "endpoint": host,
            "readerEndpoint": host.replace(".cluster-", ".cluster-ro-"),
            "port": 5432,
        }
        if inputs.get("manageMasterUserPassword"):
            secret = f"rds!cluster-{_short_hash(identifier, length=8)}"
            outputs["masterUserSecrets"] = [
                {
                    "secretArn": f"arn:aws:secretsmanager:{region}:{account}:secret:{secret}",
                    "kmsKeyId": inputs.get("masterUserSecretKmsKeyId", ""),
                    "secretStatus": "active",
                }
            ]
        return outputs
    if typ == "aws:rds/clusterInstance:ClusterInstance":
        identifier = str(inputs.get("identifier") or name)
        return {
            "id": identifier,
            "identifier": identifier,
            "arn": f"arn:aws:rds:{region}:{account}:db:{identifier}",
            "endpoint": f"{identifier}.{_rds_domain(identifier, region)}",
        }
    if typ == "aws:rds/globalCluster:GlobalCluster":
        identifier = str(inputs.get("globalClusterIdentifier") or name)
        return {"id": identifier, "arn": f"arn:aws:rds::{account}:global-cluster:{identifier}"}
    if typ in _NAMED_BY_ID:
        return {
            "id": physical,
            "name": physical,
            "arn": f"arn:aws:rds:{region}:{account}:{_NAMED_BY_ID[typ]}:{physical}",
        }
    return {"arn": f"arn:aws:{service}:{region}:{account}:{resource_id}"}


def _rds_domain(identifier: str, region: str) -> str:
    return f"{_short_hash(identifier, length=12)}.{region}.rds.amazonaws.com"


# --- running the program -----------------------------------------------------------------------


@dataclass(frozen=True)
class PlanResult:
    manifest: dict[str, Any]
    warnings: tuple[str, ...]

    @property
    def mandatory_violations(self) -> list[dict[str, str]]:
        return [v for v in self.manifest["policy"] if v["enforcement"] == "mandatory"]

    @property
    def constraint_violations(self) -> list[dict[str, Any]]:
        return list(self.manifest["constraints"])


def run_plan(stack: str = "dev", project_dir: Path | None = None) -> PlanResult:
    """Validate the stack's config, run the program under mocks, and build the manifest."""
    project_dir = project_dir or find_project_dir()
    stack_file = load_stack_file(project_dir, stack)
    parsed = stack_file.parse()  # ConfigError surfaces before any resource is registered
    default_region = stack_file.config.get("aws:region")
    mocks = PlanMocks(default_region if isinstance(default_region, str) else None)
    if parsed.config.networking_stack_ref:
        mocks.stack_reference_outputs[parsed.config.networking_stack_ref] = {
            "regions": _fake_shared_network_outputs(parsed)
        }
    recording, outputs = run_under_mocks(
        run_program_module,
        stack=stack,
        config=stack_file.engine_config(),
        secret_keys=stack_file.secret_keys,
        mocks=mocks,
    )
    refuse_duplicates(recording)
    manifest = build_manifest(stack, recording.registrations, outputs)
    violations = evaluate(from_manifest(manifest), PolicyConfig(parsed.config.environment))
    # Added last, so the manifest's original fields keep their order and meaning.
    manifest["policy"] = [asdict(v) for v in violations]
    try:
        manifest["constraints"] = [asdict(v) for v in check_manifest(manifest)]
    except AwsDataError as error:
        raise PlanError(f"cannot check AWS's published constraints: {error}") from None
    return PlanResult(manifest, parsed.warnings)


def refuse_duplicates(recording: Recording) -> None:
    if recording.duplicate_urns:
        listed = "\n  ".join(sorted(set(recording.duplicate_urns)))
        raise PlanError(
            "duplicate URNs (a real `pulumi up` fails on these; the mock engine hides them):"
            f"\n  {listed}"
        )


def run_program_module() -> None:
    runpy.run_module(PROGRAM_MODULE, run_name="__main__")


def run_under_mocks(
    program: Callable[[], object],
    *,
    stack: str,
    config: Mapping[str, str] | None = None,
    secret_keys: Iterable[str] = (),
    mocks: PlanMocks | None = None,
) -> tuple[Recording, dict[str, Any]]:
    """Run `program` under the mock engine; return what it registered and what it exported.

    Also the harness for component tests, so they see exactly what the plan sees.
    """
    config = config or {}
    monitor = RecordingMonitor(
        mocks or PlanMocks("us-east-1"),
        stack=stack,
        project=PROJECT,
        disabled_packages=disabled_default_providers(config),
    )
    try:
        return run_program(program, monitor, config=config, secret_keys=secret_keys)
    except ConfigError as exc:
        raise PlanError(str(exc)) from None


def _fake_shared_network_outputs(parsed: ParsedConfig) -> dict[str, Any]:
    """What a networking stack would export, so the plan can show a StackReference-fed stack."""
    from tap.cidr import TIERS  # noqa: PLC0415

    fake: dict[str, Any] = {}
    for network in parsed.config.networks:
        region = network.region
        fake[region] = {
            "vpcId": f"vpc-shared-{_short_hash(region, length=8)}",
            "vpcCidr": network.cidr,
            "subnetIds": {
                tier: [
                    f"subnet-shared-{_short_hash(region, tier, str(i), length=8)}"
                    for i in range(network.az_count)
                ]
                for tier in TIERS
            },
        }
    return fake


__all__ = [
    "MOCK_ACCOUNT_ID",
    "PROJECT",
    "PlanError",
    "PlanMocks",
    "PlanResult",
    "Recording",
    "RecordingMonitor",
    "Registration",
    "StackFile",
    "available_stacks",
    "build_manifest",
    "find_project_dir",
    "load_stack_file",
    "refuse_duplicates",
    "render_struct",
    "render_value",
    "run_plan",
    "run_program_module",
    "run_under_mocks",
]
