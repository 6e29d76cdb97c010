"""Readable hand-built snapshots for the census, findings and event-log tests."""
from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal

from inspector.checks.census import certno_check_char
from inspector.snapshot import NewInspection, TableFeed, write_snapshot

SALT = "s3cr3t-salt"
CODE = "H61010000001"
DRUG = "X" + "0" * 22


def cents(amount: str) -> int:
    return int(Decimal(amount) * 100)


def id_number(first17: str) -> str:
    """A well-formed ID number: the 17 digits and their check character."""
    return first17 + certno_check_char(first17)


def certno_hash(certno: str) -> str:
    return hashlib.sha256((SALT + certno.strip().upper()).encode()).hexdigest()


class Hospital:
    """Collects contract rows in schema column order; `write(engine)` makes one inspection."""

    def __init__(self, *, visit_time: str = "2026-11-02 10:00:00", hosp_lv: str = "2", beds: int = 100) -> None:
        self.visit_time = visit_time
        self.fix = [(CODE, "测试医院", "1", hosp_lv, "610100", beds, "addr", "A", "active")]
        self.wards: list[tuple] = []
        self.psn: list[tuple] = []
        self.mdtrt: list[tuple] = []
        self.leave: list[tuple] = []
        self.fees: list[tuple] = []
        self.med_list = [(DRUG, "阿莫西林胶囊", "101", "0.25g", "粒", "01", 1, None, None)]
        self.extra: dict[str, list[tuple]] = {}   # more tables' rows, in contract column order

    def ward(self, code: str, beds: int = 40, name: str | None = None) -> "Hospital":
        self.wards.append((CODE, code, name or f"病区{code}", "D1", "内科", beds))
        return self

    def patient(self, psn_no: str, name: str = "张三", certno: str | None = None) -> "Hospital":
        certno = certno or id_number("61010219700101" + f"{len(self.psn):03d}")
        brdy = f"{certno[6:10]}-{certno[10:12]}-{certno[12:14]}"  # the birth date inside the number
        self.psn.append((psn_no, name, "1", brdy, certno[:6] + "********" + certno[-4:], certno_hash(certno), "310"))
        return self

    def stay(self, mdtrt_id: str, psn_no: str, begin: str, end: str | None = None, *, ward: str = "W1",
             bed: str = "1", med_type: str = "21") -> "Hospital":
        if not any(p[0] == psn_no for p in self.psn):
            self.patient(psn_no, f"病人{psn_no}")
        self.mdtrt.append((mdtrt_id, CODE, psn_no, med_type, "IPT" + mdtrt_id, begin, end, ward, bed,
                           "J18.9", "肺炎", "D1", "李医生", "DEP1"))
        return self

    def leave_rec(self, mdtrt_id: str, begin: str, end: str) -> "Hospital":
        self.leave.append((f"L{len(self.leave) + 1}", mdtrt_id, begin, end, "事假"))
        return self

    def fee(self, mdtrt_id: str, when: str, amount: str) -> "Hospital":
        psn = next(m[2] for m in self.mdtrt if m[0] == mdtrt_id)
        c = cents(amount)
        self.fees.append((f"F{len(self.fees) + 1}", mdtrt_id, CODE, psn, when, DRUG, "09", 100, c * 100, c, None, None))
        return self

    def write(self, engine) -> int:
        meta = {"schema_version": "1", "extract_id": "EX-1", "created_at": "2026-11-01 08:00:00",
                "certno_salt": SALT, "admdvs": "610100"}
        feeds = {"fixmedins": TableFeed(None, [self.fix]), "wards": TableFeed(None, [self.wards]),
                 "psn_info": TableFeed(None, [self.psn]), "med_list": TableFeed(None, [self.med_list]),
                 "mdtrt": TableFeed(None, [self.mdtrt]), "leave_rec": TableFeed(None, [self.leave]),
                 "feedetl": TableFeed(None, [self.fees])}
        feeds.update({table: TableFeed(None, [rows]) for table, rows in self.extra.items()})
        v = datetime.strptime(self.visit_time, "%Y-%m-%d %H:%M:%S")
        new = NewInspection(CODE, date(2026, 8, 1), date(2026, 10, 31), v)
        return write_snapshot(engine, new, source_kind="central", source="test", extract_meta=meta,
                              feeds=feeds).inspection_id
