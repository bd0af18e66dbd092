"""A Google Docs or Drive link as a Document: the file's text by its kind, then its open comments.

Nothing of the file is read before `access` has let the requester in. Docs come from the Docs API (every tab,
`gdocs`), Slides as plain text, Sheets as a Markdown table, PDF and Word files through their converters,
text files as they are.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bot.config import Settings
from bot.errors import SourceError
from bot.models import Document
from bot.sources.convert import Kind, to_body
from bot.sources.gdocs import gdoc_body
from bot.sources.google import access
from bot.sources.google.api import GoogleApi
from bot.sources.google.comments import discussion
from bot.sources.links import Requester, require_google_file_id
from bot.sources.tables import csv_to_markdown
from bot.sources.text import Body, finish

GOOGLE_DOC = "application/vnd.google-apps.document"
GOOGLE_SLIDES = "application/vnd.google-apps.presentation"
GOOGLE_SHEET = "application/vnd.google-apps.spreadsheet"
_CONVERTED = {
    "application/pdf": Kind.PDF,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": Kind.DOCX,
}


class GoogleSource:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._api = GoogleApi(settings)

    async def load(self, url: str, requester: Requester | None) -> Document:
        file_id = require_google_file_id(url)
        return await asyncio.to_thread(self._load, url, file_id, requester)

    def _load(self, url: str, file_id: str, requester: Requester | None) -> Document:
        api = self._api
        delegated = api.delegation and requester is not None
        subject = requester.email if delegated and requester else None
        audience = None
        with api.errors(url):
            drive = api.service("drive", "v3", subject)
            if requester is not None and not delegated:  # decided before anything of the doc is read
                shared = access.permissions(api, drive, file_id)
                access.check_access(shared, requester, url)
                audience = access.audience_of(shared)
            meta = api.run(
                drive.files().get(fileId=file_id, fields="id,name,mimeType,size", supportsAllDrives=True)
            )
            body = self._body(drive, subject, file_id, meta)
        document = finish(
            body, source=url, fallback_title=meta.get("name") or "Google document", settings=self._settings
        )
        return document.model_copy(update={"audience": audience})

    async def readers(self, url: str, emails: list[str]) -> list[str]:
        """Which of `emails` may open the doc, by the rule `load` applies to a requester (in order)."""
        file_id = require_google_file_id(url)
        return await asyncio.to_thread(access.readers, self._api, url, file_id, emails)

    def _body(self, drive: Any, subject: str | None, file_id: str, meta: dict[str, Any]) -> Body:
        mime = meta.get("mimeType", "")
        name = meta.get("name", file_id)
        if mime == GOOGLE_DOC:
            docs = self._api.service("docs", "v1", subject)
            doc = self._api.run(
                docs.documents().get(
                    documentId=file_id,
                    includeTabsContent=True,
                    suggestionsViewMode="PREVIEW_WITHOUT_SUGGESTIONS",
                )
            )
            body = gdoc_body(doc)
        elif mime == GOOGLE_SLIDES:
            body = Body(self._export(drive, file_id, "text/plain").decode("utf-8", "replace"))
        elif mime == GOOGLE_SHEET:
            body = Body(csv_to_markdown(self._export(drive, file_id, "text/csv").decode("utf-8", "replace")))
        elif mime in _CONVERTED:
            body = to_body(self._download(drive, file_id), _CONVERTED[mime], name, self._settings)
        elif mime.startswith("text/"):
            body = Body(self._download(drive, file_id).decode("utf-8", "replace"))
        else:
            raise SourceError(
                f"“{name}” is a {mime or 'file'} that docdebate cannot read: link a Doc, Slides, "
                "Sheet, PDF or Word file"
            )
        comments = discussion(self._api, drive, file_id)
        if comments:
            body = Body(body.text.rstrip() + "\n\n" + comments, None, body.title)
        return body

    def _export(self, drive: Any, file_id: str, mime: str) -> bytes:
        return self._api.run_media(drive.files().export_media(fileId=file_id, mimeType=mime))

    def _download(self, drive: Any, file_id: str) -> bytes:
        return self._api.run_media(drive.files().get_media(fileId=file_id, supportsAllDrives=True))
