"""Runtime language switch: gettext for our strings, Qt's own catalogs for standard dialogs.

`LanguageManager.changed` fires after `inspector.i18n` switched language and Qt's
translators were swapped; every widget with text connects its `retranslate` to it.
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QObject, QTranslator, Signal

from inspector import i18n

# What the language menu shows: each language in its own name (not translated on purpose).
LANGUAGE_NAMES = {"zh_CN": "简体中文", "en": "English"}


class LanguageManager(QObject):
    """Owns the Qt translators and relays `inspector.i18n` language changes as a signal."""

    changed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._translators: list[QTranslator] = []
        self._listener = self._on_core_language_changed
        i18n.on_language_changed(self._listener)
        self._install_qt_catalogs(i18n.language())

    def language(self) -> str:
        return i18n.language()

    def set_language(self, lang: str) -> None:
        """Switch everything (core text, Qt dialogs, open windows) to `lang`."""
        i18n.set_language(lang)

    def close(self) -> None:
        """Detach from the core and remove the Qt translators."""
        i18n.remove_language_listener(self._listener)
        app = QCoreApplication.instance()
        for tr in self._translators:
            if app is not None:
                app.removeTranslator(tr)
        self._translators.clear()

    def _on_core_language_changed(self, lang: str) -> None:
        self._install_qt_catalogs(lang)
        self.changed.emit(lang)

    def _install_qt_catalogs(self, lang: str) -> None:
        app = QCoreApplication.instance()
        if app is None:
            return
        for tr in self._translators:
            app.removeTranslator(tr)
        self._translators.clear()
        QLocale.setDefault(QLocale(lang))
        if lang == "en":
            return
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        for name in ("qtbase", "qt"):
            tr = QTranslator(app)
            if tr.load(f"{name}_{lang}", folder):
                app.installTranslator(tr)
                self._translators.append(tr)

    def qt_catalogs_loaded(self) -> int:
        """How many Qt catalogs are installed (0 in English)."""
        return len(self._translators)
