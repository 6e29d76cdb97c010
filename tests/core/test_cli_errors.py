"""The CLI's promise (README): bad input gets one clear message and exit 2, and nothing changes.

Each case runs `main.py` as a real subprocess on a copy of the demo store and checks the exit
code, that no traceback reaches the terminal, and that the store's bytes are unchanged.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from inspector import i18n
from tests.support.stores import connect, copy_store



ROOT = Path(__file__).resolve().parents[2]


def _lead_connection(db: Path, read_only: bool = False):
    """The (encrypted) demo store opened as the demo's lead would."""
    pw = Path(DEMO_LOGIN["INSPECTOR_PASSWORD_FILE"]).read_text(encoding="utf-8").strip()
    return connect(db, DEMO_LOGIN["INSPECTOR_USER"], pw, read_only=read_only)


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG", "INSPECTOR_DB")}
    return {**env, "PYTHONPATH": str(ROOT), "INSPECTOR_LOG_DIR": str(tmp / "log"), "LANG": "C.UTF-8", **extra}


DEMO_LOGIN: dict[str, str] = {}


def _main(args: list, tmp: Path, **env: str) -> subprocess.CompletedProcess:
    env = {**DEMO_LOGIN, **env}
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=tmp, env=_env(tmp, **env),
                          capture_output=True, timeout=120)


def _digest(db: Path) -> str:
    h = hashlib.sha256(db.read_bytes())
    wal = Path(f"{db}-wal")
    if wal.exists():
        h.update(wal.read_bytes())
    return h.hexdigest()


@pytest.fixture
def demo(demo_workdir) -> Path:
    """The demo's workdir: store, demo central, keys, PDFs (built once for the session); commands log in
    as the demo's team lead (its demo password file), as every command that writes must."""
    pw = demo_workdir / "passwords" / "chenzq.txt"
    if pw.exists():
        DEMO_LOGIN.update(INSPECTOR_USER="chenzq", INSPECTOR_PASSWORD_FILE=str(pw))
    return demo_workdir


@pytest.fixture(scope="module")
def p12(tmp_path_factory) -> Path:
    """A PKCS#12 key of our own demo CA (the demo keeps its keys inside the store)."""
    work = tmp_path_factory.mktemp("key")
    pw = work / "pw"
    pw.write_text("a long enough passphrase\n")
    for argv in (["keys", "create-demo-ca", "--out", str(work / "ca"), "--passphrase-file", str(pw)],
                 ["keys", "issue", "--ca", str(work / "ca"), "--ca-passphrase-file", str(pw), "--name", "Wang",
                  "--cert-no", "61010020260001", "--out", str(work / "k.p12"), "--passphrase-file", str(pw)]):
        out = _main(argv + ["--db", str(work / "s.db")] if argv[1] == "create-demo-ca" else argv, work)
        assert out.returncode == 0, out.stderr.decode()
    return work / "k.p12"


@pytest.fixture
def store(demo, tmp_path) -> Path:
    db = tmp_path / "store.db"
    copy_store(demo / "inspector.db", db)
    return db


def _ids(db: Path) -> dict[str, str]:
    con = _lead_connection(db, read_only=True)
    try:
        mdtrt = con.execute("SELECT json_extract(payload, '$.mdtrt_id') FROM event WHERE kind = 'census.outcome' "
                            "LIMIT 1").fetchone()[0]
        drug = con.execute("SELECT json_extract(payload, '$.med_list_codg') FROM event "
                           "WHERE kind LIKE 'stock.%' AND json_extract(payload, '$.med_list_codg') IS NOT NULL "
                           "LIMIT 1").fetchone()
        rec = con.execute("SELECT json_extract(payload, '$.ids[0]') FROM event WHERE kind = 'records.sample'").fetchone()
    finally:
        con.close()
    return {"M": mdtrt, "D": drug[0] if drug else "X", "R": rec[0] if rec else "X"}


def _readonly(db: Path) -> Path:
    db.chmod(0o444)
    return db


# (name, argv with {db}/{M}/{D}/{R}/{demo}/{tmp} placeholders, preparation of the store, text expected in stderr)
CASES = [
    ("db is a directory", ["inspections", "--db", "{tmp}"], None, "is a folder"),
    ("read-only store, writing command",
     ["census", "--inspection", "1", "--mdtrt", "{M}", "--outcome", "absent", "--note", "x", "--db", "{db}"],
     _readonly, "read-only"),
    ("read-only store, finding", ["findings", "add", "--inspection", "1", "--amount", "10", "--category", "V07",
                                  "--description", "x", "--db", "{db}"], _readonly, "read-only"),
    ("counted 1e308", ["stock", "--inspection", "1", "--drug", "{D}", "--counted", "1e308", "--db", "{db}"], None,
     "largest accepted value"),
    ("counted 10^23", ["stock", "--inspection", "1", "--drug", "{D}", "--counted", "99999999999999999999999",
                       "--db", "{db}"], None, "largest accepted value"),
    ("counted NaN", ["stock", "--inspection", "1", "--drug", "{D}", "--counted", "NaN", "--db", "{db}"], None,
     "not a number"),
    ("counted -inf", ["stock", "--inspection", "1", "--drug", "{D}", "--counted=-Infinity", "--db", "{db}"], None,
     "not a number"),
    ("record amount 1e30", ["records", "--inspection", "1", "--mdtrt", "{R}", "--item", "admission_indication",
                            "--outcome", "fail", "--amount", "1e30", "--db", "{db}"], None, "largest accepted value"),
    ("finding amount 1e30", ["findings", "add", "--inspection", "1", "--amount", "1e30", "--category", "V07",
                             "--description", "x", "--db", "{db}"], None, "largest accepted value"),
    ("multiplier 1e400", ["findings", "add", "--inspection", "1", "--amount", "10", "--category", "V07",
                          "--multiplier", "1e400", "--description", "x", "--db", "{db}"], None, "largest accepted"),
    ("argument not UTF-8", ["census", "--inspection", "1", "--mdtrt", "{M}", "--outcome", "absent", "--note",
                            b"\xff\xfe bad", "--db", "{db}"], None, "not valid UTF-8"),
    ("sign --key missing absolute path", ["sign", "{demo}/inspection-1.pdf", "--key", "/nonexistent/dir/k.p12",
                                          "--passphrase-file", "{tmp}/pw", "--out", "{tmp}/o.pdf", "--db", "{db}"],
     None, "no such file"),
    ("wrong passphrase", ["sign", "{demo}/inspection-1.pdf", "--key", "{key}", "--passphrase-file", "{tmp}/pw",
                          "--out", "{tmp}/o.pdf", "--db", "{db}"], None, "passphrase is wrong"),
    ("census --at before the window", ["census", "--inspection", "1", "--mdtrt", "{M}", "--outcome", "absent",
                                       "--note", "x", "--at", "2020-01-01 08:00:00", "--db", "{db}"], None,
     "before the reviewed window"),
    ("unknown language", ["--lang", "fr", "inspections", "--db", "{db}"], None, "zh_CN"),
    ("unknown option", ["inspections", "--bogus", "--db", "{db}"], None, "--bogus"),
    ("unknown inspection", ["census", "--inspection", "99", "--summary", "--db", "{db}"], None, "99"),
]


@pytest.mark.parametrize("name,argv,prepare,expected", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_message_exit_2_nothing_changed(name, argv, prepare, expected, demo, store, tmp_path, p12):
    (tmp_path / "pw").write_text("wrong passphrase\n")
    if prepare is not None:
        prepare(store)
    ids = _ids(store)
    key = p12
    subst = {"db": str(store), "tmp": str(tmp_path), "demo": str(demo), "key": str(key), **ids}
    args = [a if isinstance(a, bytes) else a.format(**subst) for a in argv]
    before = _digest(store)
    out = _main(["--lang", "en", *args], tmp_path)
    err = out.stderr.decode("utf-8", "replace")
    assert out.returncode == 2, (name, out.returncode, err)
    assert "Traceback" not in err and b"Traceback" not in out.stdout, err
    assert expected in err, err
    error_lines = [line for line in err.splitlines() if line.startswith(("error", "错误"))]
    assert len(error_lines) == 1, err
    assert _digest(store) == before, f"{name}: the store changed"
    assert not (tmp_path / "o.pdf").exists()


def test_the_same_refusal_speaks_chinese_by_default(store, tmp_path):
    out = _main(["stock", "--inspection", "1", "--drug", "X", "--counted", "1e308", "--db", str(store)], tmp_path)
    err = out.stderr.decode()
    assert out.returncode == 2
    assert err.startswith("错误：") and "超出允许的最大值" in err, err


def test_store_in_a_missing_folder_is_not_created_by_a_read_command(tmp_path):
    target = tmp_path / "nowhere" / "deeper" / "inspector.db"
    out = _main(["--lang", "en", "inspections", "--db", str(target)], tmp_path)
    assert out.returncode == 2
    assert b"no Inspector store" in out.stderr and b"Traceback" not in out.stderr
    assert not (tmp_path / "nowhere").exists()


def test_foreign_sqlite_database_is_refused_not_migrated(demo, tmp_path):
    copy = tmp_path / "central-copy.db"
    shutil.copyfile(demo / "demo-central.db", copy)
    before = _digest(copy)
    for argv in (["inspections"], ["census", "--inspection", "1", "--summary"], ["verify-log"]):
        out = _main(["--lang", "en", *argv, "--db", str(copy)], tmp_path)
        assert out.returncode == 2, out.stderr
        assert b"another program" in out.stderr and b"Traceback" not in out.stderr
    assert _digest(copy) == before
    con = sqlite3.connect(copy)
    assert con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'").fetchone()[0] == 0
    con.close()


def test_read_only_store_still_reads(store, tmp_path):
    _readonly(store)
    before = _digest(store)
    out = _main(["--lang", "en", "census", "--inspection", "1", "--summary", "--db", str(store)], tmp_path)
    assert out.returncode == 0, out.stderr
    assert _digest(store) == before


def test_output_piped_into_head_ends_quietly(store, tmp_path):
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "census", "--inspection", "1", "--roster",
                             "--format", "json", "--db", str(store)], cwd=tmp_path, env=_env(tmp_path, **DEMO_LOGIN),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"["
    proc.stdout.close()                      # what `head -1` does
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0
    assert err == b"", err


def test_connection_error_keeps_its_words_and_hides_only_the_password(store, tmp_path):
    out = _main(["--lang", "en", "sync", "--central", "postgresql://inspector:p@127.0.0.1:1/central",
                 "--institution", "H1", "--from", "2026-01-01", "--to", "2026-03-31", "--db", str(store)], tmp_path)
    err = out.stderr.decode()
    assert out.returncode == 2, err
    assert "port 1 failed" in err and "***ort" not in err, err
    assert ":p@" not in err


def test_redaction_masks_only_the_password():
    from inspector.sync.source import _redact_text

    assert _redact_text('connection to server at "127.0.0.1", port 1 failed', "p") == \
        'connection to server at "127.0.0.1", port 1 failed'
    assert _redact_text("postgresql://u:p@h:5432/db refused", "p") == "postgresql://u:***@h:5432/db refused"
    assert _redact_text("dsn host=h password=s3cret port=1", "s3cret") == "dsn host=h password=*** port=1"
    assert _redact_text("x postgresql://u:a%40b@h/db", None) == "x postgresql://u:***@h/db"


def test_an_unexpected_error_is_one_line_naming_a_bug_with_details_logged(tmp_path, monkeypatch, capsys):
    """Anything that is not a user error reaching the boundary: one line, exit 70, the traceback in the log."""
    from inspector import cli

    monkeypatch.setenv("INSPECTOR_LOG_DIR", str(tmp_path / "log"))

    def explode(sub, common):
        p = sub.add_parser("explode", parents=[common])
        p.set_defaults(func=lambda args: {}["missing key"])

    before = i18n.language()
    try:
        code = cli.run(["--lang", "en", "explode"], extra=(explode,))
    finally:
        i18n.set_language(before)
    captured = capsys.readouterr()
    assert code == cli.EXIT_BUG
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "bug" in lines[0] and "Traceback" not in captured.err, captured.err
    log = (tmp_path / "log" / "inspector-debug.log").read_text()
    assert "Traceback" in log and "KeyError" in log and "explode" in log


def test_language_from_environment():
    from inspector.cli import language_from_env

    assert language_from_env({}) == "zh_CN"
    assert language_from_env({"LANG": "en_US.UTF-8"}) == "en"
    assert language_from_env({"LANG": "zh_TW.UTF-8"}) == "zh_CN"
    assert language_from_env({"LANG": "de_DE.UTF-8"}) == "zh_CN"
    assert language_from_env({"LANG": "C.UTF-8"}) == "zh_CN"
    assert language_from_env({"LC_ALL": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"
    assert language_from_env({"LC_ALL": "", "LANG": "en_US"}) == "en"
