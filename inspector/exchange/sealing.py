"""Sealing a bundle for the team: only its members can read it.

A sealed bundle is one JSON object around the signed bundle's bytes:

    {"format": "inspector-sealed/1",
     "recipients": [{"fingerprint": <SHA-256 of the certificate, hex>, "kind": "rsa-oaep-sha256" |
                     "ecdh-hkdf-sha256-aesgcm", "key": <base64>, "ephemeral": <PEM, ECDH only>,
                     "nonce": <base64, ECDH only>}, ...],
     "nonce": <base64>, "ciphertext": <base64>}

The bytes are encrypted with a random 256-bit key (AES-256-GCM, the format name as associated
data); that key is wrapped for each recipient's certificate: RSA-OAEP with SHA-256 for an RSA
key, an ephemeral ECDH on the certificate's curve with HKDF-SHA256 and AES-GCM for an EC key. A
member opens it with the private key of their certificate (the one their account holds). The
bundle inside stays signed: sealing hides it, the signature still proves who wrote it.
"""
from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SEALED_FORMAT = "inspector-sealed/1"
_AAD = SEALED_FORMAT.encode("ascii")
_WRAP_INFO = b"inspector-sealed/1 key wrap"


class NotARecipient(Exception):
    """The reader's certificate is not among the recipients."""


class Damaged(Exception):
    """The envelope or its ciphertext does not decrypt (altered, cut short, or not ours)."""


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _unb64(s: Any) -> bytes:
    if not isinstance(s, str):
        raise Damaged()
    try:
        return base64.b64decode(s, validate=True)
    except ValueError:
        raise Damaged() from None


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 fingerprint of a certificate, hex: how a team member's certificate is named."""
    return cert.fingerprint(hashes.SHA256()).hex()


def can_seal_for(cert: x509.Certificate) -> bool:
    return isinstance(cert.public_key(), (rsa.RSAPublicKey, ec.EllipticCurvePublicKey))


def _ecdh_kek(private: ec.EllipticCurvePrivateKey, public: ec.EllipticCurvePublicKey) -> bytes:
    shared = private.exchange(ec.ECDH(), public)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_WRAP_INFO).derive(shared)


def _wrap(key: bytes, cert: x509.Certificate) -> dict[str, str]:
    public = cert.public_key()
    entry = {"fingerprint": fingerprint(cert)}
    if isinstance(public, rsa.RSAPublicKey):
        entry["kind"] = "rsa-oaep-sha256"
        entry["key"] = _b64(public.encrypt(key, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()),
                                                              algorithm=hashes.SHA256(), label=None)))
    else:
        ephemeral = ec.generate_private_key(public.curve)
        nonce = os.urandom(12)
        entry["kind"] = "ecdh-hkdf-sha256-aesgcm"
        entry["ephemeral"] = ephemeral.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")
        entry["nonce"] = _b64(nonce)
        entry["key"] = _b64(AESGCM(_ecdh_kek(ephemeral, public)).encrypt(nonce, key, _AAD))
    return entry


def seal(data: bytes, recipients: list[x509.Certificate]) -> bytes:
    """The sealed envelope of `data` for every certificate of `recipients` (RSA or EC keys)."""
    key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    seen: dict[str, x509.Certificate] = {}
    for cert in recipients:
        if can_seal_for(cert):
            seen.setdefault(fingerprint(cert), cert)
    envelope = {"format": SEALED_FORMAT, "recipients": [_wrap(key, c) for c in seen.values()],
                "nonce": _b64(nonce), "ciphertext": _b64(AESGCM(key).encrypt(nonce, data, _AAD))}
    return json.dumps(envelope, separators=(",", ":")).encode("ascii")


def is_sealed(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("format") == SEALED_FORMAT


def unseal(doc: dict[str, Any], private_key, certificate: x509.Certificate) -> bytes:
    """The bytes inside, opened with the reader's key; NotARecipient or Damaged otherwise."""
    mine = fingerprint(certificate)
    recipients = doc.get("recipients")
    if not isinstance(recipients, list):
        raise Damaged()
    entry = next((r for r in recipients if isinstance(r, dict) and r.get("fingerprint") == mine), None)
    if entry is None:
        raise NotARecipient()
    try:
        if entry.get("kind") == "rsa-oaep-sha256" and isinstance(private_key, rsa.RSAPrivateKey):
            key = private_key.decrypt(_unb64(entry.get("key")), padding.OAEP(
                mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
        elif entry.get("kind") == "ecdh-hkdf-sha256-aesgcm" and isinstance(private_key, ec.EllipticCurvePrivateKey):
            ephemeral = serialization.load_pem_public_key(str(entry.get("ephemeral", "")).encode("ascii"))
            if not isinstance(ephemeral, ec.EllipticCurvePublicKey):
                raise Damaged()
            key = AESGCM(_ecdh_kek(private_key, ephemeral)).decrypt(_unb64(entry.get("nonce")),
                                                                     _unb64(entry.get("key")), _AAD)
        else:
            raise Damaged()
        return AESGCM(key).decrypt(_unb64(doc.get("nonce")), _unb64(doc.get("ciphertext")), _AAD)
    except (InvalidTag, ValueError, TypeError):
        raise Damaged() from None
