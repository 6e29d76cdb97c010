"""The Exchange screen: export this laptop's work to a folder, import a teammate's bundles from a
folder (what came in, from whom), the conflict list, and the lead keeping one record's value."""
from __future__ import annotations

import shutil

import pytest

from inspector.accounts import authenticate
from inspector.checks import census
from inspector.exchange.conflicts import list_conflicts
from tests.support.accounts import password_of
from tests.support.laptops import build_laptops


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_laptops(tmp_path_factory.mktemp("laptops"))


@pytest.fixture
def two_laptops(qapp, world, tmp_path):
    """The lead's laptop as an app context (logged in as the lead with his key), the ward
    inspector's store as a plain engine."""
    from inspector.db import open_store
    from ui.context import create_context

    for k in (0, 1):
        shutil.copy(world["base"] / f"l{k}.db", tmp_path / f"l{k}.db")
    ctx = create_context(tmp_path / "l0.db", tmp_path / "settings.ini")
    ctx.actor = authenticate(ctx.engine, "zhang", password_of("zhang"), with_key=True)
    ward = open_store(tmp_path / "l1.db")
    yield ctx, ward
    ward.dispose()
    ctx.close()


def _ward_inspection(ward) -> int:
    with ward.connect() as conn:
        return conn.exec_driver_sql("SELECT id FROM inspection").scalar()


def _li_exports(ward, ward_iid: int, usb) -> None:
    """The ward inspector li writes his bundle onto the USB stick (the folder `usb`, made here)."""
    from inspector.exchange.bundle import export_bundle
    from tests.support.laptops import key

    usb.mkdir()
    me = key(ward, "li")
    export_bundle(ward, ward_iid, usb / "li.inspector-bundle", login="li", name=me.display_name,
                  private_key=me.key.private_key, certificate=me.key.certificate)


def _exchange_view(qtbot, ctx):
    from ui.exchange import ExchangeView
    from ui.workspace import load_inspection_info

    view = ExchangeView(ctx, load_inspection_info(ctx, 1))
    qtbot.addWidget(view)
    view.resize(1024, 600)
    view.show()
    return view


def test_export_import_and_resolve_from_the_exchange_screen(qtbot, two_laptops, tmp_path):
    from tests.support.laptops import anchors, key
    from inspector.exchange.bundle import import_bundle

    ctx, ward = two_laptops
    li = authenticate(ward, "li", password_of("li"))
    ward_iid = _ward_inspection(ward)
    census.record_outcome(ward, ward_iid, "M1", "present", note="wristband", actor=li)
    census.record_outcome(ctx.engine, 1, "M1", "absent", note="empty bed", actor=ctx.actor)
    usb = tmp_path / "usb"
    _li_exports(ward, ward_iid, usb)
    me = key(ward, "li")

    view = _exchange_view(qtbot, ctx)
    results = view.import_from(usb)
    assert [r["added"] for r in results] == [1] and results[0]["from"] == me.display_name
    # the bundle shows once, under its file name (not once for this import and once from the store's list)
    assert view.came.rowCount() == 1
    assert view.came.item(0, 0).text() == "li.inspector-bundle" and view.came.item(0, 1).text() == me.display_name
    assert view.import_from(usb)[0]["added"] == 0          # the same folder again: nothing new, still one row
    assert view.came.rowCount() == 1
    assert view.conflicts.rowCount() == 2                    # both records of M1 shown
    assert view.keep_button.isEnabled()

    # the lead keeps the ward inspector's record
    row = next(r for r in range(view.conflicts.rowCount()) if view.conflicts.item(r, 2).text() == me.display_name)
    view.conflicts.selectRow(row)
    view.keep_selected()
    assert view.conflicts.rowCount() == 0
    with ctx.engine.connect() as conn:
        assert list_conflicts(conn, 1) == []
        assert census.census_state(conn, 1).outcomes["M1"].payload["outcome"] == "present"

    # export to the folder: a bundle the ward laptop takes, ending in the same state
    out = view.export_to(usb)
    assert out.exists() and out.suffix == ".inspector-bundle"
    assert import_bundle(ward, out, anchors=anchors(ward), author="li", reader=key(ward, "li")).added >= 2
    from inspector.exchange.state import state_digest

    with ctx.engine.connect() as c1, ward.connect() as c2:
        assert state_digest(c1, 1) == state_digest(c2, ward_iid)
    assert view.digest.text().endswith(state_digest(ctx.engine.connect(), 1)[:16])


def test_samples_drawn_differently_show_as_one_conflict_the_lead_settles(qtbot, two_laptops, tmp_path):
    from tests.support.laptops import key
    from inspector.checks import stock

    ctx, ward = two_laptops
    li = authenticate(ward, "li", password_of("li"))
    ward_iid = _ward_inspection(ward)
    theirs = stock.draw_sample(ward, ward_iid, seed=7, actor=li)
    mine = stock.draw_sample(ctx.engine, 1, actor=ctx.actor)
    usb = tmp_path / "usb"
    _li_exports(ward, ward_iid, usb)
    me = key(ward, "li")
    view = _exchange_view(qtbot, ctx)
    view.import_from(usb)
    assert view.conflicts.rowCount() == 2
    assert {view.conflicts.item(r, 0).text() for r in range(2)} == {"盘点样本"}
    assert {view.conflicts.item(r, 1).text() for r in range(2)} == {"整个样本"}     # no raw key
    values = {view.conflicts.item(r, 2).text(): view.conflicts.item(r, 5).text() for r in range(2)}
    assert values[me.display_name].startswith("随机种子 7：") and theirs.random[0] in values[me.display_name]
    # the value column takes the room left: no sideways scrolling to read it
    assert not view.conflicts.horizontalScrollBar().isVisible()
    row = next(r for r in range(2) if view.conflicts.item(r, 2).text() != me.display_name)
    view.conflicts.selectRow(row)
    view.keep_selected()
    assert view.conflicts.rowCount() == 0
    with ctx.engine.connect() as conn:
        assert list_conflicts(conn, 1) == []
        assert stock.current_sample(conn, 1).random == mine.random


def test_exporting_for_a_joining_laptop_shows_the_transfer_code_that_opens_the_file(qtbot, two_laptops, tmp_path,
                                                                                   monkeypatch):
    import re

    from PySide6.QtWidgets import QFileDialog

    from inspector.exchange.snapshot_file import read_manifest
    from ui.exchange import ExchangeView
    from ui.workspace import load_inspection_info

    ctx, _ward = two_laptops
    usb = tmp_path / "usb"
    usb.mkdir()
    view = ExchangeView(ctx, load_inspection_info(ctx, 1))
    qtbot.addWidget(view)
    view.show()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(usb))
    view.choose_and_export_snapshot()          # in the background
    assert ctx.tasks.wait_idle(60000)
    text = view.last_box.text()
    codes = re.findall(r"\b(?:[A-Z2-7]{4}-){7}[A-Z2-7]{4}\b", text)
    files = list(usb.glob("*.inspector-snapshot"))
    assert len(codes) == 1 and len(files) == 1, text
    assert "传输码" in text and str(files[0]) in text
    assert not files[0].read_bytes().startswith(b"SQLite format 3")      # encrypted on the stick
    manifest = read_manifest(files[0], codes[0])[0]                       # and the shown code opens it
    assert manifest["inspection"]["fixmedins_code"] == view.info.fixmedins_code
    view.last_box.done(0)        # the person closes the message (a modal box left open takes later key presses)
    assert not view.last_box.isVisible()
