"""Deterministic demo data: a seeded Suzhou (苏州) generated in memory and loaded through commands."""
