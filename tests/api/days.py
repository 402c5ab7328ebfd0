"""The dates API tests act on, counted from the real date, since sign-in and booking run on the
real clock (tokens are checked against it) and a fixed date would one day lie in the past.

DAY, the day of care, is the Tuesday 7 to 13 days ahead in Shanghai: far enough for any notice,
and every other date of a test is said relative to it (the Wednesday after, a child born 18
months before), so each test means the same thing whenever it runs.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.now(SHANGHAI).date()
TUESDAY = 1
DAY_DATE = TODAY + timedelta(days=7 + (TUESDAY - TODAY.weekday()) % 7)
DAY = DAY_DATE.isoformat()
NINE = datetime.combine(DAY_DATE, time(9, 0), SHANGHAI).astimezone(UTC)  # 09:00 on DAY


def day(offset: int) -> str:
    """DAY moved by `offset` days (1 is the Wednesday after), as the API writes dates."""
    return (DAY_DATE + timedelta(days=offset)).isoformat()


def local(clock_time: str, offset: int = 0) -> str:
    """A local time on DAY (or `offset` days after) as a device sends it: `2026-12-01T09:00:00`."""
    return f"{day(offset)}T{clock_time}:00"


def months_before_day(months: int) -> date:
    """The birth date of a child exactly `months` old on DAY (the month's last day when DAY's
    day of the month does not exist then)."""
    year, month0 = divmod(DAY_DATE.year * 12 + DAY_DATE.month - 1 - months, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(DAY_DATE.day, last))
