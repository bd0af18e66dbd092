"""Fair use: the limits, with a frozen clock, and their bookkeeping in the store."""

import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.models import DebateResult, Depth, Document, Usage, Verdict
from bot.quotas import Activity, Limits, refusal
from bot.store import NOT_STARTED, DebateRow, Store
from tests.conftest import database_url

NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
LIMITS = Limits(
    user_burst=2,
    channel_burst=3,
    burst_window=timedelta(minutes=5),
    user_hourly=4,
    channel_hourly=6,
    user_running=1,
    daily_budget_usd=10.0,
)


def seen(user: list[int] = (), channel: list[int] = (), running: int = 0, spent: float = 0.0) -> Activity:
    """Requests `n` minutes ago."""
    return Activity(
        [NOW - timedelta(minutes=m) for m in user],
        [NOW - timedelta(minutes=m) for m in channel],
        running,
        spent,
    )


def test_within_every_limit() -> None:
    assert refusal(seen(user=[30], channel=[1, 2]), LIMITS, NOW) is None


def test_user_burst_says_when_to_retry_in_the_readers_time_zone() -> None:
    text = refusal(seen(user=[1, 3]), LIMITS, NOW)
    assert text is not None and "You have started 2 debates in the last few minutes" in text
    retry = int((NOW - timedelta(minutes=3) + timedelta(minutes=5)).timestamp())
    assert f"<!date^{retry}^{{time}}|14:02 UTC>" in text


def test_channel_burst_and_hourly_limits() -> None:
    assert "This channel has started 3" in (refusal(seen(channel=[1, 2, 4]), LIMITS, NOW) or "")
    assert "in the last hour" in (refusal(seen(user=[10, 20, 30, 40]), LIMITS, NOW) or "")
    assert refusal(seen(user=[10, 20, 30, 61]), LIMITS, NOW) is None  # the oldest fell out of the hour


def test_one_running_debate_per_user() -> None:
    assert "already have a debate running" in (refusal(seen(running=1), LIMITS, NOW) or "")


def test_daily_budget_comes_first_and_resets_at_midnight_utc() -> None:
    text = refusal(seen(spent=10.0), LIMITS, NOW) or ""
    assert "today's budget ($10.00)" in text and "Nothing was sent to the model" in text
    assert f"<!date^{int(datetime(2026, 11, 23, tzinfo=UTC).timestamp())}^" in text


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path}/quotas.sqlite")


def row(i: int, user: str = "U1", channel: str = "C1") -> DebateRow:
    return DebateRow(
        id=f"T:{i}", team_id="T", user_id=user, channel_id=channel, thread_ts=None, link="https://x"
    )


def test_store_counts_admissions_and_running_debates(store: Store) -> None:
    assert store.admissions.admit(row(1), LIMITS, NOW) is None
    assert "already have a debate running" in (store.admissions.admit(row(2), LIMITS, NOW) or "")
    store.debates.finish("T:1", None, "done")
    assert store.admissions.admit(row(3), LIMITS, NOW + timedelta(minutes=1)) is None
    store.debates.finish("T:3", None, "done")
    assert "in the last few minutes" in (
        store.admissions.admit(row(4), LIMITS, NOW + timedelta(minutes=2)) or ""
    )
    assert store.admissions.admit(row(5), LIMITS, NOW + timedelta(minutes=7)) is None, (
        "the burst window moved on"
    )


def test_requests_that_never_reached_the_model_count_toward_no_limit(store: Store) -> None:
    for i in range(LIMITS.user_burst + 2):  # a burst of mistakes: each refused before any model call
        assert store.admissions.admit(row(i), LIMITS, NOW + timedelta(seconds=i)) is None, i
        store.debates.finish(f"T:{i}", None, NOT_STARTED)
    assert store.admissions.admit(row(99), LIMITS, NOW + timedelta(seconds=30)) is None
    store.debates.finish("T:99", None, "done")  # a real debate counts
    for i in range(100, 100 + LIMITS.user_burst - 1):
        assert store.admissions.admit(row(i), LIMITS, NOW + timedelta(seconds=i)) is None
        store.debates.finish(f"T:{i}", None, "done")
    refused = store.admissions.admit(row(200), LIMITS, NOW + timedelta(seconds=200))
    assert "in the last few minutes" in (refused or ""), refused


def test_a_redelivered_request_is_not_counted_twice(store: Store) -> None:
    assert store.admissions.admit(row(1), LIMITS, NOW) is None
    assert store.admissions.admit(row(1), LIMITS, NOW) is None


def test_spend_of_finished_debates_counts_toward_the_budget(store: Store) -> None:
    assert store.admissions.admit(row(1), LIMITS, NOW) is None
    verdict = Verdict(
        headline="h", assumptions=[], one_way_doors=[], disagreements=[], open_questions=[], next_steps=[]
    )
    result = DebateResult(
        document=Document(title="t", source="s", text="x"),
        personas=[],
        depth=Depth.QUICK,
        model="m",
        judge_model="m",
        turns=[],
        verdict=verdict,
        usage=Usage(cost_usd=12.5),
    )
    store.debates.finish("T:1", result, "done")
    assert "today's budget" in (store.admissions.admit(row(2, user="U2", channel="C2"), LIMITS, NOW) or "")


def _admit_at_the_barrier(url: str, i: int, barrier: Any, answers: Any) -> None:
    store = Store(url)
    barrier.wait()
    answers.put(store.admissions.admit(row(i), LIMITS, NOW))


def test_processes_admitting_one_user_at_the_same_instant_take_turns(tmp_path: Path) -> None:
    """Replicas share only the database: a running limit of one must hold across processes."""
    url = database_url(tmp_path)
    Store(url)  # migrate once, before the race
    context = multiprocessing.get_context("spawn")
    barrier, answers = context.Barrier(6), context.Queue()
    racers = [
        context.Process(target=_admit_at_the_barrier, args=(url, i, barrier, answers)) for i in range(6)
    ]
    for racer in racers:
        racer.start()
    results = [answers.get(timeout=60) for _ in racers]
    for racer in racers:
        racer.join(timeout=30)
    assert results.count(None) == 1, results
    assert all("already have a debate running" in r for r in results if r)


def test_spend_of_digests_counts_toward_the_same_budget(store: Store) -> None:
    from bot.store import DigestRow

    store.digests.add(
        DigestRow(id="d1", kind="now", link="https://x", due_at=NOW, status="scheduled", created_at=NOW)
    )
    store.digests.finish("d1", "posted", "posted in C1", cost_usd=60.0)
    assert store.spending.today(NOW) == 60.0
    assert "today's budget" in (store.admissions.admit(row(9, user="U9", channel="C9"), LIMITS, NOW) or "")
