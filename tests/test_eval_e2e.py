"""`docdebate eval` end to end: the installed command over cases written here, against the Anthropic fake.

The fake's judge is scripted per document: it reports doors quoting chosen sentences (a planted anchor, a
decoy, a sentence nothing planted, an invented quote), so each case's expected score is known here, and
the test computes it again from the verdicts the report carries.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.fakes.anthropic_fake import FakeAnthropic, find_document

FILLER = " ".join(
    f"Paragraph {i} describes the ordinary operation of the service in some detail." for i in range(40)
)

VENDOR = f"""# Vendor decision: Lumen data feed

## Context
{FILLER}

## Proposal
We will commit to a three-year exclusive agreement with Lumen for all firmographic data.
The legacy enrichment tables will be dropped once the import finishes, with no archive kept.
The new enrichment runs behind the lumen_enrichment flag for the first month.

## Risks
We expect 40% of accounts to see better match rates in the first month.
"""

CONTROL = f"""# Onboarding experiment

## Context
{FILLER}

## Plan
The new checklist is shown to half of new sign-ups behind the onboarding_v2 flag, and can be turned off.
We expect completion to rise by a fifth within two weeks of the start.
"""


def write_case(root: Path, name: str, doc: str, labels: dict[str, Any]) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "doc.md").write_text(doc)
    (folder / "labels.yaml").write_text(json.dumps(labels))  # JSON is YAML


@pytest.fixture
def cases(tmp_path: Path) -> Path:
    root = tmp_path / "cases"
    write_case(
        root,
        "vendor",
        VENDOR,
        {
            "one_way_doors": [
                {
                    "decision": "Sign the exclusive contract",
                    "anchor": "commit to a three-year exclusive agreement",
                },
                {"decision": "Drop the legacy tables", "anchor": "legacy enrichment tables will be dropped"},
            ],
            "weak_assumptions": [{"anchor": "We expect 40% of accounts to see better match rates"}],
            "two_way_doors": [
                {"decision": "Enrich behind a flag", "anchor": "behind the lumen_enrichment flag"}
            ],
        },
    )
    write_case(
        root,
        "control",
        CONTROL,
        {"one_way_doors": [], "weak_assumptions": [{"anchor": "We expect completion to rise by a fifth"}]},
    )
    return root


def door(quote: str) -> dict[str, Any]:
    return {
        "decision": f"Decide: {quote[:30]}",
        "quote": {"text": quote},
        "why_hard_to_reverse": "hard",
        "cost_to_reverse": "much",
        "time_to_reverse": "months",
        "blast_radius": "wide",
        "make_it_two_way": "pilot first",
        "raised_by": ["skeptic"],
        "endorsed_by": [],
    }


def verdict(doors: list[str], assumptions: list[str]) -> str:
    return json.dumps(
        {
            "headline": "The panel found doors.",
            "assumptions": [
                {
                    "assumption": "a claim",
                    "quote": {"text": q},
                    "challenge": "no source",
                    "raised_by": ["exec"],
                    "endorsed_by": [],
                }
                for q in assumptions
            ],
            "one_way_doors": [door(q) for q in doors],
            "disagreements": [],
            "open_questions": [],
            "next_steps": [],
        }
    )


# What the scripted judge reports in each document: (doors, assumptions).
SCRIPT = {
    "Lumen": (
        [
            "We will commit to a three-year exclusive agreement with Lumen for all firmographic data.",
            "We will commit to a three-year exclusive agreement with Lumen",  # the same door again
            "The new enrichment runs behind the lumen_enrichment flag for the first month.",  # a decoy
            "We will sign the Lumen renewal in blood before the board meets on Friday.",  # invented
        ],
        ["We expect 40% of accounts to see better match rates in the first month."],
    ),
    "Onboarding": (
        ["The new checklist is shown to half of new sign-ups behind the onboarding_v2 flag"],
        ["Paragraph 3 describes the ordinary operation of the service in some detail."],
    ),
}


def scripted_judge(fake: FakeAnthropic) -> Callable[[dict[str, Any]], str]:
    def respond(body: dict[str, Any]) -> str:
        if "Argue the reversal case" in json.dumps(body.get("messages")):
            return "It can be undone in a week.\nCONFIDENCE: 10"  # the verification pass doubts every door
        if not body.get("output_config"):
            return fake.default_response(body)
        document = find_document(body)
        key = next(k for k in SCRIPT if k in document)
        return verdict(*SCRIPT[key])

    return respond


def eval_json(env: dict[str, str], out: Path, *args: str) -> dict[str, Any]:
    result = run_cli(["eval", *args, "--format", "json", "--out", str(out)], env, timeout=180)
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(out.read_text())


def recomputed_recall(report: dict[str, Any], variant: str) -> float:
    """Door recall from the report's own cases, by a count made here."""
    runs = [c for c in report["cases"] if c["variant"] == variant and c["score"]]
    return sum(c["score"]["found"] for c in runs) / sum(c["score"]["planted"] for c in runs)


def test_eval_scores_each_case_by_code(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic, cases: Path, tmp_path: Path
) -> None:
    fake_anthropic.responder = scripted_judge(fake_anthropic)
    report = eval_json(cli_env, tmp_path / "report.json", str(cases))

    by_case = {c["case"]: c for c in report["cases"]}
    vendor, control = by_case["vendor"]["score"], by_case["control"]["score"]
    assert (vendor["planted"], vendor["found"], vendor["reported"]) == (2, 1, 4)
    assert [d["matched"] for d in vendor["doors"]] == ["planted", "duplicate", "decoy", "none"]
    assert vendor["false_doors"] == 2 and vendor["decoys_taken"] == 1
    assert vendor["missed"] == ["Drop the legacy tables"]
    assert (vendor["assumptions_found"], vendor["assumptions_planted"]) == (1, 1)
    assert (vendor["quotes_verified"], vendor["quotes"]) == (4, 5), "the invented quote is not verified"
    assert control["control"] and control["planted"] == 0
    assert control["false_doors"] == 1, "every door in a control is false"
    assert control["assumptions_found"] == 0

    [totals] = report["totals"]
    assert totals["recall"] == pytest.approx(recomputed_recall(report, "baseline")) == 0.5
    assert totals["false_doors"] == 3 and totals["false_doors_in_controls"] == 1
    assert totals["grounding"] == pytest.approx(6 / 7)
    assert totals["cost_usd"] > 0 and totals["errors"] == 0
    verdicts = {c["case"]: c["verdict"] for c in report["cases"]}
    assert len(verdicts["vendor"]["one_way_doors"]) == 4, "the report carries the verdicts it scored"


def test_compare_runs_two_variants_side_by_side_in_one_run(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic, cases: Path, tmp_path: Path
) -> None:
    fake_anthropic.responder = scripted_judge(fake_anthropic)
    report = eval_json(
        cli_env, tmp_path / "report.json", str(cases), "--compare", "depth=quick", "--runs", "2"
    )

    assert report["variants"] == ["baseline", "depth=quick"]
    assert [t["debates"] for t in report["totals"]] == [4, 4]
    assert [len(t["recall_per_run"]) for t in report["totals"]] == [2, 2]
    rebuttals = [r for r in fake_anthropic.requests if "Rebuttal round" in json.dumps(r.body)]
    assert len(rebuttals) == 3 * 4, "only the baseline's four debates had a rebuttal round"
    assert {t["stable"] for t in report["totals"]} == {1.0}, "the scripted judge finds the same door each run"


def test_markdown_report_has_both_tables(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic, cases: Path, tmp_path: Path
) -> None:
    fake_anthropic.responder = scripted_judge(fake_anthropic)
    result = run_cli(["eval", str(cases), "--format", "md", "--depth", "quick"], cli_env, timeout=180)
    assert result.code == 0, result.stderr
    assert "## Totals" in result.stdout and "| door recall | 50% (1/2) |" in result.stdout
    assert "| vendor | 1/2 | 2 | 4/5 |" in result.stdout


def test_a_case_whose_anchor_is_not_in_its_document_costs_nothing(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic, cases: Path
) -> None:
    labels = cases / "vendor" / "labels.yaml"
    labels.write_text(labels.read_text().replace("three-year exclusive", "five-year exclusive"))
    result = run_cli(["eval", str(cases)], cli_env)
    assert result.code == 65
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "five-year exclusive" in lines[0] and "case vendor" in lines[0], result.stderr
    assert fake_anthropic.requests == []


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ("one_way_doors: [{anchor: x}]", "one_way_doors.0.decision: Field required"),
        ("one_way_doors: []\nplanted: []", "planted: Extra inputs are not permitted"),
        ("one_way_doors: [", "not valid YAML"),
    ],
)
def test_malformed_labels_are_named_in_one_line(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic, cases: Path, labels: str, expected: str
) -> None:
    (cases / "control" / "labels.yaml").write_text(labels)
    result = run_cli(["eval", str(cases)], cli_env)
    assert result.code == 65 and expected in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert fake_anthropic.requests == []


def test_usage_mistakes_answer_before_anything_runs(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic, cases: Path, tmp_path: Path
) -> None:
    for args, expected in (
        ([str(tmp_path / "nowhere")], "is not a folder of cases"),
        ([str(cases), "--compare", "depth=deeper"], "depth is one of"),
        ([str(cases), "--compare", "colour=blue"], "unknown key 'colour'"),
        ([str(cases), "--personas", "skeptic,nobody"], "nobody"),
    ):
        result = run_cli(["eval", *args], cli_env)
        assert result.code in (64, 65), (args, result.stderr)
        assert expected in result.stderr and "Traceback" not in result.stderr, (args, result.stderr)
    assert fake_anthropic.requests == []


def test_compare_shows_what_the_verification_pass_changes(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic, cases: Path, tmp_path: Path
) -> None:
    fake_anthropic.responder = scripted_judge(fake_anthropic)
    report = eval_json(
        cli_env, tmp_path / "r.json", str(cases), "--depth", "quick", "--compare", "verify_doors=true"
    )

    baseline, verified = report["totals"]
    assert (baseline["false_doors"], baseline["found"]) == (3, 1)
    assert (verified["false_doors"], verified["found"]) == (0, 0), "every door doubted: none counted"
    checks = [r for r in fake_anthropic.requests if "Argue the reversal case" in json.dumps(r.body)]
    assert len(checks) == 4 + 1, "one check per door the judge named"
