"""Use cases shared by the command line and the dashboard; each owns its transaction."""
