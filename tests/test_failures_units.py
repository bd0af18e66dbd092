"""What failures leave behind: errors the workflow engine can record, and no row left 'running' forever."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.errors import ConfigError, ModelError, PersonaError, SlackError, SourceError
from bot.quotas import Limits
from bot.reaper import reap_orphans
from bot.store import DebateRow, Store

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "error",
    [
        SlackError("Slack answered `not_in_channel`", "not_in_channel", retryable=False),
        SlackError("Slack is unreachable", "unreachable", retryable=True),
        SourceError("page not found"),
        ModelError("overloaded"),
        ConfigError("no key"),
        PersonaError("unknown persona"),
    ],
)
def test_every_error_a_step_raises_survives_serialisation(error: Exception) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and vars(copy) == vars(error) and str(copy) == str(error)


def test_rows_whose_workflow_ended_or_never_began_are_marked_failed(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/r.sqlite")
    limits = Limits(1000, 1000, timedelta(minutes=5), 1000, 1000, 1000, 1000.0)
    for i in range(4):
        row = DebateRow(id=f"T:{i}", team_id="T", user_id=f"U{i}", channel_id="C", thread_ts=None, link="x")
        assert store.admissions.admit(row, limits, NOW - timedelta(minutes=5)) is None
    fresh = DebateRow(id="T:new", team_id="T", user_id="U9", channel_id="C", thread_ts=None, link="x")
    assert (
        store.admissions.admit(fresh, limits, NOW) is None
    )  # admitted a moment ago: its workflow may not exist yet
    statuses = {"T:0": "PENDING", "T:1": "ENQUEUED", "T:2": "ERROR"}  # T:3 has no workflow at all
    asked: list[list[str]] = []

    def statuses_of(ids: list[str]) -> dict[str, str]:
        asked.append(sorted(ids))
        return {i: statuses[i] for i in ids if i in statuses}

    assert sorted(reap_orphans(store, NOW, statuses_of)) == ["T:2", "T:3"]
    assert asked == [["T:0", "T:1", "T:2", "T:3"]], "rows younger than the grace are not looked at"
    assert sorted(store.debates.in_flight_before(NOW + timedelta(hours=1))) == ["T:0", "T:1", "T:new"]
    assert reap_orphans(store, NOW, statuses_of) == []
