"""AWS's published data, as tap reads it from cfn-lint's package."""

from __future__ import annotations

from tap import awsdata


def test_retired_aurora_minors_are_not_offered() -> None:
    offered = awsdata.aurora_postgresql_versions()
    # RDS data marks 16.1-16.6 deprecated for new clusters (the version tap once pinned).
    assert "16.6" in awsdata.deprecated_aurora_postgresql_versions()
    assert "16.6" not in offered
    assert {"16.8", "17.4"} <= set(offered)


def test_versions_are_numbered_releases_in_order() -> None:
    offered = awsdata.aurora_postgresql_versions()
    assert all("-" not in v and v.count(".") == 1 for v in offered)
    assert list(offered) == sorted(offered, key=awsdata.version_key)
    assert awsdata.version_key("16.10") > awsdata.version_key("16.9")


def test_instance_classes_are_per_region() -> None:
    classes = awsdata.aurora_postgresql_instance_classes("us-east-1")
    assert {"db.serverless", "db.r6g.large"} <= classes
    assert "db.r6g.3xlarge" not in classes
    assert "db.m5.large" not in classes  # orderable for RDS PostgreSQL, not for Aurora


def test_log_retention_comes_from_the_cloudformation_schema() -> None:
    assert awsdata.log_retention_days()[:3] == (1, 3, 5)
    assert 365 in awsdata.log_retention_days()
    assert 364 not in awsdata.log_retention_days()


def test_every_mapped_type_has_a_schema_in_each_region() -> None:
    for cfn_type in awsdata.CFN_TYPES.values():
        for region in ("us-east-1", "us-west-2", "eu-central-1"):
            assert awsdata.resource_schema(cfn_type, region)["typeName"] == cfn_type


def test_stateful_types() -> None:
    assert awsdata.is_stateful("aws:rds/cluster:Cluster")
    assert awsdata.is_stateful("aws:s3/bucket:Bucket")
    assert awsdata.is_stateful("aws:rds/globalCluster:GlobalCluster")
    assert not awsdata.is_stateful("aws:ec2/route:Route")
    assert not awsdata.is_stateful("aws:s3/bucketVersioning:BucketVersioning")


def test_iam_actions_name_the_resources_each_can_be_scoped_to() -> None:
    # AWS's Service Authorization Reference: X-Ray's trace writes and EC2's Describe calls
    # support no resource-level permissions; creating an interface is scoped three ways.
    assert awsdata.iam_actions("xray:PutTraceSegments") == {"xray:puttracesegments": ()}
    assert awsdata.iam_actions("ec2:DescribeNetworkInterfaces") == {
        "ec2:describenetworkinterfaces": ()
    }
    assert set(awsdata.iam_actions("ec2:CreateNetworkInterface")["ec2:createnetworkinterface"]) == {
        "network-interface",
        "security-group",
        "subnet",
    }
    assert awsdata.iam_actions("logs:PutLogEvents") == {"logs:putlogevents": ("log-stream",)}
    # Wildcards expand; case does not matter; unknown services and actions match nothing.
    assert set(awsdata.iam_actions("kms:GenerateDataKey*")) >= {
        "kms:generatedatakey",
        "kms:generatedatakeywithoutplaintext",
    }
    assert awsdata.iam_actions("XRAY:puttracesegments") == {"xray:puttracesegments": ()}
    assert awsdata.iam_actions("s3:GetObjekt") == {}
    assert awsdata.iam_actions("s4:GetObject") == {}
    assert awsdata.iam_actions("no-colon") == {}
