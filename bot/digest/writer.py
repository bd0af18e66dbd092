"""Writing a digest: one structured call over the document, its quotes grounded like the verdict's.

Why one call and not a quick debate: a digest must be short and land on time. One call costs about 0.6 of a
quick debate of the same document and takes about a third of its time (`bench/digest_bench.py`); the full
debate stays one `/debate` away. The document goes in the same cached block as a debate's, so a debate or
another digest of the doc soon after reads it from the cache.
"""

from __future__ import annotations

from bot.config import Settings
from bot.debate.grounding import Grounder
from bot.debate.prompts import cached_system, render
from bot.llm import LLM, Prompt
from bot.models import Digest, Document, Usage

MAX_TOKENS = 2500
LIMITS = {"decisions": 4, "one_way_doors": 4, "assumptions": 4, "questions": 5}


def digest_prompt(document: Document, meeting: str | None) -> Prompt:
    role = render("digest.md.j2", meeting=meeting)
    return Prompt(cached_system(document), role, [{"role": "user", "content": "Write the digest."}])


def ground(digest: Digest, document: Document) -> Digest:
    """Quotes checked against the document; lists cut to a five-minute read."""
    grounder = Grounder(document)
    doors = [d.model_copy(update={"quote": grounder.ground(d.quote)}) for d in digest.one_way_doors]
    assumptions = [a.model_copy(update={"quote": grounder.ground(a.quote)}) for a in digest.assumptions]
    return digest.model_copy(
        update={
            "decisions": digest.decisions[: LIMITS["decisions"]],
            "one_way_doors": doors[: LIMITS["one_way_doors"]],
            "assumptions": assumptions[: LIMITS["assumptions"]],
            "questions": digest.questions[: LIMITS["questions"]],
        }
    )


async def write_digest(
    llm: LLM, settings: Settings, document: Document, meeting: str | None = None
) -> tuple[Digest, Usage]:
    prompt = digest_prompt(document, meeting)
    digest, usage = await llm.structured(settings.model, prompt, MAX_TOKENS, Digest)
    return ground(digest, document), usage
