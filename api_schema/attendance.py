"""Attendance: drop-off with the morning check, pick-up, staff clock-in, the day's care, live
occupancy, the child's day and the attendance register."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

import msgspec

DeviceTime = Annotated[
    dt.datetime,
    msgspec.Meta(
        tz=True,
        description="when it happened on the device (with offset); replays keep their real time",
        examples=["2026-12-01T08:05:00+08:00"],
    ),
]
Phone = Annotated[str, msgspec.Meta(min_length=5, max_length=20, examples=["13600000002"])]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=50, examples=["王芳"])]
Note = Annotated[str, msgspec.Meta(max_length=500)]
Code = Annotated[
    str,
    msgspec.Meta(
        max_length=80,
        description="the 6 digits the guardian's app shows, or its QR text",
        examples=["483920"],
    ),
]


class HealthCheckIn(msgspec.Struct, frozen=True):
    """晨检/午检. Each checklist item is true when it found nothing wrong: 一摸 touch, 二看 look,
    三问 ask, 四查 check. Abnormal: a temperature (taken to 0.1 °C) of 37.3 °C or more, or
    below 36.0 °C (体温偏低), or any item false."""

    temperature_c: Annotated[float, msgspec.Meta(ge=34.0, le=43.0, examples=[36.6])]
    touch_ok: bool = True
    look_ok: bool = True
    ask_ok: bool = True
    check_ok: bool = True
    observations: Note = ""


class CheckInRequest(msgspec.Struct, frozen=True):
    child_id: UUID
    room_id: UUID
    at: DeviceTime
    health_check: HealthCheckIn
    method: Literal["app_code", "manual"] = "app_code"
    code: Code | None = None
    abnormal_outcome: Literal["admit_with_note", "refuse"] | None = None
    note: Note = ""
    override_reason: (
        Annotated[
            str,
            msgspec.Meta(
                max_length=500,
                description="admins only: admit past the class size or ratio, with the reason",
            ),
        ]
        | None
    ) = None


class VisitCorrectionRequest(msgspec.Struct, frozen=True):
    """An admin's correction of the register: without `replaces`, a missed visit is added
    (arrival and departure); with it, the visit that arrived then gets these times (and room,
    once it is over). The day is the local day of `replaces`, else of `arrived_at`."""

    child_id: UUID
    room_id: UUID
    arrived_at: Annotated[
        dt.datetime, msgspec.Meta(tz=True, examples=["2026-12-01T08:10:00+08:00"])
    ]
    reason: Annotated[
        str,
        msgspec.Meta(
            min_length=1, max_length=500,
            description="why the register is corrected; shown in the register and the export",
            examples=["平板离线两天，按纸质签到表补录"],
        ),
    ]  # fmt: skip
    left_at: (
        Annotated[dt.datetime, msgspec.Meta(tz=True, examples=["2026-12-01T17:20:00+08:00"])] | None
    ) = None
    replaces: (
        Annotated[
            dt.datetime,
            msgspec.Meta(
                tz=True,
                description="the arrival of the visit to correct, to the minute, as the"
                " register shows it",
                examples=["2026-12-01T08:45:00+08:00"],
            ),
        ]
        | None
    ) = None


class CheckInAccepted(msgspec.Struct, frozen=True):
    id: UUID  # the child
    version: int
    status: Literal["checked_in", "turned_away"]
    room_id: UUID
    local_time: str
    booking_id: UUID | None = None
    enrolment_id: UUID | None = None
    position: int | None = None
    replayed: bool = False


class CheckOutAccepted(msgspec.Struct, frozen=True):
    """A pick-up recorded. `relation`: how the collector could collect the child at `at`, the
    pick-up's own time (a tablet replays it late: a right the guardians ended after `at` still
    covers it). `collector_blocked_since`: the guardians put the collector on the "must not
    collect" list after `at`; the child had left with them, so the pick-up is recorded as it
    happened, and the register and the guardians' notice say when the block began."""

    id: UUID  # the child
    version: int
    relation: Literal["guardian", "authorised_adult", "delegate"] | None = None  # None: an
    # answer stored before it was given
    collector_blocked_since: dt.datetime | None = None
    position: int | None = None
    replayed: bool = False


class CollectorIn(msgspec.Struct, frozen=True):
    name: Name
    phone: Phone
    identity_check: Literal["app_code", "id_card", "known_in_person", "call_to_guardian"]


class CheckOutRequest(msgspec.Struct, frozen=True):
    child_id: UUID
    institution_id: UUID
    at: DeviceTime
    collector: CollectorIn
    code: Code | None = None


class RoomMoveRequest(msgspec.Struct, frozen=True):
    """A child present in one room of the institution goes to another (转班): no pick-up,
    no new morning check."""

    child_id: UUID
    institution_id: UUID
    to_room_id: UUID
    at: DeviceTime
    override_reason: (
        Annotated[
            str,
            msgspec.Meta(
                max_length=500,
                description="admins only: move past the new room's class size or ratio, with"
                " the reason",
            ),
        ]
        | None
    ) = None


class RoomMoveAccepted(msgspec.Struct, frozen=True):
    id: UUID  # the child
    version: int
    from_room_id: UUID
    room_id: UUID  # the room the child is in now
    local_time: str
    booking_id: UUID | None = None  # the care that covers the child in its new room
    enrolment_id: UUID | None = None
    override_reason: str | None = None  # recorded only when the room did not take the child
    position: int | None = None
    replayed: bool = False


class ClockRequest(msgspec.Struct, frozen=True):
    room_id: UUID
    at: DeviceTime


class CareLogRequest(msgspec.Struct, frozen=True):
    """One entry of the day's care. Without `child_ids` it covers every child present in the
    room (one tap: "lunch served to all present")."""

    room_id: UUID
    kind: Literal[
        "midday_check", "nap_start", "nap_check", "nap_end", "meal", "toileting", "medication",
        "incident", "observation",
    ]  # fmt: skip
    at: DeviceTime
    child_ids: Annotated[list[UUID], msgspec.Meta(max_length=50)] = []
    note: Note = ""
    meal: Literal["breakfast", "morning_snack", "lunch", "afternoon_snack", "dinner"] | None = None
    amount: Literal["all", "most", "half", "little", "none"] | None = None
    toileting: Literal["wet", "dirty", "potty", "dry"] | None = None
    category: (
        Literal[
            "fall", "bump", "bite", "scratch", "illness", "allergy", "lost_item",
            "suspected_abuse", "other",
        ]
        | None
    ) = None  # fmt: skip
    health_check: HealthCheckIn | None = None
    authorisation_id: UUID | None = None
    dose: Annotated[str, msgspec.Meta(max_length=50)] | None = None


class AttendanceCode(msgspec.Struct, frozen=True):
    code: str
    qr: str
    valid_until: dt.datetime


class HealthRecordIn(msgspec.Struct, frozen=True):
    kind: Literal["admission", "re_examination"]
    examined_on: Annotated[dt.date, msgspec.Meta(examples=["2026-11-20"])]
    passed: bool
    vaccination_checked: bool
    note: Note = ""


class DelegateIn(msgspec.Struct, frozen=True):
    name: Name
    phone: Phone
    day: Annotated[dt.date, msgspec.Meta(examples=["2026-12-01"])]


class BlockedCollectorIn(msgspec.Struct, frozen=True):
    name: Name
    phone: Phone
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class MedicationAuthorisationIn(msgspec.Struct, frozen=True):
    medicine: Annotated[str, msgspec.Meta(min_length=1, max_length=100, examples=["布洛芬混悬液"])]
    dose: Annotated[str, msgspec.Meta(min_length=1, max_length=50, examples=["5 ml"])]
    max_doses_per_day: Annotated[int, msgspec.Meta(ge=1, le=6)]
    first_day: dt.date
    last_day: dt.date
    instructions: Note = ""


class PresentChildView(msgspec.Struct, frozen=True):
    child_id: UUID
    name: str
    age_months: int
    age_class: str  # 乳儿班, 托小班 or 托大班 by age
    since: str  # local HH:MM
    children_per_carer: int


class PresentStaffView(msgspec.Struct, frozen=True):
    account_id: UUID
    name: str
    since: str


class LiveRoom(msgspec.Struct, frozen=True):
    room_id: UUID
    name: str
    class_type: str
    class_name: str  # 乳儿班, 托小班 …
    capacity: int
    children: list[PresentChildView]
    staff: list[PresentStaffView]
    required_staff: int
    headroom: int  # places left under the class size now
    ratio_ok: bool
    alarm: str | None  # 'ratio' or 'size' while out of bounds
    expected_next_hour: int
    nap_checks_overdue: int  # sleeping children not checked for over 15 minutes


class LiveOccupancy(msgspec.Struct, frozen=True):
    institution_id: UUID
    local_time: str
    children_present: int
    staff_present: int
    filed_places: int
    rooms: list[LiveRoom]
    position: int  # pass as Last-Event-ID to the stream to continue from here


class ChildDayEntry(msgspec.Struct, frozen=True):
    time: str  # local HH:MM when it happened
    at: dt.datetime
    kind: str
    title: str
    detail: str
    by: str | None = None  # who recorded it: the carer's name (none for the app's own reminders)


class ChildDay(msgspec.Struct, frozen=True):
    child_id: UUID
    date: dt.date
    timezone: str
    entries: list[ChildDayEntry]


class AuditEntry(msgspec.Struct, frozen=True):
    """An admin's act against the register's rules: a check-in past the room's class size or
    staff ratio (`ratio_override`, 超额入园), a move to another room past them
    (`move_override`, 超额转班) or a correction of the register (`register_correction`,
    考勤更正), with who did it and why."""

    date: dt.date
    time: str  # local HH:MM of what was done (the arrival overridden, the visit corrected)
    at: dt.datetime
    recorded_at: dt.datetime  # when the server recorded it (a tablet may sync later)
    kind: Literal["ratio_override", "register_correction", "move_override"]
    kind_zh: str
    by: str | None  # the admin's name
    child_id: UUID
    child: str  # the name; "（已删除）" once the child's data was erased
    room: str | None
    detail: str  # the reason given (a correction: the times, then the reason)


class RegisterRow(msgspec.Struct, frozen=True):
    child: str  # the name; a regulator sees a pseudonym
    checked_in: str | None
    checked_in_by: str | None
    method: str | None
    temperature_c: float | None
    morning_check: str
    note: str  # staff's words: "" for a regulator, and once the child's data is erased
    override_reason: str | None  # likewise; null: no override
    checked_out: str | None
    checked_out_by: str | None
    collector: str | None
    identity_check: str | None
    corrected_by: str | None = None  # the admin who last corrected this visit
    correction_reason: str | None = None
    observations: str = ""  # the carer's at the morning check; staff's words, as `note`
