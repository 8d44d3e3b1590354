"""The error tree, and the one place foreign (botocore, urllib3) errors become ours.

```
BedrockClaudeError                   root of everything this package raises
├── InvalidParameterError            bad argument, raised before any request (also a ValueError)
├── CredentialsError                 no usable AWS credentials or region, raised before any request
├── APIConnectionError               Bedrock could not be reached, or the connection broke
│   └── RequestTimeoutError          connect or read timeout (also a TimeoutError)
├── APIStatusError                   Bedrock answered with an error status
│   ├── AuthenticationError          403: signature, token or key missing, invalid or expired
│   ├── AccessDeniedError            403: the identity may not invoke this model
│   ├── ValidationError              400: Bedrock or the model rejected the request
│   │   └── OnDemandNotSupportedError  400: the model needs an inference profile id
│   ├── ModelNotFoundError           404 (or 400 "model identifier is invalid"): no such model
│   │   └── ModelRetiredError        the model reached end of life; names a replacement
│   ├── ThrottlingError              429: too many requests or tokens (retried)
│   ├── QuotaExceededError           400: a service quota is exhausted
│   ├── ModelNotReadyError           429: the model is not ready yet (retried)
│   ├── ModelTimeoutError            408: the model took too long (also a TimeoutError)
│   ├── ModelError                   424: the model failed while processing the request
│   ├── ConflictError                400: a conflicting operation is in progress
│   └── ServiceError                 500: internal error (retried)
│       └── ServiceUnavailableError  503: service unavailable (retried)
├── GuardrailInterventionError       a guardrail intervened (raise_on_guardrail_intervention=True)
└── StreamInterruptedError           a stream broke after text was delivered: carries partial_text
```

Every error carries ``model_id``, ``status_code``, ``request_id`` and ``error_code`` where they are
known, and its message says what to do next. No message ever holds a secret: AWS's own messages are
passed through :func:`redact` first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ._model_rules import replacement_for
from ._regions import inference_profile_for

if TYPE_CHECKING:
    from ._models import Usage

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "AccessDeniedError",
    "AuthenticationError",
    "BedrockClaudeError",
    "ConflictError",
    "CredentialsError",
    "GuardrailInterventionError",
    "InvalidParameterError",
    "ModelError",
    "ModelNotFoundError",
    "ModelNotReadyError",
    "ModelRetiredError",
    "ModelTimeoutError",
    "OnDemandNotSupportedError",
    "QuotaExceededError",
    "RequestTimeoutError",
    "ServiceError",
    "ServiceUnavailableError",
    "StreamInterruptedError",
    "ThrottlingError",
    "ValidationError",
    "error_from_exception",
    "map_aws_errors",
    "redact",
]


class BedrockClaudeError(Exception):
    """Root of every error this package raises."""

    def __init__(
        self,
        message: str,
        *,
        model_id: str | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
        error_code: str | None = None,
    ) -> None:
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


class CredentialsError(BedrockClaudeError):
    """No usable AWS credentials or region could be found; raised before any request."""


class APIConnectionError(BedrockClaudeError):
    """Bedrock could not be reached, or the connection broke before a response was complete."""


class RequestTimeoutError(APIConnectionError, TimeoutError):
    """Connecting to Bedrock, or waiting for its next bytes, took longer than ``timeout``."""


class APIStatusError(BedrockClaudeError):
    """Bedrock answered with an error status; ``status_code`` and ``request_id`` say which."""


class AuthenticationError(APIStatusError):
    """The request's signature, security token or API key is missing, invalid or expired."""


class AccessDeniedError(APIStatusError):
    """The caller's identity may not invoke this model (IAM, or model access not granted)."""


class ValidationError(APIStatusError):
    """Bedrock or the model rejected the request as invalid."""


class OnDemandNotSupportedError(ValidationError):
    """The model cannot be invoked on demand by its bare id; an inference profile id is needed."""

    def __init__(self, message: str, *, suggested_model_id: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.suggested_model_id = suggested_model_id
        """The inference profile id to use instead, where it could be derived."""


class ModelNotFoundError(APIStatusError):
    """No model with this id exists in this region, or the id is malformed."""


class ModelRetiredError(ModelNotFoundError):
    """The model reached end of life on Bedrock; ``replacement`` names a current model."""

    def __init__(self, message: str, *, replacement: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.replacement = replacement
        """A current model id to use instead."""


class ThrottlingError(APIStatusError):
    """Too many requests or tokens per minute; retried with backoff up to ``max_retries``."""


class QuotaExceededError(APIStatusError):
    """A Bedrock service quota is exhausted; not retried."""


class ModelNotReadyError(APIStatusError):
    """The model is not ready to serve yet; retried with backoff up to ``max_retries``."""


class ModelTimeoutError(APIStatusError, TimeoutError):
    """The model took too long to process the request; not retried."""


class ModelError(APIStatusError):
    """The model failed while processing the request (``ModelErrorException``, stream errors)."""


class ConflictError(APIStatusError):
    """A conflicting operation is in progress."""


class ServiceError(APIStatusError):
    """Bedrock had an internal error; retried with backoff up to ``max_retries``."""


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


class StreamInterruptedError(BedrockClaudeError):
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


# --- botocore -> ours ------------------------------------------------------------------------

_STATUS_ERRORS: dict[str, tuple[type[APIStatusError], str]] = {
    # AWS error code (first letter upper-cased: stream frames use lowerCamelCase) -> class, advice
    "AccessDeniedException": (
        AccessDeniedError,
        "Check the IAM policy allows bedrock:InvokeModel on this model and that model access is "
        "granted in the Bedrock console for this region.",
    ),
    "UnrecognizedClientException": (
        AuthenticationError,
        "Check the AWS access key id (or API key) and the region.",
    ),
    "InvalidSignatureException": (
        AuthenticationError,
        "Check the secret access key and that this machine's clock is correct.",
    ),
    "IncompleteSignatureException": (
        AuthenticationError,
        "The request was not signed properly; check the credentials given to the client.",
    ),
    "MissingAuthenticationTokenException": (
        AuthenticationError,
        "The request was not signed; configure AWS credentials or an API key.",
    ),
    "ExpiredTokenException": (
        AuthenticationError,
        "Refresh the temporary credentials (session token) and try again.",
    ),
    "InvalidClientTokenId": (AuthenticationError, "Check the AWS access key id."),
    "ValidationException": (ValidationError, "Fix the request as the message says."),
    "ResourceNotFoundException": (
        ModelNotFoundError,
        "Check the model id and region; list available models with `aws bedrock "
        "list-foundation-models`.",
    ),
    "ThrottlingException": (
        ThrottlingError,
        "Slow down, raise max_retries, or request a higher quota.",
    ),
    "ServiceQuotaExceededException": (
        QuotaExceededError,
        "Request a quota increase in the Service Quotas console.",
    ),
    "ModelNotReadyException": (ModelNotReadyError, "Wait and try again."),
    "ModelTimeoutException": (
        ModelTimeoutError,
        "Shorten the prompt or max_tokens, or stream the response.",
    ),
    "ModelErrorException": (ModelError, "Try again; if it persists, change the request."),
    "ModelStreamErrorException": (ModelError, "Try again; if it persists, change the request."),
    "ConflictException": (ConflictError, "Wait for the other operation to finish and retry."),
    "InternalServerException": (ServiceError, "Try again later."),
    "InternalFailure": (ServiceError, "Try again later."),
    "ServiceUnavailableException": (ServiceUnavailableError, "Try again later."),
    "ServiceUnavailable": (ServiceUnavailableError, "Try again later."),
}

_REDACTIONS = (
    (re.compile(r"(Signature=)[0-9a-fA-F]+"), r"\1<redacted>"),
    (re.compile(r"(Authorization=)\S+"), r"\1<redacted>"),
    (re.compile(r"(Credential=)[^/\s,]+"), r"\1<redacted>"),
    (re.compile(r"(Bearer\s+)\S+", re.IGNORECASE), r"\1<redacted>"),
    (re.compile(r"(X-Amz-Security-Token=)\S+", re.IGNORECASE), r"\1<redacted>"),
    (re.compile(r"\bABSK[A-Za-z0-9+/=]{20,}"), "<redacted>"),
)

_INVALID_MODEL_ID = "model identifier is invalid"
_END_OF_LIFE = ("end of its life", "marked by provider as legacy")
_ON_DEMAND = "on-demand throughput isn"


def redact(text: str) -> str:
    """Remove anything secret-looking (signatures, tokens, API keys) from a message."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def status_error(
    code: str,
    message: str,
    *,
    model_id: str | None,
    status_code: int | None,
    request_id: str | None,
    region: str | None = None,
) -> APIStatusError:
    """Build our error for an AWS error ``code`` and ``message`` (the one table lookup)."""
    normalized = code[:1].upper() + code[1:]
    cls, advice = _STATUS_ERRORS.get(normalized, (APIStatusError, "Check the request and retry."))
    message = redact(message or "(no message)")
    lowered = message.lower()
    facts: dict[str, Any] = {
        "model_id": model_id,
        "status_code": status_code,
        "request_id": request_id,
        "error_code": code,
    }
    if any(marker in lowered for marker in _END_OF_LIFE):
        replacement = replacement_for(model_id or "")
        hint = (
            f"use a current model such as {replacement!r}" if replacement else "use a current model"
        )
        return ModelRetiredError(
            f"Bedrock: {message} This model is retired; {hint}.", replacement=replacement, **facts
        )
    if _INVALID_MODEL_ID in lowered:
        return ModelNotFoundError(
            f"Bedrock: {message} Check the model id (or inference profile / ARN) and region.",
            **facts,
        )
    if _ON_DEMAND in lowered:
        suggestion = inference_profile_for(model_id or "", region)
        hint = (
            f"use the inference profile id {suggestion!r}"
            if suggestion
            else "use an inference profile id (e.g. prefix the id with 'us.', 'eu.' or 'apac.')"
        )
        return OnDemandNotSupportedError(
            f"Bedrock: {message} This model needs an inference profile: {hint}, or pass "
            "auto_inference_profile=True.",
            suggested_model_id=suggestion,
            **facts,
        )
    return cls(f"Bedrock: {message} {advice}", **facts)


def error_from_exception(
    exc: BaseException,
    *,
    model_id: str | None,
    request_id: str | None = None,
    region: str | None = None,
) -> BedrockClaudeError | None:
    """Translate a botocore or urllib3 exception into ours; ``None`` if it is not theirs."""
    # Imported here so the pure layers stay importable and testable without touching botocore.
    from botocore import exceptions as bce
    from urllib3 import exceptions as u3e

    if isinstance(exc, BedrockClaudeError):
        return exc
    if isinstance(exc, bce.ClientError):
        error = exc.response.get("Error", {})
        metadata = exc.response.get("ResponseMetadata", {})
        return status_error(
            str(error.get("Code") or "Unknown"),
            str(error.get("Message") or ""),
            model_id=model_id,
            status_code=metadata.get("HTTPStatusCode"),
            request_id=metadata.get("RequestId") or request_id,
            region=region,
        )
    facts: dict[str, Any] = {"model_id": model_id, "request_id": request_id}
    if isinstance(exc, bce.NoCredentialsError | bce.PartialCredentialsError):
        return CredentialsError(
            "No AWS credentials found. Pass access_key/secret_key, a profile, or configure "
            "the default chain (AWS_ACCESS_KEY_ID, ~/.aws/credentials, SSO, an IAM role); "
            "for an offline try, use the built-in emulator.",
            **facts,
        )
    if isinstance(exc, bce.NoRegionError):
        return CredentialsError(
            "No AWS region configured. Pass region=..., or set AWS_REGION / AWS_DEFAULT_REGION.",
            **facts,
        )
    if isinstance(exc, bce.ProfileNotFound):
        return CredentialsError(
            f"AWS profile not found: {exc.kwargs.get('profile')!r}. Check ~/.aws/config.", **facts
        )
    if isinstance(exc, bce.ConnectTimeoutError | bce.ReadTimeoutError | u3e.TimeoutError):
        return RequestTimeoutError(
            f"Timed out waiting for Bedrock ({type(exc).__name__}). Raise `timeout`, or check "
            "the network path to the endpoint.",
            **facts,
        )
    if isinstance(
        exc,
        bce.EndpointConnectionError
        | bce.ConnectionClosedError
        | bce.HTTPClientError
        | u3e.HTTPError
        | ConnectionError,
    ):
        return APIConnectionError(
            f"Connection to Bedrock failed ({type(exc).__name__}). Check the network, region "
            "and endpoint_url; transient failures are retried up to max_retries.",
            **facts,
        )
    if isinstance(exc, bce.BotoCoreError):
        return BedrockClaudeError(f"AWS SDK error: {redact(str(exc))}", **facts)
    return None


@contextmanager
def map_aws_errors(
    model_id: str | None, *, request_id: str | None = None, region: str | None = None
) -> Iterator[None]:
    """Re-raise botocore and urllib3 errors inside the block as ours, chained ``from`` them."""
    try:
        yield
    except Exception as exc:
        mapped = error_from_exception(exc, model_id=model_id, request_id=request_id, region=region)
        if mapped is None or mapped is exc:
            raise
        raise mapped from exc
