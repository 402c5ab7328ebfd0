"""Attendance: arrivals with the morning check, pick-ups, staff in rooms, the day's care, alarms."""
