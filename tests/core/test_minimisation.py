"""Data minimisation: nothing the store keeps, the CLI prints, the PDF or the workbook shows
lets a full ID number be rebuilt (the mask's first 6 + last 4 characters joined with the
birth date were the 8 hidden ones; the salted hash with its salt confirmed any guess)."""
from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import subprocess
from datetime import date, timedelta

import openpyxl
import pytest

from inspector.checks.census import certno_check_char
from inspector.cli import run
from inspector.db import open_store
from inspector.demo.walkthrough import DEMO_LOGINS, DEMO_TEAM

LEAD = next(DEMO_LOGINS[name] for name, _c, role in DEMO_TEAM if role == "lead")


def _demo_store(work):
    """The demo's encrypted store, opened as its lead."""
    from inspector.accounts import read_password_file
    from inspector.storecrypt import unlock_store

    return unlock_store(work / "inspector.db", LEAD, read_password_file(work / "passwords" / f"{LEAD}.txt"))
from inspector.snapshot import table_digest


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo, run once: its store, signed PDF, an exported workbook and the CLI outputs."""
    work = tmp_path_factory.mktemp("demo")
    assert run(["demo", "--workdir", str(work)]) == 0
    db = str(work / "inspector.db")
    env = {**os.environ, "INSPECTOR_USER": LEAD, "INSPECTOR_PASSWORD_FILE": str(work / "passwords" / f"{LEAD}.txt")}
    outputs = []
    for argv in (["inspections", "--format", "json"],
                 ["census", "--inspection", "1", "--roster", "--format", "json"],
                 ["census", "--inspection", "1", "--roster"],
                 ["census", "--inspection", "1", "--summary", "--format", "json"],
                 ["leads", "--inspection", "1", "--format", "json"],
                 ["findings", "list", "--inspection", "1", "--format", "json"],
                 ["export-xlsx", "--inspection", "1", "--out", str(work / "findings.xlsx")]):
        proc = subprocess.run([".venv/bin/python", "main.py", *argv, "--db", db], capture_output=True, text=True,
                              env=env)
        assert proc.returncode == 0, (argv, proc.stderr)
        outputs.append(proc.stdout + proc.stderr)
    return work, "\n".join(outputs)


def _store_text(engine) -> str:
    """Every value of every table of the store, as text (attachments and PDFs as decoded bytes too)."""
    parts = []
    with engine.connect() as conn:
        tables = [r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for t in tables:
            for row in conn.exec_driver_sql(f'SELECT * FROM "{t}"'):
                for v in row:
                    parts.append(v.decode("latin-1") if isinstance(v, bytes) else str(v))
    return "\n".join(parts)


def _workbook_text(path) -> str:
    wb = openpyxl.load_workbook(path, read_only=True)
    return "\n".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None)


def _people(central):
    """psn_no -> (full ID number, birth date) of the demo central's persons (it has the dates)."""
    con = sqlite3.connect(central)
    out = {}
    for psn_no, brdy, mask in con.execute("SELECT psn_no, brdy, certno_mask FROM psn_info"):
        full = mask[:6] + brdy.replace("-", "") + mask[-4:]
        assert certno_check_char(full[:17]) == full[17]  # the join really rebuilds the contract's numbers
        out[psn_no] = (full, brdy)
    salt = con.execute("SELECT value FROM extract_meta WHERE key = 'certno_salt'").fetchone()[0]
    hashes = [r[0] for r in con.execute("SELECT certno_hash FROM psn_info")]
    con.close()
    return out, salt, hashes


def _candidates(mask: str, year: int) -> list[str]:
    """Every full number that fits a mask and a birth year (valid date, valid check digit)."""
    out, d = [], date(year, 1, 1)
    while d.year == year:
        first17 = mask[:6] + d.strftime("%Y%m%d") + mask[-4:-1]
        if certno_check_char(first17) == mask[-1]:
            out.append(first17 + mask[-1])
        d += timedelta(days=1)
    return out


def test_no_full_id_number_can_be_rebuilt_from_store_cli_pdf_or_workbook(demo):
    work, cli_text = demo
    people, salt, hashes = _people(work / "demo-central.db")
    engine = _demo_store(work)
    store_text = _store_text(engine)
    pdf_text = subprocess.run(["pdftotext", str(work / "inspection-1-signed.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
    xlsx_text = _workbook_text(work / "findings.xlsx")
    with engine.connect() as conn:
        kept = conn.exec_driver_sql("SELECT psn_no, certno_mask, birth_year FROM snap_psn_info").fetchall()
        columns = {r[1] for r in conn.exec_driver_sql("PRAGMA table_info(snap_psn_info)")}
    assert len(kept) > 500 and {r[0] for r in kept} <= set(people)
    assert "brdy" not in columns and "certno_hash" not in columns
    shown = {"store": store_text, "cli": cli_text, "pdf": pdf_text, "xlsx": xlsx_text}
    date_tokens = {where: set(re.findall(r"\d{4}-\d{2}-\d{2}|\d{8}", text)) for where, text in shown.items()}
    for where, text in shown.items():
        # the join the issue found: no mask is completed by a birth date, since no birth date is there
        assert not any(people[p][1] in date_tokens[where] or people[p][1].replace("-", "") in date_tokens[where]
                       for p, _m, _y in kept), where
        assert not any(people[p][0] in text for p, _m, _y in kept), where
        # and no guess can be confirmed: neither the salt nor any hash is kept or shown
        assert salt not in text, where
        assert not any(h in text for h in hashes), where
    # what is kept (mask + birth year) leaves many numbers per person: none is singled out
    counts = sorted(len(_candidates(mask, year)) for _p, mask, year in kept)
    assert counts[0] >= 10 and counts[len(counts) // 2] >= 25
    for p, mask, year in kept:
        assert people[p][0] in _candidates(mask, year)  # (the enumeration is right)


def test_census_still_checks_an_id_number_against_mask_and_birth_year(demo):
    """The demo's verified ID matched; the digest of psn_info is of its reduced form."""
    work, _ = demo
    engine = _demo_store(work)
    with engine.connect() as conn:
        payloads = [json.loads(p) for (p,) in conn.exec_driver_sql(
            "SELECT payload FROM event WHERE kind = 'census.outcome'")]
        assert any(p["id_match"] is True for p in payloads)
        sid, digests = conn.exec_driver_sql("SELECT id, digests FROM snapshot").fetchone()
        cur = conn.connection.driver_connection.cursor()
        assert json.loads(digests)["psn_info"] == table_digest(cur, "psn_info", sid)
        lines = "".join(r[0] + "\n" for r in conn.exec_driver_sql(
            "SELECT json_array(psn_no, psn_name, gend, birth_year, certno_mask, insutype) FROM snap_psn_info "
            "WHERE snapshot_id = ? ORDER BY psn_no", (sid,)))
        assert json.loads(digests)["psn_info"] == hashlib.sha256(lines.encode()).hexdigest()


def test_a_store_with_birth_dates_is_converted_and_its_old_pages_purged(tmp_path):
    """A 0003 store with birth dates, hashes and the salt opens reduced, digests recomputed, no date left in the file."""
    from alembic import command

    from inspector.db import alembic_config, head_revision, make_engine

    p = tmp_path / "v3.db"
    engine = make_engine(p)
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
    engine.dispose()
    con = sqlite3.connect(p)
    con.execute("INSERT INTO inspection (uid, fixmedins_code, fixmedins_name, date_from, date_to, visit_time, status, "
                "team, settings, created_at) VALUES ('u1', 'H61010000001', '旧医院', '2026-01-01', '2026-03-31', "
                "'2026-04-02 09:00:00', 'synced', '[]', '{}', '2026-04-01 08:00:00')")
    con.execute("INSERT INTO snapshot (inspection_id, version, source_kind, source, extract_id, schema_version, "
                "synced_at, row_counts, digests) VALUES (1, 1, 'central', 'x', 'e1', '1', '2026-04-01 08:00:00', "
                "'{}', '{\"psn_info\": \"old\", \"feedetl\": \"kept\"}')")
    con.executemany("INSERT INTO snap_psn_info VALUES (1, ?, ?, '1', ?, ?, ?, '310')",
                    [(f"P{i}", f"病人{i}", f"19{40 + i}-0{1 + i % 9}-1{i % 10}", f"610102********{1000 + i}", "ab" * 32)
                     for i in range(40)])
    con.executemany("INSERT INTO snap_extract_meta VALUES (1, ?, ?)", [("certno_salt", "SALTSALTSALT"), ("extract_id", "e1")])
    con.commit()
    con.close()
    engine = open_store(p)
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head_revision()
        assert c.exec_driver_sql("SELECT birth_year FROM snap_psn_info WHERE psn_no = 'P3'").scalar() == 1943
        assert c.exec_driver_sql("SELECT count(*) FROM snap_extract_meta WHERE key = 'certno_salt'").scalar() == 0
        digests = json.loads(c.exec_driver_sql("SELECT digests FROM snapshot").scalar())
        cur = c.connection.driver_connection.cursor()
        assert digests["psn_info"] == table_digest(cur, "psn_info", 1) and digests["feedetl"] == "kept"
        assert digests["extract_meta"] == table_digest(cur, "extract_meta", 1)
    engine.dispose()
    raw = b"".join(f.read_bytes() for f in tmp_path.iterdir() if f.name.startswith("v3.db"))
    assert b"1943-04-13" not in raw and b"SALTSALTSALT" not in raw and b"ab" * 32 not in raw
    assert "病人3".encode() in raw  # (a plain store: the file is readable, the dates are gone)
