"""The anchored event log: accounts sign the chain heads (signing a report, exporting a bundle, ending
a session), the signed PDF carries the heads it was made from, and `verify-log` catches each tamper
— a cut tail, a wipe, an appended event with a good hash, an edit with the rest re-hashed — from
the store's signed heads, and a wipe of events and signed heads together from the signed PDF."""
from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from inspector.anchors import anchor_holds, inspection_heads
from inspector.db import open_store
from tests.support.accounts import password_of
from tests.support.signed_store import signed_store
from tests.support.tamper import append_forged, cut_tail, edit_and_rehash, uid_of, wipe



@pytest.fixture(scope="module")
def made(tmp_path_factory):
    s = signed_store(tmp_path_factory.mktemp("anchored") / "w")
    s.engine.dispose()
    return s


@pytest.fixture
def world(made, tmp_path):
    """A copy of the signed store (the signed PDF beside it) for one test to change."""
    db = tmp_path / "store.db"
    shutil.copy(made.db, db)
    return db, made


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys, monkeypatch, tmp_path):
    """Run the CLI in this process as `login` (default li) in `lang` (default en)."""
    from inspector import i18n
    from inspector.cli import run
    from tests.support.accounts import use_account

    before = i18n.language()

    def invoke(*args: str, login: str = "li", lang: str = "en") -> Result:
        use_account(monkeypatch, tmp_path, login)
        capsys.readouterr()
        code = run([*args, "--lang", lang])
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    yield invoke
    i18n.set_language(before)


def _anchors(db: Path) -> list[tuple[str, str]]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT reason, login FROM log_anchor ORDER BY id").fetchall()
    finally:
        con.close()


def test_every_signature_signs_the_heads_and_an_intact_log_verifies(world, cli):
    db, made = world
    assert _anchors(db) == [("sign", "li"), ("sign", "wang"), ("sign", "zhang")]
    r = cli("verify-log", "--db", str(db), "--pdf", str(made.signed))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("ok, ") and "3 signed heads" in r.stdout and "1 signed reports" in r.stdout
    doc = json.loads(cli("verify-log", "--db", str(db), "--format", "json").stdout)
    assert doc["ok"] is True and doc["signed_heads"] == 3 and doc["problems"] == []


TAMPERS = {
    # name: (tamper, kind reported, English words, Chinese words, caught by check-store too)
    "cut": (lambda db, iid: cut_tail(db, iid, 5), "cut", "5 events were removed from its end", "末尾 5 条事件被删除",
            True),
    "wipe": (lambda db, iid: wipe(db, iid), "wiped", "the log was wiped", "日志被整体删除", True),
    "append": (lambda db, iid: append_forged(db, iid), "unsigned", "signed by no one", "无人签署", False),
    "edit": (lambda db, iid: edit_and_rehash(db, iid, "finding.created", lambda p: {**p, "amount": "54.26"}, nth=1),
             "changed", "re-hashed", "重新计算哈希", True),
}


@pytest.mark.parametrize("name", list(TAMPERS))
def test_each_tamper_is_caught_by_verify_log_from_the_signed_heads(world, cli, tmp_path, name):
    db, made = world
    tamper, kind, en, zh, store_check = TAMPERS[name]
    tamper(db, made.inspection)
    r = cli("verify-log", "--db", str(db))
    assert r.returncode == 1, r.stdout + r.stderr
    assert en in r.stdout and "Traceback" not in r.stderr
    assert "张组长 (zhang" in r.stdout                 # who signed the head that no longer holds
    r = cli("verify-log", "--db", str(db), lang="zh_CN")
    assert r.returncode == 1 and zh in r.stdout and "事件日志与已签署的内容不符" in r.stdout, r.stdout
    doc = json.loads(cli("verify-log", "--db", str(db), "--format", "json").stdout)
    assert doc["ok"] is False and [p["kind"] for p in doc["problems"]] == [kind]
    assert doc["problems"][0]["inspection"] == uid_of(db, made.inspection)
    r = cli("check-store", "--db", str(db))
    assert (r.returncode == 1) == store_check, r.stdout
    if store_check:        # nothing is produced from a log that lost what was signed
        r = cli("report", "--inspection", str(made.inspection), "--out", str(tmp_path / "again.pdf"),
                 "--db", str(db), login="zhang")
        assert r.returncode == 2 and "check-store" in r.stderr and not (tmp_path / "again.pdf").exists()
    if name != "append":   # reaching back before the report was made, they are caught from the signed PDF too
        r = cli("verify-log", "--db", str(db), "--pdf", str(made.signed))
        assert r.returncode == 1 and "the signed report signed.pdf" in r.stdout, r.stdout


def test_a_wipe_of_events_and_signed_heads_is_caught_with_the_signed_pdf(world, cli):
    db, made = world
    wipe(db, made.inspection, anchors_too=True)
    alone = cli("verify-log", "--db", str(db))
    assert alone.returncode == 0                  # nothing in the store says what was there (see README)
    r = cli("verify-log", "--db", str(db), "--pdf", str(made.signed))
    assert r.returncode == 1, r.stdout
    assert "the log was wiped" in r.stdout and "signed.pdf" in r.stdout
    r = cli("verify-log", "--db", str(db), "--pdf", str(made.signed), lang="zh_CN")
    assert r.returncode == 1 and "日志被整体删除" in r.stdout and "已签名文书 signed.pdf" in r.stdout


def test_the_signed_pdf_carries_the_heads_it_was_made_from(made):
    from inspector.anchors import pdf_heads

    doc = pdf_heads(made.signed.read_bytes(), "signed.pdf")
    con = sqlite3.connect(made.db)
    uid = uid_of(made.db, made.inspection)
    (head,) = doc["heads"]
    row = con.execute("SELECT hash FROM event WHERE inspection_uid = ? AND chain = ? AND dseq = ?",
                      (uid, head["chain"], head["dseq"])).fetchone()
    kind = con.execute("SELECT kind FROM event WHERE inspection_uid = ? AND chain = ? AND dseq = ?",
                       (uid, head["chain"], head["dseq"] + 1)).fetchone()[0]
    con.close()
    assert doc["inspection"] == uid and row[0] == head["hash"]
    assert kind == "documents.rendered"           # the head is the last event before the report was made


def test_a_cli_command_ends_a_session_that_signs_the_heads_it_moved(world, cli):
    db, made = world
    before = _anchors(db)
    r = cli("findings", "list", "--inspection", str(made.inspection), "--db", str(db))
    assert r.returncode == 0 and _anchors(db) == before          # nothing moved: nothing signed
    r = cli("census", "--inspection", str(made.inspection), "--mdtrt", "M1", "--outcome", "present",
             "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert _anchors(db) == before + [("session", "li")]
    assert cli("verify-log", "--db", str(db)).returncode == 0
    # the next session refuses to sign over a log that no longer holds what was signed
    edit_and_rehash(db, made.inspection, "finding.created", lambda p: {**p, "amount": "54.26"}, nth=0)
    r = cli("census", "--inspection", str(made.inspection), "--mdtrt", "M1", "--outcome", "absent",
             "--db", str(db))
    assert "were not signed" in r.stderr and "verify-log" in r.stderr, r.stderr
    assert _anchors(db) == before + [("session", "li")]


def test_a_bundle_carries_the_signed_heads(world, tmp_path):
    from inspector.accounts import authenticate
    from inspector.exchange.bundle import export_bundle, read_bundle

    db, made = world
    engine = open_store(db)
    li = authenticate(engine, "li", password_of("li"), with_key=True)
    out = tmp_path / "li.inspector-bundle"
    export_bundle(engine, made.inspection, out, login="li", name=li.display_name, private_key=li.key.private_key,
                  certificate=li.key.certificate)
    body = read_bundle(out, li)[0]["body"]       # sealed for the team: li opens it with his key
    with engine.connect() as conn:
        heads = inspection_heads(conn, uid_of(db, made.inspection))
    assert body["heads"] == heads
    anchor = body["anchor"]
    assert anchor_holds(anchor) and anchor["body"]["reason"] == "bundle" and anchor["body"]["login"] == "li"
    assert {(h["chain"], h["dseq"], h["hash"]) for h in heads} <= \
        {(h["chain"], h["dseq"], h["hash"]) for h in anchor["body"]["heads"]}
    assert _anchors(db)[-1] == ("bundle", "li")
    forged = json.loads(json.dumps(anchor))
    forged["body"]["heads"][0]["dseq"] += 1
    assert not anchor_holds(forged)
    engine.dispose()


def test_a_signed_head_record_removed_between_two_is_caught(world, cli):
    db, made = world
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER log_anchor_no_delete")
    con.execute("DELETE FROM log_anchor WHERE id = (SELECT min(id) + 1 FROM log_anchor)")
    con.commit()
    con.close()
    r = cli("verify-log", "--db", str(db))
    assert r.returncode == 1 and "the record before it was removed or changed" in r.stdout, r.stdout
    r = cli("verify-log", "--db", str(db), lang="zh_CN")
    assert r.returncode == 1 and "其前一条记录被删除或改动" in r.stdout, r.stdout


def test_an_event_added_between_sessions_is_named_when_the_next_session_signs_over_it(world, cli):
    """An event appended with a good hash after the last signature and before a login is signed by that
    session's end like its own work; the signed heads say where the session began, so verify-log
    names the event and who signed over it (a note: a killed session looks the same)."""
    db, made = world
    r = cli("census", "--inspection", str(made.inspection), "--mdtrt", "M1", "--outcome", "present", "--db", str(db))
    assert r.returncode == 0, r.stderr
    doc = json.loads(cli("verify-log", "--db", str(db), "--format", "json").stdout)
    assert doc["ok"] is True and doc["notes"] == []          # a session's own events: nothing to say
    con = sqlite3.connect(db)
    uid = uid_of(db, made.inspection)
    forged_at = con.execute("SELECT max(dseq) FROM event WHERE inspection_uid = ?", (uid,)).fetchone()[0] + 1
    con.close()
    append_forged(db, made.inspection)
    r = cli("census", "--inspection", str(made.inspection), "--mdtrt", "M1", "--outcome", "absent", "--db", str(db),
            login="zhang")
    assert r.returncode == 0, r.stderr
    assert _anchors(db)[-1] == ("session", "zhang")           # the next session signed over the forged event
    r = cli("verify-log", "--db", str(db))
    assert r.returncode == 0 and r.stdout.startswith("ok, "), r.stdout
    assert f"event {forged_at} was already there when the session that 张组长 (zhang" in r.stdout, r.stdout
    assert "outside Inspector" in r.stdout
    doc = json.loads(cli("verify-log", "--db", str(db), "--format", "json").stdout)
    assert [(n["kind"], n["inspection"]) for n in doc["notes"]] == [("adopted", uid)]
    r = cli("verify-log", "--db", str(db), lang="zh_CN")
    assert "注意" in r.stdout and f"第 {forged_at} 条事件" in r.stdout and "Inspector 之外" in r.stdout, r.stdout
    # the record itself says where the session began, under its signature
    con = sqlite3.connect(db)
    body = json.loads(con.execute("SELECT body FROM log_anchor ORDER BY id DESC LIMIT 1").fetchone()[0])
    con.close()
    mine = [f for f in body["from"] if f["inspection"] == uid]
    assert mine and mine[0]["dseq"] == forged_at
