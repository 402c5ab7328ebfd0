"""Regular places (a child on set weekdays for a term): enrolling, ending early, the views."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

import msgspec

from api_schema.booking import CareType, Weekday
from api_schema.institutions import ClockTime


class NewEnrolment(msgspec.Struct, frozen=True):
    child_id: UUID
    institution_id: UUID
    room_id: UUID
    care_type: CareType
    weekdays: Annotated[list[Weekday], msgspec.Meta(min_length=1, max_length=7)]
    first_day: Annotated[dt.date, msgspec.Meta(examples=["2027-03-01"])]
    last_day: Annotated[dt.date, msgspec.Meta(examples=["2027-07-15"])]
    start: ClockTime
    end: ClockTime


class EndEnrolment(msgspec.Struct, frozen=True):
    last_day: dt.date


class EnrolmentView(msgspec.Struct, frozen=True):
    id: UUID
    child_id: UUID
    institution_id: UUID
    room_id: UUID
    care_type: str
    care_type_zh: str
    weekdays: list[int]
    first_day: dt.date
    last_day: dt.date
    start: str
    end: str
    price_fen: int
    refund_fen: int = 0  # refunded by ending the term early (its price stays what was paid)


class EndingPreview(msgspec.Struct, frozen=True):
    """What ending the term on `last_day` now would give back to the caller's side, shown
    before confirming: the paid days after it and their refund under `rule`."""

    enrolment_id: UUID
    last_day: dt.date
    price_fen: int
    days_given_up: int
    refund_fen: int
    rule: str
