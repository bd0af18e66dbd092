"""Rows whose workflow is gone: a debate recorded as queued or running whose DBOS workflow has ended (or
never began) is marked failed, so its user is not locked out by the one-running-debate limit.

A workflow ends without recording its outcome only through a bug or an outage of the database at the wrong
moment; this sweep makes that cost at most a minute instead of forever.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from dbos import DBOS

from bot.store import Store

log = logging.getLogger(__name__)
GRACE = timedelta(minutes=1)  # between admission and enqueueing a row has no workflow yet
LIVE = ("PENDING", "ENQUEUED")


def workflow_statuses(ids: list[str]) -> dict[str, str]:
    """DBOS's status of each workflow that exists."""
    return {
        w.workflow_id: w.status
        for w in DBOS.list_workflows(workflow_ids=ids, load_input=False, load_output=False)
    }


def reap_orphans(
    store: Store, now: datetime, statuses_of: Callable[[list[str]], dict[str, str]] = workflow_statuses
) -> list[str]:
    """Mark failed the in-flight rows older than GRACE whose workflow is not pending or queued; their ids."""
    candidates = store.debates.in_flight_before(now - GRACE)
    if not candidates:
        return []
    statuses = statuses_of(candidates)
    orphans = [c for c in candidates if statuses.get(c) not in LIVE]
    for debate_id in orphans:
        log.warning(
            "debate %s had no live workflow (%s): marked failed", debate_id, statuses.get(debate_id, "none")
        )
        store.debates.finish(debate_id, None, "failed")
    return orphans
