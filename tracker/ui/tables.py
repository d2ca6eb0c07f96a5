"""Tables whose texts are read whole: rows tall enough for the longest wrapped text of a column.

A table cell wraps its text only when the rows are taller than 4 rem (64 px); a wrapped line takes
about 18 px and a character about 7 px at the table's font size.
"""

import math
from collections.abc import Iterable

_LINE, _PADDING, _CHARACTER, _CELL_PADDING = 18, 18, 7.0, 18
# The smallest row height at which the table wraps text, and the tallest row drawn.
WRAPPING, TALLEST_LINES = 66, 6


def lines_at(text: str, width: int) -> int:
    """Lines a text takes in a column `width` px wide, a little more than the characters alone say,
    as words do not break."""
    per_line = max(int((width - _CELL_PADDING) / _CHARACTER * 0.9), 1)
    return max(math.ceil(len(text) / per_line), 1)


def wrapped_row_height(texts: Iterable[object], width: int) -> int | None:
    """The row height that shows each text whole in a column `width` px wide (at most TALLEST_LINES
    lines); None, the table's own height, when every text fits on one line."""
    lines = max((lines_at(str(text), width) for text in texts if text), default=1)
    if lines <= 1:
        return None
    return max(WRAPPING, _LINE * min(lines, TALLEST_LINES) + _PADDING)
