"""The one redaction mechanism: secrets out of error messages and log lines alike.

Two kinds of secret are removed. The values our clients were given (secret key, session token,
API key: :func:`register_secret` is called when a client is built) are removed wherever they
appear, so a gateway that echoes a session token in its error text cannot leak it. And anything
shaped like signing material (SigV4 signatures and credentials, bearer tokens, security-token
headers, Bedrock API keys) is removed whoever it belongs to.

No imports from the package: the error tree and the logging filter both stand on it.
"""

from __future__ import annotations

import re
import threading

__all__ = ["MIN_SECRET_LENGTH", "REDACTED", "redact", "register_secret"]

REDACTED = "<redacted>"
"""What a secret is replaced with."""
MIN_SECRET_LENGTH = 8
"""Shorter registered values are ignored: replacing a 3-letter value would mangle any text."""

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # SigV4 in query strings and Authorization headers (botocore's canonical request, AWS's
    # IncompleteSignatureException text).
    (re.compile(r"(Signature=)[0-9a-fA-F]+"), rf"\1{REDACTED}"),
    (re.compile(r"(Authorization=)\S+"), rf"\1{REDACTED}"),
    (re.compile(r"(Credential=)[^/\s,]+"), rf"\1{REDACTED}"),
    (re.compile(r"(Bearer\s+)\S+", re.IGNORECASE), rf"\1{REDACTED}"),
    (re.compile(r"(X-Amz-Security-Token=)\S+", re.IGNORECASE), rf"\1{REDACTED}"),
    # Header values as botocore logs them: {'Authorization': b'AWS4-HMAC-SHA256 ...'}.
    (
        re.compile(
            r"""(['"]?(?:Authorization|X-Amz-Security-Token)['"]?\s*:\s*b?['"])[^'"]*""",
            re.IGNORECASE,
        ),
        rf"\1{REDACTED}",
    ),
    # botocore.auth's "StringToSign"/"Signature:" debug lines: a SigV4 signature is 64 hex digits.
    (re.compile(r"(Signature:\s*)[0-9a-f]{64}"), rf"\1{REDACTED}"),
    (re.compile(r"(x-amz-security-token:)\S+", re.IGNORECASE), rf"\1{REDACTED}"),
    # Bedrock API keys (long-term keys start with ABSK; the short-term ones are presigned URLs
    # whose X-Amz-Security-Token and Signature the patterns above already catch).
    (re.compile(r"\bABSK[A-Za-z0-9+/=]{20,}"), REDACTED),
)

_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Redact ``value`` wherever it appears from now on (values under 8 chars are ignored)."""
    if value and len(value) >= MIN_SECRET_LENGTH:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """``text`` with registered secrets and anything secret-shaped replaced by ``<redacted>``."""
    # Longest first: a secret containing another is removed whole.
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
