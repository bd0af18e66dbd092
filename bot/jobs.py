"""Durable workflows (DBOS): a debate in a Slack thread, and a follow-up question to the panel.

A workflow's id is Slack's own id for the request (`team:trigger_id` for commands and shortcuts,
`team:event_id` for events), so a retried or duplicated delivery finds the workflow already there and starts
nothing. Every model call and every post is a step: DBOS records its result, and a restarted process resumes
the workflow after the last finished step, without paying for finished model calls again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from typing import Literal

from dbos import DBOS, Queue, SetWorkflowID
from pydantic import BaseModel

from bot import __version__
from bot.config import Settings
from bot.debate.events import DebateEvent, Retrying, TurnDelta, TurnStarted
from bot.debate.personas import load_personas, parse_panel, select_panel
from bot.debate.protocol import Debate, any_new_disagreement
from bot.depth import Depth
from bot.errors import DocdebateError, SlackError, SourceError
from bot.llm import LLM
from bot.models import DebateResult, Document, Persona, Turn, Usage, Verdict
from bot.replicas import Watch
from bot.slack import render
from bot.slack.poster import Poster
from bot.slack.safety import LinkPolicy, Mrkdwn, fmt, trusted
from bot.sources import Requester, load_document, require_web_link
from bot.sources.links import is_google_link
from bot.store import NOT_STARTED, DebateRow, Store, sqlalchemy_url

log = logging.getLogger(__name__)
QUEUE_POLL_S = 0.2
DELIVERY_PATIENCE_S = 24 * 3600  # how long a paid-for verdict waits for Slack to come back
RESTRICTED_WARNING = trusted(
    "This doc is shared with specific people only, and everyone in this channel can read this thread, "
    "quotes included. To keep the debate private, run `/debate` in a DM with me instead."
)


class ThreadRequest(BaseModel):
    """What a user asked for, from a slash command, a mention or a shortcut."""

    workflow_id: str
    team_id: str
    user_id: str
    channel_id: str
    thread_ts: str | None = None  # None: a slash command, which opens its own thread under a root message
    link: str
    focus: str | None = None
    personas: list[str] = []
    depth: Depth = Depth.STANDARD
    origin: Literal["command", "mention", "shortcut"] = "command"
    question: str | None = None  # set for a follow-up in a thread that already holds a debate
    # Commands and shortcuts: where to answer the requester alone, even in a channel the bot is not in.
    response_url: str | None = None


@dataclass
class Runtime:
    settings: Settings
    llm: LLM
    poster: Poster
    store: Store
    watch: Watch


_runtime: Runtime | None = None


def runtime() -> Runtime:
    if _runtime is None:
        raise RuntimeError("bot.jobs.launch() was not called")
    return _runtime


_queue: Queue | None = None


async def post_once(
    channel: str, post: render.Post, thread_ts: str | None = None, as_: Persona | None = None
) -> str:
    """Post from inside a step, at most once even across a crash.

    DBOS records a step's result only after it returns, so a process killed between Slack's answer and that
    record runs the step again. The step's key (workflow and step id) is claimed in the store before posting
    and carried in the message's metadata: a second claim means this is such a rerun, and the post already
    in Slack, if it is there, is returned instead of posting it again."""
    key = f"{DBOS.workflow_id}#{DBOS.step_id}"
    rt = runtime()
    if not await asyncio.to_thread(rt.store.claim_post, key):
        found = await rt.poster.find_posted(channel, thread_ts, key)
        if found:
            log.warning("step %s had posted before the crash: keeping that post", key)
            return found
    return await rt.poster.post(channel, post, thread_ts, as_, key=key)


def launch(settings: Settings, poster: Poster) -> None:
    """Configure DBOS on `DATABASE_URL`, declare the debate queue, recover pending workflows.

    Call it outside any running event loop: DBOS then runs workflows on its own loop thread. Launched inside
    the server's loop, it would adopt that loop, and debates would delay the acknowledgements Slack awaits.
    """
    global _runtime, _queue
    store = Store(settings.database_url)
    watch = Watch(store, settings.executor_id, settings.replica_heartbeat_s, settings.replica_dead_after_s)
    _runtime = Runtime(settings, LLM(settings), poster, store, watch)
    DBOS(
        config={
            "name": "docdebate",
            "system_database_url": sqlalchemy_url(settings.database_url),
            "log_level": "WARNING",
            # Recovery only resumes workflows of the same application version; DBOS's default is a hash of the
            # code, which would strand in-flight debates at every deploy.
            "application_version": __version__,
            "executor_id": settings.executor_id,
        }
    )
    DBOS.launch()
    # Debates run from a queue, on DBOS's loop thread: the loop that answers Slack within 3 s never waits
    # behind document parsing or a debate's bookkeeping. The queue also bounds concurrent debates.
    _queue = DBOS.register_queue(
        "debates", global_concurrency=settings.max_concurrent_debates, polling_interval_sec=QUEUE_POLL_S
    )
    watch.start()


def accepting() -> bool:
    """Whether this process has launched its queue and can take debates."""
    return _queue is not None and _runtime is not None


def shutdown(grace_s: float) -> None:
    """Stop taking work; give running debates `grace_s` to finish. What is left stays pending in the
    database, and the next process (or another replica) resumes it from its last finished step."""
    DBOS.destroy(destroy_registry=False, workflow_completion_timeout_sec=int(grace_s))
    runtime().watch.stop(gone=True)


async def exists(workflow_id: str) -> bool:
    return await asyncio.to_thread(_exists, workflow_id)


def _exists(workflow_id: str) -> bool:
    return bool(DBOS.list_workflows(workflow_ids=[workflow_id], load_input=False, load_output=False))


async def start(request: ThreadRequest) -> bool:
    """Enqueue the request's workflow unless one with its id exists; True if this call enqueued it.

    Runs in a worker thread: enqueueing is a database write, kept off the event loop that acks Slack.
    """
    return await asyncio.to_thread(_enqueue, request)


def _enqueue(request: ThreadRequest) -> bool:
    if _queue is None:
        raise RuntimeError("bot.jobs.launch() was not called")
    if _exists(request.workflow_id):
        return False
    workflow = follow_up_workflow if request.question else debate_workflow
    with SetWorkflowID(request.workflow_id):
        _queue.enqueue(workflow, request)
    return True


def panel_for(request: ThreadRequest) -> list[Persona]:
    return select_panel(load_personas(runtime().settings.personas_dir), parse_panel(request.personas or None))


# ---- steps ----


@DBOS.step()
async def post_root(request: ThreadRequest, title: str) -> str:
    panel = panel_for(request)
    post = render.root_post(
        title,
        request.link,
        request.user_id,
        panel,
        request.depth,
        request.focus,
        trusted(":speaking_head_in_silhouette: The panel is debating…"),
    )
    return await post_once(request.channel_id, post)


@DBOS.step()
async def load_doc(request: ThreadRequest) -> Document:
    return await read_for(request.link, request.user_id)


async def read_for(link: str, user_id: str | None) -> Document:
    """The linked doc, read only if the Slack user may open it (Google docs: see `bot.sources.google`).
    `user_id` None: read as the bot, for a caller that checks each reader itself (meeting digests)."""
    require_web_link(link)
    requester = None
    if user_id is not None and is_google_link(link):
        email = await runtime().poster.user_email(user_id)
        if not email:
            raise SourceError(
                "Slack does not show me your email address, so I cannot check that you may open this "
                "Google doc; nothing was read"
            )
        requester = Requester(email)
    return await load_document(link, runtime().settings, requester)


@DBOS.step()
async def mark_started(request: ThreadRequest, thread_ts: str, title: str | None) -> None:
    runtime().store.started(
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
async def update_root(request: ThreadRequest, root_ts: str, title: str, status: Mrkdwn) -> None:
    panel = panel_for(request)
    post = render.root_post(title, request.link, request.user_id, panel, request.depth, request.focus, status)
    await runtime().poster.update(request.channel_id, root_ts, post)


@DBOS.step()
async def post_notice(channel: str, thread_ts: str | None, text: Mrkdwn, emoji: str = ":warning:") -> str:
    return await post_once(channel, render.notice(text, emoji), thread_ts)


@DBOS.step()
async def tell_requester(request: ThreadRequest, text: Mrkdwn, replace_ack: bool = False) -> None:
    """A message only the requester sees: through the command's `response_url` when there is one (it
    reaches them even where the bot cannot post; `replace_ack` replaces the "Reading…" answer), else an
    ephemeral in the thread."""
    post, poster = render.notice(text, ""), runtime().poster
    if request.response_url and await poster.respond(
        request.response_url, post, replace_original=replace_ack
    ):
        return
    await poster.ephemeral(request.channel_id, request.user_id, post, request.thread_ts)


@DBOS.step()
async def open_turn(request: ThreadRequest, thread_ts: str, persona_name: str, round_: int) -> str:
    persona = next(p for p in panel_for(request) if p.name == persona_name)
    return await post_once(request.channel_id, render.thinking_post(persona, round_), thread_ts, persona)


@DBOS.step()
async def warm_cache(request: ThreadRequest, document: Document) -> Usage | None:
    return await _debate(request, document).warm()


@DBOS.step()
async def persona_turn(
    request: ThreadRequest,
    document: Document,
    persona_name: str,
    round_: int,
    transcript: list[Turn],
    ts: str,
) -> Turn:
    """One persona's turn, shown live in its message; the message ends with the turn's first part."""
    persona = next(p for p in panel_for(request) if p.name == persona_name)
    live = LiveMessage(request.channel_id, ts, persona, round_, LinkPolicy(request.link, document.source))
    debate = _debate(request, document, live)
    if request.question:
        turn = await debate.answer(persona, round_, request.question, transcript)
    elif round_ == 0:
        turn = await debate.opening(persona)
    else:
        turn = await debate.rebuttal(persona, round_, transcript)
    await live.finish(turn)
    return turn


@DBOS.step()
async def judge(request: ThreadRequest, document: Document, transcript: list[Turn]) -> tuple[Verdict, Usage]:
    return await _debate(request, document).judge(transcript)


@DBOS.step()
async def post_part(
    channel: str, thread_ts: str | None, post: render.Post, as_: Persona | None = None
) -> str:
    """One post of a message that takes several: each is its own step, so a restart never reposts a part."""
    return await post_once(channel, post, thread_ts, as_)


@DBOS.step()
async def record_finished(request: ThreadRequest, result: DebateResult | None, status: str) -> None:
    runtime().store.finished(request.workflow_id, result, status)


# ---- workflows ----


@DBOS.workflow()
async def debate_workflow(request: ThreadRequest) -> None:
    # Read the doc (and check the requester may open it) before anything is posted where others can see:
    # a request that cannot start leaves no trace in the channel, and counts toward no limit.
    try:
        document = await load_doc(request)
        root_ts = await post_root(request, document.title) if request.thread_ts is None else None
    except DocdebateError as exc:
        # Recorded first: whoever reads the answer may try again at once.
        await record_finished(request, None, NOT_STARTED)
        await tell_requester(request, cannot_start(exc), True)
        return
    thread_ts = root_ts or request.thread_ts or ""
    try:
        await mark_started(request, thread_ts, document.title)
        if document.audience == "restricted" and not request.channel_id.startswith("D"):
            await post_notice(request.channel_id, thread_ts, RESTRICTED_WARNING, ":lock:")
            await tell_requester(request, fmt(":lock: {}", RESTRICTED_WARNING))
        result = await _run_debate(request.model_copy(update={"thread_ts": thread_ts}), document)
        # Recorded before it is shown, so a follow-up asked the moment the verdict appears finds it, and the
        # requester may start another debate while the verdict waits for Slack.
        await record_finished(request, result, "done")
    except Exception as exc:
        await _stopped(request, thread_ts, root_ts, document.title, exc)
        return
    posts = render.summary_posts(result, LinkPolicy(request.link, result.document.source))
    await _deliver(request, thread_ts, root_ts, document.title, posts, render.root_done_status(result))


def delivery_waits(first_s: float) -> Iterator[float]:
    """The waits between tries of a verdict while Slack fails (each try is itself retried for `first_s`):
    doubling from `first_s`, at most an hour each, about `DELIVERY_PATIENCE_S` in all."""
    waited, wait = 0.0, first_s
    while waited < DELIVERY_PATIENCE_S:
        yield wait
        waited, wait = waited + wait, min(2 * wait, 3600.0)


def cannot_start(exc: DocdebateError) -> Mrkdwn:
    """What the requester alone is told when a request could not start."""
    if isinstance(exc, SlackError):
        return slack_failure(exc.error)
    return fmt(":warning: I couldn't start the debate: {}", exc.message)


async def _stopped(
    request: ThreadRequest, thread_ts: str, root_ts: str | None, title: str, exc: Exception
) -> None:
    """A debate that started and then failed: recorded first (so nobody stays locked out), then said in the
    thread and to the requester, each as best Slack allows."""
    await record_finished(request, None, "failed")
    if isinstance(exc, SlackError):
        public, private = None, slack_failure(exc.error)
    elif isinstance(exc, DocdebateError):
        public = fmt("Could not finish the debate: {}", exc.message)
        private = fmt(":warning: The debate stopped: {}", exc.message)
    else:  # a bug: still never silence in the thread; the traceback goes to the log
        log.error("debate %s failed", request.workflow_id, exc_info=exc)
        public = trusted(
            "Something went wrong on my side and the debate stopped. It has been logged; please try again."
        )
        private = None
    if public:
        await best_effort(post_notice(request.channel_id, thread_ts, public))
    if private:
        await best_effort(tell_requester(request, private))
    if root_ts:
        await best_effort(
            update_root(request, root_ts, title, trusted(":x: Stopped; see the thread for why."))
        )


async def best_effort(step: Awaitable[object]) -> None:
    """Await a step that tells someone something; if Slack will not take it, log that and go on."""
    try:
        await step
    except DocdebateError as exc:
        log.warning("could not tell Slack: %s", exc.message)


async def _deliver(
    request: ThreadRequest,
    thread_ts: str,
    root_ts: str | None,
    title: str,
    posts: list[render.Post],
    status: Mrkdwn,
) -> None:
    """Post a verdict that is paid for. While Slack fails in a way that may pass, wait durably (a restart
    resumes the wait) and go on from the first part not yet posted, for up to a day."""
    waits = delivery_waits(runtime().settings.slack_retry_s)
    done = 0
    while True:
        try:
            while done < len(posts):
                await post_part(request.channel_id, thread_ts, posts[done])
                done += 1
            if root_ts:
                await update_root(request, root_ts, title, status)
            return
        except SlackError as exc:
            wait = next(waits, None) if exc.retryable else None
            if wait is None:
                await best_effort(
                    tell_requester(
                        request,
                        fmt(":warning: I could not post the verdict: Slack answered `{}`.", exc.error),
                    )
                )
                return
            log.warning("verdict of %s waits %d s for Slack (%s)", request.workflow_id, wait, exc.error)
            await DBOS.sleep_async(wait)


def slack_failure(error: str) -> Mrkdwn:
    """What to tell the requester when Slack refused a post."""
    if error in ("not_in_channel", "channel_not_found", "is_archived"):
        return trusted(
            ":wave: I can't post in this channel yet: invite me with `/invite @docdebate` and try again."
        )
    return fmt(":warning: Slack refused a post (`{}`), so the debate stopped. Try again in a minute.", error)


async def _run_debate(request: ThreadRequest, document: Document) -> DebateResult:
    assert request.thread_ts is not None
    panel = panel_for(request)
    warm = await warm_cache(request, document) if len(panel) > 1 else None
    transcript: list[Turn] = []
    rounds = request.depth.rebuttal_rounds
    for round_ in range(rounds + 1):
        turns = await _round(request, document, panel, round_, transcript)
        transcript.extend(turns)
        if round_ and round_ < rounds and not any_new_disagreement(turns):
            await post_notice(
                request.channel_id,
                request.thread_ts,
                trusted("No new disagreement: skipping the next round."),
                ":handshake:",
            )
            break
    verdict, judge_usage = await judge(request, document, transcript)
    usage = sum((t.usage for t in transcript), warm or Usage()) + judge_usage
    settings = runtime().settings
    return DebateResult(
        document=document,
        personas=[p.name for p in panel],
        depth=request.depth,
        focus=request.focus,
        model=settings.model,
        judge_model=settings.judge,
        turns=transcript,
        verdict=verdict,
        usage=usage,
    )


async def _round(
    request: ThreadRequest, document: Document, panel: list[Persona], round_: int, transcript: list[Turn]
) -> list[Turn]:
    """The personas' turns of one round, in parallel, each in its own message (opened in panel order)."""
    assert request.thread_ts is not None
    message_ts = [await open_turn(request, request.thread_ts, p.name, round_) for p in panel]
    calls = [
        persona_turn(request, document, p.name, round_, transcript, ts)
        for p, ts in zip(panel, message_ts, strict=True)
    ]
    turns = list(await asyncio.gather(*calls))
    links = LinkPolicy(request.link, document.source)
    for persona, turn in zip(panel, turns, strict=True):  # long turns continue below their message
        for extra in render.turn_posts(persona, round_, turn.text, links)[1:]:
            await post_part(request.channel_id, request.thread_ts, extra, persona)
    return turns


@DBOS.step()
async def load_thread_debate(request: ThreadRequest) -> DebateResult | None:
    return runtime().store.latest_result_in_thread(request.channel_id, request.thread_ts or "")


@DBOS.workflow()
async def follow_up_workflow(request: ThreadRequest) -> None:
    """A question in a thread that already holds a debate: each persona answers briefly, with the debate as context."""
    previous = await load_thread_debate(request)
    if previous is None:
        await record_finished(request, None, NOT_STARTED)
        await tell_requester(
            request, trusted(":grey_question: There is no finished debate in this thread yet.")
        )
        return
    request = request.model_copy(update={"personas": previous.personas, "depth": previous.depth})
    try:
        panel = panel_for(request)
        round_ = max(t.round for t in previous.turns) + 1
        await _round(request, previous.document, panel, round_, previous.turns)
        await record_finished(request, None, "done")
    except Exception as exc:  # every failure ends with the thread told, and nobody locked out
        await record_finished(request, None, "failed")
        if isinstance(exc, SlackError):
            await best_effort(tell_requester(request, slack_failure(exc.error)))
            return
        if not isinstance(exc, DocdebateError):
            log.error("follow-up %s failed", request.workflow_id, exc_info=exc)
        reason = exc.message if isinstance(exc, DocdebateError) else "something went wrong on my side"
        await best_effort(
            post_notice(request.channel_id, request.thread_ts, fmt("Could not answer: {}", reason))
        )


def _debate(request: ThreadRequest, document: Document, live: LiveMessage | None = None) -> Debate:
    settings = runtime().settings
    panel = panel_for(request)
    sink = live.on_event if live else _ignore
    return Debate(runtime().llm, settings, document, panel, request.depth, request.focus, sink)


async def _ignore(_event: DebateEvent) -> None:
    return None


class LiveMessage:
    """Shows a turn as it is written: the persona's message re-rendered at most every update interval.

    Live updates run beside the stream, one at a time, never in its way: a slow or failing Slack then costs
    skipped frames, not a slower turn. The final update waits for the one in flight, then is retried like
    any post (`Poster.update`)."""

    def __init__(self, channel: str, ts: str, persona: Persona, round_: int, links: LinkPolicy) -> None:
        self.channel, self.ts, self.persona, self.round, self.links = channel, ts, persona, round_, links
        self.text = ""
        self.last = 0.0
        self.interval = runtime().settings.slack_update_interval_s
        self._in_flight: asyncio.Task[None] | None = None

    def _show(self, post: render.Post) -> None:
        """Start an update unless one is still on its way (the next frame will carry the newer text)."""
        if self._in_flight is None or self._in_flight.done():
            self._in_flight = asyncio.create_task(runtime().poster.try_update(self.channel, self.ts, post))

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

    async def finish(self, turn: Turn) -> None:
        if self._in_flight is not None:
            await self._in_flight  # try_update never raises: a late frame must not overwrite the final text
        first = render.turn_posts(self.persona, self.round, turn.text, self.links)[0]
        await runtime().poster.update(self.channel, self.ts, first)
