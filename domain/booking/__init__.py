"""Booking care: offers, refund policies, rosters, and the room-day that is never overbooked."""
