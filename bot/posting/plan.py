"""The panel's plan, kept up to date in the thread while the debate runs.

Shown as a chat stream in plan mode (`Poster.start_plan`): each change goes out as the changed tasks'
`task_update` chunks. Where Slack will not stream (the stream could not start, or an append was refused,
e.g. the stream expired while a worker restarted), the plan is the same message updated with `chat.update`
(`tasks.plan_post`), as the persona turns are. Like the live turns, updates go one at a time beside the
debate and never hold it up; a task's new status goes out at once, a new detail at most every update
interval. The end (`finish`) waits for the update in flight and is one try too: the plan is progress, and
never holds up, nor fails, a verdict that waits for Slack."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from bot.posting.poster import Poster
from bot.posting.safety import Mrkdwn, trusted
from bot.posting.tasks import Status, Task, plan_post

log = logging.getLogger(__name__)
NOT_RUN = trusted("not run: the debate stopped")
STOPPED = trusted("stopped")
GONE = "message_not_in_streaming_state"  # Slack's answer once a stream has ended (or expired)


class Plan:
    def __init__(
        self, poster: Poster, channel: str, ts: str, tasks: Sequence[Task], streaming: bool, interval_s: float
    ) -> None:
        self.poster, self.channel, self.ts, self.interval = poster, channel, ts, interval_s
        self.streaming = streaming
        self.tasks = {t.id: t for t in tasks}
        self._changed: dict[str, Task] = {}
        self._last = 0.0
        self._sending: asyncio.Task[None] | None = None

    def set(self, task_id: str, status: Status | None = None, details: Mrkdwn | None = None) -> None:
        """Move a task; shown at once if its status changed, else with the next frame."""
        task = self.tasks.get(task_id)
        if task is None or task.done:  # a finished task stays finished (a replayed event changes nothing)
            return
        moved = task.moved(status, details)
        if moved == task:
            return
        self.tasks[task_id] = self._changed[task_id] = moved
        if moved.status != task.status or time.monotonic() - self._last >= self.interval:
            self._kick()

    def status_of(self, task_id: str) -> Status | None:
        task = self.tasks.get(task_id)
        return task.status if task else None

    def _kick(self) -> None:
        if self._sending is None or self._sending.done():
            self._sending = asyncio.create_task(self._send())

    async def _send(self) -> None:
        """Send what changed, and again while more changed meanwhile."""
        while self._changed:
            batch = list(self._changed.values())
            self._changed.clear()
            self._last = time.monotonic()
            if self.streaming:
                error = await self.poster.try_append_plan(self.channel, self.ts, batch)
                if error is None:
                    continue
                if error != GONE:  # a failure that may pass: the next frame carries these tasks again
                    for task in batch:
                        self._changed.setdefault(task.id, self.tasks[task.id])
                    return
                log.warning("plan %s: the stream ended early: updating the message in place", self.ts)
                self.streaming = False
            await self.poster.try_update(self.channel, self.ts, plan_post(self.tasks.values()))

    async def finish(self, failed: bool = False) -> None:
        """End the plan: every task complete, or, when the debate stopped, those not done marked so."""
        if self._sending is not None:
            await self._sending  # never raises: its calls are tries that log
        for task in list(self.tasks.values()):
            if not task.done:
                ran = task.status == "in_progress"
                end: Status = "error" if failed else "complete"
                self.tasks[task.id] = task.moved(end, (STOPPED if ran else NOT_RUN) if failed else None)
        self._changed.clear()
        tasks = list(self.tasks.values())
        if (
            self.streaming
            and await self.poster.try_append_plan(self.channel, self.ts, tasks, last=True) is None
        ):
            return
        await self.poster.try_update(self.channel, self.ts, plan_post(tasks))  # e.g. the stream expired
