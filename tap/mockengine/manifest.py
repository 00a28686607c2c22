"""What the program registered, as the plan manifest (a contract: only add fields).

The fields are documented in README ("The plan manifest") and docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tap.mockengine import PROJECT
from tap.mockengine.recording import Registration
from tap.urns import with_inherited_aliases


def build_manifest(
    stack: str,
    registrations: Iterable[Registration],
    outputs: dict[str, Any],
    project: str = PROJECT,
) -> dict[str, Any]:
    ordered = sorted(registrations, key=lambda r: r.urn)
    provider_regions = {
        r.urn: r.inputs.get("region") for r in ordered if r.type.startswith("pulumi:providers:")
    }
    by_urn = {r.urn: r for r in ordered}
    regions: dict[str, str | None] = {}
    aliases: dict[str, list[str]] = {}

    def region_of(reg: Registration) -> str | None:
        if reg.urn in regions:
            return regions[reg.urn]
        region: str | None
        own = reg.inputs.get("region")
        if isinstance(own, str):
            region = own
        elif reg.custom:
            region = provider_regions.get(_provider_urn(reg.provider) or "")
        elif "aws" in reg.providers:
            region = provider_regions.get(_provider_urn(reg.providers["aws"]) or "")
        elif reg.parent in by_urn:
            region = region_of(by_urn[reg.parent])
        else:
            region = None
        regions[reg.urn] = region
        return region

    def aliases_of(reg: Registration) -> list[str]:
        """Declared aliases, then those inherited from every ancestor's aliases."""
        if reg.urn not in aliases:
            parent = by_urn.get(reg.parent or "")
            aliases[reg.urn] = with_inherited_aliases(
                reg.aliases,
                type_=reg.type,
                name=reg.name,
                parent=reg.parent,
                parent_aliases=aliases_of(parent) if parent else (),
            )
        return aliases[reg.urn]

    resources = [
        {
            "urn": r.urn,
            "type": r.type,
            "name": r.name,
            "parent": r.parent,
            "custom": r.custom,
            "region": region_of(r),
            "protect": r.protect,
            "retainOnDelete": r.retain_on_delete,
            "dependencies": r.dependencies,
            "inputs": r.inputs,
            "aliases": aliases_of(r),
        }
        for r in ordered
    ]
    return {"project": project, "stack": stack, "resources": resources, "outputs": outputs}


def _provider_urn(reference: str | None) -> str | None:
    return reference.rsplit("::", 1)[0] if reference else None
