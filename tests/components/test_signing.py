"""CodeSigning: the Signer profile, the code signing config, and the signing job on the zip."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from tap.awsdata import resource_schema
from tap.components.function import DEFAULT_SOURCE_DIR, ApiFunction, function_code
from tap.components.signing import (
    PLATFORM_ID,
    CodeSigning,
    CodeSigningArgs,
    SignedCode,
    profile_name,
    validate_signing_settings,
)
from tap.limits import SIGNER_MAX_SIGNATURE_VALIDITY_MONTHS
from tap.plan import MOCK_ACCOUNT_ID, PlanMocks
from tests.components.test_function import make_args as function_args
from tests.conftest import is_taggable, labels_for, plan_program, refused_before_registering

REGION = "us-west-2"
KEY = f"arn:aws:kms:{REGION}:{MOCK_ACCOUNT_ID}:key/abcd"

PROFILE = "aws:signer/signingProfile:SigningProfile"
CONFIG = "aws:lambda/codeSigningConfig:CodeSigningConfig"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
JOB = "aws:signer/signingJob:SigningJob"

Resources = tuple[dict[str, Any], ...]


def signing_args(**overrides: Any) -> CodeSigningArgs:
    values: dict[str, Any] = {
        "labels": labels_for(REGION),
        "region": REGION,
        "account_id": MOCK_ACCOUNT_ID,
        "partition": "aws",
        "kms_key_arn": KEY,
        "code": function_code(DEFAULT_SOURCE_DIR, "python3.12", "arm64"),
        "untrusted_artifact_on_deployment": "Enforce",
    }
    values.update(overrides)
    return CodeSigningArgs(**values)


@cache
def build(action: str = "Enforce") -> Resources:
    def program() -> None:
        CodeSigning(
            "tap-test-usw2-code-signing",
            signing_args(untrusted_artifact_on_deployment=action),
            opts=pulumi.ResourceOptions(
                providers=[aws.Provider("tap-test-usw2-aws", region=REGION)]
            ),
        )

    return tuple(plan_program(program)["resources"])


def one(resources: Resources, type_token: str) -> dict[str, Any]:
    (found,) = [r for r in resources if r["type"] == type_token]
    return found


def test_profile_names_use_underscores_as_signer_requires() -> None:
    assert profile_name(labels_for("eu-central-1", suffix="prod")) == "tap_prod_euc1_lambda"
    schema = resource_schema("AWS::Signer::SigningProfile", REGION)["definitions"]
    assert schema["PlatformId"]["enum"].count(PLATFORM_ID) == 1
    pattern = re.compile(schema["ProfileName"]["pattern"])
    assert pattern.match(profile_name(labels_for("eu-central-1", suffix="prod")))
    assert not pattern.match(labels_for("eu-central-1", suffix="prod").name("lambda"))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"validity_months": 0},
            f"signature validity must be 1-{SIGNER_MAX_SIGNATURE_VALIDITY_MONTHS}",
        ),
        ({"validity_months": 136}, "signature validity must be 1-135 months, got 136"),
        ({"region": "us-east-1"}, "code signing labels are for us-west-2, not us-east-1"),
    ],
)
def test_bad_settings_are_refused(overrides: dict[str, Any], message: str) -> None:
    settings: dict[str, Any] = {
        "labels": labels_for(REGION),
        "region": REGION,
        "validity_months": 12,
    }
    settings.update(overrides)
    with pytest.raises(ValueError, match=message):
        validate_signing_settings(**settings)


def test_a_lambda_profile_with_a_bounded_signature_validity() -> None:
    profile = one(build(), PROFILE)
    assert profile["inputs"]["name"] == "tap_test_usw2_lambda"
    assert profile["inputs"]["platformId"] == "AWSLambda-SHA384-ECDSA"
    assert profile["inputs"]["signatureValidityPeriod"] == {"value": 12, "type": "MONTHS"}
    assert profile["region"] == REGION


@pytest.mark.parametrize("action", ["Enforce", "Warn"])
def test_the_config_trusts_only_the_profile_and_applies_the_configured_action(action: str) -> None:
    resources = build(action)
    config = one(resources, CONFIG)["inputs"]
    assert config["policies"] == {"untrustedArtifactOnDeployment": action}
    (publisher,) = config["allowedPublishers"]["signingProfileVersionArns"]
    assert publisher.startswith(
        f"arn:aws:signer:{REGION}:{MOCK_ACCOUNT_ID}:/signing-profiles/tap_test_usw2_lambda/"
    )
    schema = resource_schema("AWS::Lambda::CodeSigningConfig", REGION)["definitions"]
    assert (
        action
        in schema["CodeSigningPolicies"]["properties"]["UntrustedArtifactOnDeployment"]["enum"]
    )


def test_the_zip_is_uploaded_to_the_versioned_encrypted_artifacts_bucket_then_signed() -> None:
    resources = build()
    by_urn = {r["urn"]: r for r in resources}
    upload = one(resources, OBJECT)
    assert upload["inputs"]["key"] == "unsigned/tap-test-usw2-function.zip"
    assert upload["inputs"]["bucket"] == f"tap-test-usw2-artifacts-{MOCK_ACCOUNT_ID}"
    depends = {by_urn[urn]["type"] for urn in upload["dependencies"]}
    assert "aws:s3/bucketVersioning:BucketVersioning" in depends
    encryption = [
        r
        for r in resources
        if r["type"]
        == "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        and r["inputs"]["bucket"] == upload["inputs"]["bucket"]
    ]
    (rule,) = encryption[0]["inputs"]["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == KEY

    job = one(resources, JOB)["inputs"]
    assert job["profileName"] == "tap_test_usw2_lambda"
    assert job["source"]["s3"]["bucket"] == upload["inputs"]["bucket"]
    assert job["source"]["s3"]["key"] == upload["inputs"]["key"]
    # The one object version the program uploaded: a later upload cannot be signed by this job.
    assert job["source"]["s3"]["version"]
    assert job["destination"] == {"s3": {"bucket": upload["inputs"]["bucket"], "prefix": "signed/"}}
    assert job["ignoreSigningJobFailure"] is False


def test_taggable_resources_are_tagged() -> None:
    for resource in build():
        if resource["custom"] and is_taggable(resource["type"]):
            assert resource["inputs"]["tags"]["Name"] == resource["name"], resource["name"]


def test_bad_settings_register_nothing() -> None:
    def program() -> None:
        CodeSigning("x", signing_args(region="eu-central-1"))

    error, registered = refused_before_registering(program)
    assert "code signing labels are for us-west-2, not eu-central-1" in str(error)
    assert registered == []


@pulumi.runtime.test
def test_outputs_are_the_config_and_the_signed_object(
    pulumi_mocks: PlanMocks,
) -> pulumi.Output[None]:
    component = CodeSigning(
        "tap-test-usw2-code-signing",
        signing_args(),
        opts=pulumi.ResourceOptions(providers=[aws.Provider("tap-test-usw2-aws", region=REGION)]),
    )

    def check(values: list[Any]) -> None:
        config_arn, bucket, key, job_id, source, uploaded_version = values
        assert config_arn.startswith(
            f"arn:aws:lambda:{REGION}:{MOCK_ACCOUNT_ID}:code-signing-config:csc-"
        )
        assert bucket == f"tap-test-usw2-artifacts-{MOCK_ACCOUNT_ID}"
        assert key == f"signed/{job_id}.zip"
        # The job signs exactly the object version this deploy uploaded.
        assert source["s3"]["version"] == uploaded_version

    return pulumi.Output.all(
        component.code_signing_config_arn,
        component.signed_bucket,
        component.signed_key,
        component.job.job_id,
        component.job.source,
        component.unsigned.version_id,
    ).apply(check)


def test_the_function_deploys_the_signed_object_under_the_code_signing_config() -> None:
    def program() -> None:
        provider = aws.Provider("tap-test-usw2-aws", region=REGION)
        signing = CodeSigning(
            "tap-test-usw2-code-signing",
            signing_args(),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )
        ApiFunction(
            "tap-test-usw2-function",
            function_args(DEFAULT_SOURCE_DIR, placement={"signed_code": signing.signed_code}),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )

    resources = tuple(plan_program(program)["resources"])
    function = one(resources, "aws:lambda/function:Function")["inputs"]
    job = one(resources, JOB)
    assert "code" not in function  # nothing unsigned is uploaded to Lambda
    assert function["packageType"] == "Zip"
    assert function["s3Bucket"] == f"tap-test-usw2-artifacts-{MOCK_ACCOUNT_ID}"
    assert function["s3Key"].startswith("signed/") and function["s3Key"].endswith(".zip")
    assert function["codeSigningConfigArn"].startswith(
        f"arn:aws:lambda:{REGION}:{MOCK_ACCOUNT_ID}:code-signing-config:csc-"
    )
    assert job["urn"] in one(resources, "aws:lambda/function:Function")["dependencies"]


def test_signed_code_is_refused_for_a_container_image() -> None:
    def program() -> None:
        ApiFunction(
            "f",
            function_args(
                DEFAULT_SOURCE_DIR,
                placement={
                    "image_uri": "123456789012.dkr.ecr.us-west-2.amazonaws.com/tap:1",
                    "signed_code": SignedCode("b", "k", "arn:csc"),
                },
            ),
        )

    error, registered = refused_before_registering(program)
    assert "ApiFunction: signed_code is for the zip; Lambda does not sign images" in str(error)
    assert registered == []
