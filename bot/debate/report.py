"""A finished debate as Markdown or JSON (`docdebate review --format md|json`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from pydantic import BaseModel

from bot.models import (
    REREVIEW_ROUND,
    Assumption,
    DebateResult,
    DigestResult,
    Disagreement,
    FindingReview,
    FindingStatus,
    OneWayDoor,
    Persona,
    Quote,
    RelatedDecision,
    ReReview,
    SectionChange,
    Usage,
    Verdict,
)

STATUS_WORDS = {
    FindingStatus.RESOLVED: "resolved",
    FindingStatus.STILL_OPEN: "still open",
    FindingStatus.CHANGED: "changed",
}


def to_json(result: DebateResult) -> str:
    """The whole result, the document's text and sections included: a re-review (`review --since`) reads
    them."""
    return result.model_dump_json(indent=2)


def round_title(round_: int) -> str:
    if round_ == REREVIEW_ROUND:
        return "Re-review"
    return "Opening statements" if round_ == 0 else f"Rebuttal, round {round_}"


def usage_line(usage: Usage) -> str:
    """`7 model calls · 61,204 tokens in, 3,310 out · $0.0912 (caching saved 71%)`."""
    tokens_in = usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens
    line = f"{usage.calls} model calls · {tokens_in:,} tokens in, {usage.output_tokens:,} out · ${usage.cost_usd:.4f}"
    if usage.uncached_cost_usd > 0:
        saved = 1 - usage.cost_usd / usage.uncached_cost_usd
        line += f" (caching saved {saved:.0%})"
    return line


def who(names: Iterable[str]) -> str:
    return ", ".join(names) or "the judge"  # no panel name: the judge saw it itself (prompts/judge_task)


def attribution(item: Assumption | OneWayDoor) -> str:
    text = f"raised by {who(item.raised_by)}"
    return text + (f"; endorsed by {who(item.endorsed_by)}" if item.endorsed_by else "")


def check_line(door: OneWayDoor) -> str | None:
    """What the verification pass found, in words: who argued the reversal case, and how sure the panel is."""
    if door.checked_by is None:
        return None
    sure = "no score" if door.confidence is None else f"{door.confidence}% sure it is one-way"
    return f"checked by {door.checked_by}: {sure}"


def quote_status(quote: Quote) -> str:
    if quote.verified:
        return "verified" + (f", in “{quote.section}”" if quote.section else "")
    return "NOT FOUND in the document: treat as unverified"


def _quote_md(quote: Quote) -> str:
    return f"   > {quote.text}\n   >\n   > _({quote_status(quote)})_"


def _door_md(index: int, door: OneWayDoor) -> str:
    return "\n".join(
        [
            f"{index}. **{door.decision}** ({attribution(door)})",
            _quote_md(door.quote),
            f"   - Why it is hard to reverse: {door.why_hard_to_reverse}",
            f"   - Cost to reverse: {door.cost_to_reverse}; time: {door.time_to_reverse}",
            f"   - Blast radius: {door.blast_radius}",
            f"   - Make it two-way: {door.make_it_two_way}",
            *_check_md(door),
        ]
    )


def _check_md(door: OneWayDoor) -> list[str]:
    line = check_line(door)
    return [f"   - Could it be undone? {door.reversal_case} ({line})"] if line else []


def _doubtful_md(door: OneWayDoor) -> str:
    return f"- **{door.decision}** ({check_line(door)}): {door.reversal_case}"


def _assumption_md(index: int, item: Assumption) -> str:
    return "\n".join(
        [
            f"{index}. **{item.assumption}** ({attribution(item)})",
            _quote_md(item.quote),
            f"   - {item.challenge}",
        ]
    )


def _disagreement_md(item: Disagreement) -> str:
    sides = "; ".join(f"{side.position} ({who(side.held_by)})" for side in item.sides)
    return f"- **{item.topic}**: {sides}"


def _section(title: str, lines: list[str], empty: str) -> list[str]:
    return [f"### {title}", "", *(lines or [empty]), ""]


RELATIONS = {  # a related decision's relation, as a sentence starts
    "repeats": "Repeats",
    "reverses": "Reverses",
    "conflicts": "Conflicts with",
    "depends_on": "Depends on",
}


def _related_md(related: RelatedDecision) -> str:
    """A decision of the team's ledger the document bears on (the judge named it; code filled in the rest)."""
    when = f" of {related.decided_on:%Y-%m-%d}" if related.decided_on else ""
    return (
        f"- {RELATIONS[related.relation]} the decision in [{related.doc_title}]({related.doc_link}){when} "
        f"([thread]({related.thread_url})): _{related.decision}_ {related.how}"
    )


def verdict_markdown(verdict: Verdict) -> list[str]:
    """The verdict's sections as Markdown lines (shared by the report and the terminal view)."""
    out = [f"**{verdict.headline}**", ""]
    out += _section(
        "One-way doors", [_door_md(i, d) for i, d in enumerate(verdict.one_way_doors, 1)], "None found."
    )
    if verdict.probably_reversible:
        out += _section("Probably reversible", [_doubtful_md(d) for d in verdict.probably_reversible], "")
    if verdict.related_decisions:
        out += _section(
            "Earlier decisions it bears on", [_related_md(r) for r in verdict.related_decisions], ""
        )
    out += _section(
        "Assumptions challenged",
        [_assumption_md(i, a) for i, a in enumerate(verdict.assumptions, 1)],
        "None.",
    )
    out += _section(
        "Where the panel disagrees",
        [_disagreement_md(d) for d in verdict.disagreements],
        "The panel converged.",
    )
    out += _section("Open questions", [f"- {q}" for q in verdict.open_questions], "None.")
    out += _section("Next steps", [f"- {s}" for s in verdict.next_steps], "None.")
    return out


def _named(panel: dict[str, Persona]) -> Callable[[str], str]:
    def name(persona: str) -> str:
        found = panel.get(persona)
        return f"{found.title} ({persona})" if found else persona

    return name


def to_markdown(result: DebateResult, panel: dict[str, Persona]) -> str:
    if result.rereview is not None:
        return _rereview_report(result, result.rereview, panel)
    name = _named(panel)
    out = [
        f"# Debate: {result.document.title}",
        "",
        f"_{result.document.source}_ · panel: {', '.join(map(name, result.personas))} · depth: {result.depth}"
        + (f" · focus: {result.focus}" if result.focus else ""),
        "",
        "## Verdict",
        "",
        *verdict_markdown(result.verdict),
        "## Transcript",
        "",
    ]
    current_round = -1
    for turn in result.turns:
        if turn.round != current_round:
            current_round = turn.round
            out += [f"### {round_title(turn.round)}", ""]
        out += [f"#### {name(turn.persona)}", "", turn.text, ""]
    out += ["---", f"_{usage_line(result.usage)} · model {result.model}, judge {result.judge_model}_", ""]
    return "\n".join(out)


# ---- a re-review ----


def when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def reviewed_at(result: DebateResult) -> datetime:
    """When a review (a debate, or a re-review) was done."""
    return result.finished_at or result.started_at


def reviewed_as(result: DebateResult) -> str:
    """What an earlier review was, in the words of "since the … on <date>"."""
    return "re-review" if result.rereview is not None else "debate"


def unchanged_line(earlier: DebateResult) -> str:
    """What `review --since` prints when nothing changed."""
    since = when(reviewed_at(earlier))
    return f"Nothing changed in {earlier.document.title} since the {reviewed_as(earlier)} on {since}."


class Unchanged(BaseModel):
    """What `review --since --format json` prints, on one line, when nothing changed."""

    schema_version: int = 1
    changed: bool = False
    since: datetime
    document: dict[str, str]


def unchanged_json(earlier: DebateResult) -> str:
    document = {"title": earlier.document.title, "source": earlier.document.source}
    return Unchanged(since=reviewed_at(earlier), document=document).model_dump_json()


def rereview_tally(rereview: ReReview) -> str:
    """`2 resolved, 1 still open, 1 new`."""
    counts = Counter(f.status for f in rereview.findings)
    parts = [f"{counts[status]} {STATUS_WORDS[status]}" for status in FindingStatus if counts[status]]
    new = len(rereview.new_one_way_doors) + len(rereview.new_assumptions)
    return ", ".join(parts + ([f"{new} new"] if new else [])) or "nothing to review"


def changes_line(changes: Sequence[SectionChange]) -> str:
    """`changed: Goals, Rollout plan; removed: Appendix B`."""
    by_change = {
        change: [c.section for c in changes if c.change == change]
        for change in ("changed", "added", "removed")
    }
    return "; ".join(f"{change}: {', '.join(found)}" for change, found in by_change.items() if found)


def current_marks(rereview: ReReview) -> dict[tuple[str, int], FindingStatus | None]:
    """For each finding of the current state (`current_state`), by kind and index from 0: the status of the
    earlier finding it is, or None for a new one."""
    marks: dict[tuple[str, int], FindingStatus | None] = {}
    new_counts = {"door": len(rereview.new_one_way_doors), "assumption": len(rereview.new_assumptions)}
    for kind, new in new_counts.items():
        kept = [
            f.status for f in rereview.findings if f.kind == kind and f.status is not FindingStatus.RESOLVED
        ]
        for index, mark in enumerate([*kept, *([None] * new)]):
            marks[(kind, index)] = mark
    return marks


def finding_label(review: FindingReview) -> str:
    """`one-way door 2`, `assumption 1`: an earlier finding by its number in the earlier verdict."""
    return f"{'one-way door' if review.kind == 'door' else 'assumption'} {review.number}"


def _finding_md(review: FindingReview) -> str:
    return "\n".join(
        [
            f"- **{STATUS_WORDS[review.status].capitalize()}** · {finding_label(review)}: {review.finding}",
            _quote_md(review.quote),
            f"   - {review.reason}",
        ]
    )


def rereview_markdown(result: DebateResult, rereview: ReReview) -> list[str]:
    """A re-review's findings as Markdown lines (shared by the report and the terminal view)."""
    out = [
        f"**{rereview.headline}**",
        "",
        f"_Re-reviewed {when(reviewed_at(result))}: {rereview_tally(rereview)} · since the review of {when(rereview.since)} · "
        f"{changes_line(rereview.changes)}_",
        "",
    ]
    out += _section("Earlier findings", [_finding_md(f) for f in rereview.findings], "None.")
    out += _section(
        "New one-way doors",
        [_door_md(i, d) for i, d in enumerate(rereview.new_one_way_doors, 1)],
        "None.",
    )
    out += _section(
        "New assumptions challenged",
        [_assumption_md(i, a) for i, a in enumerate(rereview.new_assumptions, 1)],
        "None.",
    )
    return out


def _rereview_report(result: DebateResult, rereview: ReReview, panel: dict[str, Persona]) -> str:
    name = _named(panel)
    out = [f"# Re-review: {result.document.title}", "", f"_{result.document.source}_", ""]
    out += rereview_markdown(result, rereview)
    out += ["## Re-review transcript", ""]
    for turn in rereview.turns:
        out += [f"#### {name(turn.persona)}", "", turn.text, ""]
    out += ["---", f"_{usage_line(result.usage)} · model {result.model}, judge {result.judge_model}_", ""]
    return "\n".join(out)


def digest_to_markdown(result: DigestResult, meeting: str | None = None) -> str:
    """A digest for the terminal or a file: what `docdebate digest <file|url>` prints."""
    digest = result.digest
    doors = [
        "\n".join(
            [
                f"{i}. **{d.decision}**",
                _quote_md(d.quote),
                f"   - Why it is hard to reverse: {d.why_hard_to_reverse}",
                f"   - Make it two-way: {d.make_it_two_way}",
            ]
        )
        for i, d in enumerate(digest.one_way_doors, 1)
    ]
    assumptions = [
        "\n".join([f"- **{a.assumption}**", _quote_md(a.quote), f"   - {a.challenge}"])
        for a in digest.assumptions
    ]
    out = [f"# Silent read: {meeting or result.document.title}", "", f"_{result.document.source}_", ""]
    out += [f"**TL;DR** {digest.tldr}", ""]
    out += _section(
        "What the meeting is asked to decide", [f"- {d}" for d in digest.decisions], "Not stated."
    )
    out += _section("One-way doors", doors, "None found: everything here looks reversible.")
    out += _section("Assumptions worth challenging", assumptions, "None.")
    out += _section("Come prepared with", [f"- {q}" for q in digest.questions], "None.")
    if result.changed_since:
        out += [
            f"_The doc changed since the panel debated it ({result.changed_since:%Y-%m-%d %H:%M} UTC)._",
            "",
        ]
    out += ["---", f"_{usage_line(result.usage)} · model {result.model}_", ""]
    return "\n".join(out)
