"""Rows of a DataFrame for code that reads them one by one."""

from collections.abc import Iterator
from typing import Any

import pandas as pd


def rows_of(frame: pd.DataFrame, *, index: bool = True) -> Iterator[Any]:
    """The frame's rows as named tuples.

    pandas types a cell as the union of every scalar it could hold; a row read by column name is
    as loosely typed as the frame it comes from, so the rows are typed Any rather than that union.
    """
    return frame.itertuples(index=index)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame's rows as dicts of plain Python values (a missing number is pd.NA, a missing text NaN).

    Read a column at a time: reading a frame row by row costs pandas a lookup per cell.
    """
    columns = [str(name) for name in frame.columns]
    values = [frame.iloc[:, position].tolist() for position in range(len(columns))]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]
