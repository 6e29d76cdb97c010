"""Reading inspections and their current snapshot for lists (CLI `inspections`, GUI home)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inspector.coltypes import DATE_FORMAT, TIMESTAMP_FORMAT
from inspector.errors import UserError
from inspector.models import Inspection, Snapshot


def get_inspection(session: Session, inspection_id: int) -> Inspection:
    insp = session.get(Inspection, inspection_id)
    if insp is None:
        raise UserError(f"no inspection with id {inspection_id} in this store")
    return insp


def current_snapshot(session: Session, inspection_id: int) -> Snapshot:
    """The newest snapshot of the inspection: what every check of it reads."""
    snap = session.execute(
        select(Snapshot).where(Snapshot.inspection_id == inspection_id).order_by(Snapshot.version.desc()).limit(1)
    ).scalar_one_or_none()
    if snap is None:
        raise UserError(f"inspection {inspection_id} has no synced data")
    return snap


def list_inspections(session: Session) -> list[dict[str, Any]]:
    """Every inspection, oldest first, with its current snapshot's version and row counts."""
    out: list[dict[str, Any]] = []
    # one query for the newest snapshot of every inspection (later versions overwrite earlier ones)
    from inspector.state import inspection_stage

    latest = {s.inspection_id: s for s in session.execute(select(Snapshot).order_by(Snapshot.version)).scalars()}
    for insp in session.execute(select(Inspection).order_by(Inspection.id)).scalars():
        snap = latest.get(insp.id)
        # the real stage, derived from the events (the stored column only ever says 'synced')
        status = inspection_stage(session.connection(), insp.id).code if snap else insp.status
        out.append(
            {
                "id": insp.id,
                "uid": insp.uid,
                "fixmedins_code": insp.fixmedins_code,
                "fixmedins_name": insp.fixmedins_name,
                "date_from": insp.date_from.strftime(DATE_FORMAT),
                "date_to": insp.date_to.strftime(DATE_FORMAT),
                "visit_time": insp.visit_time.strftime(TIMESTAMP_FORMAT),
                "status": status,
                "snapshot_version": snap.version if snap else None,
                "extract_id": snap.extract_id if snap else None,
                "synced_at": snap.synced_at.strftime(TIMESTAMP_FORMAT) if snap else None,
                "source": snap.source if snap else None,
                "row_counts": dict(snap.row_counts) if snap else {},
            }
        )
    return out
