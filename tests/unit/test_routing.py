import pytest

from langchain_bedrock_claude import InvalidParameterError
from langchain_bedrock_claude._routing import resolve_model

ROUTES = [
    # id, api, family, version, geo, sampling rule (None: an ARN naming no model)
    ("anthropic.claude-v2", "text_completions", "v", (2,), None, "any"),
    ("anthropic.claude-v2:1", "text_completions", "v", (2,), None, "any"),
    ("anthropic.claude-instant-v1", "text_completions", "instant", (1,), None, "any"),
    ("us.anthropic.claude-v2:1", "text_completions", "v", (2,), "us", "any"),
    ("anthropic.claude-v2:1:200k", "text_completions", "v", (2,), None, "any"),
    ("anthropic.claude-3-haiku-20240307-v1:0", "messages", "haiku", (3,), None, "any"),
    ("anthropic.claude-3-5-sonnet-20240620-v1:0", "messages", "sonnet", (3, 5), None, "any"),
    ("us.anthropic.claude-3-7-sonnet-20250219-v1:0", "messages", "sonnet", (3, 7), "us", "any"),
    ("us.anthropic.claude-sonnet-4-20250514-v1:0", "messages", "sonnet", (4,), "us", "any"),
    (
        "us.anthropic.claude-opus-4-1-20250805-v1:0",
        "messages",
        "opus",
        (4, 1),
        "us",
        "temperature_or_top_p",
    ),
    (
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "messages",
        "sonnet",
        (4, 5),
        "us",
        "temperature_or_top_p",
    ),
    (
        "global.anthropic.claude-haiku-4-5-20251001-v1:0",
        "messages",
        "haiku",
        (4, 5),
        "global",
        "temperature_or_top_p",
    ),
    (
        "eu.anthropic.claude-opus-4-5-20251101-v1:0",
        "messages",
        "opus",
        (4, 5),
        "eu",
        "temperature_or_top_p",
    ),
    # 2026-style ids, with no date and no -v1:0 suffix
    ("anthropic.claude-sonnet-4-6", "messages", "sonnet", (4, 6), None, "temperature_or_top_p"),
    ("us.anthropic.claude-opus-4-7", "messages", "opus", (4, 7), "us", "none"),
    ("us.anthropic.claude-opus-4-8", "messages", "opus", (4, 8), "us", "none"),
    ("apac.anthropic.claude-opus-5", "messages", "opus", (5,), "apac", "none"),
    ("us.anthropic.claude-sonnet-5", "messages", "sonnet", (5,), "us", "none"),
    # a version the table does not list: the family's newest rules (Haiku 5.5)
    ("us.anthropic.claude-haiku-5", "messages", "haiku", (5,), "us", "none"),
    # geo prefixes we know and one not invented yet
    ("us-gov.anthropic.claude-3-haiku-20240307-v1:0", "messages", "haiku", (3,), "us-gov", "any"),
    (
        "jp.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "messages",
        "sonnet",
        (4, 5),
        "jp",
        "temperature_or_top_p",
    ),
    (
        "au.anthropic.claude-haiku-4-5-20251001-v1:0",
        "messages",
        "haiku",
        (4, 5),
        "au",
        "temperature_or_top_p",
    ),
    ("mars-1.anthropic.claude-sonnet-4-20250514-v1:0", "messages", "sonnet", (4,), "mars-1", "any"),
    # ARNs
    (
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
        "messages",
        "haiku",
        (3,),
        None,
        "any",
    ),
    (
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2:1",
        "text_completions",
        "v",
        (2,),
        None,
        "any",
    ),
    (
        "arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.anthropic.claude-opus-4-7",
        "messages",
        "opus",
        (4, 7),
        "us",
        "none",
    ),
    (
        "arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/"
        "us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0",
        "messages",
        "sonnet",
        (3, 5),
        "us-gov",
        "any",
    ),
    (
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
        "messages",
        None,
        None,
        None,
        None,
    ),
    (
        "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcdefghijkl",
        "messages",
        None,
        None,
        None,
        None,
    ),
]


@pytest.mark.parametrize(("model_id", "api", "family", "version", "geo", "sampling"), ROUTES)
def test_ids_route_to_their_api_and_rules(model_id, api, family, version, geo, sampling):
    ref = resolve_model(model_id)
    assert ref.model_id == model_id
    assert ref.api == api
    assert ref.family == family
    assert ref.version == version
    assert ref.geo == geo
    assert (ref.rules.sampling if ref.rules else None) == sampling


def test_api_override_wins():
    assert resolve_model("anthropic.claude-v2", "messages").api == "messages"
    ref = resolve_model("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "text_completions")
    assert ref.api == "text_completions"


@pytest.mark.parametrize(
    "model_id",
    [
        "amazon.nova-lite-v1:0",
        "us.amazon.nova-pro-v1:0",
        "meta.llama3-70b-instruct-v1:0",
        "anthropic.titan",
        "claude-3-haiku",
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1",
    ],
)
def test_non_claude_ids_are_refused_with_the_accepted_forms(model_id):
    with pytest.raises(InvalidParameterError) as caught:
        resolve_model(model_id)
    assert model_id in str(caught.value)
    assert "inference profile" in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("model_id", ["", "   ", None, 42, " anthropic.claude-v2"])
def test_blank_or_non_string_ids_are_refused(model_id):
    with pytest.raises(InvalidParameterError):
        resolve_model(model_id)


def test_unknown_api_is_refused():
    with pytest.raises(InvalidParameterError, match="'api'"):
        resolve_model("anthropic.claude-v2", "chat")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("model_id", "limit"),
    [("us.anthropic.claude-opus-4-0", 32_000), ("anthropic.claude-3-0-opus", 4096)],
)
def test_a_version_with_a_trailing_zero_takes_that_versions_rules(model_id, limit):
    # Anthropic's alias spelling (claude-opus-4-0 is Claude Opus 4), not the family's newest.
    from langchain_bedrock_claude._params import check_params

    check_params(model=model_id, prompt="hi", max_tokens=limit)
    with pytest.raises(InvalidParameterError, match=f"between 1 and {limit} for {model_id}"):
        check_params(model=model_id, prompt="hi", max_tokens=limit + 1)


def test_a_claude_name_of_no_known_shape_takes_the_newest_rules_of_all() -> None:
    # "claude" followed by something else than a dash: no family or version to read.
    odd = resolve_model("anthropic.claudenext-v1:0")
    assert (odd.family, odd.version) == (None, None)
    from langchain_bedrock_claude._model_rules import rules_for

    assert odd.rules is rules_for(None, None)  # the newest model's rules, as for any unknown
