"""The other tap commands end to end: graph, docs, policy-config, bootstrap-backend.

Bad input, a bad file, a path that cannot be written and AWS faults are one line on stderr
with an exit code from tap.exitcodes, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import boto3  # type: ignore[import-untyped]
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


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert captured.err.startswith("tap: error: ")
    assert captured.err.count("\n") == 1  # one line, no traceback
    return captured.err.removeprefix("tap: error: ").rstrip("\n")


@pytest.mark.parametrize(
    ("output", "message"),
    [
        (
            "missing/dir/tap.mmd",
            "--output {tmp}/missing/dir/tap.mmd: directory {tmp}/missing/dir "
            "does not exist; create it first",
        ),
        (".", "--output {tmp}/. is a directory; name a file"),
    ],
)
def test_graph_into_a_path_it_cannot_write_is_refused_before_the_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], output: str, message: str
) -> None:
    target = f"{tmp_path}/{output}"

    assert main(["graph", "--stack", "nope", "--output", target]) == 2
    assert one_line_error(capsys) == message.format(tmp=tmp_path)


def test_graph_output_that_fails_to_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("builtins.open", refuse)
    target = tmp_path / "tap.mmd"

    assert main(["graph", "--stack", "dev", "--output", str(target)]) == 2
    assert one_line_error(capsys) == f"cannot write --output {target}: Permission denied"


def test_graph_svg_when_dot_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dot = tmp_path / "dot"
    dot.write_text("#!/bin/sh\necho 'Error: syntax error in line 1' >&2\nexit 1\n")
    dot.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))

    assert main(["graph", "--stack", "dev", "--format", "svg"]) == 2
    assert one_line_error(capsys) == (
        "Graphviz's `dot` failed: Error: syntax error in line 1; use --format mermaid or dot"
    )


def test_docs_check_passes_on_the_committed_docs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs", "--check"]) == 0
    assert capsys.readouterr().err == ""


@pytest.fixture
def docs_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose one generated block (docs/x.md, `x`) renders `new` and holds `old`."""
    from tap.docs import GeneratedBlock  # noqa: PLC0415

    (tmp_path / "Pulumi.yaml").write_text("name: tap\nruntime: python\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "x.md").write_text(
        "# x\n<!-- BEGIN GENERATED: x -->\nold\n<!-- END GENERATED -->\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(
        "tap.docs.generated_blocks", lambda _: [GeneratedBlock("docs/x.md", "x", lambda: "new")]
    )
    return tmp_path


def test_docs_rewrites_a_stale_block_and_check_reports_it(
    docs_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["docs", "--check"]) == 1
    assert capsys.readouterr().err == "stale: docs/x.md (x) (run `tap docs`)\n"
    assert main(["docs"]) == 0
    assert capsys.readouterr().out == "updated docs/x.md\n"
    assert "\nnew\n" in (docs_project / "docs" / "x.md").read_text()


def test_docs_on_a_read_only_tree(
    docs_project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_only(self: Path, *_: object, **__: object) -> int:
        raise PermissionError(13, "Permission denied", str(self))

    # chmod does not stop root, who runs some CI containers: fail the write as the OS would.
    monkeypatch.setattr(Path, "write_text", read_only)

    assert main(["docs"]) == 2
    assert one_line_error(capsys) == "cannot write docs/x.md: Permission denied"


@pytest.mark.parametrize("check", [[], ["--check"]])
def test_docs_with_a_missing_file_or_lost_markers(
    docs_project: Path, capsys: pytest.CaptureFixture[str], check: list[str]
) -> None:
    doc = docs_project / "docs" / "x.md"
    doc.write_text("# x, someone removed the markers\n")

    assert main(["docs", *check]) == 2
    assert one_line_error(capsys) == (
        "docs/x.md: no generated block 'x': add the <!-- BEGIN GENERATED: x --> / "
        "<!-- END GENERATED --> markers"
    )
    doc.unlink()
    assert main(["docs", *check]) == 2
    assert one_line_error(capsys) == "cannot read docs/x.md: No such file or directory"


@pytest.mark.parametrize(
    ("stack_file", "message"),
    [
        (None, "unknown stack 'bad'; stacks in {tmp}: "),
        ("config:\n  tap:environment: [\n", "Pulumi.bad.yaml is not valid YAML: "),
        ("config: [1, 2]\n", "Pulumi.bad.yaml: `config` must be a map of keys to values"),
        (
            "config:\n  tap:environment: dev\n  tap:logRetentionDays: 10\n",
            "invalid configuration: tap:logRetentionDays 10 is not a retention CloudWatch Logs "
            "accepts",
        ),
    ],
)
def test_policy_config_on_a_bad_stack_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    stack_file: str | None,
    message: str,
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: tap\nruntime: python\n")
    if stack_file is not None:
        (tmp_path / "Pulumi.bad.yaml").write_text(stack_file)
    monkeypatch.chdir(tmp_path)

    assert main(["policy-config", "--stack", "bad"]) == 2
    assert one_line_error(capsys).startswith(message.format(tmp=tmp_path))
    assert capsys.readouterr().out == ""


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


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--outputs", "/nonexistent/outputs.json"], "outputs file /nonexistent/outputs.json "),
        (
            ["--outputs", "-", "--endpoint-url", "localhost:4566"],
            "--endpoint-url 'localhost:4566' is not an http(s) URL",
        ),
        ([], "--outputs is required"),
    ],
)
def test_verify_on_bad_input(
    capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    assert main(["verify", "--stack", "dev", *options]) == 2
    assert one_line_error(capsys).startswith(message)
