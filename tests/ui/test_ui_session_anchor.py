"""The GUI session ends when the main window closes: the logged-in account signs the event chains'
heads with its own key when they moved (inspector/anchors.py)."""
from __future__ import annotations

from inspector.accounts import authenticate, set_account_key
from inspector.anchors import check_log
from inspector.findings import create_finding
from inspector.signing.ca import create_demo_ca, issue_key
from inspector.signing.trust import add_anchor
from tests.support.accounts import password_of
from ui.main_window import MainWindow


def _anchors(ctx) -> list[tuple[str, str]]:
    with ctx.engine.connect() as c:
        return [tuple(r) for r in c.exec_driver_sql("SELECT reason, login FROM log_anchor ORDER BY id")]


def _log_in_with_key(ctx, tmp_path) -> None:
    """li gets a key from a demo CA the store trusts and logs in with it, as the login dialog does."""
    ca = create_demo_ca(tmp_path / "ca", b"ca-secret-passphrase")
    add_anchor(ctx.engine, ca, actor=ctx.people["zhang"])
    li = ctx.actor
    issue_key(tmp_path / "ca", li.display_name, tmp_path / "li.p12", b"secret-passphrase", cert_no=li.cert_no,
              ca_passphrase=b"ca-secret-passphrase")
    set_account_key(ctx.engine, li, password_of("li"), (tmp_path / "li.p12").read_bytes(), b"secret-passphrase")
    ctx.actor = authenticate(ctx.engine, "li", password_of("li"), with_key=True)


def test_closing_the_window_signs_the_heads_the_session_moved(qtbot, ctx, tmp_path):
    _log_in_with_key(ctx, tmp_path)

    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    create_finding(ctx.engine, 1, "manual", category_code="V01", amount="12.00", description="会话中记录",
                   handling="追回", actor=ctx.actor)
    w.close()
    assert _anchors(ctx) == [("session", "li")]
    with ctx.engine.connect() as c:
        assert check_log(c) == []

    again = MainWindow(ctx)          # a session that changed nothing signs nothing
    qtbot.addWidget(again)
    again.show()
    again.close()
    assert _anchors(ctx) == [("session", "li")]


def test_the_idle_lock_signs_what_the_session_recorded_and_the_session_goes_on(qtbot, ctx, tmp_path):
    """Locked while away: the heads are signed before the key leaves memory (a laptop that dies while
    locked leaves nothing unsigned); after the unlock the same session signs only what moved."""
    _log_in_with_key(ctx, tmp_path)

    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    create_finding(ctx.engine, 1, "manual", category_code="V01", amount="12.00", description="锁屏前记录",
                   handling="追回", actor=ctx.actor)
    w.lock()
    assert _anchors(ctx) == [("session", "li")]
    from inspector.storecrypt import reunlock

    reunlock(ctx.engine, ctx.db_path, "li", password_of("li"))
    w.unlock()
    w.close()                                       # nothing moved since the lock: nothing more signed
    assert _anchors(ctx) == [("session", "li")]
    with ctx.engine.connect() as c:
        assert check_log(c) == []
