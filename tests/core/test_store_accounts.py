"""The encrypted store with accounts: the first account creates it (key, slot, recovery key), each
new account adds a slot, commands open it with INSPECTOR_USER + INSPECTOR_PASSWORD_FILE, and the
recovery key opens it when every password is lost (both recorded as events)."""
from __future__ import annotations

import json
import re
import sqlite3

import pytest

from inspector import keyslots
from inspector.cli import run
from inspector.db import is_encrypted_file, lock_store, open_store


@pytest.fixture(autouse=True)
def _fast(monkeypatch):
    monkeypatch.setenv(keyslots.TEST_PARAMS_ENV, "fast")
    yield
    lock_store()


def _pw(tmp_path, name: str, text: str):
    p = tmp_path / f"{name}.pw"
    p.write_text(text + "\n", encoding="utf-8")
    return p


def _as(monkeypatch, login: str, pw_file) -> None:
    monkeypatch.setenv("INSPECTOR_USER", login)
    monkeypatch.setenv("INSPECTOR_PASSWORD_FILE", str(pw_file))


def test_accounts_open_the_encrypted_store_and_the_recovery_key_resets_a_password(tmp_path, monkeypatch, capsys):
    db = tmp_path / "inspector.db"
    lead_pw = _pw(tmp_path, "lead", "lead password 1")
    li_pw = _pw(tmp_path, "li", "li password 12")
    monkeypatch.delenv("INSPECTOR_USER", raising=False)
    monkeypatch.delenv("INSPECTOR_PASSWORD_FILE", raising=False)
    assert run(["account", "create", "chen", "--role", "lead", "--cert-no", "61010020260003",
                "--password-file", str(lead_pw), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    recovery = re.search(r"([A-Z2-7]{4}(?:-[A-Z2-7]{4}){7})", out).group(1)
    assert is_encrypted_file(db) and keyslots.slot_logins(db) == ["chen"]
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(db).execute("SELECT * FROM account").fetchall()
    lock_store()
    # a second account, created by the lead, gets its own slot
    _as(monkeypatch, "chen", lead_pw)
    assert run(["account", "create", "li", "--role", "inspector", "--cert-no", "61010020260002",
                "--password-file", str(li_pw), "--db", str(db)]) == 0
    assert keyslots.slot_logins(db) == ["chen", "li"]
    lock_store()
    # li opens the store with her own password; a wrong password opens nothing
    _as(monkeypatch, "li", li_pw)
    capsys.readouterr()
    assert run(["account", "list", "--format", "json", "--db", str(db)]) == 0
    assert {a["login"] for a in json.loads(capsys.readouterr().out)} == {"chen", "li"}
    lock_store()
    _as(monkeypatch, "li", _pw(tmp_path, "wrong", "not li's password"))
    assert run(["account", "list", "--db", str(db)]) == 2
    assert "登录名或密码错误" in capsys.readouterr().err
    # every password lost: the recovery key opens the store and sets li's new password
    new_pw = _pw(tmp_path, "new", "li new password 3")
    key_file = tmp_path / "recovery.txt"
    key_file.write_text(recovery.lower() + "\n")
    monkeypatch.delenv("INSPECTOR_USER")
    monkeypatch.delenv("INSPECTOR_PASSWORD_FILE")
    bad_key = tmp_path / "bad.txt"
    bad_key.write_text("AAAA-" * 7 + "AAAA\n")
    assert run(["account", "recover", "--recovery-key-file", str(bad_key), "--db", str(db)]) == 2
    assert run(["account", "recover", "--recovery-key-file", str(key_file), "--login", "li",
                "--password-file", str(new_pw), "--db", str(db)]) == 0
    lock_store()
    _as(monkeypatch, "li", li_pw)
    assert run(["account", "list", "--db", str(db)]) == 2
    lock_store()
    _as(monkeypatch, "li", new_pw)
    assert run(["account", "list", "--db", str(db)]) == 0
    with open_store(db).connect() as c:
        kinds = [r[0] for r in c.exec_driver_sql("SELECT kind FROM event ORDER BY seq")]
    assert kinds.count("store.recovered") == 1 and kinds.count("account.password_reset") == 1


def test_the_first_account_on_a_plain_store_encrypts_it_with_its_data(tmp_path, monkeypatch, capsys):
    db = tmp_path / "inspector.db"
    engine = open_store(db)
    with engine.begin() as c:
        c.exec_driver_sql(
            "INSERT INTO inspection (uid, fixmedins_code, fixmedins_name, date_from, date_to, visit_time, status, "
            "team, settings, created_at) VALUES ('u1', 'H61010000001', '老医院甲乙', '2026-01-01', '2026-03-31', "
            "'2026-04-02 09:00:00', 'synced', '[]', '{}', '2026-04-01 08:00:00')")
    engine.dispose()
    monkeypatch.delenv("INSPECTOR_USER", raising=False)
    assert run(["account", "create", "chen", "--role", "lead", "--cert-no", "61010020260003",
                "--password-file", str(_pw(tmp_path, "lead", "lead password 1")), "--db", str(db)]) == 0
    assert is_encrypted_file(db)
    assert "老医院甲乙".encode() not in b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("inspector.db"))
    with open_store(db).connect() as c:
        assert c.exec_driver_sql("SELECT fixmedins_name FROM inspection").scalar() == "老医院甲乙"
