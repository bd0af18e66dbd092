"""The panel's plan against the Slack fake, through the real slack_sdk client: its tasks, what a chunk may
carry, how it goes on as updates when a stream is refused, and how it ends."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.models import Persona
from bot.posting.plan import Plan
from bot.posting.poster import Poster
from bot.posting.safety import trusted
from bot.posting.tasks import JUDGE, plan_post, plan_tasks, turn_id, words
from tests.fakes.slack_fake import FakeSlack
from tests.test_slack_safety import HOSTILE


def persona(name: str, title: str) -> Persona:
    return Persona(name=name, title=title, emoji=":x:", focus="risk", prompt="Argue.")


PANEL = [persona("skeptic", "The Skeptic"), persona("exec", "The Exec")]


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def poster(slack: FakeSlack) -> Poster:
    return Poster(AsyncWebClient(token=slack.bot_token, base_url=slack.api_url), retry_s=2)


def test_a_plan_has_a_task_per_persona_per_round_then_the_judge() -> None:
    tasks = plan_tasks(PANEL, range(2), check_doors=True)
    assert [t.id for t in tasks] == [
        "turn:skeptic:0",
        "turn:exec:0",
        "turn:skeptic:1",
        "turn:exec:1",
        "judge",
        "check",
    ]
    assert tasks[2].title == "The Skeptic · rebuttal, round 1"
    assert {t.status for t in tasks} == {"pending"}


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_persona_title_from_its_file_is_inert_in_a_chunk(hostile: str) -> None:
    (task,) = plan_tasks([persona("odd", hostile[:80] or "x")], range(1), check_doors=False)[:1]
    chunk = json.dumps(task.chunk().to_dict())
    for forbidden in ("<!", "<@", "<http", "https://", "\u202e", "\u200b"):
        assert forbidden not in chunk


async def _plan(slack: FakeSlack, poster: Poster, channel: str = "D1") -> Plan:
    root = slack.add_message(channel, "debate this")
    tasks = plan_tasks(PANEL, range(1), check_doors=False)
    ts = await poster.start_plan(channel, root, tasks, "U123", "T0001")
    return Plan(poster, channel, ts, tasks, streaming=True, interval_s=60)


async def test_a_status_goes_out_at_once_and_details_wait_for_the_next_frame(
    slack: FakeSlack, poster: Poster
) -> None:
    plan = await _plan(slack, poster)
    plan.set(turn_id("skeptic", 0), "in_progress", trusted("thinking…"))
    await slack.wait_for_async(lambda s: s.streams[0]["tasks"]["turn:skeptic:0"]["status"] == "in_progress")
    appends = len(slack.calls_to("chat.appendStream"))
    plan.set(turn_id("skeptic", 0), details=words(12))  # a detail only, inside the interval: held
    await asyncio.sleep(0)
    assert len(slack.calls_to("chat.appendStream")) == appends
    plan.set(turn_id("skeptic", 0), "complete", words(40, ""))
    await plan.finish()
    (stream,) = slack.streams
    assert stream["state"] == "stopped"
    assert stream["tasks"]["turn:skeptic:0"] == {
        "type": "task_update",
        "id": "turn:skeptic:0",
        "title": "The Skeptic · opening statements",
        "status": "complete",
        "details": "40 words",
    }
    assert {t["status"] for t in stream["tasks"].values()} == {"complete"}


async def test_a_stopped_debate_marks_what_ran_and_what_did_not(slack: FakeSlack, poster: Poster) -> None:
    plan = await _plan(slack, poster)
    plan.set(turn_id("skeptic", 0), "complete")
    plan.set(turn_id("exec", 0), "in_progress")
    await plan.finish(failed=True)
    tasks = slack.streams[0]["tasks"]
    assert tasks["turn:skeptic:0"]["status"] == "complete"
    assert (tasks["turn:exec:0"]["status"], tasks["turn:exec:0"]["details"]) == ("error", "stopped")
    assert tasks[JUDGE]["status"] == "error" and "not run" in tasks[JUDGE]["details"]


async def test_a_refused_append_goes_on_as_updates_of_the_same_message(
    slack: FakeSlack, poster: Poster
) -> None:
    plan = await _plan(slack, poster)
    slack.end_stream("D1", plan.ts)
    plan.set(turn_id("skeptic", 0), "in_progress")
    await slack.wait_for_async(lambda s: s.calls_to("chat.update"))
    assert plan.streaming is False
    await plan.finish()
    last = slack.calls_to("chat.update")[-1].args
    assert last["ts"] == plan.ts and "3 of 3 done" in last["text"]


def test_the_plan_as_a_message_passes_slack_block_checks() -> None:
    from tests.fakes.slack_fake import block_errors

    many = [persona(f"p{i}", f"Persona number {i} with a long title") for i in range(12)]
    post = plan_post(plan_tasks(many, range(4), check_doors=True))
    assert block_errors(post.blocks) == []
    assert "0 of 50 done" in post.text
