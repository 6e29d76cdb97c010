"""The transfer code of a snapshot file.

A snapshot file holds a hospital's patient data and travels on a USB stick, so it is encrypted
(SQLCipher, AES-256, an HMAC on every page) with a key derived from a random transfer code: 160
bits, shown once to the person who exports it (CLI and GUI), and handed to the person who joins
in person, read out or on paper, never with the file. The code is random, so a fast key
derivation (HKDF-SHA256) suffices: there is no password to guess.
"""
from __future__ import annotations

import base64
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from inspector.db import StoreKey, cipher_connect
from inspector.errors import UserError
from inspector.i18n import _
from inspector.keyslots import new_recovery_key, normalise_recovery_key, read_secret_file

_CODE_BYTES = 20                      # 160 bits: 32 base32 characters in 8 groups of 4
_SALT = b"inspector-snapshot-file/2"
_INFO = b"sqlcipher raw key"


def new_transfer_code() -> str:
    """A new code, in the recovery key's form (160 random bits, 8 groups of 4 base32 characters)."""
    return new_recovery_key()


def normalise(code: str) -> str:
    """The code's 32 characters, whatever the person typed around them (dashes, spaces, lower case)."""
    text = normalise_recovery_key(code)
    text = text.replace("0", "O").replace("1", "I").replace("8", "B")   # read aloud or off paper
    try:
        ok = len(text) == 32 and len(base64.b32decode(text)) == _CODE_BYTES
    except ValueError:
        ok = False
    if not ok:
        raise UserError(_("this is not a transfer code: a transfer code has 8 groups of 4 letters and digits, "
                          "as shown to the person who exported the file"))
    return text


def file_key(code: str) -> StoreKey:
    """The snapshot file's raw SQLCipher key of `code`."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO)
    return StoreKey(hkdf.derive(normalise(code).encode("ascii")))


def open_file(path: Path | str, code: str, **kwargs):
    """A SQLCipher connection to the snapshot file at `path`, keyed with `code` (nothing read yet)."""
    key = file_key(code)
    try:
        return cipher_connect(path, key, **kwargs)
    finally:
        key.wipe()


def attach_file(dbapi, path: Path | str, code: str, schema: str = "xfer") -> None:
    """Attach the snapshot file at `path` to a SQLCipher connection as `schema`, keyed with `code`
    (outside any transaction; a new file is created encrypted)."""
    key = file_key(code)
    try:
        dbapi.execute(f"ATTACH DATABASE ? AS {schema} KEY {key.sql_literal()}", (str(path),))
    finally:
        key.wipe()


def read_code_file(path: Path | str) -> str:
    return read_secret_file(path, _("the transfer code"))


def write_code_file(path: Path | str, code: str) -> None:
    """The code in a file readable by its owner only (for scripts; a person reads it off the screen)."""
    import os

    fd = os.open(Path(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(code + "\n")
