"""A faithful local AWS Bedrock Runtime emulator for Claude, for tests and benchmarks.

Standard library only, and independent of the client in this package, so it checks
the client (and boto3, botocore, the Anthropic SDK) against Bedrock's real wire format::

    from langchain_bedrock_claude.testing import BedrockEmulator

    with BedrockEmulator() as emu:
        emu.reply("Hello there")            # the next answer, token by token
        emu.throttle(2)                     # ...after two 429s
        ...  # point boto3 (endpoint_url=emu.endpoint_url) or AnthropicBedrock at it
        assert emu.requests[-1].model_id == "anthropic.claude-3-haiku-20240307-v1:0"

In pytest, use the ``bedrock_emulator`` fixture (see :mod:`.pytest_plugin`); from a
shell, ``python -m langchain_bedrock_claude.testing --port 8000``.
"""

from ._emulator import BedrockEmulator, StreamMode
from ._errors import BedrockError
from ._request import EmulatedRequest, Headers
from ._script import Reply, Responder

__all__ = [
    "BedrockEmulator",
    "BedrockError",
    "EmulatedRequest",
    "Headers",
    "Reply",
    "Responder",
    "StreamMode",
]
