"""Readable hand-built snapshots for tests: name the columns, the helper orders and scales them."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from inspector.coltypes import to_scaled
from inspector.snapshot import NewInspection, TableFeed, contract_columns, write_snapshot

INST = "H61010000001"
SCALES = {  # contract column -> decimal places stored (scaled integers)
    "cnt": 2, "pric": 4, "det_item_fee_sumamt": 2, "inv_cnt": 2, "purc_cnt": 2, "purc_pric": 4,
    "sel_retn_cnt": 2, "medfee_sumamt": 2, "pric_uplmt_amt": 4, "daily_cnt_limit": 2,
}


def xcode(n: int) -> str:
    """A western-drug code of the contract's length ('X' + 22)."""
    return "X" + str(n).zfill(22)


def zcode(n: int) -> str:
    """A Chinese-patent-drug code of the contract's length ('Z' + 19)."""
    return "Z" + str(n).zfill(19)


class Slice:
    """Rows of one institution's slice, added by keyword, written with `write`."""

    def __init__(self, inst: str = INST) -> None:
        self.inst = inst
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self._n = 0
        self.add("fixmedins", fixmedins_code=inst, fixmedins_name="测试医院", fixmedins_type="1", hosp_lv="2",
                 admdvs="610100", aprv_bed_cnt=10, addr="addr", credit_grade="A", contract_status="active")

    def add(self, table: str, **values: Any) -> dict[str, Any]:
        self.rows.setdefault(table, []).append(values)
        return values

    def _id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n:05d}"

    def drug(self, code: str, name: str | None = None, lv: str = "01", unit: str = "盒") -> str:
        self.add("med_list", med_list_codg=code, item_name=name or f"药品{code[-3:]}", list_type="101", spec="10mg",
                 unit=unit, chrgitm_lv=lv, essential_flag=0, pric_uplmt_amt=None, daily_cnt_limit=None)
        return code

    def inv(self, code: str, invdate: str, qty: str) -> None:
        self.add("drug_inv", fixmedins_code=self.inst, med_list_codg=code, invdate=invdate, inv_cnt=qty)

    def purc(self, code: str, time: str, qty: str, price: str = "1", retn: bool = False) -> None:
        self.add("drug_purc", purc_id=self._id("PU"), fixmedins_code=self.inst, med_list_codg=code, spler_name="供应商",
                 manu_lotnum="L1", purc_cnt=qty, purc_pric=price, purc_time=time, retn_flag="1" if retn else "0")

    def sale(self, code: str, time: str, qty: str, price: str = "1", retn: bool = False, trac: str | None = None) -> None:
        self.add("drug_sel", sel_id=self._id("SE"), fixmedins_code=self.inst, med_list_codg=code, sel_retn_cnt=qty,
                 pric=price, sel_retn_time=time, mdtrt_id=None, drug_trac_codg=trac, retn_flag="1" if retn else "0")

    def record(self, mdtrt_id: str, dscg_time: str, dept: str | None = "D01", inst: str | None = None,
               fee: str = "1000.00") -> None:
        self.add("medrcd", mdtrt_id=mdtrt_id, fixmedins_code=inst or self.inst, psn_no="P" + mdtrt_id,
                 ipt_no=None, adm_time="2026-07-01 08:00:00", dscg_time=dscg_time, ipt_days=5,
                 dscg_maindiag_codg="J18.9", dscg_maindiag_name="肺炎", oprn_codg=None, dept_codg=dept,
                 atddr_codg=None, medfee_sumamt=fee)

    def feeds(self) -> dict[str, TableFeed]:
        out = {}
        for table, rows in self.rows.items():
            cols = contract_columns(table)
            tuples = [tuple(_scale(c, r.get(c)) for c in cols) for r in rows]
            out[table] = TableFeed(len(tuples), [tuples])
        return out

    def write(self, engine: Engine, date_from: date = date(2026, 8, 1), date_to: date = date(2026, 10, 31),
              visit: datetime = datetime(2026, 11, 2, 10, 0, 0), settings: dict[str, Any] | None = None) -> int:
        """Write a new inspection with this slice; returns its id."""
        meta = {"schema_version": "1", "extract_id": "EX-T", "created_at": "2026-11-01 08:00:00",
                "certno_salt": "salt", "admdvs": "610100"}
        target = NewInspection(self.inst, date_from, date_to, visit, settings=settings)
        return write_snapshot(engine, target, source_kind="central", source="test", extract_meta=meta,
                              feeds=self.feeds()).inspection_id


def _scale(col: str, value: Any) -> Any:
    if value is None or col not in SCALES:
        return value
    return to_scaled(Decimal(str(value)), SCALES[col])
