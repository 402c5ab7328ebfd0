"""Whether a room holds at this minute: children present vs class size and vs clocked-in staff."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

import msgspec

from domain.attendance.values import InstitutionFull
from domain.booking.room_day import RatioWouldBreak, RoomFull


class RoomRules(msgspec.Struct, frozen=True):
    """The room's limits, read from the institution when deciding."""

    room_id: UUID
    capacity: int
    children_per_carer: int


class RoomStatus(msgspec.Struct, frozen=True):
    children: int
    staff: int
    required_staff: int
    capacity: int

    @property
    def over_size(self) -> bool:
        return self.children > self.capacity

    @property
    def out_of_ratio(self) -> bool:
        return self.staff < self.required_staff

    @property
    def breach(self) -> str | None:
        """'size', 'ratio', or None when the room holds."""
        if self.over_size:
            return "size"
        return "ratio" if self.out_of_ratio else None


def room_status(
    children_per_carer: Iterable[int], staff: int, capacity: int, in_force: int | None = None
) -> RoomStatus:
    """Each present child brings the ratio it needs (the one it arrived with, never looser than
    the room's `in_force`: a city may have tightened its rules since, ADR 0022); the strictest
    one governs the room (a mixed room tightens when an infant arrives; in other rooms all
    children agree)."""
    if in_force is None:
        needs = list(children_per_carer)
    else:
        needs = [min(need, in_force) for need in children_per_carer]
    required = -(-len(needs) // min(needs)) if needs else 0
    return RoomStatus(len(needs), staff, required, capacity)


def check_room_takes(
    status: RoomStatus, institution_present: int, filed_places: int, local_time: str
) -> None:
    """Refuse, naming the minute, an arrival that would leave the room (as `status` shows it
    with the child in) or the institution (`institution_present` with the child) out of bounds."""
    if institution_present > filed_places:
        raise InstitutionFull(
            f"at {local_time} the institution already has its {filed_places} filed places"
            " present",
            field="child_id", minute=local_time, limit=filed_places,
        )  # fmt: skip
    if status.over_size:
        raise RoomFull(
            f"the room is full at {local_time}: {status.capacity} places",
            field="room_id", minute=local_time, limit=status.capacity,
        )  # fmt: skip
    if status.out_of_ratio:
        raise RatioWouldBreak(
            f"at {local_time} {status.staff} carer(s) are clocked in; {status.children}"
            f" children need {status.required_staff}",
            field="room_id", minute=local_time, limit=status.required_staff,
        )  # fmt: skip
