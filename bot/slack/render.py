"""Block Kit for every message docdebate posts, within Slack's limits.

All untrusted text (document titles, model output, user focus text) goes through `bot.slack.safety` here;
nothing else builds message text. A message is a `Post` (fallback text + blocks); long content becomes
several posts rather than failing with `msg_too_long` or `invalid_blocks`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.debate.report import round_title, usage_line
from bot.depth import Depth
from bot.models import DebateResult, DigestResult, OneWayDoor, Persona, Quote, Verdict
from bot.quotas import slack_time
from bot.slack.safety import LinkPolicy, escape, safe_mrkdwn

Block = dict[str, Any]
SECTION_LIMIT = 2900  # Slack: 3000 characters in a section's text
BLOCKS_PER_POST = 45  # Slack: 50 blocks a message
HEADER_LIMIT = 150
FALLBACK_LIMIT = 3500


@dataclass
class Post:
    text: str  # notification / screen-reader fallback
    blocks: list[Block] = field(default_factory=list)


def section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def context(mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn}]}


def header(text: str) -> Block:
    plain = text if len(text) <= HEADER_LIMIT else text[: HEADER_LIMIT - 1] + "…"
    return {"type": "header", "text": {"type": "plain_text", "text": plain, "emoji": True}}


DIVIDER: Block = {"type": "divider"}


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraph, then line, then word boundaries."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = max(rest.rfind("\n\n", 0, limit), rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit))
        cut = cut if cut > limit // 3 else limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*pieces, rest] if rest else pieces


def paginate(blocks: list[Block], text: str) -> list[Post]:
    """Blocks spread over as many posts as Slack's block limit needs."""
    chunks = [blocks[i : i + BLOCKS_PER_POST] for i in range(0, len(blocks), BLOCKS_PER_POST)] or [[]]
    return [Post(text if i == 0 else f"{text} (continued)", chunk) for i, chunk in enumerate(chunks)]


def persona_label(persona: Persona) -> str:
    return f"{persona.emoji} {escape(persona.title)}"


# ---- the root message ----


def root_post(
    title: str, link: str, requester: str, panel: list[Persona], depth: Depth, focus: str | None, status: str
) -> Post:
    safe_title = escape(title)
    lines = [
        f":speech_balloon: *Debate: <{escape(link)}|{safe_title}>*",
        f"Asked by <@{requester}> · panel: {', '.join(persona_label(p) for p in panel)} · depth: {depth}",
    ]
    if focus:
        lines.append(f"Focus: _{escape(focus)}_")
    return Post(f"Debate: {safe_title}", [section("\n".join(lines)), context(status)])


def root_done_status(result: DebateResult, thread_hint: bool = True) -> str:
    v = result.verdict
    counts = f"{len(v.one_way_doors)} one-way doors · {len(v.assumptions)} assumptions challenged"
    hint = " · the debate and the verdict are in the thread" if thread_hint else ""
    return f":white_check_mark: *{escape(v.headline)}*\n{counts} · ${result.usage.cost_usd:.2f}{hint}"


# ---- persona turns ----


def turn_posts(persona: Persona, round_: int, text: str, links: LinkPolicy, live: bool = False) -> list[Post]:
    """A persona's turn; `live` marks a turn still being written."""
    heading = f"*{persona_label(persona)}* · {round_title(round_).lower()}" + (
        " · _writing…_" if live else ""
    )
    body = safe_mrkdwn(text, links) if text.strip() else "_thinking…_"
    blocks = [section(heading)] + [section(piece) for piece in split_text(body)]
    return paginate(blocks, f"{persona.title}: {escape(text[:FALLBACK_LIMIT]) or 'thinking…'}")


def thinking_post(persona: Persona, round_: int, status: str = "_thinking…_") -> Post:
    """A persona's message before its text arrives; `status` (code-made mrkdwn) says what it waits for."""
    return Post(
        f"{escape(persona.title)} is thinking…",
        [section(f"*{persona_label(persona)}* · {round_title(round_).lower()}"), context(status)],
    )


# ---- the verdict ----


def _quote(quote: Quote, links: LinkPolicy) -> str:
    mark = ":white_check_mark: verified" if quote.verified else ":warning: not found in the doc: unverified"
    where = f" in _{escape(quote.section)}_" if quote.verified and quote.section else ""
    return f"> {safe_mrkdwn(quote.text, links)}\n{mark}{where}"


def _who(names: Iterable[str]) -> str:
    return ", ".join(escape(n) for n in names) or "the judge"


def _door(i: int, door: OneWayDoor, links: LinkPolicy) -> str:
    s = links
    return (
        f"*{i}. {safe_mrkdwn(door.decision, s)}* (raised by {_who(door.raised_by)}"
        + (f"; endorsed by {_who(door.endorsed_by)}" if door.endorsed_by else "")
        + f")\n{_quote(door.quote, s)}\n"
        f"• *Why it is hard to reverse:* {safe_mrkdwn(door.why_hard_to_reverse, s)}\n"
        f"• *To reverse:* {safe_mrkdwn(door.cost_to_reverse, s)}; {safe_mrkdwn(door.time_to_reverse, s)}\n"
        f"• *Blast radius:* {safe_mrkdwn(door.blast_radius, s)}\n"
        f"• *Make it two-way:* {safe_mrkdwn(door.make_it_two_way, s)}"
    )


def verdict_blocks(verdict: Verdict, links: LinkPolicy) -> list[Block]:
    s = links
    blocks: list[Block] = [header("Verdict"), section(f"*{safe_mrkdwn(verdict.headline, s)}*"), DIVIDER]
    blocks.append(section(f":door: *One-way doors ({len(verdict.one_way_doors)})*"))
    blocks += [
        section(piece) for i, d in enumerate(verdict.one_way_doors, 1) for piece in split_text(_door(i, d, s))
    ]
    if not verdict.one_way_doors:
        blocks.append(context("None found: everything here looks reversible."))
    blocks += [DIVIDER, section(f":thinking_face: *Assumptions challenged ({len(verdict.assumptions)})*")]
    for i, a in enumerate(verdict.assumptions, 1):
        text = (
            f"*{i}. {safe_mrkdwn(a.assumption, s)}* (raised by {_who(a.raised_by)})\n{_quote(a.quote, s)}\n"
            f"{safe_mrkdwn(a.challenge, s)}"
        )
        blocks += [section(piece) for piece in split_text(text)]
    if verdict.disagreements:
        lines = [
            f"• *{safe_mrkdwn(d.topic, s)}*: "
            + "; ".join(f"{safe_mrkdwn(side.position, s)} ({_who(side.held_by)})" for side in d.sides)
            for d in verdict.disagreements
        ]
        blocks += [DIVIDER, section(":crossed_swords: *Where the panel disagrees*")]
        blocks += [section(piece) for piece in split_text("\n".join(lines))]
    for emoji, title, items in (
        (":question:", "Open questions", verdict.open_questions),
        (":arrow_forward:", "Next steps", verdict.next_steps),
    ):
        if items:
            text = f"{emoji} *{title}*\n" + "\n".join(f"• {safe_mrkdwn(item, s)}" for item in items)
            blocks += [section(piece) for piece in split_text(text)]
    return blocks


def summary_posts(result: DebateResult, links: LinkPolicy) -> list[Post]:
    blocks = verdict_blocks(result.verdict, links)
    blocks.append(context(f"{usage_line(result.usage)} · {escape(result.model)}"))
    return paginate(blocks, f"Verdict: {escape(result.verdict.headline)}")


# ---- the pre-meeting digest ----


def _bullets(emoji: str, title: str, items: list[str], links: LinkPolicy) -> list[Block]:
    if not items:
        return []
    text = f"{emoji} *{title}*\n" + "\n".join(f"• {safe_mrkdwn(item, links)}" for item in items)
    return [section(piece) for piece in split_text(text)]


def digest_posts(result: DigestResult, link: str, meeting: str | None, starts: datetime | None) -> list[Post]:
    """The silent-read digest: what the meeting decides, its one-way doors, what to challenge and ask."""
    s = LinkPolicy(link, result.document.source)
    digest = result.digest
    title = result.document.title
    when = f" · starts {slack_time(starts, with_day=True)}" if starts else ""
    blocks: list[Block] = [
        header(f"Silent read: {meeting or title}"),
        context(f":page_facing_up: {s.render(link, title)}{when} · a five-minute read"),
        section(f"*TL;DR* {safe_mrkdwn(digest.tldr, s)}"),
    ]
    blocks += _bullets(":ballot_box_with_check:", "What the meeting is asked to decide", digest.decisions, s)
    if digest.one_way_doors:
        blocks.append(section(f":door: *One-way doors ({len(digest.one_way_doors)})*"))
        for i, door in enumerate(digest.one_way_doors, 1):
            text = (
                f"*{i}. {safe_mrkdwn(door.decision, s)}*\n{_quote(door.quote, s)}\n"
                f"• *Why it is hard to reverse:* {safe_mrkdwn(door.why_hard_to_reverse, s)}\n"
                f"• *Make it two-way:* {safe_mrkdwn(door.make_it_two_way, s)}"
            )
            blocks += [section(piece) for piece in split_text(text)]
    else:
        blocks.append(context(":door: No one-way doors found: everything here looks reversible."))
    if digest.assumptions:
        blocks.append(section(":thinking_face: *Assumptions worth challenging*"))
        for a in digest.assumptions:
            text = f"• *{safe_mrkdwn(a.assumption, s)}*\n{_quote(a.quote, s)}\n{safe_mrkdwn(a.challenge, s)}"
            blocks += [section(piece) for piece in split_text(text)]
    blocks += _bullets(":raising_hand:", "Come prepared with", digest.questions, s)
    if result.changed_since:
        blocks.append(
            context(
                f":arrows_counterclockwise: *The doc changed since the panel debated it* "
                f"({slack_time(result.changed_since, with_day=True)}): that debate read an earlier version."
            )
        )
    blocks.append(context(f"Want the full debate? `/debate {escape(link)}` · {usage_line(result.usage)}"))
    return paginate(
        blocks, f"Silent read: {escape(meeting or title)}: {escape(digest.tldr[:FALLBACK_LIMIT])}"
    )


def scheduled_digest(link: str, channel_id: str | None, due_at: datetime) -> str:
    """One digest someone scheduled, as `/debate schedule list` and the App Home show it."""
    return f"<{escape(link)}> in <#{channel_id}> at {slack_time(due_at, with_day=True)}"


# ---- errors and notices ----


def notice(text: str, emoji: str = ":warning:") -> Post:
    """A short message (errors, refusals); `text` is code-made and may carry safe mrkdwn already."""
    return Post(text, [section(f"{emoji} {text}".strip())])


# ---- App Home ----

HOW_TO = (
    "*Pressure-test a doc before the meeting.* docdebate's panel debates it, challenges its assumptions and "
    "names its *one-way doors*: decisions that are costly or impossible to reverse.\n\n"
    "• `/debate <link> [focus]` in a channel: options `--personas skeptic,legal`, `--depth quick|standard|deep`\n"
    "• Mention `@docdebate` in a thread where a doc is linked; mention it again with a question to follow up\n"
    "• *Debate this doc* in a message's ⋯ menu\n"
    "• `/debate digest <link>` or `/debate schedule <link> tomorrow 9:30`: a silent-read digest before a meeting\n"
    "• `/debate help` for the details"
)


def home_view(
    personas: list[Persona], recent: list[tuple[str, str, str]], upcoming: list[str] | None = None
) -> dict[str, Any]:
    """`recent`: (title, status line, permalink-ish channel reference) of the user's latest debates;
    `upcoming`: a line (safe mrkdwn) per digest the user has scheduled."""
    blocks: list[Block] = [
        header("docdebate"),
        section(HOW_TO),
        DIVIDER,
        section("*The panel you can call on*"),
    ]
    for p in personas:
        blocks.append(context(f"{persona_label(p)} (`{escape(p.name)}`): {escape(p.focus)}"))
    blocks += [DIVIDER, section("*Your recent debates*")]
    if not recent:
        blocks.append(context("None yet. Try `/debate <link>` in a channel."))
    for title, status, where in recent[:15]:
        blocks.append(section(f"*{escape(title)}*\n{status} · {where}"))
    if upcoming:
        blocks += [DIVIDER, section("*Your scheduled digests*"), *(context(line) for line in upcoming[:10])]
    return {"type": "home", "blocks": blocks[:100]}
