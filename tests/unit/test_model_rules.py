"""Every Claude model in the rule table: what is sent, what is refused before sending, and why.

The expectations are written out here, model by model, from the sources the table cites, so a
changed row fails a test instead of silently changing what users may send.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from langchain_bedrock_claude import InvalidParameterError
from langchain_bedrock_claude._model_checks import (
    check_count_tokens,
    check_forced_tool_choice,
    check_prefill,
    check_thinking,
    prompt_ends_with_prefill,
    thinking_active,
)
from langchain_bedrock_claude._model_rules import DEFAULT_MODEL, known_rows, rules_for
from langchain_bedrock_claude._params import check_params
from langchain_bedrock_claude._request import count_tokens_kwargs, prepare
from langchain_bedrock_claude._routing import resolve_model


@dataclass(frozen=True)
class Expect:
    """What one model takes, as its sources say."""

    model_id: str
    max_output: int
    sampling: str  # "any", "one" (temperature or top_p), "none"
    thinking: str  # "none", "budget", "both", "adaptive"
    default_on: bool = False  # thinks without a thinking field
    always_on: bool = False  # "disabled" refused
    prefill: bool = True
    count_tokens: bool = False
    efforts: tuple[str, ...] = ()
    api: str = "messages"


ALL_EFFORTS = ("low", "medium", "high", "xhigh", "max")
ADAPTIVE = {"sampling": "none", "thinking": "adaptive", "prefill": False, "count_tokens": True}
MODELS = [
    Expect("anthropic.claude-v2", 8191, "any", "none", api="text_completions"),
    Expect("anthropic.claude-instant-v1", 8191, "any", "none", api="text_completions"),
    Expect("anthropic.claude-3-haiku-20240307-v1:0", 4096, "any", "none"),
    Expect("anthropic.claude-3-sonnet-20240229-v1:0", 4096, "any", "none"),
    Expect("us.anthropic.claude-3-opus-20240229-v1:0", 4096, "any", "none"),
    Expect("us.anthropic.claude-3-5-haiku-20241022-v1:0", 8192, "any", "none"),
    Expect("us.anthropic.claude-3-5-sonnet-20241022-v2:0", 8192, "any", "none"),
    Expect(
        "us.anthropic.claude-3-7-sonnet-20250219-v1:0", 64000, "any", "budget", count_tokens=True
    ),
    Expect("us.anthropic.claude-sonnet-4-20250514-v1:0", 64000, "any", "budget", count_tokens=True),
    Expect("us.anthropic.claude-opus-4-20250514-v1:0", 32000, "any", "budget", count_tokens=True),
    Expect("us.anthropic.claude-opus-4-1-20250805-v1:0", 32000, "one", "budget", count_tokens=True),
    Expect(
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0", 64000, "one", "budget", count_tokens=True
    ),
    Expect(
        "eu.anthropic.claude-haiku-4-5-20251001-v1:0", 64000, "one", "budget", count_tokens=True
    ),
    Expect(
        "global.anthropic.claude-opus-4-5-20251101-v1:0",
        64000,
        "one",
        "budget",
        count_tokens=True,
        efforts=("low", "medium", "high"),
    ),
    Expect(
        "us.anthropic.claude-opus-4-6-v1",
        128000,
        "one",
        "both",
        prefill=False,
        count_tokens=True,
        efforts=("low", "medium", "high", "max"),
    ),
    Expect(
        "in.anthropic.claude-sonnet-4-6",
        64000,
        "one",
        "both",
        prefill=False,
        count_tokens=True,
        efforts=("low", "medium", "high", "max"),
    ),
    Expect("us.anthropic.claude-opus-4-7", 128000, efforts=ALL_EFFORTS, **ADAPTIVE),
    Expect("global.anthropic.claude-opus-4-8", 128000, efforts=ALL_EFFORTS, **ADAPTIVE),
    Expect(
        "us.anthropic.claude-fable-5",
        128000,
        default_on=True,
        always_on=True,
        efforts=ALL_EFFORTS,
        **ADAPTIVE,
    ),
    Expect(
        "us.anthropic.claude-sonnet-5", 128000, default_on=True, efforts=ALL_EFFORTS, **ADAPTIVE
    ),
    Expect("eu.anthropic.claude-opus-5", 128000, default_on=True, efforts=ALL_EFFORTS, **ADAPTIVE),
    Expect(
        "us.anthropic.claude-fable-5-1",
        128000,
        default_on=True,
        always_on=True,
        efforts=ALL_EFFORTS,
        **ADAPTIVE,
    ),
    Expect(
        "global.anthropic.claude-opus-5-5",
        128000,
        default_on=True,
        always_on=True,
        efforts=ALL_EFFORTS,
        **ADAPTIVE,
    ),
    Expect(
        "us.anthropic.claude-sonnet-5-5",
        128000,
        default_on=True,
        always_on=True,
        efforts=ALL_EFFORTS,
        **ADAPTIVE,
    ),
    Expect(
        "au.anthropic.claude-haiku-5-5", 128000, default_on=True, efforts=ALL_EFFORTS, **ADAPTIVE
    ),
]
IDS = [expect.model_id for expect in MODELS]


def test_every_row_of_the_table_is_covered():
    covered = {resolve_model(expect.model_id).rules for expect in MODELS}
    assert covered == {rules for _, _, rules in known_rows()}


def build(model_id: str, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("prompt", "Human: Why is the sky blue?\n\nAssistant:")
    kwargs.setdefault("max_tokens", 1024)
    return json.loads(prepare(check_params(model=model_id, **kwargs)).body)


def refused(model_id: str, **kwargs: Any) -> str:
    with pytest.raises(InvalidParameterError) as caught:
        build(model_id, **kwargs)
    assert model_id in str(caught.value) or "'max_tokens_to_sample'" in str(caught.value)
    return str(caught.value)


@pytest.mark.parametrize("expect", MODELS, ids=IDS)
def test_what_a_plain_request_sends(expect: Expect):
    body = build(expect.model_id)
    if expect.api == "text_completions":
        assert body == {
            "prompt": "\n\nHuman: Why is the sky blue?\n\nAssistant:",
            "max_tokens_to_sample": 1024,
        }
    else:
        # The bare "Assistant:" marker asks for the answer: no prefill, on every model.
        assert body["messages"] == [{"role": "user", "content": "Why is the sky blue?"}]
        assert "thinking" not in body and "temperature" not in body


@pytest.mark.parametrize("expect", MODELS, ids=IDS)
def test_max_tokens_up_to_the_models_largest_output(expect: Expect):
    assert build(expect.model_id, max_tokens=expect.max_output)
    message = refused(expect.model_id, max_tokens=expect.max_output + 1)
    assert f"must be between 1 and {expect.max_output} for {expect.model_id}" in message


@pytest.mark.parametrize("expect", MODELS, ids=IDS)
def test_sampling_parameters(expect: Expect):
    if expect.sampling == "none":
        for name in ("temperature", "top_p", "top_k"):
            message = refused(expect.model_id, **{name: 0.5 if name != "top_k" else 5})
            assert f"accepts no sampling parameters; remove '{name}'" in message
        return
    body = build(expect.model_id, temperature=0.5, top_k=5)
    assert (body["temperature"], body["top_k"]) == (0.5, 5)
    if expect.sampling == "one":
        message = refused(expect.model_id, temperature=0.5, top_p=0.9)
        assert "accepts 'temperature' or 'top_p' but not both" in message
        assert "temperature=0.5, top_p=0.9" in message
    else:
        body = build(expect.model_id, temperature=0.5, top_p=0.9)
        assert (body["temperature"], body["top_p"]) == (0.5, 0.9)


PREFILL = "Human: Give me JSON.\n\nAssistant: {"


@pytest.mark.parametrize("expect", MODELS, ids=IDS)
def test_prefill(expect: Expect):
    if expect.prefill:
        body = build(expect.model_id, prompt=PREFILL)
        if expect.api == "messages":
            assert body["messages"][-1] == {"role": "assistant", "content": "{"}
        return
    message = refused(expect.model_id, prompt=PREFILL)
    assert "does not support assistant prefill" in message
    assert "must end with a user turn" in message
    # The chat model's entry: the same rule for a message list ending with an assistant turn.
    with pytest.raises(InvalidParameterError, match="does not support assistant prefill"):
        check_prefill(resolve_model(expect.model_id), "assistant")
    check_prefill(resolve_model(expect.model_id), "user")


@pytest.mark.parametrize(
    ("prompt", "prefill"),
    [
        ("Human: Hi\n\nAssistant:", False),
        ("\n\nHuman: Hi\n\nAssistant:   ", False),
        ("Hi", False),
        ("Human: Hi\n\nAssistant: Sure,", True),
        ("Human: Hi\n\nAssistant: Hello.\n\nHuman: More", False),
    ],
)
def test_which_prompts_are_a_prefill(prompt: str, prefill: bool):
    assert prompt_ends_with_prefill(prompt) is prefill


@pytest.mark.parametrize("expect", MODELS, ids=IDS)
def test_budgeted_thinking(expect: Expect):
    if expect.thinking in ("budget", "both"):
        body = build(expect.model_id, max_tokens=4096, options=_budget(2048))
        assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
        return
    message = refused(expect.model_id, max_tokens=4096, options=_budget(2048))
    if expect.api == "text_completions":
        assert "extended thinking needs the Messages API" in message
    elif expect.thinking == "adaptive":
        assert "thinks adaptively and takes no thinking budget" in message
    else:
        assert "does not support extended thinking" in message


def _budget(tokens: int) -> Any:
    from langchain_bedrock_claude._params import check_options

    return check_options(thinking_budget_tokens=tokens)


def think(model_id: str, **kwargs: Any) -> None:
    kwargs.setdefault("budget", None)
    kwargs.setdefault("mode", None)
    kwargs.setdefault("effort", None)
    kwargs.setdefault("max_tokens", 4096)
    check_thinking(resolve_model(model_id), max_tokens_name="max_tokens", **kwargs)


@pytest.mark.parametrize("expect", MODELS, ids=IDS)
def test_adaptive_thinking_and_turning_it_off(expect: Expect):
    model = resolve_model(expect.model_id)
    if expect.thinking in ("adaptive", "both"):
        think(expect.model_id, mode="adaptive")
        with pytest.raises(InvalidParameterError, match="at least 1024 with thinking='adaptive'"):
            think(expect.model_id, mode="adaptive", max_tokens=1023)
        think(expect.model_id, mode="adaptive", max_tokens=1024)  # the least it takes
        with pytest.raises(
            InvalidParameterError, match="thinking does not work with 'temperature'"
        ):
            think(expect.model_id, mode="adaptive", temperature=0.5)
        with pytest.raises(InvalidParameterError, match=r"'top_p' must be between 0\.95 and 1"):
            think(expect.model_id, mode="adaptive", top_p=0.5)
    else:
        with pytest.raises(InvalidParameterError) as caught:
            think(expect.model_id, mode="adaptive")
        assert "adaptive" in str(caught.value)
    if expect.always_on:
        with pytest.raises(InvalidParameterError, match="always thinks; thinking='disabled'"):
            think(expect.model_id, mode="disabled")
    elif expect.api == "messages":
        think(expect.model_id, mode="disabled")
    assert thinking_active(model, None, None) is expect.default_on
    assert thinking_active(model, None, "disabled") is False


@pytest.mark.parametrize("expect", MODELS, ids=IDS)
def test_effort_levels(expect: Expect):
    for effort in ALL_EFFORTS:
        if effort in expect.efforts:
            think(expect.model_id, effort=effort)
            continue
        with pytest.raises(InvalidParameterError, match="effort"):
            think(expect.model_id, effort=effort)
    if expect.default_on and not expect.always_on:
        # Thinking off caps effort at high (Opus 5, Haiku 5.5 sources).
        think(expect.model_id, mode="disabled", effort="high")
        with pytest.raises(InvalidParameterError, match="only with thinking on"):
            think(expect.model_id, mode="disabled", effort="max")


@pytest.mark.parametrize("expect", MODELS, ids=IDS)
def test_forced_tool_choice(expect: Expect):
    model = resolve_model(expect.model_id)
    if expect.always_on or expect.api == "text_completions":
        with pytest.raises(InvalidParameterError):
            check_forced_tool_choice(model, thinking=False)
        return
    check_forced_tool_choice(model, thinking=False)
    with pytest.raises(InvalidParameterError, match="does not work while"):
        check_forced_tool_choice(model, thinking=True)


@pytest.mark.parametrize("expect", MODELS, ids=IDS)
def test_count_tokens(expect: Expect):
    prepared = prepare(check_params(model=expect.model_id, prompt="hi", max_tokens=10))
    if expect.count_tokens:
        assert count_tokens_kwargs(prepared)["modelId"].startswith("anthropic.")
        return
    with pytest.raises(InvalidParameterError, match="does not support Bedrock's CountTokens"):
        check_count_tokens(prepared.params.model)


@pytest.mark.parametrize(
    ("model_id", "name"),
    [
        # versions the table does not list: the family's newest row
        ("us.anthropic.claude-opus-9", "Claude Opus 5.5"),
        ("us.anthropic.claude-haiku-5", "Claude Haiku 5.5"),
        ("us.anthropic.claude-fable-7-2", "Claude Fable 5.1"),
        # a family and no version: no TypeError, the family's newest row
        ("anthropic.claude-sonnet", "Claude Sonnet 5.5"),
        ("us.anthropic.claude-opus-latest", "Claude Opus 5.5"),
        # a Claude family the table does not know: the newest row of all
        ("anthropic.claude-mythos-5", "Claude Haiku 5.5"),
        # any geo prefix, including ones not invented yet
        ("in.anthropic.claude-sonnet-4-5-20250929-v1:0", "Claude Sonnet 4.5"),
        ("zz.anthropic.claude-opus-4-7", "Claude Opus 4.7"),
    ],
)
def test_ids_the_table_does_not_list_take_the_newest_rules(model_id: str, name: str):
    assert resolve_model(model_id).rules is not None
    assert resolve_model(model_id).rules.name == name  # type: ignore[union-attr]


def test_the_default_model_is_current_and_streams_without_options():
    rules = resolve_model(DEFAULT_MODEL).rules
    assert rules is not None and rules.name == "Claude Sonnet 5.5"
    assert rules_for("sonnet", (5, 5)) is rules
    assert build(DEFAULT_MODEL)["max_tokens"] == 1024


def _options(**values: Any) -> Any:
    from langchain_bedrock_claude._params import check_options

    return check_options(**values)


def test_drop_unsupported_params_leaves_out_what_the_model_refuses_with_a_warning():
    from langchain_bedrock_claude import ModelRuleWarning

    with pytest.warns(ModelRuleWarning, match=r"does not accept 'temperature', 'top_k'; left out"):
        body = build(
            "us.anthropic.claude-opus-4-8",
            temperature=0.5,
            top_k=5,
            options=_options(drop_unsupported_params=True),
        )
    assert "temperature" not in body and "top_k" not in body
    with pytest.warns(ModelRuleWarning, match=r"does not accept 'top_p'"):
        body = build(
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            temperature=0.5,
            top_p=0.9,
            options=_options(drop_unsupported_params=True),
        )
    assert body["temperature"] == 0.5 and "top_p" not in body
    # Nothing to drop: no warning (the suite turns warnings into errors).
    build("us.anthropic.claude-sonnet-4-20250514-v1:0", temperature=0.5, top_p=0.9)


def test_thinking_and_effort_options_reach_the_body():
    body = build(
        "us.anthropic.claude-opus-4-8",
        max_tokens=4096,
        options=_options(thinking="adaptive", effort="xhigh"),
    )
    assert body["thinking"] == {"type": "adaptive"}
    assert body["output_config"] == {"effort": "xhigh"}
    body = build("us.anthropic.claude-sonnet-5", options=_options(thinking="disabled"))
    assert body["thinking"] == {"type": "disabled"}
    message = refused("us.anthropic.claude-opus-5-5", options=_options(thinking="disabled"))
    assert "always thinks; thinking='disabled' is refused" in message
    with pytest.raises(InvalidParameterError, match="pass one of them"):
        build(
            "us.anthropic.claude-opus-4-6",
            options=_options(thinking_budget_tokens=2048, thinking="adaptive"),
        )


def test_a_model_rule_warning_names_the_callers_line_whatever_the_path():
    from langchain_bedrock_claude import (
        AnthropicBedrock,
        APIConnectionError,
        BedrockClaude,
        ModelRuleWarning,
    )

    with pytest.warns(ModelRuleWarning, match="left out") as direct:
        build(
            "us.anthropic.claude-opus-4-8",
            temperature=0.5,
            options=_options(drop_unsupported_params=True),
        )
    client = AnthropicBedrock(
        region="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        max_retries=0,
        access_key="AKID",
        secret_key="not-a-secret",
    )
    # Checked before the request, which then finds nothing listening on port 9.
    with (
        pytest.warns(ModelRuleWarning, match="left out") as created,
        pytest.raises(APIConnectionError),
    ):
        client.Completion.create(
            model="us.anthropic.claude-opus-4-8",
            prompt="Hi",
            max_tokens_to_sample=10,
            temperature=0.5,
            drop_unsupported_params=True,
        )
    with pytest.warns(ModelRuleWarning, match="left out") as constructed:
        llm = BedrockClaude(  # its settings are checked at once
            model="us.anthropic.claude-opus-4-8",
            region_name="us-east-1",
            temperature=0.5,
            drop_unsupported_params=True,
        )
    with pytest.warns(ModelRuleWarning, match="left out") as invoked:
        llm._request("Hi", None, {})
    for caught in (direct, created, constructed, invoked):
        assert [warning.filename for warning in caught] == [__file__] * len(caught)
