"""When a child still here after closing is escalated as not collected (guardians first, then the
institution's admins too), and when again.

A child is escalated from its day's closing + grace, again every few minutes until collected. A
child whose booking or regular place covers the moment is in care, not uncollected: in a room
open round the clock, a child booked until 24:00 and again from 00:00 the next day is not
collected at midnight, and its guardians are not told it was (ADR 0007). When that care ends
and the child is still here, it is escalated from the care's end + grace: its own day closed
long ago, and the next day's closing may be a whole day away. Mixed into AttendanceDay (kept
apart to keep files small); the event it emits is declared on AttendanceDay."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from domain.attendance.values import PresentChild


def next_escalation(
    level: int, last: datetime | None, own_due: datetime, due: datetime, every: timedelta
) -> datetime:
    """When a child's escalation `level` + 1 is due: at `own_due` (the day's closing + grace,
    `due`, or the end of the child's care past it + grace), then `every` after the last one
    (`last`), and never before `own_due`: a child escalated, then in care, is escalated again
    when its care ends, not at once nor as often as the missed levels."""
    if level == 0:
        return own_due
    if last is None:  # escalated before the day kept when: as the levels fell due
        last = due + every * (level - 1)
    return max(own_due, last + every)


class UncollectedMixin:
    """The escalations of the children still here after closing, decided on the day's state."""

    # child → when it was last escalated (AttendanceDay.UncollectedEscalated keeps it): a
    # snapshot from before the day kept it has none, and its levels fall due as they did
    escalated_at: dict[UUID, datetime] = {}

    if TYPE_CHECKING:  # the day's state and events, provided by AttendanceDay
        present: dict[UUID, PresentChild]
        escalations: dict[UUID, int]
        UncollectedEscalated: type[Any]

        def emit(self, event_class: type[Any], now: datetime, **fields: Any) -> None: ...

    def escalations_due(self, due: datetime, every: timedelta, now: datetime) -> list[UUID]:
        """The children whose next escalation falls due by `now` at the day's closing + grace
        (`due`): the only ones whose care need be looked at (`escalate_uncollected`)."""
        return [c for c in self.present if now >= self._next_escalation(c, due, due, every)]

    def escalate_uncollected(
        self, due: datetime, every: timedelta, now: datetime, *,
        due_for: Mapping[UUID, datetime | None] | None = None,
    ) -> int:  # fmt: skip
        """Past closing + grace (`due`), escalate each child still here, again every `every`;
        each level fires once, so however many workers run this, nobody is told twice.
        `due_for`: a child's own due time, where its care ran past closing (that care's end +
        grace), or None while a booking or regular place covers it now: it is in care, not
        uncollected (domain/attendance/uncollected.py)."""
        raised = 0
        for child_id, child in self.present.items():
            own_due = (due_for or {}).get(child_id, due)
            if own_due is None or now < self._next_escalation(child_id, own_due, due, every):
                continue
            self.emit(
                self.UncollectedEscalated, now, child_id=child_id, room_id=child.room_id,
                level=self.escalations.get(child_id, 0) + 1, at=now,
            )  # fmt: skip
            raised += 1
        return raised

    def _next_escalation(
        self, child_id: UUID, own_due: datetime, due: datetime, every: timedelta
    ) -> datetime:
        level = self.escalations.get(child_id, 0)
        return next_escalation(level, self.escalated_at.get(child_id), own_due, due, every)
