"""How far devices' clocks may disagree with each other and with the server, and the day a
family lives in."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# A phone's or a room tablet's clock may run this far ahead of the server's, and two devices'
# clocks may disagree by as much: device times are compared with this much slack.
CLOCK_SKEW = timedelta(minutes=2)

# An offline device replays what it recorded up to this long after it recorded it (an
# attendance command's `at`); an older record is refused, as a queue that old may be stale.
REPLAY_WINDOW = timedelta(hours=24)

# What a replay can still reach, back from the newest change kept: its `at` is at most
# REPLAY_WINDOW before the server's now, and a change (a departure, a withdrawal) was at most
# CLOCK_SKEW ahead of the server's now when recorded. History kept for late replays (the stays
# that ended, the pick-up rights that ended) forgets what lies further back than this.
REPLAYS_REACH_BACK = REPLAY_WINDOW + CLOCK_SKEW

# Every city Tuoyu serves keeps China Standard Time: a family's "today" (the day an admission
# check was done, the day a delegate is named for) is its date there, not the server's (UTC).
FAMILIES_TIMEZONE = "Asia/Shanghai"


def families_today(now: datetime) -> date:
    return now.astimezone(ZoneInfo(FAMILIES_TIMEZONE)).date()


def local_instant(day: date, minute: int, timezone: str) -> datetime:
    """The UTC instant of `minute` after local midnight of `day` in `timezone` (an
    institution's clock: a booking's and a regular place's times are said on it)."""
    local = datetime.combine(day, time(), tzinfo=ZoneInfo(timezone)) + timedelta(minutes=minute)
    return local.astimezone(UTC)
