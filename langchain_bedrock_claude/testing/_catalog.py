"""The emulator's own model table and model-id resolution.

Independent of the client's routing on purpose: the emulator decides, from the id in the
URL, which model answers and how its responses look. Shapes follow the recordings:

=================  ==========================================  ==========================
style              models                                      response shape
=================  ==========================================  ==========================
``legacy``         claude-v2, claude-v2:1, claude-instant-v1   Text Completions body;
                                                               a Messages body gets a
                                                               ``classic`` answer
``classic``        claude-3 haiku/sonnet/opus, 3.5 sonnet v1   ``id,type,role,model,...``,
                   and v2, 3.5 haiku                           usage ``input_tokens,
                                                               output_tokens`` (+ cache
                                                               keys when caching)
``cache_keys``     3.7 sonnet, sonnet 4, opus 4, opus 4.1      ``classic`` + cache keys
                                                               always in usage
``model_first``    haiku 4.5                                   ``model`` first, usage with
                                                               ``cache_creation``
``stop_details``   sonnet 4.5, opus 4.5, sonnet/opus 4.6,      ``model_first`` +
                   opus 4.7, opus 4.8, sonnet 5                ``stop_details`` (invoke)
=================  ==========================================  ==========================

Extended thinking (``"thinking": {"type": "enabled", "budget_tokens": N}``): 3.7 sonnet
through the 4.6 models; the 4.6 models also take ``{"type": "adaptive"}``; Opus 4.7 and every
later model take only adaptive thinking; the claude-3/3.5 and legacy models none (see
:class:`Thinking`). Sonnet 5, Opus 5, Haiku 5.5 think when the request has no ``thinking``
(``disabled`` turns it off); Fable 5, Fable 5.1, Opus 5.5 and Sonnet 5.5 always think. From
Opus 4.7 on the thinking text is omitted unless ``display`` is ``summarized``: the block
carries only its signature, as recorded for Sonnet 5 (pydantic-ai).

Prefill (a conversation ending with an assistant turn): refused from the 4.6 models on
(Anthropic's migration guide: "Prefilling assistant messages returns a 400 error on Claude
4.6 models"; the Opus 5.5 and Haiku 5.5 migration guides).

System turns (``{"role": "system"}`` in ``messages``, mid-conversation system messages):
taken by Opus 4.8 only, under the placement rules of AWS's Bedrock guide (see
``_validation``); refused by every other model, in every position.

Count tokens: supported from 3.7 sonnet on, for bare (regional) ids and foundation-model
ARNs only; legacy models, the claude-3/3.5 family and inference profiles answer "The
provided model doesn't support counting tokens." (the last as recorded for a ``us.`` id).

Sources per model are noted on each entry; the client's own table is never consulted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any


class Style(Enum):
    """How a model family shapes its Messages responses (see the module table)."""

    LEGACY = "legacy"
    CLASSIC = "classic"
    CACHE_KEYS = "cache_keys"
    MODEL_FIRST = "model_first"
    STOP_DETAILS = "stop_details"


class Thinking(Enum):
    """Which ``thinking`` settings a model accepts."""

    NONE = "none"
    """No thinking: ``'<model>' does not support thinking.``"""
    BUDGET = "budget"
    """Extended thinking with a ``budget_tokens`` (``{"type": "enabled"}``)."""
    BUDGET_OR_ADAPTIVE = "budget_or_adaptive"
    """Either ``{"type": "enabled"}`` with a budget or ``{"type": "adaptive"}`` (4.6)."""
    ADAPTIVE = "adaptive"
    """Adaptive thinking only; ``{"type": "enabled"}`` is rejected."""


@dataclass(frozen=True)
class ModelSpec:
    """One model the emulator knows."""

    key: str
    """The id's core, e.g. ``claude-3-5-sonnet`` or ``claude-v2:1``."""
    reported_name: str
    """What ``model`` says in responses, e.g. ``claude-3-5-sonnet-20240620``."""
    style: Style
    """Response shape (see the module table)."""
    max_output_tokens: int
    """Largest accepted ``max_tokens`` / ``max_tokens_to_sample``."""
    date: str = ""
    """The release date in the id (``YYYYMMDD``), empty when the id carries none."""
    on_demand: bool = True
    """Whether a bare regional id may be invoked (else an inference profile is needed)."""
    counts_tokens: bool = False
    """Whether CountTokens works for this model."""
    exclusive_sampling: bool = False
    """``temperature`` and ``top_p`` may not both be given (4.5 generation)."""
    sampling_deprecated: bool = False
    """``temperature``, ``top_p`` and ``top_k`` are rejected (Opus 4.7 and later)."""
    min_cache_tokens: int = 1024
    """Shorter ``cache_control`` prefixes are not cached (Anthropic's documented minimum)."""
    usage_details: bool = False
    """Usage also reports ``output_tokens_details`` and ``service_tier`` (2026 models)."""
    thinking: Thinking = Thinking.NONE
    """Which ``thinking`` settings the model accepts."""
    thinks_by_default: bool = False
    """The model thinks when the request has no ``thinking`` field."""
    always_thinks: bool = False
    """``{"type": "disabled"}`` is refused: the model thinks on every request."""
    omits_thinking: bool = False
    """The thinking text is left out unless ``display`` is ``summarized`` (signature only)."""
    efforts: tuple[str, ...] = ()
    """The ``output_config.effort`` levels accepted; empty: ``effort`` is refused."""
    prefill: bool = True
    """A conversation may end with an assistant turn."""
    context_window: int = 200_000
    """Input tokens beyond this get "Input is too long for requested model." (recorded)."""
    system_turns: bool = False
    """``{"role": "system"}`` turns in ``messages`` are taken (mid-conversation system
    messages, under Bedrock's placement rules); else every one is refused."""
    knows_system_role: bool = False
    """How a refusal of a system turn reads: ``role 'system' is not supported on this
    model`` (``True``, Opus 4.7 on) or ``messages: Unexpected role "system"...`` (older)."""

    @property
    def legacy(self) -> bool:
        """Whether this is a Text Completions model."""
        return self.style is Style.LEGACY


_MILLION = 1_000_000
"""The 1M-token context of the 4.6 and later models (Anthropic's model pages)."""
_EFFORTS_4_5 = ("low", "medium", "high")
"""Opus 4.5's effort levels (Anthropic's effort page); Sonnet and Haiku 4.5 take none."""
_EFFORTS_4_6 = ("low", "medium", "high", "max")
_EFFORTS_ALL = ("low", "medium", "high", "xhigh", "max")
"""xhigh arrived with Opus 4.7 (promptfoo/promptfoo#8763)."""
LEGACY_MAX_TOKENS_TO_SAMPLE = 8191
"""From the real error ``8192 is not less or equal to 8191`` (claude-v2)."""

_ADAPTIVE = ModelSpec(
    "",
    "",
    Style.STOP_DETAILS,
    128000,
    on_demand=False,
    counts_tokens=True,
    sampling_deprecated=True,
    thinking=Thinking.ADAPTIVE,
    omits_thinking=True,
    efforts=_EFFORTS_ALL,
    prefill=False,
    context_window=_MILLION,
    knows_system_role=True,
)
"""Opus 4.7 and every later model: adaptive thinking only, no sampling, no prefill, 1M/128K."""
_THINKS_BY_DEFAULT: dict[str, Any] = {"usage_details": True, "thinks_by_default": True}
"""The 2026 models that think without a ``thinking`` field (``disabled`` turns it off)."""
_ALWAYS_THINKS: dict[str, Any] = {**_THINKS_BY_DEFAULT, "always_thinks": True}
"""The 2026 models that think on every request."""


def _adaptive(key: str, **changes: Any) -> ModelSpec:
    """An adaptive-only model whose id carries no date (its key is its reported name)."""
    return replace(_ADAPTIVE, key=key, reported_name=key, **changes)


_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec("claude-v2", "claude-2.0", Style.LEGACY, LEGACY_MAX_TOKENS_TO_SAMPLE),
    ModelSpec("claude-v2:1", "claude-2.1", Style.LEGACY, LEGACY_MAX_TOKENS_TO_SAMPLE),
    ModelSpec("claude-instant-v1", "claude-instant-1.2", Style.LEGACY, LEGACY_MAX_TOKENS_TO_SAMPLE),
    ModelSpec(
        "claude-3-haiku",
        "claude-3-haiku-20240307",
        Style.CLASSIC,
        4096,
        "20240307",
        min_cache_tokens=2048,
    ),
    ModelSpec("claude-3-sonnet", "claude-3-sonnet-20240229", Style.CLASSIC, 4096, "20240229"),
    ModelSpec("claude-3-opus", "claude-3-opus-20240229", Style.CLASSIC, 4096, "20240229"),
    ModelSpec("claude-3-5-sonnet", "claude-3-5-sonnet-20240620", Style.CLASSIC, 8192, "20240620"),
    ModelSpec(
        "claude-3-5-sonnet",
        "claude-3-5-sonnet-20241022",
        Style.CLASSIC,
        8192,
        "20241022",
        on_demand=False,
    ),
    ModelSpec(
        "claude-3-5-haiku",
        "claude-3-5-haiku-20241022",
        Style.CLASSIC,
        8192,
        "20241022",
        min_cache_tokens=2048,
    ),
    ModelSpec(
        "claude-3-7-sonnet",
        "claude-3-7-sonnet-20250219",
        Style.CACHE_KEYS,
        64000,
        "20250219",
        on_demand=False,
        counts_tokens=True,
        thinking=Thinking.BUDGET,
    ),
    ModelSpec(
        "claude-sonnet-4",
        "claude-sonnet-4-20250514",
        Style.CACHE_KEYS,
        64000,
        "20250514",
        on_demand=False,
        counts_tokens=True,
        thinking=Thinking.BUDGET,
    ),
    ModelSpec(
        "claude-opus-4",
        "claude-opus-4-20250514",
        Style.CACHE_KEYS,
        32000,
        "20250514",
        on_demand=False,
        counts_tokens=True,
        thinking=Thinking.BUDGET,
    ),
    ModelSpec(
        "claude-opus-4-1",
        "claude-opus-4-1-20250805",
        Style.CACHE_KEYS,
        32000,
        "20250805",
        on_demand=False,
        counts_tokens=True,
        thinking=Thinking.BUDGET,
    ),
    ModelSpec(
        "claude-haiku-4-5",
        "claude-haiku-4-5-20251001",
        Style.MODEL_FIRST,
        64000,
        "20251001",
        on_demand=False,
        counts_tokens=True,
        exclusive_sampling=True,
        min_cache_tokens=4096,
        thinking=Thinking.BUDGET,
    ),
    ModelSpec(
        "claude-sonnet-4-5",
        "claude-sonnet-4-5-20250929",
        Style.STOP_DETAILS,
        64000,
        "20250929",
        on_demand=False,
        counts_tokens=True,
        exclusive_sampling=True,
        thinking=Thinking.BUDGET,
    ),
    ModelSpec(
        "claude-opus-4-5",
        "claude-opus-4-5-20251101",
        Style.STOP_DETAILS,
        64000,
        "20251101",
        on_demand=False,
        counts_tokens=True,
        exclusive_sampling=True,
        min_cache_tokens=4096,
        thinking=Thinking.BUDGET,
        efforts=_EFFORTS_4_5,
    ),
    # The 4.6 models: prefill refused, adaptive thinking added beside budgets, effort
    # low..max; 1M context (Anthropic "Migrating to Claude 4.6"; recorded native structured
    # output stream for us.anthropic.claude-sonnet-4-6, pydantic-ai).
    ModelSpec(
        "claude-sonnet-4-6",
        "claude-sonnet-4-6",
        Style.STOP_DETAILS,
        64000,
        on_demand=False,
        counts_tokens=True,
        exclusive_sampling=True,
        thinking=Thinking.BUDGET_OR_ADAPTIVE,
        efforts=_EFFORTS_4_6,
        prefill=False,
        context_window=_MILLION,
    ),
    ModelSpec(
        "claude-opus-4-6",
        "claude-opus-4-6",
        Style.STOP_DETAILS,
        128000,
        on_demand=False,
        counts_tokens=True,
        exclusive_sampling=True,
        thinking=Thinking.BUDGET_OR_ADAPTIVE,
        efforts=_EFFORTS_4_6,
        prefill=False,
        context_window=_MILLION,
    ),
    # Opus 4.7 on: sampling "deprecated" (Comfy-Org/ComfyUI#13923), adaptive only
    # (anthropics/claude-code#51711), effort adds xhigh (promptfoo/promptfoo#8763), thinking
    # text omitted by default (danny-avila/LibreChat#14042).
    _adaptive("claude-opus-4-7"),
    # Recorded (pydantic-ai, us.anthropic.claude-opus-4-8): no thinking block without a
    # thinking field, usage with output_tokens_details, 52-character message ids. The one
    # model taking system turns: recorded 200 for a {"role": "system"} turn after a user
    # turn, no anthropic_beta (pydantic-ai test_mid_conversation_system_prompt_on_bedrock);
    # AWS's Bedrock guide "Mid-conversation system messages": "available on Claude Opus 4.8
    # only". Opus 5 / 5.5 and Fable 5 / 5.1 are said to take them on Anthropic's own API
    # (third-party catalogs), with no Bedrock source: refused here, as by Sonnet 5 (gproxy's
    # claude_mid_conv_system list) and every older model (BerriAI/litellm#32831, live).
    _adaptive("claude-opus-4-8", usage_details=True, system_turns=True),
    # Fable 5 (2026-06-09): 1M / 128K, "Adaptive (always on)" (Anthropic's Fable 5 overview
    # and models overview; cannot be disabled: docs.apiyi.com thinking guide).
    _adaptive("claude-fable-5", **_ALWAYS_THINKS),
    # Recorded (pydantic-ai, us.anthropic.claude-sonnet-5, two calls without a thinking
    # field): a signature-only thinking block before the text. "`temperature` is deprecated
    # for this model." (live Bedrock, onyx-dot-app/onyx#12734).
    _adaptive("claude-sonnet-5", **_THINKS_BY_DEFAULT),
    # Opus 5 (2026-07-24): profile-only, 1M / 128K, thinking on by default, cache minimum
    # 512 (langgenius/dify-official-plugins#3511, from the Bedrock model card).
    _adaptive("claude-opus-5", **_THINKS_BY_DEFAULT, min_cache_tokens=512),
    _adaptive("claude-fable-5-1", **_ALWAYS_THINKS),
    # Opus 5.5 (profile-only, 2026-09-22: langgenius/dify-official-plugins#3925): always
    # thinks (models overview "Adaptive (always on)"; aebrer/dreb v2.72.0).
    _adaptive("claude-opus-5-5", **_ALWAYS_THINKS),
    # Sonnet 5.5: thinks by default and turns down with "between_tools", not "disabled"
    # (experientiallabs/experiential v0.7.129): "disabled" is refused here.
    _adaptive("claude-sonnet-5-5", **_ALWAYS_THINKS),
    # Haiku 5.5 (2026-10-07): sampling and prefill 400, adaptive only and on by default,
    # cache minimum 512 (Haiku 5.5 migration guide; apidog "Haiku 5.5 vs Haiku 4.5").
    _adaptive("claude-haiku-5-5", **_THINKS_BY_DEFAULT, min_cache_tokens=512),
)

GEO_PREFIXES = ("us-gov", "us", "eu", "apac", "global", "jp", "au", "ca", "in")
"""Cross-region inference profile prefixes (``us.anthropic...``); Bedrock calls any other
prefix "The provided model identifier is invalid." (``in.``: India, issue 13)."""

_LEGACY_ID = re.compile(r"anthropic\.(claude-v2(?::1)?|claude-instant-v1)(?::\d+(?::\d+k)?)?")
_MODERN_ID = re.compile(
    r"anthropic\.(?P<key>claude-[a-z0-9-]+?)(?:-(?P<date>\d{8}))?(?:-v\d+(?::\d+)?)?(?::\d+k)?"
)
_ARN = re.compile(
    r"arn:aws(?:-[a-z-]+)?:bedrock:[a-z0-9-]+:(?:\d{12})?:"
    r"(?P<kind>foundation-model|inference-profile|application-inference-profile"
    r"|provisioned-model|custom-model-deployment)/(?P<rest>[A-Za-z0-9._:-]+)"
)
_OPAQUE_ARN_KINDS = frozenset(
    {"application-inference-profile", "provisioned-model", "custom-model-deployment"}
)


@dataclass(frozen=True)
class ResolvedModel:
    """What a model id in a URL refers to."""

    model_id: str
    """The id as received (percent-decoded)."""
    spec: ModelSpec
    """The model that answers."""
    via_profile: bool
    """Whether the id is a cross-region, application profile or provisioned model."""
    base_id: str
    """The underlying ``anthropic.…`` id (``model_id`` without geo prefix or ARN)."""


def resolve_model(model_id: str, *, opaque_arn_model: str) -> ResolvedModel | None:
    """Resolve a model id, inference profile id or ARN.

    Args:
        model_id: The percent-decoded id from the URL path.
        opaque_arn_model: The ``anthropic.…`` id answering for application inference
            profiles and provisioned models, whose ARNs don't name their model.

    Returns:
        The resolution, or ``None`` when the emulator doesn't know the id.
    """
    arn = _ARN.fullmatch(model_id)
    if arn is not None:
        kind, rest = arn["kind"], arn["rest"]
        if kind in _OPAQUE_ARN_KINDS:
            found = _resolve_plain(opaque_arn_model)
            if found is None:
                return None
            return ResolvedModel(model_id, found[0], True, found[1])
        found = _resolve_plain(rest)
        if found is None or (kind == "foundation-model") == found[2]:
            return None  # foundation-model ARNs are bare ids, profile ARNs have a prefix
        return ResolvedModel(model_id, found[0], found[2], found[1])
    found = _resolve_plain(model_id)
    if found is None:
        return None
    return ResolvedModel(model_id, found[0], found[2], found[1])


def _resolve_plain(model_id: str) -> tuple[ModelSpec, str, bool] | None:
    """Resolve ``[geo.]anthropic.…``; returns the spec, the bare id and "had a prefix"."""
    geo, _, rest = model_id.partition(".")
    prefixed = geo in GEO_PREFIXES
    base = rest if prefixed else model_id
    if _LEGACY_ID.fullmatch(base):
        key = base.removeprefix("anthropic.")
        key = "claude-v2:1" if key.startswith("claude-v2:1") else key.split(":")[0]
        legacy = _lookup(key, "")
        return (legacy, base, prefixed) if legacy is not None else None
    match = _MODERN_ID.fullmatch(base)
    if match is None:
        return None
    spec = _lookup(match["key"], match["date"] or "")
    if spec is None:
        return None
    return spec, base, prefixed


def _lookup(key: str, date: str) -> ModelSpec | None:
    candidates = [m for m in _MODELS if m.key == key]
    if date:
        candidates = [m for m in candidates if m.date == date]
    return candidates[0] if candidates else None  # without a date: the first release
