"""Replica takeover leans on one private DBOS method (bot.replicas.requeue_pending_workflows): an upgrade
that changes it must fail here, not in production."""

from __future__ import annotations

import inspect

from dbos import DBOS


def test_dbos_still_recovers_pending_workflows_by_executor_ids() -> None:
    """The keyword requeue_pending_workflows passes still binds (TypeError if renamed, or if the method now
    requires another argument)."""
    inspect.signature(DBOS._recover_pending_workflows).bind(executor_ids=["gone-replica"])
