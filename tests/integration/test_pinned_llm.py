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


def test_ainvoke_streams_under_the_hood_exactly_when_streaming_is_set(
    llm_factory: Any, emu: Any
) -> None:
    # As invoke does: streaming=True lets async callback handlers see every token, and
    # streaming=False makes one InvokeModel call.
    from langchain_core.callbacks import AsyncCallbackHandler

    class Tokens(AsyncCallbackHandler):
        def __init__(self) -> None:
            self.seen: list[str] = []

        async def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            self.seen.append(token)

    for streaming, operation, tokens in (
        (True, "invoke-with-response-stream", ["p", "q"]),
        (False, "invoke", []),
    ):
        emu.reply(["p", "q"])
        handler = Tokens()
        llm = llm_factory(streaming=streaming)
        assert asyncio.run(llm.ainvoke("hi", config={"callbacks": [handler]})) == "pq"
        assert emu.requests[-1].operation == operation
        assert handler.seen == tokens
