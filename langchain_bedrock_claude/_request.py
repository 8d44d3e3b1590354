"""Checked parameters -> the boto3 call's arguments, and a raw response -> a :class:`Completion`.

Pure: both the sync and the async client call these, so each fact lives here once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ._errors import (
    BedrockClaudeError,
    GuardrailInterventionError,
    MalformedResponseError,
    ModelRetiredError,
    OnDemandNotSupportedError,
)
from ._formats import ParsedResponse, format_for
from ._formats._common import (
    GUARDRAIL_CONFIG,
    GUARDRAIL_INTERVENED,
    StreamParser,
    response_object,
)
from ._model_checks import ModelRuleWarning, check_count_tokens, unsupported_sampling
from ._models import Completion, CompletionChunk
from ._options import OPTIONS, BotoArgument
from ._params import CompletionParams, check_params
from ._routing import resolve_model
from ._warn import warn_caller

__all__ = [
    "PreparedRequest",
    "check_guardrail",
    "completion_from",
    "completion_of",
    "count_tokens_kwargs",
    "final_chunk",
    "prepare",
    "reroute",
]

_JSON = "application/json"
_BOTO_ARGUMENTS = tuple(
    (option.name, option.wire) for option in OPTIONS if isinstance(option.wire, BotoArgument)
)
_STREAM_MODES = {"sync": "SYNCHRONOUS", "async": "ASYNCHRONOUS"}
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":")).encode
"""``json.dumps(..., separators=(",", ":"))`` without a new encoder per request."""


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """Everything a driver needs to send one request and read its answer."""

    params: CompletionParams
    body: bytes
    wire: Any = None
    """What builds the body and reads the answer, if not the format of the model's API (the
    chat model's conversation: :class:`._formats.chat.ChatWire`)."""

    @property
    def model_id(self) -> str:
        """The model id or ARN, as given."""
        return self.params.model_id

    def boto_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``invoke_model`` / ``invoke_model_with_response_stream``."""
        options = self.params.options
        kwargs: dict[str, Any] = {
            "modelId": self.params.model_id,
            "body": self.body,
            "contentType": _JSON,
            "accept": _JSON,
        }
        # Each option declared as a boto3 argument (_options.OPTIONS), when set.
        for name, argument in _BOTO_ARGUMENTS:
            value = getattr(options, name)
            if value is not None:
                kwargs[argument.key] = value if argument.encode is None else argument.encode(value)
        return kwargs

    def new_parser(self) -> StreamParser:
        """A fresh parser for this request's stream events."""
        return (self.wire or format_for(self.params.api)).StreamParser()

    def parse_body(
        self, raw: bytes, headers: Mapping[str, str], request_id: str | None = None
    ) -> ParsedResponse:
        """Parse an InvokeModel response body of this request's API.

        Raises:
            MalformedResponseError: the body is not the API's response (with ``request_id``).
        """
        try:
            parsed: ParsedResponse = (self.wire or format_for(self.params.api)).parse_response(
                response_object(raw), headers
            )
        except MalformedResponseError as error:
            error.model_id, error.request_id, error.status_code = self.model_id, request_id, 200
            raise
        return parsed


def prepare(params: CompletionParams, *, stream: bool = False, wire: Any = None) -> PreparedRequest:
    """Build the request body (compact JSON) for the API the model speaks (or with ``wire``)."""
    body = (wire or format_for(params.api)).build_body(params)
    mode = params.options.guardrail_stream_processing_mode
    if stream and mode is not None:
        body[GUARDRAIL_CONFIG] = {"streamProcessingMode": _STREAM_MODES[mode]}
    return PreparedRequest(params, _COMPACT_JSON(body).encode(), wire)


def reroute(
    request: PreparedRequest, error: BedrockClaudeError, *, enabled: bool
) -> PreparedRequest | None:
    """The request to send instead, after ``error``, or ``None``.

    With ``auto_inference_profile`` (``enabled``): the profile Bedrock asked for. With the
    ``reroute_retired_models`` option: the retired model's successor (:func:`to_successor`).
    """
    if (
        isinstance(error, ModelRetiredError)
        and error.replacement is not None
        and request.params.options.reroute_retired_models
    ):
        return to_successor(request, error.replacement)
    if not enabled or not isinstance(error, OnDemandNotSupportedError):
        return None
    suggested = error.suggested_model_id
    if suggested is None or suggested == request.model_id:
        return None
    params = request.params
    model = resolve_model(suggested, params.model.api)
    return replace(request, params=replace(params, model=model))


def to_successor(request: PreparedRequest, successor: str) -> PreparedRequest:
    """``request`` rebuilt for the model ``successor``, with a warning naming both ids.

    The body is built again for the successor's API (a legacy Text Completions prompt becomes
    Messages turns), the sampling parameters it refuses are left out (named in the warning),
    and its rules are checked like any request's.

    Raises:
        InvalidParameterError: the request breaks a rule of the successor (a prefill, say).
    """
    params = request.params
    model = resolve_model(successor)
    sampling = {"temperature": params.temperature, "top_p": params.top_p, "top_k": params.top_k}
    refused = unsupported_sampling(model.rules, sampling) if model.rules is not None else ()
    left_out = ", ".join(map(repr, refused))
    warn_caller(
        f"{params.model_id} is retired on Bedrock: sent to its successor {successor} instead "
        "(reroute_retired_models)"
        + (f"; left out {left_out}, which it does not take." if refused else "."),
        ModelRuleWarning,
    )
    moved = check_params(
        model=successor,
        prompt=params.prompt,
        max_tokens=params.max_tokens,
        stop_sequences=params.stop_sequences,
        temperature=None if "temperature" in refused else params.temperature,
        top_p=None if "top_p" in refused else params.top_p,
        top_k=None if "top_k" in refused else params.top_k,
        system=params.system,
        extra_body=params.extra_body,
        options=params.options,
        max_tokens_name="max_tokens",
    )
    # prepare() adds the guardrail's stream mode to stream bodies only: keep what was sent.
    stream = GUARDRAIL_CONFIG in json.loads(request.body)
    return prepare(moved, stream=stream)


def _base_model_id(params: CompletionParams) -> str:
    """CountTokens takes the foundation model's id, not an inference profile's."""
    model = params.model
    identifier = (
        model.model_id.rsplit("/", 1)[-1] if model.model_id.startswith("arn:") else (model.model_id)
    )
    if model.geo and identifier.startswith(f"{model.geo}."):
        return identifier[len(model.geo) + 1 :]
    return identifier if model.family is not None else model.model_id


def count_tokens_kwargs(request: PreparedRequest) -> dict[str, Any]:
    """Arguments for ``count_tokens``: the same body InvokeModel would get."""
    params = request.params
    check_count_tokens(params.model)
    return {"modelId": _base_model_id(params), "input": {"invokeModel": {"body": request.body}}}


def completion_from(parsed: ParsedResponse, *, model_id: str, request_id: str | None) -> Completion:
    """The public result of a finished call or stream."""
    return Completion(
        completion=parsed.text,
        stop_reason=parsed.stop_reason,
        stop_sequence=parsed.stop_sequence,
        model_id=model_id,
        model=parsed.model,
        request_id=request_id,
        usage=parsed.usage,
        thinking=parsed.thinking,
        metadata=parsed.metadata,
    )


def completion_of(request: PreparedRequest, response: Mapping[str, Any], raw: bytes) -> Completion:
    """The result of an InvokeModel ``response`` (what boto3 returns) whose body is ``raw``."""
    metadata = response["ResponseMetadata"]
    request_id = metadata.get("RequestId")
    return completion_from(
        request.parse_body(raw, metadata.get("HTTPHeaders", {}), request_id),
        model_id=request.model_id,
        request_id=request_id,
    )


def check_guardrail(request: PreparedRequest, completion: Completion) -> None:
    """Raise :class:`GuardrailInterventionError` if asked to and a guardrail intervened."""
    if (
        completion.stop_reason == GUARDRAIL_INTERVENED
        and request.params.options.raise_on_guardrail_intervention
    ):
        raise GuardrailInterventionError(
            f"Guardrail {request.params.options.guardrail_identifier!r} intervened; Bedrock "
            f"answered with the guardrail's message: {completion.completion!r}. Change the "
            "prompt, or the guardrail's policies.",
            completion=completion.completion,
            trace=completion.metadata.get("guardrail_trace"),
            model_id=completion.model_id,
            request_id=completion.request_id,
        )


def final_chunk(completion: Completion) -> CompletionChunk:
    """The last, text-less piece of a stream, carrying the stream's metadata."""
    return CompletionChunk(
        completion="",
        stop_reason=completion.stop_reason,
        stop_sequence=completion.stop_sequence,
        model_id=completion.model_id,
        model=completion.model,
        request_id=completion.request_id,
        usage=completion.usage,
        metadata=completion.metadata,
    )
