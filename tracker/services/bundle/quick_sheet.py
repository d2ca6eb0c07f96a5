"""A worksheet for many rows of text: XlsxWriter's writing cell by cell is most of a large workbook's time."""

from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet


class QuickSheet(Worksheet):  # type: ignore[misc]  # XlsxWriter ships no types
    """A worksheet whose data rows are kept as shared-string cells and written as XML in one pass, after
    the rows written cell by cell: XlsxWriter's own way costs most of a large workbook's time.
    The strings go to the workbook's shared strings, so they are escaped as in every other sheet."""

    def __init__(self) -> None:
        super().__init__()
        self.quick_rows: list[tuple[int, float | None, list[tuple[int, int | None, Format]]]] = []

    def quick_row(self, row: int, cells: list[tuple[int, str, Format]], height: float | None = None) -> None:
        """Cells (column, text, format) of one row below every row written otherwise; an empty text is a blank cell."""
        index = self.str_table._get_shared_string_index
        self.quick_rows.append((row, height, [(c, index(text) if text else None, style) for c, text, style in cells]))

    def _write_sheet_data(self) -> None:
        if not self.quick_rows:
            super()._write_sheet_data()
            return
        self._xml_start_tag("sheetData")
        self._write_rows()
        names: dict[int, str] = {}
        styles: dict[int, str] = {}
        parts = []
        for row, height, cells in self.quick_rows:
            number = row + 1
            parts.append(f'<row r="{number}" ht="{height:g}" customHeight="1">' if height else f'<row r="{number}">')
            for column, index, style in cells:
                name = names.get(column) or names.setdefault(column, xl_col_to_name(column))
                key = id(style)
                if key not in styles:
                    xf = style._get_xf_index()
                    styles[key] = f' s="{xf}"' if xf else ""
                if index is None:
                    parts.append(f'<c r="{name}{number}"{styles[key]}/>')
                else:
                    parts.append(f'<c r="{name}{number}"{styles[key]} t="s"><v>{index}</v></c>')
            parts.append("</row>")
        self.fh.write("".join(parts))
        self._xml_end_tag("sheetData")
