"""Care a tablet replays after a child's erasure: the fact without the staff's words, or, for
an observation or a dose, a refusal (ADR 0012)."""

from __future__ import annotations

import pytest

from domain.attendance.care_log import CareKind
from domain.attendance.health import HealthCheck
from domain.child.aggregate import ChildErased
from tests.domain.test_attendance_rules import EIGHT, arrive, care, collect, staffed

WORDS = "林小雪昨晚发烧"


def test_a_midday_check_covering_an_erased_child_keeps_its_results_and_loses_its_words():
    day = staffed()
    (gone, _), (here, _) = arrive(day), arrive(day)
    collect(day, gone, minutes=60)
    check = HealthCheck(37.9, look_ok=False, observations=WORDS)
    entry = care(CareKind.midday_check, (gone.child_id, here.child_id), minutes=30,
                 health=check, note=WORDS)  # fmt: skip
    logged = day.log_care(entry, EIGHT, erased={gone.child_id})
    assert (logged.note, logged.health) == ("", HealthCheck(37.9, look_ok=False))
    assert logged.child_ids == (gone.child_id, here.child_id)
    kept = day.log_care(entry, EIGHT)  # about no erased child: as written
    assert (kept.note, kept.health) == (WORDS, check)


@pytest.mark.parametrize("kind", [CareKind.observation, CareKind.medication])
def test_an_observation_or_a_dose_about_an_erased_child_is_refused(kind: CareKind):
    day = staffed()
    gone, _ = arrive(day)
    collect(day, gone, minutes=60)
    entry = care(kind, (gone.child_id,), minutes=30, note=WORDS,
                 authorisation_id=gone.child_id)  # fmt: skip
    with pytest.raises(ChildErased) as refused:
        day.log_care(entry, EIGHT, erased={gone.child_id})
    assert refused.value.params == {"child_id": str(gone.child_id)}
    assert day.collect_events()[-1].__class__.__name__ == "ChildCheckedOut"  # nothing logged
