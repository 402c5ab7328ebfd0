"""Who could collect a child, and since or until when: a pick-up is judged on the arrangements
at its own `at`, not on those at the time an offline tablet sends it (docs/adr/0026). Mixed
into Child.

The child keeps, besides who may collect it now, the rights its guardians ended lately (a
standing adult withdrawn or blocked, a one-day delegate withdrawn) and the blocks they put on
lately, each with its time, for as long as a replayed pick-up can reach them. What names a
person is sealed in snapshots like the arrangements themselves (`Child.personal_state`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, NamedTuple
from uuid import UUID

import msgspec

from domain.clocks import REPLAYS_REACH_BACK
from domain.errors import RuleViolated

Relation = Literal["guardian", "authorised_adult", "delegate"]


class CollectorBlocked(RuleViolated):
    code = "collector-blocked"


class CollectorNotAuthorised(RuleViolated):
    code = "collector-not-authorised"


class EndedPickupRight(msgspec.Struct, frozen=True):
    """An adult who could collect the child until `until`: a standing pick-up adult
    (`authorised_adult`) withdrawn or blocked then, or `day`'s delegate withdrawn then."""

    relation: Relation
    name: str
    phone: str
    until: datetime
    day: date | None = None  # a delegate's day; None: a standing adult, any day


class BlockSpell(msgspec.Struct, frozen=True):
    """A "must not collect" block from `since`, until it was lifted (None: still on)."""

    phone: str
    since: datetime
    until: datetime | None = None


class CollectorStanding(NamedTuple):
    """How an adult may collect the child at a pick-up's `at`, the name the guardians gave
    them (None for a guardian), and, for one blocked after that pick-up, since when."""

    relation: Relation
    known_as: str | None
    blocked_since: datetime | None = None


def _last_change(change: EndedPickupRight | BlockSpell) -> datetime:
    """When a change was last made: a right's end, a block's lifting or else its start."""
    if isinstance(change, EndedPickupRight):
        return change.until
    return change.since if change.until is None else change.until


def _recent(changes: Iterable[Any], newest: datetime) -> tuple[Any, ...]:
    """`changes` less those made REPLAYS_REACH_BACK or longer before `newest`."""
    return tuple(c for c in changes if _last_change(c) >= newest - REPLAYS_REACH_BACK)


class PickupRightsMixin:
    """The rights ended and the blocks put on lately, and the judgement of a collector."""

    pickup_rights_ended: tuple[EndedPickupRight, ...] = ()  # older snapshots have none
    blocks_lately: tuple[BlockSpell, ...] = ()

    if TYPE_CHECKING:  # the aggregate's and other mixins' state (snapshots read annotations)
        guardians: tuple[UUID, ...]
        pickup_adults: tuple[Any, ...]
        delegates: tuple[Any, ...]
        blocked: tuple[Any, ...]

    def init_pickup_rights(self) -> None:
        self.pickup_rights_ended = ()
        self.blocks_lately = ()

    def end_pickup_right(self, right: EndedPickupRight) -> None:
        self._forget_unreachable(right.until)
        self.pickup_rights_ended = (*self.pickup_rights_ended, right)

    def note_block(self, phone: str, since: datetime) -> None:
        self._forget_unreachable(since)
        self.blocks_lately = (*self.blocks_lately, BlockSpell(phone, since))

    def note_block_lifted(self, phone: str, at: datetime) -> None:
        self._forget_unreachable(at)
        self.blocks_lately = tuple(
            msgspec.structs.replace(b, until=at) if b.phone == phone and b.until is None else b
            for b in self.blocks_lately
        )

    def _forget_unreachable(self, newest: datetime) -> None:
        """Forget the changes no replay can reach once a change is made at `newest`: the
        state holds about a day's changes, as the ended stays do (domain/one_place_at_a_time)."""
        self.pickup_rights_ended = _recent(self.pickup_rights_ended, newest)
        self.blocks_lately = _recent(self.blocks_lately, newest)

    def collector_relation(
        self, phone: str, guardian_phone_ids: set[UUID], day: date, at: datetime
    ) -> CollectorStanding:
        """How this adult may collect the child at `at` (local `day`), or a named refusal.

        Judged at `at`, as a dose is (a tablet replays a pick-up late): a right the guardians
        ended after `at` still covers it, one ended at or before it does not (no clock skew in
        the pick-up's favour: the guardian said stop). A right given since is accepted too (the
        guardians vouched for that adult). A person blocked after `at` who could collect then
        is recorded as it happened (the child left with them), saying since when they are
        blocked; blocked at `at`, or never entitled, they are refused.

        `guardian_phone_ids` are the account ids the phone maps to (accounts are keyed by phone)."""
        standing = self._right_at(phone, guardian_phone_ids, day, at)
        if any(b.phone == phone for b in self.blocked):
            since = self._blocked_after(phone, at)
            if since is None or standing is None:
                raise CollectorBlocked("this person must not collect the child", field="collector")
            return standing._replace(blocked_since=since)
        if standing is None:
            raise CollectorNotAuthorised(
                "neither a guardian, an authorised adult nor today's delegate", field="collector"
            )
        return standing

    def _right_at(
        self, phone: str, guardian_phone_ids: set[UUID], day: date, at: datetime
    ) -> CollectorStanding | None:
        if guardian_phone_ids & set(self.guardians):
            return CollectorStanding("guardian", None)
        for adult in self.pickup_adults:
            if adult.phone == phone:
                return CollectorStanding("authorised_adult", adult.name)
        for delegate in self.delegates:
            if delegate.phone == phone and delegate.day == day:
                return CollectorStanding("delegate", delegate.name)
        for right in self.pickup_rights_ended:
            if right.phone == phone and at < right.until and right.day in (None, day):
                return CollectorStanding(right.relation, right.name)
        return None

    def _blocked_after(self, phone: str, at: datetime) -> datetime | None:
        """When the block on this person (on now) began, if it was after `at` and no earlier
        block was on at `at`; else None (a block older than any replay reaches is on then)."""
        spells = [b for b in self.blocks_lately if b.phone == phone]
        if any(b.since <= at and (b.until is None or at < b.until) for b in spells):
            return None
        current = [b.since for b in spells if b.until is None]
        return current[-1] if current and current[-1] > at else None
