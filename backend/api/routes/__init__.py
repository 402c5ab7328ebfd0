"""Route controllers, one per resource."""
