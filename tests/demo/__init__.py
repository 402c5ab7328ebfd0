"""Tests of the demo city generator and loader."""
