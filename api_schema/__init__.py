"""api_schema."""
