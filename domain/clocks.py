"""How far devices' clocks may disagree with each other and with the server."""

from __future__ import annotations

from datetime import timedelta

# A phone's or a room tablet's clock may run this far ahead of the server's, and two devices'
# clocks may disagree by as much: device times are compared with this much slack.
CLOCK_SKEW = timedelta(minutes=2)
