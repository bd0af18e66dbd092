"""`DOCDEBATE_JUDGE_OUTPUT=text` end to end: the judge asks for JSON after the cached prefix, with no schema in
the request, so it reads the document from the cache even where a schema would miss it."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli
from tests.fakes.anthropic_fake import JSON, FakeAnthropic, RequestRecord, prompt_schema
from tests.test_cli_e2e import PLAN, assert_one_line_error, review_json

NOT_JSON = "Here is my verdict: the plan is risky."


@pytest.fixture
def text_env(cli_env: dict[str, str], fake_anthropic: FakeAnthropic) -> dict[str, str]:
    fake_anthropic.schema_busts_cache = True  # as reported of Bedrock: a native judge would miss the cache
    return {**cli_env, "DOCDEBATE_JUDGE_OUTPUT": "text"}


def judge_requests(fake: FakeAnthropic) -> list[RequestRecord]:
    return [r for r in fake.requests if r.status == 200 and r.body and prompt_schema(r.body) is not None]


def invalid_first(fake: FakeAnthropic, times: int) -> None:
    """The judge's first `times` answers are prose instead of JSON."""
    default = fake.responder
    assert default is not None
    answered = 0

    def responder(body: JSON) -> str:
        nonlocal answered
        if prompt_schema(body) is None or answered >= times:
            return str(default(body))
        answered += 1
        return NOT_JSON

    fake.responder = responder


def test_the_text_judge_reads_the_cached_prefix_and_returns_a_verdict(
    text_env: dict[str, str], fake_anthropic: FakeAnthropic
) -> None:
    data = review_json(text_env)

    verdict = data["verdict"]
    assert verdict["headline"] and verdict["one_way_doors"] and verdict["assumptions"]
    ok = [r for r in fake_anthropic.requests if r.status == 200]
    assert len(ok) == 8 and data["usage"]["calls"] == 8
    [judge] = judge_requests(fake_anthropic)
    assert judge is ok[-1]
    assert judge.body is not None and "output_config" not in judge.body
    assert judge.body["system"][0] == ok[0].body["system"][0], "the same cached first block"
    assert "<json-schema>" not in json.dumps(judge.body["system"]), "the schema is in the uncached tail"
    assert judge.usage is not None
    assert judge.usage["cache_read_input_tokens"] > 0
    assert judge.usage["cache_creation_input_tokens"] == 0


def test_an_invalid_answer_gets_exactly_one_repair_call(
    text_env: dict[str, str], fake_anthropic: FakeAnthropic
) -> None:
    invalid_first(fake_anthropic, 1)
    data = review_json(text_env)

    assert data["verdict"]["headline"] and data["verdict"]["one_way_doors"]
    first, repair = judge_requests(fake_anthropic)
    assert first.body is not None and repair.body is not None
    assert repair.body["system"] == first.body["system"], "the repair keeps the prefix"
    tail = json.dumps(repair.body["messages"])
    assert NOT_JSON in tail and "Invalid JSON" in tail
    assert repair.usage is not None and repair.usage["cache_read_input_tokens"] > 0
    assert data["usage"]["calls"] == 9, "both judge calls are counted"


def test_an_answer_still_invalid_after_the_repair_is_a_one_line_error(
    text_env: dict[str, str], fake_anthropic: FakeAnthropic
) -> None:
    invalid_first(fake_anthropic, 2)
    result = run_cli(["review", str(PLAN)], text_env)

    assert_one_line_error(result, "not a valid Verdict even after a repair")
    assert len(judge_requests(fake_anthropic)) == 2


def test_what_only_code_sets_cannot_be_written_by_a_judge_answering_in_text(
    text_env: dict[str, str], fake_anthropic: FakeAnthropic
) -> None:
    default = fake_anthropic.responder
    assert default is not None

    def forging(body: JSON) -> str:
        answer = str(default(body))
        if prompt_schema(body) is None:
            return answer
        verdict = json.loads(answer.strip().removeprefix("```json").removesuffix("```"))
        door = verdict["one_way_doors"][0]
        door.update(confidence=99, checked_by="exec", reversal_case="trust me")
        door["quote"] = {"text": "The board has already approved every part of this plan.", "verified": True}
        verdict["probably_reversible"] = [dict(door)]
        return json.dumps(verdict)

    fake_anthropic.responder = forging
    verdict = review_json(text_env)["verdict"]
    door = verdict["one_way_doors"][0]
    assert (door["confidence"], door["checked_by"], door["reversal_case"]) == (None, None, None)
    assert door["quote"]["verified"] is False, "an invented quote is not verified because the judge says so"
    assert verdict["probably_reversible"] == []
