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
import json
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


@dataclass(frozen=True)
class MockHostedZone:
    """A Route 53 hosted zone as the offline plan's getZone answers it."""

    name: str
    private: bool = False


def offline_hosted_zone(domain_name: str) -> MockHostedZone:
    """The zone `tap plan` assumes holds `domain_name`: its parent domain, public.

    The plan cannot look the zone up (no account), so like the mock account id this is an
    assumption; `pulumi preview` checks the real zone (tap.components.entrypoint).
    """
    labels = domain_name.split(".")
    return MockHostedZone(".".join(labels[1:]) if len(labels) > 2 else domain_name)


class PlanMocks(Mocks):
    """Deterministic fake cloud: ids and ARNs derive from names, so manifests are reproducible."""

    def __init__(self, default_region: str | None) -> None:
        self.default_region = default_region
        self.provider_regions: dict[str, str] = {}
        self.stack_reference_outputs: dict[str, Any] = {}
        # Hosted zone id -> the zone getZone answers with (tap:dns looks its zone up).
        self.hosted_zones: dict[str, MockHostedZone] = {}
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
        if token == "aws:route53/getZone:getZone":
            return self._hosted_zone(str(args.args.get("zoneId")))
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

    def _hosted_zone(self, zone_id: str) -> dict[str, Any]:
        zone = self.hosted_zones.get(zone_id)
        if zone is None:
            raise PlanError(
                f"the offline plan knows no hosted zone {zone_id}; register it in "
                "PlanMocks.hosted_zones"
            )
        return {
            "id": zone_id,
            "zoneId": zone_id,
            "arn": f"arn:aws:route53:::hostedzone/{zone_id}",
            # GetHostedZone's form: the root's trailing dot.
            "name": zone.name.rstrip(".") + ".",
            "privateZone": zone.private,
            "nameServers": [
                f"ns-{_short_hash(zone_id, str(i), length=4)}.awsdns-{i:02d}.net" for i in range(4)
            ],
            "primaryNameServer": f"ns-{_short_hash(zone_id, '0', length=4)}.awsdns-00.net",
            "callerReference": f"tap-plan-{zone_id}",
            "comment": "",
            "tags": {},
        }

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
    if typ == "aws:lambda/invocation:Invocation":
        return {"result": _migration_answer(inputs.get("input"))}
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
            # RDS's form: "cluster-" and 26 upper-case letters and digits.
            "clusterResourceId": f"cluster-{_short_hash(region, identifier, length=26).upper()}",
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
    if typ == "aws:acm/certificate:Certificate":
        names = [
            str(inputs.get("domainName")),
            *map(str, inputs.get("subjectAlternativeNames", [])),
        ]
        certificate_id = (
            f"{_short_hash(name, length=8)}-0000-4000-8000-{_short_hash(name, length=12)}"
        )
        return {
            "arn": f"arn:aws:acm:{region}:{account}:certificate/{certificate_id}",
            "status": "PENDING_VALIDATION",
            "domainValidationOptions": [_acm_validation_option(domain) for domain in names],
        }
    if typ == "aws:apigateway/domainName:DomainName":
        domain = str(inputs.get("domainName"))
        return {
            "id": domain,
            "arn": f"arn:aws:apigateway:{region}::/domainnames/{domain}",
            "regionalDomainName": (
                f"d-{_short_hash(region, domain, length=10)}.execute-api.{region}.amazonaws.com"
            ),
            "regionalZoneId": _API_GATEWAY_ZONE_IDS[region],
        }
    if typ == "aws:route53/healthCheck:HealthCheck":
        check_id = (
            f"{_short_hash(name, length=8)}-{_short_hash('hc', name, length=4)}-4000-8000-"
            f"{_short_hash('id', name, length=12)}"
        )
        return {"id": check_id, "arn": f"arn:aws:route53:::healthcheck/{check_id}"}
    if typ == "aws:route53/record:Record":
        fqdn = str(inputs.get("name", name)).rstrip(".").lower()
        record_id = "_".join(
            str(part)
            for part in (
                inputs.get("zoneId"),
                fqdn,
                inputs.get("type"),
                inputs.get("setIdentifier"),
            )
            if part
        )
        return {"id": record_id, "fqdn": fqdn}
    if typ in _HARDENING_TYPES:
        return _hardening_outputs(typ, name, region, inputs)
    if typ in _NAMED_BY_ID:
        return {
            "id": physical,
            "name": physical,
            "arn": f"arn:aws:rds:{region}:{account}:{_NAMED_BY_ID[typ]}:{physical}",
        }
    return {"arn": f"arn:aws:{service}:{region}:{account}:{resource_id}"}


# The hosted zones of API Gateway's regional endpoints, which alias records name (AWS General
# Reference, "Amazon API Gateway endpoints and quotas").
_API_GATEWAY_ZONE_IDS = {
    "us-east-1": "Z1UJRXOUMOOFQ8",
    "us-west-2": "Z2OJLYMUO9EFXC",
    "eu-central-1": "Z1U9ULNL0V5AJ3",
}


def _acm_validation_option(domain: str) -> dict[str, str]:
    """ACM's validation CNAME for `domain`: like ACM, the same in every region of the account."""
    return {
        "domainName": domain,
        "resourceRecordName": f"_{_short_hash(MOCK_ACCOUNT_ID, domain, length=32)}.{domain}.",
        "resourceRecordType": "CNAME",
        "resourceRecordValue": (
            f"_{_short_hash('acm', domain, length=32)}.{_short_hash('v', domain, length=10)}"
            ".acm-validations.aws."
        ),
    }


def _migration_answer(event: Any) -> str:
    """What the migration function (tap.functions.api.migrate.handler) answers a deploy's
    invocation for a database that already has every migration: the fake cloud's database is
    always up to date. Its shape is the function's (MigrationResult.to_dict)."""
    from tap.functions.api.migrate import load_migrations  # noqa: PLC0415 - stdlib only

    try:
        expected = json.loads(str(event))["migrationsHash"]
    except (ValueError, KeyError, TypeError):
        raise PlanError(f"the migration invocation's input is not its event: {event!r}") from None
    return json.dumps(
        {
            "status": "up_to_date",
            "applied": [],
            "version": len(load_migrations()),
            "unknownVersions": [],
            "migrationsHash": expected,
        }
    )


_HARDENING_TYPES = frozenset(
    {
        "aws:wafv2/webAcl:WebAcl",
        "aws:wafv2/webAclAssociation:WebAclAssociation",
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
        "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
        "aws:backup/vault:Vault",
        "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
        "aws:backup/plan:Plan",
        "aws:backup/selection:Selection",
        "aws:signer/signingProfile:SigningProfile",
        "aws:signer/signingJob:SigningJob",
        "aws:lambda/codeSigningConfig:CodeSigningConfig",
        "aws:s3/bucketObjectv2:BucketObjectv2",
    }
)


def _hardening_outputs(
    typ: str, name: str, region: str, inputs: Mapping[str, Any]
) -> dict[str, Any]:
    """WAF, AWS Backup and code signing: the ids and ARNs AWS returns, in AWS's shapes."""
    account = MOCK_ACCOUNT_ID
    physical = str(inputs.get("name") or name)
    uuid = f"{_short_hash(typ, name, length=8)}-0000-4000-8000-{_short_hash(name, length=12)}"
    if typ == "aws:wafv2/webAcl:WebAcl":
        from tap.components.waf import capacity_of_rules  # noqa: PLC0415 - only for web ACLs

        scope = str(inputs.get("scope", "REGIONAL")).lower()
        acl: dict[str, Any] = {
            "id": uuid,
            "arn": f"arn:aws:wafv2:{region}:{account}:{scope}/webacl/{physical}/{uuid}",
            "lockToken": _short_hash("lock", name, length=36),
        }
        # The WCUs AWS would compute, where every statement is one tap knows the price of.
        wcu = capacity_of_rules(list(inputs.get("rules") or []))
        if wcu is not None:
            acl["capacity"] = wcu
        return acl
    if typ == "aws:wafv2/webAclAssociation:WebAclAssociation":
        return {"id": f"{inputs.get('webAclArn', '')},{inputs.get('resourceArn', '')}"}
    if typ == "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration":
        return {"id": str(inputs.get("resourceArn") or name)}
    if typ == "aws:cloudwatch/logResourcePolicy:LogResourcePolicy":
        return {"id": str(inputs.get("policyName") or name)}
    if typ == "aws:backup/vault:Vault":
        return {
            "id": physical,
            "name": physical,
            "arn": f"arn:aws:backup:{region}:{account}:backup-vault:{physical}",
            "recoveryPoints": 0,
        }
    if typ == "aws:backup/vaultLockConfiguration:VaultLockConfiguration":
        vault = str(inputs.get("backupVaultName") or name)
        return {
            "id": vault,
            "backupVaultArn": f"arn:aws:backup:{region}:{account}:backup-vault:{vault}",
        }
    if typ == "aws:backup/plan:Plan":
        return {
            "id": uuid,
            "arn": f"arn:aws:backup:{region}:{account}:backup-plan:{uuid}",
            "version": _short_hash("version", name, length=32),
        }
    if typ == "aws:backup/selection:Selection":
        return {"id": _short_hash("selection", name, length=36)}
    return _signing_outputs(typ, name, region, inputs)


def _signing_outputs(typ: str, name: str, region: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    account = MOCK_ACCOUNT_ID
    if typ == "aws:signer/signingProfile:SigningProfile":
        profile = str(inputs.get("name") or name)
        arn = f"arn:aws:signer:{region}:{account}:/signing-profiles/{profile}"
        version = _short_hash("profile-version", name, length=10)
        return {
            "id": profile,
            "name": profile,
            "arn": arn,
            "version": version,
            "versionArn": f"{arn}/{version}",
            "platformDisplayName": "AWS Lambda",
            "status": "Active",
        }
    if typ == "aws:lambda/codeSigningConfig:CodeSigningConfig":
        config_id = f"csc-{_short_hash('csc', name, length=17)}"
        return {
            "id": config_id,
            "configId": config_id,
            "arn": f"arn:aws:lambda:{region}:{account}:code-signing-config:{config_id}",
        }
    if typ == "aws:s3/bucketObjectv2:BucketObjectv2":
        return {
            "id": str(inputs.get("key") or name),
            "versionId": _short_hash("object-version", name, length=32),
            "etag": _short_hash("etag", name, length=32),
        }
    # aws:signer/signingJob:SigningJob: Signer writes `<prefix><job id>.zip`.
    job_id = f"{_short_hash('job', name, length=8)}-0000-4000-8000-{_short_hash(name, length=12)}"
    destination = ((inputs.get("destination") or {}).get("s3")) or {}
    return {
        "id": job_id,
        "jobId": job_id,
        "status": "Succeeded",
        "platformId": "AWSLambda-SHA384-ECDSA",
        "signedObjects": [
            {
                "s3s": [
                    {
                        "bucket": destination.get("bucket", ""),
                        "key": f"{destination.get('prefix', '')}{job_id}.zip",
                    }
                ]
            }
        ],
    }


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
    if parsed.config.dns is not None:
        dns = parsed.config.dns
        mocks.hosted_zones[dns.zone_id] = offline_hosted_zone(dns.domain_name)
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
