"""`first_breach` sweeps only the boundaries; it must name the same first minute as checking
every single minute of the interval would."""

from __future__ import annotations

import random

from domain.booking.capacity import Presence, fewest_carers, first_breach, fits_at_worst
from domain.booking.terms import Shift


def minute_by_minute(
    new: Presence, present: list[Presence], shifts: list[Shift], capacity: int, mixed: bool
) -> tuple[int, str, int, int] | None:
    """The rule read literally: every minute of the new interval, in order."""
    for minute in range(new.start, new.end):
        here = [p for p in present if p.start <= minute < p.end]
        children = len(here) + 1
        if children > capacity:
            return minute, "size", children, capacity
        staff = sum(s.staff for s in shifts if s.starts <= minute < s.ends)
        per_carer = min([new.per_carer, *(p.per_carer for p in here)]) if mixed else new.per_carer
        if children > staff * per_carer:
            return minute, "ratio", children, staff * per_carer
    return None


def random_case(rng: random.Random) -> tuple[Presence, list[Presence], list[Shift], int, bool]:
    present = []
    for _ in range(rng.randrange(0, 16)):
        start = rng.randrange(420, 1080, 15)
        present.append(Presence(start, start + rng.randrange(15, 540, 15), rng.choice((3, 5, 7))))
    shifts = []
    for _ in range(rng.randrange(0, 4)):
        starts = rng.randrange(420, 1000, 30)
        shifts.append(Shift(1, starts, starts + rng.randrange(30, 600, 30), rng.randrange(1, 4)))
    start = rng.randrange(420, 1080, 15)
    new = Presence(start, start + rng.randrange(15, 300, 15), rng.choice((3, 5, 7)))
    return new, present, shifts, rng.randrange(1, 24), rng.random() < 0.5


def test_the_bound_never_lets_in_a_child_the_minute_by_minute_rule_refuses():
    rng = random.Random(7)
    spared = 0
    for _ in range(5_000):
        case = random_case(rng)
        if fits_at_worst(*case):
            assert minute_by_minute(*case) is None
            spared += 1
    assert 250 < spared < 4_000  # the bound decided often, and not always


def test_the_fewest_carers_counts_a_shift_ending_inside_the_interval_and_not_one_starting():
    shifts = [Shift(1, 480, 720, 2), Shift(1, 600, 1080, 1)]
    assert fewest_carers(shifts, 540, 780) == 1  # 12:00–13:00 only the second shift's carer
    assert fewest_carers(shifts, 480, 720) == 2  # the second shift joining never lowers it
    assert fewest_carers(shifts, 420, 500) == 0  # nobody before 08:00


def test_the_sweep_names_the_same_first_breach_as_checking_every_minute():
    rng = random.Random(20261125)
    breaches = 0
    for _ in range(3_000):
        case = random_case(rng)
        expected = minute_by_minute(*case)
        assert first_breach(*case) == expected
        breaches += expected is not None
    assert 300 < breaches < 2_700  # both answers were exercised often


def test_children_leaving_the_minute_a_booking_starts_leave_room_for_it():
    shifts = [Shift(1, 480, 1080, 1)]
    morning = [Presence(480, 600, 5)] * 4  # four children until 10:00, a class of four
    assert first_breach(Presence(600, 720, 5), morning, shifts, 4, False) is None
    assert first_breach(Presence(540, 720, 5), morning, shifts, 4, False) == (540, "size", 5, 4)
    assert first_breach(Presence(420, 481, 5), morning, shifts, 4, False) == (420, "ratio", 1, 0)


def test_an_infant_arriving_in_a_mixed_room_tightens_the_ratio_from_its_minute():
    shifts = [Shift(1, 480, 1080, 1)]
    toddlers = [Presence(480, 1020, 5)] * 3
    infant = Presence(600, 660, 3)
    assert first_breach(Presence(540, 720, 5), [*toddlers, infant], shifts, 15, True) == (
        600, "ratio", 5, 3,
    )  # fmt: skip
    assert first_breach(Presence(540, 720, 5), [*toddlers, infant], shifts, 15, False) is None


def test_no_staff_rostered_is_a_ratio_breach_at_the_first_minute():
    assert first_breach(Presence(600, 660, 5), [], [], 10, False) == (600, "ratio", 1, 0)
