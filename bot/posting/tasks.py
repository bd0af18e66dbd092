"""The panel's plan as data: its tasks (one per persona per round, one for the judge, one for the check of
the doors when it is on), the stream chunks Slack shows them by, and the same plan as an ordinary message
for a workspace that will not stream.

Every title and detail is a `Mrkdwn` made by code here (`bot.posting.safety`): a chunk never carries the
doc's or a model's text, and a persona's title (from its file) is escaped like any other."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from slack_sdk.models.messages.chunk import Chunk, PlanUpdateChunk, TaskUpdateChunk

from bot.debate.report import round_title
from bot.models import Persona
from bot.posting.render import Post, section, split_text
from bot.posting.safety import Mrkdwn, fmt, join, trusted

Status = Literal["pending", "in_progress", "complete", "error"]
JUDGE, CHECK = "judge", "check"
PLAN_TITLE = trusted("The panel's plan")
_MARKS: dict[Status, str] = {
    "pending": ":white_circle:",
    "in_progress": ":hourglass_flowing_sand:",
    "complete": ":white_check_mark:",
    "error": ":x:",
}


@dataclass(frozen=True)
class Task:
    id: str
    title: Mrkdwn
    status: Status = "pending"
    details: Mrkdwn | None = None

    def chunk(self) -> TaskUpdateChunk:
        """The `task_update` chunk of chat.startStream / appendStream / stopStream."""
        return TaskUpdateChunk(id=self.id, title=self.title, status=self.status, details=self.details or None)

    def moved(self, status: Status | None = None, details: Mrkdwn | None = None) -> Task:
        return replace(
            self, status=status or self.status, details=details if details is not None else self.details
        )

    @property
    def done(self) -> bool:
        return self.status in ("complete", "error")


def opening_chunks(tasks: Iterable[Task]) -> list[Chunk]:
    """What chat.startStream opens the plan with: its title, then every task."""
    return [PlanUpdateChunk(title=PLAN_TITLE), *(t.chunk() for t in tasks)]


def turn_id(persona: str, round_: int) -> str:
    return f"turn:{persona}:{round_}"


def plan_tasks(panel: Sequence[Persona], rounds: Iterable[int], check_doors: bool) -> list[Task]:
    """Every task of a debate of these rounds, pending, in the order they run."""
    tasks = [
        Task(turn_id(p.name, r), fmt("{} · {}", p.title, round_title(r).lower()))
        for r in rounds
        for p in panel
    ]
    tasks.append(Task(JUDGE, trusted("Judge · the verdict and its one-way doors")))
    if check_doors:
        tasks.append(Task(CHECK, trusted("Each one-way door argued the other way")))
    return tasks


def words(count: int, doing: str = "writing… ") -> Mrkdwn:
    return fmt("{}{} word{}", trusted(doing), count, "" if count == 1 else "s")


def plan_post(tasks: Iterable[Task]) -> Post:
    """The plan as a message, for `chat.update` where Slack will not stream: a line a task."""
    shown = list(tasks)
    lines = [
        fmt(
            "{} {}{}",
            trusted(_MARKS[t.status]),
            t.title,
            fmt(" · _{}_", t.details) if t.details else trusted(""),
        )
        for t in shown
    ]
    finished = sum(t.done for t in shown)
    summary = fmt("{} · {} of {} done", PLAN_TITLE, finished, len(shown))
    blocks = [section(fmt("*{}*", PLAN_TITLE)), *(section(piece) for piece in split_text(join("\n", lines)))]
    return Post(summary, blocks)
