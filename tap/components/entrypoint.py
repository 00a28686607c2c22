"""The global entry point: one name, routed by Route 53 to the regions whose `/health` answers.

GlobalEntryPoint composes, for a public hosted zone and a name in it (tap.dns has the rules):

- per region, a RegionalCertificate: an ACM certificate (DNS validation) for the name and for
  the region's own name `<region>.<name>`, and the validation record of the region's own name;
- once, the validation record of the shared name. ACM gives one domain the same validation
  CNAME in every region of an account ("the CNAME validation token works for any AWS Region",
  ACM User Guide, DNS validation), so three regions would write the same record three times:
  it is written once, from the first region's certificate, under a name that no region owns
  (moving the primary region must not delete a record the others still need), and with
  `allow_overwrite`, so a record left by an earlier certificate of the account is adopted;
- per region, a RegionalEndpoint: the certificate's validation (waiting on both records), the
  API Gateway custom domains for the name and for the region's own name (REGIONAL, TLS 1.2),
  their base path mappings to the stage, the alias of the region's own name, and a Route 53
  health check on the stage's `/health` at the API's own host name;
- the routed records (latency, or failover: tap.dns.routed_records), each with its health check,
  and for failover the calculated check of the other regions;
- HealthCheckAlarms: an alarm on each health check's HealthCheckStatus. Route 53 publishes these
  metrics only in us-east-1, and an alarm notifies only an SNS topic in its own region, so the
  alarms live in us-east-1 and notify us-east-1's alarm topic, or, when the stack has no
  us-east-1, a topic of their own there (its own key, the same e-mail subscription).

Route 53 and its health checks are global: they use the stack's primary provider.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from tap.components.kms import RegionalKey, RegionalKeyArgs
from tap.components.monitoring import alarm_topic_policy
from tap.dns import (
    HEALTH_CHECK,
    RECORD_TYPE,
    SECONDARIES,
    TLS_SECURITY_POLICY,
    HealthCheckSettings,
    RoutedRecord,
    Routing,
    check_hosted_zone,
    check_regions,
    health_check_target,
    regional_domain_name,
    routed_records,
    url,
    validate_domain_name,
    validate_health_check_settings,
    validate_routing,
    validate_zone_id,
)
from tap.naming import Labels, region_code

# Where Route 53 publishes health-check metrics (CloudWatch User Guide, "Amazon Route 53
# metrics": "available only in the US East (N. Virginia) Region").
HEALTH_METRICS_REGION = "us-east-1"
HEALTH_METRICS_NAMESPACE = "AWS/Route53"
HEALTH_STATUS_METRIC = "HealthCheckStatus"
# Route 53 publishes HealthCheckStatus once a minute: 1 healthy, 0 unhealthy.
HEALTH_ALARM_PERIOD_SECONDS = 60
CUSTOM_DOMAIN_ENDPOINT_TYPE = "REGIONAL"
VALIDATION_RECORD_TTL = 300


# --- args --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionalTarget:
    """One region's API, as the entry point needs it."""

    region: str
    labels: Labels
    provider: aws.Provider  # the region's provider: certificate, custom domains, mappings
    rest_api_id: pulumi.Input[str]
    # The Stage resource's stage_name, so the mapping and the health check wait for the stage.
    stage_name: pulumi.Input[str]
    invoke_url: pulumi.Input[str]


@dataclass(frozen=True)
class ExistingAlarmTopic:
    """us-east-1's alarm topic (tap:monitoring's), when us-east-1 is one of the stack's regions."""

    topic_arn: pulumi.Input[str]
    # What must exist before an alarm first publishes: the topic policy that lets CloudWatch.
    ready: Sequence[pulumi.Resource] = ()


@dataclass(frozen=True)
class DedicatedAlarmTopic:
    """A topic of the entry point's own in us-east-1, for a stack without us-east-1."""

    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    kms_deletion_window_days: int
    protect: bool
    alarm_email: str | None = None


@dataclass(frozen=True)
class EntryPointArgs:
    labels: Labels  # global labels (no region): the shared records and checks
    zone_id: str
    domain_name: str
    routing: Routing
    primary_region: str
    targets: Sequence[RegionalTarget]
    # Route 53 is global; any region's provider reaches it. The stack passes its primary one.
    dns_provider: aws.Provider
    # us-east-1: where the health-check metrics, hence their alarms, live.
    alarm_labels: Labels
    alarm_provider: aws.Provider
    alarm_topic: ExistingAlarmTopic | DedicatedAlarmTopic
    health_check: HealthCheckSettings = HEALTH_CHECK


def validate_entry_point_args(args: EntryPointArgs) -> None:
    """Everything that needs no cloud; raises ValueError before anything is registered."""
    if args.labels.region is not None:
        raise ValueError(
            f"the entry point takes global labels, not labels for {args.labels.region}"
        )
    if args.alarm_labels.region != HEALTH_METRICS_REGION:
        raise ValueError(
            f"health-check alarms live in {HEALTH_METRICS_REGION}, where Route 53 publishes its "
            f"metrics; alarm_labels are for {args.alarm_labels.region}"
        )
    validate_zone_id(args.zone_id)
    validate_domain_name(args.domain_name)
    validate_routing(args.routing)
    validate_health_check_settings(args.health_check)
    regions = [target.region for target in args.targets]
    check_regions(args.routing, regions)
    if args.primary_region not in regions:
        raise ValueError(f"primary region {args.primary_region} has no API target in {regions}")
    for target in args.targets:
        if target.labels.region != target.region:
            raise ValueError(
                f"the target for {target.region} carries labels of {target.labels.region}"
            )


def checked_zone(args: EntryPointArgs) -> str:
    """The zone id, once Route 53 shows the zone is public and holds the name.

    Only the account knows the zone's name, so the lookup (GetHostedZone) runs with the
    program, at `pulumi preview` as at `pulumi up`. It is a blocking invoke on purpose: the
    answer decides whether anything is registered at all, and an error raised from an Output
    would fail every record that uses the zone, each with its own report.
    """
    zone = aws.route53.get_zone(
        zone_id=args.zone_id, opts=pulumi.InvokeOptions(provider=args.dns_provider)
    )
    try:
        return check_hosted_zone(
            domain_name=args.domain_name,
            zone_id=args.zone_id,
            zone_name=zone.name,
            private=bool(zone.private_zone),
        )
    except ValueError as exc:
        # A user error: the engine shows a RunError as its message, without a traceback.
        raise pulumi.RunError(str(exc)) from None


def ordered_targets(args: EntryPointArgs) -> list[RegionalTarget]:
    """The primary region first (its certificate supplies the shared validation record)."""
    return sorted(args.targets, key=lambda t: t.region != args.primary_region)


# --- per region: the certificate -----------------------------------------------------------------


@dataclass(frozen=True)
class RegionalCertificateArgs:
    target: RegionalTarget
    zone_id: str  # the checked zone (checked_zone)
    domain_name: str
    dns_provider: aws.Provider


def validation_option(options: Sequence[Any], domain_name: str) -> Any:
    """The validation CNAME ACM gives `domain_name` (one entry of domain_validation_options)."""
    for option in options:
        if option.domain_name == domain_name:
            return option
    raise ValueError(f"ACM returned no DNS validation record for {domain_name}")


def validation_record(
    name: str,
    option: pulumi.Output[Any],
    *,
    zone_id: str,
    opts: pulumi.ResourceOptions,
) -> aws.route53.Record:
    """ACM's validation CNAME, kept in place: ACM renews only while it stays (DNS validation)."""
    return aws.route53.Record(
        name,
        zone_id=zone_id,
        name=option.apply(lambda o: str(o.resource_record_name)),
        type=option.apply(lambda o: str(o.resource_record_type)),
        records=[option.apply(lambda o: str(o.resource_record_value))],
        ttl=VALIDATION_RECORD_TTL,
        # The record's name and value belong to the account and domain, not to this stack: a
        # certificate requested earlier for the same name left the same record behind.
        allow_overwrite=True,
        opts=opts,
    )


class RegionalCertificate(pulumi.ComponentResource):
    """An ACM certificate for the shared name and the region's own name, DNS-validated."""

    certificate: aws.acm.Certificate
    regional_record: aws.route53.Record
    certificate_arn: pulumi.Output[str]
    # The validation CNAME of the shared name: the same in every region of the account.
    shared_option: pulumi.Output[Any]

    def __init__(
        self, name: str, args: RegionalCertificateArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("tap:entrypoint:RegionalCertificate", name, None, opts)
        target, labels = args.target, args.target.labels
        own_name = regional_domain_name(args.domain_name, target.region)
        cert_name = labels.name("certificate")
        self.certificate = aws.acm.Certificate(
            cert_name,
            domain_name=args.domain_name,
            subject_alternative_names=[own_name],
            validation_method="DNS",
            key_algorithm="RSA_2048",
            tags=labels.tags(cert_name),
            opts=pulumi.ResourceOptions(parent=self, provider=target.provider),
        )
        options = self.certificate.domain_validation_options
        self.shared_option = options.apply(lambda o: validation_option(o, args.domain_name))
        self.regional_record = validation_record(
            labels.name("certificate", "dns-record"),
            options.apply(lambda o: validation_option(o, own_name)),
            zone_id=args.zone_id,
            opts=pulumi.ResourceOptions(parent=self, provider=args.dns_provider),
        )
        self.certificate_arn = self.certificate.arn
        self.register_outputs(
            {
                "certificateArn": self.certificate_arn,
                "regionalRecordFqdn": self.regional_record.fqdn,
            }
        )


# --- per region: custom domains, mappings and the health check ---------------------------------


@dataclass(frozen=True)
class RegionalEndpointArgs:
    target: RegionalTarget
    zone_id: str  # the checked zone (checked_zone)
    domain_name: str
    certificate_arn: pulumi.Input[str]
    # Both validation records (the shared name's and the region's own): validation waits on them.
    validation_record_fqdns: Sequence[pulumi.Input[str]]
    dns_provider: aws.Provider
    health_check: HealthCheckSettings = HEALTH_CHECK


class RegionalEndpoint(pulumi.ComponentResource):
    """The region's API under the shared name and its own name, and the check routing uses."""

    validation: aws.acm.CertificateValidation
    domain: aws.apigateway.DomainName
    regional_domain: aws.apigateway.DomainName
    mapping: aws.apigateway.BasePathMapping
    regional_mapping: aws.apigateway.BasePathMapping
    regional_record: aws.route53.Record
    health_check: aws.route53.HealthCheck
    health_check_id: pulumi.Output[str]
    url: str
    outputs: dict[str, Any]

    def __init__(
        self, name: str, args: RegionalEndpointArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("tap:entrypoint:RegionalEndpoint", name, None, opts)
        target, labels = args.target, args.target.labels
        regional = pulumi.ResourceOptions(parent=self, provider=target.provider)
        route53 = pulumi.ResourceOptions(parent=self, provider=args.dns_provider)
        own_name = regional_domain_name(args.domain_name, target.region)

        # Issued only once both CNAMEs resolve: the custom domains take the ARN from here.
        self.validation = aws.acm.CertificateValidation(
            labels.name("certificate", "validation"),
            certificate_arn=args.certificate_arn,
            validation_record_fqdns=list(args.validation_record_fqdns),
            opts=regional,
        )
        self.domain = self._custom_domain(labels, "domain", args.domain_name, regional)
        self.regional_domain = self._custom_domain(labels, "regional-domain", own_name, regional)
        # No base path: the stage serves the name's root (https://<name>/health, /records).
        self.mapping = aws.apigateway.BasePathMapping(
            labels.name("domain", "mapping"),
            domain_name=self.domain.domain_name,
            rest_api=target.rest_api_id,
            stage_name=target.stage_name,
            opts=regional,
        )
        self.regional_mapping = aws.apigateway.BasePathMapping(
            labels.name("regional-domain", "mapping"),
            domain_name=self.regional_domain.domain_name,
            rest_api=target.rest_api_id,
            stage_name=target.stage_name,
            opts=regional,
        )
        # The region's own name always answers from this region, healthy or not: for operators
        # and for checks after a failover.
        self.regional_record = aws.route53.Record(
            labels.name("regional-domain", "record"),
            zone_id=args.zone_id,
            name=own_name,
            type=RECORD_TYPE,
            aliases=[
                {
                    "name": self.regional_domain.regional_domain_name,
                    "zone_id": self.regional_domain.regional_zone_id,
                    "evaluate_target_health": False,
                }
            ],
            opts=route53,
        )
        self.health_check = self._health_check(args, route53)
        self.health_check_id = self.health_check.id
        self.url = url(own_name)
        self.outputs = {
            "url": self.url,
            "invokeUrl": target.invoke_url,
            "certificateArn": self.validation.certificate_arn,
            "regionalDomainName": self.domain.regional_domain_name,
            "regionalZoneId": self.domain.regional_zone_id,
            "healthCheckId": self.health_check_id,
        }
        self.register_outputs(self.outputs)

    def _custom_domain(
        self, labels: Labels, role: str, domain_name: str, opts: pulumi.ResourceOptions
    ) -> aws.apigateway.DomainName:
        logical_name = labels.name(role)
        return aws.apigateway.DomainName(
            logical_name,
            domain_name=domain_name,
            regional_certificate_arn=self.validation.certificate_arn,
            # pulumi-aws v7 takes the one endpoint type as a string (the API's list holds one).
            endpoint_configuration={"types": CUSTOM_DOMAIN_ENDPOINT_TYPE},
            security_policy=TLS_SECURITY_POLICY,
            tags=labels.tags(logical_name),
            opts=opts,
        )

    def _health_check(
        self, args: RegionalEndpointArgs, opts: pulumi.ResourceOptions
    ) -> aws.route53.HealthCheck:
        target, settings = args.target, args.health_check
        check_name = target.labels.name("health-check")
        host, path = health_check_target(args.domain_name, target.region)
        return aws.route53.HealthCheck(
            check_name,
            type=settings.protocol,
            fqdn=host,
            port=settings.port,
            resource_path=path,
            request_interval=settings.request_interval,
            failure_threshold=settings.failure_threshold,
            enable_sni=settings.enable_sni,
            measure_latency=False,
            tags=target.labels.tags(check_name),
            # Probing starts at creation: before the name and its mapping exist, every probe
            # fails and the alarm would page for a region that is only being built.
            opts=pulumi.ResourceOptions.merge(
                opts,
                pulumi.ResourceOptions(depends_on=[self.regional_record, self.regional_mapping]),
            ),
        )


# --- alarms --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HealthCheckAlarmsArgs:
    labels: Labels  # us-east-1's
    # Health check id per subject: a region, or SECONDARIES (failover's calculated check).
    health_check_ids: Mapping[str, pulumi.Input[str]]
    topic: ExistingAlarmTopic | DedicatedAlarmTopic


def health_alarm_description(subject: str) -> str:
    if subject == SECONDARIES:
        return (
            "Route 53 finds none of the failover secondaries healthy: if the primary fails, the "
            "entry point has nowhere to send clients"
        )
    return (
        f"Route 53 finds {subject} unhealthy (its /health fails from the health checkers): the "
        "entry point sends its clients to the other regions"
    )


class HealthCheckAlarms(pulumi.ComponentResource):
    """One alarm per health check, in us-east-1, notifying a us-east-1 topic on ALARM and OK."""

    key: RegionalKey | None
    topic: aws.sns.Topic | None
    topic_policy: aws.sns.TopicPolicy | None
    email_subscription: aws.sns.TopicSubscription | None
    topic_arn: pulumi.Output[str]
    alarms: dict[str, aws.cloudwatch.MetricAlarm]

    def __init__(
        self, name: str, args: HealthCheckAlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if args.labels.region != HEALTH_METRICS_REGION:
            raise ValueError(
                f"health-check alarms must live in {HEALTH_METRICS_REGION}, not "
                f"{args.labels.region}: Route 53 publishes HealthCheckStatus only there"
            )
        super().__init__("tap:entrypoint:HealthCheckAlarms", name, None, opts)
        self._labels = args.labels
        self.key = self.topic = self.topic_policy = self.email_subscription = None
        # CloudWatch's first publish must find the topic policy that allows it.
        depends_on: list[pulumi.Resource] = []
        if isinstance(args.topic, DedicatedAlarmTopic):
            self.topic, self.topic_policy = self._dedicated_topic(args.topic)
            self.topic_arn = self.topic.arn
            depends_on = [self.topic_policy]
        else:
            self.topic_arn = pulumi.Output.from_input(args.topic.topic_arn)
            depends_on = list(args.topic.ready)
        self.alarms = {
            subject: self._alarm(subject, check_id, depends_on)
            for subject, check_id in args.health_check_ids.items()
        }
        self.register_outputs(
            {
                "topicArn": self.topic_arn,
                "alarmNames": {subject: alarm.name for subject, alarm in self.alarms.items()},
            }
        )

    def _dedicated_topic(
        self, topic: DedicatedAlarmTopic
    ) -> tuple[aws.sns.Topic, aws.sns.TopicPolicy]:
        labels = self._labels
        child = pulumi.ResourceOptions(parent=self)
        # Alarms publish only to encrypted topics whose key lets CloudWatch use it (the regional
        # key policy does); AWS's managed SNS key does not.
        self.key = RegionalKey(
            labels.name("health-alarms", "key"),
            RegionalKeyArgs(
                labels=labels,
                region=HEALTH_METRICS_REGION,
                account_id=topic.account_id,
                partition=topic.partition,
                deletion_window_days=topic.kms_deletion_window_days,
                protect=topic.protect,
            ),
            opts=child,
        )
        topic_name = labels.name("health-alarms")
        sns_topic = aws.sns.Topic(
            topic_name,
            name=topic_name,
            display_name=f"tap {labels.namer.suffix} entry point health alarms",
            kms_master_key_id=self.key.key_arn,
            tags=labels.tags(topic_name),
            opts=child,
        )
        policy = aws.sns.TopicPolicy(
            labels.name("health-alarms", "policy"),
            arn=sns_topic.arn,
            policy=pulumi.Output.all(sns_topic.arn, topic.account_id, topic.partition).apply(
                lambda v: alarm_topic_policy(
                    topic_arn=v[0], account_id=v[1], partition=v[2], region=HEALTH_METRICS_REGION
                )
            ),
            opts=child,
        )
        if topic.alarm_email is not None:
            self.email_subscription = aws.sns.TopicSubscription(
                labels.name("health-alarms", "email"),
                topic=sns_topic.arn,
                protocol="email",
                endpoint=topic.alarm_email,
                opts=child,
            )
        return sns_topic, policy

    def _alarm(
        self, subject: str, check_id: pulumi.Input[str], depends_on: list[pulumi.Resource]
    ) -> aws.cloudwatch.MetricAlarm:
        labels = self._labels
        suffix = subject if subject == SECONDARIES else region_code(subject)
        alarm_name = labels.name("alarm", "health", suffix)
        return aws.cloudwatch.MetricAlarm(
            alarm_name,
            name=alarm_name,
            alarm_description=health_alarm_description(subject),
            namespace=HEALTH_METRICS_NAMESPACE,
            metric_name=HEALTH_STATUS_METRIC,
            dimensions={"HealthCheckId": check_id},
            statistic="Minimum",
            period=HEALTH_ALARM_PERIOD_SECONDS,
            # The health check already waits for 3 consecutive failures: one unhealthy minute is
            # a region out of the rotation, worth a page.
            evaluation_periods=1,
            datapoints_to_alarm=1,
            comparison_operator="LessThanThreshold",
            threshold=1,
            # Route 53 publishes the status every minute while the check exists and is enabled,
            # healthy or not: silence means the check is gone or disabled, and with it the
            # protection of the records that carry it.
            treat_missing_data="breaching",
            actions_enabled=True,
            alarm_actions=[self.topic_arn],
            ok_actions=[self.topic_arn],
            tags=labels.tags(alarm_name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )


# --- the whole entry point -----------------------------------------------------------------------


class GlobalEntryPoint(pulumi.ComponentResource):
    zone_id: str
    certificates: dict[str, RegionalCertificate]
    shared_validation_record: aws.route53.Record
    endpoints: dict[str, RegionalEndpoint]
    secondaries_check: aws.route53.HealthCheck | None
    records: dict[str, aws.route53.Record]
    alarms: HealthCheckAlarms
    url: str
    outputs: dict[str, Any]

    def __init__(
        self, name: str, args: EntryPointArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        validate_entry_point_args(args)
        # Before anything is registered: a wrong zone stops `pulumi preview` with one message.
        self.zone_id = checked_zone(args)
        super().__init__("tap:entrypoint:GlobalEntryPoint", name, None, opts)
        self._args = args
        labels = args.labels
        route53 = pulumi.ResourceOptions(parent=self, provider=args.dns_provider)
        targets = ordered_targets(args)

        self.certificates = {
            target.region: RegionalCertificate(
                target.labels.name("entrypoint-certificate"),
                RegionalCertificateArgs(
                    target=target,
                    zone_id=self.zone_id,
                    domain_name=args.domain_name,
                    dns_provider=args.dns_provider,
                ),
                opts=pulumi.ResourceOptions(parent=self, providers=[target.provider]),
            )
            for target in targets
        }
        # One record for the shared name, whichever region's certificate spelled it out first.
        self.shared_validation_record = validation_record(
            labels.name("certificate", "dns-record"),
            self.certificates[targets[0].region].shared_option,
            zone_id=self.zone_id,
            opts=route53,
        )
        self.endpoints = {
            target.region: RegionalEndpoint(
                target.labels.name("entrypoint"),
                RegionalEndpointArgs(
                    target=target,
                    zone_id=self.zone_id,
                    domain_name=args.domain_name,
                    certificate_arn=self.certificates[target.region].certificate_arn,
                    validation_record_fqdns=[
                        self.shared_validation_record.fqdn,
                        self.certificates[target.region].regional_record.fqdn,
                    ],
                    dns_provider=args.dns_provider,
                    health_check=args.health_check,
                ),
                opts=pulumi.ResourceOptions(parent=self, providers=[target.provider]),
            )
            for target in targets
        }
        check_ids: dict[str, pulumi.Input[str]] = {
            region: endpoint.health_check_id for region, endpoint in self.endpoints.items()
        }
        self.secondaries_check = None
        if args.routing == "failover":
            self.secondaries_check = self._secondaries_check(route53)
            check_ids[SECONDARIES] = self.secondaries_check.id
        self.records = {
            spec.key: self._record(spec, check_ids, route53)
            for spec in routed_records(
                routing=args.routing,
                domain_name=args.domain_name,
                regions=[target.region for target in targets],
                primary_region=args.primary_region,
            )
        }
        self.alarms = HealthCheckAlarms(
            args.alarm_labels.name("entrypoint-alarms"),
            HealthCheckAlarmsArgs(
                labels=args.alarm_labels, health_check_ids=check_ids, topic=args.alarm_topic
            ),
            opts=pulumi.ResourceOptions(parent=self, providers=[args.alarm_provider]),
        )
        self.url = url(args.domain_name)
        self.outputs = {
            "url": self.url,
            "domainName": args.domain_name,
            "zoneId": self.zone_id,
            "routing": args.routing,
            "primaryRegion": args.primary_region,
            "alarmTopicArn": self.alarms.topic_arn,
            "healthCheckIds": check_ids,
            "alarmNames": {subject: alarm.name for subject, alarm in self.alarms.alarms.items()},
            "regions": {region: endpoint.outputs for region, endpoint in self.endpoints.items()},
        }
        self.register_outputs(self.outputs)

    def _secondaries_check(self, opts: pulumi.ResourceOptions) -> aws.route53.HealthCheck:
        """Healthy while at least one region other than the primary is: the SECONDARY's check."""
        args = self._args
        check_name = args.labels.name("health-check", SECONDARIES)
        return aws.route53.HealthCheck(
            check_name,
            type="CALCULATED",
            child_healthchecks=[
                endpoint.health_check_id
                for region, endpoint in self.endpoints.items()
                if region != args.primary_region
            ],
            child_health_threshold=1,
            tags=args.labels.tags(check_name),
            opts=opts,
        )

    def _record(
        self,
        spec: RoutedRecord,
        check_ids: Mapping[str, pulumi.Input[str]],
        opts: pulumi.ResourceOptions,
    ) -> aws.route53.Record:
        args = self._args
        if spec.target_region is not None:
            domain = self.endpoints[spec.target_region].domain
            alias_name: pulumi.Input[str] = domain.regional_domain_name
            alias_zone: pulumi.Input[str] = domain.regional_zone_id
        elif spec.target_name is not None:
            alias_name, alias_zone = spec.target_name, self.zone_id
        else:
            raise ValueError(f"record {spec.key} names neither a region nor a record to alias")
        return aws.route53.Record(
            args.labels.name("record", spec.key),
            zone_id=self.zone_id,
            name=spec.name,
            type=RECORD_TYPE,
            set_identifier=spec.set_identifier,
            health_check_id=check_ids[spec.health_check],
            latency_routing_policies=(
                [{"region": spec.latency_region}] if spec.latency_region else None
            ),
            failover_routing_policies=[{"type": spec.failover}] if spec.failover else None,
            # Required true for failover aliases; elsewhere it adds the target's own health
            # (a record set inside the zone) to the record's check.
            aliases=[{"name": alias_name, "zone_id": alias_zone, "evaluate_target_health": True}],
            opts=opts,
        )
