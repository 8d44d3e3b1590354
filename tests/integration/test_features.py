"""Issue 7's features end to end against the emulator, for both twins and BedrockClaude."""

from __future__ import annotations

import pytest

import langchain_bedrock_claude as pkg
from langchain_bedrock_claude import CACHE_POINT, get_usage_callback
from langchain_bedrock_claude.testing import BedrockEmulator, Reply

from .conftest import Twin

LONG_SYSTEM = "You answer questions about this reference manual. " + "Section text. " * 1200


def test_service_tier_latency_and_request_metadata_reach_bedrock(twin, emu):
    twin.create(
        service_tier="priority",
        performance_config_latency="optimized",
        request_metadata={"team": "search"},
    )
    sent = emu.requests[-1]
    assert sent.service_tier == "priority"
    assert sent.performance_config_latency == "optimized"
    assert sent.headers["x-amzn-bedrock-request-metadata"] == '{"team":"search"}'
    twin.stream(service_tier="flex")
    assert emu.requests[-1].service_tier == "flex"


def test_thinking_is_kept_apart_from_the_completion(twin, emu):
    emu.reply(Reply(text="The answer is 42.", thinking="Let me work it out step by step."))
    result = twin.create(thinking_budget_tokens=1024, max_tokens_to_sample=2048)
    assert emu.requests[-1].json["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert result.completion == "The answer is 42."
    assert result.thinking == "Let me work it out step by step."
    emu.reply(Reply(text="The answer is 42.", thinking="Let me work it out step by step."))
    stream, pieces = twin.stream(thinking_budget_tokens=1024, max_tokens_to_sample=2048)
    assert "".join(p.completion for p in pieces) == "The answer is 42."
    assert "".join(p.thinking for p in pieces) == "Let me work it out step by step."
    assert all(not (p.thinking and p.completion) for p in pieces)
    assert stream.completion.thinking == "Let me work it out step by step."


def test_thinking_reaches_langchain_generation_info_and_never_the_text(llm_factory, emu):
    llm = llm_factory(thinking_budget_tokens=1024, max_tokens=2048)
    emu.reply(Reply(text="Paris.", thinking="France's capital."))
    result = llm.generate(["Capital of France?"])
    generation = result.generations[0][0]
    assert generation.text == "Paris."
    assert generation.generation_info["thinking"] == "France's capital."
    emu.reply(Reply(text="Paris.", thinking="France's capital."))
    chunks = list(llm._stream("Capital of France?"))
    assert "".join(chunk.text for chunk in chunks) == "Paris."
    assert (
        "".join((chunk.generation_info or {}).get("thinking", "") for chunk in chunks)
        == "France's capital."
    )


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_prompt_caching_reports_cache_writes_then_reads(kind):
    with BedrockEmulator() as emu:
        twin = Twin(kind, emu.endpoint_url)
        try:
            first = twin.create(system=LONG_SYSTEM, cache_system=True, prompt="Q1")
            second = twin.create(system=LONG_SYSTEM, cache_system=True, prompt="Q2")
            _, pieces = twin.stream(system=LONG_SYSTEM, cache_system=True, prompt="Q3")
        finally:
            twin.close()
    assert emu.requests[0].json["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert first.usage.cache_write_input_tokens > 1000 and first.usage.cache_read_input_tokens == 0
    assert second.usage.cache_read_input_tokens == first.usage.cache_write_input_tokens
    assert second.usage.cache_write_input_tokens == 0
    assert pieces[-1].usage.cache_read_input_tokens == first.usage.cache_write_input_tokens


def test_cache_points_in_a_langchain_prompt_and_usage_everywhere(llm_factory):
    with BedrockEmulator() as emu:
        llm = llm_factory(endpoint_url=emu.endpoint_url)
        prompt = LONG_SYSTEM + CACHE_POINT + "What does section 3 say?"
        with get_usage_callback() as usage:
            llm.invoke(prompt)
            list(llm.stream(prompt))
        content = emu.requests[0].json["messages"][0]["content"]
        assert (
            content[0]["cache_control"] == {"type": "ephemeral"}
            and content[1]["text"] == "What does section 3 say?"
        )
        assert usage.usage.cache_write_input_tokens > 1000
        assert usage.usage.cache_read_input_tokens == usage.usage.cache_write_input_tokens
        result = llm.generate([prompt])
        assert result.llm_output["token_usage"]["cache_read_input_tokens"] > 1000


def test_count_tokens_matches_what_the_call_is_billed(twin, emu):
    count = twin.count_tokens(prompt="How many tokens is this?", system="Be brief.")
    counted = emu.requests[-1]
    assert counted.operation == "count-tokens"
    assert counted.model_id == "anthropic.claude-sonnet-4-5-20250929-v1:0"
    result = twin.create(prompt="How many tokens is this?", system="Be brief.")
    assert count == result.usage.input_tokens > 0


def test_get_num_tokens_uses_count_tokens_and_refuses_unsupported_models(llm_factory, emu):
    assert llm_factory().get_num_tokens("How many tokens is this?") > 0
    assert emu.requests[-1].operation == "count-tokens"
    before = len(emu.requests)
    with pytest.raises(pkg.InvalidParameterError, match="CountTokens"):
        llm_factory(model="anthropic.claude-v2:1").get_num_tokens("hi")
    assert len(emu.requests) == before


def test_on_demand_error_names_the_profile_and_auto_inference_profile_retries_once(make_twin, emu):
    emu.require_inference_profile = True
    bare = "anthropic.claude-sonnet-4-5-20250929-v1:0"
    for kind in ("sync", "async"):
        plain = make_twin(kind)
        with pytest.raises(pkg.OnDemandNotSupportedError) as caught:
            plain.create(model=bare)
        assert caught.value.suggested_model_id == "us." + bare
        assert "us." + bare in str(caught.value)
        auto = make_twin(kind, auto_inference_profile=True)
        emu.reset()
        emu.require_inference_profile = True
        result = auto.create(model=bare)
        assert [r.model_id for r in emu.requests] == [bare, "us." + bare]
        assert result.model_id == "us." + bare
        emu.reset()
        emu.require_inference_profile = True
        _, pieces = auto.stream(model=bare)
        assert pieces[-1].model_id == "us." + bare
        assert len(emu.requests) == 2


def test_auto_inference_profile_on_the_llm(llm_factory, emu):
    emu.require_inference_profile = True
    llm = llm_factory(model="anthropic.claude-haiku-4-5-20251001-v1:0", auto_inference_profile=True)
    assert llm.invoke("hi")
    assert emu.requests[-1].model_id == "us.anthropic.claude-haiku-4-5-20251001-v1:0"


def test_retired_legacy_id_on_the_llm(llm_factory, emu):
    emu.legacy_end_of_life = True
    with pytest.raises(pkg.ModelRetiredError, match=r"us\.anthropic\.claude-sonnet-5-5"):
        llm_factory(model="anthropic.claude-v2:1").invoke("hi")
