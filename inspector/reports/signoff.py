"""Sign-off of the documents in the store, as events: who represented the institution, their
hand signature (PNG from the signature pad, stored once by SHA-256) or their refusal with the
inspectors' note, and the team lead's approval that removes the DRAFT watermark.

Event kinds: 'documents.representative' {name, title}; 'documents.hand_signed' {sha256, signed_at};
'documents.signature_refused' {note, at}; 'documents.approved' {by, login, cert_no}. The latest of
hand_signed / signature_refused counts.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine

from inspector.coltypes import TIMESTAMP_FORMAT
from inspector.db import write_transaction
from inspector.errors import UserError
from inspector.events import Event, append_event, read_events
from inspector.i18n import _
from inspector.reports.handsig import check_signature_png
from inspector.reports.model import HandSignature

if TYPE_CHECKING:
    from inspector.accounts import Actor


@dataclass(frozen=True)
class SignOff:
    """The sign-off state folded from the events."""

    representative_name: str = ""
    representative_title: str = ""
    hand_signature: HandSignature | None = None
    approved_by: str | None = None
    approved_at: str | None = None


def _now() -> str:
    return datetime.now().strftime(TIMESTAMP_FORMAT)


def _check_inspection(conn: Connection, inspection_id: int) -> None:
    if conn.exec_driver_sql("SELECT 1 FROM inspection WHERE id = ?", (inspection_id,)).fetchone() is None:
        raise UserError(_('no inspection with id {inspection_id} in this store').format(inspection_id=inspection_id))


def set_representative(engine: Engine, inspection_id: int, name: str, title: str, *,
                       actor: Actor | None = None) -> Event:
    """Record the institution's representative present at the inspection."""
    if not name.strip():
        raise UserError(_('representative: a name is needed'))
    with write_transaction(engine) as conn:
        _check_inspection(conn, inspection_id)
        return append_event(engine, inspection_id, "documents.representative",
                            {"name": name.strip(), "title": title.strip()}, actor=actor, conn=conn)


def record_hand_signature(engine: Engine, inspection_id: int, png: bytes, *, signed_at: str | None = None,
                          actor: Actor | None = None) -> Event:
    """Store the representative's signature image (PNG from the pad) and record it on the documents."""
    check_signature_png(png)
    sha = hashlib.sha256(png).hexdigest()
    with write_transaction(engine) as conn:
        _check_inspection(conn, inspection_id)
        conn.exec_driver_sql(
            "INSERT OR IGNORE INTO attachment (sha256, content, size, media_type, filename, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)", (sha, png, len(png), "image/png", "hand-signature.png", _now()))
        return append_event(engine, inspection_id, "documents.hand_signed",
                            {"sha256": sha, "signed_at": signed_at or _now()}, actor=actor, conn=conn)


def record_refusal(engine: Engine, inspection_id: int, note: str, *, actor: Actor | None = None) -> Event:
    """Record that the representative refused to sign, with the inspectors' note (as the law allows)."""
    if not note.strip():
        raise UserError(_("a refusal to sign needs the inspectors' note"))
    with write_transaction(engine) as conn:
        _check_inspection(conn, inspection_id)
        return append_event(engine, inspection_id, "documents.signature_refused",
                            {"note": note.strip(), "at": _now()}, actor=actor, conn=conn)


def record_approval(engine: Engine, inspection_id: int, *, actor: Actor | None) -> Event:
    """The team lead, logged in, approves the documents (needed only when there is no finding: the
    DRAFT watermark goes once the lead has approved every finding)."""
    from inspector.accounts import PermissionDenied, require_role
    from inspector.team import team_lead

    require_role(actor, action=_("approve the documents"))
    with write_transaction(engine) as conn:
        _check_inspection(conn, inspection_id)
        lead = team_lead(conn, inspection_id)
        if lead is None or lead.login != actor.login:
            raise PermissionDenied(_("only the team lead{lead} approves the documents, not {who}").format(
                lead=f" ({lead.name})" if lead else "", who=actor.display_name))
        return append_event(engine, inspection_id, "documents.approved",
                            {"by": actor.display_name, "login": actor.login, "cert_no": actor.cert_no},
                            actor=actor, conn=conn)


def read_signoff(conn: Connection, inspection_id: int) -> SignOff:
    """Fold the 'documents.*' events of the inspection."""
    name = title = ""
    hand: HandSignature | None = None
    approved_by = approved_at = None
    for ev in read_events(conn, inspection_id, ["documents.*"]):
        p = ev.payload
        if ev.kind == "documents.representative":
            name, title = p["name"], p.get("title", "")
        elif ev.kind == "documents.hand_signed":
            row = conn.exec_driver_sql("SELECT content FROM attachment WHERE sha256 = ?", (p["sha256"],)).fetchone()
            if row is None or hashlib.sha256(bytes(row[0])).hexdigest() != p["sha256"]:
                raise UserError(_('the hand signature {value}… is missing or corrupted in the store').format(value=p['sha256'][:12]))
            hand = HandSignature(png=bytes(row[0]), signed_at=_parse(p.get("signed_at")))
        elif ev.kind == "documents.signature_refused":
            hand = HandSignature(refused=True, refusal_note=p["note"], signed_at=_parse(p.get("at")))
        elif ev.kind == "documents.approved":
            approved_by, approved_at = p["by"], ev.at
    return SignOff(name, title, hand, approved_by, approved_at)


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, TIMESTAMP_FORMAT)
    except ValueError:
        return None


# --- rendered reports and their digital signatures ------------------------------------------
# 'documents.rendered' {sha256, size, file, fields: [field names in signing order], final}: a report
# produced from the store; 'documents.signed' {rendered_sha256, field, signer, sha256}: a digital
# signature added to that report (matched by the rendered file being the signed file's prefix:
# signatures are incremental updates).

def record_rendered(engine: Engine, inspection_id: int, pdf: bytes, filename: str, fields: list[str],
                    final: bool, *, actor: Actor | None = None) -> Event:
    """Note that a report of the inspection was produced (so its signatures can be followed)."""
    return append_event(engine, inspection_id, "documents.rendered", {
        "sha256": hashlib.sha256(pdf).hexdigest(), "size": len(pdf), "file": filename, "fields": fields,
        "final": final}, actor=actor)


def note_signature(engine: Engine, signed_pdf: bytes, field: str, signer: str, *,
                   actor: Actor | None = None) -> Event | None:
    """Record a signature added to a report this store produced; None for a PDF from elsewhere.
    When `actor` carries their unlocked key, they sign the event chains' heads too (inspector/anchors.py)."""
    import json

    with engine.connect() as conn:
        found = conn.exec_driver_sql(
            "SELECT inspection_id, payload FROM event WHERE kind = 'documents.rendered' ORDER BY seq DESC").fetchall()

    for inspection_id, payload in found:
        p = json.loads(payload)
        size = int(p["size"])
        if len(signed_pdf) >= size and hashlib.sha256(signed_pdf[:size]).hexdigest() == p["sha256"]:
            ev = append_event(engine, inspection_id, "documents.signed", {
                "rendered_sha256": p["sha256"], "field": field, "signer": signer,
                "sha256": hashlib.sha256(signed_pdf).hexdigest()}, actor=actor)
            # the signer also signs the heads of the event chains, this signature's record included
            from inspector.anchors import sign_heads

            sign_heads(engine, actor, "sign", ref=ev.payload["sha256"])
            return ev
    return None


def signatures_state(conn: Connection, inspection_id: int) -> tuple[int, int]:
    """(signed, declared) signature lines of the latest report produced for the inspection."""
    rendered = read_events(conn, inspection_id, ["documents.rendered"])
    if not rendered:
        return 0, 0
    latest = rendered[-1].payload
    signed = {ev.payload["field"] for ev in read_events(conn, inspection_id, ["documents.signed"])
              if ev.payload.get("rendered_sha256") == latest["sha256"]}
    return len(signed & set(latest["fields"])), len(latest["fields"])
