"""Errors the user can act on. The CLI prints their message and exits 2; the GUI shows it.

A `UserError` carries a message id and its values and is translated when shown, in the
language of that moment: `UserError(N_("no store at {path}"), path=p)`. Older call sites
pass text already translated with `_()`; that still works (an unknown id shows as is).
"""
from __future__ import annotations

from typing import Any


class UserError(Exception):
    """Bad input or an impossible request; nothing was changed."""

    def __init__(self, message: str = "", /, **values: Any) -> None:
        super().__init__(message)
        self.msgid = message
        self.values = values

    @property
    def message(self) -> str:
        """The message in the current language, values filled in."""
        from inspector.i18n import gettext

        text = gettext(self.msgid)
        return text.format(**self.values) if self.values else text

    def __str__(self) -> str:
        return self.message


class BoundsError(UserError):
    """A number outside what the application accepts (see inspector.limits)."""


class StoreBusy(UserError):
    """Another writer held the store's lock longer than the busy timeout; nothing was recorded."""
