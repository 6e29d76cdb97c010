"""Builds the demo central database: the contract schema on SQLite, filled with a region.

`build_demo_central` runs `resources/central/schema.sql` unchanged, then writes six
institutions (a 3rd-tier hospital as the main target, a 2nd- and a 1st-tier hospital, a
clinic, two retail pharmacies), their patients, fees, settlements, front pages, leave
records and drug ledgers, with the screening cases of `planted.py`. Same seed and scale,
same rows.
"""
from __future__ import annotations

import sqlite3
import uuid
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from random import Random

from inspector.demo.background import LEAVE_REASONS, StayMaker, outpatients
from inspector.demo.catalogue import build_catalogue
from inspector.demo.clock import DAY, at, day_of, sec_of, ts
from inspector.demo.ddl import contract_ddl_parts
from inspector.demo.engine import COLUMNS, Generator, Writer
from inspector.demo.layout import REGION_ADMDVS, build_institutions
from inspector.demo.ledger import PurchaseWriter, simulate
from inspector.demo.manifest import DemoManifest
from inspector.demo.money import f4, round2
from inspector.demo.planted import Planter
from inspector.errors import UserError
from inspector.i18n import _
from inspector.progress import Progress

DEMO_DATE_FROM = date(2026, 7, 1)
DEMO_DATE_TO = date(2026, 9, 28)
DEMO_VISIT_TIME = datetime(2026, 10, 8, 10, 0, 0)
# The extract was taken the morning of the visit: nothing is recorded after this.
DEMO_CREATED_AT = datetime(2026, 10, 8, 8, 0, 0)
SCALES = ("small", "hospital")

_BACKGROUND_FROM = date(2026, 5, 28)   # first background admissions (some a few weeks earlier)
_LEDGER_FROM = date(2026, 5, 1)        # first stock count of every ledger
_OUTPATIENT_FROM = date(2026, 6, 15)


def _check_columns(conn: sqlite3.Connection) -> None:
    for table, cols in COLUMNS.items():
        actual = tuple(r[1] for r in conn.execute(f"PRAGMA table_info({table})"))
        if actual != cols:
            raise RuntimeError(f"contract table {table} has columns {actual}, generator writes {cols}")


def build_demo_central(out: Path, *, seed: int = 1, scale: str = "small", progress: Progress | None = None,
                       overwrite: bool = False) -> DemoManifest:
    """Write the demo central database to `out` (SQLite) and its manifest beside it."""
    out = Path(out)
    if scale not in SCALES:
        raise UserError(_("unknown scale '{scale}'; use one of: {choices}").format(scale=scale, choices=", ".join(SCALES)))
    if out.exists() and not overwrite:
        raise UserError(_("{path} already exists; it was not replaced").format(path=out))
    progress = progress or Progress()
    tmp = out.with_name(out.name + ".building")
    for p in (tmp, Path(str(tmp) + "-journal")):
        p.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp, isolation_level=None)
    try:
        manifest = _build(conn, seed, scale, progress)
        conn.close()
    except BaseException:
        conn.close()
        tmp.unlink(missing_ok=True)
        raise
    if out.exists():
        out.unlink()
    tmp.replace(out)
    manifest.database = str(out)
    Path(str(out) + ".manifest.json").write_text(manifest.to_json() + "\n", encoding="utf-8")
    return manifest


def _build(conn: sqlite3.Connection, seed: int, scale: str, progress: Progress) -> DemoManifest:
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-32000")
    tables_ddl, index_ddl = contract_ddl_parts()
    conn.executescript(tables_ddl)
    _check_columns(conn)
    conn.execute("BEGIN")

    meta_rng = Random(f"demo-central/{seed}/meta")
    salt = f"{meta_rng.getrandbits(128):032x}"
    extract_id = str(uuid.UUID(int=meta_rng.getrandbits(128), version=4))
    created_at = ts(sec_of(DEMO_CREATED_AT))
    w = Writer(conn)
    for key, value in (("schema_version", "1"), ("extract_id", extract_id), ("created_at", created_at),
                       ("certno_salt", salt), ("admdvs", REGION_ADMDVS), ("source", "demo"),
                       ("demo_seed", str(seed)), ("demo_scale", scale)):
        w.add("extract_meta", (key, value))

    institutions = build_institutions(scale)
    main = next(i for i in institutions if i.role == "main")
    pharmacy = next(i for i in institutions if i.role == "pharmacy")
    for inst in institutions:
        w.add("fixmedins", (inst.code, inst.name, inst.fixmedins_type, inst.tier, inst.admdvs, inst.aprv_bed_cnt,
                            inst.addr, inst.credit_grade, "active"))
        for ward in inst.wards:
            w.add("wards", (inst.code, ward.ward_codg, ward.ward_name, ward.dept.code, ward.dept.name, ward.beds))
    items = build_catalogue()
    for i in items:
        w.add("med_list", (i.code, i.name, i.list_type, i.spec, i.unit, i.chrgitm_lv, i.essential,
                           None if i.ceiling is None else f4(i.ceiling),
                           None if i.daily_limit is None else f"{i.daily_limit // 100}.{i.daily_limit % 100:02d}"))

    window = (sec_of(DEMO_DATE_FROM), sec_of(DEMO_DATE_TO) + DAY)
    cutoff = sec_of(DEMO_CREATED_AT)
    visit = sec_of(DEMO_VISIT_TIME)
    gen = Generator(w, items, salt, window, progress)
    for inst in institutions:
        gen.traced[inst.code] = 1.0 if inst.role == "pharmacy" else 0.7
        gen.register(inst)
    pool: list = []
    open_stays: dict[str, list] = {}
    stay_makers: dict[str, StayMaker] = {}
    steps = len(institutions) * 2 + 3
    step = 0

    def advance(label: str) -> None:
        nonlocal step
        progress.check()
        step += 1
        progress.set_progress(label, step, steps)

    for inst in institutions:
        rng = Random(f"demo-central/{seed}/{inst.code}/inpatients")
        maker = StayMaker(gen, items, inst, cutoff)
        stay_makers[inst.code] = maker
        open_stays[inst.code] = maker.background(rng, day_of(_BACKGROUND_FROM), inst.reserved_beds, progress,
                                                 _("wards of {code}").format(code=inst.code))
        advance(_("inpatients"))
        rng = Random(f"demo-central/{seed}/{inst.code}/outpatients")
        outpatients(gen, rng, items, inst, pool, day_of(_OUTPATIENT_FROM), cutoff // DAY, cutoff)
        advance(_("outpatients"))

    census = _leaves_and_census(gen, Random(f"demo-central/{seed}/leave"), open_stays, main, visit)

    planter = Planter(gen, Random(f"demo-central/{seed}/planted"), items, main, pharmacy,
                      stay_makers[main.code], pool, PurchaseWriter(gen))
    planter.build()
    planter.over_beds()
    advance(_("planted cases"))

    planted_drugs = {i.code for i in items if any(t.startswith(("s6_", "s7_", "p_s")) for t in i.tags)}
    auto_drugs = [i for i in items if i.list_type == "101" and i.code not in planted_drugs]
    for inst in institutions:
        simulate(gen, Random(f"demo-central/{seed}/{inst.code}/ledger"), planter.purchases, inst, auto_drugs,
                 day_of(_LEDGER_FROM), cutoff)
    advance(_("drug ledgers"))

    w.flush_all()
    progress.set_status(_("indexing"))
    conn.execute("COMMIT")
    conn.executescript(index_ddl)
    advance(_("indexes"))

    stock = dict(planter.stock)
    stock["top_drugs"] = {inst.code: _top_drugs(gen, inst.code, items) for inst in (main, pharmacy)}
    w0, w1 = ts(window[0]), ts(window[1])
    rows = conn.execute(
        "SELECT dept_codg, count(*) FROM medrcd WHERE fixmedins_code = ? AND dscg_time >= ? AND dscg_time < ? "
        "GROUP BY dept_codg ORDER BY dept_codg", (main.code, w0, w1)).fetchall()
    records = {"institution": main.code, "discharged_in_window": sum(n for _, n in rows),
               "by_department": {d: n for d, n in rows}}
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COLUMNS}
    counts["feedetl_in_window"] = conn.execute(
        "SELECT count(*) FROM feedetl WHERE fee_ocur_time >= ? AND fee_ocur_time < ?", (w0, w1)).fetchone()[0]
    return DemoManifest(
        seed=seed, scale=scale, database="", extract_id=extract_id, admdvs=REGION_ADMDVS, created_at=created_at,
        date_from=DEMO_DATE_FROM.isoformat(), date_to=DEMO_DATE_TO.isoformat(), visit_time=ts(visit),
        main_institution=main.code, pharmacy_institution=pharmacy.code,
        institutions=[{"code": i.code, "name": i.name, "role": i.role, "tier": i.tier, "aprv_bed_cnt": i.aprv_bed_cnt}
                      for i in institutions],
        planted=[asdict(c) for c in planter.cases], decoys=[asdict(d) for d in planter.decoys],
        census_ids=census.pop("ids"), census=census, stock=stock, records=records, row_counts=counts)


def _leaves_and_census(gen: Generator, rng: Random, open_stays: dict[str, list], main, visit: int) -> dict:
    """Leave records of inpatients still admitted at the visit; the main hospital's roster figures."""
    leave_covers: set[str] = set()
    # One patient on leave at the visit in every other ward (a few per cent of a big ward, so the
    # ward-level absence rule depends on what the inspectors find), one earlier leave per ward.
    for code, stays in open_stays.items():
        wards: dict[str, list] = {}
        for v in sorted(stays, key=lambda s: (s.ward, int(s.bed))):
            wards.setdefault(v.ward, []).append(v)
        for wi, (_ward, in_ward) in enumerate(sorted(wards.items())):
            if wi % 2 == 0 and len(in_ward) > 2 and in_ward[2].begin <= visit - 16 * 3600:
                v = in_ward[2]
                gen.leave(v, visit - 16 * 3600, visit + 8 * 3600, rng.choice(LEAVE_REASONS))
                leave_covers.add(v.mdtrt_id)
            if len(in_ward) > 3 and in_ward[3].begin <= at("2026-10-05 09:00:00"):
                gen.leave(in_ward[3], at("2026-10-05 09:00:00"), at("2026-10-05 17:00:00"), rng.choice(LEAVE_REASONS))
    roster = sorted(open_stays[main.code], key=lambda s: (s.ward, int(s.bed)))
    ids: list[dict] = []
    seen_wards: set[str] = set()
    for v in roster:
        if len(ids) >= 6:
            break
        if v.ward in seen_wards and not (v.mdtrt_id in leave_covers and not any(i["leave_covers_v"] for i in ids)):
            continue
        seen_wards.add(v.ward)
        ids.append({"mdtrt_id": v.mdtrt_id, "psn_no": v.psn.psn_no, "certno": v.psn.certno, "psn_name": v.psn.name,
                    "ward_codg": v.ward, "adm_bed": v.bed, "leave_covers_v": v.mdtrt_id in leave_covers})
    x_holder = next((v for v in roster if v.psn.certno.endswith("X")), None)
    if x_holder is not None and all(i["mdtrt_id"] != x_holder.mdtrt_id for i in ids):
        ids.append({"mdtrt_id": x_holder.mdtrt_id, "psn_no": x_holder.psn.psn_no, "certno": x_holder.psn.certno,
                    "psn_name": x_holder.psn.name, "ward_codg": x_holder.ward, "adm_bed": x_holder.bed,
                    "leave_covers_v": x_holder.mdtrt_id in leave_covers})
    by_ward: dict[str, int] = {}
    for v in roster:
        by_ward[v.ward] = by_ward.get(v.ward, 0) + 1
    return {"ids": ids, "institution": main.code, "registered": len(roster),
            "on_leave_at_visit": sum(1 for v in roster if v.mdtrt_id in leave_covers), "by_ward": by_ward}


def _top_drugs(gen: Generator, inst_code: str, items) -> list[dict]:
    names = {i.code: i.name for i in items}
    amounts = sorted(((-amt, code) for (ic, code), amt in gen.window_sales.items() if ic == inst_code))[:10]
    return [{"med_list_codg": code, "item_name": names[code], "sales_amount": round2(Decimal(-neg).scaleb(-6))}
            for neg, code in amounts]
