"""A child's profile (name, birth date, sex) and the rules it is held to, at registration and
when a guardian corrects it later: one set of rules, so a correction can say nothing that
registration would have refused."""

from __future__ import annotations

from calendar import monthrange
from datetime import date
from enum import StrEnum

from domain.errors import InvalidValue

SERVED_UNTIL_MONTHS = 36  # Tuoyu serves children under 3 years


class Sex(StrEnum):
    female = "female"
    male = "male"


def age_in_months(birth_date: date, on: date) -> int:
    """Whole months of age on `on`. A month is complete on the birth day of the month, or on
    its last day where it has no such day: born 31 August, six months on 28 February."""
    months = (on.year - birth_date.year) * 12 + on.month - birth_date.month
    month_end = on.day == monthrange(on.year, on.month)[1]
    return months - 1 if on.day < birth_date.day and not month_end else months


def check_profile(name: str, birth_date: date, registered_on: date) -> None:
    """A name that is not blank, and a child born by `registered_on` and under 3 years then
    (a correction is judged on the day the child was registered, as if registered right)."""
    if not name.strip():
        raise InvalidValue("name must not be empty", field="name")
    if birth_date > registered_on:
        raise InvalidValue(
            f"the birth date is later than {registered_on.isoformat()}, the day of registration",
            field="birth_date",
        )
    if age_in_months(birth_date, registered_on) >= SERVED_UNTIL_MONTHS:
        raise InvalidValue("Tuoyu serves children under 3 years (36 months)", field="birth_date")
