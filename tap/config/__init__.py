"""Typed, validated stack configuration (pure: no Pulumi calls at import time).

Every key lives in the `tap:` namespace of `Pulumi.<stack>.yaml`. `parse()` fills in the
environment's defaults and validates the result once, into the `StackConfig` the components
get, or raises `ConfigError` with one message that names the key and what is allowed.
`load()` is the thin adapter that reads the map from `pulumi.Config`.

One module per section: network (VPCs and allowed sources), database (Aurora and storage),
api (function, API and monitoring), dns (the global entry point), stack (the whole stack and
the rules across sections); defaults per environment, and the error messages, have their own.
"""

from tap.config.api import ApiConfig, FunctionConfig, MonitoringConfig, ThresholdsConfig
from tap.config.base import ENVIRONMENTS, SUPPORTED_REGIONS, Environment, Region
from tap.config.database import DatabaseConfig, StorageConfig
from tap.config.defaults import CIDR_BASE, ENVIRONMENT_DEFAULTS
from tap.config.dns import DnsConfig
from tap.config.errors import NAMESPACE, ConfigError, config_key
from tap.config.network import SMALLEST_VPC_PREFIX, RegionNetwork, default_vpc_cidr
from tap.config.source import ParsedConfig, all_keys_in_namespace, decode_raw, load, parse
from tap.config.stack import StackConfig

__all__ = [
    "CIDR_BASE",
    "ENVIRONMENTS",
    "ENVIRONMENT_DEFAULTS",
    "NAMESPACE",
    "SMALLEST_VPC_PREFIX",
    "SUPPORTED_REGIONS",
    "ApiConfig",
    "ConfigError",
    "DatabaseConfig",
    "DnsConfig",
    "Environment",
    "FunctionConfig",
    "MonitoringConfig",
    "ParsedConfig",
    "Region",
    "RegionNetwork",
    "StackConfig",
    "StorageConfig",
    "ThresholdsConfig",
    "all_keys_in_namespace",
    "config_key",
    "decode_raw",
    "default_vpc_cidr",
    "load",
    "parse",
]
