"""A Drive file's open comment threads, as a final "Existing discussion" section of its text."""

from __future__ import annotations

import logging
from typing import Any

from googleapiclient.errors import HttpError

from bot.sources.google.api import GoogleApi, reason

log = logging.getLogger(__name__)
_FIELDS = (
    "nextPageToken,comments(id,content,resolved,deleted,quotedFileContent/value,author/displayName,"
    "replies(content,deleted,author/displayName))"
)


def discussion(api: GoogleApi, drive: Any, file_id: str) -> str:
    """The open threads (resolved ones left out) under a heading; "" when there are none.

    Best effort: Drive hides comments from readers, and a debate without them is still worth having.
    """
    try:
        comments = api.listed(
            "comments",
            lambda token: drive.comments().list(
                fileId=file_id, fields=_FIELDS, includeDeleted=False, pageSize=100, pageToken=token
            ),
        )
    except HttpError as exc:
        log.info("comments of %s not read: HTTP %s %s", file_id, exc.resp.status, reason(exc))
        return ""
    lines = [_comment_lines(c) for c in comments if not (c.get("resolved") or c.get("deleted"))]
    if not lines:
        return ""
    return "# Existing discussion (open comments)\n\n" + "\n\n".join(lines)


def _comment_lines(comment: dict[str, Any]) -> str:
    who = (comment.get("author") or {}).get("displayName", "someone")
    quoted = ((comment.get("quotedFileContent") or {}).get("value") or "").strip()
    head = f"- **{who}**" + (f" on “{quoted}”" if quoted else "") + f": {comment.get('content', '').strip()}"
    replies = [
        f"  - **{(r.get('author') or {}).get('displayName', 'someone')}**: {r.get('content', '').strip()}"
        for r in comment.get("replies", [])
        if not r.get("deleted") and r.get("content")
    ]
    return "\n".join([head, *replies])
