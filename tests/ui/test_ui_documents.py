"""Documents: representative, a hand signature drawn with the mouse, approval, PDF, sign, verify."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt


from inspector.reports.signoff import read_signoff  # noqa: E402
from inspector.signing.ca import create_demo_ca, issue_key  # noqa: E402
from ui.documents import DocumentsView  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402


def test_documents_flow(qtbot, ctx, tmp_path):
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    view = w.open_inspection(w.home.selected_id()).show_screen("documents")
    assert isinstance(view, DocumentsView)
    view.rep_name.setText("王院长")
    view.rep_title.setText("副院长")
    qtbot.mouseClick(view.rep_save, Qt.MouseButton.LeftButton)
    # draw a signature
    qtbot.mousePress(view.pad, Qt.MouseButton.LeftButton, pos=QPoint(20, 40))
    for x in range(20, 300, 20):
        qtbot.mouseMove(view.pad, QPoint(x, 40 + (x // 20 % 3) * 15))
    qtbot.mouseRelease(view.pad, Qt.MouseButton.LeftButton, pos=QPoint(300, 60))
    qtbot.mouseClick(view.sig_save, Qt.MouseButton.LeftButton)
    with ctx.engine.connect() as c:
        s = read_signoff(c, 1)
    assert (s.representative_name, s.representative_title) == ("王院长", "副院长")
    assert s.hand_signature, view.message.text()
    # PDF
    pdf = tmp_path / "docs.pdf"
    view.pdf_path.setText(str(pdf))
    qtbot.mouseClick(view.generate_button, Qt.MouseButton.LeftButton)
    assert ctx.tasks.wait_idle(60_000)
    assert pdf.read_bytes().startswith(b"%PDF"), view.message.text()
    # the logged-in account's own key, kept in the store and unlocked at login; sign and verify
    from inspector.accounts import authenticate, set_account_key
    from tests.support.accounts import password_of

    ca = create_demo_ca(tmp_path / "ca")
    key = tmp_path / "inspector.p12"
    li = ctx.actor
    issue_key(tmp_path / "ca", li.display_name, key, b"secret-passphrase", cert_no=li.cert_no)
    set_account_key(ctx.engine, li, password_of("li"), key.read_bytes(), b"secret-passphrase")
    ctx.actor = authenticate(ctx.engine, "li", password_of("li"), with_key=True)
    view.retranslate()
    assert li.display_name in view.sign_button.text()
    qtbot.mouseClick(view.sign_button, Qt.MouseButton.LeftButton)
    assert ctx.tasks.wait_idle(60_000)
    assert li.display_name in view.message.text(), view.message.text()
    from inspector.signing.keystore import add_trusted_ca, keys_dir_for

    add_trusted_ca(keys_dir_for(ctx.db_path), Path(ca))
    qtbot.mouseClick(view.verify_button, Qt.MouseButton.LeftButton)
    assert ctx.tasks.wait_idle(60_000)
    report = view.last_report
    assert report.signatures and report.signatures[0].intact and report.signatures[0].trusted
