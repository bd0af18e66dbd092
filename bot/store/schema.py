"""docdebate's own tables (the ORM view). Their history is in `migrations/versions`: change both together."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Float, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class DebateRow(Base):
    __tablename__ = "docdebate_debates"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)  # the workflow id
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32), index=True)
    link: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(
        String(16), default="running"
    )  # queued | running | done | failed | not_started
    headline: Mapped[str | None] = mapped_column(Text)
    one_way_doors: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    result_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    doc_key: Mapped[str | None] = mapped_column(Text)  # the Google file id, or the link: which doc it read
    doc_sha256: Mapped[str | None] = mapped_column(String(64))  # of the text it read: has the doc changed?
    summary_ts: Mapped[str | None] = mapped_column(String(32))  # the summary's first page, once posted


class ReplicaRow(Base):
    """A serving process's heartbeat, by its DBOS executor id."""

    __tablename__ = "docdebate_replicas"

    executor_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AdmissionLockRow(Base):
    """One row per user, updated first in every admission of theirs: the row lock (Postgres) or the write
    lock (SQLite) makes concurrent admissions of one user take turns, across processes and replicas."""

    __tablename__ = "docdebate_admission_locks"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    admissions: Mapped[int] = mapped_column(Integer, default=0)


class DigestRow(Base):
    """A digest: scheduled by someone (`/debate schedule`), or due for a meeting; and whether it was posted."""

    __tablename__ = "docdebate_digests"

    id: Mapped[str] = mapped_column(String(300), primary_key=True)  # the workflow id
    kind: Mapped[str] = mapped_column(String(16))  # meeting | scheduled | now
    team_id: Mapped[str | None] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(32), index=True)  # who scheduled it
    channel_id: Mapped[str | None] = mapped_column(String(100))
    link: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # scheduled | posting | posted | skipped (nobody to send it to) | cancelled | failed
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    detail: Mapped[str | None] = mapped_column(Text)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)  # counts toward the daily budget
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PostRow(Base):
    """A post step that began (its workflow id and step id). A second claim of the same key means the step
    is running again after a crash, so the post may already be in Slack."""

    __tablename__ = "docdebate_posts"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))


class FeedbackRow(Base):
    """One person's mark on one finding of a verdict (a door or an assumption, by its number in the verdict):
    their later click replaces the earlier one."""

    __tablename__ = "docdebate_feedback"

    debate_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # door | assumption
    item: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    label: Mapped[str] = mapped_column(String(32))  # right | not_one_way | not_weak | wrong_quote
    marked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))
