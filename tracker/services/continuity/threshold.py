"""The continuity suggestions' threshold and weights, apart from their libraries so that `tracker --help` can show them."""

# Chosen by five-fold cross-validation on the tuning set bench/continuity_sets/set_b, written in
# the discursive style of the Committee's reports (python -m bench.continuity); bench/RESULTS.md
# reports them on set_a, which played no part in choosing them.
DEFAULT_MIN_SCORE = 0.18
# Share of the word similarity in the text score; the rest is the character n-gram similarity.
WORD_WEIGHT = 0.5
# A candidate of another top-level area has its score multiplied by this.
AREA_FACTOR = 0.75
# The best candidate below the threshold is offered as "possible, check" when it scores at least
# this share of the threshold; below that the finding looks new.
POSSIBLE_SHARE = 0.5
