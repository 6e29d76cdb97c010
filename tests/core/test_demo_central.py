"""The demo central database: contract shape, exact money, identity hashes, determinism,
and the defining facts of every planted case and decoy, checked with SQL."""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from inspector.cli import run
from inspector.demo.central import DEMO_DATE_FROM, DEMO_DATE_TO, DEMO_VISIT_TIME, build_demo_central
from inspector.demo.engine import id_check_digit
from inspector.errors import UserError
from inspector.resources import central_schema_sql

W0 = f"{DEMO_DATE_FROM} 00:00:00"
W1 = f"{DEMO_DATE_TO + timedelta(days=1)} 00:00:00"
V = DEMO_VISIT_TIME.strftime("%Y-%m-%d %H:%M:%S")
CENT = Decimal("0.01")


def dec(value) -> Decimal:
    """A stored NUMERIC (SQLite gives int or float) as the exact decimal that was written."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "central.db"
    manifest = build_demo_central(out, seed=1)
    conn = sqlite3.connect(out)
    yield out, manifest, conn
    conn.close()


def cases(manifest, rule, decoys=False):
    return [c for c in (manifest.decoys if decoys else manifest.planted) if c["rule"] == rule]


# --- shape ---------------------------------------------------------------------------
def test_tables_and_indexes_are_exactly_the_contract(demo, tmp_path):
    out, _, conn = demo
    fresh = sqlite3.connect(tmp_path / "fresh.db")
    fresh.executescript(central_schema_sql())

    def shape(c):
        tables = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        cols = {t: list(c.execute(f"PRAGMA table_info({t})")) for t in tables}
        idx = sorted(tuple(r) for r in c.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL"))
        return tables, cols, idx
    assert shape(conn) == shape(fresh)
    assert len(shape(conn)[0]) == 14


def test_ddl_is_run_statement_by_statement_unchanged():
    from inspector.demo.ddl import contract_ddl_parts
    tables, indexes = contract_ddl_parts()
    schema = central_schema_sql()
    assert tables.count("CREATE TABLE") == 14 and indexes.count("CREATE INDEX") == 6
    assert "CREATE INDEX" not in tables
    # same statements, same text: only the indexes moved to the end
    assert sorted((tables + indexes).splitlines()) == sorted(schema.splitlines()) or \
        sorted(x for x in (tables + indexes).splitlines() if x.strip()) == sorted(x for x in schema.splitlines() if x.strip())


def test_manifest_file_and_meta(demo):
    out, manifest, conn = demo
    on_disk = Path(str(out) + ".manifest.json").read_text(encoding="utf-8")
    assert on_disk.strip() == manifest.to_json().strip()
    meta = dict(conn.execute("SELECT key, value FROM extract_meta"))
    assert meta["schema_version"] == "1"
    assert meta["extract_id"] == manifest.extract_id and meta["admdvs"] == manifest.admdvs == "610100"
    assert meta["created_at"] <= V and len(meta["certno_salt"]) >= 16
    assert (manifest.date_from, manifest.date_to, manifest.visit_time) == ("2026-07-01", "2026-09-28", "2026-10-08 10:00:00")
    roles = [(i["role"], i["tier"]) for i in manifest.institutions]
    assert ("main", "3") in roles and ("hospital", "2") in roles and ("hospital", "1") in roles
    assert [r for r, _ in roles].count("pharmacy") == 2 and ("clinic", "1") in roles
    # nothing after the extract was taken
    assert conn.execute("SELECT max(fee_ocur_time) FROM feedetl").fetchone()[0] <= meta["created_at"]
    assert conn.execute("SELECT max(sel_retn_time) FROM drug_sel").fetchone()[0] <= meta["created_at"]


def test_codes_follow_the_contract(demo):
    _, _, conn = demo
    for code, typ, lv, admdvs, beds in conn.execute(
            "SELECT fixmedins_code, fixmedins_type, hosp_lv, admdvs, aprv_bed_cnt FROM fixmedins"):
        assert len(code) == 12 and code[1:].isdigit() and code[1:7] == admdvs
        assert (code[0], typ) in (("H", "1"), ("P", "2"))
        assert (lv is None) == (code[0] == "P")
        ward_beds = conn.execute("SELECT coalesce(sum(aprv_bed_cnt), 0) FROM wards WHERE fixmedins_code=?", (code,)).fetchone()[0]
        assert beds == ward_beds
    drugs = conn.execute("SELECT med_list_codg FROM med_list WHERE list_type='101'").fetchall()
    assert len(drugs) > 40
    for (code,) in drugs:
        assert (code[0], len(code)) in (("X", 23), ("Z", 20))
    for code, lt in conn.execute("SELECT med_list_codg, list_type FROM med_list WHERE list_type<>'101'"):
        assert code[0] not in "XZ"
        assert {"201": "0", "301": "C", "102": "T"}[lt] == code[0]
    # bed fees are services; drug lines are drugs of the right kind
    assert conn.execute("SELECT count(*) FROM feedetl f JOIN med_list m USING (med_list_codg) WHERE f.med_chrgitm_type='01' "
                        "AND (m.list_type<>'201' OR m.med_list_codg NOT LIKE '00%')").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM feedetl WHERE (med_chrgitm_type='09') <> (med_list_codg LIKE 'X%')").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM feedetl WHERE (med_chrgitm_type='11') <> (med_list_codg LIKE 'Z%')").fetchone()[0] == 0
    types = {r[0] for r in conn.execute("SELECT DISTINCT med_type FROM mdtrt")}
    assert types == {"11", "14", "21", "41"}
    assert conn.execute("SELECT count(*) FROM mdtrt m JOIN fixmedins f USING (fixmedins_code) "
                        "WHERE (m.med_type='41') <> (f.fixmedins_type='2')").fetchone()[0] == 0


def test_scale_of_the_small_demo(demo):
    _, manifest, conn = demo
    counts = manifest.row_counts
    assert 200 <= conn.execute("SELECT count(*) FROM mdtrt WHERE med_type='21'").fetchone()[0] <= 1000
    assert 10_000 <= counts["feedetl"] <= 60_000
    # data before the window (previous stays, opening counts) and after it, up to the visit
    assert conn.execute("SELECT count(*) FROM mdtrt WHERE med_type='21' AND endtime < ?", (W0,)).fetchone()[0] > 0
    assert conn.execute("SELECT count(*) FROM drug_inv WHERE invdate < '2026-07-01'").fetchone()[0] > 0
    assert conn.execute("SELECT count(*) FROM drug_sel WHERE sel_retn_time >= ?", (W1,)).fetchone()[0] > 0
    assert conn.execute("SELECT count(*) FROM drug_sel WHERE retn_flag='1'").fetchone()[0] > 0
    assert conn.execute("SELECT count(*) FROM drug_purc WHERE retn_flag='1'").fetchone()[0] > 0


# --- money ---------------------------------------------------------------------------
def test_every_fee_line_is_cnt_times_price_half_up(demo):
    _, _, conn = demo
    n = 0
    for sn, cnt, pric, amt in conn.execute("SELECT feedetl_sn, cnt, pric, det_item_fee_sumamt FROM feedetl"):
        exact = (dec(cnt) * dec(pric)).quantize(CENT, rounding=ROUND_HALF_UP)
        assert exact == dec(amt), sn
        assert dec(cnt) == dec(cnt).quantize(CENT) and dec(pric) == dec(pric).quantize(Decimal("0.0001"))
        n += 1
    assert n > 10_000
    # some lines really need the rounding (fractional cents before rounding)
    assert any((dec(c) * dec(p)) != dec(a) for c, p, a in conn.execute(
        "SELECT cnt, pric, det_item_fee_sumamt FROM feedetl LIMIT 20000"))


def test_settlements_and_front_pages_match_the_fees(demo):
    _, _, conn = demo
    fees: dict[str, Decimal] = defaultdict(Decimal)
    for m, amt in conn.execute("SELECT mdtrt_id, det_item_fee_sumamt FROM feedetl"):
        fees[m] += dec(amt)
    settled = 0
    for m, total, hifp, acct, cash, own in conn.execute(
            "SELECT mdtrt_id, medfee_sumamt, hifp_pay, acct_pay, psn_cash_pay, fulamt_ownpay_amt FROM setl"):
        assert dec(total) == fees[m], m
        assert dec(hifp) + dec(acct) + dec(cash) == dec(total)
        assert min(dec(hifp), dec(acct), dec(cash), dec(own)) >= 0 and dec(own) <= dec(acct) + dec(cash)
        settled += 1
    assert conn.execute("SELECT count(*), count(DISTINCT mdtrt_id) FROM setl").fetchone() == (settled, settled)
    # discharged stays are settled and have a front page; open ones have neither
    assert conn.execute("SELECT count(*) FROM mdtrt m WHERE med_type='21' AND endtime IS NOT NULL AND "
                        "(NOT EXISTS (SELECT 1 FROM setl s WHERE s.mdtrt_id=m.mdtrt_id) OR "
                        "NOT EXISTS (SELECT 1 FROM medrcd r WHERE r.mdtrt_id=m.mdtrt_id))").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM mdtrt m WHERE endtime IS NULL AND (EXISTS (SELECT 1 FROM setl s WHERE "
                        "s.mdtrt_id=m.mdtrt_id) OR EXISTS (SELECT 1 FROM medrcd r WHERE r.mdtrt_id=m.mdtrt_id))").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM medrcd r JOIN mdtrt m USING (mdtrt_id) WHERE m.med_type<>'21' OR "
                        "r.adm_time<>m.begntime OR r.dscg_time<>m.endtime").fetchone()[0] == 0
    for m, total in conn.execute("SELECT mdtrt_id, medfee_sumamt FROM medrcd"):
        assert dec(total) == fees[m]
    # each drug fee line has its dispensing record
    assert conn.execute("SELECT count(*) FROM feedetl WHERE med_chrgitm_type IN ('09','11')").fetchone()[0] == \
        conn.execute("SELECT count(*) FROM drug_sel").fetchone()[0]


# --- identity ------------------------------------------------------------------------
def test_certno_hash_of_the_census_ids(demo):
    _, manifest, conn = demo
    salt = conn.execute("SELECT value FROM extract_meta WHERE key='certno_salt'").fetchone()[0]
    assert len(manifest.census_ids) >= 4
    assert any(i["leave_covers_v"] for i in manifest.census_ids)
    assert any(not i["leave_covers_v"] for i in manifest.census_ids)
    assert len({i["ward_codg"] for i in manifest.census_ids}) >= 3
    for ident in manifest.census_ids:
        certno = ident["certno"]
        assert len(certno) == 18 and id_check_digit(certno[:17]) == certno[17]
        row = conn.execute("SELECT certno_hash, certno_mask FROM psn_info WHERE psn_no=?", (ident["psn_no"],)).fetchone()
        assert row[0] == hashlib.sha256((salt + certno.strip().upper()).encode()).hexdigest()
        assert row[1] == certno[:6] + "*" * 8 + certno[-4:]
        v = conn.execute("SELECT psn_no, begntime, endtime, ward_codg, med_type, fixmedins_code FROM mdtrt WHERE mdtrt_id=?",
                         (ident["mdtrt_id"],)).fetchone()
        assert v[0] == ident["psn_no"] and v[1] <= V and v[2] is None and v[3] == ident["ward_codg"]
        assert v[4] == "21" and v[5] == manifest.main_institution
        covered = conn.execute("SELECT count(*) FROM leave_rec WHERE mdtrt_id=? AND begntime<=? AND endtime>=?",
                               (ident["mdtrt_id"], V, V)).fetchone()[0]
        assert bool(covered) == ident["leave_covers_v"]
    # no full ID number anywhere in the database
    certnos = {i["certno"] for i in manifest.census_ids}
    for t, col in (("psn_info", "certno_mask"), ("psn_info", "psn_no"), ("psn_info", "certno_hash")):
        assert not certnos & {r[0] for r in conn.execute(f"SELECT {col} FROM {t}")}


def test_census_at_the_visit(demo):
    _, manifest, conn = demo
    main = manifest.main_institution
    rows = conn.execute("SELECT ward_codg, adm_bed FROM mdtrt WHERE fixmedins_code=? AND med_type='21' AND begntime<=? "
                        "AND (endtime IS NULL OR endtime>?)", (main, V, V)).fetchall()
    assert len(rows) == manifest.census["registered"] and len(rows) == len(set(rows))  # one patient per bed
    assert len({w for w, _ in rows}) >= 3
    beds = dict(conn.execute("SELECT ward_codg, aprv_bed_cnt FROM wards WHERE fixmedins_code=?", (main,)))
    for ward, n in manifest.census["by_ward"].items():
        assert n <= beds[ward]
    assert manifest.census["on_leave_at_visit"] >= 1


def test_same_seed_same_rows(demo, tmp_path):
    out, _, conn = demo
    again = tmp_path / "again.db"
    # another process with another string-hash seed: no set or dict order may leak into the rows
    code = f"from pathlib import Path; from inspector.demo.central import build_demo_central; " \
           f"build_demo_central(Path({str(again)!r}), seed=1)"
    env = dict(os.environ, PYTHONHASHSEED="4242")
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=Path(__file__).resolve().parents[2])

    def digest(c):
        h = {}
        for (t,) in c.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
            d = hashlib.sha256()
            for row in sorted(repr(r) for r in c.execute(f"SELECT * FROM {t}")):
                d.update(row.encode())
            h[t] = d.hexdigest()
        return h
    other = sqlite3.connect(again)
    assert digest(conn) == digest(other)
    other.close()
    first = json.loads(Path(str(out) + ".manifest.json").read_text(encoding="utf-8"))
    second = json.loads(Path(str(again) + ".manifest.json").read_text(encoding="utf-8"))
    first.pop("database"), second.pop("database")
    assert first == second


def test_refuses_to_overwrite(demo, tmp_path):
    out, _, _ = demo
    with pytest.raises(UserError):
        build_demo_central(out, seed=1)
    assert run(["demo-central", "--out", str(out)]) == 2


# --- planted cases, all rules at once -------------------------------------------------
def test_reference_rules_find_exactly_the_planted_cases(demo):
    from demo_reference_rules import screen
    out, manifest, _ = demo
    for inst in {c["institution"] for c in manifest.planted}:
        leads = screen(str(out), inst)
        found = {(rule, key) for rule, by_key in leads.items() for key in by_key}
        planted = {(c["rule"], tuple(c["key"])) for c in manifest.planted if c["institution"] == inst}
        assert found == planted, inst  # every planted case, and nothing else
        for c in manifest.planted:
            if c["institution"] == inst:
                got = leads[c["rule"]][tuple(c["key"])]
                assert got["amount"] == c["expected"]["amount"], c
                if c["rule"] == "S1":
                    assert got["severity"] == c["expected"]["severity"]
        for d in manifest.decoys:
            if d["institution"] == inst:
                assert (d["rule"], tuple(d["key"])) not in found


# --- planted cases, fact by fact -------------------------------------------------------
def _stay(conn, mdtrt_id):
    return conn.execute("SELECT psn_no, begntime, endtime, adm_diag_codg, fixmedins_code, med_type FROM mdtrt "
                        "WHERE mdtrt_id=?", (mdtrt_id,)).fetchone()


def _days(a: str, b: str) -> int:
    return (date.fromisoformat(b[:10]) - date.fromisoformat(a[:10])).days


def _in_window_fees(conn, mdtrt_id) -> Decimal:
    return sum((dec(a) for (a,) in conn.execute("SELECT det_item_fee_sumamt FROM feedetl WHERE mdtrt_id=? AND "
                                               "fee_ocur_time>=? AND fee_ocur_time<?", (mdtrt_id, W0, W1))), Decimal(0))


def test_every_rule_has_hits_and_decoys(demo):
    _, manifest, _ = demo
    for rule in [f"S{i}" for i in range(1, 10)]:
        assert cases(manifest, rule), rule
        assert cases(manifest, rule, decoys=True), rule
        assert any(c["institution"] == manifest.main_institution for c in cases(manifest, rule))
    assert {c["institution"] for c in cases(manifest, "S6")} == {manifest.main_institution, manifest.pharmacy_institution}
    keys = [(c["rule"], tuple(c["key"])) for c in manifest.planted + manifest.decoys if c["rule"] != "S1"]
    assert len(keys) == len(set(keys))


def test_s1_readmissions(demo):
    _, manifest, conn = demo
    severities = set()
    for c in cases(manifest, "S1"):
        prev, nxt = (_stay(conn, k) for k in c["key"])
        assert prev[0] == nxt[0] and prev[5] == nxt[5] == "21"
        assert nxt[1] >= prev[2] and W0 <= nxt[1] < W1
        assert _days(prev[2], nxt[1]) == c["expected"]["gap_days"] <= 7
        dscg = conn.execute("SELECT dscg_maindiag_codg FROM medrcd WHERE mdtrt_id=?", (c["key"][0],)).fetchone()[0]
        assert (dscg[:3] == nxt[3][:3]) == (c["expected"]["severity"] == "high")
        severities.add(c["expected"]["severity"])
        assert str(_in_window_fees(conn, c["key"][1])) == c["expected"]["amount"]
        # nothing of the person's begins between the two stays
        assert conn.execute("SELECT count(*) FROM mdtrt WHERE psn_no=? AND med_type='21' AND begntime>=? AND "
                            "(begntime<? OR (begntime=? AND mdtrt_id<?)) AND mdtrt_id NOT IN (?, ?)",
                            (prev[0], prev[2], nxt[1], nxt[1], c["key"][1], *c["key"])).fetchone()[0] == 0
    assert severities == {"high", "medium"}
    assert any(_stay(conn, c["key"][0])[2] < W0 for c in cases(manifest, "S1"))  # a previous stay before the window
    for c in cases(manifest, "S1", decoys=True):
        prev, nxt = (_stay(conn, k) for k in c["key"])
        assert _days(prev[2], nxt[1]) == 8


def _bed_census(conn, inst, day):
    return conn.execute("SELECT count(*), coalesce(sum(amt), 0) FROM (SELECT mdtrt_id, sum(cnt) q, sum(det_item_fee_sumamt) amt "
                        "FROM feedetl WHERE fixmedins_code=? AND med_chrgitm_type='01' AND substr(fee_ocur_time,1,10)=? "
                        "GROUP BY mdtrt_id) WHERE q>0", (inst, day)).fetchone()


def test_s2_bed_days_against_approved_beds(demo):
    _, manifest, conn = demo
    main = manifest.main_institution
    beds = conn.execute("SELECT aprv_bed_cnt FROM fixmedins WHERE fixmedins_code=?", (main,)).fetchone()[0]
    special = set()
    for c in cases(manifest, "S2"):
        n, amt = _bed_census(conn, main, c["key"][0])
        assert n == c["expected"]["n"] and n - beds == c["expected"]["excess"] > 0
        assert str((c["expected"]["excess"] * dec(amt) / n).quantize(CENT, rounding=ROUND_HALF_UP)) == c["expected"]["amount"]
        special.add(c["key"][0])
    for c in cases(manifest, "S2", decoys=True):
        assert _bed_census(conn, main, c["key"][0])[0] == beds
        special.add(c["key"][0])
    d = DEMO_DATE_FROM
    while d <= DEMO_DATE_TO:
        if d.isoformat() not in special:
            assert _bed_census(conn, main, d.isoformat())[0] < beds, d
        d += timedelta(days=1)


def test_s3_daily_limit(demo):
    _, manifest, conn = demo

    def q(key):
        rows = conn.execute("SELECT cnt FROM feedetl WHERE mdtrt_id=? AND med_list_codg=? AND substr(fee_ocur_time,1,10)=?",
                            key).fetchall()
        return sum((dec(r[0]) for r in rows), Decimal(0)), [dec(r[0]) for r in rows]
    limit_of = lambda code: dec(conn.execute("SELECT daily_cnt_limit FROM med_list WHERE med_list_codg=?", (code,)).fetchone()[0])
    for c in cases(manifest, "S3"):
        total, _ = q(c["key"])
        assert total > limit_of(c["key"][1]) and total - limit_of(c["key"][1]) == Decimal(c["expected"]["excess"])
    reversed_back = False
    for c in cases(manifest, "S3", decoys=True):
        total, lines = q(c["key"])
        assert total == limit_of(c["key"][1])
        if any(x < 0 for x in lines):
            reversed_back = sum(x for x in lines if x > 0) > total
    assert reversed_back


def test_s4_charges_outside_the_stay(demo):
    _, manifest, conn = demo
    for c in cases(manifest, "S4"):
        _, b, e, _, _, _ = _stay(conn, c["key"][0])
        rows = conn.execute("SELECT det_item_fee_sumamt FROM feedetl WHERE mdtrt_id=? AND (fee_ocur_time<? OR fee_ocur_time>?)",
                            (c["key"][0], b, e)).fetchall()
        assert rows and str(sum(dec(r[0]) for r in rows).quantize(CENT)) == c["expected"]["amount"]
    for c in cases(manifest, "S4", decoys=True):
        _, b, e, _, _, _ = _stay(conn, c["key"][0])
        assert conn.execute("SELECT min(fee_ocur_time), max(fee_ocur_time) FROM feedetl WHERE mdtrt_id=?",
                            (c["key"][0],)).fetchone() == (b, e)


def test_s5_price_ceiling(demo):
    _, manifest, conn = demo

    def line(sn):
        cnt, pric, ceil = conn.execute("SELECT f.cnt, f.pric, m.pric_uplmt_amt FROM feedetl f JOIN med_list m USING "
                                       "(med_list_codg) WHERE feedetl_sn=?", (sn,)).fetchone()
        return dec(cnt), dec(pric), dec(ceil)
    signs = set()
    for c in cases(manifest, "S5"):
        cnt, pric, ceil = line(c["key"][0])
        assert pric > ceil
        assert str(((pric - ceil) * cnt).quantize(CENT, rounding=ROUND_HALF_UP)) == c["expected"]["amount"]
        signs.add(cnt > 0)
    assert signs == {True, False}  # a charge and its reversal
    for c in cases(manifest, "S5", decoys=True):
        _, pric, ceil = line(c["key"][0])
        assert pric == ceil


def _ledger(conn, inst, code):
    """(opening, sorted [(time, net change)]) from the opening count 2026-07-01 to W1."""
    opening = dec(conn.execute("SELECT inv_cnt FROM drug_inv WHERE fixmedins_code=? AND med_list_codg=? AND invdate<=? "
                               "ORDER BY invdate DESC LIMIT 1", (inst, code, "2026-07-01")).fetchone()[0])
    ev: dict[str, Decimal] = defaultdict(Decimal)
    for t, q, r in conn.execute("SELECT purc_time, purc_cnt, retn_flag FROM drug_purc WHERE fixmedins_code=? AND med_list_codg=? "
                                "AND purc_time>=? AND purc_time<?", (inst, code, W0, W1)):
        ev[t] += dec(q) if r == "0" else -dec(q)
    for t, q, r in conn.execute("SELECT sel_retn_time, sel_retn_cnt, retn_flag FROM drug_sel WHERE fixmedins_code=? AND "
                                "med_list_codg=? AND sel_retn_time>=? AND sel_retn_time<?", (inst, code, W0, W1)):
        ev[t] += -dec(q) if r == "0" else dec(q)
    return opening, sorted(ev.items())


def test_s6_sales_beyond_stock(demo):
    _, manifest, conn = demo

    def lowest(inst, code):
        bal, events = _ledger(conn, inst, code)
        low = bal
        for _, change in events:
            bal += change
            low = min(low, bal)
        return low
    for c in cases(manifest, "S6"):
        assert -lowest(c["institution"], c["key"][0]) == Decimal(c["expected"]["shortfall"]) > 0
    lows = [lowest(c["institution"], c["key"][0]) for c in cases(manifest, "S6", decoys=True)]
    assert min(lows) == 0 and all(x >= 0 for x in lows)
    same_second = conn.execute("SELECT count(*) FROM drug_purc p JOIN drug_sel s ON s.fixmedins_code=p.fixmedins_code AND "
                               "s.med_list_codg=p.med_list_codg AND s.sel_retn_time=p.purc_time WHERE p.med_list_codg IN "
                               f"({','.join('?' * len(lows))})", [c["key"][0] for c in cases(manifest, "S6", decoys=True)]).fetchone()[0]
    assert same_second >= 1


def test_s7_declared_counts(demo):
    _, manifest, conn = demo

    def diff(c):
        code, day = c["key"]
        bal, events = _ledger(conn, c["institution"], code)
        bal += sum((ch for t, ch in events if t < f"{day} 00:00:00"), Decimal(0))
        declared = dec(conn.execute("SELECT inv_cnt FROM drug_inv WHERE fixmedins_code=? AND med_list_codg=? AND invdate=?",
                                    (c["institution"], code, day)).fetchone()[0])
        return declared - bal, max(Decimal(1), abs(bal) / 100)
    for c in cases(manifest, "S7"):
        d, tol = diff(c)
        assert abs(d) > tol and d == Decimal(c["expected"]["difference"])
    for c in cases(manifest, "S7", decoys=True):
        d, tol = diff(c)
        assert abs(d) == tol


def test_s8_bed_only_runs(demo):
    _, manifest, conn = demo

    def run_len(mdtrt_id):
        by_day = defaultdict(set)
        for t, ct in conn.execute("SELECT fee_ocur_time, med_chrgitm_type FROM feedetl WHERE mdtrt_id=?", (mdtrt_id,)):
            by_day[t[:10]].add(ct)
        best = cur = 0
        for day in sorted(by_day):
            cur = cur + 1 if by_day[day] <= {"01", "07"} and (cur == 0 or prev_day == _prev(day)) else (
                1 if by_day[day] <= {"01", "07"} else 0)
            prev_day = day
            best = max(best, cur)
        return best
    for c in cases(manifest, "S8"):
        assert run_len(c["key"][0]) == len(c["expected"]["run_days"]) == 3
    for c in cases(manifest, "S8", decoys=True):
        assert run_len(c["key"][0]) == 2


def _prev(day: str) -> str:
    return (date.fromisoformat(day) - timedelta(days=1)).isoformat()


def test_s9_overlap_and_touch(demo):
    _, manifest, conn = demo
    for c in cases(manifest, "S9"):
        a, b = (_stay(conn, k) for k in c["key"])
        assert a[0] == b[0] and a[1] < b[1] < a[2]
        assert (b[1], min(a[2], b[2])) == (c["expected"]["overlap_from"], c["expected"]["overlap_to"])
    for c in cases(manifest, "S9", decoys=True):
        a, b = (_stay(conn, k) for k in c["key"])
        assert a[0] == b[0] and a[2] == b[1]


def test_stock_and_record_review_material(demo):
    _, manifest, conn = demo
    dup = manifest.stock["duplicate_trace"]
    assert conn.execute("SELECT count(*) FROM drug_sel WHERE drug_trac_codg=? AND retn_flag='0'",
                        (dup["drug_trac_codg"],)).fetchone()[0] == 2
    assert conn.execute("SELECT count(*) FROM (SELECT drug_trac_codg FROM drug_sel WHERE drug_trac_codg IS NOT NULL "
                        "GROUP BY drug_trac_codg HAVING count(*) > 1)").fetchone()[0] == 1
    top = manifest.stock["top_drugs"][manifest.main_institution]
    assert len(top) == 10
    amounts = [Decimal(t["sales_amount"]) for t in top]
    assert amounts == sorted(amounts, reverse=True) and len(set(amounts)) == 10
    for t in top[:3]:
        got = conn.execute("SELECT sum(sel_retn_cnt*pric) FROM drug_sel WHERE fixmedins_code=? AND med_list_codg=? AND "
                           "retn_flag='0' AND sel_retn_time>=? AND sel_retn_time<?",
                           (manifest.main_institution, t["med_list_codg"], W0, W1)).fetchone()[0]
        assert abs(Decimal(repr(got)) - Decimal(t["sales_amount"])) < Decimal("0.01")
    rec = manifest.records
    assert rec["discharged_in_window"] >= 30 and len(rec["by_department"]) >= 4


# --- PostgreSQL --------------------------------------------------------------------------
@pytest.fixture
def pg_url(postgres_db):
    """A fresh database on the session's private PostgreSQL server (tests/conftest.py)."""
    return postgres_db


def test_copy_to_postgres_keeps_every_row_exact(demo, pg_url):
    import psycopg

    from inspector.demo.pgcopy import copy_to_postgres
    out, manifest, conn = demo
    copy_to_postgres(out, pg_url)
    with psycopg.connect(pg_url.replace("+psycopg", "")) as pg:
        for table, n in manifest.row_counts.items():
            if table in ("feedetl_in_window",):
                continue
            assert pg.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == n, table
        total = pg.execute("SELECT sum(det_item_fee_sumamt), sum(cnt * pric) FROM feedetl").fetchone()
        assert isinstance(total[0], Decimal)
        assert total[0] == sum((dec(a) for (a,) in conn.execute("SELECT det_item_fee_sumamt FROM feedetl")), Decimal(0))
        assert pg.execute("SELECT count(*) FROM feedetl WHERE det_item_fee_sumamt <> round(cnt * pric, 2)").fetchone()[0] == 0
        row = pg.execute("SELECT begntime, endtime FROM mdtrt WHERE mdtrt_id=%s", (manifest.census_ids[0]["mdtrt_id"],)).fetchone()
        assert isinstance(row[0], datetime) and row[1] is None
        ceiling = pg.execute("SELECT pric_uplmt_amt FROM med_list WHERE pric_uplmt_amt IS NOT NULL LIMIT 1").fetchone()[0]
        assert isinstance(ceiling, Decimal) and ceiling.as_tuple().exponent == -4
        # a second copy into the same database is refused and changes nothing
        with pytest.raises(UserError):
            copy_to_postgres(out, pg_url)
