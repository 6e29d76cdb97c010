"""Reading a workbook in the contract's Excel form into a central database, or refusing it.

One streaming pass over the sheets (openpyxl read-only, parents before children) checks
every cell (type, NOT NULL, codes, decimal places, fee sums) and stages the converted rows
in a scratch SQLite file outside the store. Duplicate keys and dangling references are then
found with SQL on the staged rows, so memory stays flat however big the workbook is. Only a
workbook without a single error becomes a central database (the contract DDL, filled from
the staging tables); otherwise `XlsxValidationError` lists sheet / row / column / value / why.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import openpyxl

from inspector.i18n import _
from inspector.progress import Cancelled, Progress
from inspector.resources import central_schema_sql
from inspector.sync.xlsx_errors import KEPT_ERRORS, CellError, XlsxError, XlsxFileError, XlsxValidationError
from inspector.sync.xlsx_rows import UncachedFormula, sheet_rows
from inspector.sync.xlsx_schema import INPATIENT_SHEETS, XLSX_TABLES, Table, contract_tables
from inspector.sync.xlsx_values import (
    CODE_PATTERNS, CODE_SETS, BadValue, check_code, check_drug_code, converter, fee_sum, shown,
)

REQUIRED_META_KEYS = ("schema_version", "extract_id", "created_at", "certno_salt", "admdvs")
_BATCH = 5000
_CODE_COLUMNS = frozenset(CODE_SETS) | frozenset(CODE_PATTERNS)


class _Errors:
    """Counts every error, keeps the first KEPT_ERRORS of them."""

    def __init__(self) -> None:
        self.kept: list[CellError] = []
        self.total = 0

    def add(self, sheet: str, row: int | None, column: str | None, value: object, why: str) -> None:
        self.total += 1
        if len(self.kept) < KEPT_ERRORS:
            self.kept.append(CellError(sheet, row, column, shown(value), why))


def _guarded(rows: Iterator[tuple], path: Path) -> Iterator[tuple]:
    """Rows of a sheet; damage found while unpacking becomes a file-level error."""
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # zlib.error, BadZipFile, EOFError, XML syntax errors...
            raise XlsxFileError(path, _("the file is damaged ({what})").format(what=f"{type(exc).__name__}: {exc}")) from exc
        yield row


class _Loader:
    def __init__(self, path: Path, out_db: Path, institution: str | None, progress: Progress) -> None:
        self.path = path
        self.out_db = out_db
        self.institution = institution
        self.progress = progress
        self.errors = _Errors()
        self.tables = contract_tables()
        self.usable: set[str] = set()      # sheets read with every required column
        self.missing: list[str] = []
        self.has_inpatient = False
        self.meta: dict[str, tuple[int, str | None]] = {}
        self.counts: dict[str, int] = {}

    # --- the pass over the workbook -------------------------------------------------------
    def run(self) -> dict[str, int]:
        try:
            wb = openpyxl.load_workbook(self.path, read_only=True, data_only=True, keep_links=False)
        except (XlsxError, Cancelled):
            raise
        except Exception as exc:
            raise XlsxFileError(
                self.path, _("cannot be opened as an Excel workbook ({what})").format(what=f"{type(exc).__name__}: {exc}")
            ) from exc
        con = sqlite3.connect(self.out_db)
        con.execute("PRAGMA journal_mode=OFF")   # a scratch file: dropped on any failure
        con.execute("PRAGMA synchronous=OFF")
        try:
            for name, table in self.tables.items():
                cols = ", ".join(f'"{c}"' for c in table.column_names())
                con.execute(f"CREATE TABLE stg_{name} (_row INTEGER, {cols})")
            try:
                sheets = set(wb.sheetnames)
                for name in XLSX_TABLES:
                    self.progress.check()
                    if name in sheets and not hasattr(wb[name], "iter_rows"):
                        self.errors.add(name, None, None, "", _("a chart sheet, not a worksheet"))
                    elif name in sheets:
                        self._read_sheet(con, wb[name], self.tables[name])
                    else:
                        self.missing.append(name)
            finally:
                wb.close()
            self._check_missing()
            for name in XLSX_TABLES:
                if name in self.usable:
                    self._check_keys(con, self.tables[name])
                    self._check_references(con, self.tables[name])
            self._check_meta()
            self._check_institution(con)
            if self.errors.total:
                order = {t: i for i, t in enumerate(XLSX_TABLES)}
                kept = sorted(
                    self.errors.kept,
                    key=lambda e: (order.get(e.sheet, 99), e.row or 0, self._col_index(e.sheet, e.column)),
                )
                raise XlsxValidationError(self.path, kept, self.errors.total)
            self._build_central(con)
            con.commit()
            return self.counts
        finally:
            con.close()

    def _col_index(self, sheet: str, column: str | None) -> int:
        names = self.tables[sheet].column_names() if sheet in self.tables else []
        return names.index(column) if column in names else -1

    def _read_sheet(self, con: sqlite3.Connection, ws, table: Table) -> None:
        name = table.name
        declared = ws.max_row          # for progress only: a sheet may declare a wrong size,
        # so rows are read to the end of the sheet (only those holding data), not to it
        rows = _guarded(sheet_rows(ws), self.path)
        first = next(rows, None)
        header = first[1] if first is not None and first[0] == 1 else None
        if header is None or all(h is None for h in header):
            self.errors.add(name, 1, None, "", _("the sheet is empty: its first row must hold the column names"))
            return
        positions: dict[str, int] = {}
        known = set(table.column_names())
        for i, h in enumerate(header):
            if h is None:
                continue
            label = str(h).strip()
            if label in positions and label in known:
                self.errors.add(name, 1, label, label, _("the column appears twice in the header row"))
            else:
                positions[label] = i
        missing = [c.name for c in table.columns if c.required and c.name not in positions]
        for col in missing:
            self.errors.add(name, 1, col, "", _("required column missing from the header row"))
        if missing:
            return
        plan = [(c, positions.get(c.name), converter(c), c.name in _CODE_COLUMNS) for c in table.columns]
        names = table.column_names()
        ix = {n: i + 1 for i, n in enumerate(names)}   # index into a staged tuple (_row first)
        row_check = getattr(self, f"_row_{name}", None)
        sql = f"INSERT INTO stg_{name} VALUES ({', '.join('?' * (len(names) + 1))})"
        total = declared - 1 if declared else None
        batch: list[tuple] = []
        done = 0
        self.progress.set_progress(name, 0, total)
        add = self.errors.add
        for rownum, row in rows:
            if not any(v is not None and v != "" for v in row):
                continue
            vals: list[object] = [rownum]
            width = len(row)
            for col, idx, conv, is_code in plan:
                v = row[idx] if idx is not None and idx < width else None
                if isinstance(v, UncachedFormula):
                    add(name, rownum, col.name, v, _("a formula without a saved value: open the workbook in Excel "
                                                     "and save it, or paste the values"))
                    vals.append(None)
                    continue
                if v is None or v == "":
                    if col.default is not None:
                        vals.append(col.default)
                    else:
                        if col.not_null:
                            add(name, rownum, col.name, "", _("empty, but the column is required"))
                        vals.append(None)
                    continue
                try:
                    x = conv(v)
                except BadValue as exc:
                    add(name, rownum, col.name, v, str(exc))
                    vals.append(None)
                    continue
                if is_code:
                    why = check_code(name, col.name, x)
                    if why:
                        add(name, rownum, col.name, v, why)
                        vals.append(None)
                        continue
                vals.append(x)
            if row_check is not None:
                row_check(rownum, vals, ix)
            batch.append(tuple(vals))
            if len(batch) >= _BATCH:
                con.executemany(sql, batch)
                done += len(batch)
                batch = []
                self.progress.set_progress(name, done, total)
                self.progress.check()
        if batch:
            con.executemany(sql, batch)
            done += len(batch)
        self.progress.set_progress(name, done, done)
        self.counts[name] = done
        self.usable.add(name)

    # --- checks across the columns of one row ------------------------------------------------
    def _row_extract_meta(self, rownum: int, vals: list, ix: dict[str, int]) -> None:
        key = vals[ix["key"]]
        if key is not None and key not in self.meta:
            self.meta[key] = (rownum, vals[ix["value"]])

    def _row_fixmedins(self, rownum: int, vals: list, ix: dict[str, int]) -> None:
        code, kind = vals[ix["fixmedins_code"]], vals[ix["fixmedins_type"]]
        if code and kind and {"H": "1", "P": "2"}[code[0]] != kind:
            self.errors.add("fixmedins", rownum, "fixmedins_type", kind,
                            _("does not match the code: 'H' codes are type 1, 'P' codes type 2"))

    def _row_med_list(self, rownum: int, vals: list, ix: dict[str, int]) -> None:
        code, list_type = vals[ix["med_list_codg"]], vals[ix["list_type"]]
        if code and list_type:
            why = check_drug_code(code, list_type)
            if why:
                self.errors.add("med_list", rownum, "med_list_codg", code, why)

    def _row_mdtrt(self, rownum: int, vals: list, ix: dict[str, int]) -> None:
        if vals[ix["med_type"]] == "21":
            self.has_inpatient = True

    def _row_feedetl(self, rownum: int, vals: list, ix: dict[str, int]) -> None:
        cnt, pric, amount = vals[ix["cnt"]], vals[ix["pric"]], vals[ix["det_item_fee_sumamt"]]
        if cnt is not None and pric is not None and amount is not None:
            expected = fee_sum(cnt, pric)
            if Decimal(amount) != expected:
                self.errors.add("feedetl", rownum, "det_item_fee_sumamt", amount,
                                _("not cnt x pric rounded to cents ({cnt} x {pric} = {expected})").format(
                                    cnt=cnt, pric=pric, expected=expected))

    # --- checks across rows and sheets ---------------------------------------------------------
    def _check_missing(self) -> None:
        for name in self.missing:
            if name in INPATIENT_SHEETS and not self.has_inpatient:
                continue   # an institution without inpatient stays has none of these
            if name in INPATIENT_SHEETS:
                why = _("sheet missing: the workbook has inpatient stays (med_type 21), so it needs this sheet "
                        "(a sheet with only the header row means no rows)")
            else:
                why = _("sheet missing (a sheet with only the header row means no rows)")
            self.errors.add(name, None, None, "", why)

    def _check_keys(self, con: sqlite3.Connection, table: Table) -> None:
        keys = ", ".join(f'"{k}"' for k in table.key)
        not_null = " AND ".join(f'"{k}" IS NOT NULL' for k in table.key)
        sql = (
            f"SELECT _row, {keys}, first FROM ("
            f" SELECT _row, {keys}, row_number() OVER w AS rn, first_value(_row) OVER w AS first"
            f" FROM stg_{table.name} WHERE {not_null} WINDOW w AS (PARTITION BY {keys} ORDER BY _row)"
            f") WHERE rn > 1 ORDER BY _row"
        )
        label = ", ".join(table.key)
        for r in con.execute(sql):
            value = " / ".join(str(v) for v in r[1:-1])
            self.errors.add(table.name, r[0], label, value,
                            _("duplicate key: the same as row {first}").format(first=r[-1]))

    def _check_references(self, con: sqlite3.Connection, table: Table) -> None:
        for ref in table.references:
            if ref.parent not in self.usable:
                continue  # the parent sheet is missing or unreadable: already reported
            con.execute(
                f'CREATE INDEX IF NOT EXISTS ix_stg_{ref.parent}_{ref.parent_column} '
                f'ON stg_{ref.parent} ("{ref.parent_column}")'
            )
            sql = (
                f'SELECT c._row, c."{ref.column}" FROM stg_{table.name} c WHERE c."{ref.column}" IS NOT NULL '
                f'AND NOT EXISTS (SELECT 1 FROM stg_{ref.parent} p WHERE p."{ref.parent_column}" = c."{ref.column}") '
                f"ORDER BY c._row"
            )
            why = _("no row of sheet {parent} has {column} = this value").format(
                parent=ref.parent, column=ref.parent_column)
            for row, value in con.execute(sql):
                self.errors.add(table.name, row, ref.column, value, why)

    def _check_meta(self) -> None:
        if "extract_meta" not in self.usable:
            return
        for key in REQUIRED_META_KEYS:
            if key not in self.meta:
                self.errors.add("extract_meta", None, "key", key, _("required key missing"))
        if "schema_version" in self.meta:
            row, value = self.meta["schema_version"]
            if value != "1":
                self.errors.add("extract_meta", row, "value", value,
                                _("schema_version must be '1': this Inspector reads contract version 1"))

    def _check_institution(self, con: sqlite3.Connection) -> None:
        if self.institution is None or "fixmedins" not in self.usable:
            return
        found = con.execute("SELECT 1 FROM stg_fixmedins WHERE fixmedins_code = ?", (self.institution,)).fetchone()
        if not found:
            self.errors.add("fixmedins", None, "fixmedins_code", self.institution,
                            _("the institution to import is not in this sheet"))

    # --- the clean result -----------------------------------------------------------------------
    def _build_central(self, con: sqlite3.Connection) -> None:
        con.executescript(central_schema_sql())
        for name, table in self.tables.items():
            cols = ", ".join(f'"{c}"' for c in table.column_names())
            con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM stg_{name} ORDER BY _row")
            con.execute(f"DROP TABLE stg_{name}")
            self.counts.setdefault(name, 0)


def load_xlsx_central(
    path: Path, out_db: Path, institution: str | None = None, *, progress: Progress | None = None
) -> dict[str, int]:
    """Check the workbook at `path` and, if clean, write it as a central SQLite database `out_db`.

    Returns the row count per table. Raises `XlsxValidationError` (cell errors) or
    `XlsxFileError` (the file itself); `out_db` is then left half-built for the caller to drop.
    """
    if Path(out_db).exists():
        raise FileExistsError(f"{out_db} exists: the central database is built in a new file")
    return _Loader(Path(path), Path(out_db), institution, progress or Progress()).run()
