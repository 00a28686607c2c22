"""The other tap commands end to end: graph, docs, bootstrap-backend."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from tap.cli import main
from tests.conftest import PROJECT_DIR


@pytest.fixture(autouse=True)
def _in_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECT_DIR)


def test_graph_prints_mermaid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "--stack", "dev"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("flowchart LR\n")
    assert '["us-west-2"]' in out


def test_graph_writes_dot_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "tap.dot"
    assert main(["graph", "--stack", "dev", "--format", "dot", "--output", str(target)]) == 0
    assert target.read_text().startswith("digraph tap {")


def test_docs_check_passes_on_the_committed_docs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs", "--check"]) == 0
    assert capsys.readouterr().err == ""


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))


@pytest.mark.usefixtures("aws_env")
def test_bootstrap_backend_twice(capsys: pytest.CaptureFixture[str]) -> None:
    with mock_aws():
        args = ["bootstrap-backend", "--bucket", "acme-state", "--region", "eu-central-1"]
        assert main(args) == 0
        first = capsys.readouterr().out
        assert "created or fixed: bucket acme-state" in first
        assert "pulumi login 's3://acme-state?region=eu-central-1'" in first
        assert main(args) == 0
        second = capsys.readouterr().out
        assert "created or fixed" not in second
        assert "already right:    versioning" in second


def test_bootstrap_backend_without_credentials(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code = main(
        [
            "bootstrap-backend",
            "--bucket",
            "acme-state",
            "--region",
            "us-east-1",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ]
    )
    assert code == 3
    err = capsys.readouterr().err
    assert err.startswith("tap: error: no usable AWS credentials")
    assert err.count("\n") == 1


BOOTSTRAP = ["bootstrap-backend", "--bucket", "acme-state", "--region", "us-east-1"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"--kms-alias": "alias/aws/s3"},
            "--kms-alias 'alias/aws/s3' must start with alias/ (and not alias/aws/)",
        ),
        (
            {"--bucket": "my..state"},
            "--bucket 'my..state' must not contain two adjacent dots (S3's bucket naming rules: "
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html)",
        ),
        (
            {"--bucket": "ab"},
            "--bucket 'ab' is 2 characters long; S3 bucket names have 3 to 63 (S3's bucket "
            "naming rules: https://docs.aws.amazon.com/AmazonS3/latest/userguide/"
            "bucketnamingrules.html)",
        ),
        ({"--region": "mars-1"}, "--region 'mars-1' is not a region where botocore knows s3"),
        (
            {"--endpoint-url": "localhost:5000"},
            "--endpoint-url 'localhost:5000' is not an http(s) URL; give the scheme and host, "
            "e.g. http://localhost:5000",
        ),
    ],
)
def test_bootstrap_backend_refuses_bad_arguments_before_any_call(
    change: dict[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    options = dict(zip(BOOTSTRAP[1::2], BOOTSTRAP[2::2], strict=True)) | change
    argv = ["bootstrap-backend", *[item for pair in options.items() for item in pair]]

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"tap: error: {message}")
    assert err.count("\n") == 1


@pytest.mark.usefixtures("aws_env")
def test_bootstrap_backend_refuses_a_bucket_in_another_region(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with mock_aws():
        boto3.client("s3", region_name="eu-west-1").create_bucket(
            Bucket="acme-state", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        assert main(BOOTSTRAP) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "tap: error: bucket acme-state already exists in eu-west-1, not us-east-1; the state "
        "bucket and its key must share a region: rerun with --region eu-west-1 (pulumi login "
        "'s3://acme-state?region=eu-west-1'), or choose another --bucket\n"
    )
