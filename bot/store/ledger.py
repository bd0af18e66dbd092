"""The ledger: every finished debate's one-way doors across docs, the status people give each, and the
versions consolidation writes (`bot.workflows.ledger`).

The rows hold what was raised and what people said of it. A version holds what consolidation found: entries
that are the same decision (merged), entries a later verdict settled, and decisions that conflict with
earlier ones; with a snapshot of the ledger as it then showed. The ledger as shown is the rows seen through
the latest version. Restoring an older version writes a new one with that version's changes, so every
change can be undone and nothing people recorded is lost.

Who may see an entry is `Viewer.sees` (README, "The ledger").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import TypeAdapter
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.models import LedgerChanges, LedgerEntry, LedgerNote, LedgerStatus, LedgerVersion
from bot.store.db import insert
from bot.store.schema import LedgerRow, LedgerVersionRow

NO_CHANGES = LedgerChanges(merges=[], resolutions=[], conflicts=[])
_ENTRIES = TypeAdapter(list[LedgerEntry])


@dataclass(frozen=True)
class Viewer:
    """Who looks at the ledger, and from where: which entries they may see.

    An entry shows where its thread can be read: in its own conversation (`channel`, or one of `member_of`);
    entries of public channels also where `public` (never a DM's, a private or shared channel's, or a
    restricted doc's); the user's own DMs' entries where `own_dms`; everything for the operator (`everyone`)."""

    user: str | None = None
    channel: str | None = None
    member_of: frozenset[str] = frozenset()
    public: bool = False
    own_dms: bool = False
    everyone: bool = False

    def sees(self, entry: LedgerEntry) -> bool:
        if self.everyone or entry.channel_id == self.channel or entry.channel_id in self.member_of:
            return True
        if entry.channel_id.startswith("D"):
            return self.own_dms and entry.requested_by == self.user
        return self.public and not entry.private


def _entry(row: LedgerRow) -> LedgerEntry:
    return LedgerEntry(
        id=row.id,
        decision=row.decision,
        quote=row.quote,
        doc_title=row.doc_title,
        doc_link=row.doc_link,
        doc_key=row.doc_key,
        team_id=row.team_id,
        channel_id=row.channel_id,
        thread_ts=row.thread_ts,
        thread_url=row.thread_url,
        debate_id=row.debate_id,
        item=row.item,
        requested_by=row.requested_by,
        raised_by=[name for name in row.raised_by.split(",") if name],
        created_at=_utc(row.created_at),
        private=row.private,
        status=_status(row.status),
        status_by=row.status_by,
        status_at=_utc(row.status_at) if row.status_at else None,
    )


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for what was stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _status(value: str) -> LedgerStatus:
    return value if value in ("open", "decided", "mitigated", "withdrawn") else "open"  # type: ignore[return-value]


def through(rows: Iterable[LedgerRow], version: LedgerVersion | None) -> list[LedgerEntry]:
    """The entries as `version` shows them, newest first. A status a person set after the version was
    written wins over a resolution the version found."""
    entries = {row.id: _entry(row) for row in rows}
    changes = version.changes if version else NO_CHANGES
    for merge in changes.merges:
        if merge.entry in entries and merge.into in entries:
            entries[merge.entry].merged_into = merge.into
            entries[merge.into].same_as.append(LedgerNote(other=merge.entry, reason=merge.reason))
    for resolution in changes.resolutions:
        entry = entries.get(resolution.entry)
        if (
            version
            and entry
            and entry.status == "open"
            and (entry.status_at or version.created_at) <= version.created_at
        ):
            entry.status, entry.status_note = resolution.status, resolution.reason
            entry.status_by, entry.status_at = f"consolidation v{version.version}", version.created_at
    for conflict in changes.conflicts:
        if conflict.entry in entries and conflict.earlier in entries:
            entries[conflict.entry].conflicts.append(
                LedgerNote(other=conflict.earlier, reason=conflict.reason)
            )
    return sorted(entries.values(), key=lambda e: (e.created_at, e.id), reverse=True)


def shown_to(viewer: Viewer, entries: Sequence[LedgerEntry]) -> list[LedgerEntry]:
    """The entries `viewer` may see, each mentioning only entries they may see: an entry merged into one they
    cannot see shows on its own."""
    visible = {e.id for e in entries if viewer.sees(e)}
    shown: list[LedgerEntry] = []
    for entry in entries:
        if entry.id not in visible or entry.merged_into in visible:
            continue
        shown.append(
            entry.model_copy(
                update={
                    "merged_into": None,
                    "same_as": [n for n in entry.same_as if n.other in visible],
                    "conflicts": [n for n in entry.conflicts if n.other in visible],
                }
            )
        )
    return shown


def _version(row: LedgerVersionRow) -> LedgerVersion:
    return LedgerVersion(
        version=row.version,
        created_at=_utc(row.created_at),
        kind="restore" if row.kind == "restore" else "consolidation",
        note=row.note,
        changes=LedgerChanges.model_validate_json(row.changes_json),
        added=LedgerChanges.model_validate_json(row.added_json),
        cost_usd=row.cost_usd,
        workflow_id=row.workflow_id,
    )


@dataclass(frozen=True)
class Ledger:
    engine: Engine

    def record(self, rows: Sequence[LedgerRow]) -> None:
        """Add a verdict's doors; a door already there (its step ran again after a crash) is kept as it is."""
        if not rows:
            return
        columns = [c.key for c in LedgerRow.__table__.columns if c.key != "id"]
        values = [{key: getattr(row, key) for key in columns} for row in rows]
        for value in values:
            value["created_at"] = value["created_at"] or datetime.now(UTC)
            value["status"] = value["status"] or "open"
        statement = insert(self.engine, LedgerRow).values(values)
        with Session(self.engine) as session, session.begin():
            session.execute(statement.on_conflict_do_nothing(index_elements=["debate_id", "item"]))

    def set_status(self, debate_id: str, item: int, status: LedgerStatus, user: str) -> LedgerEntry | None:
        """A person's word on a door (it overrides what consolidation found); the entry after it, or None if
        no door of that debate has that number."""
        with Session(self.engine) as session, session.begin():
            row = session.scalars(
                select(LedgerRow).where(LedgerRow.debate_id == debate_id, LedgerRow.item == item)
            ).first()
            if row is None:
                return None
            row.status, row.status_by, row.status_at = status, user, datetime.now(UTC)
            found = row.id
        return next(e for e in self.entries() if e.id == found)

    def door(self, debate_id: str, item: int) -> LedgerEntry | None:
        return next((e for e in self.entries() if (e.debate_id, e.item) == (debate_id, item)), None)

    def current(self) -> LedgerVersion | None:
        with Session(self.engine) as session:
            return self._current(session)

    @staticmethod
    def _current(session: Session) -> LedgerVersion | None:
        row = session.scalars(select(LedgerVersionRow).order_by(LedgerVersionRow.version.desc())).first()
        return _version(row) if row else None

    def entries(self) -> list[LedgerEntry]:
        """Every entry as the current version shows it, newest first."""
        return self.state()[1]

    def state(self) -> tuple[LedgerVersion | None, list[LedgerEntry]]:
        """The current version and every entry as that version shows it: the version is read once, so one
        written meanwhile cannot pair one version's changes with the entries another shows."""
        with Session(self.engine) as session:
            version = self._current(session)
            return version, through(session.scalars(select(LedgerRow)).all(), version)

    def shown(self, viewer: Viewer, *, open_only: bool = True) -> list[LedgerEntry]:
        """What `viewer` may see of the ledger, newest first; `open_only`: the doors still open."""
        return [e for e in shown_to(viewer, self.entries()) if e.status == "open" or not open_only]

    def versions(self) -> list[LedgerVersion]:
        with Session(self.engine) as session:
            rows = session.scalars(select(LedgerVersionRow).order_by(LedgerVersionRow.version)).all()
            return [_version(row) for row in rows]

    def snapshot(self, version: int) -> list[LedgerEntry] | None:
        """The ledger as version `version` showed it when it was written."""
        with Session(self.engine) as session:
            row = session.get(LedgerVersionRow, version)
            return _ENTRIES.validate_json(row.snapshot_json) if row else None

    def add_version(
        self,
        kind: str,
        note: str,
        changes: LedgerChanges,
        added: LedgerChanges,
        cost_usd: float = 0.0,
        workflow_id: str | None = None,
    ) -> int:
        """Write a new current version (with the snapshot it shows); once per `workflow_id`."""
        with Session(self.engine) as session, session.begin():
            if workflow_id is not None:
                done = session.scalars(
                    select(LedgerVersionRow.version).where(LedgerVersionRow.workflow_id == workflow_id)
                ).first()
                if done is not None:
                    return done
            row = LedgerVersionRow(
                created_at=datetime.now(UTC),
                kind=kind,
                note=note,
                workflow_id=workflow_id,
                changes_json=changes.model_dump_json(),
                added_json=added.model_dump_json(),
                snapshot_json="[]",
                cost_usd=cost_usd,
            )
            session.add(row)
            session.flush()
            entries = through(session.scalars(select(LedgerRow)).all(), _version(row))
            row.snapshot_json = _ENTRIES.dump_json(entries).decode()
            return row.version

    def restore(self, version: int) -> int:
        """Make the ledger show what version `version` did (0: before any consolidation), as a new version;
        raises LookupError for a version that does not exist."""
        if version == 0:
            changes = NO_CHANGES
        else:
            found = next((v for v in self.versions() if v.version == version), None)
            if found is None:
                raise LookupError(version)
            changes = found.changes
        return self.add_version("restore", f"restored version {version}", changes, NO_CHANGES)
