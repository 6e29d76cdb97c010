"""The documents screen queues a signed PDF and uploads it to a SQLite central: one row, verified."""
from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt

from inspector.reports.produce import produce_report
from inspector.resources import central_schema_sql
from inspector.signing.ca import create_demo_ca, issue_key
from inspector.signing.sign import sign_pdf
from inspector.signing.trust import add_anchor
from ui.main_window import MainWindow


def test_queue_and_upload_from_the_documents_screen(qtbot, ctx, tmp_path):
    pw = b"ui-upload-passphrase"
    ca = create_demo_ca(tmp_path / "ca", pw)
    add_anchor(ctx.engine, ca, actor=ctx.people["zhang"])     # trust anchors: the lead
    pdf = tmp_path / "r.pdf"
    produce_report(ctx.engine, 1, pdf, actor=ctx.people["zhang"])   # from the store: it embeds the findings JSON
    for n, login in enumerate(("li", "wang", "zhang")):               # both inspectors, then the lead
        m = ctx.people[login]
        key = issue_key(tmp_path / "ca", m.display_name, tmp_path / f"k{n}.p12", pw, cert_no=m.cert_no,
                        ca_passphrase=pw).path
        sign_pdf(pdf, key, pw)
    central = tmp_path / "central.db"
    con = sqlite3.connect(central)
    con.executescript(central_schema_sql())
    con.close()

    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    view = w.open_inspection(w.home.selected_id()).show_screen("documents")
    view.pdf_path.setText(str(pdf))
    qtbot.mouseClick(view.queue_button, Qt.MouseButton.LeftButton)
    assert ctx.tasks.wait_idle(60_000)
    assert view.uploads.count() == 1 and "待上传" in view.uploads.item(0).text(), view.message.text()
    view.central_url.setText(str(central))
    for _ in range(2):                                   # the second click finds nothing pending
        qtbot.mouseClick(view.upload_button, Qt.MouseButton.LeftButton)
        assert ctx.tasks.wait_idle(60_000)
    assert "已上传并核验" in view.uploads.item(0).text(), view.message.text()
    con = sqlite3.connect(central)
    assert con.execute("SELECT count(*) FROM insp_upload").fetchone()[0] == 1
    con.close()
