"""The two wire formats of Claude on Bedrock: pure functions, no I/O, no boto3.

Each format module is a :class:`WireFormat`: ``build_body(params)``,
``parse_response(body, headers)`` and a ``StreamParser`` whose ``feed(event)`` turns one decoded
stream event into text. mypy checks both modules against the protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from .._types import Api
from . import messages, text_completions
from ._common import ParsedResponse
from ._common import StreamParser as StreamParserType

if TYPE_CHECKING:
    from .._params import CompletionParams

__all__ = ["ParsedResponse", "WireFormat", "format_for"]


class WireFormat(Protocol):
    """What a wire format module offers (``messages``, ``text_completions``)."""

    def build_body(self, params: CompletionParams) -> dict[str, Any]:
        """The request body (a JSON object) for checked parameters."""
        ...

    def parse_response(self, body: Mapping[str, Any], headers: Mapping[str, str]) -> ParsedResponse:
        """A complete InvokeModel response body (decoded JSON) and its headers."""
        ...

    @property
    def StreamParser(self) -> Callable[[], StreamParserType]:
        """A fresh parser of this format's stream events."""
        ...


_FORMATS: dict[Api, WireFormat] = {"messages": messages, "text_completions": text_completions}


def format_for(api: Api) -> WireFormat:
    """The format speaking ``api``."""
    return _FORMATS[api]
