"""What every config section shares: the model settings, and parsers used by several sections."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel

Environment = Literal["dev", "staging", "prod"]
Region = Literal["us-east-1", "us-west-2", "eu-central-1"]

ENVIRONMENTS: tuple[Environment, ...] = get_args(Environment)
SUPPORTED_REGIONS: tuple[Region, ...] = get_args(Region)


class Model(BaseModel):
    """A config section: camelCase keys, nothing unknown, nothing coerced, immutable.

    No `populate_by_name`: a stack file must spell each key the one documented way, so
    `tap:log_retention_days` is an unknown key rather than an alias of `logRetentionDays`.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        extra="forbid",
        frozen=True,
        strict=True,
        # Attribute docstrings become field descriptions: docs/configuration.md is built from them.
        use_attribute_docstrings=True,
    )


def _list_to_tuple(value: Any) -> Any:
    # Stack files hold lists; the resolved config is immutable. Anything else stays as written,
    # so strict validation still refuses a string or a map where a list belongs.
    return tuple(value) if isinstance(value, list) else value


# A YAML list, kept as a tuple.
AsTuple = BeforeValidator(_list_to_tuple)
Tuple = Annotated[tuple[str, ...], AsTuple]


def full_match(pattern: re.Pattern[str], value: str) -> bool:
    """The whole value matches: `$` alone would accept a trailing newline."""
    return pattern.fullmatch(value) is not None


def parse_ipv4_network(value: str) -> ipaddress.IPv4Network:
    """An IPv4 CIDR block with no host bits, or ValueError saying what is wrong with it."""
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an IPv4 CIDR block like 10.10.0.0/16 ({exc})") from None
    if not isinstance(network, ipaddress.IPv4Network):
        raise ValueError(f"{value!r} is IPv6; tap networks are IPv4 CIDR blocks")
    return network
