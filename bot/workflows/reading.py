"""Reading a linked doc for a Slack user: only if that user may open it."""

from __future__ import annotations

from bot import runtime
from bot.errors import SourceError
from bot.models import Document
from bot.sources import Requester, load_document, require_web_link
from bot.sources.links import is_google_link


async def read_for(link: str, user_id: str | None) -> Document:
    """The linked doc, read only if the Slack user may open it (Google docs: the user's Slack email is the
    identity checked against the doc's sharing; Slack files: the user must see the file). `user_id` None:
    read as the bot, for a caller that checks each reader itself (meeting digests; never a Slack file)."""
    require_web_link(link)
    rt = runtime.current()
    if user_id is None:
        return await load_document(link, rt.settings)
    email = ""
    if is_google_link(link):
        email = await rt.poster.user_email(user_id) or ""
        if not email:
            raise SourceError(
                "Slack does not show me your email address, so I cannot check that you may open this "
                "Google doc; nothing was read"
            )
    return await load_document(link, rt.settings, Requester(email, slack_user_id=user_id))
