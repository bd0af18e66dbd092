"""Google Docs and Drive links: the whole document, its open comment threads, and the requester's access.

- `api`: the plumbing (credentials, services built offline, retried calls, paging, Google's errors);
- `access`: who may read a doc through docdebate;
- `drive`: reading a file by its kind (`GoogleSource`);
- `comments`: the open comment threads.

Everything here loads googleapiclient: `bot.sources.links` routes a link without it.
"""

from __future__ import annotations

from bot.sources.google.api import SCOPES
from bot.sources.google.drive import GoogleSource

__all__ = ["SCOPES", "GoogleSource"]
