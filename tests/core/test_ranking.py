"""Region-wide ranking: the rules pushed down into the central find, per institution, exactly the
leads that `sync` + `screen` find for it (SQLite and PostgreSQL central), and the JSON interface."""
from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from inspector.cli import run
from inspector.db import open_store
from inspector.demo.central import build_demo_central
from inspector.ranking import rank_region
from inspector.ranking.region import per_10k
from inspector.screening import run_screening, screening_json
from inspector.sync.central import sync_central


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    """The demo region, and what sync + screen find for each of its institutions."""
    tmp = tmp_path_factory.mktemp("region")
    manifest = build_demo_central(tmp / "central.db", seed=1, scale="small")
    window = (date.fromisoformat(manifest.date_from), date.fromisoformat(manifest.date_to),
              datetime.strptime(manifest.visit_time, "%Y-%m-%d %H:%M:%S"))
    engine = open_store(tmp / "store.db")
    expected: dict[str, set] = {}
    codes = [r[0] for r in sqlite3.connect(tmp / "central.db").execute("SELECT fixmedins_code FROM fixmedins")]
    for code in codes:
        r = sync_central(engine, f"sqlite:///{tmp / 'central.db'}", code, *window)
        run_screening(engine, r.inspection_id)
        expected[code] = {_lead(d) for d in screening_json(engine, r.inspection_id)["leads"]}
    engine.dispose()
    return tmp / "central.db", window, expected


def _lead(d: dict) -> tuple:
    figures = {k: v for k, v in d.items() if k not in ("status", "reason", "id", "lead_id", "summary", "finding")}
    return d["rule"], json.dumps(d["key"]), d["amount"], json.dumps(figures, sort_keys=True, default=str), d["summary"]


def _found(ranking) -> dict[str, set]:
    out = {}
    for inst in ranking.institutions:
        leads = set()
        for lead in inst.leads:
            d = {"rule": lead.rule, "key": lead.key, "amount": f"{lead.amount:.2f}", "severity": lead.severity,
                 **lead.figures, "summary": lead.summary}
            leads.add(_lead(d))
        out[inst.fixmedins_code] = leads
    return out


def _check(ranking, expected) -> None:
    found = _found(ranking)
    assert set(found) == set(expected)
    assert sum(len(v) for v in expected.values()) >= 15            # the planted cases are there
    for code in expected:
        just_keys = lambda s: {x[:3] for x in s}  # noqa: E731
        assert just_keys(found[code]) == just_keys(expected[code]), code
        assert found[code] == expected[code], code
    for inst in ranking.institutions:
        assert inst.lead_amount == sum((Decimal(x[2]) for x in expected[inst.fixmedins_code]), Decimal("0.00"))
        assert sum(v["amount"] for v in inst.rules.values()) == inst.lead_amount
        assert sum(v["leads"] for v in inst.rules.values()) == len(expected[inst.fixmedins_code])
    keys = [(r.per_10k is None, -(r.per_10k or 0)) for r in ranking.institutions]
    assert keys == sorted(keys)


def test_ranking_on_sqlite_equals_sync_and_screen(region):
    central, window, expected = region
    _check(rank_region(str(central), *window), expected)


def test_ranking_on_postgresql_equals_sync_and_screen(region, postgres_db):
    from inspector.demo.pgcopy import copy_to_postgres

    central, window, expected = region
    copy_to_postgres(central, postgres_db)
    ranking = rank_region(postgres_db, *window)
    assert ranking.dialect == "postgresql"
    _check(ranking, expected)
    # a choice of rules, region-wide ones alone or with others, finds the same leads of those rules
    for rules in (["S8"], ["S6", "S7"], ["S1", "S3", "S7"]):
        part = rank_region(postgres_db, *window, rules=rules)
        assert _found(part) == {code: {x for x in leads if x[0] in rules} for code, leads in _found(ranking).items()}
        assert all(set(inst.rules) == set(rules) for inst in part.institutions)


def test_json_interface_fund_paid_and_last_inspection(region, tmp_path, capsys):
    central, window, expected = region
    copy = tmp_path / "central.db"
    shutil.copy(central, copy)
    con = sqlite3.connect(copy)
    top = max(expected, key=lambda c: len(expected[c]))
    for uid, visit in (("u1", "2025-03-04 09:00:00"), ("u2", "2026-01-05 10:00:00")):
        con.execute("INSERT INTO insp_upload VALUES (?, ?, 'x', '2026-01-06 00:00:00', 'a', 'h', x'00', ?)",
                    (uid, top, json.dumps({"visit_time": visit})))
    paid = con.execute("SELECT sum(CAST(round(hifp_pay * 100) AS INTEGER)) FROM setl WHERE fixmedins_code = ? "
                       "AND setl_time >= ? AND setl_time < ?",
                       (top, f"{window[0]} 00:00:00", f"{window[1] + timedelta(days=1)} 00:00:00")).fetchone()[0]
    con.commit()
    con.close()
    assert run(["rank", "--central", str(copy), "--from", str(window[0]), "--to", str(window[1]),
                "--visit-time", window[2].strftime("%Y-%m-%d %H:%M:%S"), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc) == ["institutions"]
    rows = {r["fixmedins_code"]: r for r in doc["institutions"]}
    assert set(rows) == set(expected)
    for r in doc["institutions"]:
        assert list(r) == ["fixmedins_code", "fixmedins_name", "lead_amount", "fund_paid", "per_10k", "rules",
                           "last_inspected"]
        assert set(r["rules"]) == {f"S{i}" for i in range(1, 10)}
        for v in (r["lead_amount"], r["fund_paid"]):
            assert Decimal(v).as_tuple().exponent == -2
    t = rows[top]
    assert t["last_inspected"] == "2026-01-05"
    assert Decimal(t["fund_paid"]) == Decimal(paid) / 100 > 0
    assert Decimal(t["per_10k"]) == per_10k(Decimal(t["lead_amount"]), Decimal(t["fund_paid"]))
    assert doc["institutions"][0]["fixmedins_code"] == top


def test_per_10k_rounding_and_no_fund():
    assert per_10k(Decimal("1.00"), Decimal("30000.00")) == Decimal("0.33")
    assert per_10k(Decimal("1.00"), Decimal("16000.00")) == Decimal("0.63")   # 0.625 -> half up
    assert per_10k(Decimal("-1.00"), Decimal("16000.00")) == Decimal("-0.63")
    assert per_10k(Decimal("5.00"), Decimal("0.00")) is None


def test_bad_input_is_one_message(region, tmp_path, capsys):
    central, _, _ = region
    assert run(["rank", "--central", str(tmp_path / "nope.db"), "--from", "2026-07-01", "--to", "2026-09-28"]) == 2
    assert run(["rank", "--central", str(central), "--from", "2026-09-28", "--to", "2026-07-01"]) == 2
    assert run(["rank", "--central", str(central), "--from", "2026-07-01", "--to", "2026-09-28", "--format", "xlsx"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("错误：") + err.count("error:") == 3


def test_xlsx_reads_back(region, tmp_path):
    from openpyxl import load_workbook

    central, window, expected = region
    out = tmp_path / "rank.xlsx"
    assert run(["rank", "--central", str(central), "--from", str(window[0]), "--to", str(window[1]),
                "--format", "xlsx", "--out", str(out)]) == 0
    ws = load_workbook(out).active
    values = list(ws.values)
    assert values[0][:3] == ("排名", "机构编码", "机构名称")
    assert len(values) == 1 + len(expected)
    assert {v[1] for v in values[1:]} == set(expected)


def test_region_wide_queries_equal_the_rules_own_per_institution(region, postgres_db):
    """On PostgreSQL S3, S4, S8 and the drug ledger run once for the region (`region_rules`): every
    institution's S3, S4 and S8 rows and every drug's walk (opening, lowest balance and when, counts with
    their expected balances) equal what the rules' own queries give under the slice's CTEs,
    also with openings long before W0 (movements between an opening and W0 enter the ledger)."""
    import psycopg

    from inspector.demo.pgcopy import conninfo_from_url, copy_to_postgres
    from inspector.ranking.central_sql import RegionConnection, window_params
    from inspector.ranking.region_rules import region_ledgers, region_s3, region_s4, region_s8
    from inspector.screening import s3_daily_limit, s4_outside_stay, s8_bed_only_days
    from inspector.screening.base import RuleSQL, context_for, raw_cursor
    from inspector.screening.ledger import walk_drugs
    from inspector.settings import default_settings
    from inspector.sync.slice import SliceWindow
    from inspector.sync.source import CentralSource

    central, (d0, d1, v), _expected = region
    copy_to_postgres(central, postgres_db)
    with psycopg.connect(conninfo_from_url(postgres_db)) as pg:
        pg.execute("UPDATE drug_inv SET invdate = invdate - 20 WHERE invdate <= %s", (d0,))
    settings = default_settings()
    with CentralSource(postgres_db) as source:
        source.fetchall("SELECT set_config('DateStyle', 'ISO, YMD', true)")
        base = window_params(SliceWindow("", d0, d1, v), prefix="")
        cur = source.connection.cursor()
        ledgers, s8 = region_ledgers(cur, base, "64MB"), region_s8(cur, base, int(settings["bed_only_days"]))
        s4, s3 = region_s4(cur, base), region_s3(cur, base)
        codes = [r[0] for r in source.fetchall("SELECT fixmedins_code FROM fixmedins")]
        walked = short = early = 0
        for code in codes:
            window = SliceWindow(code, d0, d1, v)
            conn = RegionConnection(source.connection, "postgresql", window, source._errors(), source._fail)
            ctx = replace(context_for(1, code, d0, d1, v, settings), sql=RuleSQL("postgresql"))
            own = {w.code: w for w in walk_drugs(conn, ctx)}
            assert {w.code: w for w in ledgers.get(code, [])} == own, code
            walked += len(own)
            short += sum(w.lowest < 0 for w in own.values())
            early += sum(bool(w.opening_date and w.opening_date < d0.isoformat()) for w in own.values())
            rows = raw_cursor(conn).execute(s8_bed_only_days.sql(ctx.sql), {
                "s": 1, "c": code, "w0": ctx.w0, "w1": ctx.w1, "v": ctx.v, "k": int(settings["bed_only_days"])}).fetchall()
            assert s8.get(code, []) == rows, code
            rows = raw_cursor(conn).execute(s4_outside_stay.sql(ctx.sql), {"s": 1, "w0": ctx.w0, "w1": ctx.w1}).fetchall()
            assert s4.get(code, []) == rows, code
            rows = raw_cursor(conn).execute(s3_daily_limit.sql(ctx.sql), {"s": 1, "w0": ctx.w0, "w1": ctx.w1}).fetchall()
            assert s3.get(code, []) == rows, code
        assert walked > 20 and short > 0 and early > 0 and sum(len(r) for r in s8.values()) > 0
        assert sum(len(r) for r in s4.values()) > 0 and sum(len(r) for r in s3.values()) > 0
