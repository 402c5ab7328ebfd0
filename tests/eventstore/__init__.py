"""Event store contract tests."""
