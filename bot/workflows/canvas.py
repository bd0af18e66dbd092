"""The debate's canvas (`DOCDEBATE_CANVAS`): once the verdict is delivered, its transcript and verdict saved as
a canvas in the channel (`canvases.create`, scope `canvases:write`) and linked from the root message, or from
a short post in the thread when the debate has none (it was started by a mention in an existing thread).

Best effort: the verdict is already in the thread, so a Slack that refuses (a token without canvases:write,
a plan or an admin that disallows canvases) is logged and said once to the requester, and the debate ends
as it would have without it."""

from __future__ import annotations

import asyncio
import logging

from dbos import DBOS

from bot import runtime
from bot.errors import SlackError
from bot.models import DebateResult
from bot.posting import render
from bot.posting.canvas import canvas_markdown, canvas_title
from bot.posting.poster import FAILURES, slack_error
from bot.posting.safety import Mrkdwn, fmt, link
from bot.workflows.debate_steps import panel_for, tell_requester, update_root
from bot.workflows.delivery import best_effort, post_part
from bot.workflows.request import ThreadRequest

log = logging.getLogger(__name__)
LABEL = "Transcript and verdict (canvas)"
# Slack's answers that an admin or the app's install must change, and what to tell the requester of each.
FIXES = {
    "missing_scope": "the app needs the canvases:write scope: ask an admin to reinstall it from manifest.yml",
    "canvas_disabled_user_team": "canvases are turned off in this workspace",
    "restricted_action": "this workspace does not let the app create canvases",
    "not_in_channel": "invite me to the channel with `/invite @docdebate`",
}


@DBOS.step()
async def create_canvas(request: ThreadRequest, result: DebateResult) -> str | None:
    """The canvas's id; at most one canvas per debate even across a crash: the step's key is claimed first,
    and a rerun of a step that may have made one makes no second (the link is then left out)."""
    key = f"{DBOS.workflow_id}#{DBOS.step_id}"
    rt = runtime.current()
    if not await asyncio.to_thread(rt.store.posts.claim, key):
        log.warning("canvas step %s ran before a crash: not making a second canvas", key)
        return None
    content = {"type": "markdown", "markdown": canvas_markdown(result, panel_for(request))}
    try:
        response = await rt.poster.client.canvases_create(
            title=canvas_title(result), document_content=content, channel_id=request.channel_id
        )
    except FAILURES as exc:
        raise slack_error(exc) from None
    return str(response["canvas_id"])


@DBOS.step()
async def canvas_permalink(canvas_id: str) -> str | None:
    """The canvas's link, as Slack gives it: a canvas is a file, and files.info says its `permalink`."""
    try:
        response = await runtime.current().poster.client.files_info(file=canvas_id)
    except FAILURES as exc:
        log.warning("files.info of canvas %s failed: %s", canvas_id, slack_error(exc).error)
        return None
    permalink = (response.get("file") or {}).get("permalink")
    return str(permalink) if permalink else None


def refused(error: str) -> Mrkdwn:
    """What the requester is told when Slack would not make the canvas."""
    fix = FIXES.get(error, "try again later, or ask an admin")
    return fmt(
        ":warning: The verdict is in the thread, but Slack would not save it as a canvas (`{}`): {}.",
        error,
        fix,
    )


async def save_canvas(request: ThreadRequest, root_ts: str | None, title: str, result: DebateResult) -> None:
    """Make the canvas and link it (`DOCDEBATE_CANVAS`); never raises for Slack."""
    try:
        canvas_id = await create_canvas(request, result)
    except SlackError as exc:
        log.warning("canvas of %s not made: %s", request.workflow_id, exc.error)
        await best_effort(tell_requester(request, refused(exc.error)))
        return
    permalink = await canvas_permalink(canvas_id) if canvas_id else None
    if permalink is None:
        return
    if root_ts:
        status = fmt("{}\n:page_facing_up: {}", render.root_done_status(result), link(permalink, LABEL))
        await best_effort(update_root(request, root_ts, title, status))
    else:
        post = render.notice(link(permalink, LABEL), ":page_facing_up:")
        await best_effort(post_part(request.channel_id, request.thread_ts, post))
