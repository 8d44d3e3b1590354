"""langchain-tests' ChatModelUnitTests on ChatBedrockClaude (no network, no emulator)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.unit_tests import ChatModelUnitTests
from langchain_tests.unit_tests.chat_models import TEST_PYDANTIC_MODELS

from langchain_bedrock_claude import ChatBedrockClaude

MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


class TestChatBedrockClaudeUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatBedrockClaude]:
        return ChatBedrockClaude

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": MODEL, "region": "us-east-1"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {
                "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
                "AWS_SECRET_ACCESS_KEY": "secret-from-env",
                "AWS_BEARER_TOKEN_BEDROCK": "bedrock-key-from-env",
            },
            {"model": MODEL, "region": "us-east-1"},
            {
                "aws_access_key_id": "AKIDEXAMPLE",
                "aws_secret_access_key": "secret-from-env",
                "api_key": "bedrock-key-from-env",
            },
        )

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def has_structured_output(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_pdf_inputs(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True

    @property
    def supports_pdf_tool_message(self) -> bool:
        return True

    @pytest.mark.xfail(
        reason="Claude on Bedrock has no JSON mode (its JSON output takes a schema: "
        "method='json_schema'); with_structured_output(method='json_mode') raises "
        "InvalidParameterError by design, and this test requires it to succeed.",
        raises=ValueError,
        strict=True,
    )
    @pytest.mark.parametrize("schema", TEST_PYDANTIC_MODELS)
    def test_with_structured_output(self, model: Any, schema: Any) -> None:
        super().test_with_structured_output(model, schema)

    @pytest.mark.xfail(
        reason="langchain-core 1.8's load(allowed_objects='all') admits only the classes in "
        "its own serialization mapping, which lists no third-party package: the dumpd "
        "snapshot part passes, the load part cannot (test_chat_model_unit loads it with "
        "allowed_objects=[ChatBedrockClaude]).",
        raises=ValueError,
        strict=True,
    )
    def test_serdes(self, model: Any, snapshot: Any) -> None:
        super().test_serdes(model, snapshot)
