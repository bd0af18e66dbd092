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
