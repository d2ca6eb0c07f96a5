"""The continuity suggestions' default threshold, apart from their libraries so that `tracker --help` can show it."""

# Chosen on bench/continuity_eval.csv (python -m bench --only continuity): the highest score that still
# puts every restatement of the set among its first three suggestions.
DEFAULT_MIN_SCORE = 0.24
