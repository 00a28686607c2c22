"""`tap diff`: renames, removals, replacements, changes, aliases, risk, secrets, bad input and
the markdown the PR workflow posts."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from tap.cli import main
from tap.constraints.mappings import create_only_property
from tap.diff import (
    MARKDOWN_MARKER,
    DiffInputError,
    StackDiff,
    diff_manifests,
    render_markdown,
    render_text,
)
from tap.urns import child_urn
from tests.conftest import Planned, plan_program

STACK = "prod"
TAP = child_urn(STACK, "tap", None, "tap:stack:TapStack", "tap-prod-gbl-stack")
STORAGE = child_urn(STACK, "tap", TAP, "tap:storage:Storage", "tap-prod-use1-storage")
NETWORK = child_urn(STACK, "tap", TAP, "tap:network:Network", "tap-prod-use1-network")
BUCKET = "aws:s3/bucket:Bucket"
CLUSTER = "aws:rds/cluster:Cluster"
SG = "aws:ec2/securityGroup:SecurityGroup"
VPC = "aws:ec2/vpc:Vpc"


def resource(
    type_: str,
    name: str,
    parent: str | None = STORAGE,
    *,
    protect: bool = False,
    inputs: dict[str, Any] | None = None,
    aliases: list[str] | None = None,
    custom: bool = True,
) -> dict[str, Any]:
    return {
        "urn": child_urn(STACK, "tap", parent, type_, name),
        "type": type_,
        "name": name,
        "parent": parent,
        "custom": custom,
        "region": "us-east-1",
        "protect": protect,
        "retainOnDelete": False,
        "dependencies": [],
        "inputs": inputs or {},
        "aliases": aliases or [],
    }


def manifest(*resources: dict[str, Any], stack: str = STACK) -> dict[str, Any]:
    return {"project": "tap", "stack": stack, "resources": list(resources), "outputs": {}}


def diff(base: list[dict[str, Any]], head: list[dict[str, Any]]) -> StackDiff:
    return diff_manifests(manifest(*base), manifest(*head))


def kinds(result: StackDiff) -> list[tuple[str, str, str]]:
    return [(c.kind, c.name, c.risk) for c in result.changes]


DATA = resource(BUCKET, "tap-prod-use1-data", protect=True, inputs={"bucket": "tap-prod-data"})
GROUP = resource(SG, "tap-prod-use1-sg-api", NETWORK, inputs={"description": "api"})


def test_identical_plans_have_no_change() -> None:
    result = diff([DATA, GROUP], [DATA, GROUP])
    assert result.changes == []
    assert result.exit_code == 0
    assert render_text(result).splitlines() == [
        "tap diff: stack prod (project tap): 0 replaced, 0 deleted, 0 renamed, 0 changed, 0 added",
        "no protected or stateful resource is deleted or replaced",
    ]


def test_a_rename_without_an_alias_deletes_the_bucket() -> None:
    renamed = resource(BUCKET, "tap-prod-use1-store", protect=True, inputs=DATA["inputs"])
    result = diff([DATA], [renamed])
    assert kinds(result) == [
        ("delete", "tap-prod-use1-data", "protected"),
        ("add", "tap-prod-use1-store", ""),
    ]
    assert result.exit_code == 3
    text = render_text(result)
    assert "RISK: 1 protected or stateful resource would be deleted or replaced" in text
    assert "! delete   aws:s3/bucket:Bucket  tap-prod-use1-data  [protected, stateful]" in text


def test_a_rename_with_an_alias_keeps_the_bucket() -> None:
    renamed = resource(
        BUCKET, "tap-prod-use1-store", protect=True, inputs=DATA["inputs"], aliases=[DATA["urn"]]
    )
    result = diff([DATA], [renamed])
    assert kinds(result) == [("rename", "tap-prod-use1-store", "")]
    assert result.exit_code == 0
    assert result.changes[0].reasons == [
        f"renamed through an alias: {DATA['urn']} -> {renamed['urn']}"
    ]


def test_an_alias_inherited_from_a_moved_parent_keeps_the_child() -> None:
    """The manifest lists the aliases a child inherits from its parent's (tap/urns.py)."""
    new_storage = child_urn(STACK, "tap", TAP, "tap:storage:ReplicatedStorage", "tap-prod-storage")
    moved = resource(BUCKET, "tap-prod-use1-data", new_storage, protect=True, inputs=DATA["inputs"])
    moved["aliases"] = [DATA["urn"]]
    assert kinds(diff([DATA], [moved])) == [("rename", "tap-prod-use1-data", "")]


def test_a_parent_move_replaces_the_resource() -> None:
    moved = resource(BUCKET, "tap-prod-use1-data", NETWORK, protect=True, inputs=DATA["inputs"])
    result = diff([DATA], [moved])
    (change,) = result.changes
    assert (change.kind, change.risk) == ("replace", "protected")
    assert change.reasons == [
        f"parent moved: {STORAGE} -> {NETWORK}",
        f"URN changed without an alias: {DATA['urn']} -> {moved['urn']}",
    ]
    assert result.exit_code == 3


def test_a_type_change_replaces_the_resource() -> None:
    old = resource("aws:s3/bucketV2:BucketV2", "tap-prod-use1-data")
    result = diff([old], [resource(BUCKET, "tap-prod-use1-data")])
    (change,) = result.changes
    assert change.kind == "replace"
    assert change.reasons[0] == f"type changed: aws:s3/bucketV2:BucketV2 -> {BUCKET}"
    # The base type is not in tap's CloudFormation map, so it is not known to be stateful.
    assert change.risk == ""


def test_protected_beats_stateful_beats_plain() -> None:
    vpc = resource(VPC, "tap-prod-use1-vpc", NETWORK, protect=True)
    cluster = resource(CLUSTER, "tap-prod-use1-aurora")
    result = diff([GROUP, cluster, vpc], [])
    assert kinds(result) == [
        ("delete", "tap-prod-use1-vpc", "protected"),
        ("delete", "tap-prod-use1-aurora", "stateful"),
        ("delete", "tap-prod-use1-sg-api", ""),
    ]
    assert result.exit_code == 3
    assert diff([GROUP], []).exit_code == 0


def test_changed_inputs_are_listed_by_path() -> None:
    before = resource(
        SG,
        "tap-prod-use1-sg-api",
        NETWORK,
        inputs={
            "description": "api",
            "tags": {"Owner": "a", "Name": "x"},
            "ingress": [{"cidrBlocks": ["10.0.0.0/8"]}],
        },
    )
    after = resource(
        SG,
        "tap-prod-use1-sg-api",
        NETWORK,
        inputs={
            "description": "api",
            "tags": {"Owner": "b", "Name": "x", "Team": "t"},
            "ingress": [{"cidrBlocks": ["10.1.0.0/16"]}],
        },
    )
    result = diff([before], [after])
    (change,) = result.changes
    assert change.kind == "change"
    assert [str(c) for c in change.inputs] == [
        'ingress[0].cidrBlocks[0]: "10.0.0.0/8" -> "10.1.0.0/16"',
        'tags.Owner: "a" -> "b"',
        'tags.Team: (absent) -> "t"',
    ]
    assert result.exit_code == 0


def test_protect_changes_are_shown() -> None:
    unprotected = dict(DATA, protect=False)
    (change,) = diff([DATA], [unprotected]).changes
    assert change.reasons == ["protect: true -> false"]


def test_an_input_aws_cannot_change_in_place_replaces_a_stateful_resource() -> None:
    old = resource(CLUSTER, "tap-prod-use1-aurora", inputs={"storageEncrypted": True})
    new = resource(CLUSTER, "tap-prod-use1-aurora", inputs={"storageEncrypted": False})
    (change,) = diff([old], [new]).changes
    assert (change.kind, change.risk) == ("replace", "stateful")
    assert change.reasons == [
        "input storageEncrypted forces replacement (createOnlyProperties StorageEncrypted of the "
        "CloudFormation schema)"
    ]


def test_an_updatable_input_of_a_stateful_resource_is_a_change() -> None:
    old = resource(CLUSTER, "tap-prod-use1-aurora", inputs={"engineVersion": "16.6"})
    new = resource(CLUSTER, "tap-prod-use1-aurora", inputs={"engineVersion": "16.8"})
    result = diff([old], [new])
    assert kinds(result) == [("change", "tap-prod-use1-aurora", "")]
    assert result.exit_code == 0


def test_a_renamed_bucket_name_input_replaces_the_bucket() -> None:
    renamed = dict(DATA, inputs={"bucket": "tap-prod-data-2"})
    result = diff([DATA], [renamed])
    assert kinds(result) == [("replace", "tap-prod-use1-data", "protected")]
    assert "createOnlyProperties BucketName" in result.changes[0].reasons[0]


@pytest.mark.parametrize(
    ("pulumi_type", "input_name", "cfn_property"),
    [
        # Listed in tap.constraints.mappings (proved there against both providers).
        ("aws:s3/bucket:Bucket", "bucket", "BucketName"),
        ("aws:s3/bucket:Bucket", "bucketPrefix", "BucketNamePrefix"),
        ("aws:backup/vault:Vault", "name", "BackupVaultName"),
        ("aws:backup/vault:Vault", "kmsKeyArn", "EncryptionKeyArn"),
        ("aws:cloudwatch/logGroup:LogGroup", "name", "LogGroupName"),
        ("aws:rds/clusterInstance:ClusterInstance", "identifier", "DBInstanceIdentifier"),
        ("aws:rds/clusterInstance:ClusterInstance", "clusterIdentifier", "DBClusterIdentifier"),
        ("aws:sqs/queue:Queue", "name", "QueueName"),
        (CLUSTER, "clusterIdentifier", "DBClusterIdentifier"),
        (SG, "description", "GroupDescription"),
        # Not listed: the same name up to case.
        (CLUSTER, "storageEncrypted", "StorageEncrypted"),
        (CLUSTER, "dbSubnetGroupName", "DBSubnetGroupName"),
    ],
)
def test_inputs_aws_cannot_change_in_place(
    pulumi_type: str, input_name: str, cfn_property: str
) -> None:
    assert create_only_property(pulumi_type, input_name, "us-east-1") == cfn_property


@pytest.mark.parametrize(
    ("pulumi_type", "input_name"),
    [
        (CLUSTER, "engineVersion"),  # updatable in place
        (SG, "namePrefix"),  # not listed, and no property of that name: not judged
        ("aws:cloudwatch/logGroup:LogGroup", "retentionInDays"),  # listed, updatable
        ("aws:s3/bucketVersioning:BucketVersioning", "bucket"),  # a part: no type of its own
    ],
)
def test_inputs_not_judged_as_forcing_a_replacement(pulumi_type: str, input_name: str) -> None:
    assert create_only_property(pulumi_type, input_name, "us-east-1") is None


SECRET_VALUE = "hunter2-plain"


def test_secrets_are_never_shown() -> None:
    old = resource(CLUSTER, "tap-prod-use1-aurora", inputs={"masterPassword": "<secret>"})
    new = resource(CLUSTER, "tap-prod-use1-aurora", inputs={"masterPassword": SECRET_VALUE})
    result = diff([old], [new])
    (change,) = result.changes
    assert [str(c) for c in change.inputs] == ["masterPassword: secret changed"]
    assert SECRET_VALUE not in render_text(result)
    assert SECRET_VALUE not in render_markdown(result)
    # Two masked values are all the manifest knows: no change to report.
    assert diff([old], [old]).changes == []


def test_markdown_is_a_compact_table_with_details() -> None:
    risky = resource(CLUSTER, "tap-prod-use1-aurora")
    plain_before = resource(SG, "tap-prod-use1-sg|api", NETWORK, inputs={"description": "a"})
    plain_after = dict(plain_before, inputs={"description": "b"})
    added = resource(SG, "tap-prod-use1-sg-new", NETWORK)
    text = render_markdown(diff([plain_before, GROUP, risky], [plain_after, added]))
    lines = text.splitlines()
    assert lines[0] == MARKDOWN_MARKER
    assert lines[1] == (
        "#### 🛑 tap diff `prod`: 1 protected or stateful resource would be deleted or replaced"
    )
    assert lines[3:6] == [
        "| replaced | deleted | renamed | changed | added |",
        "|---:|---:|---:|---:|---:|",
        "| 0 | 2 | 0 | 1 | 1 |",
    ]
    rows = [line for line in lines if line.startswith("| ") and "<code>" in line]
    assert rows[0].startswith("| ⚠️ stateful | delete | <code>tap-prod-use1-aurora</code>")
    assert rows[1].startswith("|  | delete | <code>tap-prod-use1-sg-api</code>")
    assert rows[1].endswith("| gone: no resource of HEAD has this URN, or an alias to it |")
    assert "<details><summary>Details (3)</summary>" in lines
    assert "tap-prod-use1-sg&#124;api" in text
    assert "<details><summary>Added (1)</summary>" in lines
    assert text.count("<details>") == text.count("</details>") == 2


def test_markdown_says_when_nothing_is_risky() -> None:
    text = render_markdown(diff([GROUP], [GROUP]))
    assert text.splitlines()[:2] == [
        MARKDOWN_MARKER,
        "#### ✅ tap diff `prod`: no protected or stateful resource is deleted or replaced",
    ]


def test_a_manifest_from_before_the_aliases_field_still_compares(
    plans: dict[str, Planned],
) -> None:
    current = plans["prod"].manifest
    older = json.loads(json.dumps(current))
    for r in older["resources"]:
        del r["aliases"]
    assert diff_manifests(older, current).changes == []


def test_the_shipped_plans_compare_clean_with_themselves(plans: dict[str, Planned]) -> None:
    for planned in plans.values():
        assert diff_manifests(planned.manifest, planned.manifest).exit_code == 0


# --- the command -------------------------------------------------------------------------------


def write(path: Path, document: Any) -> str:
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


def test_the_command_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = write(tmp_path / "base.json", manifest(DATA, GROUP))
    same = write(tmp_path / "same.json", manifest(DATA, GROUP))
    risky = write(tmp_path / "risky.json", manifest(GROUP))
    plain = write(tmp_path / "plain.json", manifest(DATA))
    assert main(["diff", base, same]) == 0
    assert main(["diff", base, risky]) == 3
    assert main(["diff", base, plain]) == 0
    assert main(["diff", base, risky, "--format", "markdown"]) == 3
    assert capsys.readouterr().out.count(MARKDOWN_MARKER) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read {path}: No such file or directory"),
        ("{not json", "{path} is not JSON (Expecting property name"),
        ([1, 2], "{path}: not a tap plan manifest (`tap plan --format json`)"),
        ({"project": "tap", "stack": "prod"}, "{path}: no `resources` list: not a tap plan"),
        (
            manifest({"urn": "u", "type": "t"}),
            "{path}: resources[0] has no valid `name`: not a tap plan manifest",
        ),
        (manifest(GROUP, GROUP), f"{{path}}: URN {GROUP['urn']} is listed twice"),
        (manifest(GROUP, stack="dev"), "{base} is stack prod of project tap, {path} is stack dev"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: Any, message: str
) -> None:
    base = write(tmp_path / "base.json", manifest(GROUP))
    head = tmp_path / "head.json"
    if content is not None:
        write(head, content)
    assert main(["diff", base, str(head)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("tap: error: " + message.format(path=head, base=base)), (
        captured.err
    )
    assert captured.err.count("\n") == 1


def test_bad_input_never_prints_a_traceback(tmp_path: Path) -> None:
    head = write(tmp_path / "head.json", {"project": "tap", "stack": "prod", "resources": [7]})
    process = subprocess.run(
        [sys.executable, "-m", "tap.cli", "diff", head, head],
        capture_output=True,
        text=True,
        check=False,
    )
    assert process.returncode == 2
    assert process.stderr == (
        f"tap: error: {head}: resources[0] is not an object: not a tap plan manifest "
        "(`tap plan --format json`)\n"
    )


def test_diff_error_type_is_the_one_the_command_catches() -> None:
    with pytest.raises(DiffInputError):
        diff_manifests(manifest(GROUP), manifest(GROUP, stack="dev"))


# --- end to end: programs, their plans, their diff ----------------------------------------------


def storage_program(type_token: str, aliases: list[Any]) -> Callable[[], None]:
    def program() -> None:
        box = pulumi.ComponentResource(
            type_token, "tap-test-use1-store", opts=pulumi.ResourceOptions(aliases=aliases)
        )
        aws.s3.Bucket(
            "tap-test-use1-store-data",
            bucket="tap-test-use1-store-data",
            opts=pulumi.ResourceOptions(parent=box, protect=True),
        )

    return program


def test_a_component_moved_with_an_alias_keeps_its_bucket() -> None:
    base = plan_program(storage_program("tap:test:Box", []))
    moved = plan_program(storage_program("tap:test:Store", [pulumi.Alias(type_="tap:test:Box")]))
    result = diff_manifests(base, moved)
    assert sorted(kinds(result)) == [
        ("rename", "tap-test-use1-store", ""),
        ("rename", "tap-test-use1-store-data", ""),
    ]
    assert result.exit_code == 0


def test_a_component_moved_without_an_alias_replaces_its_bucket() -> None:
    base = plan_program(storage_program("tap:test:Box", []))
    moved = plan_program(storage_program("tap:test:Store", []))
    result = diff_manifests(base, moved)
    assert kinds(result) == [
        ("replace", "tap-test-use1-store-data", "protected"),
        ("replace", "tap-test-use1-store", ""),
    ]
    assert result.exit_code == 3
