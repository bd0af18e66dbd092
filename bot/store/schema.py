"""docdebate's own tables (the ORM view). Their history is in `migrations/versions`: change both together."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Boolean, DateTime, Float, Integer, String, Text, UniqueConstraint
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


class LedgerRow(Base):
    """A one-way door of a finished debate's verdict, as it was raised, with the status people gave it. What
    consolidation found (merges, resolutions, conflicts) is in the versions, never written here."""

    __tablename__ = "docdebate_ledger"
    __table_args__ = (UniqueConstraint("debate_id", "item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    debate_id: Mapped[str] = mapped_column(String(200))
    item: Mapped[int] = mapped_column(Integer)  # the door's number in the verdict, from 0
    decision: Mapped[str] = mapped_column(Text)
    quote: Mapped[str] = mapped_column(Text)
    doc_title: Mapped[str] = mapped_column(Text)
    doc_link: Mapped[str] = mapped_column(Text)
    doc_key: Mapped[str] = mapped_column(Text, index=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32), index=True)
    thread_ts: Mapped[str] = mapped_column(String(32))
    thread_url: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(32))
    raised_by: Mapped[str] = mapped_column(Text)  # persona names, comma-separated
    private: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | decided | mitigated | withdrawn
    status_by: Mapped[str | None] = mapped_column(String(32))
    status_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LedgerVersionRow(Base):
    """A version of the ledger: the changes consolidation made (or a restore brought back), with a snapshot of
    the ledger as it showed then. The latest is the current one; none is ever deleted."""

    __tablename__ = "docdebate_ledger_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))
    kind: Mapped[str] = mapped_column(String(16))  # consolidation | restore
    note: Mapped[str] = mapped_column(Text)
    workflow_id: Mapped[str | None] = mapped_column(String(300), unique=True)  # the tick that wrote it
    changes_json: Mapped[str] = mapped_column(Text)  # LedgerChanges: all it applies
    added_json: Mapped[str] = mapped_column(Text)  # LedgerChanges: what it added to the version before
    snapshot_json: Mapped[str] = mapped_column(Text)  # list[LedgerEntry] as this version showed them
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)  # counts toward the daily budget
