"""Window and UI state kept in QSettings: geometry, recent paths, language, central URL.

Only UI state lives here; inspection settings are the core's (`inspector.settings`).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from inspector.i18n import DEFAULT_LANGUAGE, LANGUAGES

MAX_RECENT = 8


DEFAULT_IDLE_LOCK_MINUTES = 10      # the idle lock hides patient data after this long without input

class UiSettings:
    """Typed access to the application's QSettings (an INI file, so it is portable)."""

    def __init__(self, path: Path | str | None = None) -> None:
        if path is None:
            self.qsettings = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "Inspector", "Inspector")
        else:
            self.qsettings = QSettings(str(path), QSettings.Format.IniFormat)

    # language --------------------------------------------------------------------
    def language(self) -> str:
        value = str(self.qsettings.value("ui/language", DEFAULT_LANGUAGE))
        return value if value in LANGUAGES else DEFAULT_LANGUAGE

    def set_language(self, lang: str) -> None:
        self.qsettings.setValue("ui/language", lang)

    # window geometry -------------------------------------------------------------
    def geometry(self, key: str) -> QByteArray | None:
        value = self.qsettings.value(f"geometry/{key}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_geometry(self, key: str, value: QByteArray) -> None:
        self.qsettings.setValue(f"geometry/{key}", value)

    # recent paths and remembered values -------------------------------------------
    def recent(self, kind: str) -> list[str]:
        value = self.qsettings.value(f"recent/{kind}", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or []) if v]

    def add_recent(self, kind: str, path: str) -> None:
        items = [path] + [p for p in self.recent(kind) if p != path]
        self.qsettings.setValue(f"recent/{kind}", items[:MAX_RECENT])

    def value(self, key: str, default: str = "") -> str:
        v = self.qsettings.value(f"values/{key}", default)
        return default if v is None else str(v)

    def set_value(self, key: str, value: str) -> None:
        self.qsettings.setValue(f"values/{key}", value)

    def idle_lock_minutes(self) -> float:
        """Minutes without input before the window locks (default 10)."""
        try:
            value = float(self.qsettings.value("security/idle_lock_minutes", DEFAULT_IDLE_LOCK_MINUTES))
        except (TypeError, ValueError):
            return float(DEFAULT_IDLE_LOCK_MINUTES)
        return value if value > 0 else float(DEFAULT_IDLE_LOCK_MINUTES)

    def set_idle_lock_minutes(self, minutes: float) -> None:
        self.qsettings.setValue("security/idle_lock_minutes", float(minutes))

    def sync(self) -> None:
        self.qsettings.sync()
