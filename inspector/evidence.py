"""Evidence: photos, scans and files stored once by SHA-256, attached through events.

The content lives in the `attachment` table (deduplicated by its hash); who took it, when,
with which caption and what it belongs to is the 'evidence.added' event, so the same photo
attached twice is stored once and recorded twice.
"""
from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine

from inspector.coltypes import TIMESTAMP_FORMAT
from inspector.db import write_transaction
from inspector.errors import UserError
from inspector.events import Event, append_event, read_events
from inspector.i18n import _

if TYPE_CHECKING:
    from inspector.accounts import Actor

ATTACH_TYPES = ("census", "census_bed", "finding", "lead", "stock", "record", "inspection")


@dataclass(frozen=True)
class EvidenceItem:
    sha256: str
    filename: str
    media_type: str
    size: int
    caption: str
    captured_at: str
    author: str
    device: str
    attach_to: dict[str, Any] | None
    event_id: str
    recorded_at: str


def _check_attach(attach_to: dict[str, Any] | None) -> None:
    if attach_to is None:
        return
    if set(attach_to) != {"type", "ref"} or attach_to["type"] not in ATTACH_TYPES or not str(attach_to["ref"]):
        raise UserError(_("evidence: attach to one of {types} with a reference, e.g. finding:3")
                        .format(types=", ".join(ATTACH_TYPES)))


def _check_target(conn: Connection, inspection_id: int, attach_to: dict[str, Any] | None) -> None:
    """The thing evidence is attached to must exist (a finding, a lead, a visit of the inspection)."""
    if attach_to is None:
        return
    kind, ref = attach_to["type"], str(attach_to["ref"])
    if kind == "finding":
        from inspector.findings.lifecycle import get_finding

        get_finding(conn, inspection_id, ref)
    elif kind == "lead":
        row = conn.exec_driver_sql("SELECT 1 FROM lead WHERE id = ? AND inspection_id = ?",
                                   (int(ref) if ref.isdigit() else -1, inspection_id)).fetchone()
        if row is None:
            raise UserError(_("unknown lead {r} in inspection {id}").format(r=ref, id=inspection_id))
    elif kind == "census":
        row = conn.exec_driver_sql(
            "SELECT 1 FROM snap_mdtrt WHERE mdtrt_id = ? AND snapshot_id = (SELECT id FROM snapshot "
            "WHERE inspection_id = ? ORDER BY version DESC LIMIT 1)", (ref, inspection_id)).fetchone()
        if row is None:
            raise UserError(_("unknown visit {m}: not in inspection {id}'s data").format(m=ref, id=inspection_id))


def add_evidence(
    engine: Engine,
    inspection_id: int,
    path_or_bytes: str | Path | bytes,
    *,
    filename: str | None = None,
    caption: str = "",
    captured_at: str | None = None,
    actor: Actor | None = None,
    device: str | None = None,
    media_type: str | None = None,
    attach_to: dict[str, Any] | None = None,
    conn: Connection | None = None,
) -> tuple[str, Event]:
    """Store the content (once per SHA-256) and record an 'evidence.added' event; commits unless `conn`."""
    if conn is None:
        with write_transaction(engine) as c:
            return add_evidence(engine, inspection_id, path_or_bytes, filename=filename, caption=caption,
                                captured_at=captured_at, actor=actor, device=device, media_type=media_type,
                                attach_to=attach_to, conn=c)
    _check_attach(attach_to)
    if isinstance(path_or_bytes, bytes):
        content = path_or_bytes
        filename = filename or "evidence"
    else:
        p = Path(path_or_bytes)
        if not p.is_file():
            raise UserError(_("evidence: no such file {p}").format(p=p))
        content = p.read_bytes()
        filename = filename or p.name
    if captured_at is not None:
        try:
            datetime.strptime(captured_at, TIMESTAMP_FORMAT)
        except ValueError:
            raise UserError(_("capture time: '{t}' is not a time 'YYYY-MM-DD HH:MM:SS'").format(t=captured_at)) from None
    now = datetime.now().strftime(TIMESTAMP_FORMAT)
    media_type = media_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    sha = hashlib.sha256(content).hexdigest()
    if conn.exec_driver_sql("SELECT 1 FROM inspection WHERE id = ?", (inspection_id,)).fetchone() is None:
        raise UserError(_("no inspection with id {id} in this store").format(id=inspection_id))
    _check_target(conn, inspection_id, attach_to)
    conn.exec_driver_sql(
        "INSERT OR IGNORE INTO attachment (sha256, content, size, media_type, filename, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)", (sha, content, len(content), media_type, filename, now))
    if media_type.startswith("image/"):
        store_reduced(conn, sha, content)
    payload = {"sha256": sha, "filename": filename, "media_type": media_type, "size": len(content),
               "caption": caption, "captured_at": captured_at or now, "attach_to": attach_to}
    ev = append_event(engine, inspection_id, "evidence.added", payload, actor=actor, device=device, conn=conn)
    return sha, ev


def store_reduced(conn: Connection, sha256: str, content: bytes) -> bool:
    """Keep a reduced JPEG of an image (the one a report embeds) beside it; False if `content`
    is not an image Pillow can read (it is then stored and listed, just not reduced)."""
    from PIL import Image

    from inspector.reports.photos import MAX_SIDE_PX, pdf_ready_jpeg

    if conn.exec_driver_sql("SELECT 1 FROM attachment_reduced WHERE sha256 = ?", (sha256,)).fetchone():
        return True
    try:
        jpeg, width, height = pdf_ready_jpeg(content)
    except (ValueError, OSError, Image.DecompressionBombError):
        return False
    conn.exec_driver_sql("INSERT INTO attachment_reduced (sha256, jpeg, width, height, max_side) VALUES (?, ?, ?, ?, ?)",
                         (sha256, jpeg, width, height, MAX_SIDE_PX))
    return True


def read_reduced(conn: Connection, sha256: str) -> tuple[bytes, int, int] | None:
    """The reduced JPEG kept for an image (bytes, width, height); None for a photo stored before
    reduced copies existed, or not an image (a report then reduces the original itself)."""
    from inspector.reports.photos import MAX_SIDE_PX

    row = conn.exec_driver_sql("SELECT jpeg, width, height FROM attachment_reduced WHERE sha256 = ? AND max_side = ?",
                               (sha256, MAX_SIDE_PX)).fetchone()
    return (bytes(row[0]), int(row[1]), int(row[2])) if row else None


def list_evidence(conn: Connection, inspection_id: int, attach_to: dict[str, Any] | None = None) -> list[EvidenceItem]:
    """The inspection's evidence in the order it was taken, optionally only what is attached to one thing."""
    out = []
    for e in read_events(conn, inspection_id, ["evidence.added"]):
        p = e.payload
        if attach_to is not None and p.get("attach_to") != attach_to:
            continue
        out.append(EvidenceItem(p["sha256"], p["filename"], p["media_type"], p["size"], p["caption"],
                                p["captured_at"], e.author, e.device, p.get("attach_to"), e.id, e.at))
    return out


def read_evidence(conn: Connection, sha256: str) -> bytes:
    """The stored content, checked against its SHA-256 (UserError if missing or corrupted)."""
    row = conn.exec_driver_sql("SELECT content FROM attachment WHERE sha256 = ?", (sha256,)).fetchone()
    if row is None:
        raise UserError(_("no evidence with SHA-256 {h} in this store").format(h=sha256))
    content = bytes(row[0])
    if hashlib.sha256(content).hexdigest() != sha256:
        raise UserError(_("evidence {h} is corrupted: its content no longer matches its SHA-256").format(h=sha256))
    return content
