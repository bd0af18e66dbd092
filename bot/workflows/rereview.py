"""A re-review in a thread that holds a debate (`@docdebate again`, or `/debate <the same link>`): the workflow.

The doc is read again with the requester's access and compared with the version the panel last reviewed,
section by section (`bot.debate.changes`). Nothing changed: one short answer to the requester, no model call,
and like any request that did not start, it counts toward no limit. Something changed: the focused round
(`bot.debate.rereview`), each model call a durable step, its turns posted in the thread by `ThreadView`; then
the thread's summary message is updated in place to show where things stand (posted once, if the debate's
summary was never recorded). The doors as they stand go into the ledger like any verdict's, under the
re-review's id, so the status control under each door of the updated summary finds its entry.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial

from dbos import DBOS
from pydantic import BaseModel

from bot import runtime
from bot.debate.changes import edits
from bot.debate.report import changes_line, reviewed_as, reviewed_at
from bot.debate.rereview import Revisit
from bot.errors import DocdebateError, SlackError
from bot.models import DebateResult
from bot.posting import render, wording
from bot.posting.safety import LinkPolicy, Mrkdwn
from bot.store import NOT_STARTED
from bot.workflows import names
from bot.workflows.debate import stopped
from bot.workflows.debate_steps import (
    durable,
    load_doc,
    mark_started,
    panel_for,
    post_notice,
    post_summary,
    record_finished,
    tell_requester,
)
from bot.workflows.delivery import best_effort, deliver_patiently
from bot.workflows.ledger import conversation_of, record_doors
from bot.workflows.request import ThreadRequest
from bot.workflows.thread import ThreadView

log = logging.getLogger(__name__)


class Earlier(BaseModel):
    """The thread's latest review (its debate, or a re-review of it), and where its summary is."""

    link: str
    result: DebateResult
    summary_ts: str | None


@DBOS.step()
async def load_earlier(request: ThreadRequest) -> Earlier | None:
    debates = runtime.current().store.debates
    row = await asyncio.to_thread(debates.latest_done_in_thread, request.channel_id, request.thread_ts or "")
    if row is None or row.result_json is None:
        return None
    result = DebateResult.model_validate_json(row.result_json)
    return Earlier(link=row.link, result=result, summary_ts=row.summary_ts)


@DBOS.step()
async def keep_summary(request: ThreadRequest, summary_ts: str) -> None:
    """The re-review's record points at the summary it updates, before it is done: a re-review asked the
    moment this one finishes updates the same message."""
    await asyncio.to_thread(runtime.current().store.debates.set_summary_ts, request.workflow_id, summary_ts)


@DBOS.step()
async def update_summary(request: ThreadRequest, summary_ts: str, post: render.Post) -> None:
    await runtime.current().poster.update(request.channel_id, summary_ts, post)


async def _not_started(request: ThreadRequest, answer: Mrkdwn) -> None:
    """Recorded first (whoever reads the answer may ask again at once), then said to the requester alone."""
    await record_finished(request, None, NOT_STARTED)
    await tell_requester(request, answer, True)


@DBOS.workflow(name=names.REREVIEW)
async def rereview_workflow(request: ThreadRequest) -> None:
    earlier = await load_earlier(request)
    if earlier is None:
        await _not_started(request, wording.NOTHING_TO_REREVIEW)
        return
    before = earlier.result
    request = request.model_copy(
        update={
            "link": earlier.link,
            "personas": before.personas,
            "depth": before.depth,
            "focus": before.focus,
        }
    )
    try:
        document = await load_doc(request)  # with the requester's access, as a debate reads it
    except DocdebateError as exc:
        await _not_started(request, wording.cannot_rereview(exc))
        return
    found = edits(before.document, document)
    since = wording.since(reviewed_as(before), reviewed_at(before))
    if not found:
        await _not_started(request, wording.unchanged_since(since))
        return
    thread_ts = request.thread_ts or ""
    view = ThreadView(request, thread_ts, document)
    try:
        await mark_started(request, thread_ts, document.title)
        rt = runtime.current()
        revisit = Revisit(rt.llm, rt.settings, before, document, panel_for(request), found, view.on_event)
        changes = changes_line([edit.record() for edit in found])
        await post_notice(
            request.channel_id,
            thread_ts,
            wording.rereview_started(since, changes),
            ":arrows_counterclockwise:",
        )
        result = await revisit.run(durable)
        if earlier.summary_ts:
            await keep_summary(request, earlier.summary_ts)
        await record_finished(request, result, "done")
    except Exception as exc:
        await view.close(failed=True)  # never raises: the plan is progress
        await stopped(request, None, document.title, exc, "re-review")
        return
    try:  # the doors as they stand, for the status controls under them: the summary is shown in any case
        await record_doors(request, result, await conversation_of(request.channel_id))
    except Exception:
        log.exception("re-review %s: its one-way doors did not reach the ledger", request.workflow_id)
    await _deliver(request, earlier.summary_ts, result)


async def _deliver(request: ThreadRequest, summary_ts: str | None, result: DebateResult) -> None:
    """The summary as it stands now, in place of the earlier one (waiting for Slack if need be)."""
    assert result.rereview is not None
    links = LinkPolicy(request.link, result.document.source)
    post = render.rereview_summary(result, result.rereview, links, request.workflow_id)
    thread_ts = request.thread_ts or ""
    send: Callable[[], Awaitable[object]] = (
        partial(update_summary, request, summary_ts, post)
        if summary_ts
        else partial(post_summary, request, thread_ts, post)
    )
    try:
        await deliver_patiently(request.workflow_id, [send])
    except SlackError as exc:
        await best_effort(tell_requester(request, wording.verdict_not_posted(exc.error)))
