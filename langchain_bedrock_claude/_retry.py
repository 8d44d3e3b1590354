"""Retry decisions: which errors are worth another try, and how long to wait first.

This package owns retries (botocore's are switched off), so the count a user sets is the count
that happens: ``max_retries=2`` means at most three requests.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._errors import BedrockClaudeError
    from ._request import PreparedRequest

__all__ = [
    "DEFAULT_INITIAL_DELAY",
    "DEFAULT_MAX_DELAY",
    "DEFAULT_MAX_RETRIES",
    "RetryPolicy",
    "Tries",
    "should_retry",
]

DEFAULT_MAX_RETRIES = 2
"""Retries after the first request, as in the Anthropic SDK."""
DEFAULT_INITIAL_DELAY = 0.5
"""Seconds before the first retry (before jitter), as in the Anthropic SDK."""
DEFAULT_MAX_DELAY = 8.0
"""The longest wait between two tries, in seconds, as in the Anthropic SDK."""


def should_retry(error: BedrockClaudeError) -> bool:
    """Whether ``error`` is transient: throttling, model not ready, 5xx, connection failures.

    Each class says so itself (``is_retryable``, langchain-core's attribute): a read timeout is
    a connection error that is not retried (see :class:`RequestTimeoutError`).
    """
    return error.is_retryable


def _invalid(message: str) -> Exception:
    # Imported when needed: the error tree loads langchain-core (its base classes), and the
    # command's --help reads DEFAULT_MAX_RETRIES without loading either.
    from ._errors import InvalidParameterError

    return InvalidParameterError(message)


def _check_seconds(name: str, value: object) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise _invalid(
            f"RetryPolicy's {name!r} must be a finite number of seconds of at least 0 "
            f"(got {value!r})."
        )


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times to retry, and the exponential backoff (with jitter) between tries.

    Every value is checked when the policy is made: a bad one raises
    :class:`InvalidParameterError` before any request.
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    """Retries after the first request; 0 turns retrying off."""
    initial_delay: float = DEFAULT_INITIAL_DELAY
    """The wait before the first retry, in seconds (before jitter)."""
    max_delay: float = DEFAULT_MAX_DELAY
    """The longest wait between two tries, in seconds."""
    jitter: Callable[[], float] = random.random
    """A number in [0, 1) drawn per retry (``random.random``); the wait is at least half the
    backoff and at most all of it."""

    def __post_init__(self) -> None:
        retries = self.max_retries
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise _invalid(
                f"RetryPolicy's 'max_retries' must be an integer of at least 0 (got {retries!r})."
            )
        _check_seconds("initial_delay", self.initial_delay)
        _check_seconds("max_delay", self.max_delay)
        if not callable(self.jitter):
            raise _invalid(
                f"RetryPolicy's 'jitter' must be a callable returning a number in [0, 1) "
                f"(got {self.jitter!r})."
            )

    def delay(self, error: BedrockClaudeError, attempt: int) -> float | None:
        """Seconds to wait before retry number ``attempt + 1``, or ``None`` not to retry."""
        if attempt >= self.max_retries or not should_retry(error):
            return None
        ceiling = min(self.max_delay, self.initial_delay * 2.0**attempt)
        # "Equal jitter": at least half the backoff, so retries never bunch up at zero.
        return ceiling / 2 + self.jitter() * ceiling / 2


class Tries:
    """What one call has tried so far, and what it sends next after an error.

    A reroute (to the inference profile Bedrock asked for, at most once) is sent at once and is
    not a retry; every retry counts against the policy's ``max_retries``, whatever its wait.
    """

    def __init__(self, policy: RetryPolicy, *, auto_inference_profile: bool) -> None:
        self._policy = policy
        self._auto_profile = auto_inference_profile
        self.retries = 0
        """Retries made so far."""
        self.rerouted = False

    def after(
        self, request: PreparedRequest, error: BedrockClaudeError
    ) -> tuple[PreparedRequest, float] | None:
        """The request to send next and the seconds to wait first, or ``None`` to give up."""
        if not self.rerouted:
            from ._request import reroute  # not at import: the command's --help reads this module

            other = reroute(request, error, enabled=self._auto_profile)
            if other is not None:
                self.rerouted = True
                return other, 0.0
        delay = self._policy.delay(error, self.retries)
        if delay is None:
            return None
        self.retries += 1
        return request, delay
