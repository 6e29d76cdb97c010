"""Accounts: creation rules, Argon2id passwords, the slowing of wrong tries, keys that belong to
people, and the CLI authenticating from INSPECTOR_USER / INSPECTOR_PASSWORD_FILE."""
from __future__ import annotations

import json
import sqlite3
import time

import pytest

from inspector.accounts import (ARGON2_PARAMS, AuthError, PermissionDenied, authenticate, create_account,
                                list_accounts, set_account_key, throttle_delay)
from inspector.cli import run
from inspector.db import open_store
from inspector.errors import UserError
from tests.support.accounts import make_accounts, password_of, use_account


pytestmark = pytest.mark.usefixtures("english")   # messages are matched in English


def test_first_account_is_a_lead_then_only_a_lead_creates(engine):
    with pytest.raises(UserError, match="first account"):
        create_account(engine, "li", "long-enough-pw", "inspector", "1", actor=None)
    with pytest.raises(UserError, match="at least 10"):
        create_account(engine, "zhang", "short", "lead", "1", actor=None)
    zhang = create_account(engine, "zhang", "long-enough-pw", "lead", "61010020269001", "张组长", actor=None)
    with pytest.raises(PermissionDenied):
        create_account(engine, "li", "long-enough-pw", "inspector", "2", actor=None)
    li = create_account(engine, "li", "long-enough-pw", "inspector", "2", "李检查", actor=zhang)
    with pytest.raises(PermissionDenied, match="only a team lead"):
        create_account(engine, "wang", "long-enough-pw", "inspector", "3", actor=li)
    with pytest.raises(UserError, match="already exists"):
        create_account(engine, "li", "long-enough-pw", "inspector", "3", actor=zhang)
    with engine.connect() as c:
        accounts = list_accounts(c)
        stored = c.exec_driver_sql("SELECT password_hash FROM account WHERE login = 'li'").scalar()
        created = c.exec_driver_sql("SELECT author, payload FROM event WHERE kind = 'account.created'").fetchall()
    assert [(a.login, a.role, a.created_by) for a in accounts] == [("zhang", "lead", None), ("li", "inspector", "zhang")]
    assert stored.startswith("$argon2id$") and "long-enough-pw" not in stored
    assert [r[0] for r in created] == ["zhang", "zhang"] and json.loads(created[1][1])["login"] == "li"


def test_product_parameters_are_the_readme_ones(engine, monkeypatch):
    monkeypatch.delenv("INSPECTOR_TEST_ARGON2")
    zhang = create_account(engine, "zhang", "long-enough-pw", "lead", "1", actor=None)
    with engine.connect() as c:
        stored = c.exec_driver_sql("SELECT password_hash FROM account").scalar()
    assert ARGON2_PARAMS == {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}
    assert "$m=65536,t=3,p=4$" in stored
    assert authenticate(engine, "zhang", "long-enough-pw") == zhang     # its time: bench/login.py


def test_wrong_password_is_refused_and_slows_the_next_try(engine):
    make_accounts(engine)
    waits: list[float] = []
    clock = [1000.0]
    with pytest.raises(AuthError, match="wrong login or password"):
        authenticate(engine, "li", "not-the-password", sleep=waits.append, clock=lambda: clock[0])
    assert waits == []
    with pytest.raises(AuthError):                     # right away: waits 1 s first, then refused again
        authenticate(engine, "li", "still-wrong-pw", sleep=waits.append, clock=lambda: clock[0])
    assert waits == [1.0]
    with pytest.raises(AuthError):
        authenticate(engine, "li", "wrong-again-pw", sleep=waits.append, clock=lambda: clock[0])
    assert waits == [1.0, 2.0]
    with engine.connect() as c:                       # persisted: a new process waits too
        assert c.exec_driver_sql("SELECT failed_attempts FROM account WHERE login = 'li'").scalar() == 3
    clock[0] += 1.5                                    # 1.5 s later the 4 s delay has 2.5 s left
    li = authenticate(engine, "li", password_of("li"), sleep=waits.append, clock=lambda: clock[0])
    assert waits == [1.0, 2.0, 2.5] and li.login == "li"
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT failed_attempts FROM account WHERE login = 'li'").scalar() == 0
    assert [throttle_delay(n) for n in (0, 1, 2, 3, 10)] == [0, 1, 2, 4, 60]
    with pytest.raises(AuthError, match="wrong login or password"):
        authenticate(engine, "nobody", "whatever-password")


def test_the_slowdown_is_real(engine):
    make_accounts(engine)
    with pytest.raises(AuthError):
        authenticate(engine, "wang", "not-the-password")
    t0 = time.perf_counter()
    authenticate(engine, "wang", password_of("wang"))
    assert time.perf_counter() - t0 >= 0.9


def _issue(tmp_path, name: str, cert_no: str):
    from inspector.signing.ca import create_demo_ca, issue_key

    ca = tmp_path / "ca"
    if not (ca / "ca.pem").exists():
        create_demo_ca(ca, b"ca-passphrase-1")
    p12 = tmp_path / f"{cert_no}.p12"
    issue_key(ca, name, p12, b"key-passphrase-1", cert_no=cert_no, ca_passphrase=b"ca-passphrase-1")
    return p12.read_bytes()


def test_keys_belong_to_people(engine, tmp_path):
    people = make_accounts(engine)
    li = people["li"]
    with pytest.raises(UserError, match="not this account"):     # another person's certificate
        set_account_key(engine, li, password_of("li"), _issue(tmp_path, "王建国", "61010020269003"),
                        b"key-passphrase-1")
    p12 = _issue(tmp_path, "李检查", li.cert_no)
    with pytest.raises(UserError, match="passphrase"):
        set_account_key(engine, li, password_of("li"), p12, b"wrong-passphrase")
    set_account_key(engine, li, password_of("li"), p12, b"key-passphrase-1")
    with engine.connect() as c:
        blob = c.exec_driver_sql("SELECT key_blob FROM account WHERE login = 'li'").scalar()
    assert b"PRIVATE KEY" not in blob and p12 not in blob
    unlocked = authenticate(engine, "li", password_of("li"), with_key=True)
    assert unlocked.key is not None and unlocked.key.certificate.subject.rfc4514_string().find(li.cert_no) >= 0
    assert authenticate(engine, "li", password_of("li")).key is None       # only when asked for


def test_cli_account_create_and_auth_from_env(tmp_path, monkeypatch, capsys):
    db = tmp_path / "new.db"
    pw = tmp_path / "pw.txt"
    pw.write_text("lead-password-1\n", encoding="utf-8")
    assert not db.exists()
    assert run(["account", "create", "zhang", "--role", "lead", "--cert-no", "61010020269001", "--password-file",
                str(pw), "--display-name", "张组长", "--db", str(db)]) == 0
    assert db.exists()
    pw2 = tmp_path / "pw2.txt"
    pw2.write_text("inspector-password-2\n", encoding="utf-8")
    # a second account needs an authenticated lead
    monkeypatch.setattr("sys.stdin", open("/dev/null"))
    assert run(["account", "create", "li", "--role", "inspector", "--cert-no", "2", "--password-file", str(pw2),
                "--db", str(db)]) == 2
    assert "INSPECTOR_USER" in capsys.readouterr().err
    monkeypatch.setenv("INSPECTOR_USER", "zhang")
    monkeypatch.setenv("INSPECTOR_PASSWORD_FILE", str(pw2))           # the wrong password
    assert run(["account", "create", "li", "--role", "inspector", "--cert-no", "2", "--password-file", str(pw2),
                "--db", str(db)]) == 2
    assert "wrong login or password" in capsys.readouterr().err
    monkeypatch.setenv("INSPECTOR_PASSWORD_FILE", str(pw))
    assert run(["account", "create", "li", "--role", "inspector", "--cert-no", "2", "--password-file", str(pw2),
                "--db", str(db)]) == 0
    capsys.readouterr()
    assert run(["account", "list", "--format", "json", "--db", str(db)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(a["login"], a["role"], a["display_name"]) for a in listed] == [("zhang", "lead", "张组长"),
                                                                          ("li", "inspector", "li")]
    assert "password" not in json.dumps(listed)


def test_cli_commands_record_the_account_not_the_os_login(tmp_path, monkeypatch, capsys, cli_account):
    from audit_fixtures import Hospital

    db = tmp_path / "s.db"
    engine = open_store(db)
    h = Hospital(visit_time="2026-11-02 10:00:00").ward("W1")
    h.stay("M1", "P1", "2026-10-30 08:00:00")
    h.fee("M1", "2026-10-31 08:00:00", "10.00")
    iid = h.write(engine)
    engine.dispose()
    cli_account(db, "zhang")
    for login in ("zhang", "li", "wang"):
        assert run(["team", "--inspection", str(iid), "--add", login, "--role",
                    "lead" if login == "zhang" else "inspector", "--db", str(db)]) == 0
    use_account(monkeypatch, tmp_path, "li")
    assert run(["census", "--inspection", str(iid), "--mdtrt", "M1", "--outcome", "absent", "--db", str(db)]) == 0
    monkeypatch.delenv("INSPECTOR_PASSWORD_FILE")
    monkeypatch.setattr("sys.stdin", open("/dev/null"))
    assert run(["census", "--inspection", str(iid), "--undo", "--db", str(db)]) == 2
    assert "INSPECTOR_PASSWORD_FILE" in capsys.readouterr().err
    con = sqlite3.connect(db)
    authors = con.execute("SELECT kind, author FROM event ORDER BY seq").fetchall()
    con.close()
    assert ("census.outcome", "li") in authors and all(a in ("zhang", "li", "wang", "zhao") for _k, a in authors)


def test_cli_sign_as_the_logged_in_account_with_its_stored_key(tmp_path, monkeypatch, capsys):
    from inspector.reports.pdf import render_report
    from inspector.reports.sample import sample_report_data

    data = sample_report_data(findings=1, census=1, photos=0)
    first, other = data.team[0], data.team[1]
    pdf = tmp_path / "report.pdf"
    render_report(data, pdf)
    db = tmp_path / "s.db"
    pw = tmp_path / "pw.txt"
    pw.write_text("account-password-1\n", encoding="utf-8")
    assert run(["account", "create", "a1", "--role", "lead", "--cert-no", first.cert_no, "--display-name", first.name,
                "--password-file", str(pw), "--db", str(db)]) == 0
    monkeypatch.setenv("INSPECTOR_USER", "a1")
    monkeypatch.setenv("INSPECTOR_PASSWORD_FILE", str(pw))
    kp = tmp_path / "kp.txt"
    kp.write_text("key-passphrase-1\n", encoding="utf-8")
    (tmp_path / "mine.p12").write_bytes(_issue(tmp_path, first.name, first.cert_no))
    (tmp_path / "theirs.p12").write_bytes(_issue(tmp_path, other.name, other.cert_no))
    assert run(["account", "set-key", str(tmp_path / "theirs.p12"), "--passphrase-file", str(kp), "--db", str(db)]) == 2
    assert run(["account", "set-key", str(tmp_path / "mine.p12"), "--passphrase-file", str(kp), "--db", str(db)]) == 0
    assert not list(tmp_path.glob("*.db.keys/*.p12"))                # kept in the store, not in a key folder
    # a key file of someone else is refused while a1 is logged in; a1's own stored key signs a1's line
    assert run(["sign", str(pdf), "--key", str(tmp_path / "theirs.p12"), "--passphrase-file", str(kp),
                "--out", str(tmp_path / "x.pdf"), "--db", str(db)]) == 2
    assert not (tmp_path / "x.pdf").exists()
    capsys.readouterr()
    assert run(["sign", str(pdf), "--out", str(tmp_path / "signed.pdf"), "--db", str(db)]) == 0
    assert first.name in capsys.readouterr().out
    assert run(["verify", str(tmp_path / "signed.pdf"), "--trust", str(tmp_path / "ca" / "ca.pem"),
                "--format", "json", "--db", str(db)]) in (0, 1)
    sigs = json.loads(capsys.readouterr().out)["signatures"]
    assert [(s["signer"], s["intact"], s["trusted"]) for s in sigs] == [(first.name, True, True)]
