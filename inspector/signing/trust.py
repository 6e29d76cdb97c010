"""Trust anchors: the CA certificates in the store that every signature must chain to.

Nothing is trusted implicitly: no operating-system list, no per-user folder. `trust add CA.pem`
(and the demo, through the same `add_anchor`) puts a CA certificate in the `trust_anchor` table
and records a store-wide 'trust.added' event; `trust remove` deletes it and records
'trust.removed'. Verification and `upload queue` read the anchors with `anchor_certificates`.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from sqlalchemy import Connection, Engine, delete, select

from inspector.db import write_transaction
from inspector.errors import UserError, os_reason
from inspector.events import append_event, author_of
from inspector.i18n import _
from inspector.models import TrustAnchor

if TYPE_CHECKING:
    from inspector.accounts import Actor


@dataclass(frozen=True)
class Anchor:
    """A configured trust anchor, as `trust list` shows it."""

    sha256: str
    subject: str
    common_name: str
    not_after: datetime
    added_at: datetime
    added_by: str

    def as_dict(self) -> dict[str, Any]:
        """The `trust list --format json` entry (documented in the README)."""
        return {"sha256": self.sha256, "subject": self.subject, "common_name": self.common_name,
                "not_after": self.not_after.strftime("%Y-%m-%d %H:%M:%S"),
                "added_at": self.added_at.strftime("%Y-%m-%d %H:%M:%S"), "added_by": self.added_by}


def read_certificate(data: bytes, source: str) -> x509.Certificate:
    """One X.509 certificate from PEM or DER bytes; UserError naming `source` otherwise."""
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise UserError(_("{file}: not an X.509 certificate (PEM or DER)").format(file=source)) from None


def read_ca_certificate(data: bytes, source: str) -> x509.Certificate:
    """A CA certificate (basicConstraints cA=TRUE) from PEM or DER; UserError for anything else."""
    cert = read_certificate(data, source)
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise UserError(_("{file}: this certificate is not a CA certificate (basicConstraints cA is not set); "
                          "a trust anchor must be the certificate of the CA that issues the signing keys")
                        .format(file=source))
    return cert


def _common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string()


_T = TrustAnchor.__table__


def _anchor(row) -> Anchor:
    cert = x509.load_der_x509_certificate(row.der)
    return Anchor(row.sha256, row.subject, _common_name(cert.subject), row.not_after, row.added_at, row.added_by)


def add_anchor(engine: Engine, certificate: Path | bytes, *, actor: Actor | None = None) -> Anchor:
    """Trust the CA certificate (a file path or its PEM/DER bytes); adding one already there is a no-op.
    `actor`: the logged-in account (a team lead); None only on a store that has no account yet."""
    _check_actor(engine, actor)
    if isinstance(certificate, (bytes, bytearray)):
        data, source = bytes(certificate), "CA"
    else:
        source = str(certificate)
        try:
            data = Path(certificate).read_bytes()
        except OSError as exc:
            raise UserError(_("{file}: cannot read ({why})").format(file=source, why=os_reason(exc))) from None
    cert = read_ca_certificate(data, source)
    der = cert.public_bytes(serialization.Encoding.DER)
    digest = hashlib.sha256(der).hexdigest()
    now = datetime.now().replace(microsecond=0)
    with write_transaction(engine) as conn:
        row = conn.execute(select(_T).where(_T.c.sha256 == digest)).first()
        if row is None:
            values = dict(sha256=digest, subject=cert.subject.rfc4514_string(), der=der,
                          not_after=cert.not_valid_after_utc.replace(tzinfo=None), added_at=now,
                          added_by=author_of(actor))
            conn.execute(_T.insert().values(**values))
            append_event(engine, None, "trust.added", {"sha256": digest, "subject": values["subject"]},
                         actor=actor, conn=conn)
    with engine.connect() as conn:
        return _anchor(conn.execute(select(_T).where(_T.c.sha256 == digest)).one())


def list_anchors(engine: Engine) -> list[Anchor]:
    """Every configured trust anchor, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(select(_T).order_by(_T.c.added_at, _T.c.sha256)).all()
    return [_anchor(r) for r in rows]


def remove_anchor(engine: Engine, ref: str, *, actor: Actor | None = None) -> Anchor:
    """Stop trusting the anchor whose SHA-256 starts with `ref` (at least 8 hex digits)."""
    _check_actor(engine, actor)
    ref = ref.strip().lower().replace(":", "")
    if len(ref) < 8:
        raise UserError(_("trust remove: give at least the first 8 hex digits of the certificate's SHA-256 "
                          "(see `trust list`)"))
    with write_transaction(engine) as conn:
        rows = conn.execute(select(_T).where(_T.c.sha256.startswith(ref))).all()
        if len(rows) != 1:
            raise UserError(_("trust remove: no single trust anchor has a SHA-256 starting with {ref} "
                              "(see `trust list`)").format(ref=ref))
        anchor = _anchor(rows[0])
        conn.execute(delete(_T).where(_T.c.sha256 == anchor.sha256))
        append_event(engine, None, "trust.removed", {"sha256": anchor.sha256, "subject": anchor.subject},
                     actor=actor, conn=conn)
    return anchor


def anchor_certificates(bind: Engine | Connection) -> list[bytes]:
    """The DER bytes of every configured trust anchor."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return anchor_certificates(conn)
    return [bytes(d) for d in bind.execute(select(_T.c.der).order_by(_T.c.sha256)).scalars()]


def _check_actor(engine: Engine, actor: Actor | None) -> None:
    """Trust anchors are changed by a logged-in team lead once the store has accounts."""
    from inspector.accounts import has_accounts, require_role

    if actor is None:
        with engine.connect() as conn:
            if not has_accounts(conn):
                return
    require_role(actor, "lead", action=_("change the trust anchors"))
