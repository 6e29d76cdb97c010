"""A small hand-built central covering every clause of the contract's slice and its edges.

Window D0..D1 = 2026-03-01..2026-03-31, so W0 = 2026-03-01 00:00:00, W1 = 2026-04-01 00:00:00,
W0 - 30 days = 2026-01-30 00:00:00; visit time V = 2026-04-03 10:00:00. Row ids say whether
the slice must hold them: `...IN...` rows belong to it, `...OUT...` rows do not.
Numbers are text so SQLite (NUMERIC affinity) and PostgreSQL (numeric) both read them exactly.
"""
from __future__ import annotations

from datetime import date, datetime

C = "H61010000001"
OTHER = "H61010000002"
D0, D1 = date(2026, 3, 1), date(2026, 3, 31)
V = datetime(2026, 4, 3, 10, 0, 0)


def _x(n: int) -> str:
    return f"X{n:022d}"


X1, X2, X3, X4, X5, X6, X9 = (_x(n) for n in (1, 2, 3, 4, 5, 6, 9))
C1, C2 = "C0000000001", "C0000000002"


def _psn(no: str) -> tuple:
    return (no, "患者" + no, "1", "1970-01-01", "610102********1234", "ab" * 32, "310")


def _visit(mid, inst, psn, med_type, begn, end):
    return (mid, inst, psn, med_type, "IPT-" + mid if med_type == "21" else None, begn, end,
            "W01", "12", "J18.9", "肺炎", "DR01", "王医生", "D01")


TABLES: dict[str, list[tuple]] = {
    "extract_meta": [("schema_version", "1"), ("extract_id", "EX-SLICE-1"), ("created_at", "2026-04-03 06:00:00"),
                     ("certno_salt", "salt"), ("admdvs", "610100")],
    "fixmedins": [
        (C, "第一医院", "1", "3", "610100", 500, "路1号", "A", "active"),
        (OTHER, "第二医院", "1", "2", "610100", 100, None, None, "active"),
    ],
    "wards": [
        (C, "W01", "内科一病区", "D01", "内科", 40),
        (C, "W02", "外科病区", "D02", "外科", 30),
        (OTHER, "W01", "别院病区", "D01", "内科", 20),
    ],
    "psn_info": [_psn(p) for p in ("PA", "PB", "PC", "PD", "PE", "PF", "PG", "PX", "PY", "PZ")],
    "med_list": [
        (X1, "阿莫西林胶囊", "101", "0.25g", "粒", "01", 1, "0.0001", "6.00"),
        (X2, "布洛芬片", "101", "0.2g", "片", "01", 0, None, None),
        (X3, "头孢克肟", "101", None, "粒", "02", 0, "12.3456", "0.01"),
        (X4, "氨溴索", "101", None, "片", "02", 0, None, None),
        (X5, "未用药品", "101", None, "片", "02", 0, None, None),
        (X6, "前次住院药品", "101", None, "片", "02", 0, None, None),
        (X9, "别院药品", "101", None, "片", "02", 0, None, None),
        (C1, "输液器 'A型'", "301", None, "套", "02", 0, "9999999999.9999", None),
        (C2, "别院耗材", "301", None, "套", "02", 0, None, None),
    ],
    "mdtrt": [
        _visit("M_IN_WINDOW", C, "PB", "11", "2026-03-10 09:00:00", "2026-03-10 10:00:00"),
        _visit("M_IN_ENDS_AT_W0", C, "PE", "11", "2026-02-28 23:00:00", "2026-03-01 00:00:00"),
        _visit("M_OUT_ENDS_BEFORE_W0", C, "PY", "11", "2026-02-28 22:00:00", "2026-02-28 23:59:59"),
        _visit("M_OUT_BEGINS_AT_W1", C, "PF", "11", "2026-04-01 00:00:00", "2026-04-01 01:00:00"),
        _visit("M_IN_BEGINS_LAST_SECOND", C, "PF", "11", "2026-03-31 23:59:59", "2026-04-01 00:30:00"),
        _visit("M_OUT_OTHER_INST", OTHER, "PX", "11", "2026-03-10 09:00:00", "2026-03-10 10:00:00"),
        _visit("M_IN_ADMITTED_AT_V", C, "PC", "21", "2026-04-02 08:00:00", None),
        _visit("M_OUT_OUTPATIENT_AFTER_W1", C, "PC", "11", "2026-04-02 08:00:00", None),
        _visit("M_OUT_DISCHARGED_AT_V", C, "PG", "21", "2026-04-02 07:00:00", "2026-04-03 10:00:00"),
        _visit("M_IN_ADMITTED_LATER_ENDS_AFTER_V", C, "PG", "21", "2026-04-03 09:00:00", "2026-04-05 09:00:00"),
        _visit("M_IN_IPT_WINDOW", C, "PA", "21", "2026-03-05 08:00:00", "2026-03-12 10:00:00"),
        _visit("M_IN_PREV_ENDED_W0_MINUS_30", C, "PA", "21", "2026-01-25 08:00:00", "2026-01-30 00:00:00"),
        _visit("M_OUT_PREV_ENDED_EARLIER", C, "PA", "21", "2026-01-20 08:00:00", "2026-01-29 23:59:59"),
        _visit("M_OUT_PREV_OUTPATIENT", C, "PA", "11", "2026-02-10 08:00:00", "2026-02-10 09:00:00"),
        _visit("M_OUT_PREV_OTHER_INST", OTHER, "PA", "21", "2026-02-01 08:00:00", "2026-02-10 09:00:00"),
        _visit("M_OUT_PREV_OF_OUTPATIENT_PERSON", C, "PB", "21", "2026-02-01 08:00:00", "2026-02-15 09:00:00"),
        _visit("M_IN_PREV_OF_ADMITTED_AT_V", C, "PC", "21", "2026-02-10 08:00:00", "2026-02-20 09:00:00"),
        _visit("M_IN_STILL_ADMITTED", C, "PD", "21", "2026-02-01 08:00:00", None),
        _visit("M_OUT_PREV_OF_PD_TOO_OLD", C, "PD", "21", "2026-01-05 08:00:00", "2026-01-10 09:00:00"),
    ],
    "leave_rec": [
        ("L_IN", "M_IN_IPT_WINDOW", "2026-03-07 09:00:00", "2026-03-07 18:00:00", "回家"),
        ("L_OUT", "M_OUT_PREV_ENDED_EARLIER", "2026-01-22 09:00:00", "2026-01-22 18:00:00", None),
    ],
    "setl": [
        ("S_IN_BIG", "M_IN_WINDOW", C, "PB", "2026-03-10 10:00:00",
         "999999999999.99", "999999999999.98", "0.01", "0.00", "0.00"),
        ("S_IN_PREV_ANY_DATE", "M_IN_PREV_ENDED_W0_MINUS_30", C, "PA", "2026-01-30 00:00:00",
         "1234.56", "1000.00", "34.56", "200.00", "0.00"),
        ("S_OUT_OTHER", "M_OUT_OTHER_INST", OTHER, "PX", "2026-03-10 10:00:00", "1.00", "1.00", "0", "0", "0"),
    ],
    "feedetl": [
        ("F_IN_TINY_PRICE", "M_IN_WINDOW", C, "PB", "2026-03-10 09:10:00", X1, "09", "0.01", "0.0001", "0.00", "DR01", "D01"),
        ("F_IN_QUOTE", "M_IN_WINDOW", C, "PB", "2026-03-10 09:20:00", C1, "08", "1.00", "9999999999.9999",
         "10000000000.00", "DR'01", None),
        ("F_IN_BEFORE_WINDOW_OF_STILL", "M_IN_STILL_ADMITTED", C, "PD", "2026-02-01 09:00:00", X4, "09",
         "2.50", "1.2345", "3.09", None, None),
        ("F_IN_PREV", "M_IN_PREV_ENDED_W0_MINUS_30", C, "PA", "2026-01-26 09:00:00", X6, "09", "1.00", "2.0000", "2.00", None, None),
        ("F_OUT_OTHER", "M_OUT_OTHER_INST", OTHER, "PX", "2026-03-10 09:10:00", C2, "08", "1.00", "1.0000", "1.00", None, None),
        ("F_OUT_W1", "M_OUT_BEGINS_AT_W1", C, "PF", "2026-04-01 00:10:00", C2, "08", "1.00", "1.0000", "1.00", None, None),
    ],
    "medrcd": [
        ("M_IN_IPT_WINDOW", C, "PA", "IPT-M_IN_IPT_WINDOW", "2026-03-05 08:00:00", "2026-03-12 10:00:00", 7,
         "J18.9", "肺炎", None, "D01", "DR01", "5678.90"),
        ("M_OUT_PREV_ENDED_EARLIER", C, "PA", None, "2026-01-20 08:00:00", "2026-01-29 23:59:59", 9,
         "J18.9", "肺炎", None, "D01", "DR01", "100.00"),
    ],
    "drug_inv": [
        (C, X1, "2026-02-01", "10.00"),        # OUT: an older count than the opening one
        (C, X1, "2026-03-01", "120.00"),       # IN: opening count on W0's date
        (C, X1, "2026-03-20", "80.50"),        # IN: strictly between
        (C, X1, "2026-04-01", "70.00"),        # OUT: on W1's date (not strictly before)
        (C, X2, "2026-02-15", "5.00"),         # OUT
        (C, X2, "2026-02-20", "6.00"),         # IN: opening count before W0's date
        (C, X4, "2026-03-15", "9.00"),         # IN: between, drug without opening count
        (OTHER, X1, "2026-03-01", "1.00"),     # OUT: other institution
    ],
    "drug_purc": [
        ("PU_OUT_BEFORE_OPENING", C, X1, "供", "L1", "5.00", "1.0000", "2026-02-28 23:00:00", "0"),
        ("PU_IN_AT_OPENING", C, X1, "供", "L1", "5.00", "0.0001", "2026-03-01 00:00:00", "0"),
        ("PU_IN_X2_OPENING_DAY", C, X2, "供", "L2", "3.00", "2.0000", "2026-02-20 00:00:00", "0"),
        ("PU_OUT_X2_BEFORE", C, X2, "供", "L2", "3.00", "2.0000", "2026-02-19 23:59:59", "0"),
        ("PU_OUT_X3_BEFORE_W0", C, X3, "供", "L3", "1.00", "3.0000", "2026-02-28 12:00:00", "0"),
        ("PU_IN_X3", C, X3, "供", "L3", "1.00", "3.0000", "2026-03-02 12:00:00", "1"),
        ("PU_IN_BETWEEN_W1_AND_V", C, X1, "供", "L4", "7.00", "1.0000", "2026-04-02 09:00:00", "0"),
        ("PU_IN_AT_V", C, X1, "供", "L4", "1.00", "1.0000", "2026-04-03 10:00:00", "0"),
        ("PU_OUT_AFTER_V", C, X1, "供", "L4", "1.00", "1.0000", "2026-04-03 10:00:01", "0"),
        ("PU_OUT_OLD_X5", C, X5, "供", "L5", "1.00", "1.0000", "2025-01-01 10:00:00", "0"),
        ("PU_OUT_OTHER", OTHER, X9, "供", "L9", "1.00", "1.0000", "2026-03-05 10:00:00", "0"),
    ],
    "drug_sel": [
        ("SE_IN_X2", C, X2, "1.00", "2.5000", "2026-02-25 10:00:00", None, None, "0"),
        ("SE_IN_X3_W0", C, X3, "2.00", "4.0000", "2026-03-01 00:00:00", "M_IN_WINDOW", "TRAC1", "0"),
        ("SE_OUT_X3_BEFORE", C, X3, "2.00", "4.0000", "2026-02-28 23:59:59", None, None, "0"),
        ("SE_IN_X1_V", C, X1, "1.00", "0.0001", "2026-04-03 10:00:00", None, None, "1"),
        ("SE_OUT_X1_AFTER_V", C, X1, "1.00", "1.0000", "2026-04-03 10:00:01", None, None, "0"),
        ("SE_OUT_OTHER", OTHER, X1, "1.00", "1.0000", "2026-03-05 10:00:00", None, None, "0"),
    ],
}

# The primary keys the slice must hold, per table.
EXPECTED: dict[str, set] = {
    "fixmedins": {(C,)},
    "wards": {(C, "W01"), (C, "W02")},
    "psn_info": {("PA",), ("PB",), ("PC",), ("PD",), ("PE",), ("PF",), ("PG",)},
    "med_list": {(X1,), (X2,), (X3,), (X4,), (X6,), (C1,)},
    "mdtrt": {(r[0],) for r in TABLES["mdtrt"] if r[0].startswith("M_IN")},
    "leave_rec": {("L_IN",)},
    "setl": {("S_IN_BIG",), ("S_IN_PREV_ANY_DATE",)},
    "feedetl": {(r[0],) for r in TABLES["feedetl"] if r[0].startswith("F_IN")},
    "medrcd": {("M_IN_IPT_WINDOW",)},
    "drug_inv": {(C, X1, "2026-03-01"), (C, X1, "2026-03-20"), (C, X2, "2026-02-20"), (C, X4, "2026-03-15")},
    "drug_purc": {(r[0],) for r in TABLES["drug_purc"] if r[0].startswith("PU_IN")},
    "drug_sel": {(r[0],) for r in TABLES["drug_sel"] if r[0].startswith("SE_IN")},
}
