"""What each environment gets when its stack file leaves a key out.

Defaults are raw config, written the way a stack file writes it, and are merged into the
stack file's values before validation: the merged result is validated once, as a whole, so a
default is held to exactly the rules a user's value is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from tap.baseline import PROD_MIN_LOG_RETENTION_DAYS
from tap.config.base import ENVIRONMENTS, SUPPORTED_REGIONS, Region
from tap.config.errors import config_key
from tap.config.network import default_vpc_cidr

# Second octet of each environment's default VPC blocks: 10.<base + region index>.0.0/16.
CIDR_BASE = {"dev": 10, "staging": 20, "prod": 30}

_DEV: dict[str, Any] = {
    "regions": ["us-east-1", "us-west-2"],
    "allowedCidrs": [],
    "enableBastionSsh": False,
    "logRetentionDays": 30,
    "kmsDeletionWindowDays": 7,
    "tags": {},
    "manageAccountPasswordPolicy": False,
    "manageApiGatewayAccount": False,
    "allowedAccountIds": [],
    "storage": {
        "noncurrentVersionExpirationDays": 7,
        "abortIncompleteMultipartDays": 7,
        "replicationTimeControl": False,
    },
    "database": {
        "engineVersion": "16",
        "instanceClass": "db.serverless",
        "instanceCount": 1,
        "serverlessMinCapacity": 0,  # scales to zero when idle
        "serverlessMaxCapacity": 4,
        "backupRetentionDays": 1,
        "global": False,
        "logStatement": "ddl",
        "logMinDurationStatementMs": 500,
        "performanceInsights": True,
        "monitoringInterval": 0,
        "masterUsername": "tap_admin",
        "databaseName": "tap",
    },
    "function": {
        "memoryMb": 256,
        "timeoutSeconds": 10,
        "reservedConcurrency": 5,
        "runtime": "python3.12",
        "architecture": "arm64",
    },
    "api": {
        "endpointType": "REGIONAL",
        "throttlingBurstLimit": 20,
        "throttlingRateLimit": 10,
        "executionLogLevel": "INFO",
        "stageName": "v1",
    },
    # On by default in prod (and staging with a REGIONAL API): see with_defaults.
    "waf": {"rateLimit": 2000, "rateLimitWindowSeconds": 300},
    # `enabled` of waf, backup and codeSigning depends on other keys: see _control_defaults.
    "backup": {
        "retentionDays": 35,
        "copyRetentionDays": 35,
        "lockMinRetentionDays": 7,
        "lockMaxRetentionDays": 365,
    },
    # Signing costs nothing (Signer has no charge for Lambda); outside prod it only warns.
    "codeSigning": {"untrustedArtifactOnDeployment": "Warn"},
    "secretRotation": {"enabled": True, "days": 30},
    "monitoring": {
        "thresholds": {
            "lambdaErrors": 1,
            "lambdaThrottles": 1,
            "api5xxErrors": 1,
            "apiP99LatencyMs": 5000,
            "dbCpuPercent": 80,
            "dbFreeMemoryMb": 256,
            "dbConnections": 100,
            "dbConnectionErrors": 1,
            "dbCommitLatencyMs": 100,
            "dbForwardedWriteLatencyMs": 1000,
            "dbRpoLagMs": 30000,
            "replicationLatencySeconds": 900,
            "natPacketDrops": 100,
            "wafBlockedRequests": 1000,
        }
    },
}
# What a region's network gets, per environment; the CIDR comes from CIDR_BASE.
_NETWORK = {
    "dev": {"azCount": 2, "natStrategy": "single"},
    "staging": {"azCount": 2, "natStrategy": "single"},
    "prod": {"azCount": 3, "natStrategy": "perAz"},
}


def merged(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` on top of `base`, maps merged key by key; anything else is replaced whole."""
    result = {k: merged(v, {}) if isinstance(v, Mapping) else v for k, v in base.items()}
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


# staging and prod differ from dev only where written.
ENVIRONMENT_DEFAULTS: dict[str, dict[str, Any]] = {
    "dev": _DEV,
    "staging": merged(
        _DEV,
        {
            "regions": list(SUPPORTED_REGIONS),
            "kmsDeletionWindowDays": 14,
            "storage": {"noncurrentVersionExpirationDays": 30},
            "database": {
                "serverlessMinCapacity": 0.5,
                "serverlessMaxCapacity": 8,
                "backupRetentionDays": 7,
                "logMinDurationStatementMs": 1000,
                "monitoringInterval": 60,
            },
            "function": {"reservedConcurrency": 20},
            "api": {"throttlingBurstLimit": 50, "throttlingRateLimit": 25},
            "monitoring": {"thresholds": {"apiP99LatencyMs": 3000}},
        },
    ),
    "prod": merged(
        _DEV,
        {
            "regions": list(SUPPORTED_REGIONS),
            # A year of logs: what FSBP CloudWatch.16 (and tap's policy pack) ask of prod.
            "logRetentionDays": PROD_MIN_LOG_RETENTION_DAYS,
            "kmsDeletionWindowDays": 30,
            "storage": {"noncurrentVersionExpirationDays": 90, "replicationTimeControl": True},
            "database": {
                "instanceClass": "db.r6g.large",
                "instanceCount": 2,
                "serverlessMinCapacity": 0.5,
                "serverlessMaxCapacity": 16,
                "backupRetentionDays": 14,
                "global": True,
                "logMinDurationStatementMs": 1000,
                "monitoringInterval": 15,
            },
            "function": {"memoryMb": 512, "reservedConcurrency": 100},
            "codeSigning": {"untrustedArtifactOnDeployment": "Enforce"},
            "api": {
                "throttlingBurstLimit": 500,
                "throttlingRateLimit": 250,
                "executionLogLevel": "ERROR",
            },
            "monitoring": {
                "thresholds": {
                    "apiP99LatencyMs": 2000,
                    "dbFreeMemoryMb": 1024,
                    "dbConnections": 500,
                    "dbConnectionErrors": 5,
                    "dbCommitLatencyMs": 50,
                    "dbRpoLagMs": 10000,
                }
            },
        },
    ),
}


def with_defaults(raw: Mapping[str, Any], stack: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The stack file's `tap:` values with its environment's defaults filled in, and warnings.

    Values of the wrong shape are left as written, so validation reports them by key.
    """
    data = dict(raw)
    if "environment" not in data and stack in ENVIRONMENTS:
        data["environment"] = stack
    data.setdefault("environmentSuffix", stack)
    environment = data.get("environment")
    if not isinstance(environment, str) or environment not in ENVIRONMENT_DEFAULTS:
        return data, ()  # validation refuses the environment; there are no defaults to apply
    result = merged(ENVIRONMENT_DEFAULTS[environment], data)
    regions = result["regions"]
    if not (isinstance(regions, list) and regions and all(r in SUPPORTED_REGIONS for r in regions)):
        return result, ()  # validation refuses the regions; defaults per region wait for them
    result.setdefault("primaryRegion", regions[0])
    database, given_database = result["database"], raw.get("database")
    if isinstance(database, dict) and not (
        isinstance(given_database, Mapping) and "global" in given_database
    ):
        # prod's default global database needs a second region; a one-region stack runs regional.
        database["global"] = database["global"] and len(regions) > 1
    _control_defaults(result, raw, environment, regions)
    networks, warnings = _networks(environment, regions, data.get("networks", {}))
    result["networks"] = networks
    return result, warnings


def _control_defaults(
    result: dict[str, Any], raw: Mapping[str, Any], environment: str, regions: list[str]
) -> None:
    """Where a control is on unless the stack says otherwise:

    - waf: in prod, and in staging when its API is REGIONAL (public);
    - backup: in prod (the copy to another region needs a second region);
    - codeSigning: wherever the function is the zip (Lambda signs zip packages only).
    """
    api, function = result.get("api"), result.get("function")
    regional = isinstance(api, Mapping) and api.get("endpointType") == "REGIONAL"
    image = isinstance(function, Mapping) and function.get("dockerImageUri") is not None
    defaults = {
        "waf": environment == "prod" or (environment == "staging" and regional),
        "backup": environment == "prod",
        "codeSigning": not image,
    }
    for section, enabled in defaults.items():
        values, given = result.get(section), raw.get(section)
        if isinstance(values, dict) and not (isinstance(given, Mapping) and "enabled" in given):
            values["enabled"] = enabled


def _networks(environment: str, regions: list[str], given: Any) -> tuple[Any, tuple[str, ...]]:
    if not isinstance(given, Mapping):
        return given, ()
    networks: dict[str, Any] = {}
    for region in regions:
        default = {
            "cidr": default_vpc_cidr(CIDR_BASE[environment], cast(Region, region)),
            **_NETWORK[environment],
        }
        entry = given.get(region, {})
        networks[region] = merged(default, entry) if isinstance(entry, Mapping) else entry
    unused = sorted(r for r in given if r not in regions and r in SUPPORTED_REGIONS)
    # An unsupported region stays, so validation refuses its name.
    networks.update({r: v for r, v in given.items() if r not in SUPPORTED_REGIONS})
    warnings: tuple[str, ...] = ()
    if unused:
        warnings = (
            f"{config_key('networks')} has entries for {', '.join(unused)}, which "
            f"{config_key('regions')} does not list; they are ignored",
        )
    return networks, warnings
