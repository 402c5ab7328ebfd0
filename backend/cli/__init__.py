"""The `tuoyu` command line."""
