"""The two wire formats of Claude on Bedrock: pure functions, no I/O, no boto3.

Each format module offers ``build_body(params)``, ``parse_response(body, headers)`` and a
``StreamParser`` whose ``feed(event)`` turns one decoded stream event into text.
"""

from __future__ import annotations

from types import ModuleType

from .._types import Api
from . import messages, text_completions
from ._common import ParsedResponse

__all__ = ["ParsedResponse", "format_for"]

_FORMATS: dict[Api, ModuleType] = {"messages": messages, "text_completions": text_completions}


def format_for(api: Api) -> ModuleType:
    """The format module speaking ``api``."""
    return _FORMATS[api]
