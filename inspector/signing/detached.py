"""Detached signatures of canonical JSON by an account's key (RSA PKCS#1 v1.5 or ECDSA, SHA-256):
exchange bundles and snapshot files (inspector/exchange/), signed event-log heads (inspector/anchors.py)."""
from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

RSA_SHA256 = "sha256-pkcs1v15"
ECDSA_SHA256 = "sha256-ecdsa"


def sign_bytes(data: bytes, private_key) -> tuple[bytes, str] | None:
    """(signature, algorithm name) of `data`; None for a kind of key that cannot sign here."""
    if isinstance(private_key, rsa.RSAPrivateKey):
        return private_key.sign(data, padding.PKCS1v15(), hashes.SHA256()), RSA_SHA256
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return private_key.sign(data, ec.ECDSA(hashes.SHA256())), ECDSA_SHA256
    return None


def signature_holds(data: bytes, signature: bytes, algorithm: str, certificate) -> bool:
    """Whether `signature` (by `algorithm`) of `data` was made with the key of `certificate`."""
    key = certificate.public_key()
    try:
        if algorithm == RSA_SHA256 and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif algorithm == ECDSA_SHA256 and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
