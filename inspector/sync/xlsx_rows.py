"""Streaming the rows of one worksheet: only rows that hold data, memory flat, formulas seen.

openpyxl's read-only rows keep state per row: a styled empty row (Excel's "formatted to
the bottom" sheets: a million `<row s="3" customFormat="1"/>`) becomes a row-dimension
object each, and the parsed elements stay attached to the tree, which took 576 MB for a
sheet of 90 MB of data. This reader parses the sheet XML with openpyxl's own cell parser
but drops every row once read, keeps nothing per row, and yields only rows holding a value
with their sheet row number.

A formula cell whose workbook was saved without computed values (written by a program, not
Excel) has no cached value: it is yielded as an `UncachedFormula`, so the import can say
"a formula without a saved value" instead of "empty".
"""
from __future__ import annotations

from collections.abc import Iterator

from openpyxl.worksheet._reader import CELL_TAG, FORMULA_TAG, ROW_TAG, WorkSheetParser
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

SHEET_DATA_TAG = "{%s}sheetData" % SHEET_MAIN_NS


class UncachedFormula(str):
    """The text of a formula whose cell has no saved value."""


class _Cells(WorkSheetParser):
    def parse_cell(self, element):
        cell = super().parse_cell(element)
        if cell["value"] is None:
            formula = element.find(FORMULA_TAG)
            if formula is not None:
                cell["value"] = UncachedFormula("=" + (formula.text or ""))
        return cell


def sheet_rows(ws) -> Iterator[tuple[int, tuple]]:
    """(row number, values) of every row of read-only worksheet `ws` that holds a value."""
    wb = ws.parent
    with ws._get_source() as src:
        cells = _Cells(src, ws._shared_strings, data_only=True, epoch=wb.epoch,
                       date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
        data = None
        rownum = 0
        for event, element in iterparse(src, events=("start", "end")):
            if event == "start":
                if element.tag == SHEET_DATA_TAG:
                    data = element
                continue
            if element.tag != ROW_TAG:
                continue
            r = element.get("r")
            rownum = int(float(r)) if r else rownum + 1
            cells.row_counter, cells.col_counter = rownum, 0
            values: dict[int, object] = {}
            for c in element:
                if c.tag == CELL_TAG:
                    cell = cells.parse_cell(c)
                    if cell["value"] is not None:
                        values[cell["column"]] = cell["value"]
            element.clear()
            if data is not None:
                data.clear()     # drop the rows read so far: the tree never grows
            if values:
                row = [None] * max(values)
                for col, v in values.items():
                    row[col - 1] = v
                yield rownum, tuple(row)
