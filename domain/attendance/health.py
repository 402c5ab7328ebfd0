"""晨检 and 午检: temperature and the 一摸二看三问四查 checklist; what makes a check abnormal."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

import msgspec

from domain.errors import InvalidValue

FEVER_FROM_C = 37.3  # axillary temperature from which a child counts as febrile
LOW_BELOW_C = 36.0  # axillary temperature below which it is too low (ill, or a bad reading)
TENTH = Decimal("0.1")


def to_tenth(temperature_c: float) -> float:
    """The temperature as a thermometer shows it and a guardian reads it: to 0.1 °C, halves up
    as written (37.25 → 37.3, not the binary float's 37.2)."""
    return float(Decimal(repr(temperature_c)).quantize(TENTH, rounding=ROUND_HALF_UP))


class HealthCheck(msgspec.Struct, frozen=True):
    """One health check. Each checklist item is True when it found nothing wrong:
    一摸 touch (forehead, neck glands), 二看 look (throat, skin, eyes, spirits),
    三问 ask (sleep, food, stools, illness at home), 四查 check (no dangerous objects)."""

    temperature_c: float
    touch_ok: bool = True
    look_ok: bool = True
    ask_ok: bool = True
    check_ok: bool = True
    observations: str = ""

    def __post_init__(self) -> None:
        """Rounded once, here, so the value classed is the value printed: 37.26 is 37.3, a
        fever, never "正常，体温37.3℃". (Also on decoding: events stored before kept 37.26.)"""
        if abs(self.temperature_c) < 1000:  # not NaN nor absurd: check_health_check refuses those
            msgspec.structs.force_setattr(self, "temperature_c", to_tenth(self.temperature_c))

    def temperature_ok(self) -> bool:
        return LOW_BELOW_C <= self.temperature_c < FEVER_FROM_C

    def abnormal(self) -> bool:
        return not (
            self.temperature_ok() and self.touch_ok and self.look_ok and self.ask_ok
            and self.check_ok
        )  # fmt: skip

    def findings(self) -> list[str]:
        """What was found, in the words a guardian reads (Chinese)."""
        found = []
        if self.temperature_c >= FEVER_FROM_C:
            found.append(f"体温{self.temperature_c:.1f}℃")
        elif self.temperature_c < LOW_BELOW_C:
            found.append(f"体温偏低{self.temperature_c:.1f}℃")
        for ok, item in (
            (self.touch_ok, "一摸异常"),
            (self.look_ok, "二看异常"),
            (self.ask_ok, "三问异常"),
            (self.check_ok, "四查异常"),
        ):
            if not ok:
                found.append(item)
        return found


class AbnormalOutcome(StrEnum):
    admit_with_note = "admit_with_note"
    refuse = "refuse"


def check_health_check(check: HealthCheck, field: str = "health_check") -> None:
    if not 34.0 <= check.temperature_c <= 43.0:
        raise InvalidValue("temperature must be 34.0–43.0 °C", field=f"{field}.temperature_c")
