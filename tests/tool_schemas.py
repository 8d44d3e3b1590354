"""Tool input schemas of many shapes, for the emulator's schema-driven tool inputs."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal

from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, Field
from typing_extensions import TypedDict


class Color(str, Enum):
    RED = "red"
    BLUE = "blue"


class Address(BaseModel):
    street: str = Field(min_length=12)
    zip_code: str = Field(max_length=5)


class Person(BaseModel):
    """A person, as LangChain's structured output would send it (pydantic's schema)."""

    name: str
    age: int = Field(gt=17, le=130)
    height: float = Field(ge=1.2, lt=2.5)
    color: Color
    tier: Literal["gold", "silver"]
    nickname: str | None = None
    home: Address
    past: list[Address] = Field(min_length=2, max_length=3)
    scores: list[int] = Field(default_factory=list)
    ratio: float = Field(multiple_of=0.25, gt=3)


class Joke(TypedDict):
    """A joke, as a TypedDict the way LangChain's standard tests declare it."""

    setup: Annotated[str, ..., "The question of the joke"]
    punchline: Annotated[str, ..., "The answer"]
    rating: Annotated[int | None, None, "How funny, from 1 to 10"]


def greet(name: str, times: int = 2, loud: bool = False) -> str:
    """Greet someone.

    Args:
        name: Who.
        times: How often.
        loud: Whether to shout.
    """
    return name * times


def _langchain(schema: Any) -> dict[str, Any]:
    """The JSON schema LangChain sends for ``schema`` (what ``bind_tools`` converts to)."""
    parameters: dict[str, Any] = convert_to_openai_tool(schema)["function"]["parameters"]
    return parameters


SCHEMAS: dict[str, dict[str, Any]] = {
    "langchain_typeddict": _langchain(Joke),
    "langchain_function": _langchain(greet),
    "langchain_pydantic": _langchain(Person),
    "empty": {"type": "object", "properties": {}},
    "magic_function": {
        "type": "object",
        "properties": {
            "input": {"type": "integer", "exclusiveMinimum": -1000, "exclusiveMaximum": 1000}
        },
        "required": ["input"],
    },
    "pydantic_nested": Person.model_json_schema(),
    "type_list_and_null": {
        "type": "object",
        "properties": {
            "maybe": {"type": ["null", "string"]},
            "nothing": {"type": "null"},
            "flag": {"type": "boolean"},
        },
        "required": ["maybe", "nothing", "flag"],
        "additionalProperties": False,
    },
    "all_of_and_one_of": {
        "type": "object",
        "properties": {
            "merged": {
                "allOf": [
                    {"type": "object", "properties": {"a": {"type": "integer", "minimum": 7}}},
                    {"properties": {"b": {"const": "fixed"}}, "required": ["a", "b"]},
                ]
            },
            "either": {"oneOf": [{"type": "number", "maximum": -5}, {"type": "string"}]},
        },
        "required": ["merged", "either"],
    },
    "arrays": {
        "type": "object",
        "properties": {
            "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]},
            "unique": {
                "type": "array",
                "items": {"type": "integer", "minimum": 10},
                "minItems": 3,
                "uniqueItems": True,
            },
            "formats": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "when": {"type": "string", "format": "date-time"},
                        "mail": {"type": "string", "format": "email"},
                        "id": {"type": "string", "format": "uuid"},
                    },
                    "required": ["when", "mail", "id"],
                },
                "maxItems": 1,
            },
        },
        "required": ["pair", "unique", "formats"],
    },
    "recursive": {
        "type": "object",
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {
                    "value": {"type": "integer"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                },
                "required": ["value"],
            }
        },
        "properties": {"root": {"$ref": "#/$defs/Node"}},
        "required": ["root"],
    },
}
