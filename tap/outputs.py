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
from tap.components.function import ApiFunction
from tap.components.kms import RegionalKey
from tap.components.monitoring import Monitoring
from tap.components.network import Network, SharedNetwork
from tap.components.security import SecurityGroups
from tap.components.storage import ReplicatedStorage
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
    function: ApiFunction, api: RegionalApi, monitoring: Monitoring, settings: ApiConfig
) -> dict[str, Any]:
    """A region's API tier: the REST API, its function, and the alarms and logs watching them."""
    return {
        "invokeUrl": api.invoke_url,
        "restApiId": api.rest_api.id,
        "stageName": settings.stage_name,
        "endpointType": settings.endpoint_type,
        "functionName": function.function_name,
        "functionArn": function.function_arn,
        "dashboardName": monitoring.dashboard_name,
        "alarmTopicArn": monitoring.topic_arn,
        "alarmNames": [alarm.name for alarm in monitoring.alarms.values()],
        "logGroupNames": [
            function.log_group.name,
            api.access_log_group.name,
            api.execution_log_group.name,
        ],
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
    master_secret_arn: pulumi.Input[str | None],
    *,
    writer: bool,
) -> dict[str, Any] | None:
    """The region's Aurora cluster (None where the region has none)."""
    if cluster is None:
        return None
    outputs: dict[str, Any] = {
        "role": "writer" if writer else "secondary",
        "clusterArn": cluster.cluster_arn,
        "clusterIdentifier": cluster.cluster_identifier,
        "endpoint": cluster.endpoint,
        "readerEndpoint": cluster.reader_endpoint,
    }
    if writer:
        # Not a password, but it locates one: outputs carry it only as a secret.
        outputs["masterSecretArn"] = pulumi.Output.secret(master_secret_arn)
    return outputs


def region_outputs(
    foundation: Mapping[str, Any],
    storage: Mapping[str, Any],
    database: Mapping[str, Any] | None,
    api: Mapping[str, Any],
) -> dict[str, Any]:
    """One entry of the `regions` output, in the order `pulumi stack output` shows it."""
    return {**foundation, "storage": storage, "database": database, "api": api}
