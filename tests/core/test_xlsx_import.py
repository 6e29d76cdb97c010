"""Excel import: contract workbooks round-trip exactly; every kind of bad input is refused
with a message naming sheet / row / column (or the file), and the store is left untouched."""
from __future__ import annotations

import hashlib
import sqlite3
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from inspector import i18n
from inspector.db import open_store
from inspector.resources import central_schema_sql
from inspector.sync.xlsx_errors import SHOWN_ERRORS, XlsxFileError, XlsxValidationError
from inspector.sync.xlsx_extract import write_central_xlsx
from inspector.sync.xlsx_file import MB, XlsxLimits
from inspector.sync.xlsx_import import check_xlsx, import_xlsx
from inspector.sync.xlsx_load import load_xlsx_central
from inspector.sync.xlsx_schema import XLSX_TABLES, contract_tables

HOSP = "H61010000001"
PHARM = "P61010000002"
DRUG_X = "X" + "A01AB0001" + "0" * 13          # 23 characters
DRUG_Z = "Z" + "B02CD0002" + "0" * 10          # 20 characters
BED = "001102000010000"
WINDOW = (date(2026, 9, 1), date(2026, 10, 31), datetime(2026, 11, 2, 10, 0, 0))

ROWS: dict[str, list[tuple]] = {
    "extract_meta": [("schema_version", "1"), ("extract_id", "EX-T1"), ("created_at", "2026-11-01 08:00:00"),
                     ("certno_salt", "s4lt"), ("admdvs", "610100")],
    "fixmedins": [(HOSP, "测试医院", "1", "2", "610100", 3, "路1号", "A", "active"),
                  (PHARM, "测试药店", "2", None, "610100", 0, None, None, "active")],
    "wards": [(HOSP, "W1", "内科一病区", "D01", "内科", 3)],
    "psn_info": [("PSN1", "张三", "1", "1970-01-01", "610102********1234", "ab" * 32, "310"),
                 ("PSN2", "李四", "2", "1985-06-30", "610102********5678", "cd" * 32, "390")],
    "med_list": [(DRUG_X, "阿莫西林胶囊", "101", "0.25g", "粒", "01", 1, "0.5000", "6.00"),
                 (DRUG_Z, "连花清瘟胶囊", "101", "0.35g", "粒", "02", 0, None, None),
                 (BED, "床位费", "201", None, "日", "01", 0, "40.0000", "1.00")],
    "mdtrt": [("M1", HOSP, "PSN1", "21", "IPT1", "2026-10-01 08:00:00", "2026-10-05 10:00:00", "W1", "1",
               "J18.900", "肺炎", "DR1", "王医生", "D01"),
              ("M2", HOSP, "PSN2", "21", "IPT2", "2026-10-20 09:30:00", None, "W1", "2",
               "I10.x00", "高血压", "DR1", "王医生", "D01"),
              ("M3", PHARM, "PSN1", "41", None, "2026-10-10 15:00:00", "2026-10-10 15:00:00", None, None,
               None, None, None, None, None)],
    "leave_rec": [("L1", "M2", "2026-10-25 08:00:00", "2026-10-26 18:00:00", "家中有事")],
    "setl": [("S1", "M1", HOSP, "PSN1", "2026-10-05 10:30:00", "1234.56", "1000.01", "100.00", "134.55", "0.00")],
    "feedetl": [("F1", "M1", HOSP, "PSN1", "2026-10-02 09:00:00", DRUG_X, "09", "2.00", "12.3456", "24.69", "DR1", "D01"),
                ("F2", "M1", HOSP, "PSN1", "2026-10-02 09:00:00", DRUG_X, "09", "-1.00", "12.3456", "-12.35", "DR1", "D01"),
                ("F3", "M1", HOSP, "PSN1", "2026-10-03 00:00:00", BED, "01", "1.50", "0.0100", "0.02", None, None),
                ("F4", "M2", HOSP, "PSN2", "2026-10-21 23:59:59", BED, "01", "1.00", "40.0000", "40.00", None, None),
                ("F5", "M3", PHARM, "PSN1", "2026-10-10 15:00:00", DRUG_Z, "11", "3.00", "0.3333", "1.00", None, None)],
    "medrcd": [("M1", HOSP, "PSN1", "IPT1", "2026-10-01 08:00:00", "2026-10-05 10:00:00", 4, "J18.900", "肺炎",
                None, "D01", "DR1", "1234.56")],
    "drug_inv": [(HOSP, DRUG_X, "2026-09-01", "100.00"), (PHARM, DRUG_Z, "2026-09-01", "50.50")],
    "drug_purc": [("PU1", HOSP, DRUG_X, "供应商甲", "LOT1", "200.00", "0.4100", "2026-09-15 10:00:00", "0"),
                  ("PU2", PHARM, DRUG_Z, None, None, "20.00", "0.3000", "2026-09-20 10:00:00", "1")],
    "drug_sel": [("SE1", HOSP, DRUG_X, "2.00", "0.5000", "2026-10-02 09:05:00", "M1", "TRC1", "0"),
                 ("SE2", PHARM, DRUG_Z, "3.00", "0.3333", "2026-10-10 15:00:00", "M3", None, "0")],
}


pytestmark = pytest.mark.usefixtures("english")   # messages are matched in English


def build_central(path: Path, rows: dict[str, list[tuple]] = ROWS) -> Path:
    """A small central database: the contract DDL filled the way any SQLite central is."""
    con = sqlite3.connect(path)
    con.executescript(central_schema_sql())
    for table, data in rows.items():
        if data:
            con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(data[0]))})", data)
    con.commit()
    con.close()
    return path


def dump(db: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(db)
    tables = contract_tables()
    out = {t: con.execute(f"SELECT * FROM {t} ORDER BY {', '.join(tables[t].key)}").fetchall() for t in XLSX_TABLES}
    con.close()
    return out


def workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A workbook written cell by cell (header row first), as a test builds bad input."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def sheets_of(rows: dict[str, list[tuple]] = ROWS) -> dict[str, list[list]]:
    tables = contract_tables()
    return {t: [tables[t].column_names()] + [list(r) for r in rows[t]] for t in XLSX_TABLES}


@pytest.fixture
def store(tmp_path):
    """A store with one inspection already in it; `state()` fingerprints it."""
    path = tmp_path / "store.db"
    engine = open_store(path)
    with engine.begin() as c:
        c.exec_driver_sql(
            "INSERT INTO inspection (uid, fixmedins_code, fixmedins_name, date_from, date_to, visit_time, status,"
            " team, settings, created_at) VALUES ('u-1', ?, 'x', '2026-01-01', '2026-01-31', '2026-02-01 00:00:00',"
            " 'synced', '[]', '{}', '2026-02-01 00:00:00')", (HOSP,))
    engine.dispose()
    engine = open_store(path)

    def state():
        with engine.connect() as c:
            counts = tuple(c.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()
                           for t in ("inspection", "snapshot", "snap_feedetl", "snap_fixmedins"))
        engine.dispose()
        return counts, hashlib.sha256(path.read_bytes()).hexdigest()

    engine.state = state
    yield engine
    engine.dispose()


def refused(engine, path: Path, limits: XlsxLimits | None = None, institution: str = HOSP):
    """Import `path`, expecting a refusal; the store must be exactly as before."""
    before = engine.state()
    with pytest.raises((XlsxValidationError, XlsxFileError)) as info:
        import_xlsx(engine, path, institution, *WINDOW, limits=limits)
    assert engine.state() == before
    return info.value


# --- round trips --------------------------------------------------------------------------

@pytest.mark.parametrize("dates", ["excel", "text"])
def test_central_round_trips_through_xlsx_exactly(tmp_path, dates):
    central = build_central(tmp_path / "central.db")
    xlsx = tmp_path / "extract.xlsx"
    write_central_xlsx(central, xlsx, dates=dates)
    wb = openpyxl.load_workbook(xlsx, read_only=True)
    cell = next(wb["mdtrt"].iter_rows(min_row=2, max_row=2, values_only=True))[5]
    assert isinstance(cell, datetime) if dates == "excel" else cell == "2026-10-01 08:00:00"
    wb.close()
    copy = tmp_path / "copy.db"
    counts = load_xlsx_central(xlsx, copy, HOSP)
    assert counts["feedetl"] == 5 and counts["extract_meta"] == 5
    assert dump(copy) == dump(central)


def test_one_institution_extract_keeps_only_its_rows(tmp_path):
    central = build_central(tmp_path / "central.db")
    xlsx = tmp_path / "pharmacy.xlsx"
    write_central_xlsx(str(central), xlsx, PHARM)
    copy = tmp_path / "copy.db"
    load_xlsx_central(xlsx, copy, PHARM)
    got = dump(copy)
    assert [r[0] for r in got["fixmedins"]] == [PHARM]
    assert [r[0] for r in got["mdtrt"]] == ["M3"]
    assert [r[0] for r in got["feedetl"]] == ["F5"]
    assert [r[0] for r in got["med_list"]] == [DRUG_Z]
    assert got["wards"] == [] and got["medrcd"] == []


def test_pharmacy_workbook_may_leave_out_inpatient_sheets(tmp_path):
    rows = {t: [r for r in data] for t, data in ROWS.items()}
    rows["fixmedins"] = [r for r in rows["fixmedins"] if r[0] == PHARM]
    rows["mdtrt"] = [r for r in rows["mdtrt"] if r[1] == PHARM]
    for t in ("setl", "feedetl", "drug_inv", "drug_purc", "drug_sel"):
        rows[t] = [r for r in rows[t] if PHARM in r]
    rows["wards"] = rows["leave_rec"] = rows["medrcd"] = []
    sheets = sheets_of(rows)
    for t in ("wards", "leave_rec", "medrcd"):
        del sheets[t]
    counts = check_xlsx(workbook(tmp_path / "p.xlsx", sheets), PHARM)
    assert counts["wards"] == 0 and counts["feedetl"] == 1

    # with an inpatient stay in it, the same omission is an error
    rows["mdtrt"] = rows["mdtrt"] + [("M9", PHARM, "PSN1", "21", None, "2026-10-01 08:00:00", None,
                                      None, None, None, None, None, None, None)]
    sheets = sheets_of(rows)
    del sheets["medrcd"]
    with pytest.raises(XlsxValidationError) as info:
        check_xlsx(workbook(tmp_path / "p2.xlsx", sheets), PHARM)
    assert [(e.sheet, e.row) for e in info.value.errors] == [("medrcd", None)]


def test_excel_dates_numbers_extra_sheets_and_columns_are_accepted(tmp_path):
    sheets = sheets_of()
    mdtrt = sheets["mdtrt"]
    mdtrt[1][5] = datetime(2026, 10, 1, 8, 0, 0)              # an Excel date-time
    mdtrt[1][6] = "2026-10-05 10:00:00"                       # text
    sheets["psn_info"][1][3] = datetime(1970, 1, 1)            # an Excel date for a DATE column
    sheets["feedetl"][1][7] = 2                                # numbers as numbers
    sheets["feedetl"][1][8] = 12.3456
    sheets["feedetl"][1][9] = 24.69
    sheets["fixmedins"][1][4] = 610100                        # a code typed as a number
    sheets["extract_meta"][3][1] = datetime(2026, 11, 1, 8)    # created_at as Excel turns it into a date
    sheets["notes"] = [["an extra sheet"], ["is ignored"]]
    for n, row in enumerate(sheets["psn_info"]):               # so is an extra column
        row.append("remark" if n == 0 else f"note {n}")
    sheets["wards"][0][2], sheets["wards"][0][3] = sheets["wards"][0][3], sheets["wards"][0][2]   # columns in any order
    sheets["wards"][1][2], sheets["wards"][1][3] = sheets["wards"][1][3], sheets["wards"][1][2]
    central = build_central(tmp_path / "central.db")
    copy = tmp_path / "copy.db"
    load_xlsx_central(workbook(tmp_path / "w.xlsx", sheets), copy, HOSP)
    assert dump(copy) == dump(central)


def _snapshot_row(engine, snapshot_id: int) -> tuple:
    with engine.connect() as c:
        return c.exec_driver_sql(
            "SELECT source_kind, source, source_sha256, extract_id FROM snapshot WHERE id = ?", (snapshot_id,)
        ).one()


@pytest.mark.parametrize("institution", [HOSP, PHARM])
def test_import_gives_the_same_snapshot_as_a_direct_sync(tmp_path, institution):
    from inspector.sync.central import sync_central

    central = build_central(tmp_path / "central.db")
    xlsx = tmp_path / "extract.xlsx"
    write_central_xlsx(central, xlsx)
    engine = open_store(tmp_path / "store.db")
    direct = sync_central(engine, f"sqlite:///{central}", institution, *WINDOW)
    via = import_xlsx(engine, xlsx, institution, *WINDOW)
    assert via.inspection_id != direct.inspection_id
    assert via.row_counts == direct.row_counts and via.digests == direct.digests
    assert via.row_counts["feedetl"] == (4 if institution == HOSP else 1)
    sha = hashlib.sha256(xlsx.read_bytes()).hexdigest()
    assert _snapshot_row(engine, via.snapshot_id) == ("xlsx", str(xlsx.resolve()), sha, "EX-T1")

    # a re-import of a text-dated, one-institution extract is a new version with the same data
    again = tmp_path / "again.xlsx"
    write_central_xlsx(central, again, institution, dates="text")
    v2 = import_xlsx(engine, again, institution, *WINDOW, target_inspection=via.inspection_id)
    assert (v2.inspection_id, v2.version) == (via.inspection_id, 2)
    assert v2.digests == direct.digests
    engine.dispose()


@pytest.mark.slow
def test_demo_round_trip_through_xlsx_gives_the_same_digests(tmp_path):
    """The demo central, exported per institution as a workbook and imported, equals a direct sync."""
    from inspector.demo.central import build_demo_central
    from inspector.sync.central import sync_central

    m = build_demo_central(tmp_path / "central.db", seed=1, scale="small")
    window = (date.fromisoformat(m.date_from), date.fromisoformat(m.date_to), datetime.fromisoformat(m.visit_time))
    engine = open_store(tmp_path / "store.db")
    for institution, dates in ((m.main_institution, "excel"), (m.pharmacy_institution, "text")):
        xlsx = tmp_path / f"{institution}.xlsx"
        write_central_xlsx(tmp_path / "central.db", xlsx, institution, dates=dates)
        direct = sync_central(engine, f"sqlite:///{tmp_path / 'central.db'}", institution, *window)
        via = import_xlsx(engine, xlsx, institution, *window)
        assert via.row_counts == direct.row_counts and via.digests == direct.digests
        assert via.row_counts["feedetl"] > 0 and via.row_counts["drug_sel"] > 0
    engine.dispose()


# --- bad input: one kind at a time -------------------------------------------------------------

def _bad(tmp_path, mutate) -> Path:
    sheets = sheets_of()
    mutate(sheets)
    return workbook(tmp_path / "bad.xlsx", sheets)


CELL_CASES = {
    # name: (mutation, sheet, row, column, words in the reason)
    "missing sheet": (lambda s: s.pop("med_list"), "med_list", None, None, "sheet missing"),
    "missing column": (lambda s: [r.pop(5) for r in s["feedetl"]], "feedetl", 1, "med_list_codg", "required column"),
    "wrong type": (lambda s: s["wards"][1].__setitem__(5, "three"), "wards", 2, "aprv_bed_cnt", "whole number"),
    "huge integer": (lambda s: s["fixmedins"][1].__setitem__(5, "9" * 30), "fixmedins", 2, "aprv_bed_cnt", "too large"),
    "bad date": (lambda s: s["psn_info"][2].__setitem__(3, "1985-02-30"), "psn_info", 3, "brdy", "calendar date"),
    "bad time text": (lambda s: s["mdtrt"][1].__setitem__(5, "2026/10/01 08:00"), "mdtrt", 2, "begntime", "YYYY-MM-DD HH:MM:SS"),
    "too many decimals": (lambda s: s["setl"][1].__setitem__(5, 1234.567), "setl", 2, "medfee_sumamt", "decimal places"),
    "unknown code": (lambda s: s["feedetl"][3].__setitem__(6, "15"), "feedetl", 4, "med_chrgitm_type", "unknown code"),
    "malformed institution code": (lambda s: s["drug_inv"][1].__setitem__(0, "H6101"), "drug_inv", 2, "fixmedins_code", "11 digits"),
    "bad drug code": (lambda s: s["med_list"][3].__setitem__(2, "101"), "med_list", 4, "med_list_codg", "list_type 101"),
    "empty required": (lambda s: s["psn_info"][1].__setitem__(1, None), "psn_info", 2, "psn_name", "required"),
    "duplicate key": (lambda s: s["feedetl"].append(list(s["feedetl"][2])), "feedetl", 7, "feedetl_sn", "row 3"),
    "duplicate composite key": (lambda s: s["drug_inv"].append(list(s["drug_inv"][1])), "drug_inv", 4,
                                "fixmedins_code, med_list_codg, invdate", "duplicate"),
    "dangling reference": (lambda s: s["leave_rec"][1].__setitem__(1, "M404"), "leave_rec", 2, "mdtrt_id", "mdtrt"),
    "dangling institution": (lambda s: s["drug_sel"][1].__setitem__(1, "H99999999999"), "drug_sel", 2, "fixmedins_code", "fixmedins"),
    "wrong fee sum": (lambda s: s["feedetl"][2].__setitem__(9, "-12.34"), "feedetl", 3, "det_item_fee_sumamt", "-12.35"),
    "wrong schema version": (lambda s: s["extract_meta"][1].__setitem__(1, "2"), "extract_meta", 2, "value", "schema_version"),
    "missing meta key": (lambda s: s["extract_meta"].pop(5), "extract_meta", None, "key", "required key"),
    "formula without a saved value": (lambda s: s["setl"][1].__setitem__(5, "=F3*2"), "setl", 2, "medfee_sumamt",
                                      "a formula without a saved value"),
    "letters for a number": (lambda s: s["feedetl"][2].__setitem__(9, "abc"), "feedetl", 3, "det_item_fee_sumamt",
                             "not a number"),
    "two decimal points": (lambda s: s["feedetl"][2].__setitem__(9, "12.3.4"), "feedetl", 3, "det_item_fee_sumamt",
                           "not a number"),
    "words for a count": (lambda s: s["feedetl"][2].__setitem__(7, "many"), "feedetl", 3, "cnt", "not a number"),
    "notes for a time": (lambda s: s["mdtrt"][1].__setitem__(6, "see notes"), "mdtrt", 2, "endtime", "YYYY-MM-DD HH:MM:SS"),
}


@pytest.mark.parametrize("case", list(CELL_CASES))
def test_each_kind_of_bad_cell_is_named_and_changes_nothing(tmp_path, store, case):
    mutate, sheet, row, column, why = CELL_CASES[case]
    err = refused(store, _bad(tmp_path, mutate))
    assert isinstance(err, XlsxValidationError)
    assert err.total == 1, err.errors
    e = err.errors[0]
    assert (e.sheet, e.row, e.column) == (sheet, row, column)
    assert why in e.why
    text = str(err)
    assert "bad.xlsx" in text and sheet in text and (column or sheet) in text


def test_formatted_empty_rows_are_skipped_and_rows_keep_their_numbers(tmp_path, store):
    """Styled empty rows (Excel's "formatted to the bottom") between and after the data are not rows."""
    from openpyxl.styles import Font

    sheets = sheets_of()
    sheets["feedetl"][3][9] = "9.99"          # a bad sum on sheet row 4, after the gap below
    path = workbook(tmp_path / "styled.xlsx", sheets)
    wb = openpyxl.load_workbook(path)
    ws = wb["feedetl"]
    ws.insert_rows(3, 5)                      # rows 3..7 empty: the bad row moves to sheet row 9
    bold = Font(bold=True)
    for r in list(range(3, 8)) + list(range(ws.max_row + 1, ws.max_row + 3000)):
        ws.cell(row=r, column=1).font = bold  # formatted, no value
    wb.save(path)
    err = refused(store, path)
    assert [(e.sheet, e.row, e.column) for e in err.errors] == [("feedetl", 9, "det_item_fee_sumamt")]


def test_message_lists_first_50_errors_and_the_total(tmp_path, store):
    sheets = sheets_of()
    base = sheets["psn_info"][1]
    sheets["psn_info"] += [[f"Q{i}", "某", "9", "1970-01-01", "x", "ab" * 32, "310"] for i in range(120)]
    assert base[0] == "PSN1"
    err = refused(store, workbook(tmp_path / "many.xlsx", sheets))
    assert err.total == 120
    assert len(err.errors) == 120
    text = str(err)
    assert "120" in text
    listed = [line for line in text.splitlines() if line.startswith("psn_info")]
    assert len(listed) == SHOWN_ERRORS
    assert listed[0].split()[1] == "4" and listed[-1].split()[1] == str(4 + SHOWN_ERRORS - 1)


def test_institution_absent_from_workbook_is_refused(tmp_path, store):
    err = refused(store, workbook(tmp_path / "w.xlsx", sheets_of()), institution="H61010000099")
    assert [(e.sheet, e.column, e.value) for e in err.errors] == [("fixmedins", "fixmedins_code", "H61010000099")]


# --- bad files ---------------------------------------------------------------------------------

def test_not_an_xlsx_is_refused(tmp_path, store):
    p = tmp_path / "notes.xlsx"
    p.write_text("psn_no,psn_name\nP1,张三\n", encoding="utf-8")
    err = refused(store, p)
    assert isinstance(err, XlsxFileError) and "notes.xlsx" in str(err) and "zip" in err.reason


def test_zip_that_is_not_a_workbook_is_refused(tmp_path, store):
    p = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("readme.txt", "hello")
    err = refused(store, p)
    assert isinstance(err, XlsxFileError) and "workbook.xml" in err.reason


def test_truncated_file_is_refused(tmp_path, store):
    good = workbook(tmp_path / "good.xlsx", sheets_of())
    p = tmp_path / "cut.xlsx"
    data = good.read_bytes()
    p.write_bytes(data[: len(data) * 2 // 3])
    err = refused(store, p)
    assert isinstance(err, XlsxFileError) and "cut.xlsx" in str(err) and "truncated" in err.reason


def test_damaged_sheet_inside_an_intact_zip_is_refused(tmp_path, store):
    good = workbook(tmp_path / "good.xlsx", sheets_of())
    p = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet9.xml":
                data = data[: len(data) // 2]       # the XML stops in the middle
            dst.writestr(info, data)
    err = refused(store, p)
    assert isinstance(err, XlsxFileError) and "damaged" in err.reason


def test_encrypted_workbook_is_refused(tmp_path, store):
    p = tmp_path / "locked.xlsx"
    p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)   # how Excel stores a password-protected file
    err = refused(store, p)
    assert isinstance(err, XlsxFileError) and "password" in err.reason


def test_file_over_the_size_limit_is_refused(tmp_path, store):
    p = workbook(tmp_path / "big.xlsx", sheets_of())
    err = refused(store, p, limits=XlsxLimits(max_file_bytes=p.stat().st_size - 1))
    assert isinstance(err, XlsxFileError) and "big.xlsx" in str(err) and "limit" in err.reason


def test_zip_bomb_is_refused_before_unpacking(tmp_path, store):
    good = workbook(tmp_path / "good.xlsx", sheets_of())
    p = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info), zipfile.ZIP_DEFLATED)
        dst.writestr("xl/worksheets/sheet99.xml", b" " * (20 * MB))       # compresses ~1000:1
    assert p.stat().st_size < MB
    err = refused(store, p)                                                 # default limits
    assert isinstance(err, XlsxFileError) and "zip bomb" in err.reason
    err = refused(store, p, limits=XlsxLimits(max_unpacked_bytes=10 * MB))
    assert "10.0 MB" in err.reason


def test_errors_read_in_chinese_by_default(tmp_path):
    i18n.set_language("zh_CN")
    with pytest.raises(XlsxValidationError) as info:
        check_xlsx(_bad(tmp_path, lambda s: s["wards"][1].__setitem__(5, "three")), HOSP)
    text = str(info.value)
    assert "工作表" in text and "不是整数" in text and "aprv_bed_cnt" in text and "未导入任何数据" in text


# --- the commands ------------------------------------------------------------------------------

def test_cli_refusal_prints_the_error_table_and_exits_2(tmp_path, store, capsys, cli_account):
    from inspector.cli import run

    cli_account(store.url.database, "li")
    bad = _bad(tmp_path, lambda s: s["setl"][1].__setitem__(5, 1234.567))
    before = store.state()
    code = run(["import-xlsx", str(bad), "--institution", HOSP, "--from", "2026-09-01", "--to", "2026-10-31",
                "--visit-time", "2026-11-02 10:00:00", "--db", str(store.url.database)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert "bad.xlsx" in err
    row = next(line for line in err.splitlines() if line.startswith("setl ") and "medfee_sumamt" in line)
    assert row.split()[:4] == ["setl", "2", "medfee_sumamt", "1234.567"]
    assert store.state() == before


def test_cli_export_central_xlsx_writes_the_contract_form(tmp_path, capsys):
    from inspector.cli import run

    central = build_central(tmp_path / "central.db")
    out = tmp_path / "h.xlsx"
    assert run(["export-central-xlsx", "--central", f"sqlite:///{central}", "--out", str(out),
                "--institution", HOSP]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(out)
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames == list(XLSX_TABLES)
    assert next(wb["feedetl"].iter_rows(max_row=1, values_only=True)) == tuple(contract_tables()["feedetl"].column_names())
    wb.close()
    assert run(["export-central-xlsx", "--central", str(central), "--out", str(out), "--institution", "H61010000099"]) == 2
    assert "H61010000099" in capsys.readouterr().err


def test_a_sheet_declaring_too_few_rows_is_still_read_to_the_end(tmp_path):
    """Some writers declare a wrong <dimension>; openpyxl would stop there and drop rows silently."""
    good = workbook(tmp_path / "good.xlsx", sheets_of())
    p = tmp_path / "lying.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet9.xml":       # feedetl, 5 rows + header
                assert b'<dimension ref="A1:L6"/>' in data
                data = data.replace(b'<dimension ref="A1:L6"/>', b'<dimension ref="A1:L2"/>')
            dst.writestr(info, data)
    counts = check_xlsx(p, HOSP)
    assert counts["feedetl"] == 5


def test_cli_import_prints_the_inspection_id_last_and_reimports_as_a_new_version(tmp_path, capsys, cli_account):
    from inspector.cli import run

    cli_account(tmp_path / "store.db", "li")
    central = build_central(tmp_path / "central.db")
    xlsx = tmp_path / "h.xlsx"
    write_central_xlsx(central, xlsx, HOSP)
    db = str(tmp_path / "store.db")
    args = ["import-xlsx", str(xlsx), "--institution", HOSP, "--from", "2026-09-01", "--to", "2026-10-31", "--db", db]
    assert run(args + ["--visit-time", "2026-11-02 10:00:00"]) == 0
    first = capsys.readouterr().out.strip().splitlines()[-1]
    assert run(args + ["--inspection", first]) == 0          # visit time taken from the inspection
    assert capsys.readouterr().out.strip().splitlines()[-1] == first
    engine = open_store(db)
    with engine.connect() as c:
        versions = c.exec_driver_sql("SELECT version, source_kind FROM snapshot WHERE inspection_id = ? ORDER BY version",
                                     (int(first),)).fetchall()
    engine.dispose()
    assert versions == [(1, "xlsx"), (2, "xlsx")]


def test_impossible_request_is_refused_before_the_workbook_is_read(tmp_path, store):
    from inspector.errors import UserError

    missing = tmp_path / "never-read.xlsx"            # does not exist: the request fails first
    before = store.state()
    d0, d1, v = WINDOW
    with pytest.raises(UserError, match="H6101"):
        import_xlsx(store, missing, "H6101", d0, d1, v)
    with pytest.raises(UserError, match="after it ends"):
        import_xlsx(store, missing, HOSP, d1, d0, v)
    with pytest.raises(UserError, match="inspection 1"):  # a new version must keep the inspection's window
        import_xlsx(store, missing, HOSP, d0, d1, v, target_inspection=1)
    assert store.state() == before
