"""Where a stack's config comes from: `parse` validates a raw `tap:` map, `load` reads Pulumi's.

`parse` fills in the environment's defaults, then validates the whole result once; what it
returns is exactly what the components get.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from tap.config.base import Environment, Region
from tap.config.defaults import ENVIRONMENT_DEFAULTS, with_defaults
from tap.config.errors import NAMESPACE, ConfigError, KeyedError, config_key, describe
from tap.config.stack import StackConfig


def _text_keys() -> frozenset[str]:
    """Keys whose value is a string: the engine's text is the value itself, never JSON."""
    text = (str, str | None, Environment, Region)
    return frozenset(
        field.alias or name
        for name, field in StackConfig.model_fields.items()
        if field.annotation in text
    )


@dataclass(frozen=True)
class ParsedConfig:
    config: StackConfig
    warnings: tuple[str, ...]


def decode_raw(values: Mapping[str, str]) -> dict[str, Any]:
    """Decode Pulumi's string config values: JSON for structured keys, text for string keys.

    `values` maps keys without the namespace (`regions`) to the strings the engine passes.
    """
    text_keys = _text_keys()
    decoded: dict[str, Any] = {}
    for key, text in values.items():
        if key in text_keys or not isinstance(text, str):
            decoded[key] = text
            continue
        try:
            decoded[key] = json.loads(text)
        except json.JSONDecodeError:
            decoded[key] = text
    return decoded


def parse(raw: Mapping[str, Any], stack: str) -> ParsedConfig:
    """Validate the `tap:` config of `stack` (keys without namespace) into a StackConfig."""
    data, warnings = with_defaults(raw, stack)
    try:
        config = StackConfig.model_validate(data)
    except KeyedError as exc:
        raise ConfigError(f"{config_key(*exc.key)} {exc.message}") from None
    except ValidationError as exc:
        raise ConfigError(describe(exc, data, StackConfig)) from None
    config._stack = stack
    if config.allowed_cidrs_unused:
        warnings = (
            f"{config_key('allowedCidrs')} is set, but it limits only a PRIVATE API's endpoint "
            f"and the bastion's SSH: with {config_key('api', 'endpointType')} REGIONAL and no "
            "bastion it has no effect (a REGIONAL API is reached over the internet; use PRIVATE "
            "to keep it to networks you list)",
            *warnings,
        )
    usual = ENVIRONMENT_DEFAULTS[config.environment]["regions"]
    if set(config.regions) != set(usual):
        warnings = (
            f"{config_key('regions')} is {', '.join(config.regions)}; {config.environment} "
            f"normally runs in {', '.join(usual)}",
            *warnings,
        )
    return ParsedConfig(config, warnings)


def load() -> ParsedConfig:
    """Read the `tap:` namespace of the running stack through pulumi.Config and validate it."""
    import pulumi  # noqa: PLC0415 - keeps this module importable without the Pulumi runtime

    config = pulumi.Config(NAMESPACE)
    raw = {}
    for key in all_keys_in_namespace():
        value = config.get(key)
        if value is not None:
            raw[key] = value
    return parse(decode_raw(raw), pulumi.get_stack())


def all_keys_in_namespace() -> list[str]:
    """Every `tap:` key the engine passed, so a misspelt key is refused rather than ignored."""
    from pulumi.runtime.config import CONFIG, get_config_env  # noqa: PLC0415

    prefix = f"{NAMESPACE}:"
    keys = set(CONFIG.get()) | set(get_config_env())
    return sorted(k[len(prefix) :] for k in keys if k.startswith(prefix))
