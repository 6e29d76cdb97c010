"""The GUI and the encrypted store: the first account creates it and shows the recovery key once;
a later start opens on a locked engine that the login unlocks; the idle lock drops the key."""
from __future__ import annotations

import pytest

from inspector import keyslots
from inspector.db import engine_key, is_encrypted_file, lock_store


@pytest.fixture(autouse=True)
def _fast(monkeypatch):
    monkeypatch.setenv(keyslots.TEST_PARAMS_ENV, "fast")
    yield
    lock_store()


def test_first_account_login_and_idle_lock_on_the_encrypted_store(qtbot, tmp_path):
    from ui.context import create_context
    from ui.login import FirstAccountDialog, LockScreen, LoginDialog, login_dialog
    from inspector.storecrypt import is_locked, relock

    db = tmp_path / "inspector.db"
    ctx = create_context(db, tmp_path / "ui.ini")
    dlg = login_dialog(ctx)
    qtbot.addWidget(dlg)
    assert isinstance(dlg, FirstAccountDialog)
    dlg.login.setText("chen")
    dlg.display_name.setText("陈志强")
    dlg.cert_no.setText("61010020260003")
    dlg.password.setText("lead password 1")
    dlg.confirm.setText("lead password 1")
    assert dlg.create()
    assert is_encrypted_file(db) and engine_key(ctx.engine) is not None
    assert dlg.recovery_field.text() == dlg.recovery_key and len(dlg.recovery_key) == 39
    ctx.close()
    lock_store()
    # the next start: locked until the login
    ctx = create_context(db, tmp_path / "ui.ini")
    assert is_locked(ctx.engine)
    dlg = login_dialog(ctx)
    qtbot.addWidget(dlg)
    assert isinstance(dlg, LoginDialog)
    dlg.login.setText("chen")
    dlg.password.setText("wrong password 9")
    assert not dlg.try_login() and is_locked(ctx.engine)
    dlg.password.setText("lead password 1")
    assert dlg.try_login() and ctx.actor.login == "chen"
    # the idle lock drops the key; the lock screen's password derives it again
    relock(ctx.engine)
    assert is_locked(ctx.engine)
    screen = LockScreen(ctx)
    qtbot.addWidget(screen)
    screen.password.setText("lead password 1")
    assert screen.try_unlock() and not is_locked(ctx.engine)
    with ctx.engine.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM account").scalar() == 1
    ctx.close()
