"""The waitlist of a room-day: when places free up, the first families whose interval now fits
get an offer that holds the place for a while; taken, it becomes a booking; expired, the next
in line gets it; withdrawn when the booking that freed the place takes it back (its child back in
the room) or when the offer's child is booked elsewhere at that time, the family waits again in
its place in line."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec

from domain.aggregate import TuoyuAggregate
from domain.booking.active import active_bookings
from domain.booking.capacity import Presence, first_breach
from domain.booking.terms import CareType
from domain.class_types import ClassType
from domain.errors import AlreadyExists, NotFound, RuleViolated

# why an open offer was withdrawn (WaitlistOfferWithdrawn.because)
PLACE_TAKEN_BACK = "place_taken_back"
CHILD_BOOKED = "child_booked_elsewhere"


class WaitlistEntry(msgspec.Struct, frozen=True):
    entry_id: UUID
    child_id: UUID
    guardian_id: UUID
    day: date
    care_type: CareType
    start: int
    end: int
    children_per_carer: int
    offered_until: datetime | None = None


class PlaceAvailable(RuleViolated):
    code = "place-available"


class OfferNotOpen(RuleViolated):
    code = "offer-not-open"


class WaitlistMixin:
    """Waitlist events and decisions, mixed into RoomDay (kept apart to keep files small)."""

    waitlist: dict[UUID, WaitlistEntry]  # in joining order
    bookings: dict[UUID, Any]

    class WaitlistJoined(TuoyuAggregate.Event):
        entry: WaitlistEntry

        def apply(self, room_day: Any) -> None:
            room_day.waitlist[self.entry.entry_id] = self.entry

    class WaitlistOfferMade(TuoyuAggregate.Event):
        entry_id: UUID
        until: datetime

        def apply(self, room_day: Any) -> None:
            entry = room_day.waitlist[self.entry_id]
            room_day.waitlist[self.entry_id] = msgspec.structs.replace(
                entry, offered_until=self.until
            )

    class WaitlistOfferExpired(TuoyuAggregate.Event):
        entry_id: UUID

        def apply(self, room_day: Any) -> None:
            room_day.waitlist.pop(self.entry_id, None)

    class WaitlistOfferTaken(TuoyuAggregate.Event):
        entry_id: UUID
        booking_id: UUID

        def apply(self, room_day: Any) -> None:
            room_day.waitlist.pop(self.entry_id, None)

    class WaitlistOfferWithdrawn(TuoyuAggregate.Event):
        """An open offer ends before it lapses, and the entry waits again in its place in line.
        `because` (version 2; every earlier one was the first): PLACE_TAKEN_BACK, the booking
        that had freed the place took it back (its child back in the room, ADR 0024, or a
        drop-off replayed from before its release, ADR 0007); CHILD_BOOKED, the child was
        booked elsewhere for an overlapping time since (it took another room's offer, or was
        booked directly), so the place goes to the next family rather than stay held for a
        child who could not take it (ADR 0006)."""

        class_version = 2
        entry_id: UUID
        because: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["because"] = PLACE_TAKEN_BACK

        def apply(self, room_day: Any) -> None:
            entry = room_day.waitlist[self.entry_id]
            room_day.waitlist[self.entry_id] = msgspec.structs.replace(entry, offered_until=None)

    class WaitlistLeft(TuoyuAggregate.Event):
        entry_id: UUID

        def apply(self, room_day: Any) -> None:
            room_day.waitlist.pop(self.entry_id, None)

    class WaitlistClosed(TuoyuAggregate.Event):
        """The institution closed the room that day: nobody waits for it any more."""

        entry_id: UUID
        reason: str

        def apply(self, room_day: Any) -> None:
            room_day.waitlist.pop(self.entry_id, None)

    if TYPE_CHECKING:  # provided by TuoyuAggregate; a real def here would shadow it

        def emit(self, event_class: type[Any], now: datetime, **fields: Any) -> None: ...

    def presences(
        self,
        besides: UUID | None = None,
        enrolled: Sequence[Presence] = (),
        within: tuple[int, int] = (0, 24 * 60),
        now: datetime | None = None,
    ) -> list[Presence]:
        """Who takes a place at some minute `within` the interval: regular places, bookings,
        and open offers (they hold theirs; one lapsed by `now` no longer does, though the job
        that expires it has not run yet). Only overlapping ones are built: a busy day holds
        thousands of bookings."""
        start, end = within
        taken = [*enrolled]
        taken += active_bookings(self).overlapping(start, end)
        taken += [
            Presence(e.start, e.end, e.children_per_carer)
            for e in self.waitlist.values()
            if e.offered_until is not None
            and (now is None or now < e.offered_until)
            and e.entry_id != besides
        ]
        return taken

    def join_waitlist(
        self, entry: WaitlistEntry, terms: Any, now: datetime, enrolled: Sequence[Presence] = ()
    ) -> None:
        if any(
            e.child_id == entry.child_id and e.start < entry.end and entry.start < e.end
            for e in self.waitlist.values()
        ):
            raise AlreadyExists("this child is already waiting for that time", field="child_id")
        if self.has_place_for(entry, terms, now, enrolled):
            raise PlaceAvailable("there is a place for that time: book it instead", field="start")
        self.emit(self.WaitlistJoined, now, entry=entry)

    def has_place_for(
        self, entry: WaitlistEntry, terms: Any, now: datetime, enrolled: Sequence[Presence] = ()
    ) -> bool:
        """The room takes the entry's child for its whole interval, with what it holds now."""
        if terms.closed is not None:
            return False
        new = Presence(entry.start, entry.end, entry.children_per_carer)
        taken = self.presences(enrolled=enrolled, within=(entry.start, entry.end), now=now)
        return first_breach(new, taken, terms.shifts, terms.capacity, _mixed(terms)) is None

    def offer_freed_places(
        self,
        terms: Any,
        hold_minutes: int,
        now: datetime,
        open_until: Mapping[UUID, datetime],
        enrolled: Sequence[Presence] = (),
    ) -> list[UUID]:
        """Offer freed places to waiting families in joining order; return who got an offer.
        Only the entries in `open_until` may get one (the caller knows which children are
        still free and whose visit has not begun), each held until the sooner of the hold and
        the time given there (its visit's start): an offer is never open once its visit has
        begun."""
        if terms.closed is not None:
            return []
        offered = []
        for entry in list(self.waitlist.values()):
            if entry.offered_until is not None:
                continue
            latest = open_until.get(entry.entry_id)
            if (
                latest is None
                or latest <= now
                or not self.has_place_for(entry, terms, now, enrolled)
            ):
                continue
            until = min(now + timedelta(minutes=hold_minutes), latest)
            self.emit(self.WaitlistOfferMade, now, entry_id=entry.entry_id, until=until)
            offered.append(entry.entry_id)
        return offered

    def take_offer(
        self, entry_id: UUID, guardian_id: UUID, booking_id: UUID, now: datetime
    ) -> WaitlistEntry:
        """Turn an open offer into a booking (the caller books it right after, same command)."""
        entry = self._entry(entry_id, guardian_id)
        if entry.offered_until is None or now >= entry.offered_until:
            raise OfferNotOpen("no open offer for this entry", field="entry_id")
        self.emit(self.WaitlistOfferTaken, now, entry_id=entry_id, booking_id=booking_id)
        return entry

    def expire_offers(self, now: datetime) -> list[UUID]:
        """Offers not taken in time lapse (the caller then offers the places they held)."""
        expired = [
            e.entry_id
            for e in self.waitlist.values()
            if e.offered_until is not None and e.offered_until <= now
        ]
        for entry_id in expired:
            self.emit(self.WaitlistOfferExpired, now, entry_id=entry_id)
        return expired

    def withdraw_offers_without_place(
        self, terms: Any, now: datetime, enrolled: Sequence[Presence] = ()
    ) -> list[UUID]:
        """After a booking took its place back: the open offers the room can no longer hold
        are withdrawn (taking one would be refused as full), judged in line order, so an
        earlier family keeps its offer before a later one does; each family whose offer goes
        waits again in its place in line. Returns whose offer was withdrawn."""
        kept: list[Presence] = []
        withdrawn = []
        for entry in list(self.waitlist.values()):
            if entry.offered_until is None or entry.offered_until <= now:
                continue  # waiting, or lapsed: the expiry job ends it
            held = Presence(entry.start, entry.end, entry.children_per_carer)
            taken = [*enrolled, *active_bookings(self).overlapping(entry.start, entry.end), *kept]
            if (
                terms.closed is None
                and first_breach(held, taken, terms.shifts, terms.capacity, _mixed(terms)) is None
            ):
                kept.append(held)
                continue
            self.emit(
                self.WaitlistOfferWithdrawn, now, entry_id=entry.entry_id, because=PLACE_TAKEN_BACK
            )
            withdrawn.append(entry.entry_id)
        return withdrawn

    def withdraw_offers_of_children_booked(
        self, booked_elsewhere: Collection[UUID], now: datetime
    ) -> list[UUID]:
        """The open offers of these entries end: their children were booked elsewhere for an
        overlapping time (the caller judged it on each child), so they could not take the place.
        Each waits again in its place in line; the caller then offers the places to the next
        families. Returns whose offer was withdrawn."""
        withdrawn = [
            e.entry_id
            for e in self.waitlist.values()
            if e.entry_id in booked_elsewhere
            and e.offered_until is not None
            and now < e.offered_until
        ]
        for entry_id in withdrawn:
            self.emit(self.WaitlistOfferWithdrawn, now, entry_id=entry_id, because=CHILD_BOOKED)
        return withdrawn

    def close_waitlist(self, reason: str, now: datetime) -> int:
        """The room is closed that day: every entry ends, an open offer with it."""
        entries = list(self.waitlist)
        for entry_id in entries:
            self.emit(self.WaitlistClosed, now, entry_id=entry_id, reason=reason)
        return len(entries)

    def leave_waitlist(self, entry_id: UUID, guardian_id: UUID, now: datetime) -> None:
        self._entry(entry_id, guardian_id)
        self.emit(self.WaitlistLeft, now, entry_id=entry_id)

    def _entry(self, entry_id: UUID, guardian_id: UUID) -> WaitlistEntry:
        entry = self.waitlist.get(entry_id)
        if entry is None or entry.guardian_id != guardian_id:
            raise NotFound("no such waitlist entry of yours", field="entry_id")
        return entry


def _mixed(terms: Any) -> bool:
    return bool(terms.class_type is ClassType.mixed)
