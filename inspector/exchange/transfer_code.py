"""The transfer code of a snapshot file.

A snapshot file holds a hospital's patient data and travels on a USB stick, so it is encrypted
(SQLCipher, AES-256, an HMAC on every page) with a key derived from a random transfer code: 160
bits, shown once to the person who exports it (CLI and GUI), and handed to the person who joins
in person, read out or on paper, never with the file. The code is random, so a fast key
derivation (HKDF-SHA256) suffices: there is no password to guess.
"""
from __future__ import annotations

import base64
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from inspector.db import StoreKey
from inspector.errors import UserError
from inspector.i18n import _

_CODE_BYTES = 20                      # 160 bits: 32 base32 characters in 8 groups of 4
_SALT = b"inspector-snapshot-file/2"
_INFO = b"sqlcipher raw key"


def new_transfer_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(_CODE_BYTES)).decode("ascii")
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def normalise(code: str) -> str:
    """The code's 32 characters, whatever the person typed around them (dashes, spaces, lower case)."""
    text = "".join(ch for ch in (code or "").upper() if ch.isalnum())
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
    from inspector.db import cipher_connect

    key = file_key(code)
    try:
        con = cipher_connect(path, key, **kwargs)
    finally:
        key.wipe()
    return con


def read_code_file(path: Path | str) -> str:
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(_("the transfer code: cannot read {path} ({why})").format(path=p, why=exc.__class__.__name__)) \
            from None


def write_code_file(path: Path | str, code: str) -> None:
    """The code in a file readable by its owner only (for scripts; a person reads it off the screen)."""
    import os

    p = Path(path)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(code + "\n")
