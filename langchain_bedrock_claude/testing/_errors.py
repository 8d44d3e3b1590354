"""Bedrock's error responses: names, statuses, namespaces and the real texts.

Every error the emulator sends is a :class:`BedrockError`: the HTTP status, the
``x-amzn-ErrorType`` name and namespace, and the ``{"message": ...}`` text. Texts quoted
from the recordings' README are the real ones; the others are marked as stand-ins.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

BEDROCK = "com.amazon.bedrock"
"""Namespace of Bedrock-level errors."""
CORAL_SERVICE = "com.amazon.coral.service"
"""Namespace of the AWS front door's authentication errors."""

THROTTLING_MESSAGE = "Too many requests, please wait before trying again."
INVALID_MODEL_MESSAGE = "The provided model identifier is invalid."
END_OF_LIFE_MESSAGE = (
    "This model version has reached the end of its life. "
    "Please refer to the AWS documentation for more details."
)
NO_COUNT_TOKENS_MESSAGE = "The provided model doesn't support counting tokens."
EXCLUSIVE_SAMPLING_MESSAGE = (
    "`temperature` and `top_p` cannot both be specified for this model. Please use only one."
)
PREFILL_MESSAGE = (
    "This model does not support assistant message prefill. The conversation must end with a "
    "user message."
)
"""A conversation ending with an assistant turn, 4.6 models on (smallmain/vscode-unify-chat-
provider#249; ericc-ch/copilot-api#261: the 4.5 ids still accept it)."""
SYSTEM_ROLE_UNSUPPORTED_MESSAGE = "role 'system' is not supported on this model"
"""A ``{"role": "system"}`` turn sent to Opus 4.7 (and, here, every later model but Opus
4.8), in any position: live Bedrock invoke-model, ValidationException (BerriAI/litellm#32831);
the Anthropic API answers the same for models before Opus 4.8 (LeenHawk/gproxy)."""
SYSTEM_ROLE_UNEXPECTED_MESSAGE = (
    'messages: Unexpected role "system". The Messages API accepts a top-level `system` '
    'parameter, not "system" as an input message role.'
)
"""The same turn sent to an older model (Haiku 4.5 and Sonnet 4.6 on live Bedrock,
BerriAI/litellm#32831, quoted up to "as an input message"; the end of the sentence is the
Anthropic API's classic text)."""
SYSTEM_FIRST_MESSAGE = (
    "messages.0: use the top-level 'system' parameter for the initial system prompt; the "
    "directive-only form (content: [] with output_config) is accepted at any position"
)
"""A system turn opening ``messages``: the Anthropic API's answer for Opus 4.8 and Opus 5
(LeenHawk/gproxy#209); unrecorded on Bedrock."""
INPUT_TOO_LONG_MESSAGE = "Input is too long for requested model."
"""A prompt beyond the context window (recorded: pydantic-ai, sonnet-4.5, Converse wraps it in
"The model returned the following errors: ")."""
STREAM_ERROR_MESSAGE = "Bedrock is unable to process your request."
INVALID_API_KEY_MESSAGE = "Authentication failed: Please make sure your API Key is valid."
"""A rejected Bedrock API key: HTTP 403 with the body ``{"Message": ...}`` (capital M), as
reported from real calls (ai4s-research/open-science#53, anomalyco/opencode#47073)."""


@dataclass(frozen=True)
class _Kind:
    status: int
    message: str
    namespace: str = BEDROCK


_KINDS: dict[str, _Kind] = {
    "ValidationException": _Kind(400, "Malformed input request, please reformat your input."),
    "ServiceQuotaExceededException": _Kind(
        400,
        "Your request exceeds the service quota for your account.",  # stand-in
    ),
    "AccessDeniedException": _Kind(
        403, "You don't have access to the model with the specified model ID."
    ),
    "ResourceNotFoundException": _Kind(404, END_OF_LIFE_MESSAGE),
    "ModelTimeoutException": _Kind(
        408,
        "Model has timed out in processing the request. Try your request again.",  # stand-in
    ),
    "ModelErrorException": _Kind(424, "The model returned an error."),  # stand-in
    "ModelStreamErrorException": _Kind(424, STREAM_ERROR_MESSAGE),
    "ThrottlingException": _Kind(429, THROTTLING_MESSAGE),
    "ModelNotReadyException": _Kind(
        429,
        "Model is not ready to serve inference requests. Try again later.",  # stand-in
    ),
    "InternalServerException": _Kind(
        500, "The system encountered an unexpected error during processing. Try your request again."
    ),
    "ServiceUnavailableException": _Kind(503, STREAM_ERROR_MESSAGE),
    "UnrecognizedClientException": _Kind(
        403, "The security token included in the request is invalid.", CORAL_SERVICE
    ),
    "ExpiredTokenException": _Kind(
        403, "The security token included in the request is expired", CORAL_SERVICE
    ),
    "InvalidSignatureException": _Kind(
        403,
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. "
        "Consult the service documentation for details.",
        CORAL_SERVICE,
    ),
    "MissingAuthenticationTokenException": _Kind(
        403, "Missing Authentication Token", CORAL_SERVICE
    ),
    "IncompleteSignatureException": _Kind(
        403, "Authorization header requires 'Credential' parameter.", CORAL_SERVICE
    ),
}


@dataclass(eq=False)
class BedrockError(Exception):
    """An error answer: status, ``x-amzn-ErrorType`` and ``{"message": ...}``."""

    status: int
    """HTTP status."""
    name: str
    """Error name, e.g. ``ValidationException``."""
    message: str
    """The ``message`` of the JSON body."""
    namespace: str = BEDROCK
    """The namespace part of ``x-amzn-ErrorType``."""
    message_key: str = "message"
    """The body's key for the text: ``message``, or ``Message`` for API-key rejections."""

    def __str__(self) -> str:
        return f"{self.status} {self.name}: {self.message}"

    @property
    def error_type(self) -> str:
        """The ``x-amzn-ErrorType`` header value."""
        return f"{self.name}:http://internal.amazon.com/coral/{self.namespace}/"

    @property
    def body(self) -> bytes:
        """The compact JSON body."""
        return json.dumps(
            {self.message_key: self.message}, separators=(",", ":"), ensure_ascii=False
        ).encode()


def make_error(
    name: str,
    *,
    status: int | None = None,
    message: str | None = None,
    namespace: str | None = None,
) -> BedrockError:
    """Build an error, filling the status, text and namespace Bedrock uses for ``name``.

    Args:
        name: Error name, e.g. ``ThrottlingException`` (unknown names are allowed).
        status: HTTP status; defaults to the modelled one, else 400.
        message: The text; defaults to the real (or a stand-in) text for ``name``.
        namespace: Defaults to ``com.amazon.coral.service`` for front-door auth errors
            and ``com.amazon.bedrock`` otherwise.

    Returns:
        The error.
    """
    kind = _KINDS.get(name, _Kind(400, f"{name}"))
    return BedrockError(
        status=kind.status if status is None else status,
        name=name,
        message=kind.message if message is None else message,
        namespace=kind.namespace if namespace is None else namespace,
    )


def invalid_api_key() -> BedrockError:
    """The 403 answer to a Bedrock API key (bearer token) the service doesn't accept.

    The status and ``{"Message": ...}`` body are as reported from real calls; the
    ``x-amzn-ErrorType`` name and namespace are a stand-in (no recording kept them).
    """
    return BedrockError(
        403, "AccessDeniedException", INVALID_API_KEY_MESSAGE, CORAL_SERVICE, message_key="Message"
    )


def validation_error(message: str) -> BedrockError:
    """A 400 ``ValidationException`` with ``message``."""
    return BedrockError(400, "ValidationException", message)


def malformed(problems: list[str]) -> BedrockError:
    """The schema-validation error: ``Malformed input request: <problems>, please ...``."""
    joined = "".join(problems)
    return validation_error(
        f"Malformed input request: {joined}, please reformat your input and try again."
    )


def stream_exception_message(exception_type: str) -> str:
    """The default text of a mid-stream exception frame, e.g. ``throttlingException``."""
    name = exception_type[:1].upper() + exception_type[1:]
    kind = _KINDS.get(name)
    return kind.message if kind is not None else STREAM_ERROR_MESSAGE
