"""Checked parameters -> the boto3 call's arguments, and a raw response -> a :class:`Completion`.

Pure: both the sync and the async client call these, so each fact lives here once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._formats import ParsedResponse, format_for
from ._formats._common import StreamParser
from ._models import Completion, CompletionChunk
from ._params import CompletionParams

__all__ = ["PreparedRequest", "completion_from", "final_chunk", "prepare"]

_JSON = "application/json"


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """Everything a driver needs to send one request and read its answer."""

    params: CompletionParams
    body: bytes

    @property
    def model_id(self) -> str:
        """The model id or ARN, as given."""
        return self.params.model_id

    def boto_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``invoke_model`` / ``invoke_model_with_response_stream``."""
        return {
            "modelId": self.params.model_id,
            "body": self.body,
            "contentType": _JSON,
            "accept": _JSON,
        }

    def new_parser(self) -> StreamParser:
        """A fresh parser for this request's stream events."""
        parser: StreamParser = format_for(self.params.api).StreamParser()
        return parser

    def parse_body(self, raw: bytes, headers: Mapping[str, str]) -> ParsedResponse:
        """Parse an InvokeModel response body of this request's API."""
        parsed: ParsedResponse = format_for(self.params.api).parse_response(
            json.loads(raw), headers
        )
        return parsed


def prepare(params: CompletionParams) -> PreparedRequest:
    """Build the request body (compact JSON) for the API the model speaks."""
    body = format_for(params.api).build_body(params)
    return PreparedRequest(params, json.dumps(body, separators=(",", ":")).encode())


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
    )
