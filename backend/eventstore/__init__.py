"""Event store on asyncpg: append with optimistic concurrency, commit-ordered positions, idempotent commands."""
