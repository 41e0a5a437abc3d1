"""Fake LangChain chat models for the tests, and a callback that records every prompt they receive."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage


class Recorder(BaseCallbackHandler):
    """Every prompt a chat model received, in order."""

    def __init__(self) -> None:
        self.calls: list[list[BaseMessage]] = []

    def on_chat_model_start(self, serialized: dict[str, Any], messages: list[list[BaseMessage]], **kwargs: Any) -> None:
        self.calls.extend(messages)


def fake_model(*replies: str) -> tuple[GenericFakeChatModel, Recorder]:
    """A chat model that answers with ``replies`` in turn, and the recorder of its prompts."""
    recorder = Recorder()
    return GenericFakeChatModel(messages=iter([AIMessage(r) for r in replies]), callbacks=[recorder]), recorder
