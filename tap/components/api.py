"""The API tier's front door: one REST API per region, Lambda proxy routes, logged and throttled.

ApiGatewayCloudWatchRole is the account's role API Gateway assumes to write logs to CloudWatch.
API Gateway keeps one such setting per account and region, shared by every REST API there, so
exactly one stack per account owns it (`tap:manageApiGatewayAccount`, like the password
policy). The owner creates the role once (IAM is global: through the primary region's
provider) and hands its ARN to every region; the other stacks create neither and rely on the
owner's setting. Role, policy attachment and settings are retained on delete: destroying the
owner must not cut the other stacks' logging.

RegionalApi, per region:

- in the owning stack, sets that role on the region's API Gateway account settings
  (`apigateway.Account`): execution and access logging fail until the account has one, so the
  stage waits for it;
- creates a REST API (REGIONAL, or PRIVATE behind the region's execute-api VPC endpoint with the
  standard private-API resource policy), its resources and methods, each a Lambda proxy
  integration: `GET /health` is open, every other method needs SigV4 (AWS_IAM), and a catch-all
  `ANY /{proxy+}` sends unknown routes to the function's JSON 404;
- validates the body of `POST /records` before the function runs: a request validator and a
  JSON-schema model (draft 4, what API Gateway reads) built from the handler's own limits
  (tap.functions.api.contract), and a gateway response that answers a refused body with the
  handler's JSON error shape and headers. The handler still checks everything itself (the size
  limit, finite numbers, text PostgreSQL can store: what a JSON schema cannot say);
- a deployment that is replaced whenever the API's definition changes (a sha256 of a canonical
  description of it, see `redeployment_hash`), and a stage pointing at it with X-Ray tracing
  and JSON access logs to a KMS-encrypted log group;
- stage-wide method settings: execution log level, metrics, throttling, and never full bodies;
- the execution log group API Gateway would otherwise create itself, unencrypted and kept
  forever (`API-Gateway-Execution-Logs_<api id>/<stage>`), with retention and the region's key;
- the Lambda permission for this API (and only this API) to invoke the function.

The settings arrive validated by tap.config; the component checks only its wiring, before
anything is registered.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from tap.components.logs import encrypted_log_group
from tap.components.policies import document, render, service_assume_role
from tap.components.roles import service_role
from tap.functions.api.contract import MAX_TYPE_LENGTH, RECORD_FIELDS, SECURITY_HEADERS
from tap.naming import Labels

API_GATEWAY_SERVICE = "apigateway.amazonaws.com"
CLOUDWATCH_POLICY = "service-role/AmazonAPIGatewayPushToCloudWatchLogs"
# Every method and resource of every stage: `<resource path>/<http method>` with wildcards.
ALL_METHODS = "*/*"
DEFAULT_STAGE_NAME = "v1"

# One JSON object per request (API Gateway needs at least $context.requestId). Values stay
# strings: API Gateway substitutes them as text, and "-" for a missing number would break JSON.
ACCESS_LOG_FIELDS: dict[str, str] = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "ip": "$context.identity.sourceIp",
    "caller": "$context.identity.caller",
    "user": "$context.identity.user",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "integrationError": "$context.integration.error",
    "integrationLatency": "$context.integration.latency",
    "responseLatency": "$context.responseLatency",
}


# --- pure logic --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One method on one resource path, integrated with the function as a Lambda proxy."""

    method: str
    path: str
    authorization: str
    request_parameters: tuple[tuple[str, bool], ...] = ()
    # The JSON body is checked against RECORD_MODEL before the function runs.
    validates_record: bool = False

    @property
    def key(self) -> str:
        """`GET /records/{id}`: how API Gateway names the route in logs and metrics."""
        return f"{self.method} {self.path}"

    @property
    def slug(self) -> str:
        """`get-records-id`: the route in resource names."""
        return "-".join([self.method.lower(), *path_slug(self.path).split("-")])


# What the handler (tap/functions/api) serves. Only the health check is unauthenticated.
ROUTES: tuple[Route, ...] = (
    Route("GET", "/health", "NONE"),
    Route("POST", "/records", "AWS_IAM", validates_record=True),
    Route("GET", "/records/{id}", "AWS_IAM", (("method.request.path.id", True),)),
    # Catch-alls, so a wrong method or an unknown path reaches the handler's JSON 405/404
    # instead of API Gateway's bare 403 "Missing Authentication Token".
    Route("ANY", "/records", "AWS_IAM"),
    Route("ANY", "/records/{id}", "AWS_IAM", (("method.request.path.id", True),)),
    Route("ANY", "/{proxy+}", "AWS_IAM", (("method.request.path.proxy", True),)),
)


# API Gateway model names are alphanumeric (no room for tap-<suffix>-...); a model belongs to
# one REST API, whose own name carries the suffix and the region.
RECORD_MODEL = "Record"
JSON = "application/json"
# API Gateway's error for a body its model refuses (and for one that is not JSON at all).
BAD_REQUEST_BODY = "BAD_REQUEST_BODY"
INVALID_BODY_CODE = "invalid_body"  # the handler's code for a body of the wrong shape


def record_schema() -> dict[str, Any]:
    """`POST /records`'s body as JSON Schema draft 4, from the handler's limits: an object with
    exactly `type` (a string with a non-blank character, at most MAX_TYPE_LENGTH characters) and
    `payload` (an object)."""
    properties: dict[str, Any] = {
        "type": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_TYPE_LENGTH,
            # The handler refuses a type that is only whitespace.
            "pattern": "\\S",
        },
        "payload": {"type": "object"},
    }
    if set(properties) != RECORD_FIELDS:
        raise ValueError(
            f"the record model describes {sorted(properties)}, the handler takes "
            f"{sorted(RECORD_FIELDS)}"
        )
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": RECORD_MODEL,
        "type": "object",
        "required": sorted(RECORD_FIELDS),
        "additionalProperties": False,
        "properties": properties,
    }


def invalid_body_template() -> str:
    """The body API Gateway answers a refused record with: the handler's error shape.

    A fixed message: the validator's own text can hold quotes that would break the JSON.
    """
    return json.dumps(
        {
            "error": {
                "code": INVALID_BODY_CODE,
                "message": (
                    "the body must be a JSON object with exactly a non-empty string `type` (at "
                    f"most {MAX_TYPE_LENGTH} characters) and an object `payload`"
                ),
            },
            "requestId": "$context.requestId",
        },
        separators=(",", ":"),
    )


def gateway_response_headers() -> dict[str, str]:
    """The handler's response headers as gateway response parameters (static values are
    quoted with '). A value with a quote of its own cannot be written that way (the CSP's
    'none'): that header is for documents, and a JSON error is not one."""
    return {
        f"gatewayresponse.header.{name}": f"'{value}'"
        for name, value in SECURITY_HEADERS.items()
        if "'" not in value
    }


def path_slug(path: str) -> str:
    """`/records/{id}` -> `records-id`, `/{proxy+}` -> `proxy`."""
    parts = [part.strip("{}").rstrip("+") for part in path.strip("/").split("/")]
    return "-".join(parts)


def resource_paths(routes: tuple[Route, ...]) -> list[str]:
    """Every resource path the routes need, parents before children (`/` is the root)."""
    paths: set[str] = set()
    for route in routes:
        parts = route.path.strip("/").split("/")
        for depth in range(1, len(parts) + 1):
            paths.add("/" + "/".join(parts[:depth]))
    return sorted(paths, key=lambda p: (p.count("/"), p))


def check_wiring(
    *, labels: Labels, region: str, endpoint_type: str, vpc_endpoint_id: object
) -> None:
    """What the caller must hand over together (the settings themselves come validated from
    tap.config): labels of this region, and for a PRIVATE API its execute-api endpoint."""
    if labels.region != region:
        raise ValueError(f"api labels are for {labels.region}, not {region}")
    if endpoint_type == "PRIVATE" and vpc_endpoint_id is None:
        raise ValueError(
            "endpoint_type PRIVATE needs vpc_endpoint_id (the region's execute-api interface "
            "endpoint): a private API is reachable only through one"
        )


def private_api_policy(vpc_endpoint_id: str) -> str:
    """The standard private API resource policy: invoke only through this VPC endpoint.

    The Allow alone would also admit other endpoints that name this API; the Deny makes any
    request that did not come through `vpc_endpoint_id` fail whatever else allows it
    (API Gateway Developer Guide, "Example: Allow private API traffic based on source VPC or
    VPC endpoint"). `execute-api:/*` is API Gateway's shorthand for every stage, method and
    path of this API.
    """
    return render(
        document(
            {
                "Sid": "AllowInvokeThroughVpcEndpoint",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*",
                "Condition": {"StringEquals": {"aws:SourceVpce": vpc_endpoint_id}},
            },
            {
                "Sid": "DenyInvokeFromAnywhereElse",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*",
                "Condition": {"StringNotEquals": {"aws:SourceVpce": vpc_endpoint_id}},
            },
        )
    )


def api_definition(
    *,
    endpoint_type: str,
    vpc_endpoint_ids: list[str],
    policy: str | None,
    integration_uri: str,
    routes: tuple[Route, ...] = ROUTES,
) -> dict[str, Any]:
    """Everything a deployment snapshots, as plain data in a canonical order."""
    return {
        "endpointConfiguration": {
            "types": [endpoint_type],
            "vpcEndpointIds": sorted(vpc_endpoint_ids),
        },
        "policy": json.loads(policy) if policy else None,
        "routes": [
            {
                "path": route.path,
                "httpMethod": route.method,
                "authorization": route.authorization,
                "requestParameters": dict(sorted(route.request_parameters)),
                "requestModels": {JSON: RECORD_MODEL} if route.validates_record else {},
                "integration": {
                    "type": "AWS_PROXY",
                    "httpMethod": "POST",
                    "uri": integration_uri,
                },
            }
            for route in sorted(routes, key=lambda r: (r.path, r.method))
        ],
        # A changed model or error response is a new deployment too.
        "models": {RECORD_MODEL: record_schema()},
        "gatewayResponses": {
            BAD_REQUEST_BODY: {
                "headers": gateway_response_headers(),
                "template": invalid_body_template(),
            }
        },
    }


def redeployment_hash(definition: dict[str, Any]) -> str:
    """sha256 of the definition's canonical JSON: the same API always gives the same hash."""
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def access_log_format() -> str:
    """The stage's access log line: one JSON object, on one line."""
    return json.dumps(ACCESS_LOG_FIELDS)


def access_log_group_name(api_name: str) -> str:
    return f"/aws/apigateway/{api_name}/access"


def execution_log_group_name(rest_api_id: str, stage_name: str) -> str:
    """The group API Gateway writes execution logs to; it creates it (unencrypted, no
    retention) unless it already exists."""
    return f"API-Gateway-Execution-Logs_{rest_api_id}/{stage_name}"


def cloudwatch_role_trust() -> str:
    """Only API Gateway may assume the logging role.

    No aws:SourceAccount condition: API Gateway's account-level logging role is documented
    without one, and if the service does not send the key, the Account update is refused.
    The role can only push to CloudWatch Logs (the managed policy).
    """
    return service_assume_role(API_GATEWAY_SERVICE)


def cloudwatch_policy_arn(partition: str) -> str:
    return f"arn:{partition}:iam::aws:policy/{CLOUDWATCH_POLICY}"


# --- ApiGatewayCloudWatchRole ------------------------------------------------------------------


@dataclass(frozen=True)
class ApiGatewayCloudWatchRoleArgs:
    # Global labels (no region): the role serves every region of the account.
    labels: Labels
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]


class ApiGatewayCloudWatchRole(pulumi.ComponentResource):
    """The account's API Gateway logging role, created only by the stack that owns the account's
    API Gateway settings. Kept on delete (role and attachment): the settings of every region keep
    naming it, for every stack's APIs, after the owner is gone."""

    role: aws.iam.Role
    policy_attachment: aws.iam.RolePolicyAttachment
    # Resolves only once the managed policy is attached: API Gateway refuses a role without it.
    role_arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: ApiGatewayCloudWatchRoleArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        labels = args.labels
        if labels.region is not None:
            raise ValueError(
                f"the API Gateway CloudWatch role is global: give it global labels, not labels "
                f"for {labels.region}"
            )
        super().__init__("tap:api:ApiGatewayCloudWatchRole", name, None, opts)
        role_name = labels.name("apigateway-cloudwatch-role")
        self.role = service_role(
            self,
            labels,
            role_name,
            description="API Gateway writes execution and access logs to CloudWatch Logs",
            trust_policy=cloudwatch_role_trust(),
            iam_provider=None,  # the caller's (primary region's) provider, inherited
            retain_on_delete=True,
        )
        self.policy_attachment = aws.iam.RolePolicyAttachment(
            labels.name("apigateway-cloudwatch-policy"),
            role=self.role.name,
            policy_arn=pulumi.Output.from_input(args.partition).apply(cloudwatch_policy_arn),
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )
        # Carries the attachment as a dependency to whoever uses the ARN (the Account settings).
        self.role_arn = pulumi.Output.all(self.role.arn, self.policy_attachment.id).apply(
            lambda values: str(values[0])
        )
        self.register_outputs({"roleArn": self.role_arn})


# --- RegionalApi -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionalApiArgs:
    labels: Labels
    region: str
    function_name: pulumi.Input[str]
    function_invoke_arn: pulumi.Input[str]
    endpoint_type: str  # "REGIONAL" | "PRIVATE"
    # The region's execute-api interface endpoint: required for PRIVATE, unused for REGIONAL.
    vpc_endpoint_id: pulumi.Input[str] | None
    # The region's CMK, for both log groups.
    kms_key_arn: pulumi.Input[str]
    log_retention_days: int
    execution_log_level: str  # "ERROR" | "INFO"
    throttling_burst_limit: int
    throttling_rate_limit: float
    # From ApiGatewayCloudWatchRole, in the stack that owns the account's API Gateway settings:
    # set on this region's settings. None elsewhere: the owner's setting serves this API too.
    cloudwatch_role_arn: pulumi.Input[str] | None
    stage_name: str = DEFAULT_STAGE_NAME


class RegionalApi(pulumi.ComponentResource):
    account: aws.apigateway.Account | None
    rest_api: aws.apigateway.RestApi
    record_model: aws.apigateway.Model
    validator: aws.apigateway.RequestValidator
    invalid_body_response: aws.apigateway.Response
    resources: dict[str, aws.apigateway.Resource]
    methods: dict[str, aws.apigateway.Method]
    integrations: dict[str, aws.apigateway.Integration]
    deployment: aws.apigateway.Deployment
    access_log_group: aws.cloudwatch.LogGroup
    execution_log_group: aws.cloudwatch.LogGroup
    stage: aws.apigateway.Stage
    method_settings: aws.apigateway.MethodSettings
    invoke_permission: aws.lambda_.Permission
    api_name: pulumi.Output[str]
    execution_arn: pulumi.Output[str]
    stage_name: pulumi.Output[str]
    invoke_url: pulumi.Output[str]

    def __init__(
        self, name: str, args: RegionalApiArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        check_wiring(
            labels=args.labels,
            region=args.region,
            endpoint_type=args.endpoint_type,
            vpc_endpoint_id=args.vpc_endpoint_id,
        )
        super().__init__("tap:api:RegionalApi", name, None, opts)
        self._args = args
        self._labels = labels = args.labels
        child = pulumi.ResourceOptions(parent=self)

        self.account = None
        if args.cloudwatch_role_arn is not None:
            # One setting per account and region: kept on delete, so destroying (or un-owning)
            # this stack leaves the other stacks' logging working.
            self.account = aws.apigateway.Account(
                labels.name("apigateway-account"),
                cloudwatch_role_arn=args.cloudwatch_role_arn,
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
            )
        # Logging is refused until the region's settings name a role: wait for ours if we own it.
        self._logging_ready: list[pulumi.Resource] = [self.account] if self.account else []

        private = args.endpoint_type == "PRIVATE"
        endpoint_ids: list[pulumi.Input[str]] = (
            [args.vpc_endpoint_id] if private and args.vpc_endpoint_id is not None else []
        )
        policy: pulumi.Output[str] | None = (
            pulumi.Output.from_input(endpoint_ids[0]).apply(private_api_policy) if private else None
        )
        api_name = labels.name("api")
        # pulumi-aws v7 takes the one endpoint type as a string (the API's list holds one).
        endpoint_configuration: aws.apigateway.RestApiEndpointConfigurationArgsDict = {
            "types": args.endpoint_type
        }
        if private:
            endpoint_configuration["vpc_endpoint_ids"] = endpoint_ids
        self.rest_api = aws.apigateway.RestApi(
            api_name,
            name=api_name,
            description=f"tap {labels.namer.suffix} {args.region}: records API",
            endpoint_configuration=endpoint_configuration,
            policy=policy,
            tags=labels.tags(api_name),
            opts=child,
        )
        self.api_name = self.rest_api.name
        self.execution_arn = self.rest_api.execution_arn

        self._validation()
        self.resources = self._resources()
        self.methods, self.integrations = self._routes()
        self.deployment = self._deployment(endpoint_ids, policy)
        self.access_log_group, self.execution_log_group = self._log_groups(api_name)
        self.stage = self._stage()
        self.stage_name = self.stage.stage_name
        self.invoke_url = self.stage.invoke_url
        self.method_settings = aws.apigateway.MethodSettings(
            labels.name("api", "method-settings"),
            rest_api=self.rest_api.id,
            stage_name=self.stage.stage_name,
            method_path=ALL_METHODS,
            settings={
                "logging_level": args.execution_log_level,
                "metrics_enabled": True,
                # Full request/response bodies would put records and credentials in the logs.
                "data_trace_enabled": False,
                "throttling_burst_limit": args.throttling_burst_limit,
                "throttling_rate_limit": args.throttling_rate_limit,
            },
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*self._logging_ready, self.execution_log_group]
            ),
        )
        self.invoke_permission = aws.lambda_.Permission(
            labels.name("api", "invoke-permission"),
            action="lambda:InvokeFunction",
            function=args.function_name,
            principal=API_GATEWAY_SERVICE,
            # Any stage, method and path of this API; no other API may invoke through it.
            source_arn=pulumi.Output.concat(self.rest_api.execution_arn, "/*/*"),
            opts=child,
        )

        self.register_outputs(
            {
                "apiName": self.api_name,
                "restApiId": self.rest_api.id,
                "executionArn": self.execution_arn,
                "stageName": self.stage_name,
                "invokeUrl": self.invoke_url,
                "accessLogGroupName": self.access_log_group.name,
            }
        )

    def _validation(self) -> None:
        """The record model, the validator that applies it, and the answer to a refused body."""
        labels = self._labels
        child = pulumi.ResourceOptions(parent=self)
        self.record_model = aws.apigateway.Model(
            labels.name("api", "model", "record"),
            rest_api=self.rest_api.id,
            name=RECORD_MODEL,
            description="POST /records body: the handler's limits (tap.functions.api.contract)",
            content_type=JSON,
            schema=json.dumps(record_schema(), sort_keys=True),
            opts=child,
        )
        validator_name = labels.name("api", "validator", "body")
        self.validator = aws.apigateway.RequestValidator(
            validator_name,
            rest_api=self.rest_api.id,
            name=validator_name,
            validate_request_body=True,
            validate_request_parameters=False,
            opts=child,
        )
        self.invalid_body_response = aws.apigateway.Response(
            labels.name("api", "response", "bad-request-body"),
            rest_api_id=self.rest_api.id,
            response_type=BAD_REQUEST_BODY,
            status_code="400",
            response_templates={JSON: invalid_body_template()},
            response_parameters=gateway_response_headers(),
            opts=child,
        )

    def _resources(self) -> dict[str, aws.apigateway.Resource]:
        resources: dict[str, aws.apigateway.Resource] = {}
        for path in resource_paths(ROUTES):
            parent_path, _, part = path.rpartition("/")
            parent_id = resources[parent_path].id if parent_path else self.rest_api.root_resource_id
            resources[path] = aws.apigateway.Resource(
                self._labels.name("api", "resource", path_slug(path)),
                rest_api=self.rest_api.id,
                parent_id=parent_id,
                path_part=part,
                opts=pulumi.ResourceOptions(parent=self),
            )
        return resources

    def _routes(
        self,
    ) -> tuple[dict[str, aws.apigateway.Method], dict[str, aws.apigateway.Integration]]:
        methods: dict[str, aws.apigateway.Method] = {}
        integrations: dict[str, aws.apigateway.Integration] = {}
        for route in ROUTES:
            resource = self.resources[route.path]
            method = aws.apigateway.Method(
                self._labels.name("api", "method", route.slug),
                rest_api=self.rest_api.id,
                resource_id=resource.id,
                http_method=route.method,
                authorization=route.authorization,
                request_parameters=dict(route.request_parameters) or None,
                request_validator_id=self.validator.id if route.validates_record else None,
                request_models={JSON: self.record_model.name} if route.validates_record else None,
                opts=pulumi.ResourceOptions(parent=self),
            )
            integrations[route.key] = aws.apigateway.Integration(
                self._labels.name("api", "integration", route.slug),
                rest_api=self.rest_api.id,
                resource_id=resource.id,
                http_method=method.http_method,
                type="AWS_PROXY",
                # Lambda is always invoked with POST, whatever the client's method.
                integration_http_method="POST",
                uri=self._args.function_invoke_arn,
                opts=pulumi.ResourceOptions(parent=self),
            )
            methods[route.key] = method
        return methods, integrations

    def _deployment(
        self, endpoint_ids: list[pulumi.Input[str]], policy: pulumi.Output[str] | None
    ) -> aws.apigateway.Deployment:
        """A snapshot of the API, replaced (create first, then delete) when the API changes.

        Resources, methods and integrations are separate resources, so a change to one does not
        by itself make a new deployment: the `redeployment` trigger (a hash of the definition)
        forces the replacement. The stage then moves to the new deployment before the old one
        is deleted; deleting first would fail while the stage still points at it.
        """
        args = self._args
        policy_text: pulumi.Input[str] = policy if policy is not None else ""
        redeployment = pulumi.Output.all(
            args.function_invoke_arn, policy_text, *endpoint_ids
        ).apply(
            lambda values: redeployment_hash(
                api_definition(
                    endpoint_type=args.endpoint_type,
                    vpc_endpoint_ids=[str(v) for v in values[2:]],
                    policy=str(values[1]) or None,
                    integration_uri=str(values[0]),
                )
            )
        )
        return aws.apigateway.Deployment(
            self._labels.name("api", "deployment"),
            rest_api=self.rest_api.id,
            description=f"{self._labels.name('api')} definition",
            triggers={"redeployment": redeployment},
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[
                    *self.methods.values(),
                    *self.integrations.values(),
                    self.invalid_body_response,
                ],
                delete_before_replace=False,
            ),
        )

    def _log_groups(self, api_name: str) -> tuple[aws.cloudwatch.LogGroup, aws.cloudwatch.LogGroup]:
        args = self._args
        labels = self._labels
        access_name = labels.name("api", "access-logs")
        access = encrypted_log_group(
            self,
            labels,
            access_name,
            group_name=access_log_group_name(api_name),
            retention_days=args.log_retention_days,
            kms_key_arn=args.kms_key_arn,
        )
        execution_name = labels.name("api", "execution-logs")
        stage_name = args.stage_name
        execution = encrypted_log_group(
            self,
            labels,
            execution_name,
            group_name=self.rest_api.id.apply(
                lambda api_id: execution_log_group_name(api_id, stage_name)
            ),
            retention_days=args.log_retention_days,
            kms_key_arn=args.kms_key_arn,
        )
        return access, execution

    def _stage(self) -> aws.apigateway.Stage:
        args = self._args
        stage_name = self._labels.name("api", "stage")
        return aws.apigateway.Stage(
            stage_name,
            rest_api=self.rest_api.id,
            deployment=self.deployment.id,
            stage_name=args.stage_name,
            xray_tracing_enabled=True,
            access_log_settings={
                # LogGroup.arn has no trailing `:*`, which is the form API Gateway accepts.
                "destination_arn": self.access_log_group.arn,
                "format": access_log_format(),
            },
            tags=self._labels.tags(stage_name),
            # Logging is refused until the region's account settings name the CloudWatch role.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*self._logging_ready, self.execution_log_group]
            ),
        )
