"""Log in at start (or create the store's first account, the team lead), and the idle lock that
hides every patient datum until the password is typed again. The checks are the core's:
`inspector.accounts.authenticate` and `create_account`."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inspector.accounts import authenticate, create_account, has_accounts
from inspector.db import StoreError
from inspector.errors import UserError
from inspector.i18n import _
from ui.context import ApplicationContext


def _password_field() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


def _add_message_and_buttons(dialog: QDialog, layout: QVBoxLayout, ok_text: str, on_ok) -> QLabel:
    """The red message line and the OK / Quit buttons under a form; returns the message label."""
    message = QLabel()
    message.setWordWrap(True)
    message.setStyleSheet("color: #b00020;")
    layout.addWidget(message)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Quit"))
    buttons.accepted.connect(on_ok)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    return message


class LoginDialog(QDialog):
    """Login and password; on success `ctx.actor` is the account, its signing key unlocked."""

    def __init__(self, ctx: ApplicationContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(_("Log in to Inspector"))
        layout = QVBoxLayout(self)
        self.intro = QLabel(_("Store: {path}").format(path=ctx.db_path))
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)
        form = QFormLayout()
        self.login = QLineEdit()
        self.password = _password_field()
        form.addRow(_("Login"), self.login)
        form.addRow(_("Password"), self.password)
        layout.addLayout(form)
        self.message = _add_message_and_buttons(self, layout, _("Log in"), self.try_login)
        last = ctx.settings.value("last_login")
        if last:
            self.login.setText(last)
            self.password.setFocus()

    def try_login(self) -> bool:
        from inspector.storecrypt import is_locked, reunlock

        try:
            if is_locked(self.ctx.engine):  # the store key comes from this login's slot first
                reunlock(self.ctx.engine, self.ctx.db_path, self.login.text().strip(), self.password.text())
            actor = authenticate(self.ctx.engine, self.login.text().strip(), self.password.text(), with_key=True)
        except (UserError, StoreError) as exc:
            self.password.clear()
            self.message.setText(str(exc))
            return False
        self.password.clear()
        self.ctx.actor = actor
        self.ctx.settings.set_value("last_login", actor.login)
        self.accept()
        return True


class FirstAccountDialog(QDialog):
    """First start on an empty store: create its first account, the team lead, who creates the others."""

    def __init__(self, ctx: ApplicationContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(_("Create the first account"))
        layout = QVBoxLayout(self)
        intro = QLabel(_("This store has no account yet. Create yours: the first account is the team lead's, "
                         "who then creates the accounts of the inspectors (account create)."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.login = QLineEdit()
        self.display_name = QLineEdit()
        self.cert_no = QLineEdit()
        self.role = QComboBox()
        self.role.addItem(_("lead"), "lead")
        self.recovery_key = ""
        self.password = _password_field()
        self.confirm = _password_field()
        form.addRow(_("Login"), self.login)
        form.addRow(_("Full name"), self.display_name)
        form.addRow(_("Enforcement certificate no."), self.cert_no)
        form.addRow(_("Role"), self.role)
        form.addRow(_("Password (at least 10 characters)"), self.password)
        form.addRow(_("Password again"), self.confirm)
        layout.addLayout(form)
        self.message = _add_message_and_buttons(self, layout, _("Create and log in"), self.create)
        # or: an inspector whose teammate exported the inspection for this laptop
        self.join_button = QPushButton(_("Join a teammate's inspection from a snapshot file…"))
        self.join_button.clicked.connect(self.open_join)
        layout.addWidget(self.join_button)
        self.join_dialog = None

    def open_join(self) -> None:
        from ui.join import JoinDialog

        self.join_dialog = JoinDialog(self.ctx, self)
        self.join_dialog.accepted.connect(self.accept)
        self.join_dialog.open()

    def create(self) -> bool:
        if self.password.text() != self.confirm.text():
            self.message.setText(_("The two passwords differ."))
            return False
        try:
            from inspector.accounts import check_password_policy
            from inspector.db import engine_key, session_factory
            from inspector.storecrypt import create_encrypted_store

            check_password_policy(self.password.text())
            if engine_key(self.ctx.engine) is None:
                # the first account creates the encrypted store, its key, its slot and the recovery key
                self.ctx.engine.dispose()
                engine, self.recovery_key = create_encrypted_store(self.ctx.db_path, self.login.text().strip(),
                                                                   self.password.text())
                self.ctx.engine, self.ctx.sessions = engine, session_factory(engine)
            create_account(self.ctx.engine, self.login.text().strip(), self.password.text(), self.role.currentData(),
                           self.cert_no.text().strip(), self.display_name.text().strip(), actor=None)
            actor = authenticate(self.ctx.engine, self.login.text().strip(), self.password.text(), with_key=True)
        except (UserError, StoreError) as exc:
            self.message.setText(str(exc))
            return False
        self.password.clear()
        self.confirm.clear()
        self.ctx.actor = actor
        self.ctx.settings.set_value("last_login", actor.login)
        if self.recovery_key:
            self.show_recovery_key()
        else:
            self.accept()
        return True

    def show_recovery_key(self) -> None:
        """The recovery key, shown this once in place of the form; the dialog closes on 'written down'."""
        self.recovery_field = show_recovery_key(self, _(
            "The store is encrypted. Its recovery key opens it when every password is lost. It is shown only now: "
            "write it down and keep it apart from the laptop."), self.recovery_key)


def show_recovery_key(dialog: QDialog, text: str, key: str) -> QLineEdit:
    """Replace the dialog's form by `text`, the recovery key (read-only, selectable) and an
    'I have written it down' button that accepts the dialog; returns the key's field."""
    def hide(layout) -> None:
        for i in reversed(range(layout.count())):
            item = layout.itemAt(i)
            if item.widget() is not None:
                item.widget().hide()
            elif item.layout() is not None:
                hide(item.layout())

    hide(dialog.layout())
    note = QLabel(text)
    note.setWordWrap(True)
    field = QLineEdit(key)
    field.setReadOnly(True)
    done = QPushButton(_("I have written it down"))
    done.clicked.connect(dialog.accept)
    for w in (note, field, done):
        dialog.layout().addWidget(w)
    return field


def login_dialog(ctx: ApplicationContext, parent: QWidget | None = None) -> QDialog:
    """The dialog the application starts with: first account on an empty store, else login."""
    from inspector.storecrypt import is_locked

    if is_locked(ctx.engine):
        return LoginDialog(ctx, parent)  # an encrypted store has accounts: its key comes with a login
    with ctx.engine.connect() as conn:
        first = not has_accounts(conn)
    return FirstAccountDialog(ctx, parent) if first else LoginDialog(ctx, parent)


class LockScreen(QWidget):
    """What the window shows while locked: who is logged in and a password field, nothing else."""

    unlocked = Signal()

    def __init__(self, ctx: ApplicationContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.title = QLabel()
        self.title.setObjectName("pageTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.title)
        self.who = QLabel()
        self.who.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.who)
        self.password = _password_field()
        self.password.setMaximumWidth(320)
        self.password.returnPressed.connect(self.try_unlock)
        layout.addWidget(self.password, 0, Qt.AlignmentFlag.AlignHCenter)
        self.unlock_button = QPushButton()
        self.unlock_button.clicked.connect(self.try_unlock)
        layout.addWidget(self.unlock_button, 0, Qt.AlignmentFlag.AlignHCenter)
        self.message = QLabel()
        self.message.setStyleSheet("color: #b00020;")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.message)
        layout.addStretch(2)
        self.retranslate()

    def retranslate(self, _lang: str | None = None) -> None:
        self.title.setText(_("Locked"))
        a = self.ctx.actor
        self.who.setText(_("Locked after a while without use. {name} ({login}): type your password to go on.")
                         .format(name=a.display_name if a else "", login=a.login if a else ""))
        self.password.setPlaceholderText(_("Password"))
        self.unlock_button.setText(_("Unlock"))

    def try_unlock(self) -> bool:
        """Unlock with the logged-in account's password (the core's authenticate, slowed after failures)."""
        a = self.ctx.actor
        if a is None:
            return False
        try:
            from inspector.storecrypt import is_locked, reunlock

            if is_locked(self.ctx.engine):  # the idle lock dropped the key: derive it again
                reunlock(self.ctx.engine, self.ctx.db_path, a.login, self.password.text())
            authenticate(self.ctx.engine, a.login, self.password.text())
        except (UserError, StoreError) as exc:
            self.password.clear()
            self.message.setText(str(exc))
            return False
        self.password.clear()
        self.message.clear()
        self.unlocked.emit()
        return True


class IdleLock(QObject):
    """Fires `timed_out` after `minutes` without keyboard or mouse input anywhere in the application."""

    timed_out = Signal()
    INPUT = (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel,
             QEvent.Type.TouchBegin)

    def __init__(self, minutes: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.timed_out)
        self.set_minutes(minutes)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def set_minutes(self, minutes: float) -> None:
        self.timer.setInterval(max(1, int(minutes * 60_000)))
        self.timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in self.INPUT and self.timer.isActive():
            self.timer.start()
        return False

    def stop(self) -> None:
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
