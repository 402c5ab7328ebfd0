"""A family's changes on the wire: a profile corrected, people withdrawn or let off the
"must not collect" list (named by phone in the body: paths are logged), and what the child's
profile shows of who may collect it and which medicines are authorised."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from api_schema.auth import Phone
from api_schema.institutions import Name

Day = Annotated[dt.date, msgspec.Meta(examples=["2026-12-01"])]


class ChildProfileIn(msgspec.Struct, frozen=True):
    """The whole profile as it should read: a field left as it was is sent as it is."""

    name: Annotated[Name, msgspec.Meta(examples=["林小雪"])]
    birth_date: Annotated[dt.date, msgspec.Meta(examples=["2025-03-15"])]
    sex: Literal["female", "male"]


class PersonByPhone(msgspec.Struct, frozen=True):
    """A pick-up adult to withdraw, or a person to let off the "must not collect" list."""

    phone: Phone


class DelegateWithdrawal(msgspec.Struct, frozen=True):
    """The one-day delegate named for `day` (today or later) to withdraw."""

    phone: Phone
    day: Day


class DelegateView(msgspec.Struct, frozen=True):
    name: str
    phone: str
    day: dt.date


class BlockedCollectorView(msgspec.Struct, frozen=True):
    name: str
    phone: str
    reason: str


class MedicationAuthorisationView(msgspec.Struct, frozen=True):
    """An authorisation in force today or later (a withdrawn one is gone from the list)."""

    id: UUID
    medicine: str
    dose: str
    max_doses_per_day: int
    first_day: dt.date
    last_day: dt.date
    instructions: str
