"""Sealing for the team (inspector/exchange/sealing.py) with both kinds of keys a bureau issues:
each recipient opens the bytes with their own key (RSA or EC), anyone else cannot, and an altered
envelope is refused."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from inspector.exchange.sealing import Damaged, NotARecipient, seal, unseal


def _person(name: str, kind: str):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if kind == "rsa" else \
        ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    return key, cert


def test_each_recipient_opens_it_and_no_one_else():
    people = {"rsa": _person("张组长", "rsa"), "ec": _person("李检查", "ec")}
    outsider = _person("外人", "ec")
    data = "病区核查：M4 在床，腕带核对无误".encode("utf-8")
    sealed = seal(data, [c for _k, c in people.values()])
    assert data not in sealed and "腕带".encode("utf-8") not in sealed
    for key, cert in people.values():
        assert unseal(json.loads(sealed), key, cert) == data
    with pytest.raises(NotARecipient):
        unseal(json.loads(sealed), *outsider)
    # a recipient entry whose key was swapped for the outsider's certificate fingerprint opens nothing
    doc = json.loads(sealed)
    doc["recipients"][1]["fingerprint"] = outsider[1].fingerprint(hashes.SHA256()).hex()
    with pytest.raises(Damaged):
        unseal(doc, *outsider)
    # the ciphertext or its nonce altered: refused
    for field in ("ciphertext", "nonce"):
        doc = json.loads(sealed)
        v = doc[field]
        doc[field] = ("B" if v[0] == "A" else "A") + v[1:]
        with pytest.raises(Damaged):
            unseal(doc, *people["rsa"])
