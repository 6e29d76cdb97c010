"""`report` from the store: team, institution, representative, photos, hand signature or
refusal, and the lead's approval taking the DRAFT mark off."""
from __future__ import annotations

import hashlib
import re
import subprocess
from datetime import date, datetime

import pytest

from inspector.cli import run
from inspector.db import open_store, session_factory, write_transaction
from inspector.errors import UserError
from inspector.events import append_event
from inspector.reports.data import build_report_data
from inspector.reports.sample import sample_photo, sample_signature_png
from inspector.reports.signoff import (
    record_approval, record_hand_signature, record_refusal, set_representative,
)
from inspector.snapshot import NewInspection, TableFeed, write_snapshot
from tests.support.accounts import make_accounts, use_account

TEAM = [{"name": "张伟", "cert_no": "61010012", "role": "inspector", "login": "zw"},
        {"name": "李娜", "cert_no": "61010047", "role": "inspector", "login": "ln"},
        {"name": "王建国", "cert_no": "61010003", "role": "lead", "login": "wjg"}]
PEOPLE: dict = {}


@pytest.fixture
def store(tmp_path, monkeypatch):
    path = tmp_path / "s.db"
    engine = open_store(path)
    fix = [("H61010000001", "西安市测试医院", "1", "2", "610100", 10, "西安市雁塔区测试路 1 号", "A", "active")]
    write_snapshot(engine, NewInspection("H61010000001", date(2026, 8, 1), date(2026, 10, 31),
                                         datetime(2026, 11, 2, 10, 0, 0), team=TEAM),
                   source_kind="xlsx", source="test.xlsx",
                   extract_meta={"schema_version": "1", "extract_id": "EX-1", "created_at": "2026-11-01 08:00:00",
                                 "certno_salt": "salt", "admdvs": "610100"},
                   feeds={"fixmedins": TableFeed(1, [fix])})
    PEOPLE.clear()
    PEOPLE.update(make_accounts(engine, {m["login"]: (m["name"], m["role"], m["cert_no"]) for m in TEAM}))
    use_account(monkeypatch, tmp_path, "zw")        # the CLI acts as 张伟 (producing a report is recorded)
    return path, engine


def add_photo(engine, content: bytes, caption: str) -> str:
    sha = hashlib.sha256(content).hexdigest()
    with write_transaction(engine) as conn:
        conn.exec_driver_sql("INSERT OR IGNORE INTO attachment (sha256, content, size, media_type, filename, created_at)"
                             " VALUES (?, ?, ?, 'image/jpeg', 'p.jpg', '2026-11-02 10:05:00')", (sha, content, len(content)))
        append_event(engine, 1, "evidence.added", {"sha256": sha, "filename": "p.jpg", "media_type": "image/jpeg",
                                                   "size": len(content), "caption": caption,
                                                   "captured_at": "2026-11-02 10:05:00", "attach_to": None},
                     actor=PEOPLE["zw"], conn=conn)
    return sha


def text_of(pdf) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def test_report_from_store_shows_team_institution_photos_and_signature(store, tmp_path):
    path, engine = store
    set_representative(engine, 1, "赵敏", "医保办主任")
    sha = add_photo(engine, sample_photo(5), "3床床头卡")
    record_hand_signature(engine, 1, sample_signature_png())
    with session_factory(engine)() as s:
        data = build_report_data(s, 1)
    assert [m.name for m in data.team] == ["张伟", "李娜", "王建国"] and data.team[2].role == "lead"
    assert data.institution_address == "西安市雁塔区测试路 1 号" and not data.approved
    assert data.hand_signature and data.hand_signature.png == sample_signature_png()
    out = tmp_path / "r.pdf"
    assert run(["report", "--db", str(path), "--inspection", "1", "--out", str(out)]) == 0
    text = text_of(out)
    flat = re.sub(r"\s+", "", text)
    for needle in ("现场检查笔录", "西安市测试医院", "赵敏", "医保办主任", "执法证号：61010012", "3床床头卡", sha, "草稿",
                   "附件6：信用评价", "扣分标准表deductions-v1"):
        assert needle in flat
    images = subprocess.run(["pdfimages", "-list", str(out)], check=True, capture_output=True, text=True).stdout
    kinds = [line.split()[2] for line in images.splitlines()[2:]]
    assert kinds.count("image") == 2                                    # the photo and the hand signature


def test_refusal_and_approval_from_store(store, tmp_path):
    path, engine = store
    set_representative(engine, 1, "赵敏", "医保办主任")
    record_hand_signature(engine, 1, sample_signature_png())
    record_refusal(engine, 1, "代表看过笔录后拒绝签字")           # the later event counts
    from inspector.accounts import PermissionDenied

    with pytest.raises(PermissionDenied):
        record_approval(engine, 1, actor=PEOPLE["zw"])             # an inspector does not approve
    record_approval(engine, 1, actor=PEOPLE["wjg"])
    out = tmp_path / "r.pdf"
    assert run(["report", "--db", str(path), "--inspection", "1", "--out", str(out)]) == 0
    flat = re.sub(r"\s+", "", text_of(out))
    assert "被检查单位代表拒绝签字" in flat and "代表看过笔录后拒绝签字" in flat
    assert "草稿" not in flat


def test_bad_inputs_are_refused(store, tmp_path, capsys):
    path, engine = store
    with pytest.raises(UserError):
        record_refusal(engine, 1, " ")
    with pytest.raises(UserError):
        record_hand_signature(engine, 1, b"not a png")
    assert run(["report", "--db", str(path), "--inspection", "9", "--out", str(tmp_path / "x.pdf")]) == 2
    assert "no inspection with id 9" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


def _embedded_sizes(pdf) -> list[tuple[int, int]]:
    out = subprocess.run(["pdfimages", "-list", str(pdf)], check=True, capture_output=True, text=True).stdout
    return [(int(line.split()[3]), int(line.split()[4])) for line in out.splitlines()[2:] if line.split()[2] == "image"]


def test_a_photo_is_reduced_when_captured_and_the_report_embeds_that_copy(store, tmp_path):
    from inspector.evidence import add_evidence, read_reduced

    path, engine = store
    big = sample_photo(7, (1920, 1080))
    sha, _ev = add_evidence(engine, 1, big, filename="bed.jpg", caption="5床", actor=PEOPLE["zw"])
    with engine.connect() as conn:
        jpeg, w, h = read_reduced(conn, sha)
    assert max(w, h) <= 840 and len(jpeg) < len(big)
    # The report takes the kept copy, not a new reduction of the original: replace the kept copy
    # by a recognisably different (smaller) image and the PDF embeds that one.
    from PIL import Image
    import io as _io
    marker = _io.BytesIO()
    Image.new("RGB", (123, 77), "red").save(marker, format="JPEG")
    with write_transaction(engine) as conn:
        conn.exec_driver_sql("UPDATE attachment_reduced SET jpeg = ?, width = 123, height = 77 WHERE sha256 = ?",
                             (marker.getvalue(), sha))
    out = tmp_path / "r.pdf"
    assert run(["report", "--db", str(path), "--inspection", "1", "--out", str(out)]) == 0
    assert (123, 77) in _embedded_sizes(out)
    assert sha in re.sub(r"\s+", "", text_of(out))                  # the SHA-256 is still the original's


def test_photos_stored_before_reduced_copies_still_render(store, tmp_path):
    path, engine = store
    sha = add_photo(engine, sample_photo(8, (1920, 1080)), "旧照片")   # stored the old way: no reduced copy
    with engine.connect() as conn:
        from inspector.evidence import read_reduced
        assert read_reduced(conn, sha) is None
    out = tmp_path / "r.pdf"
    assert run(["report", "--db", str(path), "--inspection", "1", "--out", str(out)]) == 0
    sizes = _embedded_sizes(out)
    assert len(sizes) == 1 and max(sizes[0]) <= 840                  # reduced while rendering
    assert sha in re.sub(r"\s+", "", text_of(out))


def test_a_file_that_is_not_an_image_gets_no_reduced_copy(store):
    from inspector.evidence import add_evidence, read_reduced

    _path, engine = store
    sha, _ev = add_evidence(engine, 1, b"%PDF-1.4 not really", filename="scan.pdf", caption="复印件")
    sha2, _ev = add_evidence(engine, 1, b"garbage", filename="x.jpg", caption="坏文件")   # says image, is not
    with engine.connect() as conn:
        assert read_reduced(conn, sha) is None and read_reduced(conn, sha2) is None
