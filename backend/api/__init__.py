"""HTTP: the Litestar app, its routes and the problem+json error mapping."""
