"""Who may read a Google doc through docdebate: the bot must never become a way to read a doc one cannot open.

- With domain-wide delegation (`DOCDEBATE_GOOGLE_DELEGATION=true`) every call is made *as the requester*
  (`with_subject(email)`), so Google itself decides.
- Without it, before anything is read, the doc's permissions must grant the requester: a user permission for
  their email, a domain permission for their domain, or anyone-with-the-link. Group permissions cannot be
  expanded without admin APIs, so they do not count: share with the person or the domain, or use delegation.

The CLI has no requester: whoever runs it holds the key, so no check is made there.
"""

from __future__ import annotations

from typing import Any, Literal

from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError

from bot.errors import SourceError
from bot.sources.google.api import GoogleApi, reason
from bot.sources.links import Requester


def permissions(api: GoogleApi, drive: Any, file_id: str) -> list[dict[str, Any]]:
    """The doc's sharing list. Drive shows it only to editors: a service account with less access cannot
    check who may read, and so reads nothing."""
    try:
        return api.listed(
            "permissions",
            lambda token: drive.permissions().list(
                fileId=file_id,
                supportsAllDrives=True,
                pageToken=token,
                fields="nextPageToken,permissions(type,role,emailAddress,domain)",
            ),
        )
    except HttpError as exc:
        if exc.resp.status == 403 and reason(exc) == "insufficientFilePermissions":
            raise SourceError(
                f"I can't check who may open this doc, so I won't read it: share it with {api.account} as "
                "Editor (docdebate only reads), or ask your admin to enable domain-wide delegation"
            ) from exc
        raise


def readers(api: GoogleApi, url: str, file_id: str, emails: list[str]) -> list[str]:
    """Which of `emails` may open the doc, by the rule a requester's read is held to (in order)."""
    if api.delegation:
        return [email for email in emails if _opens_as(api, file_id, email)]
    with api.errors(url):
        shared = permissions(api, api.service("drive", "v3", None), file_id)
    return [email for email in emails if grants(shared, Requester(email))]


def _opens_as(api: GoogleApi, file_id: str, email: str) -> bool:
    """Delegation: the person may read the file if Drive shows it to them."""
    try:
        drive = api.service("drive", "v3", email)
        api.run(drive.files().get(fileId=file_id, fields="id", supportsAllDrives=True))
    except HttpError as exc:
        if exc.resp.status in (403, 404):
            return False
        raise
    except RefreshError:  # delegation does not cover this person (another domain): they cannot be checked
        return False
    return True


def grants(shared: list[dict[str, Any]], requester: Requester) -> bool:
    """Whether a permission lets the requester read: anyone, their domain, or their own email."""
    for permission in shared:
        kind = permission.get("type")
        if kind == "anyone":
            return True
        if kind == "domain" and str(permission.get("domain", "")).lower() == requester.domain:
            return True
        if kind == "user" and str(permission.get("emailAddress", "")).lower() == requester.email.lower():
            return True
    return False


def check_access(shared: list[dict[str, Any]], requester: Requester, name: str) -> None:
    """Passes if a permission grants the requester; else a SourceError saying whom to ask."""
    if grants(shared, requester):
        return
    raise SourceError(
        f"you ({requester.email}) don't have access to {name}: ask its owner to share it with you "
        "(docdebate only reads docs their requester can open)"
    )


def audience_of(shared: list[dict[str, Any]]) -> Literal["anyone", "domain", "restricted"]:
    kinds = {p.get("type") for p in shared}
    return "anyone" if "anyone" in kinds else "domain" if "domain" in kinds else "restricted"
