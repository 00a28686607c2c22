"""What the API promises, written once for the handler and for the infrastructure around it.

- The request limits of `POST /records`: the handler enforces them, and the program builds API
  Gateway's request model from them (tap.components.api), so a body the model admits is one the
  handler can store.
- The response headers: the handler sets them, and so do API Gateway's own error responses.
- The environment variables the handler reads besides the database's (`db.py` has those).
- The log messages that mean "the database could not be reached or logged in to": the alarms
  count them (a CloudWatch Logs metric filter on the function's log group,
  tap.components.monitoring).

Only constants: the Pulumi program imports this module at plan time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

# POST /records: the body, before any parsing, and the record's fields.
MAX_BODY_BYTES: Final = 64 * 1024
MAX_TYPE_LENGTH: Final = 128
RECORD_FIELDS: Final = frozenset({"type", "payload"})

# Every response carries these, the handler's and API Gateway's own (its gateway responses).
SECURITY_HEADERS: Final[Mapping[str, str]] = {
    "Content-Type": "application/json",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

ENV_ENVIRONMENT: Final = "TAP_ENVIRONMENT"
ENV_VERSION: Final = "TAP_VERSION"

# The `message` of the JSON log lines written when a request or a health check could not reach
# the database or obtain its credentials (the answer is a 503).
LOG_DATABASE_UNAVAILABLE: Final = "database unavailable"
LOG_HEALTH_DATABASE_UNAVAILABLE: Final = "health: database unavailable"
LOG_HEALTH_NO_CREDENTIALS: Final = "health: no database credentials"
CONNECTION_ERROR_MESSAGES: Final = (
    LOG_DATABASE_UNAVAILABLE,
    LOG_HEALTH_DATABASE_UNAVAILABLE,
    LOG_HEALTH_NO_CREDENTIALS,
)
