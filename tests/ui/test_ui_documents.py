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
    # PDF, with the signature lines of the team (the test accounts: li, wang, lead zhang)
    pdf = tmp_path / "docs.pdf"
    view.pdf_path.setText(str(pdf))
    qtbot.mouseClick(view.generate_button, Qt.MouseButton.LeftButton)
    assert ctx.tasks.wait_idle(60_000)
    assert pdf.read_bytes().startswith(b"%PDF"), view.message.text()
    # the logged-in account's own key, kept in the store and unlocked at login; sign and verify
    from inspector.accounts import authenticate, set_account_key
    from tests.support.accounts import password_of

    ca = create_demo_ca(tmp_path / "ca", b"ca-secret-passphrase")
    key = tmp_path / "inspector.p12"
    li = ctx.actor
    issue_key(tmp_path / "ca", li.display_name, key, b"secret-passphrase", cert_no=li.cert_no,
              ca_passphrase=b"ca-secret-passphrase")
    set_account_key(ctx.engine, li, password_of("li"), key.read_bytes(), b"secret-passphrase")
    ctx.actor = authenticate(ctx.engine, "li", password_of("li"), with_key=True)
    view.retranslate()
    assert li.display_name in view.sign_button.text()
    qtbot.mouseClick(view.sign_button, Qt.MouseButton.LeftButton)
    assert ctx.tasks.wait_idle(60_000)
    assert li.display_name in view.message.text(), view.message.text()
    from inspector.signing.trust import add_anchor

    add_anchor(ctx.engine, Path(ca), actor=ctx.people["zhang"])   # trust anchors: the lead
    qtbot.mouseClick(view.verify_button, Qt.MouseButton.LeftButton)
    assert ctx.tasks.wait_idle(60_000)
    report = view.last_report
    assert report.signatures and report.signatures[0].intact and report.signatures[0].trusted
    assert report.signatures[0].signer == li.display_name   # the others have not signed: not ok yet


def test_record_fields_on_the_documents_screen_write_events(qtbot, ctx):
    from inspector.onsite import read_onsite
    from inspector.state import inspection_stage

    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.resize(1024, 600)
    w.show()
    view = w.open_inspection(w.home.selected_id()).show_screen("documents")
    view.legal_rep.setText("赵国华")
    view.place.setText("住院部三楼")
    qtbot.mouseClick(view.details_save, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(view.no_objection, Qt.MouseButton.LeftButton)
    view.witness_edits["census"].setText("张丽")
    qtbot.mouseClick(view.witness_save, Qt.MouseButton.LeftButton)
    view.waive_reason.setText("隔离病房")
    qtbot.mouseClick(view.waive_button, Qt.MouseButton.LeftButton)      # an inspector is logged in: refused
    assert "not" in view.message.text().lower() or "只有" in view.message.text() or "没有" in view.message.text()
    ctx.actor = ctx.people["zhang"]                                     # the lead waives, with the reason
    qtbot.mouseClick(view.waive_button, Qt.MouseButton.LeftButton)
    assert "隔离病房" in view.checks_state.text(), view.message.text()
    qtbot.mouseClick(view.close_button, Qt.MouseButton.LeftButton)
    with ctx.engine.connect() as c:
        o = read_onsite(c, 1)
        stage = inspection_stage(c, 1)
    assert (o.legal_rep, o.place, o.statement_kind) == ("赵国华", "住院部三楼", "no_objection")
    assert o.started_at is not None and o.closed_at is not None and o.witnesses["census"]["name"] == "张丽"
    assert stage.code == "in_review"
    assert "在院核查" in view.checks_state.text() or "census" in view.checks_state.text()
    overview = w.open_inspection(1).show_screen("overview")
    overview.refresh()
    assert ctx.tasks.wait_idle(60_000)
    assert overview.stage.text() == "当前阶段：" + stage.text() == "当前阶段：组长审核中"
