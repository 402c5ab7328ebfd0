"""Whether a room holds at this minute: children present vs class size and vs clocked-in staff."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

import msgspec


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


def room_status(children_per_carer: Iterable[int], staff: int, capacity: int) -> RoomStatus:
    """Each present child brings the ratio it needs; the strictest one governs the room
    (a mixed room tightens when an infant arrives; in other rooms all children agree)."""
    needs = list(children_per_carer)
    required = -(-len(needs) // min(needs)) if needs else 0
    return RoomStatus(len(needs), staff, required, capacity)
