"""AttendanceDay's events keep the topics they were stored under: stored events and snapshots
name their class by topic (module:qualname), so a renamed event, or one moved to another
aggregate, would no longer load. (An event a mixin declares is redefined by eventsourcing on
the aggregate, under the aggregate's topic, as Child's and RoomDay's mixins' events are.)"""

from eventsourcing.utils import get_topic, resolve_topic

from domain.aggregate import TuoyuAggregate
from domain.attendance.day import AttendanceDay

STORED = (
    "Opened", "ChildCheckedIn", "ChildTurnedAway", "ChildCheckedOut", "ChildMovedRoom",
    "VisitCorrected", "StaffClockedIn", "StaffClockedOut", "CareLogged", "RoomOutOfBounds",
    "RoomBackInBounds", "UncollectedEscalated",
)  # fmt: skip


def test_every_attendance_day_event_resolves_from_the_topic_it_was_stored_under():
    for name in STORED:
        topic = f"domain.attendance.day:AttendanceDay.{name}"
        assert get_topic(getattr(AttendanceDay, name)) == topic
        assert resolve_topic(topic) is getattr(AttendanceDay, name)


def test_every_event_the_attendance_day_has_is_one_of_those_stored():
    events = {
        name for name in dir(AttendanceDay)
        if isinstance(getattr(AttendanceDay, name), type)
        and issubclass(getattr(AttendanceDay, name), TuoyuAggregate.Event)
    } - {"Event", "Created"}  # fmt: skip
    assert events == set(STORED)
    assert get_topic(AttendanceDay) == "domain.attendance.day:AttendanceDay"
