"""ApiGatewayCloudWatchRole and RegionalApi: logging role, routes, auth, deployment, stage."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema
import pulumi
import pulumi_aws as aws
import pytest

from tap.components.api import (
    ACCESS_LOG_FIELDS,
    RECORD_MODEL,
    ROUTES,
    ApiGatewayCloudWatchRole,
    ApiGatewayCloudWatchRoleArgs,
    RegionalApi,
    RegionalApiArgs,
    Route,
    api_definition,
    gateway_response_headers,
    invalid_body_template,
    private_api_policy,
    record_schema,
    redeployment_hash,
    resource_paths,
)
from tap.plan import MOCK_ACCOUNT_ID, PlanMocks
from tests.conftest import is_taggable, labels_for, plan_program

ACCOUNT = "111122223333"
REGION = "us-east-1"
VPCE = "vpce-0123456789abcdef0"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
FUNCTION_NAME = "tap-test-use1-api-fn"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION_NAME}"
INVOKE_ARN = (
    f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{FUNCTION_ARN}/invocations"
)
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/tap-test-gbl-apigateway-cloudwatch-role"
API_NAME = "tap-test-use1-api"

ACCOUNT_SETTINGS = "aws:apigateway/account:Account"
REST_API = "aws:apigateway/restApi:RestApi"
RESOURCE = "aws:apigateway/resource:Resource"
METHOD = "aws:apigateway/method:Method"
INTEGRATION = "aws:apigateway/integration:Integration"
DEPLOYMENT = "aws:apigateway/deployment:Deployment"
STAGE = "aws:apigateway/stage:Stage"
METHOD_SETTINGS = "aws:apigateway/methodSettings:MethodSettings"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
PERMISSION = "aws:lambda/permission:Permission"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
MODEL = "aws:apigateway/model:Model"
VALIDATOR = "aws:apigateway/requestValidator:RequestValidator"
GATEWAY_RESPONSE = "aws:apigateway/response:Response"

Resources = tuple[dict[str, Any], ...]


def provider() -> aws.Provider:
    return aws.Provider("tap-test-use1-aws", region=REGION)


def api_args(**overrides: Any) -> RegionalApiArgs:
    values: dict[str, Any] = {
        "labels": labels_for(REGION),
        "region": REGION,
        "function_name": FUNCTION_NAME,
        "function_invoke_arn": INVOKE_ARN,
        "endpoint_type": "PRIVATE",
        "vpc_endpoint_id": VPCE,
        "kms_key_arn": KEY,
        "log_retention_days": 30,
        "execution_log_level": "INFO",
        "throttling_burst_limit": 20,
        "throttling_rate_limit": 10.5,
        "cloudwatch_role_arn": ROLE_ARN,
    }
    values.update(overrides)
    return RegionalApiArgs(**values)


@cache
def build(**overrides: Any) -> Resources:
    """The role (global) and one region's API behind it, as a stack would wire them."""

    def program() -> None:
        aws_provider = provider()
        role = ApiGatewayCloudWatchRole(
            "tap-test-gbl-apigateway-cloudwatch",
            ApiGatewayCloudWatchRoleArgs(
                labels=labels_for(None), account_id=ACCOUNT, partition="aws"
            ),
            opts=pulumi.ResourceOptions(provider=aws_provider),
        )
        RegionalApi(
            API_NAME,
            api_args(cloudwatch_role_arn=role.role_arn, **overrides),
            opts=pulumi.ResourceOptions(providers=[aws_provider]),
        )

    return tuple(plan_program(program)["resources"])


def of_type(resources: Resources, type_token: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["type"] == type_token]


def one(resources: Resources, type_token: str) -> dict[str, Any]:
    (found,) = of_type(resources, type_token)
    return found


def named(resources: Resources, name: str) -> dict[str, Any]:
    (found,) = [r for r in resources if r["name"] == name]
    return found


def rest_api_id(resources: Resources) -> str:
    """The REST API's id, as its children received it (the manifest holds inputs only)."""
    ids = {r["inputs"]["restApi"] for r in resources if "restApi" in r["inputs"]}
    (api_id,) = ids
    return str(api_id)


def resource_path(resources: Resources, resource: dict[str, Any]) -> str:
    """A Resource's full path, from its path part and its parent Resource (by dependency)."""
    by_urn = {r["urn"]: r for r in of_type(resources, RESOURCE)}
    parents = [by_urn[u] for u in resource["dependencies"] if u in by_urn]
    prefix = resource_path(resources, parents[0]) if parents else ""
    return f"{prefix}/{resource['inputs']['pathPart']}"


def route_of(resources: Resources, method: dict[str, Any]) -> tuple[str, str]:
    """(HTTP method, resource path) of a Method, or of an Integration through its Method."""
    by_urn = {r["urn"]: r for r in resources}
    (resource,) = [by_urn[u] for u in method["dependencies"] if by_urn[u]["type"] == RESOURCE]
    return method["inputs"]["httpMethod"], resource_path(resources, resource)


EXPECTED_AUTHORIZATION = {
    ("GET", "/health"): "NONE",
    ("POST", "/records"): "AWS_IAM",
    ("GET", "/records/{id}"): "AWS_IAM",
    ("ANY", "/records"): "AWS_IAM",
    ("ANY", "/records/{id}"): "AWS_IAM",
    ("ANY", "/{proxy+}"): "AWS_IAM",
}


# --- the account's CloudWatch role -------------------------------------------------------------


def test_cloudwatch_role_trusts_only_api_gateway() -> None:
    role = one(build(), ROLE)
    assert role["name"] == role["inputs"]["name"] == "tap-test-gbl-apigateway-cloudwatch-role"
    assert json.loads(role["inputs"]["assumeRolePolicy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowServiceToAssume",
                "Effect": "Allow",
                "Principal": {"Service": "apigateway.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    assert role["inputs"]["tags"]["Region"] == "global"


def test_cloudwatch_role_gets_the_managed_push_policy_in_its_partition() -> None:
    def program() -> None:
        ApiGatewayCloudWatchRole(
            "tap-test-gbl-apigateway-cloudwatch",
            ApiGatewayCloudWatchRoleArgs(
                labels=labels_for(None), account_id=ACCOUNT, partition="aws-us-gov"
            ),
            opts=pulumi.ResourceOptions(provider=provider()),
        )

    resources = tuple(plan_program(program)["resources"])
    attachment = one(resources, ATTACHMENT)
    assert attachment["inputs"] == {
        "role": "tap-test-gbl-apigateway-cloudwatch-role",
        "policyArn": (
            "arn:aws-us-gov:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
        ),
    }
    # IAM is global: through the provider the caller passed (the primary region's).
    assert {one(resources, ROLE)["region"], attachment["region"]} == {REGION}


def test_cloudwatch_role_refuses_regional_labels() -> None:
    errors: list[str] = []

    def program() -> None:
        try:
            ApiGatewayCloudWatchRole(
                "tap-test-use1-apigateway-cloudwatch",
                ApiGatewayCloudWatchRoleArgs(
                    labels=labels_for(REGION), account_id=ACCOUNT, partition="aws"
                ),
            )
        except ValueError as error:
            errors.append(str(error))

    resources = plan_program(program)["resources"]
    assert errors == [
        "the API Gateway CloudWatch role is global: give it global labels, not labels for us-east-1"
    ]
    assert [r["type"] for r in resources] == ["pulumi:pulumi:Stack"]


# --- account settings and ordering -------------------------------------------------------------


def test_account_settings_name_the_role_once_its_policy_is_attached() -> None:
    resources = build()
    account = one(resources, ACCOUNT_SETTINGS)
    assert account["name"] == "tap-test-use1-apigateway-account"
    assert account["region"] == REGION
    assert account["inputs"] == {
        "cloudwatchRoleArn": f"arn:aws:iam::{MOCK_ACCOUNT_ID}:role/"
        "tap-test-gbl-apigateway-cloudwatch-role"
    }
    # API Gateway rejects a role without the logging policy: wait for the attachment.
    assert one(resources, ATTACHMENT)["urn"] in account["dependencies"]


def test_the_owners_settings_and_role_outlive_it() -> None:
    """One setting per account and region, shared by every stack's APIs: destroying (or
    un-owning) the owning stack must leave the settings, the role and its policy in place."""
    resources = build()
    for retained in (one(resources, ACCOUNT_SETTINGS), one(resources, ROLE)):
        assert retained["retainOnDelete"] is True, retained["name"]
    assert one(resources, ATTACHMENT)["retainOnDelete"] is True
    others = [r for r in resources if r["type"] not in (ACCOUNT_SETTINGS, ROLE, ATTACHMENT)]
    assert not [r["name"] for r in others if r["retainOnDelete"]]


def test_a_stack_that_does_not_own_the_settings_leaves_them_alone() -> None:
    def program() -> None:
        RegionalApi(
            API_NAME,
            api_args(cloudwatch_role_arn=None),
            opts=pulumi.ResourceOptions(providers=[provider()]),
        )

    resources = tuple(plan_program(program)["resources"])
    assert of_type(resources, ACCOUNT_SETTINGS) == []
    # Its stage still logs, through the owner's setting of the region.
    stage = one(resources, STAGE)
    assert stage["inputs"]["accessLogSettings"]["destinationArn"]
    assert named(resources, "tap-test-use1-api-execution-logs")["urn"] in stage["dependencies"]


def test_stage_and_method_settings_wait_for_the_account_and_execution_log_group() -> None:
    resources = build()
    account = one(resources, ACCOUNT_SETTINGS)["urn"]
    execution_logs = named(resources, "tap-test-use1-api-execution-logs")["urn"]
    stage = one(resources, STAGE)
    settings = one(resources, METHOD_SETTINGS)
    assert {account, execution_logs} <= set(stage["dependencies"])
    assert {account, execution_logs, stage["urn"]} <= set(settings["dependencies"])


# --- endpoint types ----------------------------------------------------------------------------


def test_a_private_api_is_bound_to_the_endpoint_and_admits_nothing_else() -> None:
    api = one(build(), REST_API)
    assert api["inputs"]["name"] == API_NAME
    assert api["inputs"]["endpointConfiguration"] == {"types": "PRIVATE", "vpcEndpointIds": [VPCE]}
    assert json.loads(api["inputs"]["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowInvokeThroughVpcEndpoint",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*",
                "Condition": {"StringEquals": {"aws:SourceVpce": VPCE}},
            },
            {
                "Sid": "DenyInvokeFromAnywhereElse",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*",
                "Condition": {"StringNotEquals": {"aws:SourceVpce": VPCE}},
            },
        ],
    }


def test_a_regional_api_has_no_endpoints_and_no_resource_policy() -> None:
    # The endpoint id is ignored for REGIONAL, even when the caller passes the region's one.
    api = one(build(endpoint_type="REGIONAL"), REST_API)
    assert api["inputs"]["endpointConfiguration"] == {"types": "REGIONAL"}
    assert api["inputs"].get("policy") is None


def test_private_api_policy_names_the_given_endpoint() -> None:
    statements = json.loads(private_api_policy("vpce-other"))["Statement"]
    assert [s["Condition"] for s in statements] == [
        {"StringEquals": {"aws:SourceVpce": "vpce-other"}},
        {"StringNotEquals": {"aws:SourceVpce": "vpce-other"}},
    ]


# --- routes ------------------------------------------------------------------------------------


def test_resources_form_the_route_tree() -> None:
    resources = build()
    paths = sorted(resource_path(resources, r) for r in of_type(resources, RESOURCE))
    assert paths == ["/health", "/records", "/records/{id}", "/{proxy+}"]
    assert resource_paths(ROUTES) == ["/health", "/records", "/{proxy+}", "/records/{id}"]


def test_only_get_health_is_unauthenticated() -> None:
    resources = build()
    authorization = {
        route_of(resources, m): m["inputs"]["authorization"] for m in of_type(resources, METHOD)
    }
    assert authorization == EXPECTED_AUTHORIZATION


def test_path_parameters_are_declared() -> None:
    resources = build()
    parameters = {
        route_of(resources, m): m["inputs"].get("requestParameters")
        for m in of_type(resources, METHOD)
    }
    assert parameters[("GET", "/records/{id}")] == {"method.request.path.id": True}
    assert parameters[("ANY", "/{proxy+}")] == {"method.request.path.proxy": True}
    assert parameters[("ANY", "/records/{id}")] == {"method.request.path.id": True}
    assert parameters[("GET", "/health")] is None
    assert parameters[("POST", "/records")] is None


def test_every_method_is_a_lambda_proxy_to_the_function() -> None:
    resources = build()
    by_urn = {r["urn"]: r for r in resources}
    routes = []
    for integration in of_type(resources, INTEGRATION):
        inputs = integration["inputs"]
        assert inputs["type"] == "AWS_PROXY"
        assert inputs["integrationHttpMethod"] == "POST"
        assert inputs["uri"] == INVOKE_ARN
        (method,) = [by_urn[u] for u in integration["dependencies"] if by_urn[u]["type"] == METHOD]
        assert inputs["httpMethod"] == method["inputs"]["httpMethod"]
        assert inputs["resourceId"] == method["inputs"]["resourceId"]
        routes.append(route_of(resources, method))
    assert sorted(routes) == sorted(EXPECTED_AUTHORIZATION)


# --- deployment --------------------------------------------------------------------------------


def test_the_deployment_waits_for_every_method_and_integration() -> None:
    resources = build()
    deployment = one(resources, DEPLOYMENT)
    parts = [*of_type(resources, METHOD), *of_type(resources, INTEGRATION)]
    assert len(parts) == 2 * len(ROUTES)
    assert {r["urn"] for r in parts} <= set(deployment["dependencies"])
    assert deployment["inputs"]["restApi"] == rest_api_id(resources)


def test_the_deployment_trigger_hashes_this_apis_definition() -> None:
    private = one(build(), DEPLOYMENT)["inputs"]["triggers"]
    regional = one(build(endpoint_type="REGIONAL"), DEPLOYMENT)["inputs"]["triggers"]
    assert private == {
        "redeployment": redeployment_hash(
            api_definition(
                endpoint_type="PRIVATE",
                vpc_endpoint_ids=[VPCE],
                policy=private_api_policy(VPCE),
                integration_uri=INVOKE_ARN,
            )
        )
    }
    assert regional == {
        "redeployment": redeployment_hash(
            api_definition(
                endpoint_type="REGIONAL",
                vpc_endpoint_ids=[],
                policy=None,
                integration_uri=INVOKE_ARN,
            )
        )
    }
    assert private != regional


def definition(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "endpoint_type": "PRIVATE",
        "vpc_endpoint_ids": [VPCE],
        "policy": private_api_policy(VPCE),
        "integration_uri": INVOKE_ARN,
    }
    values.update(overrides)
    return api_definition(**values)


def test_redeployment_hash_is_stable_for_the_same_definition() -> None:
    baseline = redeployment_hash(definition())
    assert len(baseline) == 64
    assert int(baseline, 16) >= 0  # hex
    assert redeployment_hash(definition()) == baseline
    # Declaration order is not part of the API.
    assert redeployment_hash(definition(routes=tuple(reversed(ROUTES)))) == baseline
    assert redeployment_hash(definition(vpc_endpoint_ids=[VPCE])) == baseline


@pytest.mark.parametrize(
    "overrides",
    [
        {"endpoint_type": "REGIONAL", "vpc_endpoint_ids": [], "policy": None},
        {"vpc_endpoint_ids": ["vpce-other"], "policy": private_api_policy("vpce-other")},
        {"policy": private_api_policy("vpce-other")},
        {"integration_uri": INVOKE_ARN.replace("api-fn", "api-fn-2")},
        {"routes": ROUTES[:-1]},
        {"routes": (*ROUTES, Route("DELETE", "/records/{id}", "AWS_IAM"))},
        {"routes": (Route("GET", "/health", "AWS_IAM"), *ROUTES[1:])},
        {"routes": (*ROUTES[:2], Route("GET", "/records/{id}", "AWS_IAM"), ROUTES[3])},
    ],
    ids=[
        "regional",
        "other-endpoint",
        "other-policy",
        "other-function",
        "route-removed",
        "route-added",
        "authorization-changed",
        "request-parameters-dropped",
    ],
)
def test_redeployment_hash_changes_with_the_definition(overrides: dict[str, Any]) -> None:
    assert redeployment_hash(definition(**overrides)) != redeployment_hash(definition())


def test_a_new_deployment_is_created_before_the_old_one_is_deleted() -> None:
    """The stage still points at the old deployment: deleting it first would fail."""
    delete_first: dict[str, bool | None] = {}

    def capture(args: pulumi.ResourceTransformationArgs) -> None:
        delete_first[args.type_] = args.opts.delete_before_replace

    def program() -> None:
        RegionalApi(API_NAME, api_args(), opts=pulumi.ResourceOptions(transformations=[capture]))

    plan_program(program)
    assert delete_first[DEPLOYMENT] is False


# --- stage, logs and settings ------------------------------------------------------------------


def test_the_stage_serves_the_deployment_traced() -> None:
    resources = build()
    stage = one(resources, STAGE)
    deployment = one(resources, DEPLOYMENT)
    assert stage["inputs"]["stageName"] == "v1"
    assert stage["inputs"]["xrayTracingEnabled"] is True
    assert stage["inputs"]["restApi"] == rest_api_id(resources)
    assert deployment["urn"] in stage["dependencies"]
    assert stage["inputs"]["deployment"].startswith("id-")


def test_access_logs_go_as_json_to_the_access_log_group() -> None:
    resources = build()
    settings = one(resources, STAGE)["inputs"]["accessLogSettings"]
    group = named(resources, "tap-test-use1-api-access-logs")
    assert group["inputs"]["name"] == f"/aws/apigateway/{API_NAME}/access"
    # The group's ARN as pulumi-aws reports it: without the `:*` API Gateway refuses.
    assert settings["destinationArn"] == (
        f"arn:aws:logs:{REGION}:{MOCK_ACCOUNT_ID}:log-group:/aws/apigateway/{API_NAME}/access"
    )
    assert group["urn"] in one(resources, STAGE)["dependencies"]
    fields = json.loads(settings["format"])
    assert "\n" not in settings["format"]
    assert fields["requestId"] == "$context.requestId"
    assert fields == ACCESS_LOG_FIELDS
    assert set(fields) == {
        "requestId",
        "extendedRequestId",
        "ip",
        "caller",
        "user",
        "requestTime",
        "httpMethod",
        "resourcePath",
        "status",
        "protocol",
        "responseLength",
        "integrationError",
        "integrationLatency",
        "responseLatency",
    }


def test_both_log_groups_are_encrypted_and_expire() -> None:
    resources = build()
    groups = {g["name"]: g["inputs"] for g in of_type(resources, LOG_GROUP)}
    assert set(groups) == {"tap-test-use1-api-access-logs", "tap-test-use1-api-execution-logs"}
    for inputs in groups.values():
        assert inputs["retentionInDays"] == 30
        assert inputs["kmsKeyId"] == KEY
    # The group API Gateway writes execution logs to, created first so we own it.
    assert groups["tap-test-use1-api-execution-logs"]["name"] == (
        f"API-Gateway-Execution-Logs_{rest_api_id(resources)}/v1"
    )


def test_a_custom_stage_name_reaches_the_stage_settings_and_execution_logs() -> None:
    resources = build(stage_name="live", log_retention_days=90)
    assert one(resources, STAGE)["inputs"]["stageName"] == "live"
    assert one(resources, METHOD_SETTINGS)["inputs"]["stageName"] == "live"
    execution = named(resources, "tap-test-use1-api-execution-logs")["inputs"]
    assert execution["name"].endswith("/live")
    assert execution["retentionInDays"] == 90


@pytest.mark.parametrize(("level", "burst", "rate"), [("INFO", 20, 10.5), ("ERROR", 500, 250)])
def test_method_settings_log_meter_and_throttle_every_method(
    level: str, burst: int, rate: float
) -> None:
    resources = build(
        execution_log_level=level, throttling_burst_limit=burst, throttling_rate_limit=rate
    )
    settings = one(resources, METHOD_SETTINGS)["inputs"]
    assert settings["methodPath"] == "*/*"
    assert settings["restApi"] == rest_api_id(resources)
    assert settings["settings"] == {
        "loggingLevel": level,
        "metricsEnabled": True,
        "dataTraceEnabled": False,
        "throttlingBurstLimit": burst,
        "throttlingRateLimit": rate,
    }


def test_the_function_may_be_invoked_by_this_api_only() -> None:
    resources = build()
    permission = one(resources, PERMISSION)
    assert permission["inputs"] == {
        "action": "lambda:InvokeFunction",
        "function": FUNCTION_NAME,
        "principal": "apigateway.amazonaws.com",
        "sourceArn": (
            f"arn:aws:execute-api:{REGION}:{MOCK_ACCOUNT_ID}:{rest_api_id(resources)}/*/*"
        ),
    }
    assert one(resources, REST_API)["urn"] in permission["dependencies"]


def test_everything_is_named_tagged_and_in_the_region() -> None:
    # The component and its children (the role is global, tested above).
    resources = [r for r in build() if "tap:api:RegionalApi" in r["urn"]]
    # The component, 4 resources, 6 methods with 6 integrations, 8 more (account, API,
    # deployment, stage, 2 log groups, method settings, permission) and the body's validation
    # (model, validator, gateway response).
    assert len(resources) == 28
    assert {r["type"] for r in resources} >= {
        REST_API,
        STAGE,
        LOG_GROUP,
        PERMISSION,
        "tap:api:RegionalApi",
    }
    taggable = 0
    for resource in resources:
        assert resource["region"] == REGION, resource["urn"]
        assert resource["name"].startswith("tap-test-use1-"), resource["name"]
        if is_taggable(resource["type"]):
            taggable += 1
            tags = resource["inputs"]["tags"]
            assert tags["Name"] == resource["name"]
            assert tags["Project"] == "tap"
            assert tags["Region"] == REGION
    assert taggable == 4  # the REST API, the stage and both log groups


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"vpc_endpoint_id": None},
            "endpoint_type PRIVATE needs vpc_endpoint_id (the region's execute-api interface "
            "endpoint): a private API is reachable only through one",
        ),
        ({"region": "us-west-2"}, "api labels are for us-east-1, not us-west-2"),
    ],
)
def test_bad_args_fail_with_a_clear_message_and_register_nothing(
    overrides: dict[str, Any], message: str
) -> None:
    errors: list[str] = []

    def program() -> None:
        try:
            RegionalApi(API_NAME, api_args(**overrides))
        except ValueError as error:
            errors.append(str(error))

    resources = plan_program(program)["resources"]
    assert errors == [message]
    assert [r["type"] for r in resources] == ["pulumi:pulumi:Stack"]


def test_a_regional_api_needs_no_endpoint() -> None:
    api = one(build(endpoint_type="REGIONAL", vpc_endpoint_id=None), REST_API)
    assert api["inputs"]["endpointConfiguration"] == {"types": "REGIONAL"}


# --- outputs -----------------------------------------------------------------------------------


@pulumi.runtime.test
def test_outputs_expose_the_invoke_url_and_names(pulumi_mocks: PlanMocks) -> pulumi.Output[None]:
    api = RegionalApi(
        API_NAME,
        api_args(endpoint_type="REGIONAL", vpc_endpoint_id=None, stage_name="prod"),
        opts=pulumi.ResourceOptions(providers=[provider()]),
    )
    assert isinstance(api.rest_api, aws.apigateway.RestApi)
    assert isinstance(api.stage, aws.apigateway.Stage)
    assert isinstance(api.access_log_group, aws.cloudwatch.LogGroup)

    def check(values: list[Any]) -> None:
        api_id, invoke_url, execution_arn, api_name, stage_name, group_name = values
        assert invoke_url == f"https://{api_id}.execute-api.{REGION}.amazonaws.com/prod"
        assert execution_arn == f"arn:aws:execute-api:{REGION}:{MOCK_ACCOUNT_ID}:{api_id}"
        assert api_name == API_NAME
        assert stage_name == "prod"
        assert group_name == f"/aws/apigateway/{API_NAME}/access"

    return pulumi.Output.all(
        api.rest_api.id,
        api.invoke_url,
        api.execution_arn,
        api.api_name,
        api.stage_name,
        api.access_log_group.name,
    ).apply(check)


# --- request validation ------------------------------------------------------------------------


def test_post_records_is_validated_against_the_record_model_before_the_function() -> None:
    resources = build()
    model = one(resources, MODEL)
    validator = one(resources, VALIDATOR)
    assert model["inputs"]["name"] == RECORD_MODEL == "Record"
    assert model["inputs"]["contentType"] == "application/json"
    assert json.loads(model["inputs"]["schema"]) == record_schema()
    assert validator["inputs"]["name"] == validator["name"] == "tap-test-use1-api-validator-body"
    assert validator["inputs"]["validateRequestBody"] is True
    assert validator["inputs"]["validateRequestParameters"] is False
    validated = [m for m in of_type(resources, METHOD) if "requestValidatorId" in m["inputs"]]
    assert [m["name"] for m in validated] == ["tap-test-use1-api-method-post-records"]
    (post,) = validated
    assert post["inputs"]["requestModels"] == {"application/json": "Record"}
    assert model["urn"] in post["dependencies"] and validator["urn"] in post["dependencies"]
    for resource in (model, validator):
        assert resource["inputs"]["restApi"] == rest_api_id(resources)


def record_is_valid(body: object) -> bool:
    """The model's schema applied as API Gateway applies it (draft 4)."""
    return jsonschema.Draft4Validator(record_schema()).is_valid(body)


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        ({"type": "note", "payload": {}}, True),
        ({"type": "n" * 128, "payload": {"a": [1, 2]}}, True),
        ({"type": "n" * 129, "payload": {}}, False),
        ({"type": "", "payload": {}}, False),
        ({"type": "   ", "payload": {}}, False),
        ({"type": 7, "payload": {}}, False),
        ({"type": "note"}, False),
        ({"payload": {}}, False),
        ({"type": "note", "payload": []}, False),
        ({"type": "note", "payload": {}, "extra": 1}, False),
        (["type", "payload"], False),
    ],
)
def test_the_model_admits_what_the_handler_stores_and_refuses_its_400s(
    body: object, valid: bool
) -> None:
    from tap.functions.api import handler  # noqa: PLC0415

    assert record_is_valid(body) is valid
    # The handler agrees: what the model refuses, the handler answers 400 too.
    event = {"httpMethod": "POST", "path": "/records", "body": json.dumps(body)}
    request = handler.Request.from_event(event)
    try:
        handler._validate_record(handler._parse_object(handler._read_body(request)))
    except handler.HttpError as error:
        assert not valid and error.status == 400
    else:
        assert valid


def test_a_refused_body_is_answered_in_the_handlers_error_shape() -> None:
    from tap.functions.api.contract import SECURITY_HEADERS  # noqa: PLC0415

    response = one(build(), GATEWAY_RESPONSE)
    inputs = response["inputs"]
    assert (inputs["responseType"], inputs["statusCode"]) == ("BAD_REQUEST_BODY", "400")
    template = inputs["responseTemplates"]["application/json"]
    assert template == invalid_body_template()
    body = json.loads(template.replace("$context.requestId", "req-1"))
    assert body["requestId"] == "req-1"
    assert body["error"]["code"] == "invalid_body"
    assert "128" in body["error"]["message"]
    headers = inputs["responseParameters"]
    assert headers == gateway_response_headers()
    assert headers["gatewayresponse.header.Content-Type"] == "'application/json'"
    assert headers["gatewayresponse.header.X-Content-Type-Options"] == "'nosniff'"
    # Static values are quoted with ': the one header holding quotes stays the handler's.
    assert {f"gatewayresponse.header.{name}" for name in SECURITY_HEADERS} - set(headers) == {
        "gatewayresponse.header.Content-Security-Policy"
    }


def test_a_changed_model_is_a_new_deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    def definition_hash() -> str:
        return redeployment_hash(
            api_definition(
                endpoint_type="REGIONAL", vpc_endpoint_ids=[], policy=None, integration_uri="u"
            )
        )

    before = definition_hash()
    monkeypatch.setattr("tap.components.api.MAX_TYPE_LENGTH", 64)
    assert definition_hash() != before
