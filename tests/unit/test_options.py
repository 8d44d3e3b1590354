"""The one declaration of the Bedrock feature options, and everything built from it.

Each test walks ``OPTIONS``, so an option added there is checked everywhere without a new test.
"""

import dataclasses
import inspect
import json

import pytest

import langchain_bedrock_claude as pkg
from langchain_bedrock_claude import cli
from langchain_bedrock_claude._client import CREATE_PARAMETERS
from langchain_bedrock_claude._option_fields import BedrockOptionFields
from langchain_bedrock_claude._option_types import CompletionOptions, InvocationOptions
from langchain_bedrock_claude._options import (
    OPTION_NAMES,
    OPTIONS,
    BodyField,
    BotoArgument,
    ClientBehaviour,
)
from langchain_bedrock_claude._params import check_options, check_params, options_from
from langchain_bedrock_claude._request import prepare
from langchain_bedrock_claude.cli._complete import create_arguments
from tools import generate_options

EVERY_OPTION_MODEL = "us.anthropic.claude-opus-4-6"
"""Takes every option's example: a thinking budget, thinking off, effort (Sonnet 4.5 takes none)."""
GUARDRAIL = "gr-example"
BY_NAME = {option.name: option for option in OPTIONS}


def _with_requirements(option):
    """The option's example value, with the option it needs (a guardrail) set too."""
    values = {option.name: option.example}
    if option.requires is not None:
        values[option.requires] = BY_NAME[option.requires].example
    return values


def _request(values, *, stream=False, max_tokens=4096):
    params = check_params(
        model=EVERY_OPTION_MODEL,
        prompt="hi",
        max_tokens=max_tokens,
        system="Be brief." if values.get("cache_system") else None,
        options=check_options(**values),
    )
    return prepare(params, stream=stream)


@pytest.mark.parametrize("name", sorted(generate_options.RENDERED))
def test_the_generated_typed_mirrors_are_current(name):
    # Edit _options.OPTIONS, then run `python tools/generate_options.py`.
    written = (generate_options.PACKAGE / name).read_text()
    assert written == generate_options.RENDERED[name](), f"{name} is stale: regenerate it"


def test_every_mirror_lists_every_option_with_its_default_and_doc():
    fields = dataclasses.fields(InvocationOptions)
    assert tuple(f.name for f in fields) == OPTION_NAMES
    assert tuple(f.default for f in fields) == tuple(o.default for o in OPTIONS)
    assert tuple(CompletionOptions.__annotations__)[-len(OPTIONS) :] == OPTION_NAMES
    assert set(OPTION_NAMES) <= set(CREATE_PARAMETERS)
    assert pkg.CompletionOptions is CompletionOptions
    pydantic_fields = BedrockOptionFields.model_fields
    assert tuple(pydantic_fields) == OPTION_NAMES
    for option in OPTIONS:
        assert pydantic_fields[option.name].default == option.default
        assert pydantic_fields[option.name].description == option.doc
    assert tuple(inspect.signature(check_options).parameters) == OPTION_NAMES


@pytest.mark.parametrize("cls", [pkg.BedrockClaude])
def test_every_langchain_class_gets_every_option_field_with_its_doc(cls):
    assert issubclass(cls, BedrockOptionFields)
    for option in OPTIONS:
        field = cls.model_fields[option.name]
        assert (field.default, field.description) == (option.default, option.doc)


def test_options_from_takes_fields_and_lets_call_time_values_win():
    class Holder(BedrockOptionFields):
        pass

    holder = Holder(service_tier="flex", guardrail_identifier=GUARDRAIL)
    options = options_from(holder, {"service_tier": "priority"})
    assert options.service_tier == "priority"
    assert (options.guardrail_identifier, options.guardrail_version) == (GUARDRAIL, "DRAFT")
    assert holder.invocation_options({}) == options_from(holder, {})
    with pytest.raises(pkg.InvalidParameterError, match="'service_tier' must be one of"):
        options_from(holder, {"service_tier": "gold"})


@pytest.mark.parametrize("option", OPTIONS, ids=OPTION_NAMES)
def test_each_option_reaches_the_wire_where_declared(option):
    values = _with_requirements(option)
    plain = _request({k: v for k, v in values.items() if k != option.name}, stream=True)
    sent = _request(values, stream=True)
    kwargs, body = sent.boto_kwargs(), json.loads(sent.body)
    plain_kwargs, plain_body = plain.boto_kwargs(), json.loads(plain.body)
    if isinstance(option.wire, BotoArgument):
        encode = option.wire.encode or (lambda value: value)
        assert kwargs[option.wire.key] == encode(option.example)
        assert plain_kwargs.get(option.wire.key) != kwargs[option.wire.key]
        assert body == plain_body
    elif isinstance(option.wire, BodyField):
        assert body != plain_body
        assert option.wire.key in json.dumps(body)
        assert {k: v for k, v in kwargs.items() if k != "body"} == {
            k: v for k, v in plain_kwargs.items() if k != "body"
        }
    else:
        assert isinstance(option.wire, ClientBehaviour)
        assert (kwargs, body) == (plain_kwargs, plain_body)
        assert getattr(sent.params.options, option.name) == option.example


@pytest.mark.parametrize("option", OPTIONS, ids=OPTION_NAMES)
def test_each_option_is_checked_before_any_request(option):
    wrong = 12345 if option.type != "int | None" else "many"
    with pytest.raises(pkg.InvalidParameterError, match=repr(option.name)):
        check_options(**{**_with_requirements(option), option.name: wrong})


@pytest.mark.parametrize(
    "option", [o for o in OPTIONS if o.requires], ids=[o.name for o in OPTIONS if o.requires]
)
def test_an_option_that_needs_another_says_so(option):
    with pytest.raises(pkg.InvalidParameterError) as caught:
        check_options(**{option.name: option.example})
    assert f"set {option.requires!r} too" in str(caught.value)


@pytest.mark.parametrize(
    "option", [o for o in OPTIONS if o.flag], ids=[o.name for o in OPTIONS if o.flag]
)
def test_each_flag_reaches_create_under_the_option_name(option):
    flag = option.flag
    example = option.example
    if flag.kind == "switch":
        argv = [flag.name]
    elif flag.kind == "pairs":
        argv = [arg for k, v in example.items() for arg in (flag.name, f"{k}={v}")]
    else:
        argv = [flag.name, str(example)]
    requirement = BY_NAME[option.requires].flag.name if option.requires else None
    if requirement:
        argv += [requirement, GUARDRAIL]
    args = cli.build_parser().parse_args([*argv, "hi"])
    assert create_arguments(args, "hi")[option.name] == example
    assert flag.name in cli.build_parser().format_help()


@pytest.mark.parametrize("cls", [pkg.AnthropicBedrock, pkg.AsyncAnthropicBedrock])
def test_client_constructors_and_create_spell_out_their_parameters(cls):
    parameters = inspect.signature(cls).parameters.values()
    kinds = {parameter.kind for parameter in parameters}
    assert inspect.Parameter.VAR_POSITIONAL not in kinds
    assert inspect.Parameter.VAR_KEYWORD not in kinds
    assert [p.name for p in parameters][:3] == ["access_key", "secret_key", "region"]


def test_bedrock_claude_shares_one_runtime_handle_between_its_twins():
    llm = pkg.BedrockClaude(max_retries=1, auto_inference_profile=True)
    sync, async_ = llm._sync_client, llm._async_client
    assert sync._runtime is async_._runtime is llm._runtime
    assert (sync.max_retries, async_.max_retries) == (1, 1)
    assert sync.auto_inference_profile and async_.auto_inference_profile


def test_a_remembered_option_check_still_sees_the_environment_and_the_exact_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from langchain_bedrock_claude._errors import InvalidParameterError
    from langchain_bedrock_claude._params import options_from

    fields = BedrockOptionFields()
    monkeypatch.delenv("BEDROCK_CLAUDE_REROUTE_RETIRED", raising=False)
    assert options_from(fields, {}).reroute_retired_models is False
    assert options_from(fields, {}).reroute_retired_models is False  # remembered
    monkeypatch.setenv("BEDROCK_CLAUDE_REROUTE_RETIRED", "1")
    assert options_from(fields, {}).reroute_retired_models is True  # the variable is read
    assert options_from(fields, {"cache_system": True}).cache_system is True
    with pytest.raises(InvalidParameterError, match="'cache_system' must be True or False"):
        options_from(fields, {"cache_system": 1})  # equal to True, yet refused
    metadata = {"team": "search"}  # a mapping cannot be remembered: checked every time
    assert options_from(fields, {"request_metadata": metadata}).request_metadata == metadata
