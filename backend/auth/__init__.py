"""Authentication (who you are) and access (what you may touch)."""
