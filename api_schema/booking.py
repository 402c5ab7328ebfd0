"""Children, care offers, rosters, refund policies and bookings on the wire."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from api_schema.family import BlockedCollectorView, DelegateView, MedicationAuthorisationView
from api_schema.institutions import ClockTime, Name

CareType = Literal["full_day", "half_day", "hourly", "temporary", "extended", "weekend"]
Weekday = Annotated[int, msgspec.Meta(ge=1, le=7, description="ISO weekday, 1 = Monday")]
Fen = Annotated[int, msgspec.Meta(ge=0, le=10_000_000, description="money in fen (分)")]


class NewChild(msgspec.Struct, frozen=True):
    name: Name
    birth_date: Annotated[dt.date, msgspec.Meta(examples=["2025-03-15"])]
    sex: Literal["female", "male"]
    consent_care_booking: Annotated[
        bool,
        msgspec.Meta(
            description="the guardian's separate consent (PIPL art. 31) to process this child's "
            "data to book and provide care, as GET /v1/consents describes it; required"
        ),
    ]


class ConsentNoticeView(msgspec.Struct, frozen=True):
    """What a guardian agrees to for one purpose, shown before registering a child."""

    purpose: Annotated[str, msgspec.Meta(examples=["care_booking"])]
    version: str
    title: str
    collected: str
    used_for: str
    kept_where: str
    kept_for: str
    afterwards: str
    required: bool


class ChildView(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    birth_date: dt.date
    sex: str
    age_months: int


class NewGuardian(msgspec.Struct, frozen=True):
    phone: Annotated[str, msgspec.Meta(min_length=11, max_length=20, examples=["13600000002"])]
    display_name: Name


class PickupAdultIn(msgspec.Struct, frozen=True):
    name: Name
    phone: Annotated[str, msgspec.Meta(min_length=11, max_length=20)]
    relation: Annotated[str, msgspec.Meta(min_length=1, max_length=20, examples=["外婆"])]


class ChildDetail(msgspec.Struct, frozen=True):
    """Who may collect the child (standing adults, delegates of today and later days), who
    must not, and the medicines authorised for today or later."""

    child: ChildView
    guardians: int
    pickup_adults: list[PickupAdultIn]
    delegates: list[DelegateView]
    blocked_collectors: list[BlockedCollectorView]
    medication_authorisations: list[MedicationAuthorisationView]


class DataRead(msgspec.Struct, frozen=True):
    role: str
    reader: str | None
    purpose: str
    read_at: dt.datetime


class Offer(msgspec.Struct, frozen=True):
    care_type: CareType
    weekdays: list[Weekday]
    opens: ClockTime
    closes: ClockTime
    price_fen: Fen
    pricing: Literal["per_hour", "per_session"]
    min_notice_minutes: Annotated[int, msgspec.Meta(ge=0, le=60 * 24 * 30)] = 0
    max_minutes_per_visit: Annotated[int, msgspec.Meta(ge=1, le=24 * 60)] = 24 * 60
    max_minutes_per_day: Annotated[int, msgspec.Meta(ge=1, le=24 * 60)] = 24 * 60


class CareOffers(msgspec.Struct, frozen=True):
    offers: list[Offer]


class RosterShift(msgspec.Struct, frozen=True):
    weekday: Weekday
    starts: ClockTime
    ends: ClockTime
    staff: Annotated[int, msgspec.Meta(ge=1, le=50)]


class Roster(msgspec.Struct, frozen=True):
    shifts: list[RosterShift]


class RefundPolicyIn(msgspec.Struct, frozen=True):
    full_refund_hours_before: Annotated[int, msgspec.Meta(ge=0, le=24 * 30)]
    late_refund_percent: Annotated[int, msgspec.Meta(ge=0, le=100)]


class NewBooking(msgspec.Struct, frozen=True):
    child_id: UUID
    institution_id: UUID
    room_id: UUID
    date: Annotated[dt.date, msgspec.Meta(description="local date", examples=["2026-12-01"])]
    start: ClockTime
    end: ClockTime
    care_type: CareType


class BookingAccepted(msgspec.Struct, frozen=True):
    id: UUID
    version: int
    status: str
    price_fen: int
    refund_policy: str
    position: int | None = None
    replayed: bool = False


class CancelBooking(msgspec.Struct, frozen=True):
    reason: Annotated[str, msgspec.Meta(max_length=200)] = ""


class BookingCancelled(msgspec.Struct, frozen=True):
    id: UUID
    version: int
    status: str
    refund_fen: int
    position: int | None = None
    replayed: bool = False


class RefundPreview(msgspec.Struct, frozen=True):
    booking_id: UUID
    price_fen: int
    refund_fen: int
    rule: str
    cancellable: bool = True  # by the caller, now: not once the child has arrived (a family)


class StatusChange(msgspec.Struct, frozen=True):
    status: str
    at: dt.datetime
    detail: str | None = None


class BookingView(msgspec.Struct, frozen=True):
    id: UUID
    child_id: UUID
    institution_id: UUID
    room_id: UUID
    date: dt.date
    start: str
    end: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    care_type: str
    care_type_zh: str
    status: str
    price_fen: int
    refund_fen: int | None
    history: list[StatusChange] = []


class BookingPage(msgspec.Struct, frozen=True):
    items: list[BookingView]
    total: int
    limit: int
    offset: int


class OccupancySegment(msgspec.Struct, frozen=True):
    start: str
    end: str
    booked: int
    enrolled: int
    capacity: int
    ratio_capacity: int
    held: int = 0  # places held for waitlist offers not yet taken (refused to bookings alike)


class RoomOccupancy(msgspec.Struct, frozen=True):
    room_id: UUID
    date: dt.date
    segments: list[OccupancySegment]
    closed: str | None = None  # why the room is closed that day: nothing bookable, places 0


class AvailableRoom(msgspec.Struct, frozen=True):
    room_id: UUID
    name: str
    class_type: str
    class_type_zh: str
    care_type: str
    care_type_zh: str
    price_fen: int


class AvailableInstitution(msgspec.Struct, frozen=True):
    institution_id: UUID
    name: str
    address: str
    distance_km: float
    puhui: bool
    refund_policy: str
    rooms: list[AvailableRoom]


class NewClosure(msgspec.Struct, frozen=True):
    date: Annotated[dt.date, msgspec.Meta(description="local date", examples=["2026-12-24"])]
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=200, examples=["停水检修"])]
    room_id: UUID | None = None


class ClosureAccepted(msgspec.Struct, frozen=True):
    id: UUID
    version: int
    cancelled: int  # bookings cancelled and refunded in full
    regular_places_refunded: int = 0  # regular places (enrolments) given that day's price back
    position: int | None = None
    replayed: bool = False


class BookingSettingsBody(msgspec.Struct, frozen=True):
    no_show_after_minutes: Annotated[
        int, msgspec.Meta(ge=5, le=240, description="release a booking not checked in by then")
    ] = 30
    waitlist_offer_minutes: Annotated[
        int, msgspec.Meta(ge=5, le=1440, description="how long a freed place is held for")
    ] = 15
    check_in_tolerance_minutes: Annotated[
        int, msgspec.Meta(ge=0, le=120, description="how early a booked child may arrive")
    ] = 30
    uncollected_after_minutes: Annotated[
        int,
        msgspec.Meta(
            ge=0, le=120, description="after closing, when an uncollected child escalates"
        ),
    ] = 15
    escalate_every_minutes: Annotated[
        int, msgspec.Meta(ge=5, le=120, description="how often the escalation repeats")
    ] = 15
    nap_check_minutes: Annotated[
        int,
        msgspec.Meta(
            ge=5,
            le=15,
            description="how long a sleeping child may go unchecked before the live view flags"
            " it (Beijing: every 10–15 minutes)",
        ),
    ] = 15
