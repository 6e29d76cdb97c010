"""The store's key directory of imported PKCS#12 keys (trust anchors live in the store: signing/trust.py)."""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from inspector.errors import UserError, os_reason
from inspector.i18n import _


@dataclass(frozen=True)
class KeyInfo:
    """Who a PKCS#12 key belongs to."""

    path: Path
    name: str
    cert_no: str | None
    issuer: str
    not_after: str


def keys_dir_for(db_path: Path | str | None) -> Path:
    """The key directory: beside the store file (`<store>.keys/`), or the user data dir's `keys/`."""
    if db_path:
        p = Path(db_path)
        return p.with_name(p.name + ".keys")
    from inspector.db import default_store_path

    return default_store_path().parent / "keys"


def _attr(name: x509.Name, oid) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def read_key_info(p12_path: Path, passphrase: bytes) -> KeyInfo:
    """Open a PKCS#12 file with `passphrase` and describe its certificate; UserError when it cannot."""
    try:
        data = Path(p12_path).read_bytes()
    except OSError as exc:
        raise UserError(_("{file}: cannot read ({why})").format(file=p12_path, why=os_reason(exc))) from None
    try:
        key, cert, _extra = pkcs12.load_key_and_certificates(data, passphrase)
    except ValueError:
        raise UserError(_("{file}: not a PKCS#12 key, or the passphrase is wrong").format(file=p12_path)) from None
    if key is None or cert is None:
        raise UserError(_("{file}: the PKCS#12 file holds no private key with a certificate").format(file=p12_path))
    return KeyInfo(path=Path(p12_path), name=_attr(cert.subject, NameOID.COMMON_NAME) or "",
                   cert_no=_attr(cert.subject, NameOID.SERIAL_NUMBER),
                   issuer=_attr(cert.issuer, NameOID.COMMON_NAME) or cert.issuer.rfc4514_string(),
                   not_after=cert.not_valid_after_utc.strftime("%Y-%m-%d"))


def import_key(keys_dir: Path, p12_path: Path, passphrase: bytes) -> KeyInfo:
    """Check a PKCS#12 key opens with `passphrase`, then copy it (still encrypted) into the key directory."""
    from inspector.signing.ca import check_passphrase

    check_passphrase(passphrase, _("the key {file}").format(file=p12_path))
    info = read_key_info(p12_path, passphrase)
    folder = Path(keys_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", f"{info.name}-{info.cert_no or 'key'}").strip("_")
    target = folder / f"{stem}.p12"
    shutil.copyfile(p12_path, target)
    target.chmod(0o600)
    return KeyInfo(target, info.name, info.cert_no, info.issuer, info.not_after)


def resolve_key(key: str, keys_dir: Path) -> Path:
    """`key` as a file path, or as the name of a key imported into `keys_dir`."""
    p = Path(key)
    if p.is_file():
        return p
    if p.is_absolute() or len(p.parts) > 1:
        raise UserError(_("key file {key}: no such file").format(key=key))
    folder = Path(keys_dir)
    for candidate in (folder / key, folder / f"{key}.p12"):
        if candidate.is_file():
            return candidate
    import glob

    matches = sorted(folder.glob(f"{glob.escape(key)}*.p12")) if folder.is_dir() else []
    if len(matches) == 1:
        return matches[0]
    raise UserError(_("key {key}: no such file, and no imported key of that name in {dir}").format(key=key, dir=folder))
