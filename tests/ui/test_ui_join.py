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
