"""Follow-up Visit Progress Tracker: CTED baseline and follow-up visits, compared per thematic area."""
