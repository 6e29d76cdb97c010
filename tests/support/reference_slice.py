"""The contract's slice computed the plain way: whole tables into Python, rules as written.

Only for small centrals in tests; an independent check of the SQL in inspector/sync/slice.py.
"""
from __future__ import annotations

import sqlite3
from datetime import date, datetime, time, timedelta
from pathlib import Path

FMT = "%Y-%m-%d %H:%M:%S"


def _t(text: str | None) -> datetime | None:
    return None if text is None else datetime.strptime(text, FMT)


def _d(text: str) -> date:
    return datetime.strptime(text, "%Y-%m-%d").date()


def reference_slice(path: Path, c: str, d0: date, d1: date, v: datetime) -> dict[str, set[tuple]]:
    """Primary keys of every slice table, by the rules of CONTRACT.md."""
    con = sqlite3.connect(path)
    w0 = datetime.combine(d0, time())
    w1 = datetime.combine(d1 + timedelta(days=1), time())
    visits_all = {r[0]: (r[1], r[2], r[3], _t(r[4]), _t(r[5])) for r in
                  con.execute("SELECT mdtrt_id, fixmedins_code, psn_no, med_type, begntime, endtime FROM mdtrt")}
    in_window = {m for m, (inst, _, _, b, e) in visits_all.items() if inst == c and b < w1 and (e is None or e >= w0)}
    admitted = {m for m, (inst, _, typ, b, e) in visits_all.items()
                if inst == c and typ == "21" and b <= v and (e is None or e > v)}
    inpatient_persons = {visits_all[m][1] for m in in_window | admitted if visits_all[m][2] == "21"}
    previous = {m for m, (inst, psn, typ, _, e) in visits_all.items()
                if inst == c and typ == "21" and e is not None and w0 - timedelta(days=30) <= e < w0
                and psn in inpatient_persons}
    visits = in_window | admitted | previous
    persons = {visits_all[m][1] for m in visits}

    def by_visit(table: str, key: str) -> set[tuple]:
        return {(r[0],) for r in con.execute(f"SELECT {key}, mdtrt_id FROM {table}") if r[1] in visits}

    out: dict[str, set[tuple]] = {
        "fixmedins": {(r[0],) for r in con.execute("SELECT fixmedins_code FROM fixmedins") if r[0] == c},
        "wards": {tuple(r) for r in con.execute("SELECT fixmedins_code, ward_codg FROM wards") if r[0] == c},
        "psn_info": {(r[0],) for r in con.execute("SELECT psn_no FROM psn_info") if r[0] in persons},
        "mdtrt": {(m,) for m in visits},
        "leave_rec": by_visit("leave_rec", "leave_id"),
        "setl": by_visit("setl", "setl_id"),
        "feedetl": by_visit("feedetl", "feedetl_sn"),
        "medrcd": by_visit("medrcd", "mdtrt_id"),
    }
    inv = [(r[0], r[1], _d(r[2])) for r in con.execute("SELECT fixmedins_code, med_list_codg, invdate FROM drug_inv")]
    opening: dict[str, date] = {}
    for inst, drug, day in inv:
        if inst == c and day <= d0 and (drug not in opening or day > opening[drug]):
            opening[drug] = day
    d1_next = d1 + timedelta(days=1)
    out["drug_inv"] = {(inst, drug, day.isoformat()) for inst, drug, day in inv
                       if inst == c and (opening.get(drug) == day or d0 < day < d1_next)}

    def ledger(table: str, key: str, when: str) -> set[tuple]:
        rows = set()
        for k, inst, drug, t in con.execute(f"SELECT {key}, fixmedins_code, med_list_codg, {when} FROM {table}"):
            t = _t(t)
            start = datetime.combine(opening.get(drug, d0), time())
            if inst == c and t >= start and (t < w1 or t <= v):
                rows.add((k, drug))
        return rows

    purc = ledger("drug_purc", "purc_id", "purc_time")
    sel = ledger("drug_sel", "sel_id", "sel_retn_time")
    out["drug_purc"] = {(k,) for k, _ in purc}
    out["drug_sel"] = {(k,) for k, _ in sel}
    fee_codes = {r[1] for r in con.execute("SELECT feedetl_sn, med_list_codg FROM feedetl") if (r[0],) in out["feedetl"]}
    codes = fee_codes | {k[1] for k in out["drug_inv"]} | {d for _, d in purc} | {d for _, d in sel}
    out["med_list"] = {(r[0],) for r in con.execute("SELECT med_list_codg FROM med_list") if r[0] in codes}
    con.close()
    return out
