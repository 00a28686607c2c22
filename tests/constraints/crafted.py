"""Crafted manifests: one resource at a time, shaped exactly as `tap plan` writes them."""

from __future__ import annotations

from typing import Any

from tap.constraints import Violation, check_manifest


def resource(
    type_token: str,
    inputs: dict[str, Any],
    name: str = "tap-test-use1-x",
    region: str = "us-east-1",
) -> dict[str, Any]:
    return {
        "urn": f"urn:pulumi:test::tap::{type_token}::{name}",
        "type": type_token,
        "name": name,
        "parent": None,
        "custom": True,
        "region": region,
        "protect": False,
        "retainOnDelete": False,
        "dependencies": [],
        "inputs": inputs,
    }


def violations(*resources: dict[str, Any]) -> list[Violation]:
    return check_manifest({"project": "tap", "stack": "test", "resources": list(resources)})


def only(found: list[Violation]) -> Violation:
    assert len(found) == 1, [v.message for v in found]
    return found[0]
