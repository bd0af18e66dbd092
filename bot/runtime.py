"""The services a process holds: its settings, the store, the Slack poster, and the model client.

A process installs one `Runtime` when it starts (`docdebate serve`, `docdebate worker`, a calendar pass);
listeners and workflow steps reach the services through `current()`. The model client is made on first use,
so a process that only acknowledges Slack never loads Anthropic's SDK.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.posting.poster import Poster
from bot.store import Store

if TYPE_CHECKING:
    from bot.llm import LLM


@dataclass
class Runtime:
    settings: Settings
    poster: Poster
    store: Store
    _llm: LLM | None = field(default=None, repr=False)

    @property
    def llm(self) -> LLM:
        if self._llm is None:
            from bot.llm import LLM

            self._llm = LLM(self.settings)
        return self._llm


_current: Runtime | None = None


def install(runtime: Runtime) -> Runtime:
    global _current
    _current = runtime
    return runtime


def current() -> Runtime:
    if _current is None:
        raise RuntimeError("no runtime: bot.runtime.install() was not called")
    return _current
