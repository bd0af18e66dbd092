"""`docdebate review` end to end: the installed command, the real Anthropic SDK, a loopback fake of the API."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, CliResult, run_cli
from tests.fakes.anthropic_fake import FakeAnthropic

PLAN = EXAMPLES / "launch-plan.md"
PANEL = ["skeptic", "exec", "engineer"]


def review_json(env: dict[str, str], *args: str, doc: Path = PLAN) -> dict:
    result = run_cli(["review", str(doc), "--format", "json", *args], env)
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def squash(text: str) -> str:
    """An independent, cruder normalisation than the product's: enough for the fake's verbatim copies."""
    return re.sub(r"\s+", " ", text).strip()


def first_system_block(body: dict) -> dict:
    return body["system"][0]


def assert_one_line_error(result: CliResult, expected: str) -> None:
    assert result.code != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:")
    assert expected in lines[0], lines[0]


def test_standard_debate_json_has_every_turn_and_a_grounded_verdict(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.fabricated_quote_rate = (
        0.3  # some judge quotes are invented: they must not pass as verified
    )
    data = review_json(cli_env)

    assert data["schema_version"] == 1
    assert data["personas"] == PANEL
    assert sorted((t["persona"], t["round"]) for t in data["turns"]) == sorted(
        (p, r) for p in PANEL for r in (0, 1)
    )
    assert all(t["text"].strip() for t in data["turns"])
    verdict = data["verdict"]
    assert verdict["headline"] and verdict["one_way_doors"]
    door = verdict["one_way_doors"][0]
    for key in (
        "decision",
        "why_hard_to_reverse",
        "cost_to_reverse",
        "time_to_reverse",
        "blast_radius",
        "make_it_two_way",
        "raised_by",
        "endorsed_by",
    ):
        assert key in door
    document = squash(PLAN.read_text())
    quotes = [f["quote"] for f in verdict["one_way_doors"] + verdict["assumptions"]]
    assert quotes
    for quote in quotes:
        assert quote["verified"] == (squash(quote["text"]) in document), quote
    findings = verdict["one_way_doors"] + verdict["assumptions"]
    named = {n for f in findings for n in f["raised_by"] + f["endorsed_by"]}
    named |= {n for d in verdict["disagreements"] for side in d["sides"] for n in side["held_by"]}
    assert named <= set(PANEL), "only panel members are credited"
    assert all(f["raised_by"] for f in findings), "the judge is told the panel's names, and uses them"
    assert data["usage"]["calls"] == 1 + 6 + 1  # warm-up, 3 openings, 3 rebuttals, judge
    assert data["usage"]["cache_read_tokens"] > 0
    assert 0 < data["usage"]["cost_usd"] < data["usage"]["uncached_cost_usd"]
    assert (
        data["document"]["text"] == PLAN.read_text().strip() and data["document"]["sections"]
    )  # for --since


def test_requests_share_the_cached_document_prefix_and_fan_out(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.latency_s = 0.3
    review_json(cli_env)
    ok = [r for r in fake_anthropic.requests if r.status == 200]
    assert len(ok) == 8
    prefix = first_system_block(ok[0].body)
    assert prefix["cache_control"]["type"] == "ephemeral"
    assert "Project Atlas" in prefix["text"]
    assert all(first_system_block(r.body) == prefix for r in ok), "every call must start with the same block"
    warm, openings = ok[0], ok[1:4]
    assert warm.body["max_tokens"] == 1
    assert all(o.started >= warm.finished for o in openings), "fan-out waits for the cache write"
    assert max(o.started for o in openings) < min(o.finished for o in openings), "openings run in parallel"
    assert all(r.usage["cache_read_input_tokens"] > 0 for r in ok[1:])
    judge = ok[-1]
    assert "format" in judge.body["output_config"]
    assert "tools" not in judge.body and "tool_choice" not in judge.body


def test_a_429_burst_with_retry_after_still_completes(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.fail_next(5, status=429, retry_after=0.2)
    data = review_json(cli_env, "--depth", "quick")
    assert data["verdict"]["one_way_doors"]
    assert sum(r.status == 429 for r in fake_anthropic.requests) == 5


def test_overload_mid_stream_restarts_the_turn(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.fail_stream_next(1)
    data = review_json(cli_env, "--depth", "quick")
    assert len(data["turns"]) == 3


def test_spend_limit_is_not_retried(cli_env: dict[str, str], fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.fail_when(
        lambda _body: True, status=429, retry_after=0.1, error_code="enforced_spend_limit_reached"
    )
    result = run_cli(["review", str(PLAN)], cli_env)
    assert_one_line_error(result, "spend limit")
    assert result.code == 69
    assert len(fake_anthropic.requests) == 1


def test_wrong_key_is_one_line(cli_env: dict[str, str], fake_anthropic: FakeAnthropic) -> None:
    result = run_cli(["review", str(PLAN)], {**cli_env, "ANTHROPIC_API_KEY": "wrong"})
    assert_one_line_error(result, "ANTHROPIC_API_KEY")
    assert len(fake_anthropic.requests) == 1


def test_missing_key_says_what_to_set_before_any_call(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic
) -> None:
    env = {k: v for k, v in cli_env.items() if k != "ANTHROPIC_API_KEY"}
    result = run_cli(["review", str(PLAN)], env)
    assert_one_line_error(result, "ANTHROPIC_API_KEY is not set")
    assert result.code == 78
    assert fake_anthropic.requests == []


@pytest.mark.parametrize(
    ("make", "expected", "code"),
    [
        (lambda d: d / "missing.md", "no such file", 66),
        (lambda d: (d / "empty.md").write_text("  \n\n") and d / "empty.md", "empty", 66),
        (lambda d: (d / "blob.md").write_bytes(bytes(range(256)) * 40) and d / "blob.md", "binary", 66),
        (
            lambda d: (d / "x.xlsx").write_bytes(b"PK\x03\x04" + bytes(300)) and d / "x.xlsx",
            "unsupported",
            66,
        ),
    ],
)
def test_bad_documents_end_in_one_line_and_no_model_call(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic, tmp_path: Path, make, expected: str, code: int
) -> None:
    path = make(tmp_path)
    result = run_cli(["review", str(path)], cli_env)
    assert_one_line_error(result, expected)
    assert result.code == code
    assert fake_anthropic.requests == []


def test_unknown_persona_is_refused_before_reading(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic
) -> None:
    result = run_cli(["review", str(PLAN), "--personas", "skeptic,lawyer"], cli_env)
    assert_one_line_error(result, "unknown persona lawyer")
    assert result.code == 64
    assert fake_anthropic.requests == []


def test_custom_personas_focus_and_quick_depth(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic
) -> None:
    env = {**cli_env, "DOCDEBATE_PERSONAS_DIR": str(EXAMPLES / "personas")}
    data = review_json(
        env, "--personas", "skeptic,legal", "--focus", "the Stratus contract", "--depth", "quick"
    )
    assert data["personas"] == ["skeptic", "legal"]
    assert {(t["persona"], t["round"]) for t in data["turns"]} == {("skeptic", 0), ("legal", 0)}
    assert data["focus"] == "the Stratus contract"
    openings = [r for r in fake_anthropic.requests if r.status == 200 and r.body["max_tokens"] > 1][:2]
    assert all("the Stratus contract" in r.body["system"][1]["text"] for r in openings)
    assert any("Counsel" in r.body["system"][1]["text"] for r in openings)


def test_deep_debate_stops_early_when_nobody_disagrees(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic
) -> None:
    default = fake_anthropic.responder

    def agreeable(body: dict) -> object:
        reply = default(body)
        task = json.dumps(body["messages"])
        return f"{reply}\n\nNEW_DISAGREEMENTS: 0" if "Rebuttal round" in task else reply

    fake_anthropic.responder = agreeable
    data = review_json(cli_env, "--depth", "deep")
    assert sorted({t["round"] for t in data["turns"]}) == [0, 1]
    assert all(t["new_disagreements"] == 0 for t in data["turns"] if t["round"] == 1)
    assert all("NEW_DISAGREEMENTS" not in t["text"] for t in data["turns"])


def test_deep_debate_runs_two_rounds_when_the_panel_disagrees(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic
) -> None:
    data = review_json(cli_env, "--depth", "deep")
    assert sorted({t["round"] for t in data["turns"]}) == [0, 1, 2]


def test_markdown_report_to_a_file(cli_env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "review.md"
    result = run_cli(["review", str(PLAN), "--format", "md", "--out", str(out), "--depth", "quick"], cli_env)
    assert result.code == 0, result.stderr
    report = out.read_text()
    assert report.startswith("# Debate: ")
    for heading in (
        "## Verdict",
        "### One-way doors",
        "### Assumptions challenged",
        "## Transcript",
        "#### The Skeptic (skeptic)",
        "model calls",
    ):
        assert heading in report
    assert result.stdout == ""


def test_live_terminal_view_shows_turns_then_the_verdict(cli_env: dict[str, str]) -> None:
    result = run_cli(["review", str(EXAMPLES / "design-doc.md"), "--depth", "quick"], cli_env)
    assert result.code == 0, result.stderr
    out = result.stdout
    assert "Opening statements" in out
    positions = [out.find(title) for title in ("The Skeptic", "The Exec", "The Engineer")]
    assert all(p >= 0 for p in positions)
    assert out.find("Verdict") > max(positions)
    assert "One-way doors" in out and "model calls" in out


def test_web_page_source(cli_env: dict[str, str], fake_anthropic: FakeAnthropic, tmp_path: Path) -> None:
    """A URL is fetched (from a loopback page server here, so private URLs are allowed) and debated."""
    from tests.pages import serve_pages

    html = (
        "<html><head><title>Atlas RFC</title></head><body><nav>Home | Blog | Careers</nav><article>"
        "<h1>Atlas RFC</h1><p>We will delete the legacy billing data thirty days after the cut-over, once "
        "finance signs off on the reconciliation report for the first month.</p><p>Every customer gets an "
        "email on March 2 announcing that legacy plans end on June 1, with no exceptions for anyone.</p>"
        "</article><footer>Copyright ACME</footer></body></html>"
    )
    with serve_pages({"/rfc": ("text/html", html)}) as base:
        data = review_json(
            {**cli_env, "DOCDEBATE_ALLOW_PRIVATE_URLS": "true"}, "--depth", "quick", doc=f"{base}/rfc"
        )  # type: ignore[arg-type]
        refused = run_cli(["review", f"{base}/rfc"], cli_env)
    assert data["document"]["title"] == "Atlas RFC"
    cached = first_system_block(fake_anthropic.requests[0].body)["text"]
    assert "delete the legacy billing data" in cached and "Careers" not in cached
    assert_one_line_error(refused, "private")
    assert refused.code == 66


def test_personas_command_lists_builtins_and_custom(cli_env: dict[str, str]) -> None:
    result = run_cli(["personas"], {**cli_env, "DOCDEBATE_PERSONAS_DIR": str(EXAMPLES / "personas")})
    assert result.code == 0, result.stderr
    for name in ("skeptic", "exec", "engineer", "legal", "customer"):
        assert name in result.stdout
    assert "built-in" in result.stdout and "custom" in result.stdout


def test_runs_from_another_directory(cli_env: dict[str, str], tmp_path: Path) -> None:
    """Personas and prompts are found through the package, not the working directory."""
    result = run_cli(["review", str(PLAN), "--format", "json", "--depth", "quick"], cli_env, cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert {t["persona"] for t in json.loads(result.stdout)["turns"]} == set(PANEL)


def test_a_529_overload_storm_with_retry_after_still_completes(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.fail_next(5, status=529, retry_after=0.1)
    data = review_json(cli_env, "--depth", "quick")
    assert data["verdict"]["headline"]
    assert sum(r.status == 529 for r in fake_anthropic.requests) == 5
