"""Progress of a State: the comparison of a follow-up with its baseline and the items under follow-up,
the trend across follow-ups, and the Overview's headline figures."""
