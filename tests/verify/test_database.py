"""RDS checks: the cluster's encryption, snapshots, deletion protection, backups, log exports."""

from __future__ import annotations

from pathlib import Path

from tests.verify.canned import ALIAS, KEY_ARN, conforming, findings_with


def test_drifted_cluster_settings_name_what_they_are(project: Path) -> None:
    cluster = {
        "StorageEncrypted": False,
        "BackupRetentionPeriod": 1,
        "EnabledCloudwatchLogsExports": [],
    }

    assert findings_with(
        project,
        DescribeDBClusters={"DBClusters": [cluster]},
        DescribeDBClusterSnapshots={
            "DBClusterSnapshots": [
                {"DBClusterSnapshotIdentifier": "manual-1", "StorageEncrypted": False}
            ]
        },
    ) == [
        ("RDS.27", "drift", "not encrypted"),
        ("RDS.4", "drift", "unencrypted: manual-1"),
        ("RDS.50", "drift", "1 days"),
        ("RDS.37", "drift", "none"),
    ]


def test_a_missing_cluster_fails_every_cluster_check(project: Path) -> None:
    assert findings_with(project, DescribeDBClusters="DBClusterNotFoundFault") == [
        (control, "fail", "not found (DBClusterNotFoundFault)")
        for control in ("RDS.27", "RDS.4", "RDS.50", "RDS.37")
    ]


def test_the_cluster_may_name_the_region_key_by_alias(project: Path) -> None:
    cluster = conforming()["DescribeDBClusters"]
    assert isinstance(cluster, dict)
    cluster["DBClusters"][0]["KmsKeyId"] = ALIAS
    assert findings_with(project, DescribeDBClusters=cluster) == []

    other = KEY_ARN.replace("1234abcd-", "99999999-")
    cluster["DBClusters"][0]["KmsKeyId"] = other
    assert findings_with(project, DescribeDBClusters=cluster) == [
        ("RDS.27", "drift", f"encrypted with {other}")
    ]


def test_replies_that_are_not_the_documents_are_unknown(project: Path) -> None:
    assert findings_with(project, DescribeDBClusters={"DBClusters": []}) == [
        (control, "unknown", "unexpected reply (0 clusters for tap-unit-use1-aurora, not 1)")
        for control in ("RDS.27", "RDS.4", "RDS.50", "RDS.37")
    ]
    cluster = conforming()["DescribeDBClusters"]
    assert isinstance(cluster, dict)
    cluster["DBClusters"][0]["BackupRetentionPeriod"] = "7"
    assert findings_with(
        project,
        DescribeDBClusters=cluster,
        DescribeDBClusterSnapshots={"DBClusterSnapshots": [{"DBClusterSnapshotIdentifier": "s"}]},
    ) == [
        ("RDS.4", "unknown", "unexpected reply (no StorageEncrypted)"),
        (
            "RDS.50",
            "unknown",
            "unexpected reply (BackupRetentionPeriod is a string, not a whole number)",
        ),
    ]
