"""Application services: the decisions a command makes, shared by routes, the CLI and the demo loader."""
