"""Projector and read model tests."""
