"""The Slack thread as a debate's view: what the protocol's events become there.

A round's start opens each persona's message (a post step each, in panel order); each turn's events update
its message live, inside the turn's own step; a round's end posts what did not fit in one message; a
skipped round is said in the thread."""

from __future__ import annotations

from bot import runtime
from bot.debate.progress import (
    DebateEvent,
    Retrying,
    RoundFinished,
    RoundSkipped,
    RoundStarted,
    TurnDelta,
    TurnFinished,
    TurnStarted,
)
from bot.models import Document, Persona, Turn
from bot.posting import render, wording
from bot.posting.live import LiveMessage
from bot.posting.safety import LinkPolicy
from bot.workflows.debate_steps import open_turn, post_notice
from bot.workflows.delivery import post_part
from bot.workflows.request import ThreadRequest


class ThreadView:
    def __init__(self, request: ThreadRequest, thread_ts: str, document: Document) -> None:
        self.request, self.thread_ts = request, thread_ts
        self.links = LinkPolicy(request.link, document.source)
        self._live: dict[str, LiveMessage] = {}

    async def on_event(self, event: DebateEvent) -> None:
        match event:
            case RoundStarted(round=round_, panel=panel):
                await self._open(round_, panel)
            case TurnStarted(persona=persona) | TurnDelta(persona=persona) | TurnFinished(persona=persona):
                await self._live[persona.name].on_event(event)
            case Retrying(persona=persona) if persona is not None:
                await self._live[persona.name].on_event(event)
            case RoundFinished(round=round_, turns=turns):
                await self._continue(round_, turns)
            case RoundSkipped():
                await post_notice(
                    self.request.channel_id, self.thread_ts, wording.SKIPPED_ROUND, ":handshake:"
                )
            case _:
                pass

    async def _open(self, round_: int, panel: list[Persona]) -> None:
        rt, request = runtime.current(), self.request
        self._live = {}
        for persona in panel:
            ts = await open_turn(request, self.thread_ts, persona.name, round_)
            self._live[persona.name] = LiveMessage(
                rt.poster,
                request.channel_id,
                ts,
                persona,
                round_,
                self.links,
                rt.settings.slack_update_interval_s,
            )

    async def _continue(self, round_: int, turns: list[Turn]) -> None:
        """Long turns continue below their message, each part its own step."""
        for turn in turns:
            persona = self._live[turn.persona].persona
            for extra in render.turn_posts(persona, round_, turn.text, self.links)[1:]:
                await post_part(self.request.channel_id, self.thread_ts, extra, persona)
