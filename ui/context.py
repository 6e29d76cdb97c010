"""The ApplicationContext handed to every window and view (no globals)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from inspector.db import session_factory
from ui.language import LanguageManager
from ui.settings import UiSettings
from ui.tasks import TaskRunner

if TYPE_CHECKING:
    from inspector.accounts import Actor


@dataclass
class ApplicationContext:
    """What views need: the store, sessions, UI settings, background tasks, language."""

    db_path: Path
    engine: Engine
    sessions: sessionmaker[Session]
    settings: UiSettings
    tasks: TaskRunner
    language: LanguageManager
    actor: Actor | None = None          # the logged-in account (set by the login dialog)

    def session(self) -> Session:
        """A new Session for one user action or one background task (never shared)."""
        return self.sessions()

    def close(self) -> None:
        """Wait for running work, detach from the core, release the store."""
        self.tasks.wait_idle()
        self.language.close()
        self.settings.sync()
        self.engine.dispose()


def create_context(db_path: Path | str | None, settings_path: Path | str | None = None) -> ApplicationContext:
    """Open the store (migrating it) and build the context; a QApplication must exist."""
    from inspector import i18n
    from inspector.db import default_store_path

    from inspector.storecrypt import open_or_locked

    path = Path(db_path) if db_path is not None else default_store_path()
    engine = open_or_locked(path)  # an encrypted store waits, locked, for the login dialog
    settings = UiSettings(settings_path)
    i18n.set_language(settings.language())
    return ApplicationContext(
        db_path=path,
        engine=engine,
        sessions=session_factory(engine),
        settings=settings,
        tasks=TaskRunner(),
        language=LanguageManager(),
    )
