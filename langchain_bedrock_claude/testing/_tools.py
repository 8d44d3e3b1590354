"""Tool use as Bedrock's Messages API does it: validation, the model's decision, the wire.

Three jobs, all pure:

* **Validation** (:func:`check_tool_request`): ``tools`` (name pattern, ``input_schema``
  present and an object, unique names), ``tool_choice`` (``auto``/``any``/``tool``/``none``,
  the named tool exists, ``disable_parallel_tool_use`` a boolean) and the
  ``tool_use``/``tool_result`` pairing across turns, with the texts Bedrock passes through
  from the model (sources beside each; texts not seen anywhere are marked as stand-ins).
* **The decision** (:func:`plan_tool_uses`), deterministic so tests can rely on it:

  - a scripted :class:`~._script.Reply` with ``tool_calls`` is answered as scripted;
  - ``tool_choice`` ``{"type": "tool", "name": N}`` calls ``N``; ``{"type": "any"}`` calls
    the next tool the conversation's last user text names, else the first tool; a forced
    call has no text before it (Anthropic: with ``any``/``tool`` the API prefills the
    assistant turn, so no text precedes the ``tool_use`` block);
  - ``auto`` (or no ``tool_choice``) with tools: when the last user text names a tool
    (its exact name as a word) that has not been called since, the model says
    ``"I'll use the <name> tool."`` and calls it, one tool per turn, in the order the text
    names them; otherwise (e.g. after the last ``tool_result``) it answers with text. So an
    agent loop asked to "use tool_a, then tool_b" makes two calls and then finishes;
  - ``none``: text only (and a scripted text reply is answered as text whatever
    ``tool_choice`` says: the script wins);
  - no call, and the body asks for JSON output (``output_config.format`` ``json_schema``,
    Bedrock's structured outputs for Claude on InvokeModel, AWS user guide "Get validated
    JSON results from models"): the text is a JSON object valid against that schema
    (:func:`json_output_text`).

  A synthetic call's input is valid against the tool's ``input_schema``
  (:func:`example_input`). Arguments the user text writes as a call, e.g.
  ``magic_function(3)`` or ``get_weather(city="Paris")``, are used where they fit the
  schema (positional arguments in property order).
* **The wire** (:func:`tool_use_block`, :func:`tool_use_events`): the recorded shapes (README
  of the recordings, otel-python-contrib ``..._with_content_tool_call.yaml`` and mirascope
  ``test_call_with_tools__..._stream.yaml``): ``content_block_start`` with
  ``{"type":"tool_use","id":"toolu_bdrk_…","name":…,"input":{}}``, an empty
  ``input_json_delta`` first, then the JSON in several pieces, ``content_block_stop``.
"""

from __future__ import annotations

import json
import random
import re
import string
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._errors import validation_error
from ._script import Reply, ToolCall

TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
"""Custom tool names: ``tools.7.custom.name: String should match pattern
'^[a-zA-Z0-9_-]{1,64}$'`` (Anthropic API, apify/tester-mcp-client#11, inngest/agent-kit#108;
the API later allowed 128 characters, modelcontextprotocol#1345; 64 is the safe bound)."""
TOOL_CHOICE_TYPES = ("auto", "any", "tool", "none")
"""Anthropic's ``tool_choice`` types (tool-use docs; ``none`` since 2025-02)."""
FORCED_CHOICES = ("any", "tool")
TOOL_PROMPT_TOKENS = {"auto": 346, "none": 346, "any": 313, "tool": 313}
"""The tool-use system prompt Claude adds when ``tools`` are given, by ``tool_choice``
(Anthropic's tool-use docs, "Pricing": 346 / 313 tokens for Claude 4 and 3.7 Sonnet).
Recorded: one small tool and a one-line prompt cost 599 input tokens on haiku-4.5
(mirascope ``test_call_with_tools__..._sync.yaml``)."""
AUTO_PREAMBLE = "I'll use the {name} tool."
"""The text before a call the model decides on itself (recorded calls under ``auto`` start
with such a sentence: "Certainly! I'll use the get_current_weather function ...")."""
_ID_ALPHABET = string.ascii_letters + string.digits
_ID_LENGTH = 22
"""``toolu_bdrk_01`` + 22 base62 characters: 24 after the prefix, as recorded."""
_PIECE_SIZES = (5, 8, 3, 11, 6, 9, 4)
"""``partial_json`` piece lengths, cycled (recorded pieces are 2 to 12 characters)."""
_MAX_DEPTH = 4
"""Below this depth the generator fills only required properties (recursive schemas)."""

# -- error texts (InvokeModel returns the model's message bare) ------------------------

UNIQUE_NAMES = "tools: Tool names must be unique."
"""Anthropic API (tailcallhq/forgecode#892, microsoft/vscode#276110)."""


def name_pattern_message(index: int) -> str:
    """The text for a custom tool name that breaks :data:`TOOL_NAME` (sources there)."""
    return f"tools.{index}.custom.name: String should match pattern '^{TOOL_NAME.pattern}$'"


def missing_results_message(index: int, ids: Sequence[str]) -> str:
    """``tool_use`` blocks not answered at the start of message ``index``.

    Bedrock, Converse-wrapped (2FastLabs/agent-squad#396, pydantic/pydantic-ai#3253: the
    index is the message that should hold the results); Anthropic API with several ids
    comma-separated (anthropics/claude-code#5989).
    """
    return (
        f"messages.{index}: `tool_use` ids were found without `tool_result` blocks "
        f"immediately after: {', '.join(ids)}. Each `tool_use` block must have a "
        "corresponding `tool_result` block in the next message."
    )


def unexpected_result_message(index: int, block: int, tool_use_id: str) -> str:
    """A ``tool_result`` answering no ``tool_use`` of the previous message.

    Anthropic API, also for ``toolu_bdrk_`` ids (anthropics/claude-code#13460,
    router-for-me/CLIProxyAPI#497, Coneja-Chibi/TunnelVision#6).
    """
    return (
        f"messages.{index}.content.{block}: unexpected `tool_use_id` found in `tool_result` "
        f"blocks: {tool_use_id}. Each `tool_result` block must have a corresponding "
        "`tool_use` block in the previous message."
    )


# -- validation ------------------------------------------------------------------------


def check_tool_request(body: Mapping[str, Any]) -> None:
    """Check a Messages body's ``tools``, ``tool_choice`` and tool-use pairing.

    ``tools`` is a list and ``tool_choice`` an object already (the schema layer checks
    types). Server tools are rejected earlier (``tools.N: Input tag ...``).

    Raises:
        BedrockError: 400 ``ValidationException`` for the first problem found.
    """
    tools = body.get("tools") or []
    names = _check_tools(tools)
    _check_tool_choice(body.get("tool_choice"), names, bool(tools))
    _check_pairing(body.get("messages") or [])


def _check_tools(tools: Sequence[Any]) -> list[str]:
    names: list[str] = []
    for index, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise validation_error(  # stand-in, in the validator's wording
                f"tools.{index}: Input should be a valid dictionary or object to extract "
                "fields from"
            )
        name = tool.get("name")
        if tool.get("type", "custom") != "custom":
            names.append(str(name))
            continue
        if not isinstance(name, str) or not TOOL_NAME.fullmatch(name):
            raise validation_error(name_pattern_message(index))
        schema = tool.get("input_schema")
        if schema is None:
            raise validation_error(f"tools.{index}.custom.input_schema: Field required")  # stand-in
        if not isinstance(schema, dict) or schema.get("type") != "object":
            raise validation_error(  # stand-in
                f"tools.{index}.custom.input_schema.type: Input should be 'object'"
            )
        names.append(name)
    if len(set(names)) != len(names):
        raise validation_error(UNIQUE_NAMES)
    return names


def _check_tool_choice(choice: Any, names: Sequence[str], has_tools: bool) -> None:
    if choice is None:
        return
    kind = choice.get("type")
    if kind not in TOOL_CHOICE_TYPES:
        expected = ", ".join(f"'{name}'" for name in TOOL_CHOICE_TYPES)
        raise validation_error(  # stand-in, worded as the recorded ``tools.N`` tag error
            f"tool_choice: Input tag '{kind}' found using 'type' does not match any of the "
            f"expected tags: {expected}"
        )
    allowed = {"type", "disable_parallel_tool_use"} if kind != "none" else {"type"}
    if kind == "tool":
        allowed.add("name")
    for key in choice:
        if key not in allowed:
            raise validation_error(  # stand-in, in the validator's wording
                f"tool_choice.{kind}.{key}: Extra inputs are not permitted"
            )
    parallel = choice.get("disable_parallel_tool_use")
    if parallel is not None and not isinstance(parallel, bool):
        raise validation_error(  # stand-in
            f"tool_choice.{kind}.disable_parallel_tool_use: Input should be a valid boolean"
        )
    if kind == "tool":
        name = choice.get("name")
        if not isinstance(name, str):
            raise validation_error("tool_choice.tool.name: Field required")  # stand-in
        if name not in names:
            raise validation_error(  # stand-in
                f"tool_choice.tool.name: Tool '{name}' not found in provided tools"
            )
    if kind in FORCED_CHOICES and not has_tools:
        raise validation_error(  # stand-in
            "tool_choice: tool_choice may only be specified while providing tools"
        )


def _blocks(message: Any) -> list[Any]:
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, list) else []


def _tool_use_ids(message: Any) -> list[str]:
    return [
        str(block.get("id"))
        for block in _blocks(message)
        if isinstance(block, dict) and block.get("type") == "tool_use"
    ]


def _check_blocks(index: int, message: Any) -> None:
    """A ``tool_use`` input is an object; a ``tool_result`` content is a string or a list."""
    for position, block in enumerate(_blocks(message)):
        kind = block.get("type") if isinstance(block, dict) else None
        where = f"messages.{index}.content.{position}.{kind}"
        if kind == "tool_use" and not isinstance(block.get("input"), dict):
            raise validation_error(  # stand-in, in the validator's wording
                f"{where}.input: Input should be a valid dictionary"
            )
        if kind == "tool_result" and not isinstance(block.get("content", ""), str | list):
            raise validation_error(  # stand-in, in the validator's wording
                f"{where}.content: Input should be a valid string or a valid list"
            )


def _check_pairing(messages: Sequence[Any]) -> None:
    """Every ``tool_use`` answered first thing in the next message; no stray results."""
    for index, message in enumerate(messages):
        _check_blocks(index, message)
        role = message.get("role") if isinstance(message, dict) else None
        if role == "user":
            previous = messages[index - 1] if index > 0 else None
            asked = set(_tool_use_ids(previous)) if _role(previous) == "assistant" else set()
            for position, block in enumerate(_blocks(message)):
                if isinstance(block, dict) and block.get("type") == "tool_result":
                    answered = str(block.get("tool_use_id"))
                    if answered not in asked:
                        raise validation_error(unexpected_result_message(index, position, answered))
        if role == "assistant" and index + 1 < len(messages):
            ids = _tool_use_ids(message)
            if not ids:
                continue
            leading = set()
            for block in _blocks(messages[index + 1]):
                if not (isinstance(block, dict) and block.get("type") == "tool_result"):
                    break  # results must come first (Anthropic's tool-use docs)
                leading.add(str(block.get("tool_use_id")))
            missing = [i for i in ids if i not in leading]
            if missing:
                raise validation_error(missing_results_message(index + 1, missing))


def _role(message: Any) -> Any:
    return message.get("role") if isinstance(message, dict) else None


# -- the decision ----------------------------------------------------------------------


@dataclass(frozen=True)
class ToolUse:
    """One ``tool_use`` block the answer carries."""

    id: str
    """``toolu_bdrk_…``."""
    name: str
    """The tool called."""
    input: Mapping[str, Any]
    """The call's input."""

    @property
    def input_json(self) -> str:
        """The input as streamed, ``json.dumps`` with its default spacing.

        As the recorded ``partial_json`` pieces show: ``{"location": "Seattle"}``.
        """
        return json.dumps(self.input, ensure_ascii=False)

    @property
    def output_tokens(self) -> int:
        """Tokens the call costs: its JSON pieces plus the name and block framing."""
        return len(json_pieces(self.input_json)) + 2


@dataclass(frozen=True)
class ToolPlan:
    """What the model answers when tools are involved."""

    text: str | Sequence[str] | None
    """The text before the calls: ``()`` for none, ``None`` for the default text."""
    uses: tuple[ToolUse, ...]
    """The calls, in order."""


def new_tool_use_id() -> str:
    """A fresh ``toolu_bdrk_01…`` id."""
    return "toolu_bdrk_01" + "".join(random.choices(_ID_ALPHABET, k=_ID_LENGTH))


def plan_tool_uses(body: Mapping[str, Any], reply: Reply) -> ToolPlan | None:
    """Decide the tool calls of a Messages answer (see the module docstring).

    Args:
        body: The validated Messages body.
        reply: The scripted reply, or ``Reply()`` when nothing is scripted.

    Returns:
        The plan, or ``None`` when the answer has no tool calls (text as usual).
    """
    tools = {
        tool["name"]: tool
        for tool in body.get("tools") or ()
        if isinstance(tool, dict) and isinstance(tool.get("name"), str)
    }
    request, pending = _pending_names(body.get("messages") or [], list(tools))
    if reply.tool_calls:
        uses = tuple(
            _scripted_use(call, tools.get(call.name), request) for call in reply.tool_calls
        )
        return ToolPlan(text=reply.text if reply.text is not None else (), uses=uses)
    if reply.text is not None or not tools:
        return None
    choice = body.get("tool_choice") or {"type": "auto"}
    kind = choice.get("type")
    if kind == "none":
        return None
    if kind == "tool":
        name = str(choice["name"])
    elif kind == "any":
        name = pending[0] if pending else next(iter(tools))
    elif pending:
        name = pending[0]
    else:
        return None
    use = ToolUse(new_tool_use_id(), name, _synthetic_input(tools[name], name, request))
    text: str | Sequence[str] = () if kind in FORCED_CHOICES else AUTO_PREAMBLE.format(name=name)
    return ToolPlan(text=text, uses=(use,))


def json_output_text(body: Mapping[str, Any]) -> str | None:
    """The answer to ``output_config.format`` ``{"type": "json_schema", "schema": ...}``.

    Returns:
        A JSON object valid against the schema, or ``None`` when the body asks for none.
    """
    config = body.get("output_config")
    output = config.get("format") if isinstance(config, dict) else None
    if not isinstance(output, dict) or output.get("type") != "json_schema":
        return None
    schema = output.get("schema")
    return json.dumps(example_input(schema if isinstance(schema, dict) else {}))


def _scripted_use(call: ToolCall, tool: Mapping[str, Any] | None, request: str) -> ToolUse:
    if call.input is not None:
        data: Mapping[str, Any] = dict(call.input)
    elif tool is not None:
        data = _synthetic_input(tool, call.name, request)
    else:
        data = {}
    return ToolUse(call.id or new_tool_use_id(), call.name, data)


def _pending_names(messages: Sequence[Any], names: Sequence[str]) -> tuple[str, list[str]]:
    """The last user text, and the tools it names not called since, in the order named."""
    last = -1
    for index, message in enumerate(messages):
        if _role(message) == "user" and _user_text(message):
            last = index
    if last < 0:
        return "", []
    request = _user_text(messages[last])
    called = {
        str(block.get("name"))
        for message in messages[last + 1 :]
        if _role(message) == "assistant"
        for block in _blocks(message)
        if isinstance(block, dict) and block.get("type") == "tool_use"
    }
    found = []
    for name in names:
        match = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", request)
        if match is not None and name not in called:
            found.append((match.start(), name))
    return request, [name for _, name in sorted(found)]


def _user_text(message: Any) -> str:
    """The text a user message holds (not inside tool results)."""
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str):
        return content
    return "\n".join(
        block["text"]
        for block in _blocks(message)
        if isinstance(block, dict)
        and block.get("type") == "text"
        and isinstance(block.get("text"), str)
    )


# -- inputs from schemas -----------------------------------------------------------------


def _synthetic_input(tool: Mapping[str, Any], name: str, request: str) -> dict[str, Any]:
    schema = tool.get("input_schema") or {}
    return example_input(schema, hints=call_arguments(request, name, schema))


def call_arguments(text: str, name: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """Arguments ``text`` writes as a call of ``name``: ``name(3)``, ``name(city="Paris")``.

    Positional arguments map to the schema's properties in order. Values are JSON
    literals (or quoted strings); anything else is taken as a bare string.
    """
    match = re.search(rf"(?<![\w-]){re.escape(name)}\(([^()]*)\)", text)
    if match is None or not match.group(1).strip():
        return {}
    properties = list((schema.get("properties") or {}).keys())
    out: dict[str, Any] = {}
    for position, part in enumerate(_split_arguments(match.group(1))):
        key, sep, raw = part.partition("=")
        if sep and key.strip().isidentifier():
            out[key.strip()] = _literal(raw)
        elif position < len(properties):
            out[properties[position]] = _literal(part)
    return out


def _split_arguments(text: str) -> list[str]:
    parts, current, quote = [], "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == ",":
            parts.append(current)
            current = ""
            continue
        current += char
    parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def _literal(raw: str) -> Any:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1]
    try:
        return json.loads(raw)
    except ValueError:
        return {"True": True, "False": False, "None": None}.get(raw, raw)


def example_input(
    schema: Mapping[str, Any], *, hints: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """An input valid against a tool's ``input_schema`` (an object schema).

    Covers ``type`` (also lists), ``properties``/``required``, ``enum``, ``const``,
    ``anyOf``/``oneOf``/``allOf``, ``$ref`` into ``$defs``/``definitions``, ``items`` and
    ``prefixItems`` with ``minItems``/``maxItems``, number bounds (also exclusive) and
    ``multipleOf``, string ``minLength``/``maxLength`` and common formats. Not
    ``pattern`` (a string matching an arbitrary regex is not generated).

    Args:
        schema: The object schema.
        hints: Top-level values to use where they fit their property's schema.

    Returns:
        The input; every property is filled (only required ones below a depth of 4).
    """
    return _Generator(schema).object(schema, 0, hints or {})


class _Generator:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root

    def resolve(self, schema: Any) -> Mapping[str, Any]:
        seen = 0
        while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
            target: Any = self.root
            for part in schema["$ref"].lstrip("#").split("/"):
                if part:
                    target = target.get(part, {}) if isinstance(target, Mapping) else {}
            merged = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **merged} if isinstance(target, Mapping) else merged
            seen += 1
            if seen > _MAX_DEPTH * 4:
                break
        return schema if isinstance(schema, Mapping) else {}

    def value(self, schema: Any, depth: int, name: str = "", variant: int = 0) -> Any:
        schema = self.resolve(schema)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][variant % len(schema["enum"])]
        for key in ("anyOf", "oneOf"):
            options = [self.resolve(o) for o in schema.get(key) or ()]
            if options:
                chosen = next((o for o in options if o.get("type") != "null"), options[0])
                rest = {k: v for k, v in schema.items() if k != key}
                return self.value({**rest, **chosen}, depth, name, variant)
        if schema.get("allOf"):
            return self.value(self._merge(schema), depth, name, variant)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = (
                "object" if "properties" in schema else "array" if "items" in schema else "string"
            )
        if kind == "object":
            return self.object(schema, depth, {})
        if kind == "array":
            return self.array(schema, depth, name)
        if kind == "integer":
            return self.number(schema, variant, integer=True)
        if kind == "number":
            return self.number(schema, variant, integer=False)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return self.string(schema, name, variant)

    def _merge(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            part = self.resolve(part)
            for key, item in part.items():
                if key == "properties":
                    merged["properties"] = {**merged.get("properties", {}), **item}
                elif key == "required":
                    merged["required"] = [*merged.get("required", []), *item]
                else:
                    merged.setdefault(key, item)
        return merged

    def object(
        self, schema: Mapping[str, Any], depth: int, hints: Mapping[str, Any]
    ) -> dict[str, Any]:
        schema = self.resolve(schema)
        if schema.get("allOf"):
            schema = self._merge(schema)
        properties = schema.get("properties") or {}
        required = [str(r) for r in schema.get("required") or ()]
        out: dict[str, Any] = {}
        for key, sub in properties.items():
            if depth >= _MAX_DEPTH and key not in required:
                continue
            if key in hints and fits(hints[key], sub, self):
                out[key] = hints[key]
            else:
                out[key] = self.value(sub, depth + 1, key)
        for key in required:
            out.setdefault(key, "example")
        return out

    def array(self, schema: Mapping[str, Any], depth: int, name: str) -> list[Any]:
        prefix = schema.get("prefixItems") or []
        items = schema.get("items")
        count = max(int(schema.get("minItems", 1)), len(prefix), 1)
        if "maxItems" in schema:
            count = min(count, int(schema["maxItems"]))
        out = []
        for i in range(count):
            sub = prefix[i] if i < len(prefix) else items if isinstance(items, Mapping) else {}
            out.append(self.value(sub, depth + 1, name, variant=i))
        return out

    @staticmethod
    def number(schema: Mapping[str, Any], variant: int, *, integer: bool) -> int | float:
        step = 1 if integer else 0.5
        low = schema.get("minimum")
        if isinstance(schema.get("exclusiveMinimum"), int | float):
            low = schema["exclusiveMinimum"] + step
        high = schema.get("maximum")
        if isinstance(schema.get("exclusiveMaximum"), int | float):
            high = schema["exclusiveMaximum"] - step
        value: float = 1 + variant  # ``variant`` keeps array items distinct
        if low is not None and value < low:
            value = low + variant * step
        if high is not None and value > high:
            value = high if low is None else max(low, high)
        multiple = schema.get("multipleOf")
        if isinstance(multiple, int | float) and multiple > 0:
            value = -(-value // multiple) * multiple
            if high is not None and value > high:
                value -= multiple
        if integer:
            return int(value) if float(value).is_integer() else int(-(-value // 1))
        return float(value)

    @staticmethod
    def string(schema: Mapping[str, Any], name: str, variant: int) -> str:
        formats = {
            "date-time": "2024-01-01T00:00:00Z",
            "date": "2024-01-01",
            "time": "12:00:00",
            "email": "user@example.com",
            "uri": "https://example.com",
            "url": "https://example.com",
            "uuid": "00000000-0000-4000-8000-000000000000",
            "ipv4": "192.0.2.1",
        }
        text = formats.get(str(schema.get("format")), f"example {name}".strip())
        if variant and str(schema.get("format")) not in formats:
            text += f" {variant + 1}"
        minimum, maximum = schema.get("minLength"), schema.get("maxLength")
        if isinstance(minimum, int) and len(text) < minimum:
            text += "x" * (minimum - len(text))
        if isinstance(maximum, int) and len(text) > maximum:
            text = text[:maximum]
        return text


def fits(value: Any, schema: Any, generator: _Generator | None = None) -> bool:
    """Whether ``value`` has ``schema``'s type, is in its ``enum`` and within its bounds.

    A shallow check for the hints of :func:`call_arguments` (not a full validator).
    """
    schema = (generator or _Generator({})).resolve(schema)
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return any(fits(value, option, generator) for option in schema[key])
    if isinstance(schema.get("enum"), list) and value not in schema["enum"]:
        return False
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds] if kinds else []
    if kinds and not any(_has_type(value, str(kind)) for kind in kinds):
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        low, high = schema.get("minimum"), schema.get("maximum")
        above, below = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
        if isinstance(low, int | float) and value < low:
            return False
        if isinstance(high, int | float) and value > high:
            return False
        if isinstance(above, int | float) and value <= above:
            return False
        if isinstance(below, int | float) and value >= below:
            return False
    return True


_TYPE_CHECKS: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def _has_type(value: Any, kind: str) -> bool:
    if isinstance(value, bool) and kind != "boolean":
        return False
    return isinstance(value, _TYPE_CHECKS.get(kind, (object,)))


# -- tokens and the wire -------------------------------------------------------------------


def tool_prompt_tokens(body: Mapping[str, Any]) -> int:
    """Input tokens of the tool-use system prompt (see :data:`TOOL_PROMPT_TOKENS`)."""
    if not body.get("tools"):
        return 0
    choice = body.get("tool_choice")
    kind = choice.get("type") if isinstance(choice, dict) else "auto"
    return TOOL_PROMPT_TOKENS.get(str(kind), TOOL_PROMPT_TOKENS["auto"])


def json_pieces(text: str) -> list[str]:
    """``text`` cut into the ``partial_json`` pieces of the stream (sizes cycled)."""
    pieces, start = [], 0
    sizes = _cycle(_PIECE_SIZES)
    while start < len(text):
        size = next(sizes)
        pieces.append(text[start : start + size])
        start += size
    return pieces


def _cycle(values: Sequence[int]) -> Iterator[int]:
    while True:
        yield from values


def tool_use_block(use: ToolUse) -> dict[str, Any]:
    """The InvokeModel content block, keys as recorded: ``type, id, name, input``."""
    return {"type": "tool_use", "id": use.id, "name": use.name, "input": dict(use.input)}


def tool_use_events(index: int, use: ToolUse) -> list[bytes]:
    """The stream events of one call at content ``index`` (recorded shapes)."""
    start = {
        "type": "content_block_start",
        "index": index,
        "content_block": {"type": "tool_use", "id": use.id, "name": use.name, "input": {}},
    }
    events = [_dumps(start)]
    for piece in ["", *json_pieces(use.input_json)]:
        delta = {"type": "input_json_delta", "partial_json": piece}
        events.append(_dumps({"type": "content_block_delta", "index": index, "delta": delta}))
    events.append(b'{"type":"content_block_stop","index":%d}' % index)
    return events


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
