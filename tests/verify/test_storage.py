"""S3 checks: public access block, TLS-only policy, versioning and SSE-KMS of both buckets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tap.verify import denies_insecure_transport
from tests.verify.canned import ACCOUNT, KEY_ARN, conforming, findings_with


def test_a_removed_bucket_policy_is_drift_on_both_buckets(project: Path) -> None:
    assert findings_with(project, GetBucketPolicy="NoSuchBucketPolicy") == [
        ("S3.5", "drift", "not set (NoSuchBucketPolicy)"),
        ("S3.5", "drift", "not set (NoSuchBucketPolicy)"),
    ]


def test_a_missing_bucket_is_a_fail(project: Path) -> None:
    assert findings_with(project, GetBucketVersioning="NoSuchBucket") == [
        ("S3.14", "fail", "not found (NoSuchBucket)"),
        ("S3.14", "fail", "not found (NoSuchBucket)"),
    ]


def test_partly_changed_settings_are_drift(project: Path) -> None:
    block = conforming()["GetPublicAccessBlock"]
    assert isinstance(block, dict)
    block["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] = False
    allow_only = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]}

    assert findings_with(
        project,
        GetPublicAccessBlock=block,
        GetBucketPolicy={"Policy": json.dumps(allow_only)},
    ) == [
        ("S3.8", "drift", "off: BlockPublicPolicy"),
        ("S3.5", "drift", "no such deny in the bucket policy"),
        ("S3.8", "drift", "off: BlockPublicPolicy"),
        ("S3.5", "drift", "no such deny in the bucket policy"),
    ]


def test_versioning_never_enabled_and_encryption_without_the_key_are_drift(
    project: Path,
) -> None:
    aes = {
        "ServerSideEncryptionConfiguration": {
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        }
    }

    assert findings_with(project, GetBucketVersioning={}, GetBucketEncryption=aes) == [
        ("S3.14", "drift", "never enabled"),
        ("S3.17", "drift", "AES256"),
        ("S3.14", "drift", "never enabled"),
    ]


def test_encryption_with_another_key_is_drift(project: Path) -> None:
    other = KEY_ARN.replace("1234abcd-", "99999999-")
    encryption = {
        "ServerSideEncryptionConfiguration": {
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": other,
                    }
                }
            ]
        }
    }

    assert findings_with(project, GetBucketEncryption=encryption) == [
        ("S3.17", "drift", f"aws:kms {other}")
    ]


@pytest.mark.parametrize(
    ("changes", "ok"),
    [
        ({}, True),
        (
            {"Principal": {"AWS": "*"}, "Condition": {"Bool": {"aws:SecureTransport": ["false"]}}},
            True,
        ),
        ({"Action": "*", "Resource": "*"}, True),
        ({"Effect": "Allow"}, False),
        ({"Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}, False),
        ({"Action": "s3:GetObject"}, False),
        ({"Resource": "arn:aws:s3:::bucket"}, False),  # the objects are not covered
        ({"Condition": {"Bool": {"aws:SecureTransport": "true"}}}, False),
        ({"Condition": {}}, False),
    ],
)
def test_the_tls_only_statement(changes: dict[str, Any], ok: bool) -> None:
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        **changes,
    }
    policy = json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:*"}, statement]})

    assert denies_insecure_transport(policy, "arn:aws:s3:::bucket") is ok


def test_a_bucket_policy_that_is_not_json_does_not_deny() -> None:
    assert denies_insecure_transport("{", "arn:aws:s3:::bucket") is False


def test_replies_that_are_not_the_documents_are_unknown(project: Path) -> None:
    assert findings_with(
        project,
        GetBucketPolicy={"Policy": "<html>Service Unavailable</html>"},
        GetPublicAccessBlock={},
    ) == [
        ("S3.8", "unknown", "unexpected reply (no PublicAccessBlockConfiguration)"),
        ("S3.5", "unknown", "unexpected reply (Policy is not a JSON object)"),
        ("S3.8", "unknown", "unexpected reply (no PublicAccessBlockConfiguration)"),
        ("S3.5", "unknown", "unexpected reply (Policy is not a JSON object)"),
    ]


@pytest.mark.parametrize(
    "document",
    [
        [],
        "deny",
        {"Statement": "deny"},
        {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": 3, "Condition": []}]},
        {"Statement": {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Condition": 1}},
    ],
)
def test_an_odd_policy_document_is_no_deny_and_no_crash(document: object) -> None:
    assert denies_insecure_transport(json.dumps(document), "arn:aws:s3:::bucket") is False
