"""The post claims table: a workflow step's post made at most once, though the step may run again."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.schema import PostRow


@dataclass(frozen=True)
class Posts:
    engine: Engine

    def claim(self, key: str) -> bool:
        """True the first time a post step with this key runs; False when it runs again (after a crash)."""
        try:
            with Session(self.engine) as session, session.begin():
                session.add(PostRow(key=key))
            return True
        except IntegrityError:
            return False
