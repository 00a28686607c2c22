"""The security floors tap holds itself to (pure), in one place.

The components build to them, the policy pack enforces them before a deploy, and tap verify
checks them afterwards, so the three can never disagree on a number.
"""

from __future__ import annotations

# CIS AWS Foundations 1.8-1.9, FSBP IAM.7/15/16/17: the account password policy.
PASSWORD_MIN_LENGTH = 14
PASSWORD_MAX_AGE_DAYS = 90
PASSWORD_REUSE_PREVENTION = 24

# FSBP CloudWatch.16 asks a year of logs; tap asks it of prod.
PROD_MIN_LOG_RETENTION_DAYS = 365
# Aurora backups in prod (FSBP RDS.11/RDS.50 default to 7 days).
PROD_MIN_BACKUP_RETENTION_DAYS = 7

# AWS Backup recovery points of prod's Aurora cluster: at least as long as its automated backups.
PROD_MIN_AWS_BACKUP_RETENTION_DAYS = 7
# FSBP SecretsManager.4: secrets rotated within 90 days (the control's default).
PROD_MAX_SECRET_ROTATION_DAYS = 90
