"""Rows of a DataFrame for code that reads them one by one.

Both read the frame's cells once as one array of Python objects: pandas reading a frame row by row
(`itertuples`, `iloc`) pays a lookup per cell, which a report over every State pays a million times.
"""

from collections import namedtuple
from collections.abc import Iterator
from typing import Any, cast

import pandas as pd


def _cells(frame: pd.DataFrame) -> list[list[Any]]:
    """Each row's cells as Python values, as iterating a column gives them (a missing number of an
    integer column with gaps is pd.NA, a missing text NaN)."""
    return frame.to_numpy(dtype=object).tolist()


def rows_of(frame: pd.DataFrame, *, index: bool = True) -> Iterator[Any]:
    """The frame's rows as named tuples, as `DataFrame.itertuples` names them.

    pandas types a cell as the union of every scalar it could hold; a row read by column name is
    as loosely typed as the frame it comes from, so the rows are typed Any rather than that union.
    """
    fields = [str(name) for name in frame.columns]
    row = cast(Any, namedtuple("Pandas", ["Index", *fields] if index else fields, rename=True))
    cells = _cells(frame)
    if index:
        return (row(position, *values) for position, values in zip(frame.index.tolist(), cells, strict=True))
    return (row(*values) for values in cells)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame's rows as dicts of plain Python values (a missing number is pd.NA, a missing text NaN)."""
    columns = [str(name) for name in frame.columns]
    return [dict(zip(columns, values, strict=True)) for values in _cells(frame)]
