"""The emulator's image and document blocks: sizes from headers, token counts, Bedrock's checks."""

from __future__ import annotations

from typing import Any

import pytest

from langchain_bedrock_claude.testing import BedrockError
from langchain_bedrock_claude.testing._generate import count_block_tokens
from langchain_bedrock_claude.testing._media import check_media, image_size, image_tokens
from tests.images import b64, gif, image_block, jpeg, pdf, pdf_block, png, webp


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (png(37, 21), (37, 21)),
        (gif(640, 480), (640, 480)),
        (jpeg(1024, 768), (1024, 768)),
        (webp(800, 440), (800, 440)),
        (webp(300, 17, "VP8L"), (300, 17)),
        (webp(5000, 7000, "VP8X"), (5000, 7000)),
        (b"\x89PNG\r\n\x1a\n", None),  # truncated
        (b"not an image", None),
    ],
)
def test_image_size_is_read_from_the_header(data: bytes, size: tuple[int, int] | None) -> None:
    assert image_size(data) == size


@pytest.mark.parametrize(
    ("width", "height", "tokens"),
    [
        (200, 200, 54),  # Anthropic's vision docs: ~54 tokens
        (1000, 1000, 1334),  # ~1334
        (1092, 1092, 1590),  # ~1590, the largest 1:1 size not resized
        (800, 440, 470),  # the recorded WebP: 480 input tokens with its question
        (4000, 3000, 1598),  # resized to at most ~1,600 tokens (1460x1095)
        (20000, 100, 15),  # long edge cut to 1568 first (1568x7)
    ],
)
def test_image_tokens_follow_anthropics_formula(width: int, height: int, tokens: int) -> None:
    assert image_tokens(width, height) == tokens


def test_blocks_are_counted_by_pixels_and_pages_not_bytes() -> None:
    small, large = (
        image_block(png(200, 200), "image/png"),
        image_block(png(1000, 1000), "image/png"),
    )
    assert count_block_tokens(small) == 54
    assert count_block_tokens(large) == 1334
    assert count_block_tokens(pdf_block(pdf(3))) == 3 * 1500
    text_doc = {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": "x" * 70},
    }
    assert count_block_tokens(text_doc) == 20
    nested = {"type": "tool_result", "tool_use_id": "t", "content": [small]}
    assert count_block_tokens(nested) == 54


def where(block: dict[str, Any], *, nested: bool = False) -> list[dict[str, Any]]:
    if nested:
        block = {"type": "tool_result", "tool_use_id": "t", "content": [block]}
    return [{"role": "user", "content": [{"type": "text", "text": "look"}, block]}]


def rejected(messages: list[dict[str, Any]]) -> str:
    with pytest.raises(BedrockError) as caught:
        check_media(messages)
    assert caught.value.status == 400 and caught.value.name == "ValidationException"
    return caught.value.message


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        (png(2, 2), "image/png"),
        (gif(2, 2), "image/gif"),
        (jpeg(2, 2), "image/jpeg"),
        (webp(2, 2), "image/webp"),
    ],
)
def test_matching_images_pass(data: bytes, media_type: str) -> None:
    check_media(where(image_block(data, media_type)))
    check_media(where(image_block(data, media_type), nested=True))


def test_bad_images_get_bedrocks_errors() -> None:
    assert rejected(where(image_block(png(2, 2), "image/jpeg"))) == (
        "messages.0.content.1.image.source.base64.data: Image does not match the provided "
        "media type image/jpeg"
    )
    assert rejected(where(image_block(jpeg(2, 2), "image/png"), nested=True)) == (
        "messages.0.content.1.tool_result.content.0.image.source.base64.data: Image does not "
        "match the provided media type image/png"
    )
    assert rejected(where(image_block(png(2, 2), "image/bmp"))) == (
        "messages.0.content.1.image.source.base64.media_type: Input should be 'image/jpeg', "
        "'image/png', 'image/gif' or 'image/webp'"
    )
    bad = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "%%%"}}
    assert rejected(where(bad)) == (
        "messages.0.content.1.image.source.base64.data: The provided data is not valid base64"
    )
    huge = {
        "type": "image",
        "source": {
            "type": "base64",
            "media_type": "image/png",
            "data": "A" * (5 * 1024 * 1024 + 4),
        },
    }
    assert rejected(where(huge)) == (
        "messages.0.content.1.image.source: image exceeds 5 MB maximum: 5242884 bytes > 5242880 bytes"
    )
    assert rejected(where(image_block(png(8001, 10), "image/png"))) == (
        "messages.0.content.1.image.source.base64.data: At least one of the image dimensions "
        "exceed max allowed size: 8000 pixels"
    )
    assert rejected(where(image_block(b"\x89PNG\r\n\x1a\n", "image/png"))) == (
        "messages.0.content.1.image.source.base64.data: Could not process image"
    )
    many = [{"role": "user", "content": [image_block(png(2, 2), "image/png")] * 21}]
    assert rejected(many) == "messages: too many images in the request: 21 > 20"
    check_media([{"role": "user", "content": [image_block(png(2, 2), "image/png")] * 20}])


def test_bad_documents_get_errors() -> None:
    check_media(where(pdf_block(pdf(1))))
    assert rejected(where(pdf_block(png(2, 2)))) == (
        "messages.0.content.1.document.source.base64.data: The PDF specified was not valid."
    )
    assert rejected(where(pdf_block(pdf(1), "application/msword"))) == (
        "messages.0.content.1.document.source.base64.media_type: Input should be 'application/pdf'"
    )
    text = {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": b64(b"x")},
    }
    check_media(where(text))  # text documents carry text, not base64 bytes
