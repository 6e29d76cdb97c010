"""Anchors of the event log: chain heads signed by an account, and the heads a report carries.

The event log (inspector/events.py) is a set of hash chains, one per (inspection, laptop). A
chain proves its own order, but on its own not its length: whoever can write the store can cut
its tail, wipe it, append an event with a correctly computed hash, or edit an event and re-hash
the rest. An anchor fixes a chain's head (position and hash) where that cannot be redone:

- the report PDF embeds the heads of the inspection's chains it was made from
  (`log-heads.json`, inspector/reports/embedded.py), covered by the first signature;
- accounts sign the heads with their own key (see `sign_heads`) and the signed record is kept in
  table `log_anchor`; the latest travels in exchange bundles.

`check_log` compares the log with the anchors: an anchored head must still be on its chain with
the same hash (a cut tail, a wipe, an edit re-hashed all change that), and a chain must not go
on past its latest signed head (an appended event is signed by no one).
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine

from inspector.errors import UserError
from inspector.events import GENESIS, canonical_json
from inspector.i18n import _
from inspector.signing.detached import sign_bytes, signature_holds

if TYPE_CHECKING:
    from inspector.accounts import Actor

HEADS_VERSION = 1


def inspection_heads(conn: Connection, inspection_uid: str) -> list[dict[str, Any]]:
    """The heads of the inspection's chains: [{"chain", "dseq", "hash"}], by chain."""
    from inspector.events import chain_heads

    return [{"chain": h.chain, "dseq": int(h.dseq), "hash": h.hash} for h in chain_heads(conn, inspection_uid)]


def heads_json(conn: Connection, inspection_id: int) -> bytes:
    """The `log-heads.json` a report embeds: the inspection's chain heads as the report was made."""
    from inspector.events import inspection_uid

    uid = inspection_uid(conn, inspection_id)
    doc = {"version": HEADS_VERSION, "inspection": uid, "heads": inspection_heads(conn, uid)}
    return canonical_json(doc).encode("utf-8")


# --- signed heads ---------------------------------------------------------------------------

ANCHOR_TYPE = "inspector.log-anchor/1"
REASONS = ("session", "sign", "bundle")


class LogTampered(UserError):
    """The event log no longer agrees with its signed heads; nothing is signed over it."""


@dataclass(frozen=True)
class Anchor:
    id: int
    at: str
    login: str
    reason: str
    body: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at, "login": self.login, "reason": self.reason,
                "heads": self.body.get("heads", []), "ref": self.body.get("ref")}


@dataclass(frozen=True)
class LogProblem:
    """One way the log differs from a signed head."""

    kind: str            # wiped | cut | changed | unsigned | anchor
    message: str
    inspection: str = ""
    chain: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "inspection": self.inspection, "chain": self.chain, "message": self.message}


def all_heads(conn: Connection) -> list[dict[str, Any]]:
    """The heads of every chain of the store: [{"inspection", "chain", "dseq", "hash"}]."""
    from inspector.events import chain_heads

    return [{"inspection": h.inspection_uid or "", "chain": h.chain, "dseq": int(h.dseq), "hash": h.hash}
            for h in chain_heads(conn)]


def own_heads(conn: Connection) -> tuple[tuple[str, str, int], ...]:
    """This laptop's chain heads as (inspection uid, chain, position): where a session begins."""
    if not (_has_table(conn, "event") and _has_table(conn, "store_identity")):
        return ()
    mine = conn.exec_driver_sql("SELECT value FROM store_identity WHERE key = 'device_id'").scalar()
    return tuple((h["inspection"], h["chain"], h["dseq"]) for h in all_heads(conn) if h["chain"] == mine)


def _body_sha(body_text: str) -> str:
    return hashlib.sha256(body_text.encode("utf-8")).hexdigest()


def latest_anchor_row(conn: Connection):
    return conn.exec_driver_sql("SELECT id, at, login, reason, body, algorithm, signature, cert_pem FROM log_anchor "
                                "ORDER BY id DESC LIMIT 1").fetchone()


def latest_anchor(conn: Connection) -> dict[str, Any] | None:
    """The latest signed head record as it travels (in a bundle): body, algorithm, signature, certificate."""
    r = latest_anchor_row(conn)
    if r is None:
        return None
    return {"body": json.loads(r.body), "algorithm": r.algorithm,
            "signature": base64.b64encode(bytes(r.signature)).decode("ascii"), "certificate": r.cert_pem}


def anchor_holds(anchor: dict[str, Any]) -> bool:
    """Whether a signed head record as it travels (`latest_anchor`) carries a signature that holds."""
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(anchor["certificate"].encode("ascii"))
        signature = base64.b64decode(anchor["signature"], validate=True)
        return signature_holds(canonical_json(anchor["body"]).encode("utf-8"), signature, anchor["algorithm"], cert)
    except (KeyError, TypeError, ValueError, AttributeError):
        return False


def sign_heads(engine: Engine, actor: Actor | None, reason: str, *, ref: str | None = None,
               only_if_changed: bool = False) -> Anchor | None:
    """Sign the heads of every chain of the store with `actor`'s key and keep the record.

    Returns None when the actor has no unlocked key, or (`only_if_changed`) when the heads are the
    ones the latest record already signed. LogTampered, nothing signed, when the log no longer
    agrees with the heads signed before (a signature would cover the damage)."""
    from cryptography.hazmat.primitives import serialization

    from inspector.db import write_transaction
    from inspector.events import device_id

    if actor is None or actor.key is None or reason not in REASONS:
        return None
    with write_transaction(engine) as conn:
        heads = all_heads(conn)
        last = latest_anchor_row(conn)
        if only_if_changed and not _moved(last, heads):
            return None
        problems = [p for p in check_log(conn) if p.kind != "unsigned"]
        if problems:
            raise LogTampered(_("the event log does not agree with the heads signed before, so it is not signed "
                                "again: {what}; run verify-log").format(what=problems[0].message))
        at = datetime.now().astimezone().isoformat(timespec="seconds")
        cert = actor.key.certificate
        body = {"type": ANCHOR_TYPE, "store": device_id(conn), "login": actor.login, "name": actor.display_name,
                "cert_no": actor.cert_no, "reason": reason, "at": at, "ref": ref,
                "prev": _body_sha(last.body) if last is not None else GENESIS, "heads": heads}
        if actor.session_from is not None:     # where the signing session began (see adopted_events)
            body["from"] = [{"inspection": uid, "chain": chain, "dseq": dseq}
                            for uid, chain, dseq in actor.session_from]
        text = canonical_json(body)
        signed = sign_bytes(text.encode("utf-8"), actor.key.private_key)
        if signed is None:
            raise UserError(_("this kind of key cannot sign the event log's heads"))
        signature, algorithm = signed
        pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
        new_id = conn.exec_driver_sql(
            "INSERT INTO log_anchor (at, login, reason, body, algorithm, signature, cert_pem) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (at, actor.login, reason, text, algorithm, signature, pem)).lastrowid
    return Anchor(int(new_id), at, actor.login, reason, body)


def sign_session_end(engine: Engine, actor: Actor | None) -> Anchor | None:
    """At the end of a session (a CLI command run, the GUI closing): sign the heads if they moved."""
    return sign_heads(engine, actor, "session", only_if_changed=True)


def heads_moved(engine: Engine) -> bool:
    """Whether the chains' heads differ from the ones the latest record signed (cheap: no signature
    is checked), so a session that changed nothing unlocks no key."""
    with engine.connect() as conn:
        if not _has_table(conn, "log_anchor"):
            return False
        return _moved(latest_anchor_row(conn), all_heads(conn))


def _moved(last, heads: list[dict[str, Any]]) -> bool:
    """Whether `heads` differ from the ones the signed record `last` (None: no record yet) holds."""
    if last is None:
        return bool(heads)
    return json.loads(last.body).get("heads") != heads


def end_session(engine: Engine, actor: Actor | None, password: str | None) -> Anchor | None:
    """The end of a CLI command run by `actor` (who logged in with `password`): when the chains moved
    and the account has a signing key, unlock it and sign the heads."""
    from inspector.accounts import has_key, with_own_key

    if actor is None or not heads_moved(engine):
        return None
    if actor.key is None:
        with engine.connect() as conn:
            if not has_key(conn, actor.login) or password is None:
                return None
        actor = with_own_key(engine, actor, password)
    return sign_session_end(engine, actor)


# --- checking -------------------------------------------------------------------------------

def _trust(conn: Connection) -> list:
    from cryptography import x509

    rows = conn.exec_driver_sql("SELECT der FROM trust_anchor").fetchall() if _has_table(conn, "trust_anchor") else []
    out = []
    for (der,) in rows:
        try:
            out.append(x509.load_der_x509_certificate(bytes(der)))
        except ValueError:
            continue
    return out


def _has_table(conn: Connection, name: str) -> bool:
    return conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).first() \
        is not None


def _who(body: dict[str, Any]) -> str:
    return _("{name} ({login}, {at})").format(name=body.get("name") or body.get("login"), login=body.get("login"),
                                                at=str(body.get("at", ""))[:19].replace("T", " "))


def _chain_label(uid: str, chain: str) -> str:
    if not uid:
        return _("the accounts' log (laptop {chain})").format(chain=chain[:8])
    return _("inspection {uid}, laptop {chain}").format(uid=uid[:8], chain=chain[:8])


def valid_anchors(conn: Connection) -> tuple[list[dict[str, Any]], list[LogProblem]]:
    """The bodies of the store's signed-head records whose signature holds, oldest first, and the
    problems with the others (a broken signature, an untrusted signer, a record missing between two)."""
    from cryptography import x509

    from inspector.exchange.bundle import chains_to_anchor

    if not _has_table(conn, "log_anchor"):
        return [], []
    trust = _trust(conn)
    out: list[dict[str, Any]] = []
    problems: list[LogProblem] = []
    prev = GENESIS
    certs: dict[str, Any] = {}
    trusted: dict[str, bool] = {}
    for r in conn.exec_driver_sql("SELECT id, body, algorithm, signature, cert_pem FROM log_anchor ORDER BY id"):
        try:
            body = json.loads(r.body)
            cert = certs.get(r.cert_pem) or x509.load_pem_x509_certificate(r.cert_pem.encode("ascii"))
            certs[r.cert_pem] = cert
        except ValueError:
            problems.append(LogProblem("anchor", _("signed head record {id} is unreadable").format(id=r.id)))
            continue
        if not signature_holds(r.body.encode("utf-8"), bytes(r.signature), r.algorithm, cert):
            problems.append(LogProblem("anchor", _("signed head record {id}: its signature does not hold (the "
                                                   "record was altered)").format(id=r.id)))
            continue
        if trust:
            try:
                when = datetime.fromisoformat(body["at"]).astimezone(timezone.utc)
            except (KeyError, ValueError, TypeError):
                when = datetime.now(timezone.utc)
            if r.cert_pem not in trusted:
                trusted[r.cert_pem] = chains_to_anchor(cert, trust, when)
            if not trusted[r.cert_pem]:
                problems.append(LogProblem("anchor", _("signed head record {id}: signed with a certificate that "
                                                       "does not chain to a trust anchor").format(id=r.id)))
                continue
        if body.get("prev") != prev:
            problems.append(LogProblem("anchor", _("signed head record {id}: the record before it was removed or "
                                                   "changed").format(id=r.id)))
        prev = _body_sha(r.body)
        out.append(body)
    return out, problems


def compare_heads(conn: Connection, heads: list[tuple[str, str, int, str, str]]) -> list[LogProblem]:
    """Problems of the log against signed heads [(inspection uid, chain, dseq, hash, who signed)]:
    a chain gone (wiped), shorter than signed (tail cut), or holding another event where a signed
    head was (an event changed and the rest re-hashed). One problem per chain, the worst first."""
    now = {(h["inspection"], h["chain"]): h for h in all_heads(conn)}
    seen: set[tuple[str, str, int, str]] = set()
    by_chain: dict[tuple[str, str], LogProblem] = {}
    for uid, chain, dseq, hash_, who in sorted(heads, key=lambda h: -h[2]):
        key = (uid, chain)
        if key in by_chain or (uid, chain, dseq, hash_) in seen:
            continue
        seen.add((uid, chain, dseq, hash_))
        have = now.get(key)
        label = _chain_label(uid, chain)
        if have is None:
            by_chain[key] = LogProblem("wiped", _("{chain}: all its events are gone, but {who} signed its head at "
                                                  "event {n}: the log was wiped").format(chain=label, who=who, n=dseq),
                                       uid, chain)
        elif have["dseq"] < dseq:
            by_chain[key] = LogProblem("cut", _("{chain}: the chain ends at event {have}, but {who} signed it at "
                                                "event {n}: {k} events were removed from its end").format(
                chain=label, have=have["dseq"], who=who, n=dseq, k=dseq - have["dseq"]), uid, chain)
        else:
            found = conn.exec_driver_sql("SELECT hash FROM event WHERE inspection_uid = ? AND chain = ? AND dseq = ?",
                                         (uid, chain, dseq)).scalar()
            if found != hash_:
                by_chain[key] = LogProblem("changed", _("{chain}: event {n} is not the one {who} signed: an event "
                                                        "up to it was changed and the chain re-hashed").format(
                    chain=label, n=dseq, who=who), uid, chain)
    order = {"wiped": 0, "cut": 1, "changed": 2}
    return sorted(by_chain.values(), key=lambda p: (order.get(p.kind, 9), p.inspection, p.chain))


def check_log(conn: Connection, inspection_uid: str | None = None,
              anchors: tuple[list[dict[str, Any]], list[LogProblem]] | None = None) -> list[LogProblem]:
    """The log against the store's signed heads: `compare_heads` over every valid record, and the
    events of this laptop's chains written after the latest signed head (signed by no one).
    `anchors`: `valid_anchors(conn)` when the caller has it already."""
    from inspector.events import device_id

    bodies, problems = anchors if anchors is not None else valid_anchors(conn)
    problems = list(problems)
    if not bodies:
        return problems
    heads = []
    for body in bodies:
        who = _who(body)
        for h in body.get("heads", []):
            if inspection_uid is None or h.get("inspection") == inspection_uid:
                heads.append((h["inspection"], h["chain"], int(h["dseq"]), h["hash"], who))
    problems += compare_heads(conn, heads)
    damaged = {(p.inspection, p.chain) for p in problems}
    latest = bodies[-1]
    signed = {(h["inspection"], h["chain"]): int(h["dseq"]) for h in latest.get("heads", [])}
    mine = device_id(conn)
    for h in all_heads(conn):
        key = (h["inspection"], h["chain"])
        if h["chain"] != mine or key in damaged or (inspection_uid is not None and h["inspection"] != inspection_uid):
            continue
        extra = h["dseq"] - signed.get(key, 0)
        if extra > 0:
            problems.append(LogProblem("unsigned", _(
                "{chain}: {k} events after the latest signed head ({who}) are signed by no one: added outside "
                "Inspector, or written by a session that has not ended (or ended without a signing key, or was "
                "killed)").format(chain=_chain_label(*key), k=extra, who=_who(latest)), *key))
    return problems


def adopted_events(conn: Connection, inspection_uid: str | None = None,
                   bodies: list[dict[str, Any]] | None = None) -> list[LogProblem]:
    """Events of this laptop's chains that a session signed without having written them: added
    after the signature before it and before its login (the heads a session signs say where it
    began). They were written by a session that ended without signing (no signing key, killed),
    or outside Inspector; a signature over them proves only that they were there. The store's
    first signed record has nothing before it and is not looked at (the events of a new store come
    from account creation and keys being set, before any key signed). One note per chain and
    signing session, oldest first (kind `adopted`: a note, not damage). `bodies`: the valid
    records (`valid_anchors`) when the caller has them already."""
    from inspector.events import device_id

    if bodies is None:
        bodies = valid_anchors(conn)[0]
    mine = device_id(conn)
    signed: dict[tuple[str, str], int] = {}
    notes: list[LogProblem] = []
    for body in bodies:
        if body.get("store") != mine:
            continue
        for f in (body.get("from") or []) if signed else []:
            key = (f.get("inspection", ""), f.get("chain", ""))
            if key[1] != mine or (inspection_uid is not None and key[0] != inspection_uid):
                continue
            before = signed.get(key, 0)
            if int(f.get("dseq", 0)) > before:
                first, last = before + 1, int(f["dseq"])
                if first == last:
                    text = _("{chain}: event {n} was already there when the session that {who} signed began, and no "
                             "earlier signature covers it: written by a session that ended without signing (no "
                             "signing key, or killed), or outside Inspector").format(
                        chain=_chain_label(*key), n=first, who=_who(body))
                else:
                    text = _("{chain}: events {first}–{last} were already there when the session that {who} signed "
                             "began, and no earlier signature covers them: written by a session that ended without "
                             "signing (no signing key, or killed), or outside Inspector").format(
                        chain=_chain_label(*key), first=first, last=last, who=_who(body))
                notes.append(LogProblem("adopted", text, *key))
        for h in body.get("heads", []):
            key = (h.get("inspection", ""), h.get("chain", ""))
            signed[key] = max(signed.get(key, 0), int(h.get("dseq", 0)))
    return notes


def signed_heads_line(n: int, latest: dict[str, Any] | None, pdfs: int) -> str:
    """What the log was checked against: `n` signed head records (the `latest` one's signer and
    time) and the heads of `pdfs` signed reports, in `verify-log`'s words."""
    return _("checked against {n} signed heads{latest}{pdfs}").format(
        n=n, latest=_(" (the latest by {who}, {at})").format(
            who=latest.get("login"), at=str(latest.get("at"))[:19].replace("T", " ")) if latest else "",
        pdfs=_(" and the heads of {n} signed reports").format(n=pdfs) if pdfs else "")


def read_reports(paths) -> list[tuple[Path, bytes]]:
    """The signed reports at `paths`, read whole (a file that cannot be read: a UserError naming it)."""
    from inspector.errors import os_reason

    out = []
    for path in map(Path, paths):
        try:
            out.append((path, path.read_bytes()))
        except OSError as exc:
            raise UserError(_("{file}: {why}").format(file=path, why=os_reason(exc))) from None
    return out


def pdf_heads(pdf: bytes, label: str) -> dict[str, Any]:
    """The `log-heads.json` of a signed report, from the revision its first signature signed."""
    from inspector.reports.embedded import HEADS_FILE, signed_files

    found = signed_files(pdf, label).get(HEADS_FILE)
    if found is None:
        raise UserError(_("{file} carries no event-log heads (made before reports embedded them)").format(file=label))
    try:
        doc = json.loads(found)
        [(h["chain"], int(h["dseq"]), h["hash"]) for h in doc["heads"]]
    except (ValueError, KeyError, TypeError):
        raise UserError(_("{file}: its embedded event-log heads are unreadable").format(file=label)) from None
    return doc


def check_against_pdf(conn: Connection, pdf: bytes, label: str) -> list[LogProblem]:
    """The log against the heads a signed report carries (what it was made from)."""
    doc = pdf_heads(pdf, label)
    who = _("the signed report {file}").format(file=label)
    return compare_heads(conn, [(doc["inspection"], h["chain"], int(h["dseq"]), h["hash"], who)
                                for h in doc["heads"]])
