"""晨检 and 午检: temperature and the 一摸二看三问四查 checklist; what makes a check abnormal."""

from __future__ import annotations

from enum import StrEnum

import msgspec

from domain.errors import InvalidValue

FEVER_FROM_C = 37.3  # axillary temperature from which a child counts as febrile


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

    def abnormal(self) -> bool:
        return self.temperature_c >= FEVER_FROM_C or not (
            self.touch_ok and self.look_ok and self.ask_ok and self.check_ok
        )

    def findings(self) -> list[str]:
        """What was found, in the words a guardian reads (Chinese)."""
        found = []
        if self.temperature_c >= FEVER_FROM_C:
            found.append(f"体温{self.temperature_c:.1f}℃")
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
