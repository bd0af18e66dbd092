"""A finished debate as Markdown or JSON (`docdebate review --format md|json`)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.models import (
    Assumption,
    DebateResult,
    DigestResult,
    Disagreement,
    OneWayDoor,
    Persona,
    Quote,
    RelatedDecision,
    Usage,
    Verdict,
)

# The JSON leaves the document's full text out: scripts get its title and source, and the debate.
JSON_EXCLUDE = {"document": {"text", "sections"}}


def to_json(result: DebateResult) -> str:
    return result.model_dump_json(indent=2, exclude=JSON_EXCLUDE)


def round_title(round_: int) -> str:
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


def to_markdown(result: DebateResult, panel: dict[str, Persona]) -> str:
    def name(persona: str) -> str:
        found = panel.get(persona)
        return f"{found.title} ({persona})" if found else persona

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
