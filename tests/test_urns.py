"""URNs and alias resolution as the engine does them (tap/urns.py, pure)."""

from __future__ import annotations

from tap.urns import (
    AliasSpec,
    child_urn,
    collapse_alias,
    inherited_child_alias,
    new_urn,
    qualified_type,
    urn_name,
    urn_type,
    with_inherited_aliases,
)

STACK_URN = "urn:pulumi:prod::tap::pulumi:pulumi:Stack::tap-prod"
BOX = "urn:pulumi:prod::tap::tap:test:Box::app"
BUCKET = "urn:pulumi:prod::tap::tap:test:Box$aws:s3/bucket:Bucket::app-data"


def test_a_urn_comes_apart_into_its_parts() -> None:
    assert qualified_type(BUCKET) == "tap:test:Box$aws:s3/bucket:Bucket"
    assert urn_type(BUCKET) == "aws:s3/bucket:Bucket"
    assert urn_name(BUCKET) == "app-data"


def test_a_name_may_contain_the_delimiter() -> None:
    urn = new_urn("dev", "tap", "", "tap:test:Box", "odd::name")
    assert urn_name(urn) == "odd::name"
    assert urn_type(urn) == "tap:test:Box"


def test_the_root_stack_never_joins_the_type_chain() -> None:
    assert child_urn("prod", "tap", STACK_URN, "tap:test:Box", "app") == BOX
    assert child_urn("prod", "tap", None, "tap:test:Box", "app") == BOX
    assert child_urn("prod", "tap", BOX, "aws:s3/bucket:Bucket", "app-data") == BUCKET


def collapse(alias: AliasSpec, parent: str | None = BOX) -> str:
    return collapse_alias(
        alias,
        name="app-data",
        type_="aws:s3/bucket:Bucket",
        parent=parent,
        project="tap",
        stack="prod",
    )


def test_an_alias_spec_fills_what_it_leaves_out_from_the_resource() -> None:
    assert collapse(AliasSpec(name="old-data")) == BUCKET.replace("::app-data", "::old-data")
    assert collapse(AliasSpec(type="aws:s3/bucketV2:BucketV2")) == BUCKET.replace(
        "bucket:Bucket", "bucketV2:BucketV2"
    )
    assert collapse(AliasSpec(stack="staging", no_parent=True)) == (
        "urn:pulumi:staging::tap::aws:s3/bucket:Bucket::app-data"
    )


def test_an_alias_without_parent_or_under_the_root_stack_is_top_level() -> None:
    top_level = "urn:pulumi:prod::tap::aws:s3/bucket:Bucket::app-data"
    assert collapse(AliasSpec(no_parent=True)) == top_level
    assert collapse(AliasSpec(parent=STACK_URN)) == top_level
    assert collapse(AliasSpec(), parent=STACK_URN) == top_level


def test_an_alias_to_an_old_parent_takes_that_parents_chain() -> None:
    old_parent = "urn:pulumi:prod::tap::tap:test:Outer$tap:test:Old::legacy"
    assert collapse(AliasSpec(parent=old_parent)) == (
        "urn:pulumi:prod::tap::tap:test:Outer$tap:test:Old$aws:s3/bucket:Bucket::app-data"
    )


def test_a_child_named_after_its_parent_is_renamed_with_it() -> None:
    old_box = "urn:pulumi:prod::tap::tap:test:OldBox::legacy"
    assert inherited_child_alias("aws:s3/bucket:Bucket", "app-data", BOX, old_box) == (
        "urn:pulumi:prod::tap::tap:test:OldBox$aws:s3/bucket:Bucket::legacy-data"
    )
    assert inherited_child_alias("aws:s3/bucket:Bucket", "other", BOX, old_box) == (
        "urn:pulumi:prod::tap::tap:test:OldBox$aws:s3/bucket:Bucket::other"
    )


def test_parent_aliases_multiply_out_over_the_childs_own() -> None:
    own = BUCKET.replace("::app-data", "::app-old")
    old_box = "urn:pulumi:prod::tap::tap:test:OldBox::app"
    assert with_inherited_aliases(
        [own], type_="aws:s3/bucket:Bucket", name="app-data", parent=BOX, parent_aliases=[old_box]
    ) == [
        own,
        "urn:pulumi:prod::tap::tap:test:OldBox$aws:s3/bucket:Bucket::app-data",
        "urn:pulumi:prod::tap::tap:test:OldBox$aws:s3/bucket:Bucket::app-old",
    ]


def test_no_parent_no_inherited_aliases() -> None:
    assert (
        with_inherited_aliases(
            [], type_="tap:test:Box", name="app", parent=None, parent_aliases=[BOX]
        )
        == []
    )
