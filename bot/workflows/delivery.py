"""Posting from workflow steps: each post at most once even across a crash, several-part messages one step
a part, and a verdict already paid for that waits durably for Slack to come back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator

from dbos import DBOS

from bot import runtime
from bot.errors import DocdebateError, SlackError
from bot.models import Persona
from bot.posting import render

log = logging.getLogger(__name__)
DELIVERY_PATIENCE_S = 24 * 3600  # how long a paid-for verdict waits for Slack to come back


async def post_once(
    channel: str, post: render.Post, thread_ts: str | None = None, as_: Persona | None = None
) -> str:
    """Post from inside a step, at most once even across a crash.

    DBOS records a step's result only after it returns, so a process killed between Slack's answer and that
    record runs the step again. The step's key (workflow and step id) is claimed in the store before posting
    and carried in the message's metadata: a second claim means this is such a rerun, and the post already
    in Slack, if it is there, is returned instead of posting it again."""
    key = f"{DBOS.workflow_id}#{DBOS.step_id}"
    rt = runtime.current()
    if not await asyncio.to_thread(rt.store.posts.claim, key):
        found = await rt.poster.find_posted(channel, thread_ts, key)
        if found:
            log.warning("step %s had posted before the crash: keeping that post", key)
            return found
    return await rt.poster.post(channel, post, thread_ts, as_, key=key)


@DBOS.step()
async def post_part(
    channel: str, thread_ts: str | None, post: render.Post, as_: Persona | None = None
) -> str:
    """One post of a message that takes several: each is its own step, so a restart never reposts a part."""
    return await post_once(channel, post, thread_ts, as_)


async def best_effort(step: Awaitable[object]) -> None:
    """Await a step that tells someone something; if Slack will not take it, log that and go on."""
    try:
        await step
    except DocdebateError as exc:
        log.warning("could not tell Slack: %s", exc.message)


def delivery_waits(first_s: float) -> Iterator[float]:
    """The waits between tries of a verdict while Slack fails (each try is itself retried for `first_s`):
    doubling from `first_s`, at most an hour each, about `DELIVERY_PATIENCE_S` in all."""
    waited, wait = 0.0, first_s
    while waited < DELIVERY_PATIENCE_S:
        yield wait
        waited, wait = waited + wait, min(2 * wait, 3600.0)


async def deliver_patiently(workflow_id: str, sends: list[Callable[[], Awaitable[object]]]) -> None:
    """Run, in order, the steps that show something already paid for (a verdict's parts, then its root
    message). While Slack fails in a way that may pass, wait durably (a restart resumes the wait) and go on
    from the first step not yet done, for up to a day; raises the SlackError that will not pass."""
    waits = delivery_waits(runtime.current().settings.slack_retry_s)
    done = 0
    while done < len(sends):
        try:
            await sends[done]()
            done += 1
        except SlackError as exc:
            wait = next(waits, None) if exc.retryable else None
            if wait is None:
                raise
            log.warning("verdict of %s waits %d s for Slack (%s)", workflow_id, wait, exc.error)
            await DBOS.sleep_async(wait)
