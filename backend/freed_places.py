"""The job that offers waiting families the places freed by changes (ADR 0006): it follows the
events that may free a place for someone in line, from where it stopped, and runs the offer
step only on the room-days where a family waits that those events touch.

What a waiting family's offer depends on, and the events that may change it in its favour:
the room-day itself (a booking cancelled, completed, released as a no-show or turned away; an
entry left or an offer lapsed: their own commands offer too, this is the net under them), its
institution (a room made larger or looser, more carers rostered), the room's regular places (a
term ended early), the city's class rules (loosened), and the waiting child (its booking
elsewhere released, a regular day freed by a closure, a term shortened: it is free again).

And the places held by offers to children who can no longer take them: a child holding an open
offer here that is booked elsewhere at that time (it took another room's offer, or was booked or
given a regular place directly) has that offer withdrawn, and the place goes to the next in line
now rather than when the offer lapses. The child's booking does not know its entries on other
room-days (nor should a booking read the waitlists), so this follows the child's BookingHeld and
EnrolmentHeld; every booking is read as an event, but only open offers are looked up.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

import asyncpg

from backend.following_jobs import Changes, FollowingJob, run_following_job
from backend.services.waitlist import offer_places_come_free
from backend.state import Runtime
from domain.booking.enrolment import RoomEnrolments
from domain.booking.room_day import RoomDay
from domain.child.aggregate import Child
from domain.city.aggregate import City
from domain.institution.aggregate import Institution
from projections import waitlist as waitlist_model

FREED_PLACES_LOCK = 7_479_000_005
ONE_DAY = timedelta(days=1)
ROOM_DAY_FREES = (
    RoomDay.BookingCancelled, RoomDay.BookingCompleted, RoomDay.NoShowReleased,
    RoomDay.TurnedAwayReleased, RoomDay.WaitlistLeft, RoomDay.WaitlistOfferExpired,
)  # fmt: skip
INSTITUTION_FREES = (Institution.RoomChanged, Institution.RosterPlanned)
CHILD_FREED = (Child.BookingReleased, Child.RegularDayFreed, Child.EnrolmentShortened)
# a child booked (an offer taken, a booking, a regular place): its open offers elsewhere at that
# time are withdrawn and their places offered on (every booking is read, only offers looked up)
CHILD_TAKEN = (Child.BookingHeld, Child.EnrolmentHeld)


async def _room_days_touched(
    conn: asyncpg.Connection, changes: Changes, now: datetime
) -> dict[UUID, date]:
    """The room-days where a family waits (from yesterday in UTC: today has begun there in
    every time zone an institution uses) that the changes may have freed a place on, and those
    where a child the changes booked holds an offer."""
    since = (now - ONE_DAY).date()
    if changes.first:  # never ran: every room-day with a line, once
        return await waitlist_model.room_days_with_waiting(conn, since)
    institutions = changes.of(*INSTITUTION_FREES)
    if cities := changes.of(City.ClassRulesSet):
        rows = await conn.fetch(
            "SELECT id FROM rm_institutions WHERE city_id = ANY($1::uuid[])", list(cities)
        )
        institutions.update(r["id"] for r in rows)
    if regular := changes.of(RoomEnrolments.EnrolmentEnded):
        rows = await conn.fetch(
            "SELECT institution_id FROM rm_enrolment_rooms WHERE id = ANY($1::uuid[])",
            list(regular),
        )
        institutions.update(r["institution_id"] for r in rows)
    found = await waitlist_model.where_families_wait(
        conn, since, room_days=changes.of(*ROOM_DAY_FREES), children=changes.of(*CHILD_FREED),
        institutions=institutions,
    )  # fmt: skip
    offered = await waitlist_model.where_children_hold_offers(conn, since, changes.of(*CHILD_TAKEN))
    return {**offered, **found}


FREED_PLACES = FollowingJob(
    name="freed_places",
    lock=FREED_PLACES_LOCK,
    topics=(
        *ROOM_DAY_FREES,
        *INSTITUTION_FREES,
        RoomEnrolments.EnrolmentEnded,
        City.ClassRulesSet,
        *CHILD_FREED,
        *CHILD_TAKEN,
    ),
    # where families wait (and each room-day's institution), the city's institutions, and
    # each regular places' room's institution
    read_models=("waitlist", "institutions", "enrolments"),
    find=_room_days_touched,
    command=offer_places_come_free,
    item_is="room_day_id",
    actor="system:waitlist",
)


async def offer_places_freed_by_changes(runtime: Runtime) -> int:
    """Offer places to waiting families wherever a change since the last run may have freed
    one; return how many room-days were looked at (a room-day with no free place is left as
    it was)."""
    return await run_following_job(runtime, FREED_PLACES)
