"""A loopback web server for tests and benchmarks that need pages to fetch: `with serve_pages({...}) as base_url:`.

`pages` maps a path to (content type, body); `gzipped` sends every body gzip-encoded, as web servers do (24 MB
of HTML is 70 KB on the wire); `redirects` maps a path to the Location of a 302. Anything else is a 404.
The mapping is read at each request, so a test can change a page between two reads (the author editing the
doc) or remove it; a body is encoded once, when it is first served.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Pages = dict[str, tuple[str, str | bytes]]  # path -> (content type, body)


@contextmanager
def serve_pages(
    pages: Pages, *, gzipped: bool = False, redirects: dict[str, str] | None = None
) -> Iterator[str]:
    encoded: dict[str, tuple[str | bytes, bytes]] = {}  # path -> (the body it was encoded from, its bytes)
    moved = redirects or {}

    def served(path: str) -> tuple[str, bytes] | None:
        if path not in pages:
            return None
        kind, body = pages[path]
        if path not in encoded or encoded[path][0] is not body:
            data = body.encode("utf-8") if isinstance(body, str) else body
            encoded[path] = (body, gzip.compress(data) if gzipped else data)
        return kind, encoded[path][1]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path in moved:
                self.send_response(302)
                self.send_header("Location", moved[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            page = served(self.path)
            if page is None:
                self.send_error(404)
                return
            content_type, data = page
            self.send_response(200)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            if gzipped:
                self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
