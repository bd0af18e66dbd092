"""The debate in a Slack thread, and a follow-up question to its panel: the workflows.

They orchestrate only: the protocol (`bot.debate.protocol`) runs the rounds, each model call a step through
`durable`; the posts are steps in `debate_steps`; `ThreadView` turns the protocol's events into posts.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial

from dbos import DBOS

from bot import runtime
from bot.debate.memory import Related
from bot.debate.protocol import Debate
from bot.errors import DocdebateError, SlackError
from bot.models import DebateResult, Document
from bot.posting import render, wording
from bot.posting.safety import LinkPolicy, Mrkdwn, fmt
from bot.store import NOT_STARTED
from bot.workflows import names
from bot.workflows.canvas import save_canvas
from bot.workflows.debate_steps import (
    durable,
    load_doc,
    load_thread_debate,
    mark_started,
    panel_for,
    post_notice,
    post_root,
    post_summary,
    record_finished,
    tell_requester,
    update_root,
)
from bot.workflows.delivery import best_effort, deliver_patiently, post_part
from bot.workflows.ledger import conversation_of, load_memory, record_doors
from bot.workflows.request import ThreadRequest
from bot.workflows.thread import ThreadView

log = logging.getLogger(__name__)


def _debate(
    request: ThreadRequest, view: ThreadView, document: Document, memory: Sequence[Related] = ()
) -> Debate:
    rt = runtime.current()
    panel = panel_for(request)
    return Debate(
        rt.llm, rt.settings, document, panel, request.depth, request.focus, view.on_event, memory=memory
    )


@DBOS.workflow(name=names.DEBATE)
async def debate_workflow(request: ThreadRequest) -> None:
    # Read the doc (and check the requester may open it) before anything is posted where others can see:
    # a request that cannot start leaves no trace in the channel, and counts toward no limit.
    try:
        document = await load_doc(request)
        root_ts = await post_root(request, document.title) if request.thread_ts is None else None
    except DocdebateError as exc:
        # Recorded first: whoever reads the answer may try again at once.
        await record_finished(request, None, NOT_STARTED)
        await tell_requester(request, wording.cannot_start(exc), True)
        return
    thread_ts = root_ts or request.thread_ts or ""
    request = request.model_copy(update={"thread_ts": thread_ts}) if root_ts else request
    view = ThreadView(request, thread_ts, document)
    try:
        await mark_started(request, thread_ts, document.title)
        if document.audience == "restricted" and not request.channel_id.startswith("D"):
            await post_notice(request.channel_id, thread_ts, wording.RESTRICTED_WARNING, ":lock:")
            await tell_requester(request, fmt(":lock: {}", wording.RESTRICTED_WARNING))
        where = await conversation_of(request.channel_id)
        memory = await load_memory(request, document, where)
        result = await _debate(request, view, document, memory).run(durable)
        # Recorded before it is shown, so a follow-up asked the moment the verdict appears finds it, and the
        # requester may start another debate while the verdict waits for Slack.
        await record_finished(request, result, "done")
    except Exception as exc:
        await view.close(failed=True)  # never raises: the plan is progress
        await stopped(request, root_ts, document.title, exc)
        return
    try:  # the ledger's entries: the verdict is shown even if they cannot be written
        await record_doors(request, result, where)
    except Exception:
        log.exception("debate %s: its one-way doors did not reach the ledger", request.workflow_id)
    await _deliver(request, root_ts, document.title, result)


async def stopped(
    request: ThreadRequest, root_ts: str | None, title: str, exc: Exception, what: str = "debate"
) -> None:
    """A debate (or a re-review: `what`) that started and then failed: recorded first (so nobody stays locked
    out), then said in the thread and to the requester, each as best Slack allows."""
    await record_finished(request, None, "failed")
    public: Mrkdwn | None
    private: Mrkdwn | None
    if isinstance(exc, SlackError):
        public, private = None, wording.slack_failure(exc.error)
    elif isinstance(exc, DocdebateError):
        public = fmt("Could not finish the {}: {}", what, exc.message)
        private = fmt(":warning: The {} stopped: {}", what, exc.message)
    else:  # a bug: still never silence in the thread; the traceback goes to the log
        log.error("%s %s failed", what, request.workflow_id, exc_info=exc)
        public, private = wording.OUR_FAULT, None
    if public:
        await best_effort(post_notice(request.channel_id, request.thread_ts, public))
    if private and not (public and request.chat):  # in a chat, the thread's notice is the requester's own
        await best_effort(tell_requester(request, private))
    if root_ts:
        await best_effort(update_root(request, root_ts, title, wording.STOPPED_ROOT))


async def _deliver(request: ThreadRequest, root_ts: str | None, title: str, result: DebateResult) -> None:
    """Post a verdict that is paid for, waiting for Slack if need be (`deliver_patiently`)."""
    thread_ts = request.thread_ts or ""
    posts = render.summary_posts(
        result, LinkPolicy(request.link, result.document.source), request.workflow_id
    )
    first, *rest = posts
    sends: list[Callable[[], Awaitable[object]]] = [
        partial(post_summary, request, thread_ts, first),
        *(partial(post_part, request.channel_id, thread_ts, post) for post in rest),
    ]
    if root_ts:
        sends.append(partial(update_root, request, root_ts, title, render.root_done_status(result)))
    try:
        await deliver_patiently(request.workflow_id, sends)
    except SlackError as exc:
        await best_effort(tell_requester(request, wording.verdict_not_posted(exc.error)))
    if runtime.current().settings.canvas:
        await save_canvas(request, root_ts, title, result)


@DBOS.workflow(name=names.FOLLOW_UP)
async def follow_up_workflow(request: ThreadRequest) -> None:
    """A question in a thread that already holds a debate: each persona answers briefly, with the debate as
    context."""
    previous = await load_thread_debate(request)
    if previous is None:
        await record_finished(request, None, NOT_STARTED)
        await tell_requester(request, wording.NO_DEBATE_YET)
        return
    request = request.model_copy(update={"personas": previous.personas, "depth": previous.depth})
    try:
        view = ThreadView(request, request.thread_ts or "", previous.document)
        debate = _debate(request, view, previous.document)
        await debate.follow_up(request.question or "", previous.turns, durable)
        await record_finished(request, None, "done")
    except Exception as exc:  # every failure ends with the thread told, and nobody locked out
        await record_finished(request, None, "failed")
        if isinstance(exc, SlackError):
            await best_effort(tell_requester(request, wording.slack_failure(exc.error)))
            return
        if not isinstance(exc, DocdebateError):
            log.error("follow-up %s failed", request.workflow_id, exc_info=exc)
        reason = exc.message if isinstance(exc, DocdebateError) else "something went wrong on my side"
        await best_effort(
            post_notice(request.channel_id, request.thread_ts, fmt("Could not answer: {}", reason))
        )
