"""Output safety: hostile titles, headings, model text, error messages and bare domains leave nothing live
in any field of any post, update, notice or App Home view (checked by `tests.live_links`, which is written
apart from `bot.posting.safety`)."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.debate.personas import DEFAULT_PANEL, load_personas, select_panel
from bot.errors import SourceError
from bot.models import (
    DebateResult,
    Digest,
    DigestResult,
    Document,
    Turn,
    Usage,
    Verdict,
)
from bot.posting import render
from bot.posting.safety import LinkPolicy, Mrkdwn, escape, fmt, link, safe_mrkdwn, strip_invisible, trusted
from tests.live_links import Allowed, describe, live_in_text, live_links, mrkdwn_without_verbatim

ROOT = Path(__file__).resolve().parent.parent
PANEL = select_panel(load_personas(), list(DEFAULT_PANEL))
DOC_LINK = "https://docs.example.com/plan"
REQUESTER = "U123"
ALLOWED = Allowed(links={DOC_LINK}, users={REQUESTER}, channels={"CROOM"})
NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
INVISIBLE = (
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u200b\u200c\u200d\u2060\ufeff"
)

HOSTILE = [
    "sign in again at https://evil.example/login to keep your account",
    "bare domain: evil.example/login, then evil.example and www.evil.example",
    "a stray ` backtick before evil.example/login and `https://evil.example/x` after",
    "``https://evil.example/a`` and ```evil.example/b``` `",
    "<!channel> <!here> <@U999BOSS> <!subteam^S1|@oncall> <#C0FFEE> <https://evil.example|click> <mailto:a@evil.example>",
    "[the plan](https://evil.example/p) and [evil.example](https://docs.example.com/plan)",
    "write to bob@evil.example or mailto:bob@evil.example; javascript:alert(1)",
    "look-alike dots: evil\u3002example and evil\uff0eexample/login; accents: cafe\u0301.example, ｅｖｉｌ.ｃｏｍ",
    "hidden: evil\u200b.example e\u2060vil.example/x ex\u200damp\u200ble.com and \u202elive.evil\u202c",
    "**evil.example** _www.evil.example_ ~evil.example~ *evil.example*",
    "ftp://files.evil.example/x and HTTPS://EVIL.EXAMPLE/Y and slack://open?team=T1",
    "# Heading at evil.example\nbody &amp; &lt;b&gt; text",
]


def _all(h: str) -> str:
    """Every hostile string in one, `h` first (for fields that show one line)."""
    return " | ".join([h, *HOSTILE])


# ---- the checker itself sees what Slack would link ----


@pytest.mark.parametrize("hostile", HOSTILE)
def test_the_checker_finds_what_slack_would_make_live(hostile: str) -> None:
    assert live_in_text(hostile, ALLOWED), hostile


def test_the_checker_lets_code_made_markup_through() -> None:
    made = f"<{DOC_LINK}|the plan> by <@{REQUESTER}> in <#CROOM> at <!date^1700000000^{{time}}|10:00 UTC>"
    assert live_in_text(made, ALLOWED) == []
    assert live_in_text(made, Allowed()) != []


# ---- the one rendering path ----


@pytest.mark.parametrize("hostile", HOSTILE)
def test_untrusted_text_is_inert_through_escape_and_safe_mrkdwn(hostile: str) -> None:
    for out in (escape(hostile), safe_mrkdwn(hostile, LinkPolicy(DOC_LINK))):
        assert isinstance(out, Mrkdwn)
        assert live_in_text(out, ALLOWED) == [], out


def test_a_defanged_link_still_reads_as_the_link_it_was() -> None:
    assert escape("https://evil.example/login") == "https[:]//evil[.]example/login"
    assert escape("go to evil.example/login") == "go to evil[.]example/login"
    assert escape("www.evil.example") == "www[.]evil[.]example"
    assert escape("bob@evil.co.uk") == "bob@evil[.]co[.]uk"
    assert escape("mailto:bob@evil.example") == "mailto[:]bob@evil[.]example"
    assert escape("`https://evil.example`") == "`https[:]//evil[.]example`"
    assert escape("cafe\u0301.example ｅｖｉｌ.ｃｏｍ") == "cafe\u0301[.]example ｅｖｉｌ[.]ｃｏｍ"


def test_ordinary_prose_and_numbers_are_left_alone() -> None:
    prose = "e.g. the plan, i.e. v1.2.3 costs $1.5m (3.14x) in the U.S. — 10:30. End.Next"
    assert escape(prose) == prose.replace("End.Next", "End[.]Next")


def test_escaping_still_defeats_every_mention_form() -> None:
    out = escape("<!channel> <!here> <@U1> <!subteam^S1|@t> <#C1> <https://evil.example|x> a & b")
    assert "<" not in out and ">" not in out
    assert out.startswith("&lt;!channel&gt; &lt;!here&gt; &lt;@U1&gt;") and out.endswith("a &amp; b")


def test_bidirectional_and_zero_width_characters_are_stripped_first() -> None:
    assert strip_invisible(f"a{INVISIBLE}b") == "ab"
    assert escape(f"evil{INVISIBLE}.example") == "evil[.]example"
    assert not set(INVISIBLE) & set(
        safe_mrkdwn(f"x{INVISIBLE}y https://evil{INVISIBLE}.example", LinkPolicy())
    )
    assert escape("tab\tand\nnewline\x00\x1b[31m") == "tab\tand\nnewline[31m"


def test_only_the_documents_own_link_stays_clickable() -> None:
    out = safe_mrkdwn(
        f"See {DOC_LINK}. Not https://evil.example/x nor [win](https://evil.example/p).", LinkPolicy(DOC_LINK)
    )
    assert f"<{DOC_LINK}>." in out, "the link, its full stop outside it"
    assert "https[:]//evil[.]example/x" in out and "win (https[:]//evil[.]example/p)" in out
    assert live_in_text(out, ALLOWED) == []
    assert live_in_text(out, Allowed()) != [], "the document's own link is live"


def test_fmt_escapes_strings_and_keeps_safe_parts() -> None:
    assert (
        fmt("*{}* {} {:.2f}", "<!here> evil.example", trusted(":door:"), 1.5)
        == "*&lt;!here&gt; evil[.]example* :door: 1.50"
    )
    assert (
        link("https://docs.example.com/a?b=1&c=2|x", "evil.example")
        == "<https://docs.example.com/a?b=1&amp;c=2%7Cx|evil[.]example>"
    )
    assert link("javascript:alert(1)//evil.example") == "javascript[:]alert(1)//evil[.]example"


def test_safe_text_survives_the_workflow_engine() -> None:
    post = render.notice(fmt("x {}", "evil.example"))
    again = pickle.loads(pickle.dumps(post))
    assert again == post and isinstance(again.text, Mrkdwn)


# ---- every post, update, notice and view ----


def _quote(text: str, section: str) -> dict[str, Any]:
    return {"text": text, "verified": True, "section": section}


def _hostile_verdict(h: str) -> Verdict:
    door = {
        "decision": h,
        "quote": _quote(h, h),
        "why_hard_to_reverse": h,
        "cost_to_reverse": h,
        "time_to_reverse": h,
        "blast_radius": h,
        "make_it_two_way": h,
        "raised_by": ["evil.example", h],
        "endorsed_by": [h],
        "confidence": 80,  # the verification pass's fields: model text too
        "reversal_case": h,
        "checked_by": h,
    }
    assumption = {"assumption": h, "quote": _quote(h, h), "challenge": h, "raised_by": [h], "endorsed_by": []}
    return Verdict.model_validate(
        {
            "headline": h,
            "assumptions": [assumption],
            "one_way_doors": [door, {**door, "quote": {"text": h}}],
            "probably_reversible": [{**door, "confidence": 10}],
            "disagreements": [{"topic": h, "sides": [{"position": h, "held_by": [h]}]}],
            "open_questions": [h],
            "next_steps": [h],
        }
    )


def _result(h: str) -> DebateResult:
    return DebateResult(
        document=Document(title=h, source=DOC_LINK, text="x"),
        personas=["skeptic"],
        depth="quick",
        model=h,
        judge_model="m",
        turns=[Turn(persona="skeptic", round=0, text=h)],
        verdict=_hostile_verdict(h),
        usage=Usage(calls=2, cost_usd=0.1),
    )


def _every_payload(h: str) -> list[Any]:
    """Every kind of thing the bot sends to Slack, carrying `h` in every untrusted field."""
    from bot.posting.wording import RESTRICTED_WARNING, slack_failure
    from bot.slack.admission import error_text
    from bot.slack.listeners.digests import USAGE

    links = LinkPolicy(DOC_LINK)
    result = _result(h)
    redirect = SourceError(f"page not found (HTTP 404): check the link http://evil.example/missing?{h}.")
    digest = DigestResult(
        document=Document(title=h, source=DOC_LINK, text="x"),
        model="m",
        digest=Digest(
            tldr=h,
            decisions=[h],
            one_way_doors=[
                {"decision": h, "quote": _quote(h, h), "why_hard_to_reverse": h, "make_it_two_way": h}
            ],
            assumptions=[{"assumption": h, "quote": _quote(h, h), "challenge": h}],
            questions=[h],
        ),
        usage=Usage(),
        changed_since=NOW,
    )
    posts = [
        render.root_post(h, DOC_LINK, REQUESTER, PANEL, "quick", h, render.root_done_status(result)),
        *render.turn_posts(PANEL[0], 1, h * 40, links),
        *render.turn_posts(PANEL[0], 1, h, links, live=True),
        render.thinking_post(PANEL[0], 0, fmt(":hourglass: {}", h)),
        *render.summary_posts(result, links),
        *render.digest_posts(digest, DOC_LINK, h, NOW),
        *render.digest_posts(digest, DOC_LINK, None, None),
        render.notice(fmt(":warning: I couldn't start the debate: {}", redirect.message)),
        render.notice(fmt("Could not finish the debate: {}", redirect.message)),
        render.notice(slack_failure(h)),
        render.notice(fmt(":lock: {}", RESTRICTED_WARNING), ""),
        render.notice(error_text(redirect)),
        render.notice(fmt(":alarm_clock: {}\n{}", h, USAGE)),
    ]
    home = render.home_view(
        PANEL,
        [
            render.recent_debate(h, DOC_LINK, "done", h, "CROOM", NOW),
            render.recent_debate(None, DOC_LINK, "running", None, "CROOM", NOW),
            render.recent_debate(h, "(this thread's debate)", "failed", h, h, NOW),
        ],
        [render.scheduled_digest(DOC_LINK, "CROOM", NOW)],
    )
    return [{"text": p.text, "blocks": p.blocks} for p in posts] + [home]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_no_field_of_any_post_or_view_holds_a_live_foreign_link(hostile: str) -> None:
    payloads = _every_payload(_all(hostile))
    findings = live_links(payloads, ALLOWED)
    assert findings == [], describe(findings)
    assert mrkdwn_without_verbatim(payloads) == []


def test_code_made_mentions_dates_and_the_doc_link_still_work() -> None:
    text = json.dumps(_every_payload("plain"))
    assert f"<@{REQUESTER}>" in text, "the requester is mentioned"
    assert f"<{DOC_LINK}|plain>" in text, "the root links the document under its title"
    assert "<!date^" in text and "<#CROOM>" in text
    assert ":white_check_mark:" in text and "&lt;link&gt;" in text


def test_every_fallback_text_is_rendered_like_its_blocks() -> None:
    for payload in _every_payload(_all("https://evil.example")):
        if "text" in payload:
            assert isinstance(payload["text"], Mrkdwn)
            assert live_in_text(payload["text"], ALLOWED) == [], payload["text"]


def test_a_raw_string_cannot_reach_a_block_builder(tmp_path: Path) -> None:
    """The builders take `Mrkdwn` only: mypy refuses a raw `str` (so untrusted text cannot skip safety)."""
    snippet = tmp_path / "mistake.py"
    snippet.write_text(
        textwrap.dedent(
            """
            from bot.posting import render
            from bot.posting.safety import escape

            def show(title: str) -> None:
                render.section(escape(title))  # fine
                render.notice(f"Could not read {title}")  # the mistake
            """
        )
    )
    mypy = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--follow-imports=silent",
            str(snippet),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert mypy.returncode == 1, mypy.stdout + mypy.stderr
    assert 'Argument 1 to "notice" has incompatible type "str"; expected "Mrkdwn"' in mypy.stdout
    assert mypy.stdout.count("error:") == 1, mypy.stdout


def test_help_texts_hold_no_raw_markup() -> None:
    """`<doc link>` typed raw in a help text is Slack link markup, not the words; the bot's own texts escape it."""
    from bot.slack import parsing
    from bot.slack.listeners import digests

    for text in (parsing.USAGE, digests.USAGE, render.HOW_TO):
        assert "<" not in text and ">" not in text and "&lt;" in text, text
