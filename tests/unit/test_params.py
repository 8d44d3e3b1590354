import pytest

from langchain_bedrock_claude import InvalidParameterError
from langchain_bedrock_claude._params import CONVERSATION, check_params, reject_unknown

SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
SONNET_4 = "us.anthropic.claude-sonnet-4-20250514-v1:0"
OPUS_47 = "us.anthropic.claude-opus-4-7"
HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0"


def check(**kwargs):
    kwargs.setdefault("model", SONNET_4)
    kwargs.setdefault("prompt", "hi")
    return check_params(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"top_k": 501}, "'top_k' must be between 0 and 500 (got 501)"),
        ({"top_k": -1}, "'top_k' must be at least 0 (got -1)"),
        ({"top_k": 2.5}, "'top_k' must be an integer from 0 to 500 (got 2.5)"),
        ({"temperature": 1.5}, "'temperature' must be between 0 and 1 (got 1.5)"),
        ({"temperature": -0.1}, "'temperature' must be between 0 and 1 (got -0.1)"),
        ({"temperature": "hot"}, "'temperature' must be a number between 0 and 1 (got 'hot')"),
        ({"temperature": True}, "'temperature' must be a number between 0 and 1 (got True)"),
        ({"temperature": float("nan")}, "'temperature' must be between 0 and 1 (got nan)"),
        ({"top_p": 2}, "'top_p' must be between 0 and 1 (got 2)"),
        ({"max_tokens": 0}, "'max_tokens_to_sample' must be at least 1 (got 0)"),
        ({"max_tokens": "300"}, "'max_tokens_to_sample' must be an integer from 1 (got '300')"),
        ({"max_tokens": 10**6}, "'max_tokens_to_sample' must be between 1 and 64000"),
        ({"model": HAIKU_3, "max_tokens": 4097}, "between 1 and 4096"),
        ({"prompt": ""}, "'prompt' must not be empty"),
        ({"prompt": "  \n"}, "'prompt' must not be empty"),
        ({"prompt": None}, "'prompt' must be a string (got NoneType)"),
        ({"stop_sequences": "stop"}, "'stop_sequences' must be a list of non-empty strings"),
        ({"stop_sequences": ["ok", ""]}, "'stop_sequences' must be a list of non-empty strings"),
        ({"stop_sequences": [1]}, "'stop_sequences' must be a list of non-empty strings"),
        ({"system": 3}, "'system' must be a string"),
        ({"model": "amazon.nova-lite-v1:0"}, "is not a Claude model"),
    ],
)
def test_bad_values_name_the_parameter_range_and_value(kwargs, message):
    with pytest.raises(InvalidParameterError) as caught:
        check(**kwargs)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_only_parameters_the_caller_set_are_kept():
    params = check()
    assert (params.temperature, params.top_p, params.top_k) == (None, None, None)
    assert params.stop_sequences == ()
    assert params.max_tokens == 256


def test_valid_edges_pass():
    params = check(temperature=0, top_k=500, max_tokens=64000, stop_sequences=("a", "a", "b"))
    assert params.temperature == 0.0
    assert params.top_k == 500
    assert params.stop_sequences == ("a", "b")


def test_45_generation_takes_temperature_or_top_p_not_both():
    check(model=SONNET_45, temperature=0.5)
    check(model=SONNET_45, top_p=0.5)
    with pytest.raises(InvalidParameterError, match="'temperature' or 'top_p' but not both"):
        check(model=SONNET_45, temperature=0.5, top_p=0.5)
    # Older models accept both
    check(model=SONNET_4, temperature=0.5, top_p=0.5)


@pytest.mark.parametrize("name", ["temperature", "top_p", "top_k"])
def test_opus_47_and_later_take_no_sampling_parameter(name):
    with pytest.raises(
        InvalidParameterError, match=f"accepts no sampling parameters; remove '{name}'"
    ):
        check(model=OPUS_47, **{name: 1})
    with pytest.raises(InvalidParameterError):
        check(model="global.anthropic.claude-opus-5-1", **{name: 1})


def test_models_unknown_to_the_table_take_their_familys_newest_rules():
    # Issue 13: a Claude id the table does not list is checked, never sent as asked.
    with pytest.raises(InvalidParameterError, match="between 1 and 128000"):
        check(model="us.anthropic.claude-haiku-5", max_tokens=500000)
    with pytest.raises(InvalidParameterError, match=r"Claude Haiku 5\.5"):
        check(model="us.anthropic.claude-haiku-5", temperature=0.3)


def test_unknown_parameters_suggest_the_right_name():
    with pytest.raises(
        InvalidParameterError, match="'temprature' \\(did you mean 'temperature'\\?\\)"
    ):
        reject_unknown({"temprature": 1}, ["temperature", "top_p"])
    reject_unknown({}, ["temperature"])


@pytest.mark.parametrize("extra_body", [[("top_k", 5)], "top_k", 5])
def test_extra_body_that_is_not_a_mapping_is_refused_by_name(extra_body):
    # A list of pairs would pass dict(); it is still not the mapping the API documents.
    with pytest.raises(InvalidParameterError) as caught:
        check(extra_body=extra_body)
    assert str(caught.value) == (
        f"'extra_body' must be a mapping of body fields (got {type(extra_body).__name__})."
    )


@pytest.mark.parametrize(
    ("thinking", "message"),
    [
        (
            {"budget": 2048, "mode": None},
            "extended thinking does not work with 'temperature' or 'top_k'; remove them or "
            "'thinking_budget_tokens'.",
        ),
        (
            {"budget": None, "mode": "adaptive"},
            "thinking does not work with 'temperature' or 'top_k'; remove them or thinking "
            "(thinking='disabled').",
        ),
    ],
)
def test_thinkings_sampling_refusal_names_the_setting_to_undo(thinking, message):
    # Budgeted thinking is undone by dropping the budget, adaptive thinking by disabling it.
    from langchain_bedrock_claude._model_checks import check_thinking
    from langchain_bedrock_claude._routing import resolve_model

    model = SONNET_4 if thinking["budget"] else "us.anthropic.claude-sonnet-4-6"
    with pytest.raises(InvalidParameterError) as caught:
        check_thinking(
            resolve_model(model),
            max_tokens=4096,
            max_tokens_name="max_tokens",
            effort=None,
            temperature=0.5,
            top_k=3,
            **thinking,
        )
    assert str(caught.value) == message


# --- the remembered check (check_params keeps a chat model's checks of argument sets it has seen)


def test_a_remembered_check_still_tells_apart_values_that_compare_equal() -> None:
    kwargs = {"model": "us.anthropic.claude-sonnet-4-5", "prompt": CONVERSATION}
    assert check_params(**kwargs, max_tokens=5).max_tokens == 5
    assert check_params(**kwargs, max_tokens=5).max_tokens == 5  # remembered
    with pytest.raises(InvalidParameterError, match="'max_tokens_to_sample'"):
        check_params(**kwargs, max_tokens=True)  # == 1, yet refused
    assert check_params(**kwargs, temperature=1).temperature == 1.0
    with pytest.raises(InvalidParameterError, match="'temperature' must be a number"):
        check_params(**kwargs, temperature=True)  # == 1, yet refused


def test_a_remembered_check_sees_a_stop_list_changed_in_place() -> None:
    stops = ["END"]
    kwargs = {"model": "us.anthropic.claude-sonnet-4-5", "prompt": CONVERSATION}
    assert check_params(**kwargs, stop_sequences=stops).stop_sequences == ("END",)
    stops.append("STOP")
    assert check_params(**kwargs, stop_sequences=stops).stop_sequences == ("END", "STOP")
    stops.append("")
    with pytest.raises(InvalidParameterError, match="non-empty strings"):
        check_params(**kwargs, stop_sequences=stops)


@pytest.mark.parametrize("extra_body", [0, "", ()])
def test_a_falsy_extra_body_that_is_not_a_mapping_is_refused_every_time(extra_body) -> None:
    for _ in range(2):
        with pytest.raises(InvalidParameterError, match="'extra_body' must be a mapping"):
            check_params(
                model="us.anthropic.claude-sonnet-4-5", prompt=CONVERSATION, extra_body=extra_body
            )


def test_body_fields_are_never_confused_by_a_remembered_check() -> None:
    kwargs = {"model": "us.anthropic.claude-sonnet-4-5", "prompt": CONVERSATION}
    assert check_params(**kwargs, extra_body={"x": 1}).extra_body == {"x": 1}
    sent = check_params(**kwargs, extra_body={"x": True}).extra_body
    assert sent == {"x": True} and sent["x"] is True  # JSON true, not 1


def test_a_check_that_warns_warns_on_every_call() -> None:
    from langchain_bedrock_claude import ModelRuleWarning
    from langchain_bedrock_claude._params import check_options

    options = check_options(drop_unsupported_params=True)
    with pytest.warns(ModelRuleWarning) as caught:
        for _ in range(3):
            check_params(
                model="us.anthropic.claude-sonnet-4-5",
                prompt=CONVERSATION,
                temperature=0.5,
                top_p=0.9,
                options=options,
            )
    assert len([w for w in caught if issubclass(w.category, ModelRuleWarning)]) == 3
