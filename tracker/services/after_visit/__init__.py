"""After the visit: the milestones of a visit's report and the deadlines they set (deadlines), and the
technical-assistance pipeline (ta_pipeline)."""
