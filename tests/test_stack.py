"""Stack-level invariants, asserted on each shipped stack's whole program (run once per session)."""

from __future__ import annotations

import fnmatch
import ipaddress
import json
from collections import Counter

from tap import awsdata
from tap.components.api import RECORD_MODEL
from tap.components.rotation import ROTATION_HANDLER
from tap.naming import GLOBAL_CODE, region_code
from tap.packaging import API_HANDLER, MIGRATION_HANDLER, function_zip
from tap.verify.outputs import validate_outputs
from tests.conftest import (
    DNS_DOMAIN,
    DNS_STACK,
    DNS_ZONE_ID,
    PROJECT_DIR,
    STACKS,
    Planned,
    is_taggable,
)

COMMON_TAG_KEYS = {"Project", "Environment", "EnvironmentSuffix", "ManagedBy", "Region", "Name"}


def test_the_shipped_stacks_validate_without_warnings(planned: Planned) -> None:
    assert planned.warnings == ()
    assert planned.config.environment == planned.stack


def test_every_taggable_resource_carries_the_common_tags_and_a_name(planned: Planned) -> None:
    taggable = [r for r in planned.cloud_resources() if is_taggable(r["type"])]
    assert len(taggable) > 50
    for resource in taggable:
        tags = resource["inputs"].get("tags")
        assert tags, f"{resource['urn']} has no tags"
        missing = COMMON_TAG_KEYS - set(tags)
        assert not missing, f"{resource['name']} lacks {missing}"
        assert tags["Project"] == "tap"
        assert tags["Environment"] == planned.config.environment
        assert tags["EnvironmentSuffix"] == planned.config.environment_suffix
        assert tags["ManagedBy"] == "pulumi"
        # Region-global things (the global cluster) say so, and their name says gbl.
        assert tags["Region"] in (*planned.config.regions, "global")
        if tags["Region"] == "global":
            assert "-gbl-" in resource["name"], resource["name"]
        assert tags["Name"] == resource["name"]
        for key, value in planned.config.tags.items():
            assert tags[key] == value


def test_every_name_carries_the_suffix_and_a_region_code(planned: Planned) -> None:
    suffix = planned.config.environment_suffix
    codes = {region_code(r) for r in planned.config.regions} | {GLOBAL_CODE}
    for resource in planned.resources:
        if resource["type"] == "pulumi:pulumi:Stack":
            continue
        parts = resource["name"].split("-")
        assert resource["name"].startswith(f"tap-{suffix}-"), resource["name"]
        assert parts[1 + len(suffix.split("-"))] in codes, resource["name"]
        physical = resource["inputs"].get("name")
        # API Gateway writes execution logs to a group whose name AWS fixes, and names a model
        # in letters and digits only, inside its REST API (whose name carries both); a Route 53
        # record's `name` is a DNS name, the user's (tap:dns) or ACM's validation name.
        aws_fixed = (
            str(physical).startswith("API-Gateway-Execution-Logs_")
            or (resource["type"] == "aws:apigateway/model:Model" and physical == RECORD_MODEL)
            or resource["type"] == "aws:route53/record:Record"
        )
        # Signer profile names allow no hyphens: tap_<suffix>_<code>_lambda.
        underscored = resource["type"] == "aws:signer/signingProfile:SigningProfile"
        prefix = f"tap_{suffix.replace('-', '_')}_" if underscored else f"tap-{suffix}-"
        if isinstance(physical, str) and resource["custom"] and not aws_fixed:
            assert prefix in physical, physical


def test_resources_land_in_the_configured_regions_only(planned: Planned) -> None:
    regions = Counter(r["region"] for r in planned.cloud_resources())
    assert set(regions) == set(planned.config.regions)
    providers = planned.of_type("pulumi:providers:aws")
    assert sorted(p["inputs"]["region"] for p in providers) == sorted(planned.config.regions)


def test_every_region_gets_its_own_network_key_and_groups(planned: Planned) -> None:
    for region in planned.config.regions:
        in_region = [r for r in planned.cloud_resources() if r["region"] == region]
        types = Counter(r["type"] for r in in_region)
        assert types["aws:ec2/vpc:Vpc"] == 1
        assert types["aws:kms/key:Key"] == 1
        assert types["aws:ec2/flowLog:FlowLog"] == 1
        network = planned.config.network(region)
        assert types["aws:ec2/subnet:Subnet"] == 3 * network.az_count
        nat = network.az_count if network.nat_strategy == "perAz" else 1
        assert types["aws:ec2/natGateway:NatGateway"] == nat


def test_iam_goes_through_the_primary_region(planned: Planned) -> None:
    iam = [r for r in planned.cloud_resources() if r["type"].startswith("aws:iam/")]
    assert iam
    assert {r["region"] for r in iam} == {planned.config.primary_region}


def test_no_duplicate_urns(planned: Planned) -> None:
    urns = [r["urn"] for r in planned.resources]
    assert len(urns) == len(set(urns))


def test_parents_and_dependencies_resolve(planned: Planned) -> None:
    urns = planned.by_urn()
    for resource in planned.resources:
        assert resource["parent"] is None or resource["parent"] in urns
        assert all(d in urns for d in resource["dependencies"]), resource["urn"]
    roots = [r for r in planned.resources if r["parent"] is None]
    assert [r["type"] for r in roots] == ["pulumi:pulumi:Stack"]


def test_the_database_tier_has_no_internet_route(planned: Planned) -> None:
    tables = [
        r
        for r in planned.of_type("aws:ec2/routeTable:RouteTable")
        if r["name"].endswith("-rt-database")
    ]
    assert len(tables) == len(planned.config.regions)
    table_urns = {t["urn"] for t in tables}
    routes = planned.of_type("aws:ec2/route:Route")
    assert not [r for r in routes if table_urns & set(r["dependencies"])]
    assert all(not t["inputs"].get("routes") for t in tables)
    for association in planned.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation"):
        is_db_subnet = "-rta-database-" in association["name"]
        assert is_db_subnet == bool(table_urns & set(association["dependencies"]))


def test_no_ingress_from_anywhere_unless_configured(planned: Planned) -> None:
    vpc_cidrs = {n.cidr for n in planned.config.networks}
    allowed = set(planned.config.allowed_cidrs)
    for rule in planned.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        source = rule["inputs"].get("cidrIpv4")
        if source is None:
            assert rule["inputs"]["referencedSecurityGroupId"], rule["name"]
            continue
        assert source in vpc_cidrs | allowed, rule["name"]
        if ipaddress.ip_network(source).prefixlen == 0:
            assert source in allowed
    for group in planned.of_type("aws:ec2/securityGroup:SecurityGroup"):
        assert "ingress" not in group["inputs"]
    for default in planned.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"):
        assert default["inputs"]["ingress"] == [] and default["inputs"]["egress"] == []


def test_ssh_only_with_the_bastion_toggle(planned: Planned) -> None:
    ssh = [
        r
        for r in planned.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r["inputs"]["fromPort"] <= 22 <= r["inputs"]["toPort"]
    ]
    assert bool(ssh) == planned.config.enable_bastion_ssh


def test_logs_are_encrypted_with_the_regions_key_and_retained(planned: Planned) -> None:
    for group in planned.of_type("aws:cloudwatch/logGroup:LogGroup"):
        assert group["inputs"]["retentionInDays"] == planned.config.log_retention_days
        assert isinstance(group["inputs"]["retentionInDays"], int)
        key_arn = group["inputs"]["kmsKeyId"]
        assert key_arn.startswith(f"arn:aws:kms:{group['region']}:")


def test_prod_protects_its_keys_and_dev_tears_down(planned: Planned) -> None:
    keys = planned.of_type("aws:kms/key:Key")
    assert {k["protect"] for k in keys} == {planned.config.is_prod}
    windows = {k["inputs"]["deletionWindowInDays"] for k in keys}
    assert windows == {planned.config.kms_deletion_window_days}
    if not planned.config.is_prod:
        assert not [r for r in planned.resources if r["protect"]]


def test_password_policy_only_where_configured(planned: Planned) -> None:
    policies = planned.of_type("aws:iam/accountPasswordPolicy:AccountPasswordPolicy")
    assert len(policies) == (1 if planned.config.manage_account_password_policy else 0)
    assert all(p["region"] == planned.config.primary_region for p in policies)


def test_api_gateway_settings_only_where_owned_in_every_region_and_kept(
    planned: Planned,
) -> None:
    """One setting per account and region: the owning stack (prod) sets it in each of its
    regions, retained on delete with its role; the others create neither."""
    accounts = planned.of_type("aws:apigateway/account:Account")
    roles = [
        r
        for r in planned.of_type("aws:iam/role:Role")
        if r["name"].endswith("-apigateway-cloudwatch-role")
    ]
    if not planned.config.manage_api_gateway_account:
        assert accounts == [] and roles == []
        return
    assert sorted(a["region"] for a in accounts) == sorted(planned.config.regions)
    (role,) = roles
    assert role["region"] == planned.config.primary_region
    assert all(a["retainOnDelete"] for a in accounts) and role["retainOnDelete"]
    assert planned.stack == "prod"  # the documented default owner


def test_outputs_per_region(planned: Planned) -> None:
    outputs = planned.manifest["outputs"]
    assert outputs["environment"] == planned.config.environment
    assert outputs["primaryRegion"] == planned.config.primary_region
    assert set(outputs["regions"]) == set(planned.config.regions)
    for region, values in outputs["regions"].items():
        az_count = planned.config.network(region).az_count
        assert values["vpcId"].startswith("vpc-")
        assert values["vpcCidr"] == planned.config.network(region).cidr
        assert {tier: len(ids) for tier, ids in values["subnetIds"].items()} == {
            "public": az_count,
            "private": az_count,
            "database": az_count,
        }
        groups = {"app", "database"}
        if planned.config.api.endpoint_type == "PRIVATE":
            groups.add("apiEndpoint")
        assert set(values["securityGroupIds"]) - {"bastion"} == groups
        assert values["kmsKeyArn"].startswith(f"arn:aws:kms:{region}:")


def test_manifest_follows_the_contract(planned: Planned) -> None:
    manifest = json.loads(json.dumps(planned.manifest))
    # The contract's fields first and unchanged; `policy`, then `constraints`, added after them.
    assert list(manifest) == ["project", "stack", "resources", "outputs", "policy", "constraints"]
    assert manifest["policy"] == []
    assert manifest["constraints"] == []
    assert manifest["project"] == "tap"
    assert manifest["stack"] == planned.stack
    keys = [
        "urn",
        "type",
        "name",
        "parent",
        "custom",
        "region",
        "protect",
        "retainOnDelete",
        "dependencies",
        "inputs",
        # Added after the contract's first fields.
        "aliases",
    ]
    for resource in manifest["resources"]:
        assert list(resource) == keys
        assert resource["urn"].startswith(f"urn:pulumi:{planned.stack}::tap::")
    assert not _floats_that_are_whole(manifest)


def _floats_that_are_whole(value: object) -> list[float]:
    if isinstance(value, float):
        return [value] if value.is_integer() else []
    if isinstance(value, dict):
        return [f for item in value.values() for f in _floats_that_are_whole(item)]
    if isinstance(value, list):
        return [f for item in value for f in _floats_that_are_whole(item)]
    return []


# --- the data tier ------------------------------------------------------------------------------

S3_ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"


def _key_region(arn: str) -> str:
    assert arn.startswith("arn:aws:kms:"), arn
    return arn.split(":")[3]


def test_data_is_encrypted_with_a_cmk_of_its_own_region(planned: Planned) -> None:
    encrypted = 0
    for config in planned.of_type(S3_ENCRYPTION):
        (rule,) = config["inputs"]["rules"]
        default = rule["applyServerSideEncryptionByDefault"]
        if "-logs-" in config["name"]:
            # Server access log targets accept SSE-S3 only.
            assert default == {"sseAlgorithm": "AES256"}
            continue
        assert default["sseAlgorithm"] == "aws:kms"
        assert _key_region(default["kmsMasterKeyId"]) == config["region"]
        assert rule["bucketKeyEnabled"] is True
        encrypted += 1
    # The data bucket of each region, and with code signing an artifacts bucket in each region
    # that runs functions (the regions with a cluster).
    artifacts = len(planned.config.data_regions) if planned.config.code_signing.enabled else 0
    assert encrypted == len(planned.config.regions) + artifacts
    for cluster in planned.of_type(CLUSTER):
        assert cluster["inputs"]["storageEncrypted"] is True
        assert _key_region(cluster["inputs"]["kmsKeyId"]) == cluster["region"]
    for instance in planned.of_type(INSTANCE):
        if instance["inputs"].get("performanceInsightsEnabled"):
            key = instance["inputs"]["performanceInsightsKmsKeyId"]
            assert _key_region(key) == instance["region"]
    for secret in planned.of_type("aws:secretsmanager/secret:Secret"):
        assert _key_region(secret["inputs"]["kmsKeyId"]) == secret["region"]


def test_replication_reaches_every_other_region(planned: Planned) -> None:
    (replication,) = planned.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    assert replication["region"] == planned.config.primary_region
    buckets = planned.manifest["outputs"]["regions"]
    rules = replication["inputs"]["rules"]
    destinations = {rule["destination"]["bucket"] for rule in rules}
    assert destinations == {
        buckets[region]["storage"]["bucketArn"] for region in planned.config.secondary_regions
    }
    for rule in rules:
        destination = rule["destination"]
        region = next(
            r
            for r in planned.config.regions
            if buckets[r]["storage"]["bucketArn"] == destination["bucket"]
        )
        assert _key_region(destination["encryptionConfiguration"]["replicaKmsKeyId"]) == region
        assert rule["deleteMarkerReplication"] == {"status": "Enabled"}
        assert rule["sourceSelectionCriteria"]["sseKmsEncryptedObjects"] == {"status": "Enabled"}
        assert ("replicationTime" in destination) == planned.config.storage.replication_time_control


def test_prod_protects_its_data_and_dev_tears_down(planned: Planned) -> None:
    prod = planned.config.is_prod
    for cluster in planned.of_type(CLUSTER):
        assert cluster["inputs"]["deletionProtection"] is prod
        assert cluster["protect"] is prod
        if "replicationSourceIdentifier" not in cluster["inputs"] and cluster["inputs"].get(
            "masterUsername"
        ):
            assert cluster["inputs"]["skipFinalSnapshot"] is (not prod)
    for instance in planned.of_type(INSTANCE):
        assert instance["protect"] is prod
    for bucket in planned.of_type("aws:s3/bucket:Bucket"):
        assert bucket["inputs"]["forceDestroy"] is (not prod)
        assert bucket["protect"] is prod


def test_instance_counts_follow_the_environment(planned: Planned) -> None:
    database = planned.config.database
    per_region = Counter(i["region"] for i in planned.of_type(INSTANCE))
    expected_regions = (
        planned.config.regions if database.global_database else (planned.config.primary_region,)
    )
    assert per_region == dict.fromkeys(expected_regions, database.instance_count)
    for instance in planned.of_type(INSTANCE):
        assert instance["inputs"]["instanceClass"] == database.instance_class
        assert instance["inputs"]["publiclyAccessible"] is False
        assert instance["inputs"]["autoMinorVersionUpgrade"] is True
    if planned.config.is_prod:
        zones = {
            i["inputs"]["availabilityZone"]
            for i in planned.of_type(INSTANCE)
            if i["region"] == planned.config.primary_region
        }
        assert len(zones) == database.instance_count


def test_prod_is_a_global_database_and_the_others_regional(planned: Planned) -> None:
    global_clusters = planned.of_type("aws:rds/globalCluster:GlobalCluster")
    clusters = planned.of_type(CLUSTER)
    if planned.config.database.global_database:
        assert planned.stack == "prod"
        (global_cluster,) = global_clusters
        assert sorted(c["region"] for c in clusters) == sorted(planned.config.regions)
        for cluster in clusters:
            assert global_cluster["urn"] in cluster["dependencies"]
            assert (
                cluster["inputs"]["globalClusterIdentifier"]
                == global_cluster["inputs"]["globalClusterIdentifier"]
            )
            if cluster["region"] != planned.config.primary_region:
                assert cluster["inputs"]["sourceRegion"] == planned.config.primary_region
                assert "masterUsername" not in cluster["inputs"]
    else:
        assert global_clusters == []
        assert [c["region"] for c in clusters] == [planned.config.primary_region]
        assert clusters[0]["inputs"]["manageMasterUserPassword"] is True


def test_parameter_groups(planned: Planned) -> None:
    database = planned.config.database
    family = f"aurora-postgresql{database.engine_major}"
    for group in planned.of_type("aws:rds/clusterParameterGroup:ClusterParameterGroup"):
        assert group["inputs"]["family"] == family
        values = {p["name"]: p["value"] for p in group["inputs"]["parameters"]}
        assert values["rds.force_ssl"] == "1"
        assert "pg_stat_statements" in values["shared_preload_libraries"]
        assert values["log_statement"] == database.log_statement
        assert values["log_min_duration_statement"] == str(database.log_min_duration_statement_ms)
    assert planned.of_type("aws:rds/parameterGroup:ParameterGroup")


def test_every_exported_database_log_has_its_group_created_first(planned: Planned) -> None:
    """RDS writes to /aws/rds/cluster/<id>/<log>; tap creates that group (its key, its
    retention: the test above) before the cluster, in the cluster's region."""
    groups = {
        (g["region"], g["inputs"]["name"]): g
        for g in planned.of_type("aws:cloudwatch/logGroup:LogGroup")
    }
    clusters = planned.of_type("aws:rds/cluster:Cluster")
    assert clusters
    for cluster in clusters:
        exports = cluster["inputs"]["enabledCloudwatchLogsExports"]
        assert exports == ["postgresql"]
        for log_type in exports:
            name = f"/aws/rds/cluster/{cluster['inputs']['clusterIdentifier']}/{log_type}"
            group = groups[(cluster["region"], name)]
            assert group["urn"] in cluster["dependencies"], cluster["name"]
            # The region's key lets CloudWatch Logs use it for this group.
            (key,) = [
                k for k in planned.of_type("aws:kms/key:Key") if k["region"] == cluster["region"]
            ]
            (logs,) = [
                s
                for s in json.loads(key["inputs"]["policy"])["Statement"]
                if s["Sid"] == "CloudWatchLogsUseKey"
            ]
            pattern = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
            account = pattern.split(":")[4]
            arn = f"arn:aws:logs:{cluster['region']}:{account}:log-group:{name}"
            assert fnmatch.fnmatchcase(arn, pattern), (arn, pattern)


def test_no_plaintext_secret_in_the_manifest(planned: Planned) -> None:
    text = json.dumps(planned.manifest)
    assert "mock-password" not in text
    for resource in planned.resources:
        for key, value in _walk(resource["inputs"]):
            if "password" in key.lower() and key not in ("manageMasterUserPassword",):
                assert value in ("<secret>", None) or isinstance(value, bool | int), (
                    resource["name"],
                    key,
                )
    for region, values in planned.manifest["outputs"]["regions"].items():
        if values["database"] and values["database"]["role"] == "writer":
            assert values["database"]["masterSecretArn"] == "<secret>", region


def test_outputs_meet_what_tap_verify_reads(planned: Planned) -> None:
    # tap/outputs.py writes what tap/verify/outputs.py reads: the program's own outputs pass.
    validate_outputs(planned.manifest["outputs"])


def test_data_outputs_per_region(planned: Planned) -> None:
    outputs = planned.manifest["outputs"]["regions"]
    for region, values in outputs.items():
        storage = values["storage"]
        assert storage["role"] == (
            "primary" if region == planned.config.primary_region else "replica"
        )
        assert storage["bucketArn"] == f"arn:aws:s3:::{storage['bucketName']}"
        assert f"-{region_code(region)}-" in storage["bucketName"]
        database = values["database"]
        has_cluster = (
            planned.config.database.global_database or region == planned.config.primary_region
        )
        assert (database is not None) == has_cluster
        if database:
            assert database["clusterArn"].startswith(f"arn:aws:rds:{region}:")
            assert region in database["endpoint"]


def _walk(value: object, key: str = "") -> list[tuple[str, object]]:
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _walk(v, k)]
    if isinstance(value, list):
        return [pair for item in value for pair in _walk(item, key)]
    return [(key, value)]


# --- the API tier -------------------------------------------------------------------------------

FUNCTION = "aws:lambda/function:Function"


def test_the_api_serves_where_there_is_a_data_path(planned: Planned) -> None:
    data_regions = planned.config.data_regions
    for region in planned.config.regions:
        types = Counter(r["type"] for r in planned.cloud_resources() if r["region"] == region)
        serves = region in data_regions
        api_function = f"tap-{planned.config.environment_suffix}-{region_code(region)}-api"
        assert [f["name"] for f in planned.of_type(FUNCTION) if f["region"] == region].count(
            api_function
        ) == int(serves)
        assert types["aws:apigateway/restApi:RestApi"] == int(serves)
        assert types["aws:apigateway/stage:Stage"] == int(serves)
        # Every region is watched, with or without an API.
        assert types["aws:cloudwatch/dashboard:Dashboard"] == 1
        assert types["aws:sns/topic:Topic"] == 1
        api = planned.manifest["outputs"]["regions"][region]["api"]
        assert api["dashboardName"].endswith("-dashboard")
        if serves:
            assert api["invokeUrl"].startswith("https://")
            assert region in api["invokeUrl"]
            assert api["functionName"] == api_function
        else:
            assert api["invokeUrl"] is None and api["functionName"] is None
            assert api["restApiId"] is None and api["logGroupNames"] == []


def test_prod_serves_every_region_and_the_others_only_their_primary(
    plans: dict[str, Planned],
) -> None:
    assert plans["prod"].config.data_regions == plans["prod"].config.regions
    for stack in ("dev", "staging"):
        assert plans[stack].config.data_regions == (plans[stack].config.primary_region,)


def test_iam_policies_have_no_wildcard_actions_and_only_documented_star_resources(
    planned: Planned,
) -> None:
    policies = planned.of_type("aws:iam/rolePolicy:RolePolicy")
    assert policies
    for policy in policies:
        for statement in json.loads(policy["inputs"]["policy"])["Statement"]:
            actions = (
                statement["Action"]
                if isinstance(statement["Action"], list)
                else [statement["Action"]]
            )
            assert not [a for a in actions if "*" in a], (policy["name"], actions)
            resources = (
                statement["Resource"]
                if isinstance(statement["Resource"], list)
                else [statement["Resource"]]
            )
            if "*" in resources:
                # Only actions that support no resource-level permissions (X-Ray's trace
                # writes, EC2's Describe calls), per AWS's Service Authorization Reference.
                for action in actions:
                    scopes = awsdata.iam_actions(action)
                    assert scopes and not any(scopes.values()), (policy["name"], action)


def test_every_alarm_notifies_its_regions_topic(planned: Planned) -> None:
    alarms = planned.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert alarms
    outputs = planned.manifest["outputs"]["regions"]
    for alarm in alarms:
        topic = outputs[alarm["region"]]["api"]["alarmTopicArn"]
        assert alarm["inputs"]["alarmActions"] == [topic], alarm["name"]
        assert alarm["inputs"]["treatMissingData"] in (
            "notBreaching",
            "missing",
            "breaching",
            "ignore",
        )
    for topic in planned.of_type("aws:sns/topic:Topic"):
        assert _key_region(topic["inputs"]["kmsMasterKeyId"]) == topic["region"]


def test_alarms_cover_the_regions_database_and_replication(planned: Planned) -> None:
    names = {a["name"] for a in planned.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    outputs = planned.manifest["outputs"]["regions"]
    for region in planned.config.regions:
        prefix = f"tap-{planned.config.environment_suffix}-{region_code(region)}-alarm-"
        mine = {n.removeprefix(prefix) for n in names if n.startswith(prefix)}
        api_alarms = {
            "lambda-errors",
            "lambda-throttles",
            "api-5xx-errors",
            "api-p99-latency",
            "db-connection-errors",
        }
        serves = region in planned.config.data_regions
        assert (api_alarms <= mine) == serves
        assert not (api_alarms & mine) or serves
        assert ("db-cpu" in mine) == (outputs[region]["database"] is not None)
        replicated = (
            planned.config.storage.replication_time_control
            and region == planned.config.primary_region
        )
        assert any(n.startswith("replication-latency-") for n in mine) == replicated
        nat_count = len(
            [r for r in planned.of_type("aws:ec2/natGateway:NatGateway") if r["region"] == region]
        )
        assert len([n for n in mine if n.startswith("nat-")]) == nat_count


def test_the_functions_run_in_private_subnets_of_two_or_more_azs(planned: Planned) -> None:
    outputs = planned.manifest["outputs"]["regions"]
    for function in planned.of_type(FUNCTION):
        region = function["region"]
        vpc = function["inputs"]["vpcConfig"]
        private = outputs[region]["subnetIds"]["private"]
        assert vpc["subnetIds"] == private
        zones = {
            s["inputs"]["availabilityZone"]
            for s in planned.of_type("aws:ec2/subnet:Subnet")
            if s["region"] == region and "-subnet-private-" in s["name"]
        }
        assert len(zones) >= 2 and len(zones) == len(private)
        assert vpc["securityGroupIds"] == [outputs[region]["securityGroupIds"]["app"]]
        assert function["inputs"]["tracingConfig"] == {"mode": "Active"}
        assert _key_region(function["inputs"]["kmsKeyArn"]) == region
        if function["name"].endswith("-db-migrate"):
            # One run at a time, as long as Lambda allows: DDL may take a while.
            assert function["inputs"]["reservedConcurrentExecutions"] == 1
            assert function["inputs"]["timeout"] == 900
            continue
        if function["name"].endswith("-secret-rotation"):
            # Secrets Manager runs one rotation of a secret at a time.
            assert function["inputs"]["reservedConcurrentExecutions"] == 1
            continue
        assert (
            function["inputs"]["reservedConcurrentExecutions"]
            == planned.config.function.reserved_concurrency
        )
        assert function["inputs"]["timeout"] <= 29


def test_the_functions_security_group_has_no_ingress(planned: Planned) -> None:
    ingress = planned.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert not [r for r in ingress if "-sg-app-in-" in r["name"]]


def test_only_health_is_open_and_everything_else_needs_iam(planned: Planned) -> None:
    methods = planned.of_type("aws:apigateway/method:Method")
    assert methods
    for method in methods:
        open_route = method["name"].endswith("-method-get-health")
        assert method["inputs"]["authorization"] == ("NONE" if open_route else "AWS_IAM"), method[
            "name"
        ]


def test_endpoint_wiring(planned: Planned) -> None:
    private = planned.config.api.endpoint_type == "PRIVATE"
    urns = planned.by_urn()
    for api in planned.of_type("aws:apigateway/restApi:RestApi"):
        configuration = api["inputs"]["endpointConfiguration"]
        assert configuration["types"] == planned.config.api.endpoint_type
        if not private:
            assert "vpcEndpointIds" not in configuration and "policy" not in api["inputs"]
            continue
        endpoints = [urns[d] for d in api["dependencies"] if "vpce-execute-api" in d]
        assert [e["region"] for e in endpoints] == [api["region"]]
        (endpoint_id,) = configuration["vpcEndpointIds"]
        assert endpoint_id.startswith("vpce-")
        statements = json.loads(api["inputs"]["policy"])["Statement"]
        assert {s["Effect"] for s in statements} == {"Allow", "Deny"}
        for statement in statements:
            assert endpoint_id in json.dumps(statement["Condition"])


def test_an_execute_api_endpoint_only_for_a_private_api_behind_the_api_group(
    planned: Planned,
) -> None:
    """With private DNS, an execute-api endpoint sends every call from its VPC to a public API's
    default hostname to itself, and those get 403: a REGIONAL API's VPC must not have one. A
    PRIVATE API's endpoint sits behind the `api` group, where tap:allowedCidrs applies."""
    private = planned.config.api.endpoint_type == "PRIVATE"
    urns = planned.by_urn()
    endpoints = [
        e
        for e in planned.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        if e["inputs"]["serviceName"].endswith(".execute-api")
    ]
    api_groups = [
        g
        for g in planned.of_type("aws:ec2/securityGroup:SecurityGroup")
        if g["name"].endswith("-sg-api")
    ]
    if not private:
        assert endpoints == [] and api_groups == []
        return
    assert sorted(e["region"] for e in endpoints) == sorted(planned.config.regions)
    for endpoint in endpoints:
        assert endpoint["inputs"]["privateDnsEnabled"] is True
        (group_urn,) = [
            d
            for d in endpoint["dependencies"]
            if urns[d]["type"] == "aws:ec2/securityGroup:SecurityGroup"
        ]
        assert urns[group_urn]["name"].endswith("-sg-api")
        assert urns[group_urn]["region"] == endpoint["region"]
        sources = {
            r["inputs"].get("cidrIpv4")
            for r in planned.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
            if group_urn in r["dependencies"]
        }
        vpc_cidr = planned.config.network(endpoint["region"]).cidr
        assert sources == {vpc_cidr, *planned.config.allowed_cidrs}
    assert len(api_groups) == len(endpoints)


def test_stages_log_trace_and_throttle(planned: Planned) -> None:
    api = planned.config.api
    for stage in planned.of_type("aws:apigateway/stage:Stage"):
        assert stage["inputs"]["xrayTracingEnabled"] is True
        assert stage["inputs"]["accessLogSettings"]["destinationArn"].startswith(
            f"arn:aws:logs:{stage['region']}:"
        )
        assert "requestId" in json.loads(stage["inputs"]["accessLogSettings"]["format"])
    for settings in planned.of_type("aws:apigateway/methodSettings:MethodSettings"):
        values = settings["inputs"]["settings"]
        assert values["loggingLevel"] == api.execution_log_level
        assert values["metricsEnabled"] is True
        assert values["dataTraceEnabled"] is False
        assert values["throttlingBurstLimit"] == api.throttling_burst_limit
    for permission in planned.of_type("aws:lambda/permission:Permission"):
        if permission["inputs"]["principal"] == "secretsmanager.amazonaws.com":
            continue  # the rotation function's (tests/test_stack_hardening.py)
        assert permission["inputs"]["principal"] == "apigateway.amazonaws.com"
        assert permission["inputs"]["sourceArn"].startswith(
            f"arn:aws:execute-api:{permission['region']}:"
        )


def test_the_function_ships_the_repos_zip_with_a_machine_independent_path(
    planned: Planned,
) -> None:
    expected = {"<archive>": {"path": function_zip().relative_to(PROJECT_DIR).as_posix()}}
    # With code signing the zip goes to each region's artifacts bucket and the functions run its
    # signed copy; without, each function carries the zip itself.
    signed = planned.config.code_signing.enabled
    uploads = planned.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
    configs = planned.of_type("aws:lambda/codeSigningConfig:CodeSigningConfig")
    assert len(uploads) == len(configs) and bool(configs) is signed
    for upload in uploads:
        assert upload["inputs"]["source"] == expected
    handlers = []
    for function in planned.of_type(FUNCTION):
        handlers.append(function["inputs"]["handler"])
        assert ("codeSigningConfigArn" in function["inputs"]) is signed
        if signed:
            assert "code" not in function["inputs"]
        else:
            assert function["inputs"]["code"] == expected
    # The rotation function (prod's global database) runs the same zip.
    rotation = planned.config.secret_rotation.enabled and planned.config.database.global_database
    assert handlers.count(ROTATION_HANDLER) == int(rotation)
    assert sorted(set(handlers) - {ROTATION_HANDLER}) == [API_HANDLER, MIGRATION_HANDLER]
    # One of each per region with a cluster.
    assert handlers.count(MIGRATION_HANDLER) == len(planned.config.data_regions)
    assert handlers.count(API_HANDLER) == len(planned.config.data_regions)


# --- the global entry point (tap:dns) -------------------------------------------------------------

ENTRY_POINT = "tap:entrypoint:GlobalEntryPoint"
CERTIFICATE = "aws:acm/certificate:Certificate"
CUSTOM_DOMAIN = "aws:apigateway/domainName:DomainName"
MAPPING = "aws:apigateway/basePathMapping:BasePathMapping"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
RECORD = "aws:route53/record:Record"
ENTRY_POINT_TYPES = {CERTIFICATE, CUSTOM_DOMAIN, MAPPING, HEALTH_CHECK, RECORD}


def test_the_shipped_stacks_have_no_entry_point(plans: dict[str, Planned]) -> None:
    for stack in STACKS:
        planned = plans[stack]
        assert planned.config.dns is None
        assert {r["type"] for r in planned.resources} & (ENTRY_POINT_TYPES | {ENTRY_POINT}) == set()
        assert "entryPoint" not in planned.manifest["outputs"]


def test_prod_with_dns_plans_a_certificate_domain_mapping_and_health_check_per_region(
    plans: dict[str, Planned],
) -> None:
    planned = plans[DNS_STACK]
    api_outputs = planned.manifest["outputs"]["regions"]
    for region in planned.config.regions:
        own_name = f"{region}.{DNS_DOMAIN}"
        (certificate,) = [r for r in planned.of_type(CERTIFICATE) if r["region"] == region]
        assert certificate["inputs"]["domainName"] == DNS_DOMAIN
        assert certificate["inputs"]["subjectAlternativeNames"] == [own_name]
        domains = [r for r in planned.of_type(CUSTOM_DOMAIN) if r["region"] == region]
        assert sorted(d["inputs"]["domainName"] for d in domains) == sorted([DNS_DOMAIN, own_name])
        assert all(d["inputs"]["securityPolicy"] == "TLS_1_2" for d in domains)
        mappings = [r for r in planned.of_type(MAPPING) if r["region"] == region]
        assert len(mappings) == 2
        for mapping in mappings:
            # The region's own API and stage: never another region's.
            assert mapping["inputs"]["restApi"] == api_outputs[region]["api"]["restApiId"]
            assert mapping["inputs"]["stageName"] == planned.config.api.stage_name
        checks = [r for r in planned.of_type(HEALTH_CHECK) if r["inputs"]["fqdn"] == own_name]
        assert [(c["inputs"]["type"], c["inputs"]["resourcePath"]) for c in checks] == [
            ("HTTPS", "/health")
        ]


def test_prod_with_dns_routes_the_name_to_each_region_on_its_health_check(
    plans: dict[str, Planned],
) -> None:
    planned = plans[DNS_STACK]
    entry = planned.manifest["outputs"]["entryPoint"]
    routed = [r["inputs"] for r in planned.of_type(RECORD) if "setIdentifier" in r["inputs"]]
    assert sorted(r["setIdentifier"] for r in routed) == sorted(planned.config.regions)
    for record in routed:
        region = record["setIdentifier"]
        assert record["name"] == DNS_DOMAIN
        assert record["zoneId"] == DNS_ZONE_ID
        assert record["latencyRoutingPolicies"] == [{"region": region}]
        assert record["healthCheckId"] == entry["healthCheckIds"][region]
        (alias,) = record["aliases"]
        assert alias["name"] == entry["regions"][region]["regionalDomainName"]
        assert f".execute-api.{region}.amazonaws.com" in alias["name"]


def test_prod_with_dns_alarms_on_health_in_us_east_1_to_its_alarm_topic(
    plans: dict[str, Planned],
) -> None:
    planned = plans[DNS_STACK]
    entry = planned.manifest["outputs"]["entryPoint"]
    topic_arn = planned.manifest["outputs"]["regions"]["us-east-1"]["api"]["alarmTopicArn"]
    topic_policy = planned.named("tap-prod-use1-alarms-policy")
    alarms = [
        r
        for r in planned.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if r["inputs"]["namespace"] == "AWS/Route53"
    ]
    assert {a["inputs"]["dimensions"]["HealthCheckId"] for a in alarms} == set(
        entry["healthCheckIds"].values()
    )
    for alarm in alarms:
        assert alarm["region"] == "us-east-1"
        assert alarm["inputs"]["alarmActions"] == alarm["inputs"]["okActions"] == [topic_arn]
        assert topic_policy["urn"] in alarm["dependencies"]


def test_prod_with_dns_outputs_the_global_url_and_each_regions_url(
    plans: dict[str, Planned],
) -> None:
    entry = plans[DNS_STACK].manifest["outputs"]["entryPoint"]
    assert entry["url"] == f"https://{DNS_DOMAIN}"
    assert entry["routing"] == "latency"
    for region in plans[DNS_STACK].config.regions:
        assert entry["regions"][region]["url"] == f"https://{region}.{DNS_DOMAIN}"
        assert entry["regions"][region]["healthCheckId"] == entry["healthCheckIds"][region]


def test_turning_dns_on_adds_the_entry_point_and_changes_nothing_else(
    plans: dict[str, Planned],
) -> None:
    before = plans["prod"].by_urn()
    after = plans[DNS_STACK].by_urn()
    # Every resource keeps its URN and its inputs: nothing is replaced or updated.
    assert set(before) <= set(after)
    changed = [
        urn for urn, resource in before.items() if after[urn]["inputs"] != resource["inputs"]
    ]
    assert changed == []
    added = set(after) - set(before)
    assert added
    assert all(
        f"${ENTRY_POINT}" in urn or urn.endswith(f"::{ENTRY_POINT}::tap-prod-gbl-entrypoint")
        for urn in added
    )
