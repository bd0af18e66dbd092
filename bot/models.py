"""Domain types shared by every part of docdebate.

These are also the public JSON schema of `docdebate review --format json` (see README, "JSON output"):
add fields freely, but do not rename or remove them.

Fields marked `SkipJsonSchema` are filled in by code (grounding, accounting), never by the model: they are
left out of the schema the judge is asked to fill.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from bot.depth import Depth


class Section(BaseModel):
    """A heading of the document and the span of text it covers (character offsets into `Document.text`)."""

    title: str
    level: int = Field(ge=1, le=6)
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class Document(BaseModel):
    title: str
    source: str = Field(description="Where it came from: a path or a URL.")
    text: str = Field(description="The document as Markdown-flavoured plain text.")
    sections: list[Section] = Field(default_factory=list)
    audience: Literal["anyone", "domain", "restricted"] | None = Field(
        default=None,
        description="Who may open the original (Google docs): decides whether to warn a channel.",
    )

    @property
    def sha256(self) -> str:
        """The hash of the text: has the doc changed since it was last read?"""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def section_at(self, offset: int) -> Section | None:
        """The innermost section containing `offset`."""
        hits = [s for s in self.sections if s.start <= offset < s.end]
        return max(hits, key=lambda s: (s.level, s.start), default=None)


class PersonaOrigin(StrEnum):
    BUILTIN = "built-in"
    CUSTOM = "custom"


class Persona(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$", description="Short id used in --personas.")
    title: str = Field(min_length=1, max_length=80)
    emoji: str = Field(
        min_length=1, max_length=40, description="A Slack emoji name (`:thinking_face:`) or a glyph."
    )
    focus: str = Field(min_length=1, max_length=300, description="One line: what this seat cares about.")
    prompt: str = Field(min_length=1, description="The body of the persona file: how it thinks and argues.")
    origin: PersonaOrigin = PersonaOrigin.BUILTIN
    path: str = ""


class Usage(BaseModel):
    """Tokens billed by the model service, and their cost in US dollars."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    calls: int = 0
    cost_usd: float = 0.0
    uncached_cost_usd: float = Field(
        default=0.0, description="What the same calls would have cost with no prompt caching."
    )

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            calls=self.calls + other.calls,
            cost_usd=self.cost_usd + other.cost_usd,
            uncached_cost_usd=self.uncached_cost_usd + other.uncached_cost_usd,
        )


REREVIEW_ROUND = 10  # a re-review's turns: past every debate round and follow-up (`Turn.round`)


class Turn(BaseModel):
    persona: str
    round: int = Field(
        ge=0,
        description=f"0 is the blind opening; 1 and 2 are rebuttals; {REREVIEW_ROUND} a re-review's turn.",
    )
    text: str
    new_disagreements: int | None = Field(
        default=None,
        description="Rebuttals only: points first disputed in this turn, as the persona counted them.",
    )
    usage: Usage = Field(default_factory=Usage)


# ---- the verdict: filled by the judge through structured output, then grounded in code ----


class Quote(BaseModel):
    text: str = Field(
        description="Copied verbatim from the document: a sentence or clause, not a paraphrase."
    )
    verified: SkipJsonSchema[bool] = Field(
        default=False, description="Set by code: the quote was found in the document text."
    )
    section: SkipJsonSchema[str | None] = Field(
        default=None, description="Set by code: the heading it sits under."
    )


PersonaNames = Annotated[list[str], Field(description="Persona names, as given in the transcript.")]


class Attribution(BaseModel):
    raised_by: PersonaNames
    endorsed_by: PersonaNames = Field(description="Other personas who agreed with it in the debate.")


class Assumption(Attribution):
    """An assumption of the document that the panel challenged."""

    assumption: str = Field(description="The assumption, stated plainly.")
    quote: Quote
    challenge: str = Field(description="Why it may not hold, and what would show it.")


class OneWayDoor(Attribution):
    """A decision that is costly or impossible to reverse."""

    decision: str
    quote: Quote
    why_hard_to_reverse: str
    cost_to_reverse: str = Field(description="Money, effort or goodwill it would take to undo.")
    time_to_reverse: str
    blast_radius: str = Field(description="Who and what is affected if it goes wrong.")
    make_it_two_way: str = Field(description="How to turn it into a reversible step, or de-risk it.")
    confidence: SkipJsonSchema[int | None] = Field(
        default=None,
        description="Set by the verification pass: how sure the panel should be (0-100) it is truly one-way.",
    )
    reversal_case: SkipJsonSchema[str | None] = Field(
        default=None, description="Set by the verification pass: the best case for undoing it, and its cost."
    )
    checked_by: SkipJsonSchema[str | None] = Field(
        default=None, description="Set by the verification pass: the persona who argued the reversal case."
    )


class Side(BaseModel):
    position: str
    held_by: PersonaNames


class Disagreement(BaseModel):
    topic: str
    sides: list[Side]


class RelatedDecision(BaseModel):
    """A decision in the team's ledger that this document bears on: named by the judge, checked by code."""

    entry: int = Field(description="The id of the ledger entry, as the ledger block gives it.")
    relation: Literal["repeats", "reverses", "conflicts", "depends_on"] = Field(
        description="What this document does to the earlier decision."
    )
    how: str = Field(
        description="One sentence: how, e.g. 'this reverses the decision in <doc> of <date> to ...'."
    )
    decision: SkipJsonSchema[str] = Field(default="", description="Set by code: the earlier decision.")
    doc_title: SkipJsonSchema[str] = Field(default="", description="Set by code: the doc it was made in.")
    doc_link: SkipJsonSchema[str] = Field(default="", description="Set by code: that doc's link.")
    thread_url: SkipJsonSchema[str] = Field(default="", description="Set by code: the debate's thread.")
    decided_on: SkipJsonSchema[datetime | None] = Field(
        default=None, description="Set by code: when the earlier debate raised it."
    )


class Verdict(BaseModel):
    headline: str = Field(
        description="One sentence: the most important thing the decision-makers should know."
    )
    assumptions: list[Assumption]
    one_way_doors: list[OneWayDoor]
    disagreements: list[Disagreement]
    open_questions: list[str]
    next_steps: list[str]
    probably_reversible: SkipJsonSchema[list[OneWayDoor]] = Field(
        default_factory=list,
        description="Set by the verification pass: candidate doors it found below the confidence threshold.",
    )
    related_decisions: list[RelatedDecision] = Field(
        default_factory=list,
        description="Decisions of the team's ledger (given as data, by id) that this document repeats, "
        "reverses or conflicts with; empty when no ledger was given or none applies.",
    )

    def quotes(self) -> list[Quote]:
        return [a.quote for a in self.assumptions] + [d.quote for d in self.one_way_doors]


# ---- a re-review: the document edited since a debate, and the earlier findings looked at again ----


class FindingStatus(StrEnum):
    RESOLVED = "resolved"
    STILL_OPEN = "still_open"
    CHANGED = "changed"


class FindingReview(BaseModel):
    """An earlier finding (a one-way door or an assumption of the earlier verdict) against the edited doc."""

    kind: Literal["door", "assumption"]
    number: int = Field(description="Its number in the earlier verdict's list of its kind: D2 is door 2.")
    status: FindingStatus = Field(
        description="resolved: the edited document settles it; still_open: it stands as it was; changed: it "
        "still matters, but the decision or its terms changed."
    )
    quote: Quote = Field(description="Copied verbatim from the document as edited: the text that settles it.")
    reason: str = Field(description="One or two sentences: what in the edits resolves, keeps or changes it.")
    finding: SkipJsonSchema[str] = Field(
        default="", description="Set by code: the earlier finding's decision or assumption, as it was stated."
    )


class ReReviewVerdict(BaseModel):
    """What the judge of a re-review returns."""

    headline: str = Field(description="One sentence: where the document stands now.")
    findings: list[FindingReview] = Field(description="Every earlier finding, each once.")
    new_one_way_doors: list[OneWayDoor] = Field(
        description="One-way doors the edits brought in, or that the panel raised for the first time."
    )
    new_assumptions: list[Assumption]


class SectionChange(BaseModel):
    section: str = Field(description="The heading path, outer headings first: `Rollout › Pilot`.")
    change: Literal["added", "changed", "removed"]


class ReReview(ReReviewVerdict):
    """A re-review (`review --since`, `@docdebate again`): what changed since the earlier review, the panel's
    turns on it, and the judge's findings, grounded, one per earlier finding in the earlier order."""

    since: datetime = Field(description="When the earlier review finished.")
    earlier_sha256: str = Field(description="The hash of the text the earlier review read.")
    changes: list[SectionChange]
    turns: list[Turn]


class DebateResult(BaseModel):
    """A whole debate: what `--format json` prints."""

    schema_version: int = 1
    document: Document
    personas: list[str]
    depth: Depth
    focus: str | None = None
    model: str
    judge_model: str
    turns: list[Turn]
    verdict: Verdict
    usage: Usage
    started_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    rereview: ReReview | None = Field(
        default=None,
        description="Set for a re-review: then `verdict` is the current state (the earlier findings not resolved, "
        "then the new ones), `turns` the earlier debate's and `usage` the re-review's own.",
    )


# ---- the pre-meeting digest: one structured call, grounded like the verdict ----


class DigestDoor(BaseModel):
    """A one-way door, as a meeting attendee needs it before the meeting."""

    decision: str
    quote: Quote
    why_hard_to_reverse: str
    make_it_two_way: str = Field(description="How to make it reversible or cheaper to undo.")


class DigestAssumption(BaseModel):
    assumption: str = Field(description="The assumption, stated plainly.")
    quote: Quote
    challenge: str = Field(description="Why it may not hold: the question to put to the author.")


class Digest(BaseModel):
    """A five-minute read before the meeting."""

    tldr: str = Field(description="Two or three sentences: what the document proposes and why.")
    decisions: list[str] = Field(description="What the meeting is asked to decide, as questions.")
    one_way_doors: list[DigestDoor]
    assumptions: list[DigestAssumption] = Field(description="The assumptions most worth challenging.")
    questions: list[str] = Field(description="Questions to come to the meeting prepared with.")

    def quotes(self) -> list[Quote]:
        return [d.quote for d in self.one_way_doors] + [a.quote for a in self.assumptions]


class DigestResult(BaseModel):
    """A digest with what it was made from: what `docdebate digest --format json` prints."""

    schema_version: int = 1
    document: Document
    model: str
    digest: Digest
    usage: Usage
    changed_since: datetime | None = Field(
        default=None, description="Set when the doc changed since the last debate on it (that debate's time)."
    )


# ---- the ledger: the one-way doors of every verdict, across docs (`bot.store.ledger` keeps them) ----

LedgerStatus = Literal["open", "decided", "mitigated", "withdrawn"]
LEDGER_STATUSES: tuple[LedgerStatus, ...] = ("open", "decided", "mitigated", "withdrawn")


class LedgerNote(BaseModel):
    """Another entry (or a later verdict) that consolidation related to an entry, and why."""

    other: int
    reason: str


class LedgerEntry(BaseModel):
    """One one-way door of a verdict in the team's ledger, as a version of the ledger shows it."""

    id: int
    decision: str
    quote: str
    doc_title: str
    doc_link: str
    doc_key: str
    team_id: str
    channel_id: str
    thread_ts: str
    thread_url: str
    debate_id: str
    item: int = Field(description="The door's number in its verdict, from 0.")
    requested_by: str = Field(description="The Slack user who asked for the debate.")
    raised_by: list[str] = Field(description="The personas who raised the door.")
    created_at: datetime
    private: bool = Field(
        description="From a DM, a private or shared channel, or a restricted doc: shown only in its channel."
    )
    status: LedgerStatus = "open"
    status_by: str | None = Field(default=None, description="A Slack user id, or `consolidation vN`.")
    status_at: datetime | None = None
    status_note: str | None = None
    merged_into: int | None = Field(default=None, description="Consolidation found it the same as this one.")
    same_as: list[LedgerNote] = Field(
        default_factory=list, description="Entries merged into this one: the same decision elsewhere."
    )
    conflicts: list[LedgerNote] = Field(
        default_factory=list, description="Earlier entries whose decision this one conflicts with."
    )


class LedgerMerge(BaseModel):
    entry: int = Field(
        description="An entry recording the same decision as `into`, in another doc or debate."
    )
    into: int = Field(description="The entry to keep: the earliest record of that decision.")
    reason: str = Field(description="One sentence: why they are the same decision.")


class LedgerResolution(BaseModel):
    entry: int = Field(description="An open entry that a later verdict settled.")
    status: Literal["decided", "mitigated", "withdrawn"] = Field(
        description="decided: the team made the call; mitigated: it was made reversible or de-risked; "
        "withdrawn: the doc no longer makes that decision."
    )
    verdict: int = Field(description="The id of the later verdict that shows it.")
    reason: str = Field(description="One sentence, from that verdict.")


class LedgerConflict(BaseModel):
    entry: int = Field(description="The later entry, whose decision conflicts with the earlier one.")
    earlier: int = Field(description="The earlier entry it conflicts with.")
    reason: str = Field(description="One sentence: what conflicts.")


class LedgerChanges(BaseModel):
    """What consolidation found in the ledger: the model's answer, and (accumulated) what a version adds to
    the entries people recorded."""

    merges: list[LedgerMerge]
    resolutions: list[LedgerResolution]
    conflicts: list[LedgerConflict]


class LedgerVersion(BaseModel):
    """A version of the ledger: the changes it applies (every earlier version's that it kept, and its own)."""

    version: int
    created_at: datetime
    kind: Literal["consolidation", "restore"]
    note: str
    changes: LedgerChanges
    added: LedgerChanges = Field(description="What this version added to the one before it.")
    cost_usd: float = 0.0
    workflow_id: str | None = None


class RecentVerdict(BaseModel):
    """A finished debate's verdict as consolidation reads it: where it ran, on which doc."""

    id: int = Field(description="Its number in the consolidation's prompt.")
    debate_id: str
    channel_id: str
    doc_title: str
    doc_key: str
    finished_at: datetime
    verdict: Verdict
