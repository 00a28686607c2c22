"""The AWS limits tap checks against (pure), each defined once with where it comes from.

Limits AWS states only in its documentation live here. Values AWS publishes as data are read
from that data instead (tap.awsdata): the retention values CloudWatch Logs accepts, the Aurora
PostgreSQL versions offered for new clusters, and the instance classes orderable per region.
Config validation, the components, the docs and (through these names) the policy rules use
this module, so a limit cannot be written down twice and drift.
"""

from __future__ import annotations

# --- Lambda (Lambda Developer Guide, "Lambda quotas") -------------------------------------------

LAMBDA_MIN_MEMORY_MB = 128  # "Function memory allocation: 128 MB to 10,240 MB"
LAMBDA_MAX_MEMORY_MB = 10_240
# Lambda's own timeout limit (900 s) is never reached: API Gateway's 29 s below is the bound.
# "Concurrent executions: 1,000" (the default regional quota): a larger reservation fails.
LAMBDA_CONCURRENCY_QUOTA = 1_000

# --- API Gateway (API Gateway Developer Guide, "Amazon API Gateway quotas") ---------------------

# "Maximum integration timeout: 50 milliseconds - 29 seconds" for REST APIs (the default; a
# quota increase can raise it for Regional APIs, at the cost of account throttling).
API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS = 29
# "Throttle quota per account, per Region across HTTP, REST, WebSocket: 10,000 RPS, burst 5,000":
# a stage limit above the account's own is never reached.
API_GATEWAY_MAX_RATE_LIMIT = 10_000
API_GATEWAY_MAX_BURST_LIMIT = 5_000
# CreateStage: "Stage names can only contain alphanumeric characters, hyphens, and underscores.
# Maximum length is 128 characters." (tap allows the subset without hyphens.)
API_GATEWAY_STAGE_NAME_MAX_LENGTH = 128

# --- Tags (Tagging AWS Resources, "Tag naming limits and requirements") -------------------------

MAX_TAGS_PER_RESOURCE = 50  # "Maximum number of tags per resource: 50"
TAG_KEY_MAX_LENGTH = 128  # "Maximum key length: 128 Unicode characters in UTF-8"
TAG_VALUE_MAX_LENGTH = 256  # "Maximum value length: 256 Unicode characters in UTF-8"
RESERVED_TAG_PREFIX = "aws:"  # "Do not use aws:, AWS:, or any upper or lowercase combination"

# --- Aurora PostgreSQL (Aurora User Guide) -------------------------------------------------------

# "Aurora Replicas: up to 15 per DB cluster", plus the writer.
AURORA_MAX_INSTANCES = 16
# "Backup retention period: 1 to 35 days" (CreateDBCluster BackupRetentionPeriod).
AURORA_MIN_BACKUP_RETENTION_DAYS = 1
AURORA_MAX_BACKUP_RETENTION_DAYS = 35
# Serverless v2 capacity: "from 0 to 256 ACUs, in increments of 0.5 ACU"; the smallest non-zero
# minimum is 0.5, and the maximum must be at least 1.
AURORA_MAX_ACU = 256
AURORA_ACU_STEP = 0.5
AURORA_MIN_MAX_ACU = 1
# Serverless v2 exists from these minors of each major ("Supported Regions and Aurora DB engines
# for Aurora Serverless v2"); later majors support it from their first release.
AURORA_SERVERLESS_V2_SINCE = {13: 6, 14: 3, 15: 2, 16: 1}
# A minimum of 0 ACUs (automatic pause) exists from these minors ("Scaling to zero ACUs with
# automatic pause and resume"); later majors support it from their first release.
AURORA_SCALE_TO_ZERO_SINCE = {13: 15, 14: 12, 15: 7, 16: 3, 17: 4}
# Enhanced Monitoring: "MonitoringInterval ... Valid Values: 0, 1, 5, 10, 15, 30, 60".
AURORA_MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)
# Performance Insights keeps 7 days free; longer retention is billed.
PERFORMANCE_INSIGHTS_FREE_RETENTION_DAYS = 7
# Master username and initial database name: "1 to 63 letters or numbers ... First character
# must be a letter"; rdsadmin and these defaults are refused or reserved.
AURORA_NAME_MAX_LENGTH = 63
AURORA_RESERVED_USERNAMES = frozenset({"postgres", "rdsadmin", "admin", "root", "master"})
# Global databases: "burstable DB instance classes (db.t*) are not supported".
AURORA_BURSTABLE_CLASS_PREFIX = "db.t"
AURORA_SERVERLESS_CLASS = "db.serverless"
# PostgreSQL integer parameters (log_min_duration_statement) are 32-bit signed.
POSTGRES_MAX_INT = 2_147_483_647

# --- KMS (KMS Developer Guide, "Deleting AWS KMS keys") ------------------------------------------

KMS_MIN_DELETION_WINDOW_DAYS = 7  # "a waiting period of 7-30 days"
KMS_MAX_DELETION_WINDOW_DAYS = 30

# --- VPC (Amazon VPC User Guide, "VPC CIDR blocks") ----------------------------------------------

VPC_LARGEST_PREFIX = 16  # "The allowed block size is between a /16 netmask ... and /28"
SUBNET_SMALLEST_PREFIX = 28  # the same range applies to subnets

# --- Accounts and ECR ----------------------------------------------------------------------------

ACCOUNT_ID_DIGITS = 12  # "An AWS account ID is a 12-digit number"
# ECR image tags: "up to 128 characters ... [a-zA-Z0-9-_.]" (PutImage imageTag).
ECR_TAG_MAX_LENGTH = 128

# --- SNS email subscriptions ---------------------------------------------------------------------

EMAIL_MAX_LENGTH = 254  # RFC 5321's limit on a forward path, which SNS enforces on endpoints
