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
caching behave as Bedrock's do.

In pytest, use the ``bedrock_emulator`` fixture (see :mod:`.pytest_plugin`); from a
shell, ``python -m langchain_bedrock_claude.testing --port 8000`` (``--tls``).
"""

from ._emulator import BedrockEmulator, StreamMode
from ._errors import BedrockError
from ._guardrails import Guardrail
from ._request import AuthScheme, EmulatedRequest, Headers
from ._script import Reply, Responder

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
]
