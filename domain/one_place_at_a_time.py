"""Someone is at one institution at a time: a child checked in there, a carer on a shift there.
Where they are is kept on their own stream (institution → since when), as an attendance day
knows one institution only; so are the stays that ended lately, since an offline device may
still replay an arrival made during one of them (docs/adr/0007)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from uuid import UUID

import msgspec

from domain.clocks import REPLAYS_REACH_BACK

LONGEST_PRESENCE = timedelta(hours=24)  # older: a departure (pick-up, clock-out) never recorded


class Stay(msgspec.Struct, frozen=True):
    """A stay at an institution that has ended: from `since` to `until` (the pick-up, the
    clock-out), or to LONGEST_PRESENCE after `since` when the departure came later than that
    (it was forgotten, as an open stay that old no longer binds)."""

    institution_id: UUID
    since: datetime
    until: datetime


# Where else someone was at a moment: the institution, since when, and until when if that stay
# has ended (None: it has not).
Elsewhere = tuple[UUID, datetime, datetime | None]


def present_elsewhere(
    since_by_institution: Mapping[UUID, datetime],
    ended: Iterable[Stay],
    here: UUID,
    at: datetime,
) -> Elsewhere | None:
    """The stay at another institution they were in at `at`, open or ended; else None. Its
    end is exclusive: arriving here at the very moment of leaving there is fine.

    An act replayed from before a stay elsewhere began is history and stands, whether that
    stay has ended or not: whether they left here before arriving there is told by the
    departure from here, which the device replays after the arrival; refusing the arrival
    would refuse a true morning (here 08:00–08:45, there from 09:00). A departure is never
    refused for it either (they would stay "here" for good): an overlap it reveals stays in
    both registers, as the devices recorded it, for an admin to correct."""
    for elsewhere, since in since_by_institution.items():
        if elsewhere != here and since <= at < since + LONGEST_PRESENCE:
            return elsewhere, since, None
    for stay in ended:
        if stay.institution_id != here and stay.since <= at < stay.until:
            return stay.institution_id, stay.since, stay.until
    return None


def with_ended_stay(
    ended: tuple[Stay, ...], institution_id: UUID, since: datetime, until: datetime
) -> tuple[Stay, ...]:
    """`ended` with the stay at `institution_id` from `since` to `until` (unless it is empty),
    less the stays no replay can reach any more (ended REPLAYS_REACH_BACK before `until`)."""
    kept = tuple(stay for stay in ended if stay.until >= until - REPLAYS_REACH_BACK)
    bound = min(until, since + LONGEST_PRESENCE)
    return (*kept, Stay(institution_id, since, bound)) if bound > since else kept


def elsewhere_params(found: Elsewhere) -> dict[str, str]:
    """A refusal's params: the other institution, since when, and until when if it ended."""
    elsewhere, since, until = found
    params = {"institution_id": str(elsewhere), "since": since.isoformat()}
    return params if until is None else {**params, "until": until.isoformat()}
