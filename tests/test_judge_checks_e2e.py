"""The judge reads a blind panel, and the verification pass argues each door the other way, end to end:
`docdebate review` against the Anthropic fake, reading what each request carried."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from bot.debate.blinding import Blinding
from bot.debate.personas import load_personas
from bot.models import Turn
from tests.conftest import EXAMPLES, run_cli
from tests.fakes.anthropic_fake import FakeAnthropic

PLAN = EXAMPLES / "launch-plan.md"
EXCLUSIVE = "three-year committed-spend agreement with Stratus at $380,000 per year"
SEATS = ("skeptic", "exec", "engineer")
NAMES = re.compile(r"\b(skeptic|the exec|engineer)\b", re.I)


def review(env: dict[str, str], **settings: str) -> dict[str, Any]:
    result = run_cli(["review", str(PLAN), "--format", "json"], {**env, **settings})
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def judge_request(fake: FakeAnthropic) -> dict[str, Any]:
    [judge] = [r.body for r in fake.requests if r.body and r.body.get("output_config")]
    return judge


def judge_prompt(body: dict[str, Any]) -> str:
    """What the judge reads after the cached document: its role and the transcript."""
    return json.dumps(body["system"][1:]) + json.dumps(body["messages"])


def test_the_judge_reads_letters_and_the_verdict_names_the_personas(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic
) -> None:
    data = review(cli_env)
    prompt = judge_prompt(judge_request(fake_anthropic))
    assert NAMES.search(prompt) is None, NAMES.search(prompt)
    assert all(f"Panelist {letter}" in prompt for letter in "ABC")
    findings = data["verdict"]["one_way_doors"] + data["verdict"]["assumptions"]
    credited = {n for f in findings for n in f["raised_by"] + f["endorsed_by"]}
    assert credited and credited <= set(SEATS), "the letters the judge used are mapped back to the panel"


def test_a_judge_that_is_not_blind_reads_the_names(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic
) -> None:
    review(cli_env, DOCDEBATE_JUDGE_BLIND="false")
    prompt = judge_prompt(judge_request(fake_anthropic))
    assert "Panelist" not in prompt and 'persona=\\"skeptic\\"' in prompt


def test_each_debate_has_its_own_order_and_a_replay_the_same() -> None:
    panel = list(load_personas().values())[:3]
    orders = {tuple(Blinding.shuffled(panel, seed).labels.items()) for seed in range(40)}
    assert len(orders) == 6, "every order of three appears over 40 debates"
    assert Blinding.shuffled(panel, 7) == Blinding.shuffled(panel, 7)


def test_the_blind_transcript_hides_names_inside_turns_and_keeps_rounds_in_order() -> None:
    personas = load_personas()
    panel = [personas[name] for name in SEATS]
    blind = Blinding.shuffled(panel, 3)
    turns = [
        Turn(persona="skeptic", round=0, text="The margin is a guess."),
        Turn(persona="exec", round=0, text="Revenue first."),
        Turn(
            persona="engineer", round=1, text="I agree with the Skeptic, and The Exec is wrong; skeptic wins."
        ),
    ]
    shown = blind.transcript(turns, panel)
    assert [t.round for t in shown] == [0, 0, 1]
    assert [t.persona for t in shown[:2]] == sorted(blind.labels[p] for p in ("skeptic", "exec"))
    assert shown[2].text == (
        f"I agree with {blind.labels['skeptic']}, and {blind.labels['exec']} is wrong; "
        f"{blind.labels['skeptic']} wins."
    )
    assert blind.aliases()[blind.labels["engineer"].removeprefix("Panelist ")] == "engineer"


# ---- the verification pass ----

DOORS = [
    ("Sign the Stratus commitment", EXCLUSIVE, ["skeptic"], 90),
    ("Reskin the Billing page", "reskinning rather than redesigning the Billing page", ["exec"], 20),
]


def scripted(fake: FakeAnthropic) -> Callable[[dict[str, Any]], str]:
    """A judge that names two doors, and checkers that score the first one-way and the second not."""

    def respond(body: dict[str, Any]) -> str:
        text = json.dumps(body.get("messages"))
        if body.get("output_config"):
            verdict = json.loads(fake.default_response(body))
            verdict["one_way_doors"] = [
                {
                    **verdict["one_way_doors"][0],
                    "decision": decision,
                    "quote": {"text": quote},
                    "raised_by": raised,
                    "endorsed_by": [],
                }
                for decision, quote, raised, _ in DOORS
            ]
            return json.dumps(verdict)
        if "Argue the reversal case" in text:
            score = next(score for decision, _, _, score in DOORS if decision in text)
            return f"Undoing it would take a quarter and a write-off.\n\nCONFIDENCE: {score}"
        return fake.default_response(body)

    return respond


def seat(body: dict[str, Any]) -> str:
    found = re.search(r"Your seat at the table: [^(]+\((\w+)\)", json.dumps(body["system"]))
    assert found, body["system"]
    return found.group(1)


def test_doors_are_argued_the_other_way_and_the_doubtful_one_is_kept_apart(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.responder = scripted(fake_anthropic)
    data = review(cli_env, DOCDEBATE_VERIFY_DOORS="true", DOCDEBATE_JUDGE_BLIND="false")

    verdict = data["verdict"]
    [kept] = verdict["one_way_doors"]
    [doubtful] = verdict["probably_reversible"]
    assert (kept["decision"], kept["confidence"]) == ("Sign the Stratus commitment", 90)
    assert (doubtful["decision"], doubtful["confidence"]) == ("Reskin the Billing page", 20)
    assert kept["checked_by"] != "skeptic" and doubtful["checked_by"] != "exec", "never by who raised it"
    assert kept["reversal_case"] == "Undoing it would take a quarter and a write-off."
    checks = [r for r in fake_anthropic.requests if "Argue the reversal case" in json.dumps(r.body)]
    assert sorted(seat(r.body) for r in checks if r.body) == sorted(
        [kept["checked_by"], doubtful["checked_by"]]
    )
    assert all((r.usage or {}).get("cache_read_input_tokens", 0) > 0 for r in checks), "on the cached prefix"
    assert data["usage"]["calls"] == 8 + 2


def test_the_checked_doors_show_in_the_markdown_report(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.responder = scripted(fake_anthropic)
    result = run_cli(["review", str(PLAN), "--format", "md"], {**cli_env, "DOCDEBATE_VERIFY_DOORS": "true"})
    assert result.code == 0, result.stderr
    assert "### Probably reversible" in result.stdout
    assert "20% sure it is one-way" in result.stdout and "90% sure it is one-way" in result.stdout
