"""Web links through `load_document`, against a real aiohttp server on 127.0.0.1 (no mocks of httpx)."""

from __future__ import annotations

import asyncio
import gzip
import io
import shutil
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, ip_address
from pathlib import Path

import docx
import pytest
from aiohttp import web
from reportlab.pdfgen import canvas

from bot.config import Settings
from bot.errors import ConfigError, SourceError
from bot.models import Document
from bot.sources import load_document
from bot.sources.fetch import fetch

LOOPBACK = Settings(allow_private_urls=True)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

ARTICLE = """<!doctype html>
<html><head>
<meta charset="utf-8">
<title>Launch plan | Example Corp intranet</title>
<meta property="og:title" content="The Launch Plan">
</head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/about">About us</a></li></ul></nav></header>
<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience. Accept all?</div>
<main><article>
<h1>The Launch Plan</h1>
<p>We will launch the new billing system in March to all customers at once, replacing legacy invoices.</p>
<h2>Goals</h2>
<p>Cut invoice errors by half within one quarter after the migration is complete for every account.</p>
<ul><li>Migrate every account</li><li>Retire the old database</li></ul>
<h3>Non-goals</h3>
<p>We will not change pricing during this launch, not even for the largest enterprise customers.</p>
<h2>Risks</h2>
<ol><li>Data loss in migration</li><li>Support load spikes</li></ol>
<table><tr><th>Risk</th><th>Owner</th></tr><tr><td>Data loss</td><td>Ana</td></tr></table>
<p>The rollback window closes one week after cutover, after which the legacy system is deleted.</p>
</article></main>
<footer><p>Copyright 2025 Example Corp. All rights reserved.</p><a href="/privacy">Privacy policy</a></footer>
</body></html>"""

UNTITLED = """<html><body><article>
<p>A page with no title anywhere, only a long enough paragraph of body text for the extractor to keep.</p>
<p>And a second paragraph that says the rollout is irreversible once the old data is gone for good.</p>
</article></body></html>"""

APP_SHELL = """<html><head><title>App</title></head><body>
<nav><a href="/">Home</a></nav><div id="root"></div><script>render()</script></body></html>"""


def pdf_bytes(text: str) -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    pdf.drawString(72, 720, text)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def docx_bytes() -> bytes:
    document = docx.Document()
    document.add_heading("Served Doc", level=1)
    document.add_paragraph("Body of the served document.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# ---- the server ----


@dataclass
class Server:
    base: str
    port: int
    hits: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def redirect(location: str, status: int = 302) -> Handler:
    async def handler(_request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, headers={"Location": location})

    return handler


def page(body: bytes | str, content_type: str, **headers: str) -> Handler:
    data = body.encode() if isinstance(body, str) else body

    async def handler(_request: web.Request) -> web.StreamResponse:
        return web.Response(body=data, headers={"Content-Type": content_type, **headers})

    return handler


async def endless(request: web.Request) -> web.StreamResponse:
    """Streams 64 kB chunks with no Content-Length, far past any limit a test sets."""
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    await response.prepare(request)
    for _ in range(200):
        await response.write(b"x" * 65_536)
    return response


async def declared_big(_request: web.Request) -> web.StreamResponse:
    return web.Response(body=b"y" * 300_000, content_type="text/plain")


async def slow(_request: web.Request) -> web.StreamResponse:
    await asyncio.sleep(1.5)  # past the test's 0.5 s limit; short, as teardown waits for it
    return web.Response(text="too late")


async def trickle(request: web.Request) -> web.StreamResponse:
    """Headers at once, then a byte every 50 ms: no single read times out, the whole fetch does."""
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    await response.prepare(request)
    for _ in range(200):
        await response.write(b"z")
        await asyncio.sleep(0.05)
    return response


async def status(request: web.Request) -> web.StreamResponse:
    return web.Response(status=int(request.match_info["code"]), text="nope")


async def loop(request: web.Request) -> web.StreamResponse:
    return web.Response(status=302, headers={"Location": f"/loop/{int(request.match_info['n']) + 1}"})


def routes(port: int) -> dict[str, Handler]:
    origin = f"http://127.0.0.1:{port}"
    return {
        "/article": page(ARTICLE, "text/html; charset=utf-8"),
        "/untitled": page(UNTITLED, "text/html"),
        "/app": page(APP_SHELL, "text/html"),
        "/notes.txt": page("# Notes\r\n\r\nPlain *text*   \r\n## Sub\r\nline", "text/plain; charset=utf-8"),
        "/readme": page("# Read me\n\nSome `markdown`.", "text/markdown"),
        "/latin": page("café crème".encode("latin-1"), "text/plain; charset=iso-8859-1"),
        "/memo.pdf": page(pdf_bytes("Served PDF page."), "application/pdf"),
        "/files/brief.pdf": page(pdf_bytes("Octet-stream PDF."), "application/octet-stream"),
        "/doc": page(docx_bytes(), DOCX_TYPE),
        "/logo": page(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        "/r1": redirect("/r2"),
        "/r2": redirect(f"{origin}/r3", 301),
        "/r3": redirect("article", 307),
        "/loop/{n}": loop,
        "/to-ftp": redirect("ftp://example.com/plan.pdf"),
        "/to-file": redirect("file:///etc/passwd"),
        "/to-google": redirect("https://docs.google.com/document/d/abc/edit"),
        "/to-userinfo": redirect(f"http://user:secret@127.0.0.1:{port}/article"),
        "/to-private": redirect(f"http://127.0.0.2:{port}/article"),
        "/big": endless,
        "/big-declared": declared_big,
        "/gzip-bomb": page(gzip.compress(b"a" * 3_000_000), "text/plain", **{"Content-Encoding": "gzip"}),
        "/slow": slow,
        "/trickle": trickle,
        "/status/{code}": status,
    }


async def start(ssl_context: ssl.SSLContext | None = None) -> tuple[web.AppRunner, Server]:
    """Bind first: some routes redirect to absolute URLs that need the port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = Server(base=f"http://127.0.0.1:{port}", port=port)

    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        server.hits.append(request.path)
        server.hosts.append(request.headers.get("Host", ""))
        return await handler(request)

    app = web.Application(middlewares=[record])
    for path, handler in routes(port).items():
        app.router.add_get(path, handler)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await web.SockSite(runner, sock, ssl_context=ssl_context).start()
    return runner, server


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    runner, srv = await start()
    yield srv
    await runner.cleanup()


async def load(url: str, settings: Settings = LOOPBACK) -> Document:
    return await load_document(url, settings)


def spans(doc: Document) -> list[tuple[str, int, str]]:
    return [(s.title, s.level, doc.text[s.start : s.end]) for s in doc.sections]


# ---- pages ----


async def test_html_article_main_text_and_sections(server: Server) -> None:
    url = server.url("/article")
    doc = await load(url)
    assert doc.source == url
    assert doc.title == "The Launch Plan"
    assert "replacing legacy invoices" in doc.text
    assert "- Migrate every account\n- Retire the old database" in doc.text
    assert "1. Data loss in migration\n2. Support load spikes" in doc.text
    assert "| Risk | Owner |" in doc.text and "| Data loss | Ana |" in doc.text
    for chrome in ("Home", "About us", "cookies", "Copyright", "Privacy policy"):
        assert chrome not in doc.text
    sections = spans(doc)
    assert [(t, lvl) for t, lvl, _ in sections] == [
        ("The Launch Plan", 1),
        ("Goals", 2),
        ("Non-goals", 3),
        ("Risks", 2),
    ]
    plan, goals, non_goals, risks = (text for _, _, text in sections)
    assert plan == doc.text
    assert goals.startswith("## Goals") and goals.endswith(non_goals)  # Non-goals nests in Goals
    assert non_goals.startswith("### Non-goals") and "Risks" not in non_goals
    assert risks.startswith("## Risks") and risks.endswith("the legacy system is deleted.")


async def test_page_title_falls_back_to_the_url(server: Server) -> None:
    url = server.url("/untitled")
    doc = await load(url)
    assert doc.title == url
    assert "irreversible once the old data is gone" in doc.text


async def test_a_page_without_readable_text(server: Server) -> None:
    with pytest.raises(SourceError, match="has no readable text: it may need JavaScript or a login"):
        await load(server.url("/app"))


async def test_plain_text_is_used_as_is(server: Server) -> None:
    doc = await load(server.url("/notes.txt"))
    assert doc.text == "# Notes\n\nPlain *text*\n## Sub\nline"
    assert doc.title == "Notes"
    assert [(t, lvl) for t, lvl, _ in spans(doc)] == [("Notes", 1), ("Sub", 2)]


async def test_markdown_body(server: Server) -> None:
    doc = await load(server.url("/readme"))
    assert doc.text == "# Read me\n\nSome `markdown`."
    assert doc.title == "Read me"


async def test_declared_charset_is_honoured(server: Server) -> None:
    assert (await load(server.url("/latin"))).text == "café crème"


async def test_pdf_by_content_type(server: Server) -> None:
    doc = await load(server.url("/memo.pdf"))
    assert doc.text == "Served PDF page."
    assert doc.title == "memo"
    assert spans(doc) == [("Page 1", 1, "Served PDF page.")]


async def test_octet_stream_pdf_by_url_extension(server: Server) -> None:
    doc = await load(server.url("/files/brief.pdf"))
    assert doc.text == "Octet-stream PDF."
    assert doc.title == "brief"


async def test_docx_by_content_type(server: Server) -> None:
    doc = await load(server.url("/doc"))
    assert doc.text == "# Served Doc\n\nBody of the served document."
    assert doc.title == "Served Doc"


async def test_unsupported_content_type(server: Server) -> None:
    with pytest.raises(SourceError, match=r"is image/png, which docdebate cannot read: docdebate reads \.md"):
        await load(server.url("/logo"))


# ---- redirects ----


async def test_redirect_chain_is_followed(server: Server) -> None:
    url = server.url("/r1")
    doc = await load(url)
    assert doc.source == url  # the link as given
    assert doc.title == "The Launch Plan"
    assert server.hits == ["/r1", "/r2", "/r3", "/article"]


async def test_too_many_redirects(server: Server) -> None:
    settings = Settings(allow_private_urls=True, fetch_max_redirects=3)
    with pytest.raises(SourceError, match=r"too many redirects: .* redirects more than 3 times"):
        await load(server.url("/loop/0"), settings)
    assert server.hits == ["/loop/0", "/loop/1", "/loop/2", "/loop/3"]


async def test_no_redirects_allowed(server: Server) -> None:
    with pytest.raises(SourceError, match="too many redirects"):
        await load(server.url("/r3"), Settings(allow_private_urls=True, fetch_max_redirects=0))


@pytest.mark.parametrize(("path", "scheme"), [("/to-ftp", "ftp"), ("/to-file", "file")])
async def test_redirect_to_another_scheme_is_refused(server: Server, path: str, scheme: str) -> None:
    with pytest.raises(SourceError, match=f"redirects to a {scheme}: link, which docdebate does not follow"):
        await load(server.url(path))


async def test_redirect_to_google_docs_is_refused(server: Server) -> None:
    with pytest.raises(SourceError, match="leads to a Google Docs or Drive page: link the Google doc itself"):
        await load(server.url("/to-google"))


async def test_redirect_with_credentials_is_refused(server: Server) -> None:
    with pytest.raises(SourceError, match="user name or password"):
        await load(server.url("/to-userinfo"))
    assert server.hits == ["/to-userinfo"]


async def test_every_hop_is_checked_again(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend 127.0.0.1 is public: the redirect to 127.0.0.2 must still be refused."""
    monkeypatch.setattr("bot.sources.netguard.is_public", lambda a: a == IPv4Address("127.0.0.1"))
    with pytest.raises(SourceError, match=r"refusing to fetch http://127\.0\.0\.2:\d+/article"):
        await load(
            server.url("/to-private"), Settings(allow_private_urls=False, fetch_ports=str(server.port))
        )
    assert server.hits == ["/to-private"]


# ---- limits ----


async def test_streamed_body_over_the_size_limit(server: Server) -> None:
    settings = Settings(allow_private_urls=True, max_file_bytes=200_000)
    with pytest.raises(SourceError) as info:
        await load(server.url("/big"), settings)
    assert info.value.message.startswith("the page is larger than 0.2 MB")


async def test_declared_length_over_the_size_limit(server: Server) -> None:
    with pytest.raises(SourceError, match=r"the page is larger than 0\.2 MB"):
        await load(server.url("/big-declared"), Settings(allow_private_urls=True, max_file_bytes=200_000))


async def test_compressed_body_counts_decompressed(server: Server) -> None:
    with pytest.raises(SourceError, match=r"the page is larger than 1 MB"):
        await load(server.url("/gzip-bomb"), Settings(allow_private_urls=True, max_file_bytes=1_000_000))


async def test_slow_response_times_out(server: Server) -> None:
    settings = Settings(allow_private_urls=True, fetch_timeout_s=0.5)
    started = asyncio.get_running_loop().time()
    with pytest.raises(SourceError, match=r"timed out after 0\.5s") as info:
        await load(server.url("/slow"), settings)
    assert asyncio.get_running_loop().time() - started < 3
    assert info.value.__cause__ is not None


async def test_trickling_body_hits_the_overall_time_limit(server: Server) -> None:
    settings = Settings(allow_private_urls=True, fetch_timeout_s=0.5, max_file_bytes=10_000_000)
    started = asyncio.get_running_loop().time()
    with pytest.raises(SourceError, match=r"timed out after 0\.5s"):
        await load(server.url("/trickle"), settings)
    assert asyncio.get_running_loop().time() - started < 3


# ---- HTTP errors ----


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (401, r"the page needs a login \(HTTP 401\)"),
        (403, r"the page needs a login \(HTTP 403\)"),
        (404, r"page not found \(HTTP 404\): check the link"),
        (410, r"page not found \(HTTP 410\)"),
        (429, r"rate-limiting requests \(HTTP 429\)"),
        (400, r"the site answered HTTP 400 for .*: check the link"),
        (500, r"the site failed with HTTP 500: try again later"),
        (503, r"the site failed with HTTP 503"),
    ],
)
async def test_http_errors(server: Server, code: int, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        await load(server.url(f"/status/{code}"))


async def test_connection_refused() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SourceError, match=r"could not connect to 127\.0\.0\.1") as info:
        await load(f"http://127.0.0.1:{port}/")
    assert info.value.__cause__ is not None


async def test_unknown_host() -> None:
    with pytest.raises(SourceError, match=r"could not find the host nonexistent\.invalid"):
        await load("http://nonexistent.invalid/plan")


# ---- what is never fetched ----


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/article",
        "http://localhost:{port}/article",
        "http://LOCALHOST:{port}/article",
        "http://[::1]:{port}/article",
        "http://[::ffff:127.0.0.1]:{port}/article",
        "http://2130706433:{port}/article",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0:{port}/article",
    ],
)
async def test_private_addresses_are_refused_before_any_request(server: Server, url: str) -> None:
    with pytest.raises(SourceError, match=r"refusing to fetch .* it resolves to a private address"):
        await load(url.format(port=server.port), Settings(allow_private_urls=False))
    assert server.hits == []


@pytest.mark.parametrize(
    "url",
    [
        "https://docs.google.com/document/d/1AbC/edit",
        "https://drive.google.com/file/d/1AbC/view",
        "https://DOCS.GOOGLE.COM/spreadsheets/d/1AbC",
    ],
)
async def test_google_links_go_to_the_google_source_never_the_web_fetcher(url: str) -> None:
    """Without a service account the Google source says what to configure; nothing is fetched as a page."""
    with pytest.raises(ConfigError) as info:
        await load(url, Settings(google_application_credentials=None))
    assert "GOOGLE_APPLICATION_CREDENTIALS" in info.value.message


async def test_credentials_in_the_link_are_refused(server: Server) -> None:
    with pytest.raises(SourceError, match="user name or password"):
        await load(f"http://user:pw@127.0.0.1:{server.port}/article")
    assert server.hits == []


# ---- connecting to the checked address ----


def pin_dns(monkeypatch: pytest.MonkeyPatch, name: str) -> list[str]:
    """Resolve `name` to 127.0.0.1 once; a second lookup fails, as a rebinding attacker's DNS would differ."""
    lookups: list[str] = []

    async def resolve(host: str, port: int) -> list[object]:
        lookups.append(host)
        if host != name or len(lookups) > 1:
            raise SourceError(f"unexpected lookup of {host}")
        return [ip_address("127.0.0.1")]

    monkeypatch.setattr("bot.sources.netguard.resolve", resolve)
    return lookups


async def test_connects_to_the_checked_address_with_the_original_host(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups = pin_dns(monkeypatch, "plans.example.test")
    url = f"http://plans.example.test:{server.port}/article"
    doc = await load(url)
    assert doc.source == url
    assert lookups == ["plans.example.test"]
    assert server.hosts == [f"plans.example.test:{server.port}"]


def openssl_cert(tmp_path: Path, name: str) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={name}",
         "-addext", f"subjectAltName=DNS:{name}"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


async def tls_server(
    tmp_path: Path, cert_name: str
) -> tuple[web.AppRunner, Server, ssl.SSLContext, list[str]]:
    """An https server whose certificate is for `cert_name`; the context a client needs to trust it."""
    cert, key = openssl_cert(tmp_path, cert_name)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    sni: list[str] = []

    def record_sni(_sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        sni.append(name or "")

    server_context.sni_callback = record_sni
    runner, srv = await start(server_context)
    return runner, srv, ssl.create_default_context(cafile=str(cert)), sni


async def test_https_sends_the_name_as_sni_and_verifies_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner, server, trust, sni = await tls_server(tmp_path, "secure.example.test")
    try:
        pin_dns(monkeypatch, "secure.example.test")
        fetched = await fetch(f"https://secure.example.test:{server.port}/readme", LOOPBACK, verify=trust)
    finally:
        await runner.cleanup()
    assert fetched.body == b"# Read me\n\nSome `markdown`."
    assert sni == ["secure.example.test"]
    assert server.hosts == [f"secure.example.test:{server.port}"]


async def test_https_certificate_for_another_name_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner, server, trust, _ = await tls_server(tmp_path, "other.example.test")
    try:
        pin_dns(monkeypatch, "secure.example.test")
        with pytest.raises(
            SourceError, match=r"TLS certificate of secure\.example\.test could not be verified"
        ):
            await fetch(f"https://secure.example.test:{server.port}/readme", LOOPBACK, verify=trust)
    finally:
        await runner.cleanup()
    assert server.hits == []
