"""Pure pieces of the Slack app: parsing what users type, output safety, Block Kit within limits."""

import json

import pytest

from bot.debate.personas import DEFAULT_PANEL, load_personas, select_panel
from bot.models import (
    Assumption,
    Depth,
    Digest,
    DigestDoor,
    DigestResult,
    Document,
    Quote,
    Turn,
    Usage,
    Verdict,
)
from bot.posting import render
from bot.posting.safety import LinkPolicy, escape, safe_mrkdwn
from bot.slack.parsing import UsageError, links_in, message_links, parse_command, strip_mentions

PANEL = select_panel(load_personas(), list(DEFAULT_PANEL))
DOC_LINK = "https://docs.example.com/plan"


# ---- parsing ----


def test_command_with_slack_link_focus_and_options() -> None:
    args = parse_command(
        "<https://x.io/a?b=1|Plan> pricing and the rollout --personas skeptic,Legal --depth=deep"
    )
    assert args.link == "https://x.io/a?b=1"
    assert args.focus == "pricing and the rollout"
    assert args.personas == ["skeptic", "legal"]
    assert args.depth is Depth.DEEP and not args.help


def test_command_with_a_bare_link_and_smart_quotes() -> None:
    args = parse_command("https://x.io/doc \u201cthe contract\u201d -d quick")
    assert (args.link, args.focus, args.depth) == ("https://x.io/doc", "the contract", Depth.QUICK)


@pytest.mark.parametrize("text", ["", "help", "  HELP "])
def test_help(text: str) -> None:
    assert parse_command(text).help


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x --depth huge", "quick, standard or deep"),
        ("x --colour red", "unknown option"),
        ("<https://a.b> --personas", "needs a value"),
    ],
)
def test_bad_commands_say_how(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_command(text)


def test_links_in_message_text_and_blocks() -> None:
    message = {
        "text": "see <https://a.example/x|the plan> and https://b.example/y. <@U1>",
        "blocks": [
            {
                "type": "rich_text",
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [
                            {"type": "link", "url": "https://c.example/z"},
                            {"type": "link", "url": "mailto:x@y.z"},
                        ],
                    }
                ],
            }
        ],
    }
    assert message_links(message) == ["https://a.example/x", "https://b.example/y", "https://c.example/z"]
    assert links_in("no links here") == []


def test_mention_text_becomes_the_question() -> None:
    assert strip_mentions("<@UBOT>   what about   <https://x.io|pricing>?") == "what about ?"


# ---- safety ----


def test_escape_defeats_every_mention_form() -> None:
    hostile = "<!channel> <!here> <@U123> <!subteam^S1|@team> <https://evil.example|click>"
    out = safe_mrkdwn(hostile, LinkPolicy())
    assert "<" not in out and ">" not in out
    assert "&lt;!channel&gt;" in out


def test_only_the_documents_own_link_stays_clickable() -> None:
    policy = LinkPolicy(DOC_LINK)
    out = safe_mrkdwn(f"See {DOC_LINK} and https://evil.example/x and [win](https://evil.example/p).", policy)
    assert f"<{DOC_LINK}>" in out
    assert "https[:]//evil[.]example/x" in out and "<https://evil.example" not in out
    assert "win (https[:]//evil[.]example/p)" in out


def test_markdown_emphasis_and_headings_become_mrkdwn() -> None:
    assert safe_mrkdwn("## Risks\n**big** & small", LinkPolicy()) == "*Risks*\n*big* &amp; small"


def test_escape() -> None:
    assert escape("a<b>&c") == "a&lt;b&gt;&amp;c"


# ---- rendering ----


def _blocks_within_limits(post: render.Post) -> None:
    assert len(post.blocks) <= 50
    for block in post.blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150


def test_a_huge_turn_is_split_across_blocks_and_posts() -> None:
    text = ("A paragraph about risk. " * 60 + "\n\n") * 120  # ~170k characters
    posts = render.turn_posts(PANEL[0], 1, text, LinkPolicy())
    assert len(posts) > 1
    for post in posts:
        _blocks_within_limits(post)
    joined = " ".join(b["text"]["text"] for p in posts for b in p.blocks[1 if p is posts[0] else 0 :])
    assert joined.count("A paragraph about risk.") == 60 * 120


def test_split_text_prefers_paragraphs() -> None:
    pieces = render.split_text("a" * 50 + "\n\n" + "b" * 50, limit=60)
    assert pieces == ["a" * 50, "b" * 50]


def _verdict(n: int) -> Verdict:
    door = {
        "decision": "Delete <!channel> data",
        "quote": {"text": "we will delete"},
        "why_hard_to_reverse": "w",
        "cost_to_reverse": "c",
        "time_to_reverse": "t",
        "blast_radius": "b",
        "make_it_two_way": "m",
        "raised_by": ["skeptic"],
        "endorsed_by": ["exec"],
    }
    return Verdict.model_validate(
        {
            "headline": "Do not <@U1> ship",
            "assumptions": [],
            "one_way_doors": [door] * n,
            "disagreements": [],
            "open_questions": ["q"],
            "next_steps": ["s"],
        }
    )


def test_summary_of_a_long_verdict_spans_posts_and_stays_safe() -> None:
    from bot.models import DebateResult

    result = DebateResult(
        document=Document(title="T", source=DOC_LINK, text="x"),
        personas=["skeptic"],
        depth=Depth.STANDARD,
        model="m",
        judge_model="m",
        turns=[Turn(persona="skeptic", round=0, text="t")],
        verdict=_verdict(80),
        usage=Usage(calls=2, cost_usd=0.1, uncached_cost_usd=0.3),
    )
    posts = render.summary_posts(result, LinkPolicy())
    assert len(posts) >= 2
    for post in posts:
        _blocks_within_limits(post)
        dumped = json.dumps(post.blocks) + post.text
        assert "<!channel>" not in dumped and "<@U1>" not in dumped
    assert "unverified" in json.dumps(posts[0].blocks)


def test_unverified_and_verified_quotes_are_marked() -> None:
    verdict = _verdict(1)
    verdict.one_way_doors[0].quote = Quote(text="we will delete", verified=True, section="Rollout")
    text = json.dumps(render.verdict_blocks(verdict, LinkPolicy()))
    assert "verified" in text and "Rollout" in text and "unverified" not in text


def _assumption(raised_by: list[str], endorsed_by: list[str]) -> dict[str, object]:
    return {
        "assumption": "Users want it",
        "quote": {"text": "we will delete"},
        "challenge": "ask them",
        "raised_by": raised_by,
        "endorsed_by": endorsed_by,
    }


def _texts(blocks: list[render.Block]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


def test_every_finding_says_who_raised_and_endorsed_it_and_the_judge_when_no_one_did() -> None:
    verdict = _verdict(1)
    verdict.assumptions = [
        Assumption.model_validate(_assumption(["legal"], ["skeptic", "exec"])),
        Assumption.model_validate(_assumption([], [])),
    ]
    texts = _texts(render.verdict_blocks(verdict, LinkPolicy()))
    assert texts[2].startswith("*1. Delete &lt;!channel&gt; data* (raised by skeptic; endorsed by exec)\n")
    assert texts[4].startswith("*1. Users want it* (raised by legal; endorsed by skeptic, exec)\n")
    assert texts[5].startswith("*2. Users want it* (raised by the judge)\n")


def test_a_digest_door_reads_like_a_verdict_door_without_who_and_what_reversing_takes() -> None:
    door = _verdict(1).one_way_doors[0]
    digest = DigestResult(
        document=Document(title="T", source=DOC_LINK, text="x"),
        model="m",
        digest=Digest(
            tldr="t",
            decisions=[],
            one_way_doors=[DigestDoor.model_validate(door.model_dump())],
            assumptions=[],
            questions=[],
        ),
        usage=Usage(),
    )
    digest_door = _texts(render.digest_posts(digest, DOC_LINK, None, None)[0].blocks)[2]
    verdict_door = _texts(render.verdict_blocks(_verdict(1), LinkPolicy()))[2]
    assert digest_door == (
        "*1. Delete &lt;!channel&gt; data*\n> we will delete\n:warning: not found in the doc: unverified\n"
        "• *Why it is hard to reverse:* w\n• *Make it two-way:* m"
    )
    assert verdict_door == (
        "*1. Delete &lt;!channel&gt; data* (raised by skeptic; endorsed by exec)\n> we will delete\n"
        ":warning: not found in the doc: unverified\n• *Why it is hard to reverse:* w\n"
        "• *To reverse:* c; t\n• *Blast radius:* b\n• *Make it two-way:* m"
    )
