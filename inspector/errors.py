"""Errors the user can act on. The CLI prints their message and exits 2; the GUI shows it."""
from __future__ import annotations


class UserError(Exception):
    """Bad input or an impossible request; nothing was changed."""


class StoreBusy(UserError):
    """Another writer held the store's lock longer than the busy timeout; nothing was recorded."""
