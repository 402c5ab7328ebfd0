"""What guardians are told about their bookings and waitlist entries: booked, cancelled (by
them or by the institution), released as a no-show, restored, offered a place, the offer
withdrawn (its place taken back, or the child booked elsewhere then) or lapsed, the waitlist
closed, a regular place's day closed with its refund, and a regular place ended early with its
refund.
Feeds the `notifications` read model, which writes the rows (`rm_notification_bookings` keeps
which child and guardian each booking or waitlist entry is for, so later events reach them).

A notice goes to the guardians of its moment: those whose `since` position in the children
model is before the event's, so a rebuild addresses it alike; and always to the guardian who
made the booking (either guardian may cancel it or take an offer). Texts are in Chinese, times
in UTC (the app shows them in the institution's time zone).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from uuid import UUID

import asyncpg

from domain.booking.enrolment import RoomEnrolments
from domain.booking.room_day import RoomDay
from domain.booking.terms import CARE_TYPE_CHINESE
from domain.booking.waitlist import CHILD_BOOKED
from domain.clocks import FAMILIES_TIMEZONE
from domain.institution.values import hhmm, local_hhmm
from projections.base import Envelope

HANDLES: tuple[type, ...] = (
    RoomDay.CareBooked,
    RoomDay.BookingCancelled,
    RoomDay.NoShowReleased,
    RoomDay.ReleasedBookingAttended,
    RoomDay.WaitlistJoined,
    RoomDay.WaitlistOfferMade,
    RoomDay.WaitlistOfferExpired,
    RoomDay.WaitlistOfferWithdrawn,
    RoomDay.WaitlistClosed,
    RoomEnrolments.DayClosed,
    RoomEnrolments.EnrolmentEnded,
)


class BookingNotices(NamedTuple):
    """The batch's new bookings and waitlist entries (rm_notification_bookings rows) and its
    notices (rm_notifications rows)."""

    subjects: list[Subject]
    rows: list[tuple[Any, ...]]


async def booking_notices(conn: asyncpg.Connection, batch: Sequence[Envelope]) -> BookingNotices:
    """The notices of a batch of these events (HANDLES only)."""
    subjects = await _known_subjects(conn, batch)
    bookings: dict[UUID, Subject] = {}
    for envelope in batch:
        e = envelope.event
        if isinstance(e, RoomDay.CareBooked):
            b = e.booking
            summary = (
                f"{_local_date(b.starts_at, b.start)} {hhmm(b.start)}–{hhmm(b.end)}"
                f" {CARE_TYPE_CHINESE[b.care_type]}"
            )
            bookings[b.booking_id] = Subject(b.booking_id, b.guardian_id, b.child_id, summary)
        elif isinstance(e, RoomDay.WaitlistJoined):
            n = e.entry
            summary = f"{n.day.isoformat()} {hhmm(n.start)}–{hhmm(n.end)} {CARE_TYPE_CHINESE[n.care_type]}"
            bookings[n.entry_id] = Subject(n.entry_id, n.guardian_id, n.child_id, summary)
    subjects.update(bookings)
    notes = _Notes(await _guardians_of(conn, _children_in(batch, subjects)))
    for envelope in batch:
        e, at, pos = envelope.event, envelope.event.timestamp, envelope.position
        if isinstance(e, RoomEnrolments.DayClosed):
            notes.closed_day(e, pos, at)
            continue
        if isinstance(e, RoomEnrolments.EnrolmentEnded):
            notes.term_ended(e, pos, at)
            continue
        if isinstance(e, RoomDay.WaitlistJoined):
            continue  # told when an offer is made
        subject = subjects.get(_subject(e))
        if subject is None:
            continue
        summary = subject.summary
        if isinstance(e, RoomDay.CareBooked):
            body = f"{summary}，费用{_yuan(e.booking.price_fen)}"
            notes.add(subject, pos, "booked", "预约成功", body, at)
        elif isinstance(e, RoomDay.BookingCancelled) and not e.by_institution:
            notes.cancelled_by_family(subject, e, pos, at)
        elif isinstance(e, RoomDay.BookingCancelled):
            body = f"{summary}：机构取消，全额退款{_yuan(e.refund_fen)}。{e.reason}"
            notes.add(subject, pos, "cancelled_by_institution", "预约已被取消", body, at)
        elif isinstance(e, RoomDay.NoShowReleased):
            body = f"{summary}：开始{e.after_minutes}分钟后仍未签到，名额已释放。"
            notes.add(subject, pos, "no_show", "预约已释放", body, at)
        elif isinstance(e, RoomDay.ReleasedBookingAttended):
            body = f"{summary}：离线签到已补录，孩子在名额释放前已到园，预约已恢复。"
            notes.add(subject, pos, "booking_restored", "预约已恢复", body, at)
        elif isinstance(e, RoomDay.WaitlistOfferMade):
            until = local_hhmm(e.until, FAMILIES_TIMEZONE)
            body = f"{summary}：有名额空出，已为您保留，请在{until}之前确认。"
            notes.add(subject, pos, "waitlist_offer", "候补名额", body, at)
        elif isinstance(e, RoomDay.WaitlistOfferWithdrawn) and e.because == CHILD_BOOKED:
            body = (
                f"{summary}：孩子在这段时间已有其他预约，为您保留的名额已转给下一位候补家庭。"
                "您仍在候补中；若取消那边的预约，再有名额空出时会通知您。"
            )
            kind = "waitlist_offer_withdrawn_booked_elsewhere"
            notes.add(subject, pos, kind, "候补名额已撤回", body, at)
        elif isinstance(e, RoomDay.WaitlistOfferWithdrawn):
            body = (
                f"{summary}：空出的名额已由原预约的孩子重新占用（孩子已回到班里），为您保留的"
                "名额已撤回。您仍在候补中，再有名额空出时会通知您。"
            )
            notes.add(subject, pos, "waitlist_offer_withdrawn", "候补名额已撤回", body, at)
        elif isinstance(e, RoomDay.WaitlistClosed):
            body = f"{summary}：当天停课，候补已取消。{e.reason}"
            notes.add(subject, pos, "waitlist_closed", "候补已取消", body, at)
        else:
            body = f"{summary}：保留的候补名额已过期。"
            notes.add(subject, pos, "waitlist_lapsed", "候补已过期", body, at)
    return BookingNotices(list(bookings.values()), notes.rows)


def _local_date(starts_at: datetime, local_minute: int) -> str:
    """The institution's local date of a start, from its UTC instant and local minute."""
    offset = (local_minute - (starts_at.hour * 60 + starts_at.minute)) % 1440
    if offset > 720:
        offset -= 1440
    return (starts_at + timedelta(minutes=offset)).date().isoformat()


def _subject(event: Any) -> UUID:
    """The booking or waitlist entry an event is about."""
    if isinstance(event, RoomDay.CareBooked):
        return event.booking.booking_id
    subject: UUID = getattr(event, "booking_id", None) or event.entry_id
    return subject


def _yuan(fen: int) -> str:
    return f"¥{fen // 100}.{fen % 100:02d}"


class Subject(NamedTuple):
    """A booking or waitlist entry as its notices name it: who made it, for which child."""

    subject_id: UUID
    booker: UUID
    child_id: UUID
    summary: str


async def _known_subjects(
    conn: asyncpg.Connection, batch: Sequence[Envelope]
) -> dict[UUID, Subject]:
    """The bookings and waitlist entries made before this batch that its events are about."""
    wanted = [
        _subject(e.event)
        for e in batch
        if not isinstance(
            e.event,
            RoomDay.CareBooked
            | RoomDay.WaitlistJoined
            | RoomEnrolments.DayClosed
            | RoomEnrolments.EnrolmentEnded,
        )
    ]
    if not wanted:
        return {}
    rows = await conn.fetch(
        "SELECT * FROM rm_notification_bookings WHERE booking_id = ANY($1::uuid[])", wanted
    )
    return {r["booking_id"]: Subject(*r.values()) for r in rows}


def _children_in(batch: Sequence[Envelope], subjects: dict[UUID, Subject]) -> set[UUID]:
    children = {s.child_id for s in subjects.values()}
    for envelope in batch:
        if isinstance(envelope.event, RoomEnrolments.DayClosed):
            children.update(r.child_id for r in envelope.event.refunds)
        elif isinstance(envelope.event, RoomEnrolments.EnrolmentEnded) and envelope.event.child_id:
            children.add(envelope.event.child_id)
    return children


# Each child's guardians (from which position), and whether its data is still there (an erased
# child is gone from rm_children, its guardians stay in rm_child_guardians).
_GUARDIANS = (
    "SELECT x.id AS child_id, g.account_id, g.since,"
    " EXISTS (SELECT 1 FROM rm_children c WHERE c.id = x.id) AS known"
    " FROM unnest($1::uuid[]) AS x(id) LEFT JOIN rm_child_guardians g ON g.child_id = x.id"
)


async def _guardians_of(conn: asyncpg.Connection, children: set[UUID]) -> _Family:
    """Each child's guardians, as the children read model (ahead in registry order) has them,
    and the children erased already."""
    family = _Family({}, set())
    if children:
        for row in await conn.fetch(_GUARDIANS, list(children)):
            if not row["known"]:
                family.erased.add(row["child_id"])
            elif row["account_id"] is not None:
                family.guardians.setdefault(row["child_id"], {})[row["account_id"]] = row["since"]
    return family


class _Family(NamedTuple):
    guardians: dict[UUID, dict[UUID, int]]  # child → guardian → from which position
    erased: set[UUID]


class _Notes:
    """Rows of rm_notifications: each notice to every guardian of its child and to the guardian
    who made the booking (so it reaches them even before the children model knows them). None
    about a child erased already (a no-show released after the erasure): its notices went with
    its data, and a rebuild, which meets the erasure at the end of the batch, keeps none."""

    def __init__(self, family: _Family) -> None:
        self._guardians = family.guardians
        self._erased = family.erased
        self.rows: list[tuple[Any, ...]] = []

    def family(self, booker: UUID, child_id: UUID, pos: int) -> list[UUID]:
        """Who is told of the event at `pos`: the child's guardians by then (a guardian added
        later is not told of what came before, live or rebuilt) and the booker."""
        if child_id in self._erased:
            return []
        guardians = self._guardians.get(child_id, {})
        return sorted({a for a, since in guardians.items() if since < pos} | {booker})

    def add(
        self, subject: Subject, pos: int, kind: str, title: str, body: str, at: datetime
    ) -> None:
        for account in self.family(subject.booker, subject.child_id, pos):
            self.rows.append(
                (pos, account, kind, subject.subject_id, title, body, at, subject.child_id)
            )

    def cancelled_by_family(self, subject: Subject, e: Any, pos: int, at: datetime) -> None:
        """A guardian cancelled: a receipt with the refund to them, word to the others."""
        refund = f"按退款规则退款{_yuan(e.refund_fen)}。"
        for account in self.family(subject.booker, subject.child_id, pos):
            if account == e.by:
                body = f"您已取消{subject.summary}，{refund}"
            elif e.by is None:  # cancelled before the canceller was recorded
                body = f"{subject.summary}：家长已取消，{refund}"
            else:
                body = f"{subject.summary}：另一位监护人已取消，{refund}"
            self.rows.append((pos, account, "cancelled_by_guardian", subject.subject_id,
                              "预约已取消", body, at, subject.child_id))  # fmt: skip

    def closed_day(self, e: Any, pos: int, at: datetime) -> None:
        """One notice per guardian (a notice is keyed by position and account), with every
        place of theirs refunded that day: twins, or a morning and an afternoon term."""
        by_account: dict[UUID, list[Any]] = {}
        for refund in e.refunds:
            for account in self.family(refund.guardian_id, refund.child_id, pos):
                by_account.setdefault(account, []).append(refund)
        for account, refunds in by_account.items():
            total = _yuan(sum(r.refund_fen for r in refunds))
            places = f"{len(refunds)}个常规托位" if len(refunds) > 1 else "常规托位"
            body = f"{e.day.isoformat()} 停课，{places}当天费用退还{total}。{e.reason}"
            children = {r.child_id for r in refunds}
            child = next(iter(children)) if len(children) == 1 else None
            self.rows.append((pos, account, "regular_day_closed", refunds[0].enrolment_id,
                              "常规托位停课", body, at, child))  # fmt: skip

    def term_ended(self, e: Any, pos: int, at: datetime) -> None:
        """A regular place ended early: its last day and the refund of the paid days after it,
        to the guardian who ended it as a receipt, to the others as word (none for a term
        ended before the event named its child: nobody was told then either)."""
        if e.child_id is None or e.guardian_id is None:
            return
        if e.days_given_up:
            how = "全额退还" if e.by_institution else "按报名时的退款规则退还"
            refund = f"之后已付费的{e.days_given_up}天费用{how}{_yuan(e.refund_fen)}。"
        else:
            refund = "之后没有已付费的日子，无退款。"
        last = f"最后一天为{e.last_day.isoformat()}，{refund}"
        for account in self.family(e.guardian_id, e.child_id, pos):
            if e.by_institution:
                body = f"机构已提前结束孩子的常规托位，{last}"
            elif account == e.by:
                body = f"您已提前结束孩子的常规托位，{last}"
            else:
                body = f"另一位监护人已提前结束孩子的常规托位，{last}"
            self.rows.append((pos, account, "regular_place_ended", e.enrolment_id,
                              "常规托位已提前结束", body, at, e.child_id))  # fmt: skip


# A notice sent to an institution's admins (it names the child) is read by its admins of now:
