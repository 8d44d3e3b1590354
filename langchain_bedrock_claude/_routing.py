"""Model id, inference profile or ARN -> which Claude model, and which wire API it speaks.

Ids are parsed generically, not matched against a list: any geo prefix (``us.``, ``eu.``,
``global.``, and ones not invented yet), ids with or without a date and ``-v1:0`` suffix, and the
ARNs of foundation models, inference profiles, application inference profiles and provisioned
models.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ._errors import InvalidParameterError
from ._model_rules import ModelRules, Version, rules_for
from ._types import APIS, Api

__all__ = ["ModelRef", "resolve_model"]

_ARN = re.compile(r"^arn:aws[a-z-]*:bedrock:[a-z0-9-]*:\d*:(?P<kind>[a-z-]+)/(?P<resource>.+)$")
# An optional geo prefix (one dotted label), then the provider, then the model name.
_MODEL_ID = re.compile(r"^(?:(?P<geo>[a-z][a-z0-9-]*)\.)?(?P<provider>[a-z0-9-]+)\.(?P<name>.+)$")
_LEGACY_NAME = re.compile(
    r"^claude-(?:(?P<v>v(?P<major>\d+))|(?P<instant>instant-v(?P<imajor>\d+)))"
)
_FAMILIES = ("opus", "sonnet", "haiku", "fable")
_OPAQUE_ARN_KINDS = frozenset(
    {
        "application-inference-profile",
        "provisioned-model",
        "custom-model",
        "custom-model-deployment",
        "imported-model",
        "prompt",
    }
)
ACCEPTED_IDS = (
    "Anthropic Claude model ids ('anthropic.claude-...'), inference profile ids "
    "('us.anthropic.claude-...', 'global.anthropic.claude-...'), or Bedrock ARNs of foundation "
    "models, inference profiles, application inference profiles and provisioned models"
)


@dataclass(frozen=True, slots=True)
class ModelRef:
    """What the client knows about the model a request goes to."""

    model_id: str
    """The id or ARN exactly as given: it is what goes in the request path."""
    api: Api
    """The wire API to speak to it."""
    family: str | None
    """``opus``, ``sonnet``, ``haiku``, ``fable`` (``v``, ``instant``: legacy ids); ``None`` if
    opaque or a Claude family the package does not know yet."""
    version: Version | None
    """The model version, e.g. ``(4, 5)``; ``None`` if opaque."""
    geo: str | None
    """The inference profile's geo prefix (``us``, ``eu``, ``global``, ...), if any."""
    rules: ModelRules | None
    """The model's rules (for an id the table does not list, its family's newest); ``None``
    only for an ARN that does not name its model."""


def _parse_name(name: str) -> tuple[str | None, Version | None]:
    """``claude-sonnet-4-5-20250929-v1:0`` -> ("sonnet", (4, 5)); also old-style names."""
    legacy = _LEGACY_NAME.match(name)
    if legacy:
        if legacy.group("v"):
            return "v", (int(legacy.group("major")),)
        return "instant", (int(legacy.group("imajor")),)
    # Drop the version suffix (":0", "-v1:0", ":200k") and split on dashes.
    parts = name.split(":", 1)[0].split("-")
    if not parts or parts[0] != "claude":
        return None, None
    family = next((part for part in parts if part in _FAMILIES), None)
    if family is None:
        return None, None
    numbers: list[int] = []
    # New style puts the version after the family (claude-sonnet-4-5), old style before it
    # (claude-3-5-sonnet); a date (8 digits) or "v1" ends it.
    index = parts.index(family)
    after = parts[index + 1 :]
    before = parts[1:index]
    for part in after if after and after[0].isdigit() and len(after[0]) < 8 else before:
        if not part.isdigit() or len(part) >= 8:
            break
        numbers.append(int(part))
    return family, tuple(numbers) if numbers else None


@lru_cache(maxsize=256)  # ids repeat call after call; parsing one costs a few microseconds
def resolve_model(model_id: object, api: Api | None = None) -> ModelRef:
    """Parse ``model_id`` and decide its wire API (``api`` overrides the automatic choice).

    Raises:
        InvalidParameterError: the id is empty, not a string, or not a Claude model.
    """
    if not isinstance(model_id, str) or not model_id.strip():
        raise InvalidParameterError(
            f"'model' must be a non-empty string (got {model_id!r}); accepted: {ACCEPTED_IDS}."
        )
    if model_id != model_id.strip():
        raise InvalidParameterError(f"'model' has surrounding whitespace (got {model_id!r}).")
    if api is not None and api not in APIS:
        raise InvalidParameterError(
            f"'api' must be 'messages' or 'text_completions' (got {api!r})."
        )
    identifier = model_id
    arn = _ARN.match(model_id)
    if arn:
        if arn.group("kind") in _OPAQUE_ARN_KINDS:
            # The ARN does not say which model is behind it: speak Messages, every current
            # Claude's API, unless told otherwise.
            return ModelRef(model_id, api or "messages", None, None, None, None)
        identifier = arn.group("resource")
    match = _MODEL_ID.match(identifier)
    if (
        not match
        or match.group("provider") != "anthropic"
        or not match.group("name").startswith("claude")
    ):
        raise InvalidParameterError(
            f"'model' {model_id!r} is not a Claude model on Bedrock; accepted: {ACCEPTED_IDS}."
        )
    family, version = _parse_name(match.group("name"))
    rules = rules_for(family, version)
    chosen: Api = api or rules.api
    return ModelRef(model_id, chosen, family, version, match.group("geo"), rules)
