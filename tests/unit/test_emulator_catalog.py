"""Model ids, profiles and ARNs the emulator resolves, and what it rejects."""

from __future__ import annotations

import pytest

from langchain_bedrock_claude.testing._catalog import Style, resolve_model

OPAQUE = "anthropic.claude-sonnet-4-5-20250929-v1:0"


@pytest.mark.parametrize(
    ("model_id", "name", "style", "via_profile"),
    [
        ("anthropic.claude-v2", "claude-2.0", Style.LEGACY, False),
        ("anthropic.claude-v2:1", "claude-2.1", Style.LEGACY, False),
        ("anthropic.claude-v2:1:200k", "claude-2.1", Style.LEGACY, False),
        ("us.anthropic.claude-instant-v1", "claude-instant-1.2", Style.LEGACY, True),
        ("anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku-20240307", Style.CLASSIC, False),
        (
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            "claude-3-5-sonnet-20240620",
            Style.CLASSIC,
            False,
        ),
        (
            "anthropic.claude-3-5-sonnet-20241022-v2:0",
            "claude-3-5-sonnet-20241022",
            Style.CLASSIC,
            False,
        ),
        (
            "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
            "claude-3-7-sonnet-20250219",
            Style.CACHE_KEYS,
            True,
        ),
        (
            "eu.anthropic.claude-sonnet-4-20250514-v1:0",
            "claude-sonnet-4-20250514",
            Style.CACHE_KEYS,
            True,
        ),
        (
            "apac.anthropic.claude-haiku-4-5-20251001-v1:0",
            "claude-haiku-4-5-20251001",
            Style.MODEL_FIRST,
            True,
        ),
        (
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "claude-sonnet-4-5-20250929",
            Style.STOP_DETAILS,
            True,
        ),
        (
            "us-gov.anthropic.claude-3-haiku-20240307-v1:0",
            "claude-3-haiku-20240307",
            Style.CLASSIC,
            True,
        ),
        ("anthropic.claude-haiku-4-5", "claude-haiku-4-5-20251001", Style.MODEL_FIRST, False),
        ("us.anthropic.claude-opus-4-8", "claude-opus-4-8", Style.STOP_DETAILS, True),
        ("us.anthropic.claude-sonnet-4-6", "claude-sonnet-4-6", Style.STOP_DETAILS, True),
        (
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
            "claude-3-haiku-20240307",
            Style.CLASSIC,
            False,
        ),
        (
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-opus-4-1-20250805-v1:0",
            "claude-opus-4-1-20250805",
            Style.CACHE_KEYS,
            True,
        ),
        (
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3",
            "claude-sonnet-4-5-20250929",
            Style.STOP_DETAILS,
            True,
        ),
        (
            "arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:provisioned-model/abc123def456",
            "claude-sonnet-4-5-20250929",
            Style.STOP_DETAILS,
            True,
        ),
    ],
)
def test_resolves(model_id: str, name: str, style: Style, via_profile: bool) -> None:
    resolved = resolve_model(model_id, opaque_arn_model=OPAQUE)
    assert resolved is not None
    assert (resolved.spec.reported_name, resolved.spec.style, resolved.via_profile) == (
        name,
        style,
        via_profile,
    )
    assert resolved.model_id == model_id


@pytest.mark.parametrize(
    "model_id",
    [
        "",
        "does-not-exist",
        "invalid-model-id",
        "us.does-not-exist-model-v1:0",
        "anthropic.claude-3-haiku-20990101-v1:0",
        "anthropic.claude-7",
        "xx.anthropic.claude-3-haiku-20240307-v1:0",
        "amazon.titan-text-express-v1",
        "meta.llama2-13b-chat-v1",
        "arn:aws:bedrock:us-east-1::foundation-model/us.anthropic.claude-3-haiku-20240307-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/anthropic.claude-3-haiku-20240307-v1:0",
    ],
)
def test_rejects(model_id: str) -> None:
    assert resolve_model(model_id, opaque_arn_model=OPAQUE) is None


def test_model_rules() -> None:
    def spec(model_id: str):  # type: ignore[no-untyped-def]
        resolved = resolve_model(model_id, opaque_arn_model=OPAQUE)
        assert resolved is not None
        return resolved.spec

    assert spec("anthropic.claude-v2").max_output_tokens == 8191
    assert spec("anthropic.claude-3-haiku-20240307-v1:0").max_output_tokens == 4096
    assert spec("anthropic.claude-haiku-4-5-20251001-v1:0").exclusive_sampling
    assert not spec("anthropic.claude-sonnet-4-20250514-v1:0").exclusive_sampling
    assert spec("anthropic.claude-opus-4-7").sampling_deprecated
    assert not spec("anthropic.claude-3-5-sonnet-20241022-v2:0").on_demand
    assert spec("anthropic.claude-3-5-sonnet-20240620-v1:0").on_demand
    assert not spec("anthropic.claude-3-5-haiku-20241022-v1:0").counts_tokens
    assert spec("anthropic.claude-3-7-sonnet-20250219-v1:0").counts_tokens
