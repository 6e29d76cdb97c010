"""One language at a time: the main CLI commands on the demo, in English and in Chinese.

English output holds no Chinese but the data's own values (names, drug names, texts people
typed); Chinese output holds no English but data values, codes and file names. Nothing shows
a raw event kind or a raw key.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from inspector import i18n
from inspector.cli import run
from tests.support.stores import connect, copy_store



ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
WORD = re.compile(r"(?<![\w/.-])[A-Za-z][A-Za-z_]{3,}(?![\w/.-])")
# English words that may stand in Chinese output: formats and names of standards
ALLOWED_WORDS = {"SHA", "PDF", "JSON", "PAdES", "UTF", "Excel", "SQLite", "PostgreSQL", "Inspector", "Postgre"}
# values a user types (census outcomes) and contract column names, as the help names them
INTERFACE_WORDS = {"present", "identity_mismatch", "on_leave", "absent", "discharged", "mdtrt_id", "fixmedins_code",
                   "table", "json", "small", "hospital", "excel", "text", "open", "confirmed", "dismissed",
                   "inspector", "pass", "fail", "postgresql", "psycopg", "user", "host", "manual", "census",
                   "stock", "record", "finding", "default", "decide", "templates", "list", "import", "status",
                   "queue", "create", "issue", "keys"}


@pytest.fixture
def demo(demo_workdir) -> Path:
    return demo_workdir


_LEAD: list[str] = []   # the demo lead's login and password, set by _run_all from the demo's password file


def _lead_connection(db: Path):
    """The (encrypted) demo store opened as the demo's lead would."""
    return connect(db, *_LEAD)


def _commands(db: Path, tmp: Path, demo: Path, lang: str) -> list[list[str]]:
    con = _lead_connection(db)
    # a bed of the roster (the demo checks every bed: the tick may be refused, in the same language)
    mdtrt = con.execute("SELECT json_extract(payload, '$.mdtrt_id') FROM event WHERE kind = 'census.outcome' "
                        "AND json_extract(payload, '$.outcome') = 'present' ORDER BY seq LIMIT 1").fetchone()[0]
    con.close()
    d = ["--db", str(db)]
    i = ["--inspection", "1"]
    return [
        ["inspections", *d], ["leads", *i, *d], ["settings", *i, *d], ["census", *i, "--summary", *d],
        ["census", *i, "--roster", "--ward", "BQ01", *d],
        ["census", *i, "--mdtrt", mdtrt, "--outcome", "absent", "--note", "n", "--at", "2026-10-08 10:30:00", *d],
        ["census", *i, "--undo", *d], ["stock", *i, "--summary", *d], ["records", *i, "--summary", *d],
        ["records", "templates", "list", *d], ["team", *i, *d], ["findings", "list", *i, *d],
        ["findings", "show", *i, "1", *d], ["evidence", "list", *i, *d], ["upload", "status", *d],
        ["verify", str(demo / "inspection-1-signed.pdf"), *d],
        ["report", *i, "--out", str(tmp / f"r-{lang}.pdf"), *d],
        ["export-xlsx", *i, "--out", str(tmp / f"r-{lang}.xlsx"), *d],
        ["leads", "decide", *i, "--lead", "2", "--status", "dismissed", "--reason", "n", *d],
        ["stock", *i, "--drug", "X", "--counted", "1e308", *d],       # an error, in the same language
        ["census", *i, "--summary", "--db", str(tmp / "missing.db")],  # a store error too
        ["--help"], ["census", "--help"],
    ]


def _data_values(db: Path, *, with_events: bool) -> list[str]:
    """Text values of the data: snapshot rows, names, templates (and event payload texts)."""
    con = _lead_connection(db)
    values: set[str] = set()
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'snap_%'")]
    for t in tables:
        for row in con.execute(f"SELECT * FROM {t}"):
            values.update(v for v in row if isinstance(v, str) and v)
    values.update(r[0] for r in con.execute("SELECT DISTINCT author FROM event") if r[0])
    values.update(r[0] for r in con.execute("SELECT DISTINCT fixmedins_name FROM inspection") if r[0])
    values.update(r[0] for r in con.execute("SELECT name FROM checklist_template"))
    values.update(r[0] for r in con.execute("SELECT json_extract(payload, '$.filename') FROM event "
                                             "WHERE kind = 'evidence.added'") if r[0])     # file names
    if with_events:
        def leaves(o):
            if isinstance(o, str):
                yield o
            elif isinstance(o, dict):
                for v in o.values():
                    yield from leaves(v)
            elif isinstance(o, list):
                for v in o:
                    yield from leaves(v)
        for (payload,) in con.execute("SELECT payload FROM event"):
            for s in leaves(json.loads(payload)):
                if s:   # tables show long texts cut to their first line's first 40 characters
                    values.update({s, s.splitlines()[0][:40]})
    con.close()
    return sorted(values, key=len, reverse=True)


def _run_all(lang: str, demo: Path, tmp: Path, capsys) -> tuple[str, Path]:
    import os

    pw = demo / "passwords" / "chenzq.txt"      # commands that write log in as the demo's team lead
    if pw.exists():
        os.environ.update(INSPECTOR_USER="chenzq", INSPECTOR_PASSWORD_FILE=str(pw))
        _LEAD[:] = ["chenzq", pw.read_text(encoding="utf-8").strip()]
    db = tmp / f"store-{lang}.db"
    copy_store(demo / "inspector.db", db)
    before = i18n.language()
    chunks = []
    try:
        for argv in _commands(db, tmp, demo, lang):
            capsys.readouterr()
            try:
                code = run(["--lang", lang, *argv])
            except SystemExit as exc:       # --help
                code = exc.code
            out = capsys.readouterr()
            assert code in (0, 2), (argv, code, out.err)
            assert "Traceback" not in out.err
            chunks.append(out.out + out.err)
    finally:
        i18n.set_language(before)
    return "\n".join(chunks), db


def _strip(text: str, values: list[str], extra: list[str]) -> str:
    for v in [*extra, *values]:
        text = text.replace(v, " ")
    return text


def test_english_output_has_no_chinese_but_data(demo, tmp_path, capsys):
    text, db = _run_all("en", demo, tmp_path, capsys)
    rest = _strip(text, _data_values(db, with_events=True), [])
    leftovers = [line for line in rest.splitlines() if CJK.search(line)]
    assert not leftovers, "\n".join(leftovers[:20])
    # the lead summaries are rendered in English from their figures
    assert "discharged" in text and "fees of the later stay in the window" in text
    for raw in ("census.outcome", "census.undone", "finding.created", "not_counted", "lead:S1"):
        assert raw not in text, raw


def test_chinese_output_has_no_english_but_data(demo, tmp_path, capsys):
    text, db = _run_all("zh_CN", demo, tmp_path, capsys)
    assert "住院" in text and "错误：" in text and "用法：" in text
    uuids = re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text)
    paths = re.findall(r"/\S+", text)
    extra = [*uuids, *paths, "inspector_1", "inspector_2", "lead", "--lang", "zh_CN|en"]
    rest = _strip(text, _data_values(db, with_events=False), extra)
    # the CLI's own syntax in help and hints (command and option names) is not prose
    rest = re.sub(r"`[^`]*`|--[\w-]+|<[\w ]+>|\{[^}]*\}|\[[^\]]*\]|[A-Z_]{2,}|main\.py", " ", rest)
    words = set(WORD.findall(rest)) - ALLOWED_WORDS - INTERFACE_WORDS
    from inspector.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    words -= set(sub.choices)            # command names in the help listing
    assert not words, sorted(words)
    for raw in ("census.outcome", "census.undone", "finding.created", "否: 1", "not_counted", "lead:S1"):
        assert raw not in text, raw


# The command line's own modules and the core modules of its error boundary and wording
CLI_MODULES = ["cli/__init__.py", "cli/common.py", "cli/data.py", "cli/checks.py", "cli/audit.py", "cli/screening.py",
               "cli/upload.py", "cli/sync.py", "cli/xlsx.py", "cli/documents.py", "cli/demo.py", "cli/walkthrough.py",
               "cli/record.py", "cli/planning.py", "db.py", "errors.py", "limits.py", "progress.py",
               "screening/summaries.py", "screening/leads.py", "settings.py", "checks/stock.py", "checks/records.py",
               "findings/penalty.py", "findings/lifecycle.py", "findings/sources.py", "signing/keystore.py"]


def test_every_message_of_the_cli_has_a_chinese_translation():
    from babel.messages.extract import extract_python

    table = i18n.catalog("zh_CN")
    missing = []
    for rel in CLI_MODULES:
        with open(ROOT / "inspector" / rel, "rb") as f:
            for line, _func, msg, _c in extract_python(f, {"_": None, "N_": None}, [], {}):
                if isinstance(msg, str) and msg and msg not in table:
                    missing.append(f"{rel}:{line}: {msg}")
    assert not missing, "\n".join(missing)
