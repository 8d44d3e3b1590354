"""A LangChain class's constructor arguments, checked before pydantic sees them.

Unknown names are refused with "did you mean" (as per-call arguments are), and the spellings
users bring from langchain-aws (``BedrockLLM``, ``ChatBedrock``) either become their meaning
here, exactly, or are refused saying what to use. Nothing is accepted and then ignored: a
guardrail passed the langchain-aws way must guard.

The langchain-aws names and meanings are from ``langchain_aws/llms/bedrock.py`` (``BedrockBase``:
``guardrails``, ``config``, ``bedrock_api_key``, ``provider``, ``base_model_id``, ...).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any

from ._boto import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT
from ._errors import InvalidParameterError
from ._params import reject_unknown

__all__ = ["constructor_arguments"]

_GUARDRAIL_KEYS = {
    "guardrailIdentifier": "guardrail_identifier",
    "guardrailVersion": "guardrail_version",
    "trace": "guardrail_trace",
}
"""langchain-aws's ``guardrails`` dict keys -> our fields."""

# botocore Config options this package honours (its own client is built from them), and how.
_CONFIG_HONOURED = frozenset(
    {"connect_timeout", "read_timeout", "retries", "max_pool_connections", "region_name"}
)

_NO_MEANING_HERE: dict[str, str] = {
    "bedrock_client": (
        "a control-plane client is never used here (no model lookups are made); remove it"
    ),
    "provider_stop_sequence_key_name_map": "Claude's stop sequence key is fixed; remove it",
    "provider_stop_reason_key_map": "Claude's stop reason key is fixed; remove it",
    "beta_use_converse_api": "this package calls InvokeModel; remove it",
    "system_prompt_with_tools": (
        "tools go to ChatBedrockClaude through bind_tools, never into a prompt; remove it"
    ),
}
"""langchain-aws arguments that mean nothing here, and what to do instead."""


def constructor_arguments(cls: type[Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with the langchain-aws spellings translated; refuses anything else unknown.

    Args:
        cls: The pydantic model class being built (its fields and aliases are accepted).
        data: The keyword arguments the caller passed.

    Raises:
        InvalidParameterError: an unknown argument, a spelling with no meaning here, a value
            that cannot be honoured, or a bool where a number belongs.
    """
    arguments = dict(data)
    fields = cls.model_fields
    accepted = {name: name for name in fields}
    accepted.update({field.alias: name for name, field in fields.items() if field.alias})
    _translate_api_key(arguments)
    _translate_provider(arguments)
    if "guardrails" in arguments and "guardrails" not in accepted:
        _merge(arguments, _guardrails(arguments.pop("guardrails")), "guardrails")
    if "config" in arguments and "config" not in accepted:
        _merge(arguments, _config(arguments.pop("config")), "config")
    for name, advice in _NO_MEANING_HERE.items():
        if name in arguments and name not in accepted:
            raise InvalidParameterError(f"{name!r} (a langchain-aws argument): {advice}.")
    unknown = {name: value for name, value in arguments.items() if name not in accepted}
    reject_unknown(unknown, sorted(fields), hint="Extra request body fields go in model_kwargs.")
    for name, value in arguments.items():
        _refuse_bool_for_number(accepted[name], fields[accepted[name]].annotation, value)
    return arguments


def _merge(arguments: dict[str, Any], translated: Mapping[str, Any], source: str) -> None:
    for name, value in translated.items():
        if name in arguments:
            raise InvalidParameterError(
                f"{name!r} is given twice: directly and in {source!r}; pass it once."
            )
        arguments[name] = value


def _translate_api_key(arguments: dict[str, Any]) -> None:
    if "bedrock_api_key" in arguments:
        if "api_key" in arguments:
            raise InvalidParameterError(
                "'bedrock_api_key' and 'api_key' are the same setting; pass one of them."
            )
        arguments["api_key"] = arguments.pop("bedrock_api_key")


def _translate_provider(arguments: dict[str, Any]) -> None:
    if "provider" not in arguments:
        return
    provider = arguments.pop("provider")
    if provider is not None and (not isinstance(provider, str) or provider.lower() != "anthropic"):
        raise InvalidParameterError(
            f"'provider' must be 'anthropic' here (got {provider!r}): this package runs "
            "Anthropic's Claude only; use langchain-aws for other providers' models."
        )


def _guardrails(value: object) -> dict[str, Any]:
    """langchain-aws's ``guardrails={"guardrailIdentifier", "guardrailVersion", "trace"}``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidParameterError(
            "'guardrails' must be a dict with 'guardrailIdentifier', 'guardrailVersion' and "
            f"optionally 'trace' (got {type(value).__name__})."
        )
    unknown = [key for key in value if key not in _GUARDRAIL_KEYS]
    if unknown:
        raise InvalidParameterError(
            f"'guardrails' takes the keys {', '.join(map(repr, _GUARDRAIL_KEYS))} "
            f"(got {', '.join(map(repr, unknown))}); or use guardrail_identifier=, "
            "guardrail_version= and guardrail_trace=."
        )
    translated: dict[str, Any] = {}
    for key, name in _GUARDRAIL_KEYS.items():
        item = value.get(key)
        if item is None:
            continue
        if key == "trace":
            # langchain-aws sends trace "ENABLED" for any true value; strings pass as they are.
            if isinstance(item, bool):
                item = "enabled" if item else None
            elif isinstance(item, str):
                item = item.lower()
        if item is not None:
            translated[name] = item
    if translated and "guardrail_identifier" not in translated:
        raise InvalidParameterError(
            "'guardrails' needs a 'guardrailIdentifier' (got only "
            f"{', '.join(repr(k) for k in value if value[k] is not None)})."
        )
    return translated


def _config(value: object) -> dict[str, Any]:
    """A botocore ``Config``: its timeouts, retries, pool size and region, or an error."""
    if value is None:
        return {}
    from botocore.config import Config

    if not isinstance(value, Config):
        raise InvalidParameterError(
            f"'config' must be a botocore.config.Config (got {type(value).__name__})."
        )
    # The options the caller set: botocore keeps them apart from its defaults (a private
    # attribute; if a botocore release renames it, refuse rather than ignore the Config).
    provided = getattr(value, "_user_provided_options", None)
    if not isinstance(provided, Mapping):
        raise InvalidParameterError(
            "this botocore version's Config cannot be read: use timeout=, max_retries=, "
            "max_connections= and region_name= instead of config=."
        )
    given: dict[str, Any] = dict(provided)
    refused = sorted(set(given) - _CONFIG_HONOURED)
    if refused:
        raise InvalidParameterError(
            f"botocore Config option(s) {', '.join(map(repr, refused))} cannot be honoured "
            "here (this package builds its own boto3 client): pass a ready boto3 client as "
            "client=, or use timeout=, max_retries=, max_connections= and region_name=."
        )
    translated: dict[str, Any] = {}
    if "connect_timeout" in given or "read_timeout" in given:
        translated["timeout"] = (
            given.get("connect_timeout", DEFAULT_CONNECT_TIMEOUT),
            given.get("read_timeout", DEFAULT_READ_TIMEOUT),
        )
    if "retries" in given:
        translated["max_retries"] = _retries(given["retries"])
    if "max_pool_connections" in given:
        translated["max_connections"] = given["max_pool_connections"]
    if "region_name" in given:
        translated["region_name"] = given["region_name"]
    return translated


def _retries(retries: Mapping[str, Any]) -> int:
    """The retry count in botocore's ``retries`` (``total_max_attempts`` counts the first try)."""
    unknown = sorted(set(retries) - {"max_attempts", "total_max_attempts", "mode"})
    if retries.get("mode", "standard") not in ("standard", "legacy") or unknown:
        raise InvalidParameterError(
            f"Config(retries={dict(retries)!r}) cannot be honoured: retries here are this "
            "package's own (exponential backoff with jitter); pass max_retries= or a "
            "retry_policy to the client."
        )
    if "total_max_attempts" in retries:
        return int(retries["total_max_attempts"]) - 1
    if "max_attempts" in retries:
        return int(retries["max_attempts"])
    raise InvalidParameterError(
        "Config(retries=...) sets no count: give 'max_attempts', or pass max_retries=."
    )


def _refuse_bool_for_number(name: str, annotation: object, value: object) -> None:
    # pydantic reads True as 1 for a number field, and fails on inf with its own error; a flag
    # or a non-whole number in an integer's place is a mistake, said the way our checks say it.
    kinds = set(_flatten(annotation))
    if bool in kinds or not kinds & {int, float}:
        return
    integer = float not in kinds
    what = "an integer" if integer else "a number"
    if isinstance(value, bool):
        raise InvalidParameterError(f"{name!r} must be {what}, not a bool (got {value!r}).")
    if integer and isinstance(value, float) and not value.is_integer():
        raise InvalidParameterError(f"{name!r} must be an integer (got {value!r}).")


def _flatten(annotation: object) -> list[object]:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or isinstance(annotation, types.UnionType):
        return [kind for arg in typing.get_args(annotation) for kind in _flatten(arg)]
    if origin is typing.Annotated:
        return _flatten(typing.get_args(annotation)[0])
    return [annotation]
