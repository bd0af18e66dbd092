"""Block Kit for every message docdebate posts, within Slack's limits.

Every readable field is `bot.posting.safety.Mrkdwn`: the block builders here (`section`, `context`,
`header`, `Post`) take nothing else, so untrusted text (document titles and headings, model output, user
focus text, error messages) reaches Slack only through `bot.posting.safety` (mypy checks it). Every mrkdwn
text object sets `verbatim`, so Slack links and mentions only what code wrote as `<…>`. A message is a
`Post` (fallback text + blocks); long content becomes several posts rather than failing with
`msg_too_long` or `invalid_blocks`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.debate.report import (
    RELATIONS,
    attribution,
    changes_line,
    check_line,
    current_marks,
    finding_label,
    rereview_tally,
    round_title,
    usage_line,
    who,
)
from bot.depth import Depth
from bot.models import (
    DebateResult,
    DigestDoor,
    DigestResult,
    FindingStatus,
    LedgerEntry,
    OneWayDoor,
    Persona,
    Quote,
    RelatedDecision,
    ReReview,
    Verdict,
)
from bot.posting import feedback, ledger
from bot.posting.safety import (
    LinkPolicy,
    Mrkdwn,
    channel,
    escape,
    fmt,
    join,
    link,
    mention,
    pieces,
    safe_mrkdwn,
    truncate,
    trusted,
)
from bot.quotas import slack_time

Block = dict[str, Any]
SECTION_LIMIT = 2900  # Slack: 3000 characters in a section's text
BLOCKS_PER_POST = 45  # Slack: 50 blocks a message
HEADER_LIMIT = 150
FALLBACK_LIMIT = 3500


@dataclass
class Post:
    text: Mrkdwn  # notification / screen-reader fallback: escaped and defanged like the blocks
    blocks: list[Block] = field(default_factory=list)


def _mrkdwn(text: Mrkdwn) -> dict[str, Any]:
    """A mrkdwn text object; `verbatim`: Slack auto-links and auto-mentions nothing in it."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def section(text: Mrkdwn) -> Block:
    return {"type": "section", "text": _mrkdwn(text)}


def context(text: Mrkdwn) -> Block:
    return {"type": "context", "elements": [_mrkdwn(text)]}


def header(text: Mrkdwn) -> Block:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(text, HEADER_LIMIT), "emoji": True},
    }


DIVIDER: Block = {"type": "divider"}


def split_text(text: Mrkdwn, limit: int = SECTION_LIMIT) -> list[Mrkdwn]:
    """Pieces of at most `limit` characters, cut at paragraph, then line, then word boundaries."""
    return pieces(text, limit)


def paginate(blocks: list[Block], text: Mrkdwn) -> list[Post]:
    """Blocks spread over as many posts as Slack's block limit needs."""
    chunks = [blocks[i : i + BLOCKS_PER_POST] for i in range(0, len(blocks), BLOCKS_PER_POST)] or [[]]
    return [Post(text if i == 0 else fmt("{} (continued)", text), chunk) for i, chunk in enumerate(chunks)]


def persona_label(persona: Persona) -> Mrkdwn:
    return fmt("{} {}", persona.emoji, persona.title)


# ---- the root message ----


def root_post(
    title: str,
    doc_link: str,
    requester: str,
    panel: list[Persona],
    depth: Depth,
    focus: str | None,
    status: Mrkdwn,
) -> Post:
    lines = [
        fmt(":speech_balloon: *Debate: {}*", link(doc_link, title)),
        fmt(
            "Asked by {} · panel: {} · depth: {}",
            mention(requester),
            join(", ", (persona_label(p) for p in panel)),
            str(depth),
        ),
    ]
    if focus:
        lines.append(fmt("Focus: _{}_", focus))
    return Post(fmt("Debate: {}", title), [section(join("\n", lines)), context(status)])


def root_done_status(result: DebateResult, thread_hint: bool = True) -> Mrkdwn:
    v = result.verdict
    counts = f"{len(v.one_way_doors)} one-way doors · {len(v.assumptions)} assumptions challenged"
    hint = " · the debate and the verdict are in the thread" if thread_hint else ""
    return fmt(":white_check_mark: *{}*\n{} · ${:.2f}{}", v.headline, counts, result.usage.cost_usd, hint)


# ---- persona turns ----


def turn_posts(persona: Persona, round_: int, text: str, links: LinkPolicy, live: bool = False) -> list[Post]:
    """A persona's turn; `live` marks a turn still being written."""
    heading = fmt(
        "*{}* · {}{}",
        persona_label(persona),
        round_title(round_).lower(),
        trusted(" · _writing…_" if live else ""),
    )
    body = safe_mrkdwn(text, links) if text.strip() else trusted("_thinking…_")
    blocks = [section(heading)] + [section(piece) for piece in split_text(body)]
    preview = safe_mrkdwn(text[:FALLBACK_LIMIT], links) if text.strip() else trusted("thinking…")
    return paginate(blocks, fmt("{}: {}", persona.title, preview))


def thinking_post(persona: Persona, round_: int, status: Mrkdwn | None = None) -> Post:
    """A persona's message before its text arrives; `status` says what it waits for."""
    return Post(
        fmt("{} is thinking…", persona.title),
        [
            section(fmt("*{}* · {}", persona_label(persona), round_title(round_).lower())),
            context(status or trusted("_thinking…_")),
        ],
    )


# ---- the verdict ----


def _quote(quote: Quote, links: LinkPolicy) -> Mrkdwn:
    mark = trusted(
        ":white_check_mark: verified" if quote.verified else ":warning: not found in the doc: unverified"
    )
    where = fmt(" in _{}_", quote.section) if quote.verified and quote.section else trusted("")
    return fmt("> {}\n{}{}", safe_mrkdwn(quote.text, links), mark, where)


def _door(i: int, door: OneWayDoor | DigestDoor, s: LinkPolicy, mark: Mrkdwn | None = None) -> Mrkdwn:
    title = fmt("*{}. {}*{}", i, safe_mrkdwn(door.decision, s), mark or trusted(""))
    reversing: list[Mrkdwn] = []
    if isinstance(door, OneWayDoor):  # the verdict's: who raised it, and what reversing it takes
        title = fmt("{} ({})", title, attribution(door))
        reversing = [
            fmt(
                "• *To reverse:* {}; {}",
                safe_mrkdwn(door.cost_to_reverse, s),
                safe_mrkdwn(door.time_to_reverse, s),
            ),
            fmt("• *Blast radius:* {}", safe_mrkdwn(door.blast_radius, s)),
        ]
    checked: list[Mrkdwn] = []
    if isinstance(door, OneWayDoor) and (line := check_line(door)):
        checked = [fmt("• *Could it be undone?* {} _({})_", safe_mrkdwn(door.reversal_case or "", s), line)]
    return join(
        "\n",
        [
            title,
            _quote(door.quote, s),
            fmt("• *Why it is hard to reverse:* {}", safe_mrkdwn(door.why_hard_to_reverse, s)),
            *reversing,
            fmt("• *Make it two-way:* {}", safe_mrkdwn(door.make_it_two_way, s)),
            *checked,
        ],
    )


def _doubtful(doors: list[OneWayDoor], s: LinkPolicy) -> list[Block]:
    """Candidate doors the verification pass doubted: kept, briefly, so a reader can disagree."""
    if not doors:
        return []
    lines = [
        fmt(
            "• *{}* _({})_: {}",
            safe_mrkdwn(d.decision, s),
            check_line(d),
            safe_mrkdwn(d.reversal_case or "", s),
        )
        for d in doors
    ]
    return _sections(
        fmt(":arrows_counterclockwise: *Probably reversible ({})*\n{}", len(doors), join("\n", lines))
    )


# The verdict's doors side by side in a Block Kit table. Slack: at most 100 rows (the header is one) of at
# most 20 cells, one table a message, shown at the bottom of the message. A cell holds at most TABLE_CELL
# characters, and all cells at most TABLE_CHARS between them (a table is read at a glance; Slack documents
# that budget for its data tables): cells shrink to fit, and doors that would leave a cell under
# TABLE_MIN_CELL characters get no table, only the text form.
TABLE_ROWS = 100
TABLE_CELL = 300
TABLE_CHARS = 10_000
TABLE_MIN_CELL = 40
DOOR_COLUMNS = (
    "Decision",
    "Reversal cost",
    "Time to reverse",
    "Blast radius",
    "How to make it two-way",
    "Who raised it",
)


def _cell(text: Mrkdwn, limit: int = TABLE_CELL) -> Block:
    """A `raw_text` cell. Slack shows raw_text as it is (no mrkdwn, no `<…>` markup), so no text in a cell
    can mention, broadcast or link by markup; the cell still takes `Mrkdwn`, as every readable field does
    (invisible characters stripped, `<`, `>`, `&` escaped, foreign links defanged), so a client that
    auto-links names in it, or a reader who pastes it into a message, finds nothing live either."""
    return {"type": "raw_text", "text": truncate(text, limit).strip() or "—"}


def _door_cells(i: int, door: OneWayDoor) -> list[Mrkdwn]:
    return [
        fmt("{}. {}", i, door.decision),
        escape(door.cost_to_reverse),
        escape(door.time_to_reverse),
        escape(door.blast_radius),
        escape(door.make_it_two_way),
        escape(attribution(door)),
    ]


def doors_table(doors: Sequence[OneWayDoor]) -> Block | None:
    """The doors as one `table` block (a header row, a row per door numbered as in the text below it), or
    None where a table cannot hold them: no doors, more than fit a table, or too much text to read as one.

    The table is the overview: it compares the doors at a glance, its cells cut to fit. Each door's text
    (`_door`) stays the full record under it: the quote, why it is hard to reverse, the verification pass's
    case, and the feedback buttons and ledger status people mark it with (`bot.posting.feedback`)."""
    if not doors or len(doors) >= TABLE_ROWS:
        return None
    limit = min(TABLE_CELL, (TABLE_CHARS - sum(map(len, DOOR_COLUMNS))) // (len(doors) * len(DOOR_COLUMNS)))
    if limit < TABLE_MIN_CELL:
        return None
    header = [_cell(trusted(name)) for name in DOOR_COLUMNS]
    rows = [[_cell(text, limit) for text in _door_cells(i, door)] for i, door in enumerate(doors, 1)]
    return {
        "type": "table",
        "column_settings": [{"is_wrapped": True} for _ in DOOR_COLUMNS],
        "rows": [header, *rows],
    }


Marks = Mapping[tuple[str, int], Mrkdwn]  # (kind, index from 0) -> a label after the finding's title
_STATUS_MARKS = {
    FindingStatus.STILL_OPEN: trusted(" · :hourglass_flowing_sand: _still open_"),
    FindingStatus.CHANGED: trusted(" · :pencil2: _changed_"),
    None: trusted(" · :new: _new_"),
}


def _doors(
    doors: Sequence[OneWayDoor | DigestDoor],
    s: LinkPolicy,
    debate_id: str | None = None,
    marks: Marks | None = None,
    overview: Block | None = None,
) -> list[Block]:
    """The doors; `debate_id`: each with the buttons people mark it with; `marks`: a label after some;
    `overview`: a table of them (`doors_table`) under the heading, before each door's text."""
    blocks = [section(fmt(":door: *One-way doors ({})*", len(doors)))]
    if overview:
        blocks.append(overview)
    for i, door in enumerate(doors, 1):
        blocks += _sections(_door(i, door, s, (marks or {}).get(("door", i - 1))))
        if debate_id:
            blocks += [feedback.buttons(debate_id, "door", i - 1), ledger.status_block(debate_id, i - 1)]
    return blocks


def _related(decisions: list[RelatedDecision], s: LinkPolicy) -> list[Block]:
    """Decisions of the team's ledger the document bears on, each with its doc and thread."""
    if not decisions:
        return []
    lines = [
        fmt(
            "• *{}* the decision in {} of {} ({}): _{}_\n  {}",
            trusted(RELATIONS[r.relation]),
            link(r.doc_link, r.doc_title),
            trusted(f"{r.decided_on:%b %d, %Y}" if r.decided_on else "an earlier debate"),
            link(r.thread_url, "thread"),
            r.decision,
            safe_mrkdwn(r.how, s),
        )
        for r in decisions
    ]
    return [DIVIDER, *_sections(fmt(":ledger: *Earlier decisions it bears on*\n{}", join("\n", lines)))]


def _sections(text: Mrkdwn) -> list[Block]:
    return [section(piece) for piece in split_text(text)]


def _list(emoji: str, title: str, items: list[str], s: LinkPolicy) -> list[Block]:
    if not items:
        return []
    lines = [fmt("• {}", safe_mrkdwn(item, s)) for item in items]
    return _sections(fmt("{} *{}*\n{}", trusted(emoji), title, join("\n", lines)))


def verdict_blocks(
    verdict: Verdict, links: LinkPolicy, debate_id: str | None = None, marks: Marks | None = None
) -> list[Block]:
    """The verdict; `debate_id`: with feedback buttons under each door and assumption; `marks`: a label after
    the title of some (a re-review's statuses)."""
    s = links
    blocks: list[Block] = [
        header(trusted("Verdict")),
        section(fmt("*{}*", safe_mrkdwn(verdict.headline, s))),
        DIVIDER,
    ]
    blocks += _doors(verdict.one_way_doors, s, debate_id, marks, doors_table(verdict.one_way_doors))
    if not verdict.one_way_doors:
        blocks.append(context(trusted("None found: everything here looks reversible.")))
    blocks += _doubtful(verdict.probably_reversible, s)
    blocks += _related(verdict.related_decisions, s)
    blocks += [
        DIVIDER,
        section(fmt(":thinking_face: *Assumptions challenged ({})*", len(verdict.assumptions))),
    ]
    for i, a in enumerate(verdict.assumptions, 1):
        blocks += _sections(
            fmt(
                "*{}. {}*{} ({})\n{}\n{}",
                i,
                safe_mrkdwn(a.assumption, s),
                (marks or {}).get(("assumption", i - 1)) or trusted(""),
                attribution(a),
                _quote(a.quote, s),
                safe_mrkdwn(a.challenge, s),
            )
        )
        if debate_id:
            blocks.append(feedback.buttons(debate_id, "assumption", i - 1))
    if verdict.disagreements:
        lines = [
            fmt(
                "• *{}*: {}",
                safe_mrkdwn(d.topic, s),
                join(
                    "; ",
                    (fmt("{} ({})", safe_mrkdwn(side.position, s), who(side.held_by)) for side in d.sides),
                ),
            )
            for d in verdict.disagreements
        ]
        blocks += [DIVIDER, section(trusted(":crossed_swords: *Where the panel disagrees*"))]
        blocks += _sections(join("\n", lines))
    blocks += _list(":question:", "Open questions", verdict.open_questions, s)
    blocks += _list(":arrow_forward:", "Next steps", verdict.next_steps, s)
    return blocks


def summary_posts(result: DebateResult, links: LinkPolicy, debate_id: str | None = None) -> list[Post]:
    blocks = verdict_blocks(result.verdict, links, debate_id)
    blocks.append(context(fmt("{} · {}", usage_line(result.usage), result.model)))
    return paginate(blocks, fmt("Verdict: {}", result.verdict.headline))


def rereview_summary(
    result: DebateResult, rereview: ReReview, links: LinkPolicy, debate_id: str | None = None
) -> Post:
    """The summary after a re-review, which replaces the first page of the debate's summary: when it was
    re-reviewed and the tally, the verdict as it stands (each earlier finding marked still open or changed,
    the new ones new), what the edits resolved, the cost. One post: what passes Slack's block limit is cut."""
    line = fmt(
        ":arrows_counterclockwise: *Re-reviewed {}*: {} · {}",
        trusted(slack_time(result.finished_at or result.started_at, with_day=True)),
        rereview_tally(rereview),
        changes_line(rereview.changes),
    )
    marks = {key: _STATUS_MARKS[status] for key, status in current_marks(rereview).items()}
    verdict = verdict_blocks(result.verdict, links, debate_id, marks)
    blocks = [*verdict[:2], context(line), *verdict[2:], *_resolved(rereview, links)]
    blocks.append(context(fmt("{} · {}", usage_line(result.usage), result.model)))
    if len(blocks) > BLOCKS_PER_POST:
        cut = context(trusted("_(cut to fit one Slack message: `docdebate review --since` shows it all)_"))
        blocks = [*blocks[: BLOCKS_PER_POST - 2], cut, blocks[-1]]
    return Post(fmt("Verdict (re-reviewed): {}", safe_mrkdwn(rereview.headline, links)), blocks)


def _resolved(rereview: ReReview, s: LinkPolicy) -> list[Block]:
    """The earlier findings the edits resolved, each with the quote that settles it."""
    resolved = [f for f in rereview.findings if f.status is FindingStatus.RESOLVED]
    if not resolved:
        return []
    blocks = [DIVIDER, section(fmt(":white_check_mark: *Resolved by the edits ({})*", len(resolved)))]
    for f in resolved:
        blocks += _sections(
            fmt(
                "~{}~ _({})_\n{}\n{}",
                safe_mrkdwn(f.finding, s),
                finding_label(f),
                _quote(f.quote, s),
                safe_mrkdwn(f.reason, s),
            )
        )
    return blocks


# ---- the pre-meeting digest ----


def digest_posts(
    result: DigestResult, doc_link: str, meeting: str | None, starts: datetime | None
) -> list[Post]:
    """The silent-read digest: what the meeting decides, its one-way doors, what to challenge and ask."""
    s = LinkPolicy(doc_link, result.document.source)
    digest = result.digest
    title = result.document.title
    when = fmt(" · starts {}", trusted(slack_time(starts, with_day=True))) if starts else trusted("")
    blocks: list[Block] = [
        header(fmt("Silent read: {}", meeting or title)),
        context(fmt(":page_facing_up: {}{} · a five-minute read", s.render(doc_link, title), when)),
        section(fmt("*TL;DR* {}", safe_mrkdwn(digest.tldr, s))),
    ]
    blocks += _list(":ballot_box_with_check:", "What the meeting is asked to decide", digest.decisions, s)
    if digest.one_way_doors:
        blocks += _doors(digest.one_way_doors, s)
    else:
        blocks.append(context(trusted(":door: No one-way doors found: everything here looks reversible.")))
    if digest.assumptions:
        blocks.append(section(trusted(":thinking_face: *Assumptions worth challenging*")))
        for a in digest.assumptions:
            blocks += _sections(
                fmt(
                    "• *{}*\n{}\n{}",
                    safe_mrkdwn(a.assumption, s),
                    _quote(a.quote, s),
                    safe_mrkdwn(a.challenge, s),
                )
            )
    blocks += _list(":raising_hand:", "Come prepared with", digest.questions, s)
    if result.changed_since:
        blocks.append(
            context(
                fmt(
                    ":arrows_counterclockwise: *The doc changed since the panel debated it* "
                    "({}): that debate read an earlier version.",
                    trusted(slack_time(result.changed_since, with_day=True)),
                )
            )
        )
    blocks.append(
        context(fmt("Want the full debate? `/debate` {} · {}", link(doc_link), usage_line(result.usage)))
    )
    return paginate(
        blocks, fmt("Silent read: {}: {}", meeting or title, safe_mrkdwn(digest.tldr[:FALLBACK_LIMIT], s))
    )


def scheduled_digest(doc_link: str, channel_id: str | None, due_at: datetime) -> Mrkdwn:
    """One digest someone scheduled, as `/debate schedule list` and the App Home show it."""
    return fmt(
        "{} in {} at {}", link(doc_link), channel(channel_id), trusted(slack_time(due_at, with_day=True))
    )


# ---- errors and notices ----


def notice(text: Mrkdwn, emoji: str = ":warning:") -> Post:
    """A short message (errors, refusals), built with `bot.posting.safety.fmt`; `emoji` is code-made."""
    return Post(text, [section(fmt("{} {}", trusted(emoji), text) if emoji else text)])


# ---- App Home ----

HOW_TO = trusted(
    "*Pressure-test a doc before the meeting.* docdebate's panel debates it, challenges its assumptions and "
    "names its *one-way doors*: decisions that are costly or impossible to reverse.\n\n"
    "• `/debate &lt;link&gt; [focus]` in a channel: options `--personas skeptic,legal`, "
    "`--depth quick|standard|deep`\n"
    "• Mention `@docdebate` in a thread where a doc is linked; mention it again with a question to follow up, "
    "or with `again` after the doc was edited: what changed, and where each finding stands now\n"
    "• *Debate this doc* in a message's ⋯ menu\n"
    "• In the *Messages* tab, start a chat and paste a doc's link or drop its file (PDF, .docx, Markdown, "
    "text): the debate runs in that chat\n"
    "• `/debate digest &lt;link&gt;` or `/debate schedule &lt;link&gt; tomorrow 9:30`: a silent-read digest "
    "before a meeting\n"
    "• `/debate ledger`: the one-way doors still open across docs; set a door's status under it in the verdict\n"
    "• `/debate help` for the details"
)
_STATUS = {"done": ":white_check_mark:", "failed": ":x: stopped", "not_started": ":no_entry: did not start"}


def recent_debate(
    title: str | None, doc_link: str, status: str, headline: str | None, channel_id: str, created_at: datetime
) -> Mrkdwn:
    """One of the user's debates in the App Home: the doc (its own link), how it ended, where and when."""
    shown = (
        link(doc_link, title) if doc_link.startswith(("http://", "https://")) else escape(title or doc_link)
    )
    if status == "done":
        outcome = fmt(":white_check_mark: {}", headline or "done")
    else:
        outcome = trusted(_STATUS.get(status, ":hourglass: running"))
    return fmt("*{}*\n{} · {} · {}", shown, outcome, channel(channel_id), f"{created_at:%b %d}")


def home_view(
    personas: list[Persona],
    recent: list[Mrkdwn],
    upcoming: list[Mrkdwn] | None = None,
    doors: Sequence[LedgerEntry] = (),
) -> dict[str, Any]:
    """`recent`: a `recent_debate` per debate of the user, latest first; `upcoming`: a line per digest the
    user has scheduled (`scheduled_digest`); `doors`: the ledger as the user may see it (`ledger_blocks`)."""
    blocks: list[Block] = [
        header(trusted("docdebate")),
        section(HOW_TO),
        DIVIDER,
        section(trusted("*The panel you can call on*")),
    ]
    for p in personas:
        blocks.append(context(fmt("{} (`{}`): {}", persona_label(p), p.name, p.focus)))
    blocks += [DIVIDER, section(trusted("*Your recent debates*"))]
    if not recent:
        blocks.append(context(trusted("None yet. Try `/debate &lt;link&gt;` in a channel.")))
    blocks += [section(line) for line in recent[:15]]
    if upcoming:
        blocks += [DIVIDER, section(trusted("*Your scheduled digests*"))]
        blocks += [context(fmt(":calendar: {}", line)) for line in upcoming[:10]]
    blocks += [DIVIDER, *ledger_blocks(doors, HOME_DOORS, with_controls=True)]
    return {"type": "home", "blocks": blocks[:100]}


# ---- the ledger: open one-way doors across docs (`/debate ledger`, the App Home) ----

HOME_DOORS = 15
LISTED_DOORS = 20


def _ledger_doc(entry: LedgerEntry) -> Mrkdwn:
    return (
        link(entry.doc_link, entry.doc_title)
        if entry.doc_link.startswith("http")
        else escape(entry.doc_title)
    )


def _ledger_note(verb: str, other: LedgerEntry | None, reason: str) -> Mrkdwn:
    if other is None:
        return fmt("{}: {}", trusted(verb), reason)
    return fmt(
        "{} {} ({}): {}", trusted(verb), _ledger_doc(other), trusted(f"{other.created_at:%b %d}"), reason
    )


def ledger_entry(entry: LedgerEntry, known: Mapping[int, LedgerEntry]) -> Mrkdwn:
    """One door of the ledger: the decision, its doc and thread, where and when, who asked; and what
    consolidation found (the same decision elsewhere, a conflict with an earlier one)."""
    where = trusted("a DM") if entry.channel_id.startswith("D") else channel(entry.channel_id)
    lines = [
        fmt("*{}*", truncate(escape(entry.decision), 600)),
        fmt(
            "{} · {} in {} · {} · asked by {}",
            _ledger_doc(entry),
            link(entry.thread_url, "thread"),
            where,
            trusted(f"{entry.created_at:%b %d, %Y}"),
            mention(entry.requested_by),
        ),
    ]
    lines += [fmt("↳ {}", _ledger_note("also in", known.get(n.other), n.reason)) for n in entry.same_as]
    lines += [
        fmt(":warning: {}", _ledger_note("conflicts with the decision in", known.get(n.other), n.reason))
        for n in entry.conflicts
    ]
    return truncate(join("\n", lines), SECTION_LIMIT)


def ledger_blocks(shown: Sequence[LedgerEntry], limit: int, with_controls: bool = False) -> list[Block]:
    """The open doors of `shown` (what a viewer may see of the ledger, newest first), at most `limit`;
    `with_controls`: each with its status control (the App Home)."""
    doors = [e for e in shown if e.status == "open"]
    known = {e.id: e for e in shown}
    blocks: list[Block] = [section(fmt(":ledger: *Open one-way doors, across docs ({})*", len(doors)))]
    if not doors:
        blocks.append(context(trusted("None open that you can see from here.")))
    for entry in doors[:limit]:
        block = section(ledger_entry(entry, known))
        if with_controls:
            block["accessory"] = ledger.status_select(entry.debate_id, entry.item, entry.status)
        blocks.append(block)
    if len(doors) > limit:
        blocks.append(context(fmt("…and {} more (`docdebate ledger` prints them all).", len(doors) - limit)))
    return blocks


def ledger_post(shown: Sequence[LedgerEntry]) -> Post:
    """The answer to `/debate ledger`."""
    doors = sum(e.status == "open" for e in shown)
    return Post(fmt("{} open one-way doors in the ledger", doors), ledger_blocks(shown, LISTED_DOORS))
