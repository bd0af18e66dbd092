"""What a user asked for, as the workflows receive it."""

from __future__ import annotations

from pydantic import BaseModel

from bot.depth import Depth
from bot.digest.due import DigestJob
from bot.store import DigestRow


class ThreadRequest(BaseModel):
    """A debate (or a follow-up question, or a re-review) asked for from a slash command, a mention or a
    shortcut.

    `workflow_id` is Slack's own id for the request (`team:trigger_id` for commands and shortcuts,
    `team:event_id` for events), so a retried or duplicated delivery finds the workflow already there."""

    workflow_id: str
    team_id: str
    user_id: str
    channel_id: str
    thread_ts: str | None = None  # None: a slash command, which opens its own thread under a root message
    link: str
    focus: str | None = None
    personas: list[str] = []
    depth: Depth = Depth.STANDARD
    question: str | None = None  # set for a follow-up in a thread that already holds a debate
    rereview: bool = False  # a re-review of the debate in `thread_ts`, of the doc as it is now
    # Commands and shortcuts: where to answer the requester alone, even in a channel the bot is not in.
    response_url: str | None = None
    # Asked in a chat of the bot's Messages tab: that DM thread is the requester's alone, so what is for them
    # alone is a reply there. It stays after a reload, as an ephemeral would not, and it ends Slack's
    # "is reading the doc…" status, which only a reply of the app's clears.
    chat: bool = False


def digest_row(job: DigestJob) -> DigestRow:
    return DigestRow(
        id=job.workflow_id,
        kind=job.kind,
        team_id=job.team_id,
        user_id=job.requester,
        channel_id=job.channel,
        link=job.link,
        title=job.meeting,
        due_at=job.due_at,
        status="scheduled",
    )
