"""The steps of a debate in Slack: reading the doc, the posts around the debate, and the bookkeeping.

The model calls are the protocol's own (`bot.debate.protocol`); `durable` makes each of them a step."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from dbos import DBOS

from bot import runtime
from bot.debate.personas import load_personas, parse_panel, select_panel
from bot.models import DebateResult, Document, Persona
from bot.posting import render
from bot.posting.safety import Mrkdwn, trusted
from bot.store import DebateRow
from bot.workflows.delivery import post_once
from bot.workflows.reading import read_for
from bot.workflows.request import ThreadRequest

T = TypeVar("T")


async def durable(name: str, call: Callable[[], Awaitable[T]]) -> T:
    """The protocol's step runner in a workflow: each unit is a DBOS step, recorded once it returns, so a
    restarted debate resumes after its last finished turn without paying for it again."""

    async def step() -> T:
        return await call()

    return await DBOS.run_step_async({"name": name}, step)


def panel_for(request: ThreadRequest) -> list[Persona]:
    settings = runtime.current().settings
    return select_panel(load_personas(settings.personas_dir), parse_panel(request.personas or None))


def persona_named(request: ThreadRequest, name: str) -> Persona:
    return next(p for p in panel_for(request) if p.name == name)


@DBOS.step()
async def load_doc(request: ThreadRequest) -> Document:
    return await read_for(request.link, request.user_id)


def _root(request: ThreadRequest, title: str, status: Mrkdwn) -> render.Post:
    return render.root_post(
        title, request.link, request.user_id, panel_for(request), request.depth, request.focus, status
    )


@DBOS.step()
async def post_root(request: ThreadRequest, title: str) -> str:
    status = trusted(":speaking_head_in_silhouette: The panel is debating…")
    return await post_once(request.channel_id, _root(request, title, status))


@DBOS.step()
async def update_root(request: ThreadRequest, root_ts: str, title: str, status: Mrkdwn) -> None:
    await runtime.current().poster.update(request.channel_id, root_ts, _root(request, title, status))


@DBOS.step()
async def mark_started(request: ThreadRequest, thread_ts: str, title: str | None) -> None:
    runtime.current().store.debates.start(
        DebateRow(
            id=request.workflow_id,
            team_id=request.team_id,
            user_id=request.user_id,
            channel_id=request.channel_id,
            thread_ts=thread_ts,
            link=request.link,
            title=title,
            status="running",
        )
    )


@DBOS.step()
async def post_notice(channel: str, thread_ts: str | None, text: Mrkdwn, emoji: str = ":warning:") -> str:
    return await post_once(channel, render.notice(text, emoji), thread_ts)


@DBOS.step()
async def tell_requester(request: ThreadRequest, text: Mrkdwn, replace_ack: bool = False) -> None:
    """A message only the requester sees: through the command's `response_url` when there is one (it
    reaches them even where the bot cannot post; `replace_ack` replaces the "Reading…" answer), a reply in
    a chat of the Messages tab (theirs alone), else an ephemeral in the thread."""
    post, poster = render.notice(text, ""), runtime.current().poster
    if request.chat and request.thread_ts:
        await post_once(request.channel_id, post, request.thread_ts)
        return
    if request.response_url and await poster.respond(
        request.response_url, post, replace_original=replace_ack
    ):
        return
    await poster.ephemeral(request.channel_id, request.user_id, post, request.thread_ts)


@DBOS.step()
async def open_turn(request: ThreadRequest, thread_ts: str, persona_name: str, round_: int) -> str:
    persona = persona_named(request, persona_name)
    return await post_once(request.channel_id, render.thinking_post(persona, round_), thread_ts, persona)


@DBOS.step()
async def post_summary(request: ThreadRequest, thread_ts: str, post: render.Post) -> str:
    """The summary's first page, and where it is recorded: a re-review updates that message in place."""
    ts = await post_once(request.channel_id, post, thread_ts)
    await asyncio.to_thread(runtime.current().store.debates.set_summary_ts, request.workflow_id, ts)
    return ts


@DBOS.step()
async def record_finished(request: ThreadRequest, result: DebateResult | None, status: str) -> None:
    runtime.current().store.debates.finish(request.workflow_id, result, status)


@DBOS.step()
async def load_thread_debate(request: ThreadRequest) -> DebateResult | None:
    store = runtime.current().store
    return await asyncio.to_thread(
        store.debates.latest_result_in_thread, request.channel_id, request.thread_ts or ""
    )
