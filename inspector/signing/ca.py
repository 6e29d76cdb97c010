"""A demo bureau CA and inspectors' keys issued from it (PKCS#12 with passphrase).

Real deployments import keys issued by the bureau's own CA (`keys import`); the demo CA lets
a team try the whole signing flow. The CA's private key is encrypted with its passphrase
(PKCS#8, file mode 0600). Key and CA passphrases have at least MIN_PASSPHRASE_CHARS characters.
Creating a CA trusts nothing: `trust add ca.pem` does that, explicitly.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from inspector.errors import UserError, os_reason
from inspector.i18n import _
from inspector.outputs import write_atomically

CA_CERT_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
KEY_BITS = 2048
MIN_PASSPHRASE_CHARS = 10


def check_passphrase(passphrase: bytes, what: str) -> None:
    """Refuse a passphrase shorter than MIN_PASSPHRASE_CHARS characters (UserError naming `what`)."""
    try:
        n = len(passphrase.decode("utf-8"))
    except UnicodeDecodeError:
        n = len(passphrase)
    if n < MIN_PASSPHRASE_CHARS:
        raise UserError(_("{what}: the passphrase has {n} characters; at least {min} are needed").format(
            what=what, n=n, min=MIN_PASSPHRASE_CHARS))


@dataclass(frozen=True)
class IssuedKey:
    """What `issue_key` wrote: the PKCS#12 file and the certificate's subject details."""

    path: Path
    name: str
    cert_no: str | None
    serial: int
    not_after: datetime


def create_demo_ca(out_dir: Path, passphrase: bytes, name: str = "Demo Medical Security Bureau CA",
                   years: int = 10) -> Path:
    """Create a self-signed demo CA in `out_dir` (ca.pem, ca-key.pem encrypted with `passphrase`); return ca.pem."""
    out_dir = Path(out_dir)
    check_passphrase(passphrase, _("the demo CA's key"))
    if (out_dir / CA_KEY_FILE).exists():
        raise UserError(_("{file} already exists: not overwriting a CA").format(file=out_dir / CA_KEY_FILE))
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Demo Medical Security Bureau"),
        x509.NameAttribute(NameOID.COMMON_NAME, name),
    ])
    now = datetime.now(timezone.utc) - timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    # the certificate first: a CA is its key file, so a key without its certificate is never left
    write_atomically(out_dir / CA_CERT_FILE, cert.public_bytes(serialization.Encoding.PEM))
    write_atomically(out_dir / CA_KEY_FILE, key.private_bytes(     # owner-only (0600), as every such file
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(passphrase)))
    return out_dir / CA_CERT_FILE


def load_ca(ca_dir: Path, passphrase: bytes) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """The demo CA's certificate and key from `ca_dir`, the key unlocked with `passphrase`."""
    ca_dir = Path(ca_dir)
    try:
        cert = x509.load_pem_x509_certificate((ca_dir / CA_CERT_FILE).read_bytes())
        key_pem = (ca_dir / CA_KEY_FILE).read_bytes()
    except FileNotFoundError as exc:
        raise UserError(_("{dir}: not a CA directory ({file} missing)").format(
            dir=ca_dir, file=exc.filename)) from None
    try:
        key = serialization.load_pem_private_key(key_pem, password=passphrase)
    except (ValueError, TypeError):
        raise UserError(_("{file}: the CA passphrase is wrong, or the key is damaged").format(
            file=ca_dir / CA_KEY_FILE)) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise UserError(_("{file}: expected an RSA key").format(file=ca_dir / CA_KEY_FILE))
    return cert, key


def issue_key(ca_dir: Path, name: str, out: Path, passphrase: bytes, cert_no: str | None = None,
              years: int = 3, *, ca_passphrase: bytes) -> IssuedKey:
    """Issue an inspector's signing key and certificate from the demo CA as a PKCS#12 file."""
    if not name.strip():
        raise UserError(_("a key needs its holder's name"))
    check_passphrase(passphrase, _("the key {file}").format(file=out))
    ca_cert, ca_key = load_ca(ca_dir, ca_passphrase)
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
             x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Demo Medical Security Bureau"),
             x509.NameAttribute(NameOID.COMMON_NAME, name.strip())]
    if cert_no:
        attrs.append(_serial_number_attr(cert_no.strip()))
    now = datetime.now(timezone.utc) - timedelta(minutes=5)
    not_after = min(now + timedelta(days=365 * years), ca_cert.not_valid_after_utc)
    serial = x509.random_serial_number()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attrs)).issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(serial).not_valid_before(now).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION,
                                              ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    p12 = pkcs12.serialize_key_and_certificates(
        name.strip().encode("utf-8"), key, cert, [ca_cert], serialization.BestAvailableEncryption(passphrase))
    write_atomically(Path(out), p12)
    return IssuedKey(path=Path(out), name=name.strip(), cert_no=cert_no, serial=serial, not_after=not_after)


def _serial_number_attr(value: str) -> x509.NameAttribute:
    """serialNumber carries the enforcement certificate number: PrintableString when it fits, else UTF8String."""
    printable = all(ch.isascii() and (ch.isalnum() or ch in " '()+,-./:=?") for ch in value)
    if printable:
        return x509.NameAttribute(NameOID.SERIAL_NUMBER, value)
    from cryptography.x509.name import _ASN1Type

    return x509.NameAttribute(NameOID.SERIAL_NUMBER, value, _type=_ASN1Type.UTF8String)


def read_passphrase_file(path: Path) -> bytes:
    """The passphrase in `path`, without the trailing newline."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UserError(_("passphrase file {file}: cannot read ({why})").format(file=path, why=os_reason(exc))) from None
    data = data.rstrip(b"\r\n")
    if not data:
        raise UserError(_("passphrase file {file} is empty").format(file=path))
    return data
