"""AWS regions -> the geo prefix of Bedrock's cross-region inference profiles."""

from __future__ import annotations

__all__ = ["geo_prefix", "inference_profile_for"]

# Longest match first: a region's own prefix decides its inference-profile geography.
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
