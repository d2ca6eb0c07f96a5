"""Continuity: which earlier finding each follow-up finding restates (suggestions), its decisions, and
the default threshold kept apart from the libraries (threshold) so that `tracker --help` stays quick."""
