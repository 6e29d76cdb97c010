"""Errors the user can act on. The CLI prints their message and exits 2; the GUI shows it."""
from __future__ import annotations


class UserError(Exception):
    """Bad input or an impossible request; nothing was changed."""
