"""Produce the inspection's report from the store, the one way the CLI, the GUI and the demo do it:
read the data, add the representative's signature or refusal, refuse the final report while a
required check is unfinished and not waived, render, and note the report in the event log."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from inspector.db import session_factory
from inspector.integrity import require_intact
from inspector.progress import Progress
from inspector.reports.model import RenderInfo, ReportData

if TYPE_CHECKING:
    from inspector.accounts import Actor


def produce_report(engine: Engine, inspection_id: int, out: Path, *, hand_png: bytes | None = None,
                   refused_note: str | None = None, progress: Progress | None = None,
                   actor: Actor | None = None) -> tuple[ReportData, RenderInfo]:
    """Render the PDF of the inspection to `out` and record 'documents.rendered'; UserError when it cannot be."""
    from inspector.reports.data import build_report_data
    from inspector.reports.model import with_hand_signature, with_refusal
    from inspector.reports.pdf import render_report
    from inspector.reports.signoff import record_rendered

    require_intact(engine, inspection_id)   # never a document from a store that differs from its records
    with session_factory(engine)() as session:
        data = build_report_data(session, inspection_id)
    if hand_png is not None:
        data = with_hand_signature(data, hand_png)
    elif refused_note is not None:
        data = with_refusal(data, refused_note)
    info = render_report(data, Path(out), progress=progress, files=report_files(engine, inspection_id))
    record_rendered(engine, inspection_id, Path(out).read_bytes(), Path(out).name,
                    [f.name for f in info.signature_fields], data.approved, actor=actor)
    return data, info


def report_files(engine: Engine, inspection_id: int) -> dict[str, bytes]:
    """What the report embeds before anyone signs it: the findings JSON `upload` sends and the heads of
    the inspection's event chains (inspector/reports/embedded.py)."""
    from inspector.anchors import heads_json
    from inspector.reports.embedded import FINDINGS_FILE, HEADS_FILE
    from inspector.upload import findings_json_bytes

    with engine.connect() as conn:
        heads = heads_json(conn, inspection_id)
    return {FINDINGS_FILE: findings_json_bytes(engine, inspection_id, approved_only=False), HEADS_FILE: heads}
