"""A faithful local AWS Bedrock Runtime emulator for Claude, for tests and benchmarks.

Standard library only, and independent of the client in this package, so it checks
the client (and boto3, botocore, the Anthropic SDK) against Bedrock's real wire format::

    from langchain_bedrock_claude.testing import BedrockEmulator

    with BedrockEmulator() as emu:
        emu.reply("Hello there")            # the next answer, token by token
        emu.throttle(2)                     # ...after two 429s
        ...  # point boto3 (endpoint_url=emu.endpoint_url) or AnthropicBedrock at it
        assert emu.requests[-1].model_id == "anthropic.claude-3-haiku-20240307-v1:0"

Bedrock API keys (bearer tokens) need HTTPS: ``BedrockEmulator(tls=True)`` serves it with
a test-only certificate; pass ``verify=emu.ca_bundle`` to boto3. Guardrails
(``emu.add_guardrail``), service tiers, request metadata, thinking rules and prompt
caching behave as Bedrock's do, and so do tools: scripted tool calls
(``emu.reply(Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]))``), synthetic
calls valid against the tool's schema when ``tool_choice`` forces one, and Bedrock's checks of
``tools``, ``tool_choice``, ``tool_use``/``tool_result`` pairing, images and documents.

In pytest, use the ``bedrock_emulator`` fixture (see :mod:`.pytest_plugin`); from a
shell, ``python -m langchain_bedrock_claude.testing --port 8000`` (``--tls``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from ._emulator import BedrockEmulator
    from ._errors import BedrockError
    from ._guardrails import Guardrail
    from ._request import AuthScheme, EmulatedRequest, Headers
    from ._script import Reply, Responder, StreamMode, ToolCall

# Public name -> the module defining it. Imported on first use, so that loading the
# pytest plugin (at every pytest start-up) doesn't import the emulator.
_EXPORTS: dict[str, str] = {
    "AuthScheme": "._request",
    "BedrockEmulator": "._emulator",
    "BedrockError": "._errors",
    "EmulatedRequest": "._request",
    "Guardrail": "._guardrails",
    "Headers": "._request",
    "Reply": "._script",
    "Responder": "._script",
    "StreamMode": "._script",
    "ToolCall": "._script",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


__all__ = [
    "AuthScheme",
    "BedrockEmulator",
    "BedrockError",
    "EmulatedRequest",
    "Guardrail",
    "Headers",
    "Reply",
    "Responder",
    "StreamMode",
    "ToolCall",
]
