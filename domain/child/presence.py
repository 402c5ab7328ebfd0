"""Where a child is checked in now, and the guardian's codes it was let in or out with: kept on
the child, across institutions (an attendance day knows one institution only). Mixed into Child.

A child checked in at one institution is refused at another until collected there, as a carer
on a shift is (domain/account/aggregate.py); an arrival replayed late is refused too if the child
was at another institution at its time, though collected there since. A one-time code admits
once, anywhere."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from domain.aggregate import TuoyuAggregate
from domain.attendance.values import CodeAlreadyUsed
from domain.clocks import families_today
from domain.errors import RuleViolated
from domain.one_place_at_a_time import Stay, elsewhere_params, present_elsewhere, with_ended_stay

CODES_KEPT = timedelta(days=2)  # a code verifies only near its own `at`, replayed ≤ 24 h late


class PresentElsewhere(RuleViolated):
    code = "present-elsewhere"


def _keep_codes(used: dict[str, datetime], code: str | None, at: datetime) -> dict[str, datetime]:
    """`used` with `code` used at `at`, less the codes too old to be shown again."""
    if code is None:
        return used
    kept = {c: when for c, when in used.items() if when >= at - CODES_KEPT}
    kept[code] = at
    return kept


class ChildPresenceMixin:
    """Presence per institution (institution → since when), the stays ended lately, and codes
    used (key → when)."""

    present_at: dict[UUID, datetime]
    ended_stays: tuple[Stay, ...] = ()  # a snapshot from before they were kept has none
    codes_used: dict[str, datetime]
    last_attended: date | None
    emit: Any

    class Arrived(TuoyuAggregate.Event):
        """Checked in at an institution at `at` (its local `day`), with the guardian's code if
        one was shown. Also the day last attended (as `Attended`, which it follows)."""

        institution_id: UUID
        day: date
        at: datetime
        code: str | None = None

        def apply(self, child: Any) -> None:
            if child.last_attended is None or self.day > child.last_attended:
                child.last_attended = self.day
            since = child.present_at.get(self.institution_id)
            child.present_at[self.institution_id] = (
                self.at if since is None else max(since, self.at)
            )
            child.codes_used = _keep_codes(child.codes_used, self.code, self.at)

    class Left(TuoyuAggregate.Event):
        """Collected from an institution at `at` (with the guardian's code if one was shown)."""

        institution_id: UUID
        at: datetime
        code: str | None = None

        def apply(self, child: Any) -> None:
            since = child.present_at.get(self.institution_id)
            if since is not None and self.at >= since:  # not a later stay there (after midnight)
                del child.present_at[self.institution_id]
                child.ended_stays = with_ended_stay(
                    child.ended_stays, self.institution_id, since, self.at
                )
            child.codes_used = _keep_codes(child.codes_used, self.code, self.at)

    def init_presence(self) -> None:
        self.present_at = {}
        self.ended_stays = ()
        self.codes_used = {}

    def check_not_present_elsewhere(self, institution_id: UUID, at: datetime) -> None:
        """Refuse an arrival at `at` while the child is checked in at another institution since
        then, or was at `at` (an arrival replayed late, collected there since). A replayed
        arrival from before that stay began is history and stands."""
        found = present_elsewhere(self.present_at, self.ended_stays, institution_id, at)
        if found is None:
            return
        _, since, until = found
        if until is None:
            detail = f"checked in at another institution since {since.isoformat()}: it must be"
            detail += " collected there first"
        else:
            detail = f"at another institution from {since.isoformat()} until its pick-up there"
            detail += f" at {until.isoformat()}: not here then"
        raise PresentElsewhere(detail, field="child_id", **elsewhere_params(found))

    def in_a_room(self, now: datetime) -> bool:
        """Checked in somewhere and not collected, on a stay begun today or yesterday (local):
        one nobody checked out on an older day was left behind, and no longer counts, as in
        the attendance read model (`attendance_queries.is_present`)."""
        since_day = families_today(now) - timedelta(days=1)
        return any(families_today(since) >= since_day for since in self.present_at.values())

    def check_code_unused(self, code: str | None) -> None:
        """A guardian's code admits once, at whichever institution it was shown first."""
        if code is not None and code in self.codes_used:
            raise CodeAlreadyUsed("this code was already used; ask for a fresh one", field="code")

    def arrive(
        self, institution_id: UUID, day: date, at: datetime, code: str | None, now: datetime
    ) -> None:
        self.emit(self.Arrived, now, institution_id=institution_id, day=day, at=at, code=code)

    def leave(self, institution_id: UUID, at: datetime, code: str | None, now: datetime) -> None:
        """Collected: an event only where it ends a stay the child keeps (not one of before) or
        uses a code."""
        since = self.present_at.get(institution_id)
        if code is not None or (since is not None and at >= since):
            self.emit(self.Left, now, institution_id=institution_id, at=at, code=code)
