"""A guardian's authorisation to give a child medicine, and the rules a dose is held to: the
authorised dose only, and at most so many a day."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import msgspec

from domain.errors import RuleViolated


class MedicationNotAuthorised(RuleViolated):
    code = "medication-not-authorised"


class DoseLimitReached(RuleViolated):
    code = "medication-dose-limit"


class MedicationWithdrawn(RuleViolated):
    code = "medication-withdrawn"


def check_given_before_withdrawal(withdrawn_at: datetime | None, at: datetime) -> None:
    """A dose given at `at` stands if the guardian had not withdrawn the authorisation by then
    (a tablet replaying a dose it logged offline before the withdrawal); one given at or after
    the withdrawal is refused. No clock skew in the dose's favour: the guardian said stop."""
    if withdrawn_at is not None and at >= withdrawn_at:
        raise MedicationWithdrawn(
            f"the guardian withdrew this authorisation at {withdrawn_at.isoformat()}",
            field="authorisation_id", withdrawn_at=withdrawn_at.isoformat(),
        )  # fmt: skip


def dose_day(authorisation_id: UUID, day: date) -> str:
    """The key of an authorisation's doses on one local day."""
    return f"{authorisation_id}/{day.isoformat()}"


class MedicationAuthorisation(msgspec.Struct, frozen=True):
    authorisation_id: UUID
    medicine: str
    dose: str
    max_doses_per_day: int
    first_day: date
    last_day: date
    authorised_by: UUID
    instructions: str = ""
    authorised_at: datetime | None = None  # None on authorisations recorded before it was kept

    def dose_to_give(self, dose: str | None) -> str:
        """The dose a carer logs: the one the guardian authorised (said again, or left out).
        Another dose needs a new authorisation from the guardian, never a carer's judgement."""
        if dose is None or not dose.strip() or _same_dose(dose, self.dose):
            return self.dose
        raise MedicationNotAuthorised(
            f"the guardian authorised {self.dose} of {self.medicine}; a different dose needs"
            " a new authorisation",
            field="dose", authorised_dose=self.dose,
        )  # fmt: skip


def _same_dose(a: str, b: str) -> bool:
    """'5 ml', '5ml' and '5 ML' are one dose; '5 ml' and '10 ml' are not."""
    return "".join(a.split()).casefold() == "".join(b.split()).casefold()
