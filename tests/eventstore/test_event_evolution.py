"""Stored events outlive their classes' first shape: upcasters bring old payloads to the new one."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from backend.eventstore.mapper import MsgspecMapper
from domain.aggregate import TuoyuAggregate
from domain.booking.enrolment import RoomEnrolments
from domain.booking.room_day import RoomDay

NOW = datetime(2026, 9, 1, tzinfo=UTC)


class Nursery(TuoyuAggregate):
    class Opened(TuoyuAggregate.Created):
        name: str

    class Renamed(TuoyuAggregate.Event):
        """Version 2 added `reason`; version 1 payloads have none."""

        class_version = 2
        name: str
        reason: str

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["reason"] = "unknown (recorded before reasons were kept)"

        def apply(self, nursery: Nursery) -> None:
            nursery.name = self.name

    def __init__(self, name: str) -> None:
        self.name = name


def test_a_version_1_payload_is_upcast_when_read():
    mapper = MsgspecMapper()
    nursery_id = uuid4()
    old_payload = b'{"timestamp":"2026-09-01T00:00:00Z","name":"New name"}'
    stored = StoredEvent(
        nursery_id, 2, f"{Nursery.Renamed.__module__}:Nursery.Renamed", old_payload
    )
    event = mapper.to_domain_event(stored)
    assert event.reason.startswith("unknown")
    assert event.name == "New name"
    assert event.timestamp == datetime(2026, 9, 1, tzinfo=UTC)


def test_a_current_event_round_trips_with_its_class_version():
    mapper = MsgspecMapper()
    nursery = Nursery._create(Nursery.Opened, id=uuid4(), timestamp=NOW, name="Old")
    nursery.emit(Nursery.Renamed, NOW, name="New", reason="merger")
    events = nursery.collect_events()
    stored = [mapper.to_stored_event(e) for e in events]
    assert b'"class_version":2' in stored[1].state
    assert [mapper.to_domain_event(s) for s in stored] == events


def test_a_cancellation_stored_before_the_canceller_was_kept_reads_as_by_no_one():
    booking_id = uuid4()
    old_payload = (
        b'{"timestamp":"2026-09-01T00:00:00Z","booking_id":"%s","by_institution":false,'
        b'"refund_fen":6000,"reason":""}' % str(booking_id).encode()
    )
    stored = StoredEvent(uuid4(), 3, get_topic(RoomDay.BookingCancelled), old_payload)
    event = MsgspecMapper().to_domain_event(stored)
    assert event.by is None
    assert (event.booking_id, event.refund_fen) == (booking_id, 6000)


def test_a_term_ended_before_its_refund_was_kept_reads_as_no_refund_and_nobody_to_tell():
    enrolment_id = uuid4()
    old_payload = (
        b'{"timestamp":"2026-09-01T00:00:00Z","enrolment_id":"%s","last_day":"2026-09-30"}'
        % str(enrolment_id).encode()
    )
    stored = StoredEvent(uuid4(), 4, get_topic(RoomEnrolments.EnrolmentEnded), old_payload)
    event = MsgspecMapper().to_domain_event(stored)
    assert (event.enrolment_id, event.last_day.isoformat()) == (enrolment_id, "2026-09-30")
    assert (event.refund_fen, event.days_given_up, event.by_institution) == (0, 0, False)
    assert (event.child_id, event.guardian_id, event.by) == (None, None, None)
