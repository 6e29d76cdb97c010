"""Joining a teammate's inspection from the GUI's first start: the snapshot file, its transfer code,
the CA and the person's own login and password give an encrypted store holding the inspection,
logged in as that person, with the recovery key shown once. A wrong code is a message in the
dialog, and the laptop keeps its empty store."""
from __future__ import annotations

import pytest

from inspector.exchange.transfer_code import new_transfer_code
from inspector.storecrypt import is_encrypted_file
from tests.support.laptops import build_laptops


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_laptops(tmp_path_factory.mktemp("laptops"))


@pytest.fixture
def fresh(qapp, tmp_path):
    from ui.context import create_context

    ctx = create_context(tmp_path / "new" / "inspector.db", tmp_path / "settings.ini")
    yield ctx
    ctx.close()


def _fill(dialog, world, code: str) -> None:
    dialog.snapshot.setText(str(world["snap"]))
    dialog.ca.setText(str(world["ca"] / "ca.pem"))
    dialog.code.setText(code)
    dialog.login.setText("li")
    dialog.password.setText("li-new-laptop-pw")
    dialog.confirm.setText("li-new-laptop-pw")


def test_join_from_the_first_start_dialog(qtbot, world, fresh):
    from ui.login import FirstAccountDialog, login_dialog

    first = login_dialog(fresh)
    assert isinstance(first, FirstAccountDialog)
    qtbot.addWidget(first)
    first.show()
    first.join_button.click()
    dialog = first.join_dialog
    assert dialog is not None and dialog.isVisible()

    # a wrong transfer code: said in the dialog, and the laptop keeps an empty, usable store
    _fill(dialog, world, new_transfer_code())
    assert dialog.join()
    assert fresh.tasks.wait_idle(60000)
    assert "传输码" in dialog.message.text()
    with fresh.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM inspection").scalar() == 0

    # the right one (typed in lower case, without dashes)
    _fill(dialog, world, world["code"].replace("-", "").lower())
    assert dialog.join()
    assert fresh.tasks.wait_idle(60000)
    assert dialog.message.text() == ""
    assert fresh.actor.login == "li"
    assert is_encrypted_file(fresh.db_path)
    assert dialog.recovery_field.text() and dialog.recovery_field.isVisible()
    with fresh.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT fixmedins_code, status FROM inspection").fetchall()
    assert len(rows) == 1
    assert dialog.result_info.rows > 0
    done = [b for b in dialog.findChildren(type(first.join_button)) if b.isVisible()]
    assert len(done) == 1
    done[0].click()
    assert first.result() == first.DialogCode.Accepted


def test_a_logged_in_inspector_joins_another_inspection_from_the_home_screen(qtbot, world, tmp_path):
    """Li's laptop has his account and an inspection of its own and trusts the bureau's CA; the home
    screen's action joins the snapshot file as him (no certificate asked) and the inspection opens.
    The same file again is refused in the dialog: the laptop already holds that inspection."""
    from inspector.accounts import authenticate, create_member_account
    from inspector.db import open_store
    from inspector.exchange.snapshot_file import read_manifest
    from inspector.signing.trust import add_anchor
    from tests.support.accounts import password_of
    from tests.support.laptops import hospital
    from ui.context import create_context
    from ui.main_window import MainWindow

    e = open_store(tmp_path / "li.db")
    add_anchor(e, world["ca"] / "ca.pem")
    m = next(m for m in read_manifest(world["snap"], world["code"])[0]["team"] if m["login"] == "li")
    create_member_account(e, "li", password_of("li"), m["account_role"], m["cert_no"], m["display_name"],
                          m["certificate"])
    hospital().write(e)                                   # an inspection of his own (snapshot id 1)
    e.dispose()
    ctx = create_context(tmp_path / "li.db", tmp_path / "settings.ini")
    try:
        ctx.actor = authenticate(ctx.engine, "li", password_of("li"))
        w = MainWindow(ctx)
        qtbot.addWidget(w)
        w.show()
        assert w.home.model.rowCount() == 1
        assert w.actions_["join_snapshot"] in w.file_menu.actions()                 # File menu, Ctrl+J
        dialog = w.join_from_snapshot()
        assert not dialog.login.isVisible() and not dialog.password.isVisible()   # he is logged in already
        dialog.snapshot.setText(str(world["snap"]))
        dialog.code.setText(world["code"])
        assert dialog.join() and ctx.tasks.wait_idle(60000)
        import shiboken6

        assert not shiboken6.isValid(dialog) or not dialog.isVisible()        # closed (and deleted) on success
        assert w.home.model.rowCount() == 2
        with ctx.engine.connect() as conn:
            uid = read_manifest(world["snap"], world["code"])[0]["inspection"]["uid"]
            joined = conn.exec_driver_sql("SELECT id FROM inspection WHERE uid = ?", (uid,)).scalar()
        assert joined is not None and w.workspace is not None and w.workspace.info.inspection_id == joined

        again = w.join_from_snapshot()
        again.snapshot.setText(str(world["snap"]))
        again.code.setText(world["code"])
        assert again.join() and ctx.tasks.wait_idle(60000)
        assert again.isVisible() and world["code"] not in again.message.text()
        assert "已有" in again.message.text() or "already" in again.message.text(), again.message.text()
        again.close()
        assert w.home.model.rowCount() == 2
    finally:
        ctx.close()
