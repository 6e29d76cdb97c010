"""Reading a store in tests the way a person with the password would: an encrypted store is opened
with the key unwrapped from a login's key slot; a plain one as it is. And copying a store with the
key file that goes with it."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from inspector.db import StoreKey, cipher_connect, is_encrypted_file
from inspector.keyslots import keyfile_path, unwrap_with_password


def connect(db: Path, login: str, password: str, *, read_only: bool = False):
    """A DB-API connection to the store at `db` (encrypted: through `login`'s key slot)."""
    if not is_encrypted_file(db):
        return sqlite3.connect(f"file:{db}?mode=ro", uri=True) if read_only else sqlite3.connect(db)
    raw = unwrap_with_password(db, login, password)
    return cipher_connect(db, StoreKey(raw))


def copy_store(src: Path, dst: Path) -> Path:
    """Copy a store file and, when it has one, its key file."""
    shutil.copyfile(src, dst)
    if keyfile_path(src).exists():
        shutil.copyfile(keyfile_path(src), keyfile_path(dst))
    return dst
