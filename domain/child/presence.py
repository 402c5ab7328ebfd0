"""Where a child is checked in now: kept on the child, across institutions (an attendance day
knows one institution only). Mixed into Child.

A child checked in at one institution is refused at another until collected there, as a carer
on a shift is (domain/account/aggregate.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from domain.aggregate import TuoyuAggregate
from domain.errors import RuleViolated

LONGEST_STAY = timedelta(hours=24)  # a presence older than this is a pick-up never recorded


class PresentElsewhere(RuleViolated):
    code = "present-elsewhere"


class ChildPresenceMixin:
    """Presence per institution: institution → since when."""

    present_at: dict[UUID, datetime]
    last_attended: date | None
    emit: Any

    class Arrived(TuoyuAggregate.Event):
        """Checked in at an institution at `at` (its local `day`). Also the day last attended
        (as `Attended`, which it follows)."""

        institution_id: UUID
        day: date
        at: datetime

        def apply(self, child: Any) -> None:
            if child.last_attended is None or self.day > child.last_attended:
                child.last_attended = self.day
            since = child.present_at.get(self.institution_id)
            child.present_at[self.institution_id] = (
                self.at if since is None else max(since, self.at)
            )

    class Left(TuoyuAggregate.Event):
        """Collected from an institution at `at`."""

        institution_id: UUID
        at: datetime

        def apply(self, child: Any) -> None:
            since = child.present_at.get(self.institution_id)
            if since is not None and self.at >= since:  # not a later stay there (after midnight)
                del child.present_at[self.institution_id]

    def init_presence(self) -> None:
        self.present_at = {}

    def check_not_present_elsewhere(self, institution_id: UUID, at: datetime) -> None:
        """Refuse an arrival at `at` while the child is checked in at another institution since
        then. A replayed arrival from before that stay began is history and stands."""
        for elsewhere, since in self.present_at.items():
            if elsewhere != institution_id and since <= at < since + LONGEST_STAY:
                raise PresentElsewhere(
                    f"checked in at another institution since {since.isoformat()}: it must be"
                    " collected there first",
                    field="child_id", institution_id=str(elsewhere), since=since.isoformat(),
                )  # fmt: skip

    def arrive(self, institution_id: UUID, day: date, at: datetime, now: datetime) -> None:
        self.emit(self.Arrived, now, institution_id=institution_id, day=day, at=at)

    def leave(self, institution_id: UUID, at: datetime, now: datetime) -> None:
        """Collected: an event only where it ends a stay the child keeps (not one of before)."""
        since = self.present_at.get(institution_id)
        if since is not None and at >= since:
            self.emit(self.Left, now, institution_id=institution_id, at=at)
