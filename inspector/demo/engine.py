"""The row factory: persons, visits, fee lines, settlements and drug sales, batched into SQLite.

Every amount is integer arithmetic (cents, 1/10000 yuan, 1/100 units) and written as text,
so each `det_item_fee_sumamt` is exactly `cnt * pric` rounded half-up. The generator also
keeps small running tallies the planted cases and the manifest need (bed days per
institution and day, drug sales per day, window sales amounts).
"""
from __future__ import annotations

import hashlib
import sqlite3
from datetime import timedelta
from collections import defaultdict
from random import Random

from inspector.demo.catalogue import GIVEN_FEMALE, GIVEN_MALE, ID_AREAS, SURNAMES, Item
from inspector.demo.clock import DAY, DAYSTR, EPOCH, ts
from inspector.demo.layout import Institution
from inspector.demo.money import f2, f4, q2
from inspector.progress import Progress

# Column order of every contract table, as in schema.sql (checked against the DDL at start).
COLUMNS: dict[str, tuple[str, ...]] = {
    "extract_meta": ("key", "value"),
    "fixmedins": ("fixmedins_code", "fixmedins_name", "fixmedins_type", "hosp_lv", "admdvs", "aprv_bed_cnt",
                  "addr", "credit_grade", "contract_status"),
    "wards": ("fixmedins_code", "ward_codg", "ward_name", "dept_codg", "dept_name", "aprv_bed_cnt"),
    "psn_info": ("psn_no", "psn_name", "gend", "brdy", "certno_mask", "certno_hash", "insutype"),
    "med_list": ("med_list_codg", "item_name", "list_type", "spec", "unit", "chrgitm_lv", "essential_flag",
                 "pric_uplmt_amt", "daily_cnt_limit"),
    "mdtrt": ("mdtrt_id", "fixmedins_code", "psn_no", "med_type", "ipt_no", "begntime", "endtime", "ward_codg",
              "adm_bed", "adm_diag_codg", "adm_diag_name", "atddr_codg", "atddr_name", "dept_codg"),
    "leave_rec": ("leave_id", "mdtrt_id", "begntime", "endtime", "reason"),
    "setl": ("setl_id", "mdtrt_id", "fixmedins_code", "psn_no", "setl_time", "medfee_sumamt", "hifp_pay",
             "acct_pay", "psn_cash_pay", "fulamt_ownpay_amt"),
    "feedetl": ("feedetl_sn", "mdtrt_id", "fixmedins_code", "psn_no", "fee_ocur_time", "med_list_codg",
                "med_chrgitm_type", "cnt", "pric", "det_item_fee_sumamt", "bilg_dr_codg", "bilg_dept_codg"),
    "medrcd": ("mdtrt_id", "fixmedins_code", "psn_no", "ipt_no", "adm_time", "dscg_time", "ipt_days",
               "dscg_maindiag_codg", "dscg_maindiag_name", "oprn_codg", "dept_codg", "atddr_codg", "medfee_sumamt"),
    "drug_inv": ("fixmedins_code", "med_list_codg", "invdate", "inv_cnt"),
    "drug_purc": ("purc_id", "fixmedins_code", "med_list_codg", "spler_name", "manu_lotnum", "purc_cnt",
                  "purc_pric", "purc_time", "retn_flag"),
    "drug_sel": ("sel_id", "fixmedins_code", "med_list_codg", "sel_retn_cnt", "pric", "sel_retn_time", "mdtrt_id",
                 "drug_trac_codg", "retn_flag"),
    "insp_upload": ("upload_id", "fixmedins_code", "insp_id", "uploaded_at", "uploaded_by", "report_sha256",
                    "report_pdf", "findings_json"),
}

_ISO_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ISO_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of a resident ID number."""
    return _ISO_CHECK[sum(int(c) * w for c, w in zip(first17, _ISO_WEIGHTS)) % 11]


def certno_hash(salt: str, certno: str) -> str:
    """The contract's identity hash: sha256(salt + certno.strip().upper()), lowercase hex."""
    return hashlib.sha256((salt + certno.strip().upper()).encode("utf-8")).hexdigest()


class Writer:
    """Buffers rows per table and hands them to sqlite3 `executemany` in batches."""

    def __init__(self, conn: sqlite3.Connection, batch: int = 20000) -> None:
        self.conn = conn
        self.batch = batch
        self.buffers: dict[str, list[tuple]] = {t: [] for t in COLUMNS}
        self.counts: dict[str, int] = {t: 0 for t in COLUMNS}
        self.sql = {t: f"INSERT INTO {t} ({', '.join(c)}) VALUES ({', '.join('?' * len(c))})"
                    for t, c in COLUMNS.items()}

    def add(self, table: str, row: tuple) -> None:
        """Queue one row of `table`; writes a batch when the buffer is full."""
        buf = self.buffers[table]
        buf.append(row)
        if len(buf) >= self.batch:
            self.flush(table)

    def appender(self, table: str):
        """A fast `add` bound to one table."""
        buf = self.buffers[table]
        append = buf.append
        batch = self.batch

        def add(row: tuple) -> None:
            append(row)
            if len(buf) >= batch:
                self.flush(table)
        return add

    def flush(self, table: str) -> None:
        """Write the buffered rows of `table`."""
        buf = self.buffers[table]
        if buf:
            self.conn.executemany(self.sql[table], buf)
            self.counts[table] += len(buf)
            buf.clear()

    def flush_all(self) -> None:
        """Write every buffered row."""
        for t in COLUMNS:
            self.flush(t)


class Person:
    """An insured person; `certno` never reaches the database."""

    __slots__ = ("psn_no", "name", "gend", "brdy", "certno", "insutype")

    def __init__(self, psn_no: str, name: str, gend: str, brdy: str, certno: str, insutype: str) -> None:
        self.psn_no, self.name, self.gend, self.brdy, self.certno, self.insutype = psn_no, name, gend, brdy, certno, insutype


class Visit:
    """One `mdtrt` row being filled with fee lines; totals are kept in cents."""

    __slots__ = ("mdtrt_id", "inst", "psn", "med_type", "begin", "end", "ward", "bed", "diag", "dept", "dr",
                 "ipt_no", "total", "ownpay", "bed_days", "lines", "dscg_diag", "oprn", "keep")

    def __init__(self) -> None:
        self.total = 0
        self.ownpay = 0
        self.bed_days: dict[int, list[int]] = {}
        self.lines: list[tuple] | None = None
        self.dscg_diag: tuple[str, str] | None = None
        self.oprn: str | None = None


class Generator:
    """Shared state of one build: writer, catalogue, id counters and the running tallies."""

    def __init__(self, writer: Writer, catalogue: list[Item], salt: str, window: tuple[int, int],
                 progress: Progress | None = None) -> None:
        self.w = writer
        self.items = {i.code: i for i in catalogue}
        self.item_index = {i.code: n for n, i in enumerate(catalogue)}
        self.salt = salt
        self.w0, self.w1 = window  # seconds, half-open
        self.progress = progress
        self.n_psn = self.n_fee = self.n_setl = self.n_sel = self.n_leave = self.n_trace = 0
        self.n_visit: dict[str, int] = defaultdict(int)
        self.n_ipt: dict[str, int] = defaultdict(int)
        # (inst, day) -> [visits with a positive bed quantity, their bed-fee cents]
        self.bed_census: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
        # (inst, drug) -> day -> [sold, returned] in 1/100 units
        self.sales: dict[tuple[str, str], dict[int, list[int]]] = defaultdict(dict)
        # (inst, drug) -> sales amount in the window (1e-6 yuan) and a sale price seen
        self.window_sales: dict[tuple[str, str], int] = defaultdict(int)
        self.sale_price: dict[tuple[str, str], int] = {}
        self.traced: dict[str, float] = {}  # inst -> share of sales carrying a trace code
        self._prices: dict[str, dict[str, int]] = {}
        self._add_fee = writer.appender("feedetl")
        self._add_sel = writer.appender("drug_sel")
        self._catalogue = catalogue

    def register(self, inst: Institution) -> None:
        """Precompute an institution's prices."""
        self._prices[inst.code] = {i.code: self.price(inst, i) for i in self._catalogue}

    # persons ------------------------------------------------------------------------
    def new_person(self, rng: Random, age: tuple[int, int], today: int, gend: str | None = None) -> Person:
        """A new insured person with a valid 18-character ID number; writes `psn_info`."""
        self.n_psn += 1
        gend = gend or ("1" if rng.random() < 0.5 else "2")
        given = GIVEN_MALE if gend == "1" else GIVEN_FEMALE
        name = rng.choice(SURNAMES) + rng.choice(given) + (rng.choice(given) if rng.random() < 0.7 else "")
        birth_day = today - rng.randint(age[0] * 365, age[1] * 365 + 364)
        brdy = (EPOCH.date() + timedelta(days=birth_day)).isoformat()
        seq = rng.randrange(0, 500) * 2 + (1 if gend == "1" else 0)
        first17 = rng.choice(ID_AREAS) + brdy.replace("-", "") + f"{seq:03d}"
        certno = first17 + id_check_digit(first17)
        psn_no = f"6101{self.n_psn:012d}"
        insutype = "310" if rng.random() < 0.55 else "390"
        mask = certno[:6] + "********" + certno[-4:]
        self.w.add("psn_info", (psn_no, name, gend, brdy, mask, certno_hash(self.salt, certno), insutype))
        return Person(psn_no, name, gend, brdy, certno, insutype)

    # visits -------------------------------------------------------------------------
    def open_visit(self, inst: Institution, psn: Person, med_type: str, begin: int, end: int | None, *,
                   ward: str | None = None, bed: str | None = None, diag: tuple[str, str] | None = None,
                   dept: str | None = None, dr: tuple[str, str] | None = None, keep: bool = False) -> Visit:
        """Start a visit and write its `mdtrt` row (`end` None: still admitted)."""
        v = Visit()
        self.n_visit[inst.code] += 1
        day = begin // DAY
        v.mdtrt_id = f"{inst.code[1:]}{DAYSTR[day][2:4]}{self.n_visit[inst.code]:08d}"
        v.inst, v.psn, v.med_type, v.begin, v.end = inst, psn, med_type, begin, end
        v.ward, v.bed, v.diag, v.dept, v.dr = ward, bed, diag, dept, dr
        v.keep = keep
        if keep:
            v.lines = []
        if med_type == "21":
            self.n_ipt[inst.code] += 1
            v.ipt_no = f"ZY{DAYSTR[day][:4]}{self.n_ipt[inst.code]:06d}"
        else:
            v.ipt_no = None
        self.w.add("mdtrt", (
            v.mdtrt_id, inst.code, psn.psn_no, med_type, v.ipt_no, ts(begin), None if end is None else ts(end),
            ward, bed, diag[0] if diag else None, diag[1] if diag else None,
            dr[0] if dr else None, dr[1] if dr else None, dept))
        return v

    def fee(self, v: Visit, sec: int, item: Item, cnt: int, pric: int | None = None, trace: str | None = None) -> str:
        """Write one fee line (and its drug sale); returns feedetl_sn."""
        inst = v.inst
        if pric is None:
            pric = self._prices[inst.code][item.code]
        v_ = cnt * pric  # money.line_cents, inlined: this runs for every line
        cents = (v_ + 5000) // 10000 if v_ >= 0 else -((5000 - v_) // 10000)
        self.n_fee += 1
        sn = f"FD{self.n_fee:011d}"
        self._add_fee((sn, v.mdtrt_id, inst.code, v.psn.psn_no, ts(sec), item.code, item.chrgitm_type,
                       q2(cnt), f4(pric), f2(cents), v.dr[0] if v.dr else None, v.dept))
        v.total += cents
        if item.chrgitm_lv == "03":
            v.ownpay += cents
        if item.chrgitm_type == "01":
            bd = v.bed_days.get(sec // DAY)
            if bd is None:
                v.bed_days[sec // DAY] = [cnt, cents]
            else:
                bd[0] += cnt
                bd[1] += cents
        if item.list_type == "101":
            self.sale(inst, item, cnt, pric, sec, v.mdtrt_id, trace)
        if v.lines is not None:
            v.lines.append((sn, sec, item.code, item.chrgitm_type, cnt, pric, cents))
        return sn

    def price(self, inst: Institution, item: Item) -> int:
        """The institution's unit price of an item (pharmacies add a margin below any ceiling)."""
        p = item.price[inst.tier_index]
        if inst.role == "pharmacy" and item.list_type == "101":
            p = item.ceiling if item.ceiling is not None else (p * 115 // 100) // 100 * 100
        return p

    def sale(self, inst: Institution, item: Item, cnt: int, pric: int, sec: int, mdtrt_id: str | None,
             trace: str | None = None) -> str:
        """Write a `drug_sel` row (negative `cnt`: a return from the patient)."""
        self.n_sel += 1
        sel_id = f"SE{self.n_sel:011d}"
        key = (inst.code, item.code)
        per_day = self.sales[key]
        day = sec // DAY
        if cnt >= 0:
            retn = "0"
            share = self.traced.get(inst.code, 0.8)
            if trace is None and (self.n_sel % 10) < share * 10:
                self.n_trace += 1
                trace = f"8{100000 + self.item_index[item.code]:06d}{self.n_trace:013d}"
            rec = per_day.get(day)
            if rec is None:
                per_day[day] = [cnt, 0]
            else:
                rec[0] += cnt
            if self.w0 <= sec < self.w1:
                self.window_sales[key] += cnt * pric
            self.sale_price.setdefault(key, pric)
        else:
            retn = "1"
            trace = None
            rec = per_day.get(day)
            if rec is None:
                per_day[day] = [0, -cnt]
            else:
                rec[1] -= cnt
        self._add_sel((sel_id, inst.code, item.code, q2(abs(cnt)), f4(pric), ts(sec), mdtrt_id, trace, retn))
        return sel_id

    def close_visit(self, v: Visit, setl_time: int | None) -> None:
        """Settle the visit (when `setl_time` is given), write its front page, count bed days."""
        inst = v.inst
        for day, (qty, cents) in v.bed_days.items():
            if qty > 0:
                rec = self.bed_census[(inst.code, day)]
                rec[0] += 1
                rec[1] += cents
        if setl_time is not None:
            total = v.total
            own = max(0, min(v.ownpay, total))
            eligible = total - own
            employee = v.psn.insutype == "310"
            if v.med_type == "21":
                rate = (85 if employee else 70) - (5 if inst.tier == "3" else 0)
            elif v.med_type in ("11", "14"):
                rate = (60 if v.med_type == "14" else 50) if inst.tier != "3" else 50
            else:
                rate = 0
            hifp = max(0, eligible * rate // 100)
            rest = total - hifp
            if employee:
                acct = rest if v.med_type in ("11", "14", "41") else rest * 3 // 10
            else:
                acct = 0
            cash = rest - acct
            self.n_setl += 1
            self.w.add("setl", (f"ST{self.n_setl:011d}", v.mdtrt_id, inst.code, v.psn.psn_no, ts(setl_time),
                                f2(total), f2(hifp), f2(acct), f2(cash), f2(own)))
        if v.med_type == "21" and v.end is not None:
            dscg = v.dscg_diag or v.diag
            self.w.add("medrcd", (
                v.mdtrt_id, inst.code, v.psn.psn_no, v.ipt_no, ts(v.begin), ts(v.end),
                max(1, v.end // DAY - v.begin // DAY), dscg[0], dscg[1], v.oprn, v.dept,
                v.dr[0] if v.dr else None, f2(v.total)))

    def leave(self, v: Visit, begin: int, end: int, reason: str) -> str:
        """Write an approved leave of an inpatient."""
        self.n_leave += 1
        leave_id = f"LV{self.n_leave:08d}"
        self.w.add("leave_rec", (leave_id, v.mdtrt_id, ts(begin), ts(end), reason))
        return leave_id
