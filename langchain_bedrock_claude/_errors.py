"""The error tree: every error this package raises (translation lives in ``_translate``).

```
BedrockClaudeError                   root of everything this package raises
├── InvalidParameterError            bad argument, raised before any request (also a ValueError)
├── CredentialsError                 no usable AWS credentials or region, raised before any request
├── APIConnectionError               Bedrock could not be reached, or the connection broke
│   └── RequestTimeoutError          connect or read timeout (also a TimeoutError)
├── MalformedResponseError           a 200 answer that is not a Claude response (also a ValueError)
├── APIStatusError                   Bedrock answered with an error status
│   ├── AuthenticationError          401/403: signature, token or key missing, invalid or expired
│   ├── AccessDeniedError            403: the identity may not invoke this model
│   ├── ValidationError              400: Bedrock or the model rejected the request
│   │   ├── OnDemandNotSupportedError  400: the model needs an inference profile id
│   │   └── ContextOverflowError     400: the prompt is longer than the model's context window
│   ├── ModelNotFoundError           404 (or 400 "model identifier is invalid"): no such model
│   │   └── ModelRetiredError        the model reached end of life; names a replacement
│   ├── ThrottlingError              429: too many requests or tokens (retried)
│   ├── QuotaExceededError           400: a service quota is exhausted
│   ├── ModelNotReadyError           429: the model is not ready yet (retried)
│   ├── ModelTimeoutError            408: the model took too long (also a TimeoutError)
│   ├── ModelError                   424: the model failed while processing the request
│   ├── ConflictError                409 (or 400): a conflicting operation is in progress
│   └── ServiceError                 500, 502, 504 and other 5xx: internal error (retried)
│       └── ServiceUnavailableError  503: service unavailable (retried)
├── GuardrailInterventionError       a guardrail intervened (raise_on_guardrail_intervention=True)
├── StreamInterruptedError           a stream broke after text was delivered: carries partial_text
└── BatchJobError                    a batch job failed, stopped or expired: carries status
    ├── BatchJobTimeoutError         wait() reached its deadline first (also a TimeoutError)
    └── RecordNotProcessedError      one record of a job has no output (the job ended first)
```

Every error carries ``model_id``, ``status_code``, ``request_id`` and ``error_code`` where they are
known, and its message says what to do next. No message ever holds a secret: the translation
layer passes AWS's own messages through :func:`~langchain_bedrock_claude._redact.redact` first.

Each class is also the matching provider-agnostic error of ``langchain_core.exceptions``
(``ModelRateLimitError``, ``ModelTimeoutError``, ``ContextOverflowError``, ...) where the installed
langchain-core has it, so code and middleware catching those catch ours; with an older
langchain-core that lacks them, the classes are ours alone. ``is_retryable`` (langchain-core's
attribute) says what this package's own retry policy does with the error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._redact import redact

if TYPE_CHECKING:
    from langchain_core.exceptions import (
        ContextOverflowError as _CoreContextOverflow,
    )
    from langchain_core.exceptions import (
        ModelAPIError as _CoreAPIError,
    )
    from langchain_core.exceptions import (
        ModelAuthenticationError as _CoreAuthentication,
    )
    from langchain_core.exceptions import (
        ModelConnectionError as _CoreConnection,
    )
    from langchain_core.exceptions import (
        ModelError as _CoreModelError,
    )
    from langchain_core.exceptions import (
        ModelInvalidRequestError as _CoreInvalidRequest,
    )
    from langchain_core.exceptions import (
        ModelNotFoundError as _CoreNotFound,
    )
    from langchain_core.exceptions import (
        ModelPermissionDeniedError as _CorePermissionDenied,
    )
    from langchain_core.exceptions import (
        ModelRateLimitError as _CoreRateLimit,
    )
    from langchain_core.exceptions import (
        ModelTimeoutError as _CoreTimeout,
    )

    from ._models import Usage
else:

    def _core(name: str) -> type[Exception]:
        """langchain-core's error class ``name``, or a stand-in where this version lacks it.

        The provider-agnostic errors are recent (the 1.x line; this package accepts 0.3.30 and
        later). A stand-in is an empty class of its own, so a class may have two as bases.
        """
        try:
            from langchain_core import exceptions
        except ImportError:  # pragma: no cover - langchain-core is a dependency
            exceptions = None
        found = getattr(exceptions, name, None)
        if isinstance(found, type) and issubclass(found, Exception):
            return found
        return type(f"_Absent{name}", (Exception,), {"__module__": __name__})

    _CoreModelError = _core("ModelError")
    _CoreAuthentication = _core("ModelAuthenticationError")
    _CorePermissionDenied = _core("ModelPermissionDeniedError")
    _CoreInvalidRequest = _core("ModelInvalidRequestError")
    _CoreNotFound = _core("ModelNotFoundError")
    _CoreRateLimit = _core("ModelRateLimitError")
    _CoreAPIError = _core("ModelAPIError")
    _CoreConnection = _core("ModelConnectionError")
    _CoreTimeout = _core("ModelTimeoutError")
    _CoreContextOverflow = _core("ContextOverflowError")

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "AccessDeniedError",
    "AuthenticationError",
    "BatchJobError",
    "BatchJobTimeoutError",
    "BedrockClaudeError",
    "ConflictError",
    "ContextOverflowError",
    "CredentialsError",
    "GuardrailInterventionError",
    "InvalidParameterError",
    "MalformedResponseError",
    "ModelError",
    "ModelNotFoundError",
    "ModelNotReadyError",
    "ModelRetiredError",
    "ModelTimeoutError",
    "OnDemandNotSupportedError",
    "QuotaExceededError",
    "RecordNotProcessedError",
    "RequestTimeoutError",
    "ServiceError",
    "ServiceUnavailableError",
    "StreamInterruptedError",
    "ThrottlingError",
    "ValidationError",
]


class BedrockClaudeError(Exception):
    """Root of every error this package raises."""

    is_retryable = False
    """Whether this package's retry policy retries the error (langchain-core's attribute)."""

    def __init__(
        self,
        message: str,
        *,
        model_id: str | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
        error_code: str | None = None,
    ) -> None:
        message = redact(message)  # whoever built it: a secret never reaches str, repr or pickle
        super().__init__(message)
        self.message = message
        """What went wrong and what to do about it."""
        self.model_id = model_id
        """The model id or ARN of the request, if there was one."""
        self.status_code = status_code
        """The HTTP status Bedrock answered with, if it answered."""
        self.request_id = request_id
        """The AWS request id (``x-amzn-RequestId``), if Bedrock answered."""
        self.error_code = error_code
        """AWS's error code (e.g. ``ThrottlingException``), if there was one."""

    def __str__(self) -> str:
        facts = [
            f"{name}={value}"
            for name, value in (
                ("model", self.model_id),
                ("status", self.status_code),
                ("code", self.error_code),
                ("request_id", self.request_id),
            )
            if value is not None
        ]
        return f"{self.message} [{', '.join(facts)}]" if facts else self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only state survives pickling (multiprocessing, caches).
        return (_rebuild, (type(self), self.message, self.__dict__))


def _rebuild(cls: type[BedrockClaudeError], message: str, state: dict[str, Any]) -> Any:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class InvalidParameterError(BedrockClaudeError, ValueError):
    """An argument is missing, of the wrong type or out of range; raised before any request."""


class CredentialsError(BedrockClaudeError, _CoreAuthentication):
    """No usable AWS credentials or region could be found; raised before any request."""


class APIConnectionError(BedrockClaudeError, _CoreConnection):
    """Bedrock could not be reached, or the connection broke before a response was complete."""

    is_retryable = True


class RequestTimeoutError(APIConnectionError, TimeoutError, _CoreTimeout):
    """Connecting to Bedrock, or waiting for its next bytes, took longer than ``timeout``.

    Not retried: a read timeout means Bedrock accepted the request and went quiet, and another
    try would most likely wait just as long again, multiplying the caller's timeout.
    """

    is_retryable = False


class MalformedResponseError(BedrockClaudeError, ValueError, _CoreModelError):
    """Bedrock (or a proxy in front of it) answered 200 with a body that is not a Claude response.

    Raised for a body that is not JSON (a proxy's HTML page), or JSON of the wrong shape. Not
    retried: the model may have run (and been billed) already. Carries ``request_id``.
    """


class APIStatusError(BedrockClaudeError, _CoreModelError):
    """Bedrock answered with an error status; ``status_code`` and ``request_id`` say which."""


class AuthenticationError(APIStatusError, _CoreAuthentication):
    """The request's signature, security token or API key is missing, invalid or expired."""


class AccessDeniedError(APIStatusError, _CorePermissionDenied):
    """The caller's identity may not invoke this model (IAM, or model access not granted)."""


class ValidationError(APIStatusError, _CoreInvalidRequest):
    """Bedrock or the model rejected the request as invalid."""


class OnDemandNotSupportedError(ValidationError):
    """The model cannot be invoked on demand by its bare id; an inference profile id is needed."""

    def __init__(self, message: str, *, suggested_model_id: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.suggested_model_id = suggested_model_id
        """The inference profile id to use instead, where it could be derived."""


class ContextOverflowError(ValidationError, _CoreContextOverflow):
    """The prompt (with ``max_tokens``) is longer than the model's context window.

    Bedrock says "Input is too long for requested model."; shorten the prompt or use a model
    with a longer context.
    """


class ModelNotFoundError(APIStatusError, _CoreNotFound):
    """No model with this id exists in this region, or the id is malformed."""


class ModelRetiredError(ModelNotFoundError):
    """The model reached end of life on Bedrock; ``replacement`` names a current model."""

    def __init__(self, message: str, *, replacement: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.replacement = replacement
        """A current model id to use instead."""


class ThrottlingError(APIStatusError, _CoreRateLimit):
    """Too many requests or tokens per minute; retried with backoff up to ``max_retries``."""

    is_retryable = True


class QuotaExceededError(APIStatusError, _CoreRateLimit):
    """A Bedrock service quota is exhausted; not retried (a wait of seconds does not refill it)."""

    is_retryable = False


class ModelNotReadyError(APIStatusError, _CoreAPIError):
    """The model is not ready to serve yet; retried with backoff up to ``max_retries``."""

    is_retryable = True


class ModelTimeoutError(APIStatusError, TimeoutError, _CoreTimeout):
    """The model took too long to process the request; not retried."""

    is_retryable = False


class ModelError(APIStatusError, _CoreAPIError):
    """The model failed while processing the request (``ModelErrorException``, stream errors)."""

    is_retryable = False


class ConflictError(APIStatusError):
    """A conflicting operation is in progress."""


class ServiceError(APIStatusError, _CoreAPIError):
    """Bedrock (or a proxy before it) had an internal error; retried up to ``max_retries``."""

    is_retryable = True


class ServiceUnavailableError(ServiceError):
    """Bedrock is temporarily unavailable; retried with backoff up to ``max_retries``."""


class GuardrailInterventionError(BedrockClaudeError):
    """A Bedrock guardrail intervened; raised only with ``raise_on_guardrail_intervention``.

    ``completion`` holds the guardrail's replacement text and ``trace`` its trace, if enabled.
    """

    def __init__(self, message: str, *, completion: str = "", trace: Any = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.completion = completion
        """The text Bedrock returned in place of the model's (the guardrail's message)."""
        self.trace = trace
        """The guardrail trace (``amazon-bedrock-trace``), when tracing was enabled."""


class StreamInterruptedError(BedrockClaudeError, _CoreConnection):
    """A stream broke after text had been delivered; the text so far is in ``partial_text``.

    Raised for an error frame or a dropped connection mid-stream, and for a stream that ended
    without its final event: a short answer is never presented as complete.
    """

    def __init__(
        self, message: str, *, partial_text: str = "", usage: Usage | None = None, **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.partial_text = partial_text
        """The text received before the stream broke."""
        self.usage = usage
        """What was known of token usage when the stream broke (``None`` if nothing)."""


class BatchJobError(BedrockClaudeError):
    """A batch inference job ended without results to read (Failed, Expired), or was stopped.

    ``status`` is the job's status and ``job_arn`` its ARN; the message carries Bedrock's.
    """

    def __init__(
        self, message: str, *, status: str | None = None, job_arn: str | None = None, **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.status = status
        """The job's status when this was raised (``Failed``, ``Expired``, ...)."""
        self.job_arn = job_arn
        """The job's ARN."""


class BatchJobTimeoutError(BatchJobError, TimeoutError):
    """``wait()`` reached its deadline before the job ended; the job goes on running."""


class RecordNotProcessedError(BatchJobError):
    """A record of a batch job has no output: the job stopped or ran out of time first."""
