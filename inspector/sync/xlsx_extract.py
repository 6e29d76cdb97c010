"""Writing a central database (or one institution's rows) in the contract's Excel form.

One sheet per contract table (insp_upload excepted), named as the table, first row the
column names of schema.sql, rows in primary-key order; openpyxl write-only mode, so rows
stream from the database to the file. Money and quantities are written as exact decimal
numbers; dates and times as Excel dates (default) or as contract text.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from inspector.errors import UserError
from inspector.i18n import _
from inspector.progress import Progress
from inspector.sync.xlsx_schema import XLSX_TABLES, Column, contract_tables

_VISITS_OF = "SELECT mdtrt_id FROM mdtrt WHERE fixmedins_code = :c"
_INSTITUTION_FILTER: dict[str, str] = {
    "extract_meta": "",
    "fixmedins": "WHERE fixmedins_code = :c",
    "wards": "WHERE fixmedins_code = :c",
    "psn_info": "WHERE psn_no IN (SELECT psn_no FROM mdtrt WHERE fixmedins_code = :c)",
    "med_list": (
        f"WHERE med_list_codg IN (SELECT med_list_codg FROM feedetl WHERE mdtrt_id IN ({_VISITS_OF})"
        " UNION SELECT med_list_codg FROM drug_inv WHERE fixmedins_code = :c"
        " UNION SELECT med_list_codg FROM drug_purc WHERE fixmedins_code = :c"
        " UNION SELECT med_list_codg FROM drug_sel WHERE fixmedins_code = :c)"
    ),
    "mdtrt": "WHERE fixmedins_code = :c",
    "leave_rec": f"WHERE mdtrt_id IN ({_VISITS_OF})",
    "setl": f"WHERE mdtrt_id IN ({_VISITS_OF})",
    "feedetl": f"WHERE mdtrt_id IN ({_VISITS_OF})",
    "medrcd": f"WHERE mdtrt_id IN ({_VISITS_OF})",
    "drug_inv": "WHERE fixmedins_code = :c",
    "drug_purc": "WHERE fixmedins_code = :c",
    "drug_sel": "WHERE fixmedins_code = :c",
}


def _central_url(central: str | Path) -> str:
    s = str(central)
    if "://" in s:
        return s
    p = Path(s)
    if not p.is_file():
        raise UserError(_("{path}: no such central database file").format(path=p))
    return f"sqlite:///{p}"


def _decimal(v: object) -> Decimal | None:
    if v is None:
        return None
    if isinstance(v, Decimal):
        return v
    if isinstance(v, float):
        return Decimal(repr(v))   # SQLite NUMERIC affinity keeps money as REAL: shortest exact text
    return Decimal(str(v))


def _cell_writer(col: Column, dates: str) -> Callable[[object], object]:
    if col.kind == "numeric":
        return _decimal
    if col.kind == "integer":
        return lambda v: None if v is None else int(v)
    if col.kind == "text":
        return lambda v: None if v is None else str(v)
    if col.kind == "date":
        def day(v: object) -> object:
            if v is None:
                return None
            try:
                d = v.date() if isinstance(v, datetime) else v if isinstance(v, date) else date.fromisoformat(str(v))
            except ValueError:
                return str(v)   # not a contract date: written as found, for the import to report
            return d if dates == "excel" else d.strftime("%Y-%m-%d")
        return day

    def moment(v: object) -> object:
        if v is None:
            return None
        try:
            t = v if isinstance(v, datetime) else datetime.fromisoformat(str(v))
        except ValueError:
            return str(v)
        return t if dates == "excel" else t.strftime("%Y-%m-%d %H:%M:%S")
    return moment


def _declare_size(ws, rows: int, cols: int) -> None:
    """Have the write-only sheet declare its size (<dimension>) up front.

    openpyxl's writer asks the sheet for `calculate_dimension` before the first row; a
    write-only sheet has none, and a reader without the declaration must parse the whole
    sheet once just to size it. The import never trusts the declaration (it reads to the end).
    """
    ref = f"A1:{get_column_letter(max(cols, 1))}{max(rows, 1)}"
    ws.calculate_dimension = lambda: ref


def write_central_xlsx(
    central_url_or_path: str | Path,
    out: Path,
    institution: str | None = None,
    *,
    dates: str = "excel",
    progress: Progress | None = None,
) -> None:
    """Write the central database (or only `institution`'s rows) as a contract workbook at `out`.

    `dates` is "excel" (date cells) or "text" ('YYYY-MM-DD [HH:MM:SS]' strings).
    """
    if dates not in ("excel", "text"):
        raise ValueError(f"dates must be 'excel' or 'text', not {dates!r}")
    progress = progress or Progress()
    url = _central_url(central_url_or_path)
    engine = create_engine(url)
    out = Path(out)
    tmp = out.with_name(out.name + ".part")
    tables = contract_tables()
    wb = openpyxl.Workbook(write_only=True)
    try:
        with engine.connect() as conn:
            if institution is not None:
                found = conn.execute(
                    text("SELECT 1 FROM fixmedins WHERE fixmedins_code = :c"), {"c": institution}
                ).first()
                if found is None:
                    raise UserError(_("institution {code} is not in {url}").format(
                        code=institution, url=make_url(url).render_as_string(hide_password=True)))
            for name in XLSX_TABLES:
                table = tables[name]
                ws = wb.create_sheet(name)
                names = table.column_names()
                writers = [_cell_writer(c, dates) for c in table.columns]
                where = _INSTITUTION_FILTER[name] if institution is not None else ""
                params = {"c": institution} if institution is not None else {}
                total = conn.execute(text(f"SELECT count(*) FROM {name} {where}"), params).scalar_one()
                _declare_size(ws, total + 1, len(names))
                ws.append(names)
                order = ", ".join(table.key)
                sql = text(f"SELECT {', '.join(names)} FROM {name} {where} ORDER BY {order}")
                result = conn.execution_options(stream_results=True).execute(sql, params)
                done = 0
                progress.set_progress(name, 0, total)
                for part in result.partitions(2000):
                    progress.check()
                    for row in part:
                        ws.append([w(v) for w, v in zip(writers, row)])
                    done += len(part)
                    progress.set_progress(name, done, max(total, done))
                progress.set_progress(name, done, done)
        try:
            wb.save(tmp)
            tmp.replace(out)
        except OSError as exc:
            from inspector.errors import cannot_write

            raise cannot_write(out, exc) from None
    finally:
        engine.dispose()
        if tmp.exists():
            tmp.unlink()
