"""Sources: a link or a path becomes a `Document`.

`load_document` is the one entry point. Local files (.md, .markdown, .txt, .pdf, .docx, .html, or any
text file) are read by `local`; Google Docs and Drive links by `google` (with the requester's access
checked); Slack file links by `slack_files` (for a requester in Slack who can see the file); other http(s)
links by `web`, which fetches only from public addresses within the size and time limits of `Settings`.
Every failure a user can act on is a `SourceError`.
"""

from __future__ import annotations

import re

from bot.config import Settings
from bot.errors import SourceError
from bot.models import Document
from bot.sources.links import (
    Requester,
    is_google_link,
    is_slack_file_link,
    require_google_file_id,
    require_slack_file_id,
)

__all__ = ["Requester", "check_link", "load_document", "require_web_link"]

_WEB = re.compile(r"^https?://", re.IGNORECASE)
_OTHER_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)


async def load_document(ref: str, settings: Settings, requester: Requester | None = None) -> Document:
    """The document at `ref`: a local path, a Google Docs/Drive link, a Slack file link, or an http(s) URL.

    `requester` is who asked (from Slack): a Google doc is read only if they can open it, a Slack file only if
    they can see it (so never for the CLI, which passes none).
    """
    ref = ref.strip()
    if not ref:
        raise SourceError("no document given: pass a file path or an http(s) link.")
    if is_google_link(ref):
        from bot.sources.google import GoogleSource  # googleapiclient loads only for a Google link

        return await GoogleSource(settings).load(ref, requester)
    if is_slack_file_link(ref):
        from bot.sources.slack_files import load_slack_file  # slack_sdk loads only for a Slack file

        return await load_slack_file(ref, settings, requester)
    if _WEB.match(ref):
        from bot.sources.web import load_url

        return await load_url(ref, settings)
    other = _OTHER_SCHEME.match(ref)
    if other:
        raise SourceError(
            f"cannot read {other.group(1)}:// links: give an http(s) link or the path of a local file."
        )
    from bot.sources.local import load_file

    return await load_file(ref, settings)


def require_web_link(link: str) -> None:
    """From Slack only http(s) links are read: never a path on the bot's own disk."""
    if not _WEB.match(link.strip()):
        raise SourceError("I can only read http(s) links: paste the doc's link from your browser.")


async def check_link(link: str, settings: Settings) -> None:
    """What can be known of a link a user gave in Slack before it is admitted, queued or read: an http(s)
    link, a Google or Slack link that names a file, and for a web page a host that resolves to public
    addresses only. Raises the SourceError the user should see, so a typo gets its own answer, not a quota's."""
    require_web_link(link)
    if is_google_link(link):
        require_google_file_id(link)
        return
    if is_slack_file_link(link):
        require_slack_file_id(link)
        return
    from bot.sources.fetch import check_url, checked_addresses_for  # httpx loads only for a web link

    await checked_addresses_for(check_url(link), settings)
