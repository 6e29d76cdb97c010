"""Errors the user can act on. The CLI prints their message and exits 2; the GUI shows it.

A `UserError` carries a message id and its values and is translated when shown, in the
language of that moment: `UserError(N_("no store at {path}"), path=p)`. Older call sites
pass text already translated with `_()`; that still works (an unknown id shows as is).
"""
from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

from inspector.i18n import N_


# What the operating system's refusals mean, in words the user can act on: its own text
# (`strerror`) is English whatever the user's language.
_OS_REASONS = {
    errno.ENOSPC: N_("the disk is full"),
    errno.EDQUOT: N_("the disk is full"),
    errno.EROFS: N_("the disk is read-only (is the card or stick locked?)"),
    errno.EACCES: N_("permission denied"),
    errno.EPERM: N_("permission denied"),
    errno.ENOENT: N_("no such file or folder"),
    errno.ENOTDIR: N_("a part of the path is not a folder"),
    errno.EISDIR: N_("it is a folder, not a file"),
    errno.EEXIST: N_("it already exists"),
    errno.EIO: N_("the disk could not be read or written (removed, or damaged?)"),
    errno.ENXIO: N_("the device is gone (removed?)"),
    errno.ENODEV: N_("the device is gone (removed?)"),
    errno.ENAMETOOLONG: N_("the name is too long"),
    errno.EFBIG: N_("the file is too large for this disk (a FAT32 stick holds at most 4 GB a file)"),
}
# Refusals that come from the machine around the program (disk, medium, permissions), not from a bug.
ENVIRONMENT_ERRNOS = frozenset(_OS_REASONS)


def os_reason(exc: OSError) -> str:
    """Why an operating-system call failed, in the user's language."""
    from inspector.i18n import gettext

    msgid = _OS_REASONS.get(exc.errno) if exc.errno is not None else None
    if msgid is not None:
        return gettext(msgid)
    return gettext(N_("system error {code}")).format(code=errno.errorcode.get(exc.errno or 0, exc.errno))


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


def cannot_write(path: Path | str, exc: OSError) -> UserError:
    """A file the user asked for could not be written (the partial file is already removed)."""
    return UserError(N_("cannot write {path}: {why}; nothing was written there"), path=str(path), why=os_reason(exc))


class BoundsError(UserError):
    """A number outside what the application accepts (see inspector.limits)."""


class StoreBusy(UserError):
    """Another writer held the store's lock longer than the busy timeout; nothing was recorded."""
