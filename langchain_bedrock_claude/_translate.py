"""Foreign errors (botocore, urllib3, the event stream) -> the error tree, by table.

Two tables decide everything:

* :data:`_CODES` maps an AWS error code (``ThrottlingException``; stream frames spell it
  ``throttlingException``) to our class and its advice. A code it does not know (a new one, a
  proxy's, none at all) falls back on the HTTP status through :data:`_BY_STATUS`, so a 503 whose
  type is ``InternalError`` or a 502 HTML page is still a retried :class:`ServiceError`.
* :func:`_exception_table` maps foreign exception types to a builder; the most specific entry
  wins (the first type of the exception's MRO that has one), so the order of rows is no
  contract, as in httpx's ``map_httpcore_exceptions``.

The advice that needs model knowledge (the replacement of a retired model, the inference profile
of a bare id) is written here, so the error tree itself knows nothing of models or regions.
Every message is redacted, and so is the foreign exception we chain ``from``: a secret echoed by
a server appears neither in our error nor in its ``__cause__``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from types import TracebackType
from typing import Any

from ._errors import (
    AccessDeniedError,
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    BedrockClaudeError,
    ConflictError,
    ContextOverflowError,
    CredentialsError,
    ModelError,
    ModelNotFoundError,
    ModelNotReadyError,
    ModelRetiredError,
    ModelTimeoutError,
    OnDemandNotSupportedError,
    QuotaExceededError,
    RequestTimeoutError,
    ServiceError,
    ServiceUnavailableError,
    ThrottlingError,
    ValidationError,
)
from ._model_rules import replacement_for
from ._redact import redact
from ._regions import inference_profile_for, with_geo_of

__all__ = ["error_from_exception", "map_aws_errors", "status_error"]

_RETRY_LATER = "Try again later."
_MODEL_FAILED = "Try again; if it persists, change the request."

_CODES: dict[str, tuple[type[APIStatusError], str]] = {
    # AWS error code (first letter upper-cased) -> class, advice. Every error shape of botocore's
    # bedrock-runtime and bedrock service models has a row (tests/unit/test_translate.py walks
    # them); the others are the codes AWS's common front end answers with before the service.
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
    "TooManyTagsException": (ValidationError, "Use fewer tags on the resource."),
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
    "ModelErrorException": (ModelError, _MODEL_FAILED),
    "ModelStreamErrorException": (ModelError, _MODEL_FAILED),
    "ConflictException": (ConflictError, "Wait for the other operation to finish and retry."),
    "ResourceInUseException": (
        ConflictError,
        "The resource is in use; wait for the operation using it to finish.",
    ),
    "InternalServerException": (ServiceError, _RETRY_LATER),
    "InternalFailure": (ServiceError, _RETRY_LATER),
    "ServiceUnavailableException": (ServiceUnavailableError, _RETRY_LATER),
    "ServiceUnavailable": (ServiceUnavailableError, _RETRY_LATER),
}

_BY_STATUS: dict[int, tuple[type[APIStatusError], str]] = {
    # An unknown or missing error code: the HTTP status decides (the statuses botocore's model
    # gives the codes above, plus 401 and the proxy statuses 502 and 504).
    400: (ValidationError, "Fix the request as the message says."),
    401: (AuthenticationError, "Check the credentials or API key."),
    403: (AccessDeniedError, "Check the credentials and the IAM policy."),
    404: (ModelNotFoundError, "Check the model id, region and endpoint_url."),
    408: (ModelTimeoutError, "Shorten the prompt or max_tokens, or stream the response."),
    409: (ConflictError, "Wait for the other operation to finish and retry."),
    424: (ModelError, _MODEL_FAILED),
    429: (ThrottlingError, "Slow down, raise max_retries, or request a higher quota."),
    500: (ServiceError, _RETRY_LATER),
    502: (ServiceError, "A proxy or gateway failed; try again later."),
    503: (ServiceUnavailableError, _RETRY_LATER),
    504: (ServiceError, "A proxy or gateway timed out; try again later."),
}
_OTHER_SERVER_ERROR = (ServiceError, _RETRY_LATER)
"""Any other 5xx."""
_UNKNOWN = (APIStatusError, "Check the request and retry.")
"""An unknown code with a status that says nothing more (or no status at all)."""

# Markers in AWS's message that say more than its code.
_INVALID_MODEL_ID = "model identifier is invalid"
_END_OF_LIFE = ("end of its life", "marked by provider as legacy")
_ON_DEMAND = "on-demand throughput isn"
# Bedrock's two wordings of a prompt over the context window, both as a ValidationException:
# "The model returned the following errors: Input is too long for requested model." (recorded:
# recordings/pydantic-ai/test_context_window_exceeded[bedrock_claude].yaml) and "The model
# returned the following errors: prompt is too long: 200049 tokens > 200000 maximum" (quoted
# with its request id in github.com/daisuke-awaji/moca/issues/254).
_CONTEXT_OVERFLOW = ("input is too long", "prompt is too long")


def _class_for(code: str, status_code: int | None) -> tuple[type[APIStatusError], str]:
    """The row for ``code``, else for ``status_code``: the most specific knowledge wins."""
    known = _CODES.get(code[:1].upper() + code[1:])
    if known is not None:
        return known
    if status_code is None:
        return _UNKNOWN
    if status_code in _BY_STATUS:
        return _BY_STATUS[status_code]
    return _OTHER_SERVER_ERROR if 500 <= status_code <= 599 else _UNKNOWN


def status_error(
    code: str,
    message: str,
    *,
    model_id: str | None,
    status_code: int | None,
    request_id: str | None,
    region: str | None = None,
) -> APIStatusError:
    """Our error for an AWS error ``code``, ``message`` and HTTP status."""
    cls, advice = _class_for(code, status_code)
    message = redact(message or "(no message)")
    lowered = message.lower()
    facts: dict[str, Any] = {
        "model_id": model_id,
        "status_code": status_code,
        "request_id": request_id,
        "error_code": code or None,
    }
    if any(marker in lowered for marker in _END_OF_LIFE):
        replacement = replacement_for(model_id or "")
        if replacement is not None:
            replacement = with_geo_of(replacement, model_id or "", region)
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
    if issubclass(cls, ValidationError) and any(m in lowered for m in _CONTEXT_OVERFLOW):
        return ContextOverflowError(
            f"Bedrock: {message} Shorten the prompt (or max_tokens), or use a model with a "
            "longer context window.",
            **facts,
        )
    return cls(f"Bedrock: {message} {advice}", **facts)


# --- foreign exception types -> a builder ------------------------------------------------------

_Builder = Callable[[BaseException, dict[str, Any], str | None], BedrockClaudeError]
"""Builds our error from the foreign one, the facts known (model and request id), the region."""


def _from_client_error(exc: BaseException, facts: dict[str, Any], region: str | None) -> Any:
    response: dict[str, Any] = getattr(exc, "response", None) or {}
    error = response.get("Error") or {}
    metadata = response.get("ResponseMetadata") or {}
    return status_error(
        str(error.get("Code") or ""),
        str(error.get("Message") or ""),
        model_id=facts["model_id"],
        status_code=metadata.get("HTTPStatusCode"),
        request_id=metadata.get("RequestId") or facts["request_id"],
        region=region,
    )


def _fixed(cls: type[BedrockClaudeError], text: str) -> _Builder:
    """A builder of ``cls`` with a fixed message (``{name}``: the foreign type's name)."""

    def build(exc: BaseException, facts: dict[str, Any], region: str | None) -> Any:
        return cls(text.format(name=type(exc).__name__), **facts)

    return build


def _profile_not_found(exc: BaseException, facts: dict[str, Any], region: str | None) -> Any:
    profile = getattr(exc, "kwargs", {}).get("profile")
    return CredentialsError(f"AWS profile not found: {profile!r}. Check ~/.aws/config.", **facts)


def _sdk_error(exc: BaseException, facts: dict[str, Any], region: str | None) -> Any:
    return BedrockClaudeError(f"AWS SDK error: {exc}", **facts)


_NO_CREDENTIALS = _fixed(
    CredentialsError,
    "No AWS credentials found. Pass access_key/secret_key, a profile, or configure the default "
    "chain (AWS_ACCESS_KEY_ID, ~/.aws/credentials, SSO, an IAM role); for an offline try, use "
    "the built-in emulator.",
)
_TIMEOUT = _fixed(
    RequestTimeoutError,
    "Timed out waiting for Bedrock ({name}). Raise `timeout`, or check the network path to the "
    "endpoint.",
)
_CONNECTION = _fixed(
    APIConnectionError,
    "Connection to Bedrock failed ({name}). Check the network, region and endpoint_url; "
    "transient failures are retried up to max_retries.",
)


@cache
def _exception_table() -> dict[type[BaseException], _Builder]:
    """Foreign type -> builder. Built on first use: botocore loads with the first client."""
    from botocore import eventstream
    from botocore import exceptions as bce
    from urllib3 import exceptions as u3e

    return {
        bce.ClientError: _from_client_error,  # EventStreamError (stream frames) is one
        bce.NoCredentialsError: _NO_CREDENTIALS,
        bce.PartialCredentialsError: _NO_CREDENTIALS,
        bce.NoRegionError: _fixed(
            CredentialsError,
            "No AWS region configured. Pass region=..., or set AWS_REGION / AWS_DEFAULT_REGION.",
        ),
        bce.ProfileNotFound: _profile_not_found,
        bce.ConnectTimeoutError: _TIMEOUT,
        bce.ReadTimeoutError: _TIMEOUT,
        u3e.TimeoutError: _TIMEOUT,
        # urllib3 2 makes NewConnectionError a ConnectTimeoutError for old callers' sake; it is
        # a refused or failed connection, not a timeout.
        u3e.NewConnectionError: _CONNECTION,
        bce.ConnectionError: _CONNECTION,  # EndpointConnectionError, SSLError, proxy errors
        bce.ConnectionClosedError: _CONNECTION,
        bce.HTTPClientError: _CONNECTION,
        u3e.HTTPError: _CONNECTION,  # ProtocolError ("Connection broken"), ...
        ConnectionError: _CONNECTION,  # the builtin: ConnectionResetError, BrokenPipeError
        eventstream.ParserError: _fixed(
            APIConnectionError,
            "Bedrock's response stream arrived corrupted ({name}); the request can be retried.",
        ),
        bce.BotoCoreError: _sdk_error,
    }


def _builder_for(exc: BaseException) -> _Builder | None:
    """The most specific builder: the first type in ``exc``'s MRO the table has."""
    table = _exception_table()
    return next((table[kind] for kind in type(exc).__mro__ if kind in table), None)


def _redact_in_place(exc: BaseException) -> None:
    """Redact the text of ``exc`` and of the exceptions it chains, which tracebacks print."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.args = tuple(redact(a) if isinstance(a, str) else a for a in current.args)
        kwargs = getattr(current, "kwargs", None)  # BotoCoreError re-formats from these
        if isinstance(kwargs, dict):
            for key, value in kwargs.items():
                if isinstance(value, str):
                    kwargs[key] = redact(value)
        error = (getattr(current, "response", None) or {}).get("Error")
        if isinstance(error, dict) and isinstance(error.get("Message"), str):
            error["Message"] = redact(error["Message"])
        current = current.__cause__ or current.__context__


def error_from_exception(
    exc: BaseException,
    *,
    model_id: str | None,
    request_id: str | None = None,
    region: str | None = None,
) -> BedrockClaudeError | None:
    """Translate a botocore, urllib3 or connection exception into ours; ``None`` if not theirs.

    One of ours is returned as it is.
    """
    if isinstance(exc, BedrockClaudeError):
        return exc
    builder = _builder_for(exc)
    if builder is None:
        return None
    _redact_in_place(exc)
    return builder(exc, {"model_id": model_id, "request_id": request_id}, region)


class map_aws_errors:  # lower case: used as the function it was, ``with map_aws_errors(...)``
    """Re-raise foreign errors inside the block as ours, chained ``from`` them.

    Our own errors pass through as they are (never as their own ``__cause__``), and so does
    anything that is not a translated foreign error. A class rather than a generator: it is
    around every call, and entering and leaving it is then two plain method calls.
    """

    __slots__ = ("_model_id", "_region", "_request_id")

    def __init__(
        self, model_id: str | None, *, request_id: str | None = None, region: str | None = None
    ) -> None:
        self._model_id = model_id
        self._request_id = request_id
        self._region = region

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:  # never swallows: an error leaves as it is, or as ours
        if not isinstance(exc, Exception):
            return  # no error, or KeyboardInterrupt and the like: as they are
        mapped = error_from_exception(
            exc, model_id=self._model_id, request_id=self._request_id, region=self._region
        )
        if mapped is not None and mapped is not exc:
            raise mapped from exc
