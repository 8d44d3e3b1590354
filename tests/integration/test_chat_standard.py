"""langchain-tests' ChatModelIntegrationTests on ChatBedrockClaude, against the emulator.

The capability flags say what Bedrock's Claude really does; the emulator answers as Bedrock
would. The standard tests download a PNG and a PDF from the internet; this machine has no
network, so ``httpx.get`` serves the same kinds of file, made here (a real PNG, a real PDF),
and the model still sends them through the emulator's media checks.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests

from langchain_bedrock_claude import ChatBedrockClaude
from langchain_bedrock_claude.testing import BedrockEmulator, Reply, ToolCall

from .conftest import CREDENTIALS, SONNET_45


def png_bytes(width: int = 4, height: int = 4) -> bytes:
    """A real (tiny, grey) PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def pdf_bytes(text: str = "Dummy PDF file") -> bytes:
    """A real one-page PDF showing ``text``."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@pytest.fixture(autouse=True)
def _local_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The standard tests' image and PDF downloads, served locally (no network here)."""

    def get(url: str, **_: Any) -> httpx.Response:
        body = pdf_bytes() if url.endswith(".pdf") else png_bytes()
        return httpx.Response(200, content=body, request=httpx.Request("GET", url))

    monkeypatch.setattr(httpx, "get", get)


SCRIPTED = {
    "test_agent_loop": [
        Reply(tool_calls=[ToolCall("get_weather", {"location": "San Francisco, CA"})])
    ],
    "test_unicode_tool_call_integration": [
        Reply(
            tool_calls=[ToolCall("unicode_customer", {"customer_name": name, "description": "x"})]
        )
        for name in ("你好啊集团", "こんにちは株式会社")
    ],
}
"""What the model answers where a standard test expects it to choose a tool unforced, or to
copy text from the prompt into a tool's input: the emulator calls a tool by itself only when
the request forces one, with an input made from the schema."""


FOREIGN_SIGNATURES = {"test_anthropic_inputs"}
"""Tests that replay a thinking block signed by Anthropic's own API. Bedrock refuses a signature
it did not issue ("messages.1.content.0: Invalid `signature` in `thinking` block"), and so does
the emulator by default; these run on an emulator that does not verify signatures. (Our own
round-trip test sends back a signature the emulator issued: test_chat_model.py.)"""


class TestChatBedrockClaudeStandard(ChatModelIntegrationTests):
    endpoint_url: str = ""

    @pytest.fixture(autouse=True)
    def _emulator(
        self, bedrock_emulator: BedrockEmulator, request: pytest.FixtureRequest
    ) -> Iterator[None]:
        emulator = bedrock_emulator
        if request.node.originalname in FOREIGN_SIGNATURES:
            emulator = BedrockEmulator(verify_signatures=False).start()
        self.endpoint_url = emulator.endpoint_url
        self.emu = emulator
        for reply in SCRIPTED.get(request.node.originalname, ()):
            emulator.reply(reply)
        yield
        if emulator is not bedrock_emulator:
            emulator.stop()

    @property
    def chat_model_class(self) -> type[ChatBedrockClaude]:
        return ChatBedrockClaude

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {
            "model": SONNET_45,
            "region": "us-east-1",
            "endpoint_url": self.endpoint_url,
            "aws_access_key_id": CREDENTIALS["access_key"],
            "aws_secret_access_key": CREDENTIALS["secret_key"],
        }

    # What Claude on Bedrock does (InvokeModel, Messages body).
    @property
    def has_tool_calling(self) -> bool:
        return True

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def has_structured_output(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return False  # Claude has no JSON mode; json_schema is its native structured output

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return False  # Bedrock takes images as base64 only

    @property
    def supports_pdf_inputs(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True

    @property
    def supports_pdf_tool_message(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def supported_usage_metadata_details(self) -> dict[str, list[str]]:
        return {
            "invoke": ["cache_read_input", "cache_creation_input"],
            "stream": ["cache_read_input", "cache_creation_input"],
        }

    @property
    def model_override_value(self) -> str:
        return "us.anthropic.claude-haiku-4-5-20251001-v1:0"

    # A system prompt long enough to cache (Anthropic's minimum is 1,024 tokens for Sonnet).
    _CACHED_SYSTEM = "You answer questions about the weather, briefly and kindly. " * 200

    def _cached_call(self, *, stream: bool) -> Any:
        from langchain_core.messages import HumanMessage, SystemMessage

        model = ChatBedrockClaude(**self.chat_model_params)
        messages = [
            SystemMessage(
                [
                    {
                        "type": "text",
                        "text": self._CACHED_SYSTEM,
                        "cache_control": {"type": "ephemeral"},
                    }
                ]
            ),
            HumanMessage("Is it sunny?"),
        ]
        if not stream:
            return model.invoke(messages)
        full = None
        for chunk in model.stream(messages):
            full = chunk if full is None else full + chunk
        return full

    def invoke_with_cache_creation_input(self, *, stream: bool = False) -> Any:
        self.emu.reset()
        message = self._cached_call(stream=stream)
        assert message.usage_metadata["input_token_details"]["cache_creation"] > 0
        return message

    def invoke_with_cache_read_input(self, *, stream: bool = False) -> Any:
        self.emu.reset()
        self._cached_call(stream=stream)
        message = self._cached_call(stream=stream)
        assert message.usage_metadata["input_token_details"]["cache_read"] > 0
        return message
