"""Retry decisions: which errors are worth another try, and how long to wait first.

This package owns retries (botocore's are switched off), so the count a user sets is the count
that happens: ``max_retries=2`` means at most three requests.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from ._errors import (
    APIConnectionError,
    BedrockClaudeError,
    ModelNotReadyError,
    RequestTimeoutError,
    ServiceError,
    ThrottlingError,
)

__all__ = ["DEFAULT_MAX_RETRIES", "RetryPolicy", "should_retry"]

DEFAULT_MAX_RETRIES = 2
"""Retries after the first request, as in the Anthropic SDK."""

_RETRYABLE = (ThrottlingError, ModelNotReadyError, ServiceError, APIConnectionError)
# A read timeout means the service accepted the request and went quiet: another try would most
# likely wait just as long again, multiplying the caller's timeout. It is reported, not retried.
_NOT_RETRYABLE = (RequestTimeoutError,)


def should_retry(error: BedrockClaudeError) -> bool:
    """Whether ``error`` is transient: throttling, model not ready, 5xx, connection failures."""
    return isinstance(error, _RETRYABLE) and not isinstance(error, _NOT_RETRYABLE)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times to retry, and the exponential backoff (with jitter) between tries."""

    max_retries: int = DEFAULT_MAX_RETRIES
    """Retries after the first request; 0 turns retrying off."""
    initial_delay: float = 0.5
    """The wait before the first retry, in seconds (before jitter)."""
    max_delay: float = 8.0
    """The longest wait between two tries, in seconds."""
    jitter: Callable[[], float] = random.random

    def delay(self, error: BedrockClaudeError, attempt: int) -> float | None:
        """Seconds to wait before retry number ``attempt + 1``, or ``None`` not to retry."""
        if attempt >= self.max_retries or not should_retry(error):
            return None
        ceiling = min(self.max_delay, self.initial_delay * 2.0**attempt)
        # "Equal jitter": at least half the backoff, so retries never bunch up at zero.
        return ceiling / 2 + self.jitter() * ceiling / 2
