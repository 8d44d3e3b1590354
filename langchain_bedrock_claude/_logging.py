"""Keep secrets out of log lines, botocore's included.

At DEBUG level botocore logs each request's headers (the ``Authorization`` signature and the
``X-Amz-Security-Token`` session token) and its canonical request. A filter on those loggers
rewrites such records before any handler sees them: it removes the secrets our clients were
given and anything shaped like a signature or token. It only ever redacts; nothing else about
botocore's logging changes.
"""

from __future__ import annotations

import logging
import re
import threading

from ._errors import redact

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
_HEADER_VALUES = re.compile(
    r"""(['"]?(?:Authorization|X-Amz-Security-Token)['"]?\s*:\s*b?['"])[^'"]*""", re.IGNORECASE
)
_SIGNATURE_LINE = re.compile(r"(Signature:\s*)[0-9a-f]{64}")
_TOKEN_LINE = re.compile(r"(x-amz-security-token:)\S+", re.IGNORECASE)

_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False


def register_secret(value: str | None) -> None:
    """Redact ``value`` wherever it appears in a log line (values under 8 chars are ignored)."""
    if value and len(value) >= 8:
        with _lock:
            _secrets.add(value)


def scrub(text: str) -> str:
    """``text`` with registered secrets and secret-shaped values removed."""
    for secret in tuple(_secrets):
        if secret in text:
            text = text.replace(secret, "<redacted>")
    text = _HEADER_VALUES.sub(r"\1<redacted>", text)
    text = _SIGNATURE_LINE.sub(r"\1<redacted>", text)
    text = _TOKEN_LINE.sub(r"\1<redacted>", text)
    return redact(text)


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record: leave it for logging to report
            return True
        cleaned = scrub(message)
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
