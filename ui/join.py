"""Joining a teammate's inspection from the snapshot file they exported.

On a laptop of one's own at first start (no account yet): the person chooses the snapshot file
(a USB stick), types the transfer code they were told, chooses the bureau's CA certificate, and
gives their login (as on the team list) and a new password. The core's `join_new_laptop` does the
rest off the GUI thread (the store encrypted with their account, the file checked and imported);
the store's recovery key is shown once at the end. A refused or cancelled join leaves an empty
store, as before. Logged in on a laptop that has accounts (`for_account`): the file and the code,
the CA only when the store does not trust it yet; `join_with_account` imports it as that account,
and the new inspection opens.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inspector.db import StoreError
from inspector.errors import UserError
from inspector.i18n import _
from inspector.progress import Cancelled
from ui.context import ApplicationContext


def _file_row(placeholder: str, choose) -> tuple[QWidget, QLineEdit]:
    row = QWidget()
    box = QHBoxLayout(row)
    box.setContentsMargins(0, 0, 0, 0)
    field = QLineEdit()
    field.setPlaceholderText(placeholder)
    button = QPushButton(_("Choose…"))
    button.clicked.connect(lambda: choose(field))
    box.addWidget(field, 1)
    box.addWidget(button)
    return row, field


class JoinDialog(QDialog):
    """The form, then the join in the background, then the recovery key (a new laptop) or the
    inspection (`joined`, a laptop with accounts)."""

    joined = Signal(int)

    def __init__(self, ctx: ApplicationContext, parent: QWidget | None = None, *, for_account: bool = False) -> None:
        super().__init__(parent)
        from ui.login import _add_message_and_buttons, _password_field

        self.ctx = ctx
        self.for_account = for_account
        self.recovery_key = ""
        self.result_info = None
        self.setWindowTitle(_("Join a teammate's inspection"))
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        intro = QLabel(_("Your teammate exported the inspection for you and told you its transfer code. It is "
                         "added to this laptop's inspections as yours (you must be on its team).") if for_account else
                       _("Your teammate exported the inspection for you and told you its transfer code. This laptop "
                         "gets a store of its own, encrypted with your account: your login as on the team list and "
                         "a new password."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        snap_row, self.snapshot = _file_row(_("the .inspector-snapshot file"), self._choose_snapshot)
        ca_row, self.ca = _file_row(_("the bureau's CA certificate (.pem)"), self._choose_ca)
        self.code = QLineEdit()
        self.code.setPlaceholderText("XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX")
        self.login = QLineEdit()
        self.password = _password_field()
        self.confirm = _password_field()
        form.addRow(_("Snapshot file"), snap_row)
        form.addRow(_("Transfer code"), self.code)
        form.addRow(_("CA certificate"), ca_row)
        if for_account:
            self.ca.setPlaceholderText(_("only when this laptop does not trust the bureau's CA yet"))
        else:
            form.addRow(_("Login"), self.login)
            form.addRow(_("Password (at least 10 characters)"), self.password)
            form.addRow(_("Password again"), self.confirm)
        layout.addLayout(form)
        self.message = _add_message_and_buttons(self, layout, _("Join"), self.join)
        from PySide6.QtWidgets import QDialogButtonBox

        self.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Cancel).setText(_("Back"))
        self.task = None

    def _choose_snapshot(self, field: QLineEdit) -> None:
        path, _f = QFileDialog.getOpenFileName(self, _("Snapshot file"), "",
                                               _("Inspector snapshot files") + " (*.inspector-snapshot);;* (*)")
        if path:
            field.setText(path)

    def _choose_ca(self, field: QLineEdit) -> None:
        path, _f = QFileDialog.getOpenFileName(self, _("CA certificate"), "", "PEM (*.pem *.crt);;* (*)")
        if path:
            field.setText(path)

    def join(self) -> bool:
        """Check the form, then join in the background; False when the form is refused at once."""
        from inspector.accounts import check_password_policy
        from inspector.exchange.transfer_code import normalise

        self.message.setText("")
        if not self.for_account and self.password.text() != self.confirm.text():
            self.message.setText(_("The two passwords differ."))
            return False
        snapshot, ca = Path(self.snapshot.text().strip()), Path(self.ca.text().strip())
        ca_given = bool(self.ca.text().strip())
        try:
            for what, p, needed in ((_("Snapshot file"), snapshot, True),
                                    (_("CA certificate"), ca, not self.for_account or ca_given)):
                if needed and (not str(p) or str(p) == "." or not p.is_file()):
                    raise UserError(_("{what}: choose the file").format(what=what))
            normalise(self.code.text())
            if not self.for_account:
                check_password_policy(self.password.text())
        except UserError as exc:
            self.message.setText(str(exc))
            return False
        if self.for_account:
            return self._join_as_account(snapshot, ca if ca_given else None)
        login, password, code = self.login.text().strip(), self.password.text(), self.code.text()
        self.ctx.engine.dispose()        # the empty store is replaced once the join is complete, else left as it is
        store = self.ctx.db_path

        def work(progress):
            from inspector.exchange.join import join_new_laptop

            return join_new_laptop(store, snapshot, code, ca, login, password, progress)

        self.setEnabled(False)
        self.task = self.ctx.tasks.run(work, title=_("Joining the inspection"), on_done=self._joined,
                                       on_error=self._refused, write=True, parent=self)
        return True

    def _join_as_account(self, snapshot: Path, ca: Path | None) -> bool:
        actor, code, engine = self.ctx.actor, self.code.text(), self.ctx.engine

        def work(progress):
            from inspector.exchange.join import join_with_account

            return join_with_account(engine, snapshot, code, actor, ca, progress)

        def done(info) -> None:
            self.setEnabled(True)
            self.accept()
            self.joined.emit(info.inspection_id)

        self.setEnabled(False)
        self.task = self.ctx.tasks.run(work, title=_("Joining the inspection"), on_done=done, on_error=self._say,
                                       write=True, parent=self)
        return True

    def _joined(self, result) -> None:
        from inspector.accounts import authenticate
        from inspector.db import session_factory

        engine, info, recovery = result
        self.ctx.engine, self.ctx.sessions = engine, session_factory(engine)
        self.ctx.actor = authenticate(engine, self.login.text().strip(), self.password.text())
        self.ctx.settings.set_value("last_login", self.ctx.actor.login)
        self.result_info, self.recovery_key = info, recovery
        self.password.clear()
        self.confirm.clear()
        self.setEnabled(True)
        self._show_recovery_key()

    def _refused(self, exc: BaseException) -> None:
        from inspector.db import open_store, session_factory

        self.ctx.engine = open_store(self.ctx.db_path)      # the laptop's empty store again
        self.ctx.sessions = session_factory(self.ctx.engine)
        self._say(exc)

    def _say(self, exc: BaseException) -> None:
        """Why the join did not happen, in the dialog (a bug in a box with its details)."""
        self.setEnabled(True)
        if isinstance(exc, Cancelled):
            self.message.setText(_("Cancelled; nothing was changed."))
        elif isinstance(exc, (UserError, StoreError)):
            self.message.setText(str(exc))
        else:
            self.ctx.tasks.show_error(exc, self, _("Joining the inspection"))

    def _show_recovery_key(self) -> None:
        """What was joined and the store's recovery key, shown this once; closes on 'written down'."""
        from ui.login import show_recovery_key

        info = self.result_info
        self.recovery_field = show_recovery_key(self, _(
            "You joined inspection {name}: {rows} rows checked against their digests, {added} events of the team "
            "merged. This laptop's store is encrypted; its recovery key opens it when every password is lost. It is "
            "shown only now: write it down and keep it apart from the laptop.").format(
                name=info.fixmedins_name, rows=f"{info.rows:,}", added=info.events_added), self.recovery_key)
