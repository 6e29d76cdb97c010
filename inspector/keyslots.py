"""Key slots: the store key wrapped once per account and once for the recovery key.

The store (a SQLCipher 4 database, see `inspector.db`) is encrypted with one random 256-bit
store key. That key is never written anywhere in the clear: the key file beside the store
(`inspector.db.keyslots`, JSON) holds one *slot* per account, each the store key encrypted with
AES-256-GCM under a key derived from the account's password with Argon2id (its own random
salt and parameters in the slot), plus one slot for the recovery key shown once when the
store was created. The file holds no patient data: logins, salts, parameters, nonces and
ciphertexts. Each slot's associated data binds it to the store's id and its own slot id, so
a slot cannot be moved to another account or another store.

A wrong password fails the GCM tag check: `WrongSecret`. Changing the file is always
write-new-then-rename (`_write_atomic`), so a crash leaves the old or the new file.

The recovery key: 160 random bits written as 32 base32 characters in groups (`ABCD-EFGH-...`),
typed back ignoring case, spaces and dashes. Its slot key is derived with Argon2id too
(cheap parameters would do for 160 random bits; the same code path is kept).
"""
from __future__ import annotations

import base64
import json
import os
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspector.errors import UserError
from inspector.i18n import _

KEYFILE_SUFFIX = ".keyslots"
FORMAT = "inspector-keyslots"
VERSION = 1
STORE_KEY_BYTES = 32

# Argon2id for the product: about 0.3 s on the reference laptop class (2 cores), so that
# opening the store (key derivation, login check, SQLCipher open) stays within 1 s.
ARGON2_PARAMS: dict[str, int] = {"time_cost": 3, "memory_cost": 65536, "parallelism": 2}
# For tests only (INSPECTOR_TEST_ARGON2=fast), the same switch the accounts module reads.
TEST_ARGON2_PARAMS: dict[str, int] = {"time_cost": 1, "memory_cost": 8192, "parallelism": 1}
TEST_PARAMS_ENV = "INSPECTOR_TEST_ARGON2"

RECOVERY_SLOT = "recovery"


class WrongSecret(UserError):
    """The password or recovery key does not open its slot."""


def argon2_params() -> dict[str, int]:
    return dict(TEST_ARGON2_PARAMS if os.environ.get(TEST_PARAMS_ENV) == "fast" else ARGON2_PARAMS)


def keyfile_path(store_path: Path | str) -> Path:
    p = Path(store_path)
    return p.with_name(p.name + KEYFILE_SUFFIX)


def has_keyfile(store_path: Path | str) -> bool:
    return keyfile_path(store_path).exists()


def new_store_key() -> bytearray:
    return bytearray(secrets.token_bytes(STORE_KEY_BYTES))


def wipe(buf: bytearray | None) -> None:
    """Overwrite a key held in a bytearray (Python's immutable copies cannot be; we keep none)."""
    if buf is not None:
        for i in range(len(buf)):
            buf[i] = 0


# --- recovery key text ------------------------------------------------------------------

def new_recovery_key() -> str:
    raw = base64.b32encode(secrets.token_bytes(20)).decode("ascii")  # 160 bits: 32 characters, 8 groups
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def normalise_recovery_key(text: str) -> str:
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


def read_secret_file(path: Path | str, what: str) -> str:
    """A password or recovery key from a file (UTF-8, trailing newline dropped)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(_("{what}: cannot read {path} ({why})").format(what=what, path=p, why=exc.__class__.__name__)) from None
    return text.rstrip("\r\n")


# --- the key file -----------------------------------------------------------------------

def _b64(b: bytes) -> str:
    return base64.b64encode(bytes(b)).decode("ascii")


def _unb64(s: str) -> bytes:
    return base64.b64decode(s.encode("ascii"))


def _kek(secret: str, salt: bytes, params: dict[str, int]) -> bytearray:
    from argon2.low_level import Type, hash_secret_raw

    return bytearray(hash_secret_raw(secret.encode("utf-8"), salt, time_cost=params["time_cost"],
                                     memory_cost=params["memory_cost"], parallelism=params["parallelism"],
                                     hash_len=32, type=Type.ID))


def _aad(store_id: str, slot_id: str) -> bytes:
    return f"{FORMAT}/{VERSION}/{store_id}/{slot_id}".encode("utf-8")


def _slot(store_id: str, slot_id: str, kind: str, secret: str, store_key: bytearray,
          params: dict[str, int] | None) -> dict[str, Any]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    params = dict(params or argon2_params())
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    kek = _kek(secret, salt, params)
    try:
        wrapped = AESGCM(bytes(kek)).encrypt(nonce, bytes(store_key), _aad(store_id, slot_id))
    finally:
        wipe(kek)
    return {"id": slot_id, "kind": kind, "kdf": {"name": "argon2id", **params}, "salt": _b64(salt),
            "nonce": _b64(nonce), "wrapped": _b64(wrapped)}


@dataclass
class KeyFile:
    path: Path
    store_id: str
    slots: list[dict[str, Any]]
    # failed password tries per slot id: {"n": count, "at": time of the last} (slows the next try)
    failures: dict[str, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def load(cls, store_path: Path | str) -> KeyFile:
        p = keyfile_path(store_path)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT or int(data.get("version", 0)) != VERSION:
                raise ValueError("format")
            return cls(p, str(data["store_id"]), list(data["slots"]), dict(data.get("failures") or {}))
        except FileNotFoundError:
            raise UserError(_("{path}: the store's key file is missing; without it the store cannot be opened "
                              "(restore it from the backup made with the store)").format(path=p)) from None
        except (ValueError, KeyError, TypeError):
            raise UserError(_("{path} is not an Inspector key file, or it is damaged").format(path=p)) from None

    def save(self) -> None:
        body = {"format": FORMAT, "version": VERSION, "store_id": self.store_id,
                "cipher": "SQLCipher 4, raw 256-bit key", "slots": self.slots}
        if self.failures:
            body["failures"] = self.failures
        _write_atomic(self.path, json.dumps(body, indent=1, ensure_ascii=False).encode("utf-8"))

    def slot_ids(self) -> list[str]:
        return [s["id"] for s in self.slots]

    def find(self, slot_id: str) -> dict[str, Any] | None:
        return next((s for s in self.slots if s["id"] == slot_id), None)

    def put(self, slot: dict[str, Any]) -> None:
        self.slots = [s for s in self.slots if s["id"] != slot["id"]] + [slot]

    def unwrap(self, slot_id: str, secret: str) -> bytearray:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        slot = self.find(slot_id)
        if slot is None:
            # spend the time a real slot takes, so an unknown login looks like a wrong password
            wipe(_kek(secret, b"\0" * 16, argon2_params()))
            raise WrongSecret(_("wrong login or password"))
        params = {k: int(slot["kdf"][k]) for k in ("time_cost", "memory_cost", "parallelism")}
        kek = _kek(secret, _unb64(slot["salt"]), params)
        try:
            key = AESGCM(bytes(kek)).decrypt(_unb64(slot["nonce"]), _unb64(slot["wrapped"]), _aad(self.store_id, slot_id))
        except InvalidTag:
            raise WrongSecret(_("wrong login or password") if slot["kind"] == "account"
                              else _("the recovery key is wrong")) from None
        finally:
            wipe(kek)
        return bytearray(key)


def account_slot_id(login: str) -> str:
    return f"account:{login}"


def _write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a crash leaves either the old or the new file, never a mix."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    from inspector.outputs import fsync_path

    fsync_path(folder)


# --- operations ---------------------------------------------------------------------------

def create_keyfile(store_path: Path | str, store_key: bytearray, login: str, password: str, *,
                   params: dict[str, int] | None = None) -> str:
    """A new key file for a new store key: the first account's slot and the recovery slot.

    Returns the recovery key (to be shown once, never stored). Refuses to overwrite a key file."""
    p = keyfile_path(store_path)
    if p.exists():
        raise UserError(_("{path} already exists: this store already has its keys").format(path=p))
    store_id = str(uuid.uuid4())
    recovery = new_recovery_key()
    kf = KeyFile(p, store_id, [])
    kf.put(_slot(store_id, account_slot_id(login), "account", password, store_key, params))
    kf.put(_slot(store_id, RECOVERY_SLOT, "recovery", normalise_recovery_key(recovery), store_key, params))
    kf.save()
    return recovery


def add_account_slot(store_path: Path | str, store_key: bytearray, login: str, password: str, *,
                     params: dict[str, int] | None = None) -> None:
    """Wrap the (unlocked) store key for `login` with `password`; replaces that login's slot."""
    kf = KeyFile.load(store_path)
    kf.put(_slot(kf.store_id, account_slot_id(login), "account", password, store_key, params))
    kf.save()


def remove_account_slot(store_path: Path | str, login: str) -> None:
    kf = KeyFile.load(store_path)
    kf.slots = [s for s in kf.slots if s["id"] != account_slot_id(login)]
    kf.save()


def replace_recovery_slot(store_path: Path | str, store_key: bytearray, *, params: dict[str, int] | None = None) -> str:
    """A new recovery key (the old one stops working); returns it to be shown once."""
    kf = KeyFile.load(store_path)
    recovery = new_recovery_key()
    kf.put(_slot(kf.store_id, RECOVERY_SLOT, "recovery", normalise_recovery_key(recovery), store_key, params))
    kf.save()
    return recovery


def throttle_delay(failed: int) -> float:
    """Seconds the next try of a slot waits after `failed` consecutive failures: 0, 1, 2, 4, ... 60."""
    return 0.0 if failed <= 0 else float(min(2 ** (int(failed) - 1), 60))


def unwrap_with_password(store_path: Path | str, login: str, password: str, *,
                         sleep: Callable[[float], None] = time.sleep,
                         clock: Callable[[], float] = time.time) -> bytearray:
    """The store key from `login`'s slot; WrongSecret when the login has no slot or the password is wrong.

    Repeated failures slow the next try down (`throttle_delay`, counted in the key file)."""
    sid = account_slot_id((login or "").strip())
    kf = KeyFile.load(store_path)
    failed = kf.failures.get(sid)
    if failed:
        wait = throttle_delay(int(failed.get("n", 0))) - (clock() - float(failed.get("at", 0)))
        if wait > 0:
            sleep(wait)
    try:
        key = kf.unwrap(sid, password or "")
    except WrongSecret:
        if kf.find(sid) is not None:
            kf = KeyFile.load(store_path)
            n = int(kf.failures.get(sid, {}).get("n", 0)) + 1
            kf.failures[sid] = {"n": n, "at": clock()}
            kf.save()
        raise
    if failed:
        kf = KeyFile.load(store_path)
        kf.failures.pop(sid, None)
        kf.save()
    return key


def unwrap_with_recovery(store_path: Path | str, recovery_key: str) -> bytearray:
    return KeyFile.load(store_path).unwrap(RECOVERY_SLOT, normalise_recovery_key(recovery_key))


def slot_logins(store_path: Path | str) -> list[str]:
    return [s["id"].split(":", 1)[1] for s in KeyFile.load(store_path).slots if s["kind"] == "account"]


def describe(store_path: Path | str) -> dict[str, Any]:
    """What the key file holds, for `account list` / diagnostics (no secret material)."""
    kf = KeyFile.load(store_path)
    return {"store_id": kf.store_id, "slots": [{"id": s["id"], "kind": s["kind"], "kdf": s["kdf"]} for s in kf.slots]}
