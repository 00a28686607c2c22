"""JSON logs for the functions: one object per line on stdout, with the invocation's context.

Never log a password, token, DSN or secret value: log settings with `db.Settings.describe()`.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, Final

ENV_LOG_LEVEL: Final = "TAP_LOG_LEVEL"

# Fields every log line of the current invocation carries (request ids, route).
log_context: ContextVar[dict[str, Any] | None] = ContextVar("tap_log_context", default=None)


_LINE_JSON: Final = json.JSONEncoder(default=str)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, message, the invocation's context, the
    record's own `fields` and, for exceptions, the traceback (escaped, so still one line)."""

    def format(self, record: logging.LogRecord) -> str:
        seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        entry: dict[str, Any] = {
            "timestamp": f"{seconds}.{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(log_context.get() or {})
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return _LINE_JSON.encode(entry)


logger = logging.getLogger("tap.api")
# The Lambda runtime gives the root logger a plain-text handler: keep our lines off it, or
# every line would be written twice, once not as JSON.
logger.propagate = False
log_handler = logging.StreamHandler(sys.stdout)
log_handler.set_name("tap-json")
log_handler.setFormatter(JsonFormatter())
for _old in [h for h in logger.handlers if h.get_name() == "tap-json"]:
    logger.removeHandler(_old)  # a re-import must not log every line twice
logger.addHandler(log_handler)
logger.setLevel(logging.INFO)


def log(level: int, message: str, *, exc_info: bool = False, **fields: Any) -> None:
    """One JSON line, as JsonFormatter writes it, without a LogRecord or the caller lookup:
    the API logs every request, and the logging machinery cost more than the line itself.
    A line with a traceback goes through logging (JsonFormatter formats it)."""
    if not logger.isEnabledFor(level):
        return
    if exc_info:
        record = logger.makeRecord(
            logger.name, level, "", 0, message, (), sys.exc_info(), extra={"fields": fields}
        )
        logger.handle(record)
        return
    now = time.time()
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
    entry: dict[str, Any] = {
        "timestamp": f"{seconds}.{int(now % 1 * 1000):03d}Z",
        "level": logging.getLevelName(level),
        "logger": logger.name,
        "message": message,
    }
    entry.update(log_context.get() or {})
    entry.update(fields)
    stream = log_handler.stream
    stream.write(_LINE_JSON.encode(entry) + "\n")
    stream.flush()


def configure_level() -> None:
    name = os.environ.get(ENV_LOG_LEVEL, "INFO").strip().upper()
    logger.setLevel(logging.getLevelNamesMapping().get(name, logging.INFO))
