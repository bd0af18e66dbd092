"""Slack files as documents: a file's permalink, read with `files.info` and its `url_private_download`.

Only for someone in Slack, and only if they can see the file: they uploaded it, or they are in a channel it
was shared in (`conversations.members`), or it was shared in their DM with the bot. The size limit is
checked from files.info before anything is downloaded, and again while the bytes arrive. The download goes,
with the bot token, only to Slack's file host or the configured `SLACK_API_URL`'s (a test's fake), never
where a redirect elsewhere points. Then the same converters and checks as a local file.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import aiohttp
import httpx
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.errors import SourceError
from bot.models import Document
from bot.retries.slack import add_slack_retries
from bot.sources.convert import file_body
from bot.sources.fetch import read_capped, too_large
from bot.sources.links import Requester, require_slack_file_id
from bot.sources.text import finish

log = logging.getLogger(__name__)

FILE_HOST = "files.slack.com"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_MEMBERS_PAGE = 200  # Slack's advice for paged methods: at most 200 a page
_NOT_VISIBLE = ("channel_not_found", "not_in_channel", "user_not_found")
# What a Slack call may raise besides Slack's own answers: the network's failures under slack_sdk.
_UNREACHABLE = (SlackClientError, aiohttp.ClientError, OSError, TimeoutError)
Origin = tuple[str, str, int]


async def load_slack_file(url: str, settings: Settings, requester: Requester | None) -> Document:
    """The Slack file at `url`, read for `requester` if they can see it. Nothing is downloaded otherwise."""
    file_id = require_slack_file_id(url)
    user = requester.slack_user_id if requester else None
    if user is None:
        raise SourceError(
            "a Slack file is read only for someone in Slack, where I can check they may see it: "
            "use /debate <link> in Slack, or download the file and give its path"
        )
    client = AsyncWebClient(token=settings.secret("slack_bot_token"), base_url=settings.slack_api_url)
    add_slack_retries(client)
    with _slack_answers():
        file: dict[str, Any] = (await client.files_info(file=file_id))["file"]
        visible = await _can_see(client, file, user)
    if not visible:
        raise SourceError(
            "you cannot see that Slack file: it is not yours, and not shared in a conversation you are in; "
            "nothing was read"
        )
    name = str(file.get("name") or file_id)
    if int(file.get("size") or 0) > settings.max_file_bytes:
        raise too_large(settings.max_file_bytes, name)
    data = await _download(file, name, settings)
    return await asyncio.to_thread(_document, url, file, name, data, settings)


async def _can_see(client: AsyncWebClient, file: dict[str, Any], user: str) -> bool:
    """Whether `user` uploaded the file, or is in a conversation files.info says it was shared in."""
    if file.get("user") == user:
        return True
    for channel in [*file.get("channels", []), *file.get("groups", [])]:
        if await _is_member(client, str(channel), user):
            return True
    ims = file.get("ims") or []
    return bool(ims) and await _dm_with(client, user) in ims


async def _is_member(client: AsyncWebClient, channel: str, user: str) -> bool:
    """Whether `user` is in `channel`; False where the bot cannot list its members (a private channel it is
    not in, or a group DM: `mpim:read` is not asked for)."""
    try:
        async for page in await client.conversations_members(channel=channel, limit=_MEMBERS_PAGE):
            if user in page.get("members", []):
                return True
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error == "missing_scope":
            log.warning(
                "cannot list who is in %s (no %s scope): not counted", channel, exc.response.get("needed")
            )
        elif error not in _NOT_VISIBLE:
            raise
    return False


async def _dm_with(client: AsyncWebClient, user: str) -> str | None:
    """The user's DM with the bot (`conversations.open`, the `im:write` the digests use): a file in a DM is
    seen by its two members, and the bot is the other one."""
    try:
        opened = await client.conversations_open(users=user)
    except SlackApiError as exc:
        if exc.response.get("error") not in _NOT_VISIBLE:
            raise
        return None
    return str(opened["channel"]["id"])


@contextmanager
def _slack_answers() -> Iterator[None]:
    """Slack's refusals and the network's failures as the SourceError the requester should see."""
    try:
        yield
    except SlackApiError as exc:
        raise _refused(exc.response.data if isinstance(exc.response.data, dict) else {}) from exc
    except _UNREACHABLE as exc:
        raise SourceError(
            f"Slack did not answer ({type(exc).__name__}), so I could not read that file: try again later"
        ) from exc


def _refused(answer: dict[str, Any]) -> SourceError:
    error = str(answer.get("error") or "an error")
    if error == "file_not_found":
        return SourceError(
            "I cannot find that Slack file: it was deleted, or it is shared only where I am not (share it "
            "in this channel, or invite me where it is)"
        )
    if error == "file_deleted":
        return SourceError("that Slack file was deleted")
    if error == "missing_scope":
        return SourceError(
            f"this app lacks the Slack scope {answer.get('needed') or '?'} it needs to read Slack files: "
            "ask an admin to reinstall it from manifest.yml"
        )
    return SourceError(f"Slack answered `{error}` when I asked for that file: try again later")


async def _download(file: dict[str, Any], name: str, settings: Settings) -> bytes:
    """The file's bytes, with the bot token, from Slack's own file host only (redirects checked likewise)."""
    url = httpx.URL(str(file.get("url_private_download") or file.get("url_private") or ""))
    allowed = {("https", FILE_HOST, 443), _origin(httpx.URL(settings.slack_api_url))}
    headers = {"Authorization": f"Bearer {settings.secret('slack_bot_token')}"}
    try:
        async with (
            asyncio.timeout(settings.fetch_timeout_s),
            httpx.AsyncClient(trust_env=False, follow_redirects=False) as http,
        ):
            for _ in range(settings.fetch_max_redirects + 1):
                if _origin(url) not in allowed:
                    raise SourceError(
                        f"Slack gave {url.host or 'an invalid link'} as where to download that file, which is "
                        "not Slack's file host, so nothing was read"
                    )
                async with http.stream("GET", url, headers=headers) as response:
                    if response.is_redirect:
                        url = url.join(response.headers["location"])
                        continue
                    _check_answer(response, file)
                    return await read_capped(response, settings.max_file_bytes, name)
    except (TimeoutError, httpx.HTTPError, httpx.InvalidURL) as exc:
        raise SourceError(
            f"could not download {name} from Slack ({type(exc).__name__}): try again later"
        ) from exc
    raise SourceError(f"Slack redirected the download of {name} too many times: try again later")


def _origin(url: httpx.URL) -> Origin:
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme, 0)


def _check_answer(response: httpx.Response, file: dict[str, Any]) -> None:
    """The file itself, not an error or Slack's sign-in page (HTTP 200 too), which a request Slack did not
    accept the token of gets."""
    if not response.is_success:
        raise SourceError(f"Slack's file host answered HTTP {response.status_code}: try again later")
    media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type == "text/html" and file.get("mimetype") != "text/html":
        raise SourceError(
            "Slack answered a sign-in page instead of the file: the app may lack the files:read scope (ask "
            "an admin to reinstall it from manifest.yml)"
        )


def _document(url: str, file: dict[str, Any], name: str, data: bytes, settings: Settings) -> Document:
    """The same converters and checks as a local file; the file's permalink and its title in Slack."""
    body = file_body(data, name, settings, media_type=str(file.get("mimetype") or ""))
    title = str(file.get("title") or name)
    source = str(file.get("permalink") or url)
    return finish(replace(body, title=title), source=source, fallback_title=title, settings=settings)
