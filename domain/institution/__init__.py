"""Institutions (托育机构): filing, opening hours, rooms and staff."""
