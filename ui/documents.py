"""Documents: the representative, a hand signature drawn on screen (or a recorded refusal),
the team lead's approval, the PDF, digital signatures and their verification; core calls only."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from inspector.db import StoreError
from inspector.errors import UserError
from inspector.i18n import _
from ui.context import ApplicationContext
from ui.icons import icon


class SignaturePad(QWidget):
    """Draw with a mouse, pen or finger; `png()` gives the drawing as PNG bytes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(300, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        self.image = QImage(840, 300, QImage.Format.Format_ARGB32)
        self.clear()
        self._last: QPoint | None = None

    def clear(self) -> None:
        self.image.fill(QColor("white"))
        self.strokes = 0
        self.update()

    def _map(self, p: QPoint) -> QPoint:
        return QPoint(int(p.x() * self.image.width() / max(self.width(), 1)),
                      int(p.y() * self.image.height() / max(self.height(), 1)))

    def mousePressEvent(self, e: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self._last = self._map(e.position().toPoint())
        self.strokes += 1

    def mouseMoveEvent(self, e: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._last is None:
            return
        p = self._map(e.position().toPoint())
        painter = QPainter(self.image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor("black"), 5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.drawLine(self._last, p)
        painter.end()
        self._last = p
        self.update()

    def mouseReleaseEvent(self, _e: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self._last = None

    def paintEvent(self, _e) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.drawImage(self.rect(), self.image)
        p.setPen(QColor("#9aa5b1"))
        p.drawRect(self.rect().adjusted(0, 0, -1, -1))
        p.end()

    def png(self) -> bytes:
        data = QByteArray()
        buf = QBuffer(data)
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        self.image.save(buf, "PNG")
        return bytes(data.data())


class DocumentsView(QWidget):
    """The documents screen (see the module docstring)."""

    def __init__(self, ctx: ApplicationContext, info, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.info = info
        self.inspection_id = info.inspection_id
        default = ctx.db_path.parent / f"inspection-{info.inspection_id}.pdf"
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        left_host = QWidget()
        left = QVBoxLayout(left_host)
        left.setContentsMargins(0, 0, 4, 0)
        self._build_record_box(left)
        self.rep_box = QGroupBox()
        rf = QFormLayout(self.rep_box)
        self.rep_name, self.rep_title = QLineEdit(), QLineEdit()
        self.rep_labels = (QLabel(), QLabel())
        rf.addRow(self.rep_labels[0], self.rep_name)
        rf.addRow(self.rep_labels[1], self.rep_title)
        self.rep_save = QPushButton()
        rf.addRow("", self.rep_save)
        left.addWidget(self.rep_box)
        self.sig_box = QGroupBox()
        sl = QVBoxLayout(self.sig_box)
        self.pad = SignaturePad()
        sl.addWidget(self.pad)
        row = QHBoxLayout()
        self.sig_clear, self.sig_save = QPushButton(), QPushButton(icon("check"), "")
        row.addWidget(self.sig_clear)
        row.addWidget(self.sig_save)
        sl.addLayout(row)
        row2 = QHBoxLayout()
        self.refusal = QLineEdit()
        self.refuse_button = QPushButton()
        row2.addWidget(self.refusal, 1)
        row2.addWidget(self.refuse_button)
        sl.addLayout(row2)
        left.addWidget(self.sig_box)
        self.lead_box = QGroupBox()
        ll = QHBoxLayout(self.lead_box)
        self.approval_state = QLabel()       # who approved, or who may (no typed approver name)
        self.approval_state.setWordWrap(True)
        self.approve_button = QPushButton()
        ll.addWidget(self.approval_state, 1)
        ll.addWidget(self.approve_button)
        left.addWidget(self.lead_box)
        left.addStretch(1)
        left_scroll = QScrollArea()
        left_scroll.setWidgetResizable(True)
        left_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        left_scroll.setFrameShape(QFrame.Shape.NoFrame)
        left_scroll.setWidget(left_host)
        layout.addWidget(left_scroll, 1)

        right = QVBoxLayout()
        self.pdf_box = QGroupBox()
        pf = QFormLayout(self.pdf_box)
        self.pdf_path = QLineEdit(str(default))
        self.pdf_label = QLabel()
        pf.addRow(self.pdf_label, self.pdf_path)
        self.generate_button = QPushButton(icon("documents"), "")
        pf.addRow("", self.generate_button)
        self.key_state = QLabel()            # whose key signs: the logged-in account's, unlocked at login
        self.key_state.setWordWrap(True)
        self.key_label = QLabel()
        pf.addRow(self.key_label, self.key_state)
        brow = QHBoxLayout()
        self.sign_button = QPushButton(icon("check"), "")
        self.verify_button = QPushButton(icon("search"), "")
        brow.addWidget(self.sign_button)
        brow.addWidget(self.verify_button)
        pf.addRow("", brow)
        right.addWidget(self.pdf_box)
        self.upload_box = QGroupBox()
        uf = QFormLayout(self.upload_box)
        self.central_url = QLineEdit((ctx.settings.recent("central_url") or [""])[0])
        self.central_label = QLabel()
        uf.addRow(self.central_label, self.central_url)
        urow = QHBoxLayout()
        self.queue_button = QPushButton(icon("check"), "")
        self.upload_button = QPushButton(icon("open"), "")
        urow.addWidget(self.queue_button)
        urow.addWidget(self.upload_button)
        uf.addRow("", urow)
        self.uploads = QListWidget()
        self.uploads.setMaximumHeight(110)
        uf.addRow(self.uploads)
        right.addWidget(self.upload_box)
        # the credit appendix: deductions of the approved findings, scores and grades
        self.credit_box = QGroupBox()
        cl = QVBoxLayout(self.credit_box)
        self.credit_list = QListWidget()
        self.credit_list.setMaximumHeight(130)
        cl.addWidget(self.credit_list)
        right.addWidget(self.credit_box)
        self.checks = QListWidget()
        right.addWidget(self.checks, 1)
        self.message = QLabel()
        self.message.setWordWrap(True)
        frame = QFrame()
        fl = QVBoxLayout(frame)
        fl.setContentsMargins(0, 0, 0, 0)
        fl.addWidget(self.message)
        right.addWidget(frame)
        layout.addLayout(right, 1)

        self.rep_save.clicked.connect(self.save_representative)
        self.sig_clear.clicked.connect(self.pad.clear)
        self.sig_save.clicked.connect(self.save_signature)
        self.refuse_button.clicked.connect(self.record_refusal)
        self.approve_button.clicked.connect(self.approve)
        self.generate_button.clicked.connect(self.generate)
        self.sign_button.clicked.connect(self.sign)
        self.verify_button.clicked.connect(self.verify)
        self.queue_button.clicked.connect(self.queue_upload)
        self.upload_button.clicked.connect(self.upload)
        ctx.language.changed.connect(self.retranslate)
        self.retranslate()
        self.load()

    def _build_record_box(self, left: QVBoxLayout) -> None:
        """The on-site record: legal representative, place, start and close, statement, witnesses, waivers."""
        self.record_box = QGroupBox()
        f = QFormLayout(self.record_box)
        f.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.legal_rep, self.place = QLineEdit(), QLineEdit()
        self.legal_rep.setObjectName("legal_rep")
        self.place.setObjectName("place")
        self.record_labels = [QLabel() for _i in range(6)]
        f.addRow(self.record_labels[0], self.legal_rep)
        f.addRow(self.record_labels[1], self.place)
        self.details_save = QPushButton()
        f.addRow("", self.details_save)
        times = QHBoxLayout()
        self.start_button, self.close_button = QPushButton(), QPushButton()
        self.times = QLabel()
        self.times.setWordWrap(True)
        times.addWidget(self.start_button)
        times.addWidget(self.close_button)
        f.addRow(self.record_labels[2], times)
        f.addRow("", self.times)
        self.statement = QLineEdit()
        self.statement.setObjectName("statement")
        f.addRow(self.record_labels[3], self.statement)
        srow = QHBoxLayout()
        self.statement_save, self.no_objection, self.statement_refused = QPushButton(), QPushButton(), QPushButton()
        for b in (self.statement_save, self.no_objection, self.statement_refused):
            srow.addWidget(b)
        f.addRow("", srow)
        self.witness_edits: dict[str, QLineEdit] = {}
        self.witness_labels: dict[str, QLabel] = {}
        for check in ("census", "stock", "records"):
            e = QLineEdit()
            e.setObjectName(f"witness_{check}")
            self.witness_edits[check] = e
            self.witness_labels[check] = QLabel()
            f.addRow(self.witness_labels[check], e)
        self.witness_save = QPushButton()
        f.addRow(self.record_labels[4], self.witness_save)
        self.waive_check, self.waive_reason, self.waive_button = QComboBox(), QLineEdit(), QPushButton()
        for check in ("census", "stock", "records"):
            self.waive_check.addItem("", check)
        vrow = QHBoxLayout()
        vrow.addWidget(self.waive_check)
        vrow.addWidget(self.waive_reason, 1)
        f.addRow(self.record_labels[5], vrow)
        f.addRow("", self.waive_button)
        self.checks_state = QLabel()
        self.checks_state.setWordWrap(True)
        f.addRow(self.checks_state)
        left.addWidget(self.record_box)
        self.details_save.clicked.connect(self.save_details)
        self.start_button.clicked.connect(lambda: self._record_action("start"))
        self.close_button.clicked.connect(lambda: self._record_action("close"))
        self.statement_save.clicked.connect(lambda: self.save_statement("text"))
        self.no_objection.clicked.connect(lambda: self.save_statement("no_objection"))
        self.statement_refused.clicked.connect(lambda: self.save_statement("refused"))
        self.witness_save.clicked.connect(self.save_witnesses)
        self.waive_button.clicked.connect(self.waive)

    def load(self) -> None:
        from inspector.reports.signoff import read_signoff

        with self.ctx.engine.connect() as conn:
            s = read_signoff(conn, self.inspection_id)
        self.rep_name.setText(s.representative_name or "")
        self.rep_title.setText(s.representative_title or "")
        self.load_record()
        self.load_uploads()
        self.load_credit()

    def load_credit(self) -> None:
        """Appendix 6 as the approved findings stand: the institution's and each doctor's score and grade."""
        from inspector.credit import credit_for_inspection, credit_json
        from inspector.credit.appendix import credit_lines, credit_rows

        self.credit_list.clear()
        try:
            doc = credit_json(credit_for_inspection(self.ctx.engine, self.inspection_id))
        except (UserError, StoreError) as exc:
            self.credit_list.addItem(str(exc))
            return
        self.credit_doc = doc
        for account in (doc["institution"], *doc["doctors"]):
            self.credit_list.addItem(credit_lines(account))
            for no, rule, amount, points in credit_rows(account):
                self.credit_list.addItem(f"    {no}. {rule}  {amount}  −{points}")

    def load_record(self) -> None:
        """Show the record's details, times, statement, witnesses and the state of the required checks."""
        from inspector.onsite import read_onsite
        from inspector.reports.wording import cn_datetime, statement_text
        from inspector.state import check_progress, report_blockers

        with self.ctx.engine.connect() as conn:
            o = read_onsite(conn, self.inspection_id)
            progress = check_progress(conn, self.inspection_id)
            blockers = report_blockers(conn, self.inspection_id)
        self.onsite = o
        self.legal_rep.setText(o.legal_rep)
        self.place.setText(o.place)
        self.times.setText(_("{start} — {end}").format(start=cn_datetime(o.started_at) or "…",
                                                     end=cn_datetime(o.closed_at) or "…"))
        if o.statement_kind == "text":
            self.statement.setText(o.statement_text)
        self.statement.setToolTip(statement_text(o))
        for check, e in self.witness_edits.items():
            e.setText(o.witnesses.get(check, {}).get("name", ""))
        lines = [_("{check}: {done} of {total}").format(check=p.label, done=p.done, total=p.total)
                 + (" · " + _("waived: {reason}").format(reason=p.waived_reason) if p.waived_reason else "")
                 for p in progress]
        lines += [_("The final report waits: {why}").format(why=b) for b in blockers]
        self.checks_state.setText("\n".join(lines))

    def _after_record(self, fn, ok_text: str) -> bool:
        done = self._do(fn, ok_text)
        if done:
            self.load_record()
        return done

    def save_details(self) -> bool:
        from inspector.onsite import set_details

        return self._after_record(lambda: set_details(self.ctx.engine, self.inspection_id,
                                                      legal_rep=self.legal_rep.text(), place=self.place.text(),
                                                      actor=self.ctx.actor),
                                  _("Saved."))

    def _record_action(self, which: str) -> bool:
        from inspector import onsite

        fn = onsite.start if which == "start" else onsite.close
        text = _("On-site work started.") if which == "start" else _("The record is closed for signing.")
        return self._after_record(lambda: fn(self.ctx.engine, self.inspection_id, actor=self.ctx.actor), text)

    def save_statement(self, kind: str) -> bool:
        from inspector.onsite import set_statement

        return self._after_record(lambda: set_statement(self.ctx.engine, self.inspection_id, kind,
                                                        self.statement.text(), actor=self.ctx.actor),
                                  _("statement recorded"))

    def save_witnesses(self) -> bool:
        from inspector.onsite import set_witness

        def work() -> None:
            for check, e in self.witness_edits.items():
                name = e.text().strip()
                if name and name != self.onsite.witnesses.get(check, {}).get("name"):
                    set_witness(self.ctx.engine, self.inspection_id, check, name, actor=self.ctx.actor)

        return self._after_record(work, _("Saved."))

    def waive(self) -> bool:
        from inspector.onsite import waive_check

        return self._after_record(lambda: waive_check(
            self.ctx.engine, self.inspection_id, self.waive_check.currentData(), self.waive_reason.text(),
            actor=self.ctx.actor), _("Waived."))

    def load_uploads(self) -> None:
        """The inspection's queued packages and their status (queued, sent, verified, failed: reason)."""
        from inspector.upload import list_packages

        with self.ctx.engine.connect() as conn:
            self.package_statuses = list_packages(conn, self.inspection_id)
        self.uploads.clear()
        for st in self.package_statuses:
            line = _("{file} ({id}): {status}, {n} attempts").format(
                file=st.package.filename, id=st.package.upload_id[:8], status=_upload_status(st.status), n=st.attempts)
            self.uploads.addItem(line + (f" - {st.reason}" if st.reason else ""))

    def _do(self, fn, ok_text: str) -> bool:
        try:
            fn()
        except (UserError, StoreError) as exc:
            self.show_message(str(exc), error=True)
            return False
        self.show_message(ok_text)
        return True

    # sign-off ------------------------------------------------------------------------------------
    def save_representative(self) -> bool:
        from inspector.reports.signoff import set_representative

        return self._do(lambda: set_representative(self.ctx.engine, self.inspection_id, self.rep_name.text().strip(),
                                                   self.rep_title.text().strip(), actor=self.ctx.actor), _("Representative saved."))

    def save_signature(self) -> bool:
        from inspector.reports.signoff import record_hand_signature

        if self.pad.strokes == 0:
            self.show_message(_("Sign in the box first."), error=True)
            return False
        return self._do(lambda: record_hand_signature(self.ctx.engine, self.inspection_id, self.pad.png(), actor=self.ctx.actor),
                        _("Hand signature recorded."))

    def record_refusal(self) -> bool:
        from inspector.reports.signoff import record_refusal

        return self._do(lambda: record_refusal(self.ctx.engine, self.inspection_id, self.refusal.text().strip(),
                                               actor=self.ctx.actor),
                        _("Refusal to sign recorded."))

    def show_approval_state(self) -> None:
        """Who approved the documents (the team lead's account), or who may."""
        from inspector.reports.signoff import read_signoff
        from inspector.team import team_lead

        with self.ctx.engine.connect() as conn:
            s = read_signoff(conn, self.inspection_id)
            lead = team_lead(conn, self.inspection_id)
        if s.approved_by:
            self.approval_state.setText(_("Approved by {name} at {at}").format(name=s.approved_by, at=s.approved_at))
        else:
            self.approval_state.setText(_("Approved when the team lead ({lead}) has approved every finding, or, with "
                                          "no finding, approves here while logged in")
                                        .format(lead=lead.name if lead else _("(none)")))

    def approve(self) -> bool:
        from inspector.reports.signoff import record_approval

        ok = self._do(lambda: record_approval(self.ctx.engine, self.inspection_id, actor=self.ctx.actor),
                      _("Approved by the team lead."))
        self.show_approval_state()
        self.load_credit()
        return ok

    # PDF, signing, verification (off the GUI thread) ----------------------------------------------
    def generate(self):
        from inspector.reports.produce import produce_report

        out = Path(self.pdf_path.text().strip())
        iid = self.inspection_id

        engine, actor = self.ctx.engine, self.ctx.actor

        def work(progress):
            return produce_report(engine, iid, out, progress=progress, actor=actor)[1]

        def done(info) -> None:
            self.load_record()
            self.ctx.settings.add_recent("reports", str(out))
            self.show_message(_("Wrote {path}: {pages} pages.").format(path=out, pages=info.pages))

        return self.ctx.tasks.run(work, title=_("Generate the PDF"), on_done=done, on_error=self._failed, parent=self)

    def sign(self):
        from inspector.signing.sign import identity_for_key, sign_as

        actor = self.ctx.actor
        if actor is None or actor.key is None:
            self.show_message(_("Your account has no signing key in this store: store yours with "
                                "`account set-key FILE.p12 --passphrase-file F`, then log in again."), error=True)
            return None
        pdf, key = Path(self.pdf_path.text().strip()), actor.key

        engine = self.ctx.engine

        def work(_progress):
            from inspector.reports.signoff import note_signature

            signer = key.signer()
            result = sign_as(pdf, signer, identity_for_key(pdf, signer))
            note_signature(engine, Path(result.out).read_bytes(), result.field, result.signer, actor=actor)
            return result

        def done(result) -> None:
            self.show_message(_("Signed {path}: field {field} by {signer}.").format(
                path=result.out, field=result.field, signer=result.signer))

        return self.ctx.tasks.run(work, title=_("Sign the PDF"), on_done=done, on_error=self._failed, write=True,
                                  parent=self)

    def verify(self):
        from inspector.signing.trust import anchor_certificates
        from inspector.signing.verify import verify_pdf

        pdf = Path(self.pdf_path.text().strip())
        trust = anchor_certificates(self.ctx.engine)

        def done(report) -> None:
            self.checks.clear()
            for s in report.signatures:
                mark = "✓" if s.intact and s.trusted else "✗"
                self.checks.addItem(_("{mark} {field}: {signer}, {time}; intact {intact}, trusted {trusted}").format(
                    mark=mark, field=s.field, signer=s.signer, time=s.signed_at or "", intact=_yes(s.intact),
                    trusted=_yes(s.trusted)))
            for p in report.problems:
                self.checks.addItem(p.message)
            self.show_message(_("Every signature is intact and nothing changed after the last one.") if report.ok
                              else _("The signatures do NOT check out."), error=not report.ok)
            self.last_report = report

        return self.ctx.tasks.run(lambda _p: verify_pdf(pdf, trust), title=_("Verify the signatures"), on_done=done,
                                  on_error=self._failed, parent=self)

    # upload to the central -----------------------------------------------------------------------
    def queue_upload(self):
        from inspector.upload import queue_package

        pdf, engine, iid, actor = Path(self.pdf_path.text().strip()), self.ctx.engine, self.inspection_id, self.ctx.actor

        def done(pkg) -> None:
            self.load_uploads()
            if pkg.already_queued:
                self.show_message(_("{file} is already queued as upload {id} (report sha256 {sha}); nothing was added")
                                  .format(file=pdf.name, id=pkg.upload_id, sha=pkg.report_sha256))
                return
            self.show_message(_("Queued {file} for upload ({id}).").format(file=pkg.filename, id=pkg.upload_id))

        return self.ctx.tasks.run(lambda _p: queue_package(engine, iid, pdf, actor=actor), title=_("Queue for upload"),
                                  on_done=done, on_error=self._failed, write=True, parent=self)

    def upload(self):
        from inspector.upload import upload_packages

        url, engine, iid, actor = self.central_url.text().strip(), self.ctx.engine, self.inspection_id, self.ctx.actor
        if not url:
            self.show_message(_("Give the central database (file or postgresql:// URL) first."), error=True)
            return None

        def done(statuses) -> None:
            self.load_uploads()
            bad = [s for s in statuses if s.status != "verified"]
            if not statuses:
                self.show_message(_("Nothing to upload: every queued package is verified."))
            elif bad:
                self.show_message(_("{n} package(s) failed: {reason}").format(n=len(bad), reason=bad[0].reason),
                                  error=True)
            else:
                self.show_message(_("Uploaded and verified by SHA-256: {n} package(s).").format(n=len(statuses)))

        return self.ctx.tasks.run(lambda p: upload_packages(engine, url, progress=p, inspection_id=iid, actor=actor),
                                  title=_("Upload to the central"), on_done=done, on_error=self._failed, write=True,
                                  parent=self)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, (UserError, StoreError)):
            self.show_message(str(exc), error=True)
        else:
            self.show_message(_("Unexpected error: {error}").format(error=f"{type(exc).__name__}: {exc}"), error=True)

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b00020;" if error else "color: #1d6b33;")
        self.message.setText(text)

    def retranslate(self, _lang: str | None = None) -> None:
        from inspector.state import CHECK_LABELS

        self.record_box.setTitle(_("On-site inspection record"))
        self.credit_box.setTitle(_("Appendix 6: Credit evaluation"))
        if hasattr(self, "credit_doc"):
            self.load_credit()
        for label, text in zip(self.record_labels, (_("Legal representative"), _("Place of inspection"),
                                                    _("Time of inspection"), _("Statement"),
                                                    _("Witnesses"), _("Waive a check"))):
            label.setText(text)
        self.details_save.setText(_("Save"))
        self.start_button.setText(_("Start on site"))
        self.close_button.setText(_("Close for signing"))
        self.statement.setPlaceholderText(_("What the inspected party states"))
        self.statement_save.setText(_("Save the statement"))
        self.no_objection.setText(_("No objection"))
        self.statement_refused.setText(_("Refused to state"))
        from inspector.reports.appendices import WITNESS_LABELS

        for check, label in self.witness_labels.items():
            label.setText(_("Witness of the {check}").format(check=_(CHECK_LABELS[check])))
            self.witness_edits[check].setPlaceholderText(_(WITNESS_LABELS[check]))
        self.witness_save.setText(_("Save the witnesses"))
        for i in range(self.waive_check.count()):
            self.waive_check.setItemText(i, _(CHECK_LABELS[self.waive_check.itemData(i)]))
        self.waive_reason.setPlaceholderText(_("Why the team lead waives it"))
        self.waive_button.setText(_("Waive (team lead)"))
        self.rep_box.setTitle(_("Institution's representative"))
        self.rep_labels[0].setText(_("Name"))
        self.rep_labels[1].setText(_("Title"))
        self.rep_save.setText(_("Save"))
        self.sig_box.setTitle(_("Representative's signature (sign in the box)"))
        self.sig_clear.setText(_("Clear"))
        self.sig_save.setText(_("Save the signature"))
        self.refusal.setPlaceholderText(_("If the representative refuses to sign: what was said"))
        self.refuse_button.setText(_("Record the refusal"))
        self.lead_box.setTitle(_("Team lead's approval"))
        self.approve_button.setText(_("Approve as {name}").format(
            name=self.ctx.actor.display_name if self.ctx.actor else "-"))
        self.show_approval_state()
        self.pdf_box.setTitle(_("Documents (PDF)"))
        self.pdf_label.setText(_("File"))
        self.generate_button.setText(_("Generate the PDF"))
        self.key_label.setText(_("Signing key"))
        a = self.ctx.actor
        self.key_state.setText(_("none: this account has no key in the store") if a is None or a.key is None
                               else _("{name}'s own key ({cert_no}), unlocked at login").format(
                                   name=a.display_name, cert_no=a.cert_no))
        self.sign_button.setText(_("Sign as {name}").format(name=a.display_name if a else "-"))
        self.verify_button.setText(_("Verify"))
        self.upload_box.setTitle(_("Upload to the central"))
        self.central_label.setText(_("Central database"))
        self.central_url.setPlaceholderText(_("central.db or postgresql://user@host/db"))
        self.queue_button.setText(_("Queue for upload"))
        self.upload_button.setText(_("Upload"))
        if hasattr(self, "package_statuses"):
            self.load_uploads()


def _upload_status(status: str) -> str:
    return {"queued": _("Waiting to upload"), "sent": _("Sent, not verified yet"),
            "verified": _("Uploaded and verified"), "failed": _("Upload failed")}.get(status, status)


def _yes(flag: bool) -> str:
    return _("Yes") if flag else _("No")
