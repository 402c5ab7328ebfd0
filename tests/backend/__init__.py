"""Tests of the backend wiring: commands, snapshots."""
