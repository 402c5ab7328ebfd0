"""Values and named refusals of attendance: how a child arrived, who collected it, who is present."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

import msgspec

from domain.errors import InvalidValue, RuleViolated


class CheckInMethod(StrEnum):
    app_code = "app_code"  # the guardian's rotating code or QR, scanned by the room's device
    manual = "manual"  # staff checked the child in by hand (recorded as such)


class IdentityCheck(StrEnum):
    app_code = "app_code"  # the collecting guardian's rotating code from the app
    id_card = "id_card"
    known_in_person = "known_in_person"
    call_to_guardian = "call_to_guardian"


class PresentChild(msgspec.Struct, frozen=True):
    child_id: UUID
    room_id: UUID
    since: datetime
    children_per_carer: int  # what this child needs in this room today
    booking_id: UUID | None = None
    enrolment_id: UUID | None = None


class Visit(msgspec.Struct, frozen=True):
    """One stay in a room on the day, from arrival to departure (None: still here): a child's,
    or a carer's between clocking in and out."""

    room_id: UUID
    arrived: datetime
    left: datetime | None = None
    children_per_carer: int = 0  # what the child needed there (0: not recorded; a carer's)

    def covers(self, at: datetime, slack: timedelta = timedelta(0)) -> bool:
        """Here at `at`, or within `slack` of it (devices' clocks differ a little)."""
        return self.arrived <= at + slack and (self.left is None or at - slack < self.left)


class Collector(msgspec.Struct, frozen=True):
    name: str  # as the guardians named them (a guardian: as the carer wrote it)
    phone: str
    relation: str  # guardian, authorised_adult, delegate
    identity_check: IdentityCheck
    stated_name: str = ""  # the name the carer wrote at the door, when it is not `name`
    # Put on the child's "must not collect" list after the pick-up (a tablet replaying it
    # late): since when. The pick-up stands, as it happened (docs/adr/0026).
    blocked_since: datetime | None = None


class AlreadyCheckedIn(RuleViolated):
    code = "already-checked-in"


class RoomClosedThatDay(RuleViolated):
    """The institution closed the room (or itself) that day: nobody is checked in."""

    code = "room-closed"


class NotCheckedIn(RuleViolated):
    code = "not-checked-in"


class CodeAlreadyUsed(RuleViolated):
    code = "code-already-used"


class AbnormalCheckNeedsDecision(InvalidValue):
    code = "abnormal-check-needs-decision"


class InstitutionFull(RuleViolated):
    code = "filed-places-exceeded"


class ChildNotPresent(RuleViolated):
    code = "child-not-present"


class NotClockedIn(RuleViolated):
    code = "not-clocked-in"


class NapRuleBroken(RuleViolated):
    code = "nap-sequence"


class VisitOverlaps(RuleViolated):
    code = "visit-overlaps"


class VisitStillOpen(RuleViolated):
    code = "visit-still-open"
