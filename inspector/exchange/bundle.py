"""Signed exchange bundles: the events one laptop has, carried to the others on a USB stick.

A bundle is one UTF-8 JSON file:

    {"format": "inspector-bundle/1",
     "body": {"inspection": <uid>, "snapshot": <digest of the snapshot's table digests>,
              "sender": {"login", "name", "device"}, "created_at",
              "events": [<every chained event of the inspection this laptop holds>],
              "heads": [{"chain", "dseq", "hash"}, ...],   # where each chain ends (inspector/anchors.py)
              "anchor": {"body", "algorithm", "signature", "certificate"} | null},  # the exporter's latest
                                                            # signed record of this store's chain heads
     "signature": {"certificate": <PEM>, "algorithm": "sha256-pkcs1v15" | "sha256-ecdsa", "value": <base64>}}

The signature covers the canonical JSON of `body` (sorted keys, no spaces, UTF-8) and is made
with the logged-in account's key. The file on the USB stick is that document sealed for the
team (inspector/exchange/sealing.py): only a member opens it, with their own key; its SHA-256,
the bundle's identity everywhere (merged-bundle list, PDF appendix), is that of the signed document. On import the bundle is checked whole before anything is
written: the signature; the signer's certificate chaining to a trust anchor and valid when it
signed; the signer and every event's author on the team; the inspection and its snapshot the
ones this laptop holds; every chain complete from its first event, each link and hash holding,
and agreeing with what this laptop already has. Then the events not yet here are added, by
event id, in one transaction: the same bundle twice changes nothing, and any set of bundles in
any order gives the same events, hence the same folded state.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from sqlalchemy import Connection, Engine

from inspector.db import write_transaction
from inspector.errors import UserError, os_reason
from inspector.events import GENESIS, canonical_json, chain_hash, device_id
from inspector.exchange.sealing import fingerprint
from inspector.signing.detached import sign_bytes, signature_holds
from inspector.i18n import _
from inspector.models import Event as EventRow
from inspector.outputs import write_atomically

FORMAT = "inspector-bundle/1"
EVENT_FIELDS = ("id", "at", "author", "device", "chain", "dseq", "clock", "vv", "kind", "payload", "prev_hash", "hash")


class BundleError(UserError):
    """A bundle that is refused; nothing was changed."""


@dataclass(frozen=True)
class BundleResult:
    path: str
    sha256: str
    inspection_uid: str
    sender: str
    sender_name: str
    device: str
    events: int
    added: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def snapshot_digest(conn: Connection, inspection_id: int) -> str:
    """One digest naming the inspection's current snapshot: SHA-256 of its table digests."""
    from inspector.snapshot import latest_snapshot_id

    sid = latest_snapshot_id(conn, inspection_id)
    digests = conn.exec_driver_sql("SELECT digests FROM snapshot WHERE id = ?", (sid,)).scalar()
    digests = json.loads(digests) if isinstance(digests, str) else (digests or {})
    return hashlib.sha256(canonical_json(digests).encode("utf-8")).hexdigest()


def _inspection(conn: Connection, inspection_id: int) -> tuple[str, str]:
    row = conn.exec_driver_sql("SELECT uid, fixmedins_name FROM inspection WHERE id = ?", (inspection_id,)).first()
    if row is None:
        raise UserError(_("no inspection {id} in this store").format(id=inspection_id))
    return row[0], row[1]


def _event_dict(r) -> dict[str, Any]:
    d = {k: getattr(r, k) for k in EVENT_FIELDS}
    d["payload"] = json.loads(d["payload"])
    d["vv"] = json.loads(d["vv"] or "{}")
    return d


def chained_events(conn: Connection, inspection_uid: str) -> list[dict[str, Any]]:
    """Every chained (version 2) event of the inspection, chain by chain."""
    t = EventRow.__table__
    from sqlalchemy import select

    q = (select(t).where(t.c.inspection_uid == inspection_uid, t.c.hv == 2)
         .order_by(t.c.chain, t.c.dseq))
    return [_event_dict(r) for r in conn.execute(q)]


# --- signatures -----------------------------------------------------------------------------

def sign_body(body: dict[str, Any], private_key, certificate: x509.Certificate) -> dict[str, Any]:
    signed = sign_bytes(canonical_json(body).encode("utf-8"), private_key)
    if signed is None:
        raise UserError(_("this kind of key cannot sign a bundle"))
    value, algorithm = signed
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
    return {"certificate": pem, "algorithm": algorithm, "value": base64.b64encode(value).decode("ascii")}


def _check_signature(body: dict[str, Any], sig: dict[str, Any]) -> x509.Certificate:
    try:
        cert = x509.load_pem_x509_certificate(sig["certificate"].encode("ascii"))
        value = base64.b64decode(sig["value"], validate=True)
        holds = signature_holds(canonical_json(body).encode("utf-8"), value, sig["algorithm"], cert)
    except (KeyError, TypeError, ValueError):
        holds = False
    if not holds:
        raise BundleError(_("the bundle's signature does not hold: it was altered or damaged"))
    return cert


def chains_to_anchor(cert: x509.Certificate, anchors: list[x509.Certificate], at: datetime) -> bool:
    """Whether `cert` was issued by one of `anchors` (signature checked) and both were valid at `at`."""
    def valid(c: x509.Certificate) -> bool:
        return c.not_valid_before_utc <= at <= c.not_valid_after_utc

    if not valid(cert):
        return False
    for anchor in anchors:
        if anchor.subject != cert.issuer or not valid(anchor):
            continue
        try:
            cert.verify_directly_issued_by(anchor)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return True
    return False



# --- export ---------------------------------------------------------------------------------

def export_bundle(engine: Engine, inspection_id: int, out: Path, *, login: str, name: str, private_key,
                  certificate: x509.Certificate, session_from: tuple[tuple[str, str, int], ...] | None = None
                  ) -> BundleResult:
    """Write every chained event of the inspection this laptop holds, signed by the exporting account
    and sealed for the team members' certificates and the sender's (see `signed_bundle`)."""
    from inspector.exchange.sealing import seal

    data, result, recipients = signed_bundle(engine, inspection_id, login=login, name=name, private_key=private_key,
                                             certificate=certificate, session_from=session_from)
    write_atomically(Path(out), seal(data, recipients))
    return dataclasses.replace(result, path=str(out))


def signed_bundle(engine: Engine, inspection_id: int, *, login: str, name: str, private_key,
                  certificate: x509.Certificate, session_from: tuple[tuple[str, str, int], ...] | None = None
                  ) -> tuple[bytes, BundleResult, list[x509.Certificate]]:
    """The signed bundle document (UTF-8 JSON, not sealed: a snapshot file carries it inside its own
    encryption; nothing is written here), what it holds, and whom it is sealed for when written.

    The exporting account first signs the heads of every chain of this store (inspector/anchors.py,
    refused when the log no longer agrees with the heads signed before); the bundle carries the
    inspection's heads and that signed record. `session_from`: where the exporting person's session
    began (`Actor.session_from`), said by the signed heads."""
    from inspector.accounts import Actor, SigningKey
    from inspector.anchors import inspection_heads, latest_anchor, sign_heads
    from inspector.signing.lines import cert_identity

    from asn1crypto import x509 as asn1_x509

    cert_no = cert_identity(asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER)))[1]
    sign_heads(engine, Actor(0, login, name, "", cert_no or "", SigningKey(private_key, certificate),
                             session_from=session_from), "bundle")
    with engine.connect() as conn:
        uid, _name = _inspection(conn, inspection_id)
        body = {
            "inspection": uid,
            "snapshot": snapshot_digest(conn, inspection_id),
            "sender": {"login": login, "name": name, "device": device_id(conn)},
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "events": chained_events(conn, uid),
            "heads": inspection_heads(conn, uid),
            "anchor": latest_anchor(conn),
        }
        recipients = [certificate, *team_recipients(conn, inspection_id)]
    doc = {"format": FORMAT, "body": body, "signature": sign_body(body, private_key, certificate)}
    data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return data, BundleResult("", hashlib.sha256(data).hexdigest(), uid, login, name, body["sender"]["device"],
                              len(body["events"]), 0), recipients


def team_recipients(conn: Connection, inspection_id: int) -> list[x509.Certificate]:
    """The certificates of the inspection's team members that hold one: who a bundle is sealed for."""
    from inspector.exchange.people import team_for_export

    out = []
    for m in team_for_export(conn, inspection_id):
        if m.get("certificate"):
            try:
                out.append(x509.load_pem_x509_certificate(m["certificate"].encode("ascii")))
            except ValueError:
                continue
    return out


# --- import ---------------------------------------------------------------------------------

def read_bundle(path: Path, reader=None) -> tuple[dict[str, Any], str]:
    """The bundle document and the SHA-256 of the signed document's bytes; a clear refusal for
    anything else. A sealed bundle is opened with `reader`'s key (an Actor with its key unlocked)."""
    from inspector.exchange import sealing

    path = Path(path)
    bad = _("{path} is not an Inspector bundle, or it is damaged or cut short").format(path=path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BundleError(_("cannot read {path}: {why}").format(path=path, why=os_reason(exc))) from None
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BundleError(bad) from None
    if sealing.is_sealed(doc):
        key = getattr(reader, "key", None)
        if key is None:
            raise BundleError(_("{path} is sealed for the team: open it logged in with your signing key").format(path=path))
        try:
            data = sealing.unseal(doc, key.private_key, key.certificate)
        except sealing.NotARecipient:
            raise BundleError(_("{path} was not sealed for your certificate: it is for the team members its sender "
                                "knew; ask them to export it again").format(path=path)) from None
        except sealing.Damaged:
            raise BundleError(bad) from None
        try:
            doc = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise BundleError(bad) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("body"), dict) \
            or not isinstance(doc.get("signature"), dict):
        raise BundleError(_("{path} is not an Inspector bundle, or it is damaged or cut short").format(path=path))
    return doc, hashlib.sha256(data).hexdigest()


def _team_certificates(conn: Connection, inspection_id: int) -> dict[str, tuple[str, str | None]]:
    """login -> (display name, certificate fingerprint or None) of the inspection's team members."""
    from inspector.exchange.people import team_certificates

    return team_certificates(conn, inspection_id)


def _check_chains(events: list[dict[str, Any]], uid: str, team_logins: set[str]) -> None:
    by_chain: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        if not isinstance(e, dict) or set(EVENT_FIELDS) - set(e):
            raise BundleError(_("the bundle holds a malformed event"))
        by_chain.setdefault(e["chain"], []).append(e)
    for chain, evs in by_chain.items():
        evs.sort(key=lambda e: e["dseq"])
        prev = GENESIS
        for n, e in enumerate(evs, start=1):
            if e["dseq"] != n or e["prev_hash"] != prev:
                raise BundleError(_("laptop {device}'s chain in the bundle is incomplete or out of order at event {n}")
                                  .format(device=chain[:8], n=n))
            expected = chain_hash(prev, e["id"], uid, e["at"], e["author"], e["device"], chain, e["dseq"],
                                  e["clock"], e["vv"], e["kind"], e["payload"])
            if expected != e["hash"]:
                raise BundleError(_("event {n} of laptop {device}'s chain does not match its hash: the bundle was altered")
                                  .format(n=n, device=chain[:8]))
            if e["author"] not in team_logins and e["author"] != "system":
                raise BundleError(_("event {n} of laptop {device}'s chain was recorded by {author}, who is not on the team")
                                  .format(n=n, device=chain[:8], author=e["author"]))
            prev = e["hash"]


def _check_heads(body: dict[str, Any], events: list[dict[str, Any]]) -> None:
    """A bundle that carries its sender's signed heads (bundles made before that carry none) ends
    every chain exactly at them, and the signed record it carries holds."""
    heads = body.get("heads")
    if heads is None:
        return
    last: dict[str, tuple[int, str]] = {}
    for e in events:
        if e["dseq"] > last.get(e["chain"], (0, ""))[0]:
            last[e["chain"]] = (e["dseq"], e["hash"])
    try:
        signed = {h["chain"]: (int(h["dseq"]), h["hash"]) for h in heads}
    except (KeyError, TypeError, ValueError):
        raise BundleError(_("the bundle's signed heads are unreadable")) from None
    if signed != last:
        raise BundleError(_("the bundle's events do not end at the heads its sender signed: events were removed "
                            "or added"))
    anchor = body.get("anchor")
    if anchor is not None:
        from inspector.anchors import anchor_holds

        if not anchor_holds(anchor):
            raise BundleError(_("the signed event-log heads the bundle carries do not hold: they were altered"))


def import_bundle(engine: Engine, path: Path, *, anchors: list[x509.Certificate], author: str | None = None,
                  reader=None) -> BundleResult:
    """Check the bundle whole, then add the events this laptop does not have (see the module doc).
    `reader`: the logged-in Actor with its key unlocked, who opens a sealed bundle."""
    doc, sha = read_bundle(path, reader)
    with write_transaction(engine) as conn:
        return merge_bundle(conn, doc, sha, str(path), anchors=anchors, author=author)


def merge_bundle(conn: Connection, doc: dict[str, Any], sha: str, source: str, *, anchors: list[x509.Certificate],
                 author: str | None, team: dict[str, tuple[str, str | None]] | None = None) -> BundleResult:
    """`import_bundle` inside the caller's write transaction (raises before writing anything it refuses).

    `team` (login -> (name, certificate fingerprint)) is the team to check against when this laptop
    does not know it from its own log yet: the signed team list of a snapshot file being joined."""
    body = doc["body"]
    cert = _check_signature(body, doc["signature"])
    try:
        signed_at = datetime.fromisoformat(body["created_at"])
        uid = body["inspection"]
        sender = body["sender"]
        events = body["events"]
        if not isinstance(events, list) or not isinstance(sender, dict):
            raise TypeError
    except (KeyError, TypeError, ValueError):
        raise BundleError(_("{path} is not an Inspector bundle, or it is damaged or cut short").format(path=source)) from None
    if not anchors:
        raise BundleError(_("no trust anchor is configured in this store: add the bureau's CA certificate first"))
    if not chains_to_anchor(cert, anchors, signed_at):
        raise BundleError(_("the bundle was signed with a certificate that does not chain to a trust anchor of this store, "
                            "or that was not valid when it signed"))
    row = conn.exec_driver_sql("SELECT id FROM inspection WHERE uid = ?", (uid,)).first()
    if row is None:
        raise BundleError(_("the bundle is for an inspection this laptop does not hold; join it first "
                            "from a snapshot file"))
    inspection_id = row[0]
    if body.get("snapshot") != snapshot_digest(conn, inspection_id):
        raise BundleError(_("the bundle was made on another snapshot of this inspection's data; "
                            "both laptops must hold the same snapshot"))
    team = team if team is not None else _team_certificates(conn, inspection_id)
    member = team.get(sender.get("login"))
    if member is None or member[1] != fingerprint(cert):
        raise BundleError(_("the bundle was signed by {who}, who is not on this inspection's team with that "
                            "certificate").format(who=sender.get("name") or sender.get("login")))
    _check_chains(events, uid, set(team))
    _check_heads(body, events)
    have = {r[0]: (r[1], r[2], r[3]) for r in conn.exec_driver_sql(
        "SELECT id, hash, chain, dseq FROM event WHERE inspection_uid = ?", (uid,))}
    positions = {(c, d) for (_h, c, d) in have.values()}
    new = []
    for e in events:
        mine = have.get(e["id"])
        if mine is not None:
            if mine[0] != e["hash"]:
                raise BundleError(_("the bundle's event {id} differs from the one this laptop holds").format(id=e["id"][:8]))
            continue
        if (e["chain"], e["dseq"]) in positions:
            raise BundleError(_("laptop {device}'s chain in the bundle forks from the one this laptop holds")
                              .format(device=e["chain"][:8]))
        new.append(e)
    rows = [(e["id"], inspection_id, e["at"], e["author"], e["device"], e["kind"], canonical_json(e["payload"]),
             e["prev_hash"], e["hash"], e["chain"], e["dseq"], e["clock"], canonical_json(e["vv"]), uid, 2)
            for e in sorted(new, key=lambda e: (e["chain"], e["dseq"]))]
    if rows:
        conn.exec_driver_sql(
            "INSERT INTO event (id, inspection_id, at, author, device, kind, payload, prev_hash, hash, chain, dseq, "
            "clock, vv, inspection_uid, hv) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    if new:
        conn.exec_driver_sql(
            "INSERT INTO bundle_import (sha256, inspection_uid, sender, sender_device, events, added, imported_at, "
            "imported_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (sha, uid, str(sender.get("login")), str(sender.get("device")), len(events), len(new),
             datetime.now().isoformat(sep=" ", timespec="seconds"), author or ""))
    return BundleResult(source, sha, uid, str(sender.get("login", "")), str(sender.get("name", "")),
                        str(sender.get("device", "")), len(events), len(new))


def merged_bundles(conn: Connection, inspection_uid: str) -> list[dict[str, Any]]:
    """The bundles merged into this laptop's log: digest, sender, their laptop, events added, when."""
    cols = ("sha256", "sender", "sender_device", "events", "added", "imported_at", "imported_by")
    return [dict(zip(cols, r)) for r in conn.exec_driver_sql(
        f"SELECT {', '.join(cols)} FROM bundle_import WHERE inspection_uid = ? ORDER BY id", (inspection_uid,))]
