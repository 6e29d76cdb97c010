"""One translation system for core and UI: gettext catalogs (.po) in resources/locale.

Message ids are English; Simplified Chinese is the default language. Every `.po` file in
`resources/locale/<lang>/LC_MESSAGES/` is loaded (one file per area, so parts of the
program keep their own catalogs) and read with Babel, so no compile step is needed.
Use `_("text {name}").format(name=...)` for anything a user reads; `N_()` marks a
string for extraction where it is translated later.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

from babel.messages.pofile import read_po

from inspector.resources import resource_path

DEFAULT_LANGUAGE = "zh_CN"
LANGUAGES = ("zh_CN", "en")

_lock = threading.Lock()
_catalogs: dict[str, dict[str, str]] = {}
_language = DEFAULT_LANGUAGE
_listeners: list[Callable[[str], None]] = []


def _load(lang: str) -> dict[str, str]:
    table: dict[str, str] = {}
    folder = resource_path("locale", lang, "LC_MESSAGES")
    for po in sorted(folder.glob("*.po")) if folder.exists() else []:
        with open(po, "rb") as f:
            catalog = read_po(f, locale=lang)
        for msg in catalog:
            if msg.id and msg.string and not msg.fuzzy and isinstance(msg.id, str):
                table[msg.id] = msg.string
    return table


def catalog(lang: str) -> dict[str, str]:
    with _lock:
        if lang not in _catalogs:
            _catalogs[lang] = _load(lang)
        return _catalogs[lang]


def set_language(lang: str) -> None:
    """Switch the language for everything produced from now on; listeners retranslate."""
    global _language
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}")
    _language = lang
    for listener in list(_listeners):
        listener(lang)


def language() -> str:
    return getattr(_local, "lang", None) or _language


_local = threading.local()


class fixed_language:
    """`with fixed_language("zh_CN"):` text made in this thread is in that language (an interface
    such as the findings JSON must not depend on the UI language); listeners are not called."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __enter__(self):
        self.before = getattr(_local, "lang", None)
        _local.lang = self.lang
        return self

    def __exit__(self, *exc) -> None:
        _local.lang = self.before


def on_language_changed(listener: Callable[[str], None]) -> None:
    _listeners.append(listener)


def remove_language_listener(listener: Callable[[str], None]) -> None:
    """Stop calling `listener` on a language switch (a closed window's hook)."""
    if listener in _listeners:
        _listeners.remove(listener)


def gettext(message: str, lang: str | None = None) -> str:
    """`message` in the current (or given) language; the English id when untranslated."""
    return catalog(lang or getattr(_local, "lang", None) or _language).get(message, message)


_ = gettext


def N_(message: str) -> str:
    """Mark for extraction only."""
    return message


def reload_catalogs() -> None:
    with _lock:
        _catalogs.clear()
