"""Accounts: who may act on this store, how they prove it, and the signing key that is theirs.

Each store has its own accounts (table `account`): a login, a display name, a role
(inspector, lead or deputy reviewer), an enforcement certificate number (执法证号), an Argon2id
password hash (argon2-cffi, RFC 9106 low-memory profile: time cost 3, 64 MiB, parallelism 4)
and, once one is set, the person's PKCS#12 signing key, encrypted with AES-256-GCM under a key
derived from the password by Argon2id with the same parameters and its own salt.

Core functions that change state take the authenticated `Actor` (ARCHITECTURE.md 16): nothing
here reads an environment variable or the operating-system login to learn who acts. The first
account of a store is created without one and must be a team lead; every later account is
created by an authenticated lead. A wrong password is refused and slows the next try
(`throttle_delay`: 1 s after one failure, doubling up to 60 s), persisted in the store so a
new process does not start afresh.
"""
from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import hash_secret_raw
from sqlalchemy import Connection, Engine

from inspector.db import write_transaction
from inspector.errors import UserError, os_reason
from inspector.i18n import _

ROLES = ("inspector", "lead", "deputy")
MIN_PASSWORD_LENGTH = 10

# The product's Argon2id parameters (RFC 9106, second recommended "low-memory" option).
ARGON2_PARAMS = {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}
# TEST ONLY: cheap parameters the test suite selects with INSPECTOR_TEST_ARGON2=fast so that the
# hundreds of stores it creates stay fast. Hashes record their own parameters, so a store made
# this way is only as strong as these; never set the variable outside the tests.
_TEST_PARAMS = {"time_cost": 1, "memory_cost": 8192, "parallelism": 1}
TEST_PARAMS_ENV = "INSPECTOR_TEST_ARGON2"


class AuthError(UserError):
    """Wrong login or password (nothing is said about which)."""


class PermissionDenied(UserError):
    """The authenticated account may not do this."""


@dataclass(frozen=True)
class SigningKey:
    """An account's unlocked signing key: private key, certificate and the chain that came with it."""

    private_key: Any                 # cryptography private key
    certificate: Any                 # cryptography x509.Certificate
    chain: tuple[Any, ...] = ()

    def pkcs12(self, passphrase: bytes | None = None) -> bytes:
        """The key as PKCS#12 bytes (encrypted with `passphrase` when one is given)."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.serialization import pkcs12

        enc = (serialization.BestAvailableEncryption(passphrase) if passphrase
               else serialization.NoEncryption())
        return pkcs12.serialize_key_and_certificates(None, self.private_key, self.certificate,
                                                     list(self.chain) or None, enc)

    def signer(self):
        """A pyHanko signer holding this key (in memory; nothing is written to disk)."""
        from pyhanko.sign import signers

        return signers.SimpleSigner.load_pkcs12_data(self.pkcs12(), other_certs=[])


@dataclass(frozen=True)
class Actor:
    """The authenticated account acting on the store; passed to every core mutation."""

    account_id: int
    login: str
    display_name: str
    role: str
    cert_no: str
    key: SigningKey | None = field(default=None, compare=False, repr=False)
    # Where the session began: this laptop's chain heads when the account logged in, as
    # (inspection uid, chain, position); None for an actor that did not come from a login. Every
    # head the session signs says so, so events added after the signature before and before the
    # login are told apart from the session's own (inspector/anchors.py `adopted_events`).
    session_from: tuple[tuple[str, str, int], ...] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class AccountInfo:
    """An account as listed (no hash, no key material)."""

    account_id: int
    login: str
    display_name: str
    role: str
    cert_no: str
    has_key: bool
    key_subject: str | None
    created_at: str
    created_by: str | None
    failed_attempts: int

    def as_dict(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "login": self.login, "display_name": self.display_name,
                "role": self.role, "cert_no": self.cert_no, "has_key": self.has_key,
                "key_subject": self.key_subject, "created_at": self.created_at, "created_by": self.created_by}


def argon2_params() -> dict[str, int]:
    """The Argon2id parameters new hashes and keys use (the product's, unless the test switch is set)."""
    return dict(_TEST_PARAMS if os.environ.get(TEST_PARAMS_ENV) == "fast" else ARGON2_PARAMS)


def _hasher(params: dict[str, int] | None = None) -> PasswordHasher:
    return PasswordHasher(type=Type.ID, **(params or argon2_params()))


def throttle_delay(failed_attempts: int) -> float:
    """Seconds the next try waits after `failed_attempts` consecutive failures: 0, 1, 2, 4, ... 60."""
    return 0.0 if failed_attempts <= 0 else float(min(2 ** (failed_attempts - 1), 60))


def check_password_policy(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise UserError(_("a password needs at least {n} characters").format(n=MIN_PASSWORD_LENGTH))


def read_password_file(path) -> str:
    """The password in file `path` (UTF-8), without the trailing newline."""
    from pathlib import Path

    try:
        text = Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise UserError(_("password file {path}: {reason}").format(path=path, reason=os_reason(exc))) from None
    except UnicodeDecodeError:
        raise UserError(_("password file {path}: not UTF-8 text").format(path=path)) from None
    text = text.rstrip("\r\n")
    if not text:
        raise UserError(_("password file {path} is empty").format(path=path))
    return text


def _now() -> str:
    return datetime.now().isoformat(sep=" ", timespec="seconds")


def _row_actor(r) -> Actor:
    return Actor(int(r.id), r.login, r.display_name, r.role, r.cert_no)


_COLS = ("id, login, display_name, role, cert_no, password_hash, failed_attempts, last_failed_at, created_at, "
         "created_by, key_blob, key_kdf, cert_pem")


def _fetch(conn: Connection, login: str):
    return conn.exec_driver_sql(f"SELECT {_COLS} FROM account WHERE login = ?", (login,)).fetchone()


def has_accounts(conn: Connection) -> bool:
    """Whether the store has any account yet (an empty store lets its first lead be created)."""
    return conn.exec_driver_sql("SELECT 1 FROM account LIMIT 1").fetchone() is not None


def get_actor(conn: Connection, login: str) -> Actor:
    """The account `login` as an Actor (no authentication: for display and folds only)."""
    r = _fetch(conn, login)
    if r is None:
        raise UserError(_("no account '{login}' in this store").format(login=login))
    return _row_actor(r)


def list_accounts(conn: Connection) -> list[AccountInfo]:
    """Every account of the store, oldest first."""
    rows = conn.exec_driver_sql(
        "SELECT a.id, a.login, a.display_name, a.role, a.cert_no, a.cert_pem, a.created_at, c.login AS by_login, "
        "a.failed_attempts FROM account a LEFT JOIN account c ON c.id = a.created_by ORDER BY a.id").fetchall()
    out = []
    for r in rows:
        subject = None
        if r.cert_pem:
            subject = _cert_subject(_load_cert(r.cert_pem))[0]
        out.append(AccountInfo(int(r.id), r.login, r.display_name, r.role, r.cert_no, r.cert_pem is not None,
                               subject, r.created_at, r.by_login, int(r.failed_attempts)))
    return out


def create_account(engine: Engine, login: str, password: str, role: str, cert_no: str,
                   display_name: str | None = None, *, actor: Actor | None) -> Actor:
    """Create an account. The store's first account needs no actor and must be a lead; later ones
    are created by an authenticated lead. Records an 'account.created' event."""
    from inspector.events import append_event

    login = (login or "").strip()
    cert_no = (cert_no or "").strip()
    display_name = (display_name or "").strip() or login
    if not login or any(c.isspace() for c in login) or "/" in login or "\\" in login:
        raise UserError(_("account: a login is one word without spaces or slashes"))
    if role not in ROLES:
        raise UserError(_("account {login}: unknown role '{r}'; expected inspector, lead or deputy")
                        .format(login=login, r=role))
    if not cert_no:
        raise UserError(_("account {login}: the enforcement certificate number is needed").format(login=login))
    check_password_policy(password)
    params = argon2_params()
    pw_hash = _hasher(params).hash(password)
    with write_transaction(engine) as conn:
        first = not has_accounts(conn)
        if first:
            if role != "lead":
                raise UserError(_("the first account of a store must be a team lead: "
                                  "the lead then creates the other accounts"))
        else:
            if actor is None:
                raise PermissionDenied(_("creating an account needs an authenticated team lead"))
            if actor.role != "lead":
                raise PermissionDenied(_("only a team lead creates accounts; {who} is {role}")
                                       .format(who=actor.login, role=_(actor.role)))
        if _fetch(conn, login) is not None:
            raise UserError(_("an account '{login}' already exists").format(login=login))
        new_id = conn.exec_driver_sql(
            "INSERT INTO account (login, display_name, role, cert_no, password_hash, failed_attempts, created_at, "
            "created_by) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
            (login, display_name, role, cert_no, pw_hash, _now(), None if actor is None else actor.account_id),
        ).lastrowid
        created = Actor(int(new_id), login, display_name, role, cert_no)
        append_event(engine, None, "account.created",
                     {"account_id": created.account_id, "login": login, "display_name": display_name, "role": role,
                      "cert_no": cert_no}, actor=actor or created, conn=conn)
    # on an encrypted store the new account's password must open it: wrap the store key for it
    from inspector.storecrypt import ensure_account_slot

    ensure_account_slot(engine, login, password)
    return created


def create_member_account(engine: Engine, login: str, password: str, role: str, cert_no: str, display_name: str,
                          cert_pem: str) -> Actor:
    """The account of a team member joining an inspection on a laptop of their own
    (inspector/exchange/join.py): allowed only as the store's first account, with the role,
    certificate number and certificate the inspection's signed team list gives them."""
    from inspector.events import append_event

    check_password_policy(password)
    pw_hash = _hasher(argon2_params()).hash(password)
    with write_transaction(engine) as conn:
        if has_accounts(conn):
            raise PermissionDenied(_("this laptop already has accounts: log in, and import the snapshot file as "
                                     "one of them"))
        new_id = conn.exec_driver_sql(
            "INSERT INTO account (login, display_name, role, cert_no, password_hash, failed_attempts, created_at, "
            "cert_pem) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
            (login, display_name, role, cert_no, pw_hash, _now(), cert_pem),
        ).lastrowid
        created = Actor(int(new_id), login, display_name, role, cert_no)
        append_event(engine, None, "account.created",
                     {"account_id": created.account_id, "login": login, "display_name": display_name, "role": role,
                      "cert_no": cert_no, "joined": True}, actor=created, conn=conn)
    return created


_DUMMY_HASH: str | None = None


def _record_failure(engine: Engine, account_id: int, at: float) -> int:
    with write_transaction(engine) as conn:
        conn.exec_driver_sql("UPDATE account SET failed_attempts = failed_attempts + 1, last_failed_at = ? "
                             "WHERE id = ?", (at, account_id))
        return int(conn.exec_driver_sql("SELECT failed_attempts FROM account WHERE id = ?",
                                        (account_id,)).scalar_one())


def authenticate(engine: Engine, login: str, password: str, *, with_key: bool = False,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time) -> Actor:
    """The Actor for `login` if `password` is right (with its signing key unlocked when `with_key`);
    AuthError otherwise. After failures the call first waits `throttle_delay` since the last one."""
    global _DUMMY_HASH
    login = (login or "").strip()
    with engine.connect() as conn:
        r = _fetch(conn, login)
    if r is None:
        # spend the same time as a real check, so a wrong login cannot be told from a wrong password
        if _DUMMY_HASH is None:
            _DUMMY_HASH = _hasher().hash(secrets.token_hex(16))
        try:
            _hasher().verify(_DUMMY_HASH, password or "")
        except VerificationError:
            pass
        raise AuthError(_("wrong login or password"))
    if r.failed_attempts and r.last_failed_at is not None:
        wait = throttle_delay(int(r.failed_attempts)) - (clock() - float(r.last_failed_at))
        if wait > 0:
            sleep(wait)
    try:
        _hasher().verify(r.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        n = _record_failure(engine, int(r.id), clock())
        raise AuthError(_("wrong login or password; the next try waits {s} s").format(s=int(throttle_delay(n)))) \
            from None
    if r.failed_attempts:
        with write_transaction(engine) as conn:
            conn.exec_driver_sql("UPDATE account SET failed_attempts = 0, last_failed_at = NULL WHERE id = ?",
                                 (int(r.id),))
    from inspector.anchors import own_heads

    with engine.connect() as conn:
        start = own_heads(conn)
    actor = replace(_row_actor(r), session_from=start)
    if with_key and r.key_blob is not None:
        actor = replace(actor, key=_decrypt_key(r, password))
    return actor


def require_role(actor: Actor | None, *roles: str, action: str) -> Actor:
    """`actor`, when it is authenticated with one of `roles`; PermissionDenied otherwise."""
    if actor is None:
        raise PermissionDenied(_("{action}: log in first").format(action=action))
    if roles and actor.role not in roles:
        raise PermissionDenied(_("{action}: {who} ({role}) may not do this").format(
            action=action, who=actor.display_name, role=_(actor.role)))
    return actor


# --- signing keys -----------------------------------------------------------------------------

def _kek(password: str, salt: bytes, params: dict[str, int]) -> bytes:
    return hash_secret_raw(password.encode("utf-8"), salt, time_cost=params["time_cost"],
                           memory_cost=params["memory_cost"], parallelism=params["parallelism"], hash_len=32,
                           type=Type.ID)


def _load_cert(pem: str):
    from cryptography import x509

    return x509.load_pem_x509_certificate(pem.encode("ascii"))


def _cert_subject(cert) -> tuple[str, str | None]:
    from cryptography.x509.oid import NameOID

    def attr(oid):
        v = cert.subject.get_attributes_for_oid(oid)
        return str(v[0].value) if v else None

    return attr(NameOID.COMMON_NAME) or "", attr(NameOID.SERIAL_NUMBER)


def set_account_key(engine: Engine, actor: Actor, password: str, p12: bytes, p12_passphrase: bytes | None) -> str:
    """Store the actor's own PKCS#12 key in the store, encrypted under their password.

    The certificate must name the account: common name = display name and serial number =
    enforcement certificate number. Returns the certificate's subject common name."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.serialization import pkcs12

    require_role(actor, action=_("set a signing key"))
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(p12, p12_passphrase)
    except ValueError:
        raise UserError(_("not a PKCS#12 key, or its passphrase is wrong")) from None
    if key is None or cert is None:
        raise UserError(_("the PKCS#12 file holds no private key with a certificate"))
    cn, serial = _cert_subject(cert)
    if cn != actor.display_name or serial != actor.cert_no:
        raise UserError(_("the certificate names {cn} ({serial}), not this account's {name} ({cert_no})").format(
            cn=cn, serial=serial or "-", name=actor.display_name, cert_no=actor.cert_no))
    with engine.connect() as conn:
        r = _fetch(conn, actor.login)
    try:
        _hasher().verify(r.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise AuthError(_("wrong login or password")) from None
    plain = pkcs12.serialize_key_and_certificates(None, key, cert, list(extra or []) or None,
                                                  serialization.NoEncryption())
    params = argon2_params()
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    aad = f"inspector-account-key:{actor.account_id}:{actor.login}".encode("utf-8")
    blob = nonce + AESGCM(_kek(password, salt, params)).encrypt(nonce, plain, aad)
    kdf = json.dumps({"alg": "argon2id", "salt": salt.hex(), **params, "aead": "AES-256-GCM"})
    pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
    from inspector.events import append_event

    with write_transaction(engine) as conn:
        conn.exec_driver_sql("UPDATE account SET key_blob = ?, key_kdf = ?, cert_pem = ? WHERE id = ?",
                             (blob, kdf, pem, actor.account_id))
        append_event(engine, None, "account.key_set",
                     {"account_id": actor.account_id, "login": actor.login, "subject": cn, "serial": serial,
                      "certificate_sha256": cert.fingerprint(_sha256()).hex()}, actor=actor, conn=conn)
    return cn


def _sha256():
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


def _decrypt_key(r, password: str) -> SigningKey:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.serialization import pkcs12

    kdf = json.loads(r.key_kdf)
    params = {k: int(kdf[k]) for k in ("time_cost", "memory_cost", "parallelism")}
    blob = bytes(r.key_blob)
    aad = f"inspector-account-key:{int(r.id)}:{r.login}".encode("utf-8")
    try:
        plain = AESGCM(_kek(password, bytes.fromhex(kdf["salt"]), params)).decrypt(blob[:12], blob[12:], aad)
    except InvalidTag:
        raise UserError(_("the signing key of {login} cannot be unlocked (damaged or not theirs)")
                        .format(login=r.login)) from None
    key, cert, extra = pkcs12.load_key_and_certificates(plain, None)
    return SigningKey(key, cert, tuple(extra or ()))


def unlock_key(engine: Engine, login: str, password: str) -> Actor:
    """Authenticate and unlock the account's signing key; UserError when it has none."""
    actor = authenticate(engine, login, password, with_key=True)
    if actor.key is None:
        raise UserError(_("{login} has no signing key yet: store a PKCS#12 key for this account first")
                        .format(login=login))
    return actor


def with_own_key(engine: Engine, actor: Actor, password: str) -> Actor | None:
    """`actor` with their signing key unlocked by `password` (already checked at login), or None when
    the account has no key."""
    with engine.connect() as conn:
        r = _fetch(conn, actor.login)
    if r is None or r.key_blob is None:
        return None
    return replace(actor, key=_decrypt_key(r, password))     # the same session: it began at the login


def has_key(conn: Connection, login: str) -> bool:
    return conn.exec_driver_sql("SELECT key_blob IS NOT NULL FROM account WHERE login = ?", (login,)).scalar() == 1


def recover_with_key(engine: Engine, login: str | None, new_password: str | None) -> None:
    """After the store was opened with its recovery key: record it ('store.recovered') and, given a
    login, set that account's new password (hash and key slot; 'account.password_reset'). The
    account's signing key was encrypted with the lost password: it is dropped, and set again with
    `account set-key`."""
    from inspector.events import append_event
    from inspector.storecrypt import ensure_account_slot

    with write_transaction(engine) as conn:
        append_event(engine, None, "store.recovered", {"reset_login": login}, actor=None, conn=conn)
        if login is None:
            return
        r = _fetch(conn, login)
        if r is None:
            raise UserError(_("no account '{login}' in this store").format(login=login))
        check_password_policy(new_password or "")
        conn.exec_driver_sql(
            "UPDATE account SET password_hash = ?, failed_attempts = 0, last_failed_at = NULL, key_blob = NULL, "
            "key_kdf = NULL, cert_pem = NULL "
            "WHERE id = ?", (_hasher().hash(new_password), int(r.id)))
        append_event(engine, None, "account.password_reset", {"login": login, "by": "recovery key"},
                     actor=None, conn=conn)
    ensure_account_slot(engine, login, new_password, replace=True)
