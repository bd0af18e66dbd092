"""The Slack thread as a debate's view: what the protocol's events become there.

The debate's start opens the panel's plan (`bot.posting.plan`: a task per persona per round and one for the
judge, streamed where Slack allows it); every event after moves its tasks. A round's start opens each
persona's message (a post step each, in panel order); each turn's events update its message live, inside
the turn's own step; a round's end posts what did not fit in one message; a skipped round is said in the
thread. A replayed workflow (after a crash) re-emits the round events, not the turn events inside finished
steps, so a round's end completes its tasks on its own."""

from __future__ import annotations

import logging

from dbos import DBOS

from bot import runtime
from bot.debate.progress import (
    DebateEvent,
    DebateStarted,
    DoorsChecking,
    JudgeStarted,
    Retrying,
    RoundFinished,
    RoundSkipped,
    RoundStarted,
    TurnDelta,
    TurnFinished,
    TurnStarted,
    VerdictReady,
)
from bot.errors import SlackError
from bot.models import Document, Persona, Turn
from bot.posting import render, wording
from bot.posting.live import LiveMessage
from bot.posting.plan import Plan
from bot.posting.safety import LinkPolicy, fmt, trusted
from bot.posting.tasks import CHECK, JUDGE, Status, Task, plan_post, plan_tasks, turn_id, words
from bot.workflows.debate_steps import open_turn, post_notice
from bot.workflows.delivery import post_once, post_part
from bot.workflows.request import ThreadRequest

log = logging.getLogger(__name__)
SKIPPED = trusted("not needed: no new disagreement")


@DBOS.step()
async def open_plan(request: ThreadRequest, thread_ts: str, tasks: list[Task]) -> tuple[str, bool]:
    """The plan's message and whether it streams: a chat stream where Slack allows one, else a message that
    `chat.update` keeps up to date."""
    rt = runtime.current()
    try:
        ts = await rt.poster.start_plan(
            request.channel_id, thread_ts, tasks, request.user_id, request.team_id
        )
        return ts, True
    except SlackError as exc:
        log.warning("no stream in %s (%s): the plan is updated in place", request.channel_id, exc.error)
    return await post_once(request.channel_id, plan_post(tasks), thread_ts), False


class ThreadView:
    def __init__(self, request: ThreadRequest, thread_ts: str, document: Document) -> None:
        self.request, self.thread_ts = request, thread_ts
        self.links = LinkPolicy(request.link, document.source)
        self._live: dict[str, LiveMessage] = {}
        self.plan: Plan | None = None  # opened by the debate's start (a follow-up has none)
        self._rounds: list[int] = []

    async def on_event(self, event: DebateEvent) -> None:
        match event:
            case DebateStarted():
                await self._open_plan(event)
            case RoundStarted(round=round_, panel=panel):
                await self._open(round_, panel)
            case TurnStarted(persona=persona) | TurnDelta(persona=persona) | TurnFinished(persona=persona):
                await self._live[persona.name].on_event(event)
                self._turn_task(event)
            case Retrying(persona=persona) if persona is not None:
                await self._live[persona.name].on_event(event)
                self._move(turn_id(persona.name, self._live[persona.name].round), details=event.notice.text())
            case Retrying():  # the warm-up's or the judge's call
                if self.plan and self.plan.status_of(JUDGE) == "in_progress":
                    self._move(JUDGE, details=event.notice.text())
            case RoundFinished(round=round_, turns=turns):
                for turn in turns:
                    self._move(turn_id(turn.persona, round_), "complete", words(len(turn.text.split()), ""))
                await self._continue(round_, turns)
            case RoundSkipped(round=skipped):
                for later in (r for r in self._rounds if r >= skipped):
                    for name in self._live:
                        self._move(turn_id(name, later), "complete", SKIPPED)
                await post_notice(
                    self.request.channel_id, self.thread_ts, wording.SKIPPED_ROUND, ":handshake:"
                )
            case JudgeStarted():
                self._move(JUDGE, "in_progress", trusted("weighing the debate…"))
            case DoorsChecking(count=count):
                self._move(JUDGE, "complete")
                self._move(CHECK, "in_progress", fmt("{} door{}", count, "" if count == 1 else "s"))
            case VerdictReady(verdict=verdict):
                doors = len(verdict.one_way_doors)
                self._move(JUDGE, "complete", fmt("{} one-way door{}", doors, "" if doors == 1 else "s"))
                await self.close()
            case _:
                pass

    async def close(self, failed: bool = False) -> None:
        """End the plan: complete, or (`failed`) with what did not finish marked so."""
        if self.plan is not None:
            plan, self.plan = self.plan, None
            await plan.finish(failed)

    async def _open_plan(self, event: DebateStarted) -> None:
        rt = runtime.current()
        self._rounds = list(event.round_numbers)
        tasks = plan_tasks(event.panel, self._rounds, rt.settings.verify_doors)
        ts, streaming = await open_plan(self.request, self.thread_ts, tasks)
        self.plan = Plan(
            rt.poster, self.request.channel_id, ts, tasks, streaming, rt.settings.slack_update_interval_s
        )

    def _move(self, task_id: str, status: Status | None = None, details: str | None = None) -> None:
        if self.plan is not None:
            self.plan.set(task_id, status, fmt("{}", details) if details is not None else None)

    def _turn_task(self, event: TurnStarted | TurnDelta | TurnFinished) -> None:
        match event:
            case TurnStarted(persona=persona, round=round_):
                self._move(turn_id(persona.name, round_), "in_progress", trusted("thinking…"))
            case TurnDelta(persona=persona, round=round_):
                self._move(
                    turn_id(persona.name, round_), details=words(len(self._live[persona.name].text.split()))
                )
            case TurnFinished(persona=persona, turn=turn):
                self._move(turn_id(persona.name, turn.round), "complete", words(len(turn.text.split()), ""))

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
