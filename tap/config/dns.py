"""`tap:dns`: the optional global entry point (one name, routed to healthy regions).

The rules are tap.dns's, shared with the component; this module names the keys. Only the
account knows the hosted zone's name and whether it is private: the program checks that at
`pulumi preview` (tap.components.entrypoint.checked_zone), with the same key names.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import field_validator

from tap import dns
from tap.config.base import Model
from tap.config.errors import KeyedError


class DnsConfig(Model):
    """`tap:dns`: one name for the stack's APIs. Without it, each region keeps its own URL."""

    zone_id: str
    """The Route 53 public hosted zone that holds `domainName`: its id alone (`Z...`, without
    `/hostedzone/`).
    """
    domain_name: str
    """The global name, inside the zone: lower case, no trailing dot, at most 64 characters (the
    certificate's common name). Each region also answers `<region>.<domainName>`.
    """
    routing: dns.Routing = dns.DEFAULT_ROUTING
    """`latency` (default when `tap:dns` is set: every healthy region serves its nearest clients)
    or `failover` (the primary region, then the nearest healthy other; needs a global
    database). Routes only to regions whose API has a database.
    """

    @field_validator("zone_id")
    @classmethod
    def _valid_zone_id(cls, value: str) -> str:
        return dns.validate_zone_id(value)

    @field_validator("domain_name")
    @classmethod
    def _valid_domain_name(cls, value: str) -> str:
        return dns.validate_domain_name(value)

    def check_for_stack(self, *, endpoint_type: str, regions: Sequence[str]) -> None:
        """The rules across sections: a public API, and enough regions to fail over to.

        `regions` are those the entry point routes to: the regions whose API has a database.
        """
        try:
            dns.check_endpoint_type(endpoint_type)
        except ValueError:
            raise KeyedError(
                ("dns",),
                f"is set, but tap:api.endpointType is {endpoint_type}: a PRIVATE API has no "
                "public host name, so Route 53's health checkers cannot reach its /health and "
                "a public record cannot route to it; use REGIONAL, or remove tap:dns (the "
                "API stays reachable through the VPC's execute-api endpoint)",
            ) from None
        try:
            dns.check_regions(self.routing, regions)
        except ValueError as exc:
            raise KeyedError(
                ("dns", "routing"),
                f"{exc} (the entry point routes only to regions whose API has a database: "
                "every region with tap:database.global, else tap:primaryRegion alone)",
            ) from None
