"""GlobalEntryPoint: certificates, custom domains, mappings, health checks, records and alarms."""

from __future__ import annotations

from functools import cache
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from tap.components.entrypoint import (
    HEALTH_METRICS_REGION,
    DedicatedAlarmTopic,
    EntryPointArgs,
    ExistingAlarmTopic,
    GlobalEntryPoint,
    RegionalTarget,
)
from tap.dns import FAILOVER_SECONDARY_LABEL, HEALTH_CHECK, TLS_SECURITY_POLICY
from tap.plan import MOCK_ACCOUNT_ID, MockHostedZone, PlanError, PlanMocks, run_under_mocks
from tests.conftest import is_taggable, labels_for, plan_program, refused_before_registering

REGIONS = ("us-east-1", "us-west-2", "eu-central-1")
ZONE_ID = "Z0123456789ABCDEFGHIJ"
DOMAIN = "api.example.com"
STAGE = "v1"
TOPIC_ARN = f"arn:aws:sns:us-east-1:{MOCK_ACCOUNT_ID}:tap-test-use1-alarms"

CERTIFICATE = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
DOMAIN_NAME = "aws:apigateway/domainName:DomainName"
MAPPING = "aws:apigateway/basePathMapping:BasePathMapping"
RECORD = "aws:route53/record:Record"
HEALTH_CHECK_TYPE = "aws:route53/healthCheck:HealthCheck"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
KEY = "aws:kms/key:Key"

Manifest = dict[str, Any]


def api_id(region: str) -> str:
    return f"api{region.replace('-', '')}"


def entry_point_args(
    regions: tuple[str, ...], providers: dict[str, aws.Provider], **overrides: Any
) -> EntryPointArgs:
    targets = [
        RegionalTarget(
            region=region,
            labels=labels_for(region),
            provider=providers[region],
            rest_api_id=api_id(region),
            stage_name=STAGE,
            invoke_url=f"https://{api_id(region)}.execute-api.{region}.amazonaws.com/{STAGE}",
        )
        for region in regions
    ]
    values: dict[str, Any] = {
        "labels": labels_for(None),
        "zone_id": ZONE_ID,
        "domain_name": DOMAIN,
        "routing": "latency",
        "primary_region": regions[0],
        "targets": targets,
        "dns_provider": providers[regions[0]],
        "alarm_labels": labels_for(HEALTH_METRICS_REGION),
        "alarm_provider": providers.get(HEALTH_METRICS_REGION)
        or aws.Provider("tap-test-use1-alarms-aws", region=HEALTH_METRICS_REGION),
        "alarm_topic": ExistingAlarmTopic(TOPIC_ARN),
    }
    values.update(overrides)
    return EntryPointArgs(**values)


def mocks_with_zone() -> PlanMocks:
    mocks = PlanMocks("us-east-1")
    mocks.hosted_zones[ZONE_ID] = MockHostedZone("example.com")
    return mocks


def providers_for(regions: tuple[str, ...]) -> dict[str, aws.Provider]:
    return {region: aws.Provider(f"tap-test-{region}-aws", region=region) for region in regions}


@cache
def build(
    routing: str = "latency",
    regions: tuple[str, ...] = REGIONS,
    primary: str = "us-east-1",
    dedicated_topic: bool = False,
) -> Manifest:
    def program() -> None:
        providers = providers_for(regions)
        topic: Any = ExistingAlarmTopic(TOPIC_ARN)
        if dedicated_topic:
            topic = DedicatedAlarmTopic(
                account_id=MOCK_ACCOUNT_ID,
                partition="aws",
                kms_deletion_window_days=30,
                protect=True,
                alarm_email="oncall@example.com",
            )
        entry_point = GlobalEntryPoint(
            "tap-test-gbl-entrypoint",
            entry_point_args(
                regions, providers, routing=routing, primary_region=primary, alarm_topic=topic
            ),
        )
        pulumi.export("entryPoint", entry_point.outputs)

    return plan_program(program, mocks=mocks_with_zone())


def of_type(manifest: Manifest, type_token: str) -> list[dict[str, Any]]:
    return [r for r in manifest["resources"] if r["type"] == type_token]


def named(manifest: Manifest, name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [r for r in manifest["resources"] if r["name"] == name]
    (resource,) = found
    return resource


def urn_of(manifest: Manifest, name: str) -> str:
    return str(named(manifest, name)["urn"])


def outputs(manifest: Manifest) -> dict[str, Any]:
    return dict(manifest["outputs"]["entryPoint"])


# --- certificates and their validation ------------------------------------------------------------


def test_each_region_requests_a_dns_validated_certificate_for_both_its_names() -> None:
    manifest = build()
    certificates = {r["region"]: r for r in of_type(manifest, CERTIFICATE)}
    assert set(certificates) == set(REGIONS)
    for region, certificate in certificates.items():
        inputs = certificate["inputs"]
        assert inputs["domainName"] == DOMAIN
        assert inputs["subjectAlternativeNames"] == [f"{region}.{DOMAIN}"]
        assert inputs["validationMethod"] == "DNS"


def test_the_shared_names_validation_record_is_written_once() -> None:
    manifest = build()
    records = [r for r in of_type(manifest, RECORD) if r["inputs"]["type"] == "CNAME"]
    by_name = {r["inputs"]["name"] for r in records}
    # One per name: the shared one, and each region's own.
    assert len(records) == len(by_name) == 1 + len(REGIONS)
    shared = named(manifest, "tap-test-gbl-certificate-dns-record")
    assert shared["inputs"]["name"].endswith(f".{DOMAIN}.")
    assert shared["inputs"]["name"].count(".") == DOMAIN.count(".") + 2
    for record in records:
        assert record["inputs"]["zoneId"] == ZONE_ID
        assert record["inputs"]["allowOverwrite"] is True
        assert record["inputs"]["records"][0].endswith(".acm-validations.aws.")


def test_every_regions_validation_waits_on_the_shared_record_and_its_own() -> None:
    manifest = build()
    shared = named(manifest, "tap-test-gbl-certificate-dns-record")
    shared_fqdn = shared["inputs"]["name"].rstrip(".")
    for region in REGIONS:
        code = labels_for(region).namer.code
        validation = named(manifest, f"tap-test-{code}-certificate-validation")
        own = named(manifest, f"tap-test-{code}-certificate-dns-record")
        assert validation["region"] == region
        assert validation["inputs"]["validationRecordFqdns"] == [
            shared_fqdn,
            own["inputs"]["name"].rstrip("."),
        ]
        assert {shared["urn"], own["urn"], urn_of(manifest, f"tap-test-{code}-certificate")} <= set(
            validation["dependencies"]
        )
        certificate_arn = validation["inputs"]["certificateArn"]
        assert certificate_arn.startswith(f"arn:aws:acm:{region}:")


# --- custom domains, mappings, the region's own name -------------------------------------------


def test_custom_domains_are_regional_tls_1_2_with_the_validated_certificate() -> None:
    manifest = build()
    domains = of_type(manifest, DOMAIN_NAME)
    assert {(r["region"], r["inputs"]["domainName"]) for r in domains} == {
        pair for region in REGIONS for pair in ((region, DOMAIN), (region, f"{region}.{DOMAIN}"))
    }
    for domain in domains:
        inputs = domain["inputs"]
        assert inputs["endpointConfiguration"] == {"types": "REGIONAL"}
        assert inputs["securityPolicy"] == TLS_SECURITY_POLICY == "TLS_1_2"
        code = labels_for(domain["region"]).namer.code
        validation = named(manifest, f"tap-test-{code}-certificate-validation")
        assert inputs["regionalCertificateArn"] == validation["inputs"]["certificateArn"]
        assert validation["urn"] in domain["dependencies"]


def test_both_names_map_the_stage_at_the_root() -> None:
    manifest = build()
    mappings = of_type(manifest, MAPPING)
    assert len(mappings) == 2 * len(REGIONS)
    for mapping in mappings:
        inputs = mapping["inputs"]
        region = mapping["region"]
        assert inputs["restApi"] == api_id(region)
        assert inputs["stageName"] == STAGE
        assert inputs["domainName"] in (DOMAIN, f"{region}.{DOMAIN}")
        assert "basePath" not in inputs


def test_each_regions_own_name_aliases_its_own_custom_domain_whatever_its_health() -> None:
    manifest = build()
    for region in REGIONS:
        code = labels_for(region).namer.code
        record = named(manifest, f"tap-test-{code}-regional-domain-record")["inputs"]
        assert record["name"] == f"{region}.{DOMAIN}"
        assert "healthCheckId" not in record and "setIdentifier" not in record
        (alias,) = record["aliases"]
        assert f".execute-api.{region}.amazonaws.com" in alias["name"]


# --- health checks ------------------------------------------------------------------------------


def test_each_region_has_an_https_health_check_on_its_own_names_health() -> None:
    manifest = build()
    checks = {
        r["inputs"]["tags"]["Region"]: r
        for r in of_type(manifest, HEALTH_CHECK_TYPE)
        if r["inputs"]["type"] == "HTTPS"
    }
    assert set(checks) == set(REGIONS)
    for region, resource in checks.items():
        check = resource["inputs"]
        # The region's own custom domain: only that region answers it, through the same
        # certificate, mapping and stage as the shared name.
        assert check["fqdn"] == f"{region}.{DOMAIN}"
        assert check["resourcePath"] == "/health"
        assert check["port"] == 443
        assert check["enableSni"] is True
        assert check["requestInterval"] == HEALTH_CHECK.request_interval == 30
        assert check["failureThreshold"] == HEALTH_CHECK.failure_threshold == 3
        code = labels_for(region).namer.code
        assert {
            urn_of(manifest, f"tap-test-{code}-regional-domain-record"),
            urn_of(manifest, f"tap-test-{code}-regional-domain-mapping"),
        } <= set(resource["dependencies"])


# --- routed records -----------------------------------------------------------------------------


def routed(manifest: Manifest) -> list[dict[str, Any]]:
    return [r["inputs"] for r in of_type(manifest, RECORD) if "setIdentifier" in r["inputs"]]


def test_latency_routing_sends_each_client_to_its_nearest_healthy_region() -> None:
    manifest = build()
    health = outputs(manifest)["healthCheckIds"]
    records = routed(manifest)
    assert sorted(r["setIdentifier"] for r in records) == sorted(REGIONS)
    for record in records:
        region = record["setIdentifier"]
        assert record["name"] == DOMAIN and record["type"] == "A"
        assert record["latencyRoutingPolicies"] == [{"region": region}]
        assert record["healthCheckId"] == health[region]
        (alias,) = record["aliases"]
        assert alias["name"] == outputs(manifest)["regions"][region]["regionalDomainName"]
        assert alias["zoneId"] == outputs(manifest)["regions"][region]["regionalZoneId"]
        assert alias["evaluateTargetHealth"] is True


def test_failover_routing_is_the_primary_then_the_nearest_healthy_other() -> None:
    manifest = build("failover", primary="us-west-2")
    entry = outputs(manifest)
    health = entry["healthCheckIds"]
    by_id = {(r["name"], r["setIdentifier"]): r for r in routed(manifest)}
    secondary_name = f"{FAILOVER_SECONDARY_LABEL}.{DOMAIN}"
    assert set(by_id) == {
        (DOMAIN, "primary"),
        (DOMAIN, "secondary"),
        (secondary_name, "us-east-1"),
        (secondary_name, "eu-central-1"),
    }
    primary = by_id[(DOMAIN, "primary")]
    assert primary["failoverRoutingPolicies"] == [{"type": "PRIMARY"}]
    assert primary["healthCheckId"] == health["us-west-2"]
    assert primary["aliases"][0]["name"] == entry["regions"]["us-west-2"]["regionalDomainName"]
    secondary = by_id[(DOMAIN, "secondary")]
    assert secondary["failoverRoutingPolicies"] == [{"type": "SECONDARY"}]
    assert secondary["healthCheckId"] == health["secondaries"]
    assert secondary["aliases"] == [
        {"name": secondary_name, "zoneId": ZONE_ID, "evaluateTargetHealth": True}
    ]
    for region in ("us-east-1", "eu-central-1"):
        member = by_id[(secondary_name, region)]
        assert member["latencyRoutingPolicies"] == [{"region": region}]
        assert member["healthCheckId"] == health[region]


def test_failovers_secondary_check_is_healthy_while_any_other_region_is() -> None:
    manifest = build("failover", primary="us-west-2")
    health = outputs(manifest)["healthCheckIds"]
    calculated = named(manifest, "tap-test-gbl-health-check-secondaries")["inputs"]
    assert calculated["type"] == "CALCULATED"
    assert calculated["childHealthThreshold"] == 1
    assert sorted(calculated["childHealthchecks"]) == sorted(
        [health["us-east-1"], health["eu-central-1"]]
    )


@pytest.mark.parametrize("routing", ["latency", "failover"])
def test_every_routed_record_carries_a_health_check_of_this_entry_point(routing: str) -> None:
    manifest = build(routing)
    ids = set(outputs(manifest)["healthCheckIds"].values())
    records = routed(manifest)
    assert records
    assert all(record["healthCheckId"] in ids for record in records)


def test_failover_with_two_regions_keeps_a_one_region_secondary_set() -> None:
    manifest = build("failover", regions=("us-east-1", "us-west-2"))
    names = sorted((r["name"], r["setIdentifier"]) for r in routed(manifest))
    assert names == [
        (DOMAIN, "primary"),
        (DOMAIN, "secondary"),
        (f"{FAILOVER_SECONDARY_LABEL}.{DOMAIN}", "us-west-2"),
    ]


# --- alarms -------------------------------------------------------------------------------------


@pytest.mark.parametrize("routing", ["latency", "failover"])
def test_an_alarm_in_us_east_1_watches_each_health_checks_status(routing: str) -> None:
    manifest = build(routing)
    health = outputs(manifest)["healthCheckIds"]
    alarms = of_type(manifest, ALARM)
    assert len(alarms) == len(health)
    watched = set()
    for alarm in alarms:
        inputs = alarm["inputs"]
        assert alarm["region"] == HEALTH_METRICS_REGION
        assert (inputs["namespace"], inputs["metricName"]) == ("AWS/Route53", "HealthCheckStatus")
        assert inputs["statistic"] == "Minimum"
        assert (inputs["comparisonOperator"], inputs["threshold"]) == ("LessThanThreshold", 1)
        assert inputs["period"] == 60
        assert inputs["treatMissingData"] == "breaching"
        assert inputs["alarmActions"] == inputs["okActions"] == [TOPIC_ARN]
        watched.add(inputs["dimensions"]["HealthCheckId"])
    assert watched == set(health.values())


def test_without_us_east_1_the_alarms_get_an_encrypted_topic_of_their_own_there() -> None:
    manifest = build(
        regions=("us-west-2", "eu-central-1"), primary="us-west-2", dedicated_topic=True
    )
    (topic,) = of_type(manifest, TOPIC)
    (key,) = of_type(manifest, KEY)
    assert topic["region"] == key["region"] == HEALTH_METRICS_REGION
    assert topic["inputs"]["kmsMasterKeyId"].startswith("arn:aws:kms:us-east-1:")
    assert key["protect"] is True
    (policy,) = of_type(manifest, TOPIC_POLICY)
    assert "cloudwatch:us-east-1" in policy["inputs"]["policy"]
    (subscription,) = of_type(manifest, SUBSCRIPTION)
    assert subscription["inputs"]["endpoint"] == "oncall@example.com"
    topic_arn = f"arn:aws:sns:us-east-1:{MOCK_ACCOUNT_ID}:tap-test-use1-health-alarms"
    assert outputs(manifest)["alarmTopicArn"] == topic_arn
    for alarm in of_type(manifest, ALARM):
        assert alarm["inputs"]["alarmActions"] == [topic_arn]
        assert policy["urn"] in alarm["dependencies"]


# --- outputs, names and tags --------------------------------------------------------------------


def test_outputs_give_the_global_url_and_each_regions_urls() -> None:
    entry = outputs(build())
    assert entry["url"] == f"https://{DOMAIN}"
    assert entry["routing"] == "latency"
    for region in REGIONS:
        urls = entry["regions"][region]
        assert urls["url"] == f"https://{region}.{DOMAIN}"
        assert urls["invokeUrl"] == (
            f"https://{api_id(region)}.execute-api.{region}.amazonaws.com/{STAGE}"
        )
        assert urls["certificateArn"].startswith(f"arn:aws:acm:{region}:")


@pytest.mark.parametrize("routing", ["latency", "failover"])
def test_every_taggable_resource_is_tagged_with_its_name(routing: str) -> None:
    manifest = build(routing)
    for resource in manifest["resources"]:
        if resource["custom"] and is_taggable(resource["type"]):
            tags = resource["inputs"].get("tags", {})
            assert tags.get("Name") == resource["name"], resource["name"]
            assert tags.get("ManagedBy") == "pulumi"


# --- the hosted zone ----------------------------------------------------------------------------


class _RecordingZoneMocks(PlanMocks):
    def __init__(self, zone: MockHostedZone) -> None:
        super().__init__("us-east-1")
        self.hosted_zones[ZONE_ID] = zone
        self.registered: list[str] = []

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        self.registered.append(args.typ)
        return super().new_resource(args)


@pytest.mark.parametrize(
    ("zone", "message"),
    [
        (
            MockHostedZone("example.org"),
            f"tap:dns.domainName '{DOMAIN}' is not inside the hosted zone 'example.org'",
        ),
        (
            MockHostedZone("example.com", private=True),
            f"tap:dns.zoneId {ZONE_ID}: the hosted zone 'example.com' is private",
        ),
    ],
)
def test_a_zone_that_cannot_hold_the_name_stops_the_program_before_anything_is_registered(
    zone: MockHostedZone, message: str
) -> None:
    mocks = _RecordingZoneMocks(zone)

    def program() -> None:
        GlobalEntryPoint(
            "tap-test-gbl-entrypoint", entry_point_args(REGIONS, providers_for(REGIONS))
        )

    with pytest.raises(PlanError) as caught:
        run_under_mocks(program, stack="test", mocks=mocks)
    assert message in str(caught.value)
    assert [t for t in mocks.registered if not t.startswith("pulumi:providers")] == []


def test_every_record_is_written_into_the_looked_up_zone() -> None:
    manifest = build()
    records = of_type(manifest, RECORD)
    assert records
    assert {r["inputs"]["zoneId"] for r in records} == {ZONE_ID}
    assert outputs(manifest)["zoneId"] == ZONE_ID


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"zone_id": "/hostedzone/Z0123"}, "write the id alone"),
        ({"domain_name": "API.example.com"}, "lower case"),
        ({"routing": "weighted"}, "not a routing mode"),
        ({"primary_region": "eu-central-1", "targets_regions": REGIONS[:2]}, "has no API target"),
        ({"routing": "failover", "targets_regions": REGIONS[:1]}, "at least two regions"),
        ({"labels": "us-east-1"}, "global labels"),
        ({"alarm_labels": "us-west-2"}, "alarm_labels are for us-west-2"),
    ],
)
def test_bad_args_are_refused_before_anything_is_registered(
    overrides: dict[str, Any], message: str
) -> None:
    def program() -> None:
        options = dict(overrides)
        regions = options.pop("targets_regions", REGIONS)
        for key in ("labels", "alarm_labels"):
            if key in options:
                options[key] = labels_for(options[key])
        GlobalEntryPoint(
            "tap-test-gbl-entrypoint",
            entry_point_args(regions, providers_for(REGIONS), **options),
        )

    error, registered = refused_before_registering(program)
    assert message in str(error)
    assert [t for t in registered if not t.startswith("pulumi:providers")] == []
