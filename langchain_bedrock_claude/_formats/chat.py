"""LangChain chat messages and tools <-> the Messages API body and its content blocks (pure).

Every block a message holds either reaches the body in the form Bedrock takes, or is refused
with an :class:`InvalidParameterError` that names the message and the block: nothing is
dropped silently. Accepted forms of each kind of content:

* text: ``str`` content, ``{"type": "text", "text": ...}`` (``cache_control`` and
  ``citations`` kept);
* images: Anthropic's ``{"type": "image", "source": {...}}``, LangChain's standard blocks
  (``{"type": "image", "base64": ..., "mime_type": ...}``, v0 ``source_type="base64"``),
  OpenAI's ``{"type": "image_url", "image_url": {"url": "data:..."}}``;
* documents: PDF and plain text as Anthropic's ``document`` blocks, LangChain's ``file`` and
  ``text-plain`` blocks, OpenAI's ``{"type": "file", "file": {"file_data": "data:..."}}``;
* assistant turns: ``tool_calls`` (and ``tool_use`` / v1 ``tool_call`` blocks), ``thinking``
  and ``redacted_thinking`` blocks with their signatures (v1 ``reasoning`` blocks too);
* tool results: :class:`ToolMessage` (string or list content, ``status="error"``), or
  ``tool_result`` blocks in a human message.

The stream side, :class:`StreamParser`, reads Messages events like the plain parser and also
hands on what the chat model needs: tool-use starts and their ``input_json_delta`` pieces,
thinking signatures, redacted thinking, each with its content block index.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.utils.function_calling import convert_to_openai_tool

from .._errors import InvalidParameterError
from .._models import CompletionChunk
from .._params import CompletionParams
from ._common import add_sampling, expect
from .messages import ANTHROPIC_VERSION, add_thinking
from .messages import StreamParser as MessagesStreamParser
from .messages import parse_response as parse_messages_response

__all__ = [
    "IMAGE_MEDIA_TYPES",
    "BlockPiece",
    "ChatInput",
    "ChatWire",
    "StreamParser",
    "format_messages",
    "to_tool",
    "to_tool_choice",
]

IMAGE_MEDIA_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
"""The image types Claude reads (Anthropic's vision guide)."""
PDF = "application/pdf"
TEXT_PLAIN = "text/plain"
CLIENT_TOOL_TYPES = (
    "bash_20250124",
    "text_editor_20250124",
    "text_editor_20250429",
    "text_editor_20250728",
)
"""Anthropic-defined client tools Bedrock takes besides custom tools (Bedrock's own answer
lists them: ``tools.0: Input tag 'web_search_20250305' found using 'type' does not match any
of the expected tags``, recorded by pydantic-ai); server tools such as web search are refused."""

_VERSIONED_TOOL = re.compile(r"_\d{8}$")
"""The ``type`` of an Anthropic-defined tool ends in its version date."""
_ROLES = {"human": "user", "user": "user", "ai": "assistant", "assistant": "assistant"}
_TEXT_KEYS = ("cache_control", "citations")
_DOCUMENT_KEYS = ("cache_control", "citations", "title", "context")
_TOOL_KEYS = ("name", "description", "input_schema", "cache_control", "strict")
_BOOKKEEPING = ("index", "id")
"""Keys LangChain adds to blocks for its own merging; they are not content."""


def _problem(where: str, message: str) -> InvalidParameterError:
    return InvalidParameterError(f"{where}: {message}")


# --- media -------------------------------------------------------------------------------------


def _data_uri(where: str, uri: str) -> tuple[str, str]:
    """``data:<type>;base64,<data>`` -> (type, data)."""
    head, sep, data = uri.partition(",")
    if not uri.startswith("data:") or not sep or not head.endswith(";base64"):
        raise _problem(
            where,
            "Bedrock takes images and documents as base64 data, not URLs; fetch the file and "
            f"pass it as base64 (got a URL starting {uri[:40]!r}).",
        )
    return head[len("data:") : -len(";base64")], data


def _checked_base64(where: str, data: object) -> str:
    if not isinstance(data, str) or not data:
        raise _problem(where, f"the base64 data must be a non-empty string (got {data!r:.40}).")
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _problem(where, f"the data is not valid base64 ({exc}).") from exc
    return data


def _image(where: str, media_type: object, data: object) -> dict[str, Any]:
    if media_type not in IMAGE_MEDIA_TYPES:
        raise _problem(
            where,
            f"Claude reads images of type {', '.join(IMAGE_MEDIA_TYPES)} (got {media_type!r}).",
        )
    return {
        "type": "image",
        "source": {
            "type": "base64",
            "media_type": media_type,
            "data": _checked_base64(where, data),
        },
    }


def _document(where: str, media_type: object, data: object) -> dict[str, Any]:
    if media_type == PDF:
        source = {"type": "base64", "media_type": PDF, "data": _checked_base64(where, data)}
        return {"type": "document", "source": source}
    if media_type == TEXT_PLAIN:
        if not isinstance(data, str):
            raise _problem(where, f"a text document needs its text (got {data!r:.40}).")
        return {
            "type": "document",
            "source": {"type": "text", "media_type": TEXT_PLAIN, "data": data},
        }
    raise _problem(
        where,
        f"Claude reads documents of type {PDF} and {TEXT_PLAIN} (got {media_type!r}); "
        "convert the file, or pass its text.",
    )


def _with_extras(
    block: dict[str, Any], source: Mapping[str, Any], keys: Sequence[str]
) -> dict[str, Any]:
    """``block`` with the Anthropic keys found on ``source`` or in its ``extras``/``metadata``."""
    for place in (source, source.get("extras") or {}, source.get("metadata") or {}):
        if isinstance(place, Mapping):
            for key in keys:
                if key in place:
                    block[key] = place[key]
    return block


def _standard_data(where: str, block: Mapping[str, Any]) -> tuple[str | None, object]:
    """A LangChain v0/v1 data block -> (mime type, base64 or text data)."""
    if "source_type" in block:  # v0: source_type base64 | url | id | text
        kind = block["source_type"]
        if kind == "base64":
            return block.get("mime_type"), block.get("data")
        if kind == "text":
            return TEXT_PLAIN, block.get("text", block.get("data"))
        if kind == "url":
            return _data_uri(where, str(block.get("url")))
        raise _problem(where, f"Bedrock cannot fetch files by {kind!r}; pass base64 data.")
    if "base64" in block:
        return block.get("mime_type"), block["base64"]
    if "url" in block:
        mime, data = _data_uri(where, str(block["url"]))
        return block.get("mime_type") or mime, data
    if "file_id" in block:
        raise _problem(where, "Bedrock has no file storage to refer to by 'file_id'; pass base64.")
    if "text" in block:
        return TEXT_PLAIN, block["text"]
    raise _problem(where, "the block has no data ('base64', 'url' or 'text').")


def _image_block(where: str, block: Mapping[str, Any]) -> dict[str, Any]:
    source = block.get("source")
    if isinstance(source, Mapping):  # Anthropic's own form
        if source.get("type") != "base64":
            raise _problem(
                where,
                f"Bedrock takes images as base64 sources only (got source type "
                f"{source.get('type')!r}); fetch the image and pass it as base64.",
            )
        image = _image(where, source.get("media_type"), source.get("data"))
    else:
        mime, data = _standard_data(where, block)
        image = _image(where, mime, data)
    return _with_extras(image, block, ("cache_control",))


def _document_block(where: str, block: Mapping[str, Any]) -> dict[str, Any]:
    source = block.get("source")
    if isinstance(source, Mapping):  # Anthropic's own form
        kind = source.get("type")
        if kind == "base64":
            document = _document(where, source.get("media_type"), source.get("data"))
        elif kind == "text":
            document = _document(where, TEXT_PLAIN, source.get("data"))
        elif kind == "content":
            document = {"type": "document", "source": dict(source)}
        else:
            raise _problem(
                where,
                f"Bedrock takes document sources 'base64', 'text' or 'content' (got {kind!r}).",
            )
    else:
        file = block.get("file")
        if isinstance(file, Mapping):  # OpenAI's form
            file_mime, file_data = _data_uri(where, str(file.get("file_data", "")))
            document = _document(where, file_mime, file_data)
            if file.get("filename"):
                document["title"] = file["filename"]
        else:
            mime, data = _standard_data(where, block)
            if mime in IMAGE_MEDIA_TYPES:  # a "file" block holding an image
                return _with_extras(_image(where, mime, data), block, ("cache_control",))
            if block.get("type") == "text-plain" and "base64" in block:
                data = base64.b64decode(_checked_base64(where, data)).decode()
                mime = TEXT_PLAIN
            document = _document(where, mime, data)
    return _with_extras(document, block, _DOCUMENT_KEYS)


# --- blocks ------------------------------------------------------------------------------------


def _text_block(where: str, block: Mapping[str, Any]) -> dict[str, Any] | None:
    text = block.get("text")
    if not isinstance(text, str):
        raise _problem(where, f"a text block needs a string 'text' (got {text!r:.40}).")
    if not text:
        return None  # an empty text block says nothing; Bedrock refuses it
    return _with_extras({"type": "text", "text": text}, block, _TEXT_KEYS)


def _content_block(where: str, block: object, *, role: str) -> dict[str, Any] | None:
    """One content block of a user or tool message, in Bedrock's form (``None``: empty)."""
    if isinstance(block, str):
        return {"type": "text", "text": block} if block else None
    if not isinstance(block, Mapping):
        raise _problem(where, f"a content block must be a string or a dict (got {block!r:.60}).")
    kind = block.get("type")
    if kind == "text":
        return _text_block(where, block)
    if kind in ("image", "image_url"):
        if kind == "image_url":
            url = block.get("image_url")
            url = url.get("url") if isinstance(url, Mapping) else url
            mime, data = _data_uri(where, str(url))
            return _image(where, mime, data)
        return _image_block(where, block)
    if kind in ("document", "file", "text-plain"):
        return _document_block(where, block)
    if kind == "non_standard" and isinstance(block.get("value"), Mapping):
        return _content_block(where, block["value"], role=role)
    if kind in ("audio", "input_audio", "video"):
        raise _problem(where, f"Claude does not take {kind} input; transcribe it to text.")
    raise _problem(
        where,
        f"a {role} message cannot hold a {kind!r} block on Bedrock; use text, image or "
        "document blocks.",
    )


def _content(where: str, content: str | list[Any], *, role: str) -> list[dict[str, Any]]:
    items = [content] if isinstance(content, str) else content
    blocks = []
    for index, item in enumerate(items):
        block = _content_block(f"{where}, block {index}", item, role=role)
        if block is not None:
            blocks.append(block)
    return blocks


def _tool_result_content(where: str, content: object) -> list[dict[str, Any]] | str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return json.dumps(content)
    blocks = []
    for index, item in enumerate(content):
        spot = f"{where}, block {index}"
        if isinstance(item, Mapping) and item.get("type") == "search_result":
            blocks.append(dict(item))
            continue
        if isinstance(item, Mapping) and item.get("type") not in (
            "text",
            "image",
            "image_url",
            "document",
            "file",
            "text-plain",
            "non_standard",
        ):
            raise _problem(
                spot,
                "a tool result holds text, image and document blocks only "
                f"(got {item.get('type')!r}).",
            )
        block = _content_block(spot, item, role="tool")
        if block is not None:
            blocks.append(block)
    return blocks


def _tool_result(where: str, message: ToolMessage) -> dict[str, Any]:
    result: dict[str, Any] = {"type": "tool_result", "tool_use_id": message.tool_call_id}
    content = _tool_result_content(where, message.content)
    if content:  # an empty result is sent without content, which Bedrock accepts
        result["content"] = content
    if message.status == "error":
        result["is_error"] = True
    return result


def _user_block(where: str, block: object) -> dict[str, Any] | None:
    if isinstance(block, Mapping) and block.get("type") == "tool_result":
        result = {key: value for key, value in block.items() if key not in _BOOKKEEPING}
        if "content" in result:
            result["content"] = _tool_result_content(where, result["content"])
        return result
    return _content_block(where, block, role="user")


def _assistant_blocks(where: str, message: AIMessage) -> list[dict[str, Any]]:
    content = message.content
    items: list[Any] = [content] if isinstance(content, str) else list(content)
    blocks: list[dict[str, Any]] = []
    used: set[str] = set()
    for index, item in enumerate(items):
        spot = f"{where}, block {index}"
        if isinstance(item, str):
            if item:
                blocks.append({"type": "text", "text": item})
            continue
        if not isinstance(item, Mapping):
            raise _problem(spot, f"a content block must be a string or a dict (got {item!r:.60}).")
        if item.get("type") == "non_standard" and isinstance(item.get("value"), Mapping):
            item = item["value"]
        kind = item.get("type")
        if kind == "text":
            text = _text_block(spot, item)
            if text is not None:
                blocks.append(text)
        elif kind in ("tool_use", "tool_call"):
            tool_id = str(item.get("id"))
            call = _tool_call_for(message, tool_id)
            arguments = call["args"] if call else item.get("input", item.get("args"))
            blocks.append(_tool_use(spot, tool_id, str(item.get("name")), arguments))
            used.add(tool_id)
        elif kind == "thinking":
            _require(spot, item, "signature", "thinking")
            blocks.append(
                {
                    "type": "thinking",
                    "thinking": item.get("thinking", ""),
                    "signature": item["signature"],
                }
            )
        elif kind == "redacted_thinking":
            _require(spot, item, "data", "redacted_thinking")
            blocks.append({"type": "redacted_thinking", "data": item["data"]})
        elif kind == "reasoning":  # LangChain's v1 form of a thinking block
            extras = item.get("extras") or {}
            if "data" in extras:
                blocks.append({"type": "redacted_thinking", "data": extras["data"]})
                continue
            signature = extras.get("signature", item.get("signature"))
            if not signature:
                raise _problem(
                    spot,
                    "a reasoning block goes back to Claude only with the signature Claude gave "
                    "it (extras['signature']); this one has none (from another model?). Remove "
                    "it from the history.",
                )
            blocks.append(
                {"type": "thinking", "thinking": item.get("reasoning", ""), "signature": signature}
            )
        else:
            raise _problem(
                spot,
                f"an assistant message cannot hold a {kind!r} block on Bedrock; it takes text, "
                "tool_use, thinking and redacted_thinking blocks.",
            )
    for call in message.tool_calls:
        if call["id"] not in used:
            blocks.append(_tool_use(where, str(call["id"]), call["name"], call["args"]))
    if message.invalid_tool_calls:
        bad = message.invalid_tool_calls[0]
        raise _problem(
            where,
            f"the tool call {bad.get('name')!r} (id {bad.get('id')!r}) has arguments that are "
            f"not a JSON object ({bad.get('args')!r:.60}); Claude needs them as an object. Fix "
            "or remove the call.",
        )
    return blocks


def _tool_call_for(message: AIMessage, tool_id: str) -> Mapping[str, Any] | None:
    for call in message.tool_calls:
        if call["id"] == tool_id:
            return call
    return None


def _require(where: str, block: Mapping[str, Any], key: str, kind: str) -> None:
    if not block.get(key):
        raise _problem(
            where,
            f"a {kind} block goes back to Claude only with its {key!r}, as Claude sent it.",
        )


def _tool_use(where: str, tool_id: str, name: str, arguments: object) -> dict[str, Any]:
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments else {}
        except ValueError as exc:
            raise _problem(
                where, f"the arguments of tool call {tool_id!r} are not JSON ({exc})."
            ) from exc
    if not isinstance(arguments, Mapping):
        raise _problem(
            where,
            f"the arguments of tool call {tool_id!r} must be an object (got {arguments!r:.60}).",
        )
    return {"type": "tool_use", "id": tool_id, "name": name, "input": dict(arguments)}


# --- messages ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatInput:
    """A conversation in the Messages API's form, and what it holds."""

    system: list[dict[str, Any]]
    """System text blocks, in order (the leading system messages)."""
    messages: list[dict[str, Any]]
    """Alternating user and assistant turns, with any later system message as a
    ``{"role": "system"}`` turn where it stood (see :attr:`system_turns`)."""
    images: int = 0
    """How many image blocks the conversation holds (tool results included)."""
    documents: int = 0
    """How many document blocks it holds."""
    cache_points: int = 0
    """How many of its blocks (system blocks and tool results' content included) carry
    ``cache_control``."""

    @property
    def system_turns(self) -> int:
        """How many system messages came after the conversation started (system turns)."""
        return sum(1 for turn in self.messages if turn["role"] == "system")

    @property
    def prefill(self) -> bool:
        """Whether the last turn is the assistant's (Claude continues it)."""
        return bool(self.messages) and self.messages[-1]["role"] == "assistant"

    def system_field(self, *, cache: bool = False) -> str | list[dict[str, Any]] | None:
        """The body's ``system``: a plain string when that says everything, else blocks."""
        if not self.system:
            return None
        blocks = [dict(block) for block in self.system]
        if cache and "cache_control" not in blocks[-1]:
            blocks[-1]["cache_control"] = {"type": "ephemeral"}
        if len(blocks) == 1 and blocks[0].keys() == {"type", "text"}:
            return str(blocks[0]["text"])
        return blocks


def _role(where: str, message: BaseMessage) -> str:
    if isinstance(message, SystemMessage):
        return "system"
    if isinstance(message, ToolMessage):
        return "tool"
    if isinstance(message, HumanMessage):
        return "user"
    if isinstance(message, AIMessage):
        return "assistant"
    if isinstance(message, ChatMessage):
        role = "system" if message.role == "system" else _ROLES.get(message.role)
        if role is not None:
            return role
        raise _problem(
            where,
            f"a ChatMessage of role {message.role!r} has no place in a Claude conversation; "
            "use 'user', 'assistant' or 'system'.",
        )
    raise _problem(
        where,
        f"{type(message).__name__} has no place in a Claude conversation; use SystemMessage, "
        "HumanMessage, AIMessage or ToolMessage.",
    )


def format_messages(messages: Sequence[BaseMessage], system: str | None = None) -> ChatInput:
    """LangChain messages -> system blocks and Messages API turns.

    Leading system messages (and ``system``, first) become the system blocks; a system
    message after the conversation started becomes a ``{"role": "system"}`` turn where it
    stands (a mid-conversation system message: only some models take it, which
    :func:`~.._model_checks.check_system_turns` decides); tool messages become
    ``tool_result`` blocks of a user turn; consecutive user or assistant turns are merged, as
    Claude needs roles to alternate.

    Raises:
        InvalidParameterError: a message or block Bedrock cannot take, a ``tool_result``
            without its ``tool_use`` in the turn before, or a later system message where
            Bedrock's placement rules do not allow one (see :func:`_check_system_turns`).
    """
    system_blocks: list[dict[str, Any]] = [{"type": "text", "text": system}] if system else []
    turns: list[dict[str, Any]] = []
    origins: dict[int, str] = {}  # system turn index -> the message it came from
    for index, message in enumerate(messages):
        where = f"message {index} ({type(message).__name__})"
        role = _role(where, message)
        if role == "system" and not turns:
            system_blocks += _content(where, _text_content(where, message), role="system")
            continue
        if role == "system":
            blocks = _system_turn_blocks(where, message)
            if turns[-1]["role"] == "system":
                raise _problem(
                    where,
                    f"it follows another system message ({origins[len(turns) - 1]}), and "
                    "Bedrock refuses consecutive system turns: combine them into one "
                    "SystemMessage.",
                )
            origins[len(turns)] = where
            turns.append({"role": "system", "content": blocks})
            continue
        if role == "tool":
            blocks = [_tool_result(where, message)]  # type: ignore[arg-type]
            role = "user"
        elif role == "assistant":
            blocks = (
                _assistant_blocks(where, message)
                if isinstance(message, AIMessage)
                else _content(where, message.content, role="assistant")
            )
        else:
            items = [message.content] if isinstance(message.content, str) else message.content
            blocks = [
                block
                for position, item in enumerate(items)
                if (block := _user_block(f"{where}, block {position}", item)) is not None
            ]
        if not blocks:
            if role == "assistant" and index == len(messages) - 1:
                continue  # an empty last assistant turn asks for nothing: no prefill
            raise _problem(where, "the message has no content (Bedrock refuses empty turns).")
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    if not turns:
        raise InvalidParameterError(
            "there is no message to answer"
            + (" (only system messages)" if messages else "")
            + ": give at least one HumanMessage. Bedrock refuses a request without messages."
        )
    for turn in turns:
        if turn["role"] == "user" and len(turn["content"]) > 1:
            # Claude takes a turn's tool results before its other content (Anthropic's tool
            # use guide: "tool_result blocks must come FIRST"); the order is otherwise kept.
            turn["content"].sort(key=lambda block: block.get("type") != "tool_result")
    _check_system_turns(turns, origins)
    images = documents = cached = 0
    tool_blocks = False
    for turn in turns:
        for part in _walk(turn["content"]):
            kind = part.get("type")
            if kind == "image":
                images += 1
            elif kind == "document":
                documents += 1
            elif kind in _TOOL_BLOCKS:
                tool_blocks = True
            if "cache_control" in part:
                cached += 1
    if tool_blocks:  # without tool blocks there is no pair to check
        _check_tool_pairs(turns)
    cached += sum(1 for block in system_blocks if "cache_control" in block)
    return ChatInput(
        system=system_blocks,
        messages=turns,
        images=images,
        documents=documents,
        cache_points=cached,
    )


def _text_content(where: str, message: BaseMessage) -> str | list[Any]:
    content = message.content
    if isinstance(content, str):
        return content
    for block in content:
        if isinstance(block, Mapping) and block.get("type") != "text":
            raise _problem(
                where,
                f"a system message holds text blocks only (got a {block.get('type')!r} block); "
                "put images and documents in a HumanMessage.",
            )
    return content


def _system_turn_blocks(where: str, message: BaseMessage) -> list[dict[str, Any]]:
    """A later system message's text blocks (Bedrock: text only, no citations)."""
    blocks = _content(where, _text_content(where, message), role="system")
    if not blocks:
        raise _problem(where, "the message has no content (Bedrock refuses empty turns).")
    for block in blocks:
        if "citations" in block:
            # AWS's Bedrock guide, "Mid-conversation system messages", content rules: text
            # blocks only; "Images, documents, tool blocks, and citations are not supported".
            raise _problem(
                where,
                "a system message after the conversation started holds text blocks without "
                "citations on Bedrock; remove the 'citations'.",
            )
    return blocks


def _check_system_turns(turns: Sequence[Mapping[str, Any]], origins: Mapping[int, str]) -> None:
    """Each system turn stands where Bedrock takes one.

    The placement rules of AWS's Bedrock guide, "Mid-conversation system messages"
    (docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-mid-conversation-system
    .html), which also answers a violation with a 400: not the first entry (the leading
    system messages go to the top-level ``system``, so none is); right after a user message
    (or an assistant message ending in a server tool use, which this package never sends);
    the last entry or followed by an assistant turn; never next to another system message
    (refused where the turns are built).
    """
    # Said in both errors: the model is not known here, and one that takes no system turns
    # at all would refuse the message even once moved (check_system_turns).
    others = (
        " Only the models that take mid-conversation system messages take one at all; for "
        "the others, move it to the start."
    )
    for index, where in origins.items():
        if turns[index - 1]["role"] != "user":
            raise _problem(
                where,
                "a system message after the conversation started must come right after a "
                "HumanMessage or ToolMessage (Bedrock's placement rule), not after an "
                "AIMessage: move it after the next HumanMessage." + others,
            )
        if index + 1 < len(turns) and turns[index + 1]["role"] != "assistant":
            raise _problem(
                where,
                "a system message after the conversation started must be the last message "
                "or be followed by an AIMessage (Bedrock's placement rule), not by a "
                "HumanMessage or ToolMessage: move it after that message." + others,
            )


_TOOL_BLOCKS = frozenset({"tool_use", "tool_result"})


def _walk(blocks: Iterable[Any]) -> Iterable[Mapping[str, Any]]:
    for block in blocks:
        if isinstance(block, Mapping):
            yield block
            inner = block.get("content")
            if block.get("type") == "tool_result" and isinstance(inner, list):
                yield from _walk(inner)


def _check_tool_pairs(turns: list[dict[str, Any]]) -> None:
    """Each ``tool_result`` answers a ``tool_use`` of the turn just before, and vice versa."""
    for index, turn in enumerate(turns):
        if turn["role"] != "user":
            continue
        previous = turns[index - 1]["content"] if index else []
        asked = [block["id"] for block in previous if block.get("type") == "tool_use"]
        answered = [
            block.get("tool_use_id")
            for block in turn["content"]
            if isinstance(block, Mapping) and block.get("type") == "tool_result"
        ]
        stray = [tool_id for tool_id in answered if tool_id not in asked]
        if stray:
            raise InvalidParameterError(
                f"turn {index}: a tool result answers tool call id(s) {stray} that the "
                "assistant turn just before did not make"
                + (f" (it made {asked})" if asked else " (it made none)")
                + "; keep each ToolMessage right after the AIMessage with its tool call."
            )
        missing = [tool_id for tool_id in asked if tool_id not in answered]
        if missing:
            raise InvalidParameterError(
                f"turn {index}: tool call id(s) {missing} of the assistant turn before have no "
                "ToolMessage answering them; Claude needs a result for every tool call."
            )


# --- tools -------------------------------------------------------------------------------------


def to_tool(tool: Any) -> dict[str, Any]:
    """A LangChain tool, pydantic model, TypedDict, function or schema -> a Claude tool."""
    if isinstance(tool, Mapping):
        kind = tool.get("type")
        if kind in CLIENT_TOOL_TYPES:
            return dict(tool)
        if isinstance(kind, str) and _VERSIONED_TOOL.search(kind):  # e.g. web_search_20250305
            raise InvalidParameterError(
                f"Bedrock does not take {kind!r} tools; it takes custom tools and the client "
                f"tools {', '.join(CLIENT_TOOL_TYPES)}."
            )
        if "input_schema" in tool and "name" in tool:  # already Claude's form
            return {key: tool[key] for key in _TOOL_KEYS if key in tool}
    function = convert_to_openai_tool(tool)["function"]
    converted: dict[str, Any] = {
        "name": function["name"],
        "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
    }
    if function.get("description"):
        converted["description"] = function["description"]
    if function.get("strict") is not None:
        converted["strict"] = function["strict"]
    return converted


def to_tool_choice(
    choice: object, names: Sequence[str], *, parallel: bool | None = None
) -> dict[str, Any] | None:
    """``tool_choice`` as LangChain spells it -> Claude's, or ``None`` for the default.

    ``"auto"``; ``"any"``, ``"required"`` or ``True`` (some tool); ``"none"``; a tool's name;
    or Claude's own dict. ``parallel=False`` asks for one tool call at most.
    """
    if choice is None or choice is False:
        result: dict[str, Any] | None = None
    elif choice is True or choice in ("any", "required"):
        result = {"type": "any"}
    elif choice in ("auto", "none"):
        result = {"type": choice}
    elif isinstance(choice, str):
        if choice not in names:
            raise InvalidParameterError(
                f"tool_choice names the tool {choice!r}, but the tools bound are "
                f"{', '.join(map(repr, names)) or 'none'}."
            )
        result = {"type": "tool", "name": choice}
    elif isinstance(choice, Mapping) and choice.get("type") in ("auto", "any", "tool", "none"):
        result = dict(choice)
    else:
        raise InvalidParameterError(
            "tool_choice must be 'auto', 'any', 'required', 'none', True, a bound tool's name "
            f"or a dict like {{'type': 'tool', 'name': ...}} (got {choice!r})."
        )
    if parallel is False:
        result = result or {"type": "auto"}
        if result["type"] != "none":
            result["disable_parallel_tool_use"] = True
    return result


def is_forced(tool_choice: Mapping[str, Any] | None) -> bool:
    """Whether ``tool_choice`` makes Claude call a tool (``any`` or a named tool)."""
    return tool_choice is not None and tool_choice.get("type") in ("any", "tool")


# --- the wire ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatWire:
    """The Messages wire for one chat request: builds its body and reads its answer.

    It stands where :mod:`._formats.messages` stands for a text prompt, so the client's
    request, retry and stream machinery serve both unchanged.
    """

    system: str | list[dict[str, Any]] | None
    messages: list[dict[str, Any]]
    fields: Mapping[str, Any] = field(default_factory=dict)
    """Body fields the conversation adds: ``tools``, ``tool_choice``, ``output_config``."""

    def build_body(self, params: CompletionParams) -> dict[str, Any]:
        """The Messages request body (the prompt of ``params`` is not used)."""
        body: dict[str, Any] = {
            "anthropic_version": ANTHROPIC_VERSION,
            "max_tokens": params.max_tokens,
            "messages": self.messages,
        }
        if self.system is not None:
            body["system"] = self.system
        body.update(self.fields)
        add_thinking(body, params)  # merges effort into a structured output's output_config
        return add_sampling(body, params)

    @staticmethod
    def parse_response(body: Mapping[str, Any], headers: Mapping[str, str]) -> Any:
        """As the Messages format, with the content blocks kept in ``metadata["content"]``."""
        parsed = parse_messages_response(body, headers)
        parsed.metadata["content"] = list(body.get("content") or ())
        return parsed

    @staticmethod
    def StreamParser() -> StreamParser:
        """A fresh parser for this request's stream."""
        return StreamParser()


@dataclass(frozen=True, slots=True)
class BlockPiece(CompletionChunk):
    """A stream piece of a content block: text with its index, or what is not text.

    ``block`` is set when a block starts (``tool_use`` with its id and name,
    ``redacted_thinking``), ``delta`` for a piece of one (``input_json_delta``,
    ``signature_delta``, ``citations_delta``).
    """

    index: int = 0
    """The content block's index in the message."""
    block: Mapping[str, Any] | None = None
    """The block that starts here (``content_block_start``), if any."""
    delta: Mapping[str, Any] | None = None
    """A piece of the block that is neither text nor thinking, if any."""

    def join_key(self) -> Hashable | None:
        """Pieces join within one block: text, thinking or tool input; a block start never."""
        if self.block is not None or self.usage is not None:
            return None
        if self.delta is not None:
            kind = self.delta.get("type")
            return (self.index, kind) if kind == "input_json_delta" else None
        if not self.thinking:
            return (self.index, "text")
        return None if self.completion else (self.index, "thinking")

    def merged(self, run: Sequence[CompletionChunk]) -> CompletionChunk:
        """``run`` (this piece first, every piece with its :meth:`join_key`) as one piece."""
        if self.delta is not None:
            partial = "".join([cast("BlockPiece", piece).delta_json for piece in run])
            return BlockPiece(
                "", index=self.index, delta={"type": "input_json_delta", "partial_json": partial}
            )
        if self.thinking:
            return BlockPiece("", "".join([piece.thinking for piece in run]), index=self.index)
        return BlockPiece("".join([piece.completion for piece in run]), index=self.index)

    @property
    def delta_json(self) -> str:
        """An ``input_json_delta``'s piece of the tool input (``""`` for any other piece)."""
        return str((self.delta or {}).get("partial_json", ""))


class StreamParser(MessagesStreamParser):
    """Messages stream events -> :class:`BlockPiece` objects, keeping the plain parser's state.

    The plain parser checks each event and keeps the text and thinking; this one adds each
    piece's block index, and hands on the blocks and deltas that are not text.
    """

    __slots__ = ()

    def feed(self, event: Mapping[str, Any]) -> Any:
        """Take one event; return its piece, or ``None`` if it has none."""
        kind = event.get("type")
        if kind == "content_block_delta":
            piece = super().feed(event)  # checks the delta; keeps text and thinking
            index = expect(event.get("index", 0), int, "a content_block_delta's 'index'")
            if piece is not None:
                return BlockPiece(piece[0], piece[1], index=index)
            return BlockPiece("", index=index, delta=event["delta"])
        if kind == "content_block_start":
            block = expect(event.get("content_block"), dict, "a content_block_start's block")
            if block.get("type") in ("text", "thinking") and not (
                block.get("text") or block.get("thinking") or block.get("citations")
            ):
                return None  # an empty start: the deltas carry everything
            index = expect(event.get("index", 0), int, "a content_block_start's 'index'")
            return BlockPiece("", index=index, block=block)
        return super().feed(event)


def reject_non_text(messages: Sequence[BaseMessage]) -> None:
    """Refuse messages a text prompt cannot carry: images, documents, tool calls and results.

    For :class:`BedrockClaude`, which sends a chat prompt as text: rather than drop what the
    text cannot hold, it says to use :class:`ChatBedrockClaude`.

    Raises:
        InvalidParameterError: naming the first such message and what it holds.
    """
    for index, message in enumerate(messages):
        found = None
        if isinstance(message, ToolMessage):
            found = "a tool result"
        elif isinstance(message, AIMessage) and message.tool_calls:
            found = "tool calls"
        elif not isinstance(message.content, str):
            kinds = [
                block.get("type")
                for block in message.content
                if isinstance(block, Mapping) and block.get("type") != "text"
            ]
            found = f"a {kinds[0]!r} block" if kinds else None
        if found is not None:
            raise InvalidParameterError(
                f"message {index} ({type(message).__name__}) holds {found}, which BedrockClaude "
                "cannot send: it sends a prompt as text. Use ChatBedrockClaude (a chat model "
                "with images, documents and tools) instead."
            )
