"""What a refused workbook reports: file-level problems, or a list of cell errors."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from inspector.errors import UserError
from inspector.i18n import _

SHOWN_ERRORS = 50     # errors listed in the message
KEPT_ERRORS = 1000    # errors kept on the exception for a table view


@dataclass(frozen=True)
class CellError:
    """One problem: sheet, row as Excel numbers it (None: the whole sheet), column, value, why."""

    sheet: str
    row: int | None
    column: str | None
    value: str
    why: str


class XlsxError(UserError):
    """A workbook was refused; nothing in the store changed."""

    def __init__(self, path: Path | str, message: str) -> None:
        super().__init__(message)
        self.path = Path(path)


class XlsxFileError(XlsxError):
    """The file itself cannot be read as a workbook (not xlsx, truncated, encrypted, too big)."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.reason = reason
        super().__init__(path, _("{path}: {reason}; nothing was imported.").format(path=path, reason=reason))


class XlsxValidationError(XlsxError):
    """The workbook breaks the contract; `errors` lists the first problems, `total` counts all."""

    def __init__(self, path: Path | str, errors: list[CellError], total: int) -> None:
        self.errors = errors
        self.total = total
        super().__init__(path, self._message(path))

    def _message(self, path: Path | str) -> str:
        shown = self.errors[:SHOWN_ERRORS]
        head = _("{path}: {total} errors in the workbook; nothing was imported.").format(path=path, total=self.total)
        if len(shown) < self.total:
            head += " " + _("The first {n} of {total}:").format(n=len(shown), total=self.total)
        lines = [head] + error_table(shown)
        return "\n".join(lines)


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def error_table(errors: list[CellError]) -> list[str]:
    """The errors as aligned text lines: sheet / row / column / value / why."""
    headers = [_("sheet"), _("row"), _("column"), _("value"), _("why")]
    cells = [headers] + [
        [e.sheet, "" if e.row is None else str(e.row), e.column or "", e.value, e.why] for e in errors
    ]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(headers))]
    out = []
    for n, r in enumerate(cells):
        out.append("  ".join(c + " " * (widths[i] - _width(c)) for i, c in enumerate(r)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return out
