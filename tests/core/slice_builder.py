"""Hand-built snapshots for screening tests: readable rows (decimal text, times) in, scaled rows out."""
from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from inspector.coltypes import to_scaled
from inspector.db import open_store
from inspector.screening import run_screening
from inspector.snapshot import NewInspection, TableFeed, contract_columns, write_snapshot

INST = "H61010000001"


class SliceBuilder:
    """Collects contract rows by column name; `write` turns them into one snapshot."""

    def __init__(self, beds: int = 10, code: str = INST) -> None:
        self.code = code
        self.beds = beds
        self.rows: dict[str, list[dict[str, Any]]] = {t: [] for t in (
            "psn_info", "med_list", "mdtrt", "feedetl", "medrcd", "drug_inv", "drug_purc", "drug_sel")}
        self._items: set[str] = set()
        self._persons: set[str] = set()
        self._stay_psn: dict[str, str] = {}
        self._n = 0

    # catalogue and people ----------------------------------------------------------------
    def item(self, code: str, *, ceiling: str | None = None, limit: str | None = None, list_type: str = "201") -> None:
        self._items.add(code)
        self.rows["med_list"].append({
            "med_list_codg": code, "item_name": f"item {code}", "list_type": list_type, "spec": None, "unit": "u",
            "chrgitm_lv": "01", "essential_flag": 0,
            "pric_uplmt_amt": None if ceiling is None else to_scaled(ceiling, 4),
            "daily_cnt_limit": None if limit is None else to_scaled(limit, 2)})

    def _ensure_item(self, code: str) -> None:
        if code not in self._items:
            self.item(code, list_type="101" if code[0] in "XZ" else "201")

    def _ensure_person(self, psn: str) -> None:
        if psn not in self._persons:
            self._persons.add(psn)
            self.rows["psn_info"].append({"psn_no": psn, "psn_name": f"name {psn}", "gend": "1", "brdy": "1960-01-01",
                                          "certno_mask": "610102********0000", "certno_hash": "0" * 64,
                                          "insutype": "310"})

    # visits and fees ---------------------------------------------------------------------
    def stay(self, mdtrt_id: str, begin: str, end: str | None = None, *, psn: str = "P1", med_type: str = "21",
             diag: str | None = None, code: str | None = None) -> None:
        self._ensure_person(psn)
        self._stay_psn[mdtrt_id] = psn
        self.rows["mdtrt"].append({
            "mdtrt_id": mdtrt_id, "fixmedins_code": code or self.code, "psn_no": psn, "med_type": med_type,
            "ipt_no": None, "begntime": begin, "endtime": end, "ward_codg": None, "adm_bed": None,
            "adm_diag_codg": diag, "adm_diag_name": None, "atddr_codg": None, "atddr_name": None, "dept_codg": None})

    def fee(self, mdtrt_id: str, time: str, cnt: str = "1", pric: str = "10", *, item: str = "S001",
            type: str = "05", sn: str | None = None, amount: str | None = None) -> str:
        """One fee line; its amount defaults to cnt x pric rounded half-up to cents (the contract)."""
        self._ensure_item(item)
        self._n += 1
        sn = sn or f"F{self._n:05d}"
        amt = Decimal(amount) if amount is not None else (Decimal(cnt) * Decimal(pric)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP)
        self.rows["feedetl"].append({
            "feedetl_sn": sn, "mdtrt_id": mdtrt_id, "fixmedins_code": self.code, "psn_no": self._stay_psn[mdtrt_id],
            "fee_ocur_time": time, "med_list_codg": item, "med_chrgitm_type": type, "cnt": to_scaled(cnt, 2),
            "pric": to_scaled(pric, 4), "det_item_fee_sumamt": to_scaled(amt, 2), "bilg_dr_codg": None,
            "bilg_dept_codg": None})
        return sn

    def medrcd(self, mdtrt_id: str, diag: str, adm: str = "2026-01-01 00:00:00", dscg: str = "2026-01-02 00:00:00") -> None:
        self.rows["medrcd"].append({
            "mdtrt_id": mdtrt_id, "fixmedins_code": self.code, "psn_no": self._stay_psn[mdtrt_id], "ipt_no": None,
            "adm_time": adm, "dscg_time": dscg, "ipt_days": 1, "dscg_maindiag_codg": diag, "dscg_maindiag_name": "dx",
            "oprn_codg": None, "dept_codg": None, "atddr_codg": None, "medfee_sumamt": 0})

    # drug ledgers ------------------------------------------------------------------------
    def inv(self, drug: str, day: str, cnt: str) -> None:
        self._ensure_item(drug)
        self.rows["drug_inv"].append({"fixmedins_code": self.code, "med_list_codg": drug, "invdate": day,
                                      "inv_cnt": to_scaled(cnt, 2)})

    def purc(self, drug: str, time: str, cnt: str, pric: str = "1", *, retn: bool = False) -> None:
        self._ensure_item(drug)
        self._n += 1
        self.rows["drug_purc"].append({
            "purc_id": f"PU{self._n:05d}", "fixmedins_code": self.code, "med_list_codg": drug, "spler_name": None,
            "manu_lotnum": None, "purc_cnt": to_scaled(cnt, 2), "purc_pric": to_scaled(pric, 4), "purc_time": time,
            "retn_flag": "1" if retn else "0"})

    def sel(self, drug: str, time: str, cnt: str, pric: str = "1", *, retn: bool = False) -> None:
        self._ensure_item(drug)
        self._n += 1
        self.rows["drug_sel"].append({
            "sel_id": f"SE{self._n:05d}", "fixmedins_code": self.code, "med_list_codg": drug,
            "sel_retn_cnt": to_scaled(cnt, 2), "pric": to_scaled(pric, 4), "sel_retn_time": time, "mdtrt_id": None,
            "drug_trac_codg": None, "retn_flag": "1" if retn else "0"})

    # writing -----------------------------------------------------------------------------
    def feeds(self) -> dict[str, TableFeed]:
        fix = {"fixmedins_code": self.code, "fixmedins_name": "测试医院", "fixmedins_type": "1", "hosp_lv": "2",
               "admdvs": "610100", "aprv_bed_cnt": self.beds, "addr": None, "credit_grade": None,
               "contract_status": "active"}
        tables = dict(self.rows, fixmedins=[fix])
        out = {}
        for table, rows in tables.items():
            cols = contract_columns(table)
            out[table] = TableFeed(len(rows), [[tuple(r[c] for c in cols) for r in rows]])
        return out

    def write(self, engine, date_from: str = "2026-10-01", date_to: str = "2026-10-31",
              visit_time: str = "2026-11-02 10:00:00", settings: dict[str, Any] | None = None) -> int:
        """A new inspection with this slice as its snapshot; returns the inspection id."""
        from inspector.settings import default_settings

        s = default_settings()
        s.update(settings or {})
        target = NewInspection(self.code, date.fromisoformat(date_from), date.fromisoformat(date_to),
                               datetime.strptime(visit_time, "%Y-%m-%d %H:%M:%S"), [], s)
        meta = {"schema_version": "1", "extract_id": "EX-T", "created_at": "2026-11-01 08:00:00",
                "certno_salt": "salt", "admdvs": "610100"}
        return write_snapshot(engine, target, source_kind="central", source="test", extract_meta=meta,
                              feeds=self.feeds()).inspection_id


def screen(tmp_path, builder: SliceBuilder, rule: str, **write_kw):
    """Write the slice into a fresh store, run one rule; {tuple(key): LeadResult}."""
    engine = open_store(tmp_path / f"{rule}.db")
    iid = builder.write(engine, **write_kw)
    result = run_screening(engine, iid, rules=[rule])
    engine.dispose()
    return {tuple(lead.key): lead for lead in result.leads}
