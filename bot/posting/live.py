"""A persona's turn shown as it is written: its message re-rendered at most every update interval."""

from __future__ import annotations

import asyncio
import time

from bot.debate.progress import DebateEvent, Retrying, TurnDelta, TurnFinished, TurnStarted
from bot.models import Persona, Turn
from bot.posting import render
from bot.posting.poster import Poster
from bot.posting.safety import LinkPolicy, fmt


class LiveMessage:
    """One persona's message in the thread, following its turn's events.

    Live updates run beside the stream, one at a time, never in its way: a slow or failing Slack then costs
    skipped frames, not a slower turn. The final update waits for the one in flight, then is retried like
    any post (`Poster.update`)."""

    def __init__(
        self,
        poster: Poster,
        channel: str,
        ts: str,
        persona: Persona,
        round_: int,
        links: LinkPolicy,
        interval_s: float,
    ) -> None:
        self.poster, self.channel, self.ts, self.interval = poster, channel, ts, interval_s
        self.persona, self.round, self.links = persona, round_, links
        self.text = ""
        self.last = 0.0
        self._in_flight: asyncio.Task[None] | None = None

    def _show(self, post: render.Post) -> None:
        """Start an update unless one is still on its way (the next frame will carry the newer text)."""
        if self._in_flight is None or self._in_flight.done():
            self._in_flight = asyncio.create_task(self.poster.try_update(self.channel, self.ts, post))

    async def on_event(self, event: DebateEvent) -> None:
        if isinstance(event, TurnStarted):  # also sent when a turn restarts after a mid-stream failure
            self.text = ""
        elif isinstance(event, Retrying):  # said in the message itself, so a wait never looks like a hang
            status = fmt(":hourglass_flowing_sand: {}", event.notice.text())
            self._show(render.thinking_post(self.persona, self.round, status))
        elif isinstance(event, TurnDelta):
            self.text += event.text
            now = time.monotonic()
            if now - self.last >= self.interval:
                self.last = now
                self._show(render.turn_posts(self.persona, self.round, self.text, self.links, live=True)[0])
        elif isinstance(event, TurnFinished):
            await self.finish(event.turn)

    async def finish(self, turn: Turn) -> None:
        if self._in_flight is not None:
            await self._in_flight  # try_update never raises: a late frame must not overwrite the final text
        first = render.turn_posts(self.persona, self.round, turn.text, self.links)[0]
        await self.poster.update(self.channel, self.ts, first)
