"""The stack's outputs: what each region exports, assembled from its components in one place.

`pulumi stack output --json` prints them, and `tap verify`, `tap failover` and other stacks
(`tap:networkingStackRef`) read them, so they are a contract like the manifest: keys are only
added, never renamed or removed. tap/verify/outputs.py checks the keys verify reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from tap.components.api import RegionalApi
from tap.components.database import AuroraPostgres
from tap.components.function import ApiFunction, MigrationFunction
from tap.components.kms import RegionalKey
from tap.components.monitoring import Monitoring
from tap.components.network import Network, SharedNetwork
from tap.components.security import SecurityGroups
from tap.components.storage import ReplicatedStorage
from tap.components.waf import RegionalWebAcl
from tap.config import ApiConfig


def foundation_outputs(
    key: RegionalKey, network: Network | SharedNetwork, security_groups: SecurityGroups
) -> dict[str, Any]:
    """A region's key, network and security groups."""
    return {
        # None when the network belongs to another stack: its flow logs are that stack's.
        "flowLogGroupName": (network.flow_log_group.name if isinstance(network, Network) else None),
        "vpcId": network.vpc_id,
        "vpcCidr": network.vpc_cidr,
        "subnetIds": network.subnet_ids,
        "securityGroupIds": security_groups.ids,
        "kmsKeyArn": key.key_arn,
        "kmsAliasName": key.alias_name,
    }


def api_outputs(
    function: ApiFunction | None,
    api: RegionalApi | None,
    monitoring: Monitoring,
    settings: ApiConfig,
    *,
    web_acl: RegionalWebAcl | None,
    code_signing_config_arn: pulumi.Input[str] | None,
) -> dict[str, Any]:
    """A region's API tier: the REST API, its function, and the alarms and logs watching them.
    A region without a data path has no function and no API: their keys are None there."""
    log_groups: list[pulumi.Output[str]] = []
    if function is not None and api is not None:
        log_groups = [
            function.log_group.name,
            api.access_log_group.name,
            api.execution_log_group.name,
            *([web_acl.log_group.name] if web_acl else []),
        ]
    return {
        "invokeUrl": api.invoke_url if api else None,
        "restApiId": api.rest_api.id if api else None,
        "stageName": settings.stage_name if api else None,
        "endpointType": settings.endpoint_type if api else None,
        "functionName": function.function_name if function else None,
        "functionArn": function.function_arn if function else None,
        "dashboardName": monitoring.dashboard_name,
        "alarmTopicArn": monitoring.topic_arn,
        "alarmNames": [alarm.name for alarm in monitoring.alarms.values()],
        "logGroupNames": log_groups,
        "webAclArn": web_acl.web_acl_arn if web_acl else None,
        "codeSigningConfigArn": code_signing_config_arn if function else None,
    }


def storage_outputs(storage: ReplicatedStorage, region: str, *, primary: bool) -> dict[str, Any]:
    """The region's bucket: the replicated data bucket's source, or one of its replicas."""
    bucket = storage.buckets[region]
    return {
        "role": "primary" if primary else "replica",
        "bucketName": bucket.bucket_name,
        "bucketArn": bucket.bucket_arn,
        "logBucketName": bucket.log_bucket_name,
    }


def database_outputs(
    cluster: AuroraPostgres | None,
    *,
    writer: bool,
    admin_secret_arn: pulumi.Input[str],
    migration: MigrationFunction,
) -> dict[str, Any] | None:
    """The region's Aurora cluster (None where the region has none) and its migration function."""
    if cluster is None:
        return None
    outputs: dict[str, Any] = {
        "role": "writer" if writer else "secondary",
        "clusterArn": cluster.cluster_arn,
        "clusterIdentifier": cluster.cluster_identifier,
        "clusterResourceId": cluster.cluster_resource_id,
        "endpoint": cluster.endpoint,
        "readerEndpoint": cluster.reader_endpoint,
    }
    # Not a password, but it locates one: outputs carry it only as a secret.
    outputs["masterSecretArn"] = pulumi.Output.secret(admin_secret_arn)
    outputs["migrationFunctionName"] = migration.function_name
    if migration.result is not None:
        outputs["schemaVersion"] = migration.result.apply(lambda answer: answer["version"])
    return outputs


def region_outputs(
    foundation: Mapping[str, Any],
    storage: Mapping[str, Any],
    database: Mapping[str, Any] | None,
    api: Mapping[str, Any],
) -> dict[str, Any]:
    """One entry of the `regions` output, in the order `pulumi stack output` shows it."""
    return {**foundation, "storage": storage, "database": database, "api": api}
