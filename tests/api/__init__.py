"""HTTP tests through the real ASGI app."""
