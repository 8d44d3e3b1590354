"""BedrockClaude's LangChain entry points that the usual calls bypass, pinned by mutation testing."""

from __future__ import annotations

import asyncio
from typing import Any


def test_call_and_acall_answer_with_the_text_of_their_one_prompt(
    llm_factory: Any, emu: Any
) -> None:
    # ``_call``/``_acall`` are the methods LangChain's ``LLM`` contract names; code written
    # against that contract (custom chains, wrappers) calls them directly.
    llm = llm_factory()
    emu.reply("sync text")
    assert llm._call("Hi", stop=["END"]) == "sync text"
    assert emu.requests[-1].json["stop_sequences"] == ["END"]
    emu.reply("async text")
    assert asyncio.run(llm._acall("Hi")) == "async text"
