"""Fetching a user's link safely: public addresses only, pinned connections, capped size and time.

httpx is used with redirects off and the environment's proxies ignored. For each hop the host is
resolved and checked (`netguard`), then the request goes to the checked IP with the original `Host`
header; for https the original name is passed as SNI (httpcore's `sni_hostname` extension), so the
certificate is still verified against the real name. Redirects are followed here, re-checked at every
hop.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from contextlib import AsyncExitStack
from dataclasses import dataclass

import httpx

from bot import __version__
from bot.config import Settings
from bot.errors import SourceError
from bot.sources.links import is_google_host
from bot.sources.netguard import IPAddress, checked_addresses
from bot.sources.text import human_size

_SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_MAX_ADDRESSES_TRIED = 4
_MAX_CAUSES = 8
_HEADERS = {
    "User-Agent": f"docdebate/{__version__} (document review bot)",
    "Accept": "text/html,application/xhtml+xml,text/markdown,text/plain,application/pdf,"
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document;q=0.9,*/*;q=0.5",
}


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects, with the host name (not the IP it was fetched from)
    media_type: str  # lower case, without parameters; "" when the server sent none
    charset: str | None
    body: bytes


@functools.cache
def _default_tls() -> ssl.SSLContext:
    """One verifying TLS context for every fetch: building one loads the CA bundle (~10 ms of CPU)."""
    return httpx.create_ssl_context()


async def fetch(url: str, settings: Settings, *, verify: ssl.SSLContext | None = None) -> Fetched:
    """GET `url` within the settings' limits. Every failure is a SourceError, the cause chained.

    `verify`: the TLS context; tests pass one that trusts their own certificate authority.
    """
    verify = verify or _default_tls()
    try:
        async with asyncio.timeout(settings.fetch_timeout_s):
            return await _follow(url, settings, verify)
    except (TimeoutError, httpx.TimeoutException) as exc:
        raise SourceError(
            f"{url} timed out after {settings.fetch_timeout_s:g}s: the site is slow or unreachable; "
            "try again later, or download the file and pass it."
        ) from exc
    except httpx.HTTPError as exc:
        raise SourceError(f"could not fetch {url} ({exc or type(exc).__name__}): try again later.") from exc


def check_url(url: str) -> httpx.URL:
    """Parse a link and refuse what is never fetched: other schemes, credentials, Google Docs/Drive."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise SourceError(f"{url} is not a valid link ({exc}): check it and try again.") from exc
    if parsed.scheme not in _SCHEMES:
        raise SourceError(f"{url} is not an http(s) link: docdebate fetches only http and https pages.")
    if not parsed.host:
        raise SourceError(f"{url} has no host name: check the link.")
    if parsed.userinfo:
        raise SourceError(
            "refusing to fetch a link with a user name or password in it: remove the 'user:password@' part."
        )
    if is_google_host(parsed.host):
        raise SourceError(  # a redirect to Google: its pages need the Google source, with access checks
            f"{url} leads to a Google Docs or Drive page: link the Google doc itself."
        )
    return parsed


async def _follow(url: str, settings: Settings, verify: ssl.SSLContext) -> Fetched:
    current = check_url(url)
    for _ in range(settings.fetch_max_redirects + 1):
        async with AsyncExitStack() as stack:
            response = await _get(current, settings, verify, stack)
            if response.is_redirect:
                current = _redirect_target(current, response.headers["location"])
                continue
            _check_status(response.status_code, str(current))
            body = await read_capped(response, settings.max_file_bytes)
            media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
            return Fetched(str(current), media_type, response.charset_encoding, body)
    raise SourceError(
        f"too many redirects: {url} redirects more than {settings.fetch_max_redirects} times; "
        "open it in a browser and pass the final link."
    )


def _redirect_target(current: httpx.URL, location: str) -> httpx.URL:
    """Where a redirect points, resolved against the URL by name (not the IP it was fetched from)."""
    try:
        target = current.join(location)
    except httpx.InvalidURL as exc:
        raise SourceError(f"{current} redirects to an invalid link: open it in a browser instead.") from exc
    if target.scheme not in _SCHEMES:
        raise SourceError(
            f"{current} redirects to a {target.scheme or 'non-web'}: link, which docdebate does not follow: "
            "pass an http(s) link to the document itself."
        )
    return check_url(str(target))


async def checked_addresses_for(url: httpx.URL, settings: Settings) -> list[IPAddress]:
    """The public addresses `url`'s host resolves to (SourceError if any is not public), on a port of the
    web's own (`DOCDEBATE_FETCH_PORTS`, 80 and 443): other ports would let a link probe a public host's
    other services. `DOCDEBATE_ALLOW_PRIVATE_URLS` lifts both checks."""
    host = url.raw_host.decode("ascii")
    port = url.port or _DEFAULT_PORTS[url.scheme]
    addresses = await checked_addresses(str(url), host, port, allow_private=settings.allow_private_urls)
    allowed = settings.fetch_port_numbers()
    if port not in allowed and not settings.allow_private_urls:
        raise SourceError(
            f"{url} uses port {port}: docdebate fetches web pages on ports "
            f"{', '.join(map(str, sorted(allowed)))} only; link the page at its usual address."
        )
    return addresses


async def _get(
    url: httpx.URL, settings: Settings, verify: ssl.SSLContext, stack: AsyncExitStack
) -> httpx.Response:
    """Send the GET to the first checked address that accepts a connection; the response streams."""
    addresses = await checked_addresses_for(url, settings)
    client = await stack.enter_async_context(
        httpx.AsyncClient(
            trust_env=False, follow_redirects=False, timeout=settings.fetch_timeout_s, verify=verify
        )
    )
    error: httpx.ConnectError | None = None
    for address in addresses[:_MAX_ADDRESSES_TRIED]:
        try:
            response = await client.send(_pinned_request(client, url, address), stream=True)
        except httpx.ConnectError as exc:  # e.g. an IPv6 address on a host without IPv6: try the next
            error = exc
            continue
        stack.push_async_callback(response.aclose)
        return response
    raise SourceError(_connect_error_message(url, error)) from error


def _pinned_request(client: httpx.AsyncClient, url: httpx.URL, address: IPAddress) -> httpx.Request:
    headers = {**_HEADERS, "Host": url.netloc.decode("ascii")}
    extensions = {"sni_hostname": url.raw_host.decode("ascii")} if url.scheme == "https" else {}
    return client.build_request(
        "GET", url.copy_with(host=str(address)), headers=headers, extensions=extensions
    )


def _connect_error_message(url: httpx.URL, error: BaseException | None) -> str:
    if _caused_by_certificate(error):
        return f"the TLS certificate of {url.host} could not be verified: check the link."
    return f"could not connect to {url.host} (connection refused or unreachable): check the link."


def _caused_by_certificate(error: BaseException | None) -> bool:
    seen = 0
    while error is not None and seen < _MAX_CAUSES:
        if isinstance(error, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(error):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def _check_status(status: int, url: str) -> None:
    if httpx.codes.is_success(status):
        return
    if status in (401, 403):
        message = f"the page needs a login (HTTP {status}): make it public, or download it and pass the file."
    elif status in (404, 410):
        message = f"page not found (HTTP {status}): check the link {url}."
    elif status == 429:
        message = "the site is rate-limiting requests (HTTP 429): try again in a few minutes."
    elif status >= 500:
        message = f"the site failed with HTTP {status}: try again later."
    else:
        message = f"the site answered HTTP {status} for {url}: check the link."
    raise SourceError(message)


async def read_capped(response: httpx.Response, limit: int, what: str = "the page") -> bytes:
    """The (decompressed) body, stopping as soon as it passes `limit` bytes. `what`: how errors name it."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit, what)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise too_large(limit, what)
        chunks.append(chunk)
    return b"".join(chunks)


def too_large(limit: int, what: str = "the page") -> SourceError:
    return SourceError(
        f"{what} is larger than {human_size(limit)} (DOCDEBATE_MAX_FILE_BYTES): link a smaller document."
    )
