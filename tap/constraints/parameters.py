"""The Aurora PostgreSQL parameters tap sets, as AWS documents them: one small table.

No maintained machine-readable list of valid parameter names per family exists offline:
cfn-lint carries none, botocore's RDS model types a parameter as a free string, and AWS
publishes the lists only through the DescribeEngineDefault(Cluster)Parameters API. So this
table holds exactly the parameters tap sets, each with the level it belongs to (a cluster
parameter group, an instance parameter group, or both), whether it is static, the values it
accepts and the page that says so. A parameter outside the table is reported, so adding one
to tap/components/database.py means adding its documented row here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

CLUSTER = "cluster"
INSTANCE = "instance"

AURORA_PG_PARAMETERS_DOC = (
    "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/"
    "AuroraPostgreSQL.Reference.ParameterGroups.html"
)
POSTGRESQL_LOGGING_DOC = "https://www.postgresql.org/docs/current/runtime-config-logging.html"
POSTGRESQL_PRELOAD_DOC = (
    "https://www.postgresql.org/docs/current/runtime-config-client.html"
    "#GUC-SHARED-PRELOAD-LIBRARIES"
)
# RDS's Parameter.ApplyMethod: "immediate" only for dynamic parameters; "pending-reboot" for
# both (tests/constraints/test_parameters.py compares the values with botocore's RDS model).
APPLY_METHODS = ("immediate", "pending-reboot")
APPLY_METHOD_DOC = "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_Parameter.html"

PG_INT_MAX = 2147483647


@dataclass(frozen=True)
class ParameterRule:
    levels: frozenset[str]
    static: bool  # takes effect only at server start: RDS refuses ApplyMethod=immediate
    values: str  # what the accepted values are, for messages
    accepts: Callable[[str], bool]
    source: str


def _one_of(*allowed: str) -> Callable[[str], bool]:
    return lambda value: value in allowed


def _int_between(low: int, high: int) -> Callable[[str], bool]:
    def accepts(value: str) -> bool:
        try:
            number = int(value)
        except ValueError:
            return False
        return low <= number <= high and str(number) == value.strip()

    return accepts


def _library_list(value: str) -> bool:
    names = [part.strip() for part in value.split(",")]
    return all(name.replace("_", "").isalnum() and name.isascii() for name in names)


LOG_STATEMENT_VALUES = ("none", "ddl", "mod", "all")

PARAMETERS: dict[str, ParameterRule] = {
    "shared_preload_libraries": ParameterRule(
        frozenset({CLUSTER, INSTANCE}),
        static=True,
        values="a comma-separated list of library names",
        accepts=_library_list,
        source=f"{AURORA_PG_PARAMETERS_DOC}; {POSTGRESQL_PRELOAD_DOC}",
    ),
    # Cluster level only: the instance-level table of the Aurora page does not list it.
    "rds.force_ssl": ParameterRule(
        frozenset({CLUSTER}),
        static=False,
        values="0 or 1",
        accepts=_one_of("0", "1"),
        source=AURORA_PG_PARAMETERS_DOC,
    ),
    "log_statement": ParameterRule(
        frozenset({CLUSTER, INSTANCE}),
        static=False,
        values=" | ".join(LOG_STATEMENT_VALUES),
        accepts=_one_of(*LOG_STATEMENT_VALUES),
        source=f"{AURORA_PG_PARAMETERS_DOC}; {POSTGRESQL_LOGGING_DOC}",
    ),
    "log_min_duration_statement": ParameterRule(
        frozenset({CLUSTER, INSTANCE}),
        static=False,
        values=f"milliseconds from -1 (off) to {PG_INT_MAX}",
        accepts=_int_between(-1, PG_INT_MAX),
        source=f"{AURORA_PG_PARAMETERS_DOC}; {POSTGRESQL_LOGGING_DOC}",
    ),
}
