"""AWS regions -> the geo prefix of Bedrock's cross-region inference profiles."""

from __future__ import annotations

__all__ = ["GEOS", "geo_prefix", "inference_profile_for", "with_geo_of"]

# Longest match first: a region's own prefix decides its inference-profile geography. The geos
# are those of Bedrock's system-defined profiles (us, us-gov, eu, apac, jp, au, global: AWS CDK's
# CrossRegionInferenceProfileRegion and the Bedrock user guide, "Supported cross-Region inference
# profiles"); jp. and au. serve Tokyo/Osaka and Sydney/Melbourne for the Claude 4.5 models.
_GEOS: tuple[tuple[str, str], ...] = (
    ("us-gov-", "us-gov"),
    ("us-", "us"),
    ("ca-", "us"),
    ("eu-", "eu"),
    ("ap-northeast-1", "jp"),
    ("ap-northeast-3", "jp"),
    ("ap-southeast-2", "au"),
    ("ap-southeast-4", "au"),
    ("ap-", "apac"),
)


GEOS = frozenset({geo for _, geo in _GEOS} | {"global"})
"""Every geo prefix of Bedrock's inference profile ids (``global.``: any commercial region)."""


def geo_prefix(region: str | None) -> str | None:
    """The inference-profile geo prefix for ``region`` (``us-west-2`` -> ``us``), if known."""
    if not region:
        return None
    return next((geo for prefix, geo in _GEOS if region.startswith(prefix)), None)


def inference_profile_for(model_id: str, region: str | None) -> str | None:
    """The inference profile id for a bare ``anthropic.`` model id in ``region``, if derivable."""
    geo = geo_prefix(region)
    if geo is None or not model_id.startswith("anthropic."):
        return None
    return f"{geo}.{model_id}"


def _geo_of(model_id: str) -> str | None:
    """The geo prefix ``model_id`` starts with (``eu.anthropic...`` -> ``eu``), if any."""
    head, dot, _ = model_id.partition(".")
    return head if dot and head in GEOS else None


def with_geo_of(profile_id: str, model_id: str, region: str | None) -> str:
    """``profile_id`` moved to the caller's geography: that of ``model_id``, else of ``region``.

    ``us.anthropic.claude-haiku-4-5-20251001-v1:0`` for a caller in eu-west-1 becomes
    ``eu.anthropic.claude-haiku-4-5-20251001-v1:0``; with neither known it is left as it is.
    """
    geo = _geo_of(model_id) or geo_prefix(region)
    own = _geo_of(profile_id)
    if geo is None or own is None or own == geo:
        return profile_id
    return f"{geo}.{profile_id[len(own) + 1 :]}"
