"""Database: the embedded server, the pool, versioned migrations."""
