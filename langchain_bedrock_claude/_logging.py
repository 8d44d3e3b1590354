"""Keep secrets out of log lines, botocore's included.

At DEBUG level botocore logs each request's headers (the ``Authorization`` signature and the
``X-Amz-Security-Token`` session token) and its canonical request. A filter on those loggers
rewrites such records before any handler sees them: it removes the secrets our clients were
given and anything shaped like a signature or token. It only ever redacts; nothing else about
botocore's logging changes.
"""

from __future__ import annotations

import logging
import threading

from ._redact import redact, register_secret

__all__ = ["install_redaction", "register_secret"]

# Every botocore logger that prints request headers, signing material or credentials.
_LOGGERS = (
    "botocore.auth",
    "botocore.awsrequest",
    "botocore.credentials",
    "botocore.endpoint",
    "botocore.hooks",
    "botocore.httpsession",
    "botocore.parsers",
    "botocore.retryhandler",
    "botocore.utils",
    "urllib3.connectionpool",
)

_lock = threading.Lock()
_installed = False


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record: leave it for logging to report
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_redaction() -> None:
    """Attach the redacting filter to botocore's loggers (once per process)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    redacting = _RedactingFilter()
    for name in _LOGGERS:
        logging.getLogger(name).addFilter(redacting)
