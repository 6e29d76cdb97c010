"""Fill a `ReportData` from the local store: the inspection, its frozen snapshot, the team, the
settings in force, the on-site work recorded as events, the evidence photos and the sign-off."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from inspector.coltypes import TIMESTAMP_FORMAT
from inspector.events import read_events
from inspector.i18n import N_, _
from inspector.inspections import current_snapshot, get_inspection
from inspector.models import SnapFixmedins
from inspector.reports.model import ROLE_INSPECTOR, ROLE_LEAD, EvidencePhoto, ReportData, TeamMember
from inspector.reports.signoff import read_signoff
from inspector.settings import effective_settings
from inspector.signing.trust import anchor_certificates

CHECK_AREAS = (
    ("census.", N_("Ward census of the inpatients present at the visit (C1)")),
    ("stock.", N_("Drug stock count against the purchase, sales and stock ledgers (C2)")),
    ("record.", N_("Review of a reproducible random sample of medical records (C3)")),
    ("lead.", N_("Verification of the leads found by screening the synced records")),
)
ON_SITE_PREFIXES = ("census.", "stock.", "record.", "lead.", "evidence.", "finding.")


def team_members(conn: Connection, inspection_id: int) -> list[TeamMember]:
    """The team now (the inspection's team folded with its team events), in signing roles."""
    from inspector.team import current_team

    return [TeamMember(m.name, m.cert_no, ROLE_LEAD if m.role == ROLE_LEAD else ROLE_INSPECTOR)
            for m in current_team(conn, inspection_id)]


def evidence_photos(conn: Connection, inspection_id: int) -> list[EvidencePhoto]:
    """Every item recorded as evidence, oldest first, content checked against its SHA-256.

    Images are shown; other files (copies of documents) are listed with the same caption, time, author and hash.
    """
    from inspector.evidence import list_evidence, read_evidence

    photos: list[EvidencePhoto] = []
    for item in list_evidence(conn, inspection_id):
        caption = item.caption or ""
        if item.filename and item.filename not in ("photo", "evidence"):
            caption = f"{caption}（{item.filename}）" if caption else item.filename
        photos.append(EvidencePhoto(image=read_evidence(conn, item.sha256), caption=caption,
                                    captured_at=_parse_time(item.captured_at), author=item.author, sha256=item.sha256))
    return photos


def _parse_time(text: Any) -> datetime | None:
    try:
        return datetime.strptime(str(text)[:19], TIMESTAMP_FORMAT)
    except (TypeError, ValueError):
        return None


def _visit_end(conn: Connection, inspection_id: int, start: datetime) -> datetime | None:
    last = None
    for ev in read_events(conn, inspection_id, [p + "*" for p in ON_SITE_PREFIXES]):
        at = _parse_time(ev.at)
        if at and at > start and (last is None or at > last):
            last = at
    return last


def checked_areas(conn: Connection, inspection_id: int) -> list[str]:
    """What was checked on site: each check with at least one recorded event."""
    kinds = {ev.kind for ev in read_events(conn, inspection_id, [p + "*" for p, _t in CHECK_AREAS])}
    return [_(text) for prefix, text in CHECK_AREAS if any(k.startswith(prefix) for k in kinds)]


def build_report_data(session: Session, inspection_id: int) -> ReportData:
    """Everything the inspection's documents show, read from the store (UserError if the inspection is unknown)."""
    insp = get_inspection(session, inspection_id)
    snap = current_snapshot(session, inspection_id)
    conn = session.connection()
    fix = session.execute(select(SnapFixmedins).where(
        SnapFixmedins.snapshot_id == snap.id, SnapFixmedins.fixmedins_code == insp.fixmedins_code)).scalar_one_or_none()
    settings = effective_settings(conn, inspection_id)
    signoff = read_signoff(conn, inspection_id)
    team = team_members(conn, inspection_id)
    data = ReportData(
        institution_code=insp.fixmedins_code,
        institution_name=fix.fixmedins_name if fix else insp.fixmedins_name,
        institution_address=(fix.addr or "") if fix else "",
        inspection_id=insp.id, inspection_uid=insp.uid,
        window_from=insp.date_from, window_to=insp.date_to,
        visit_start=insp.visit_time, visit_end=_visit_end(conn, inspection_id, insp.visit_time),
        inspection_kind=str(settings.get("inspection_kind", "routine")),
        team=team,
        representative_name=signoff.representative_name, representative_title=signoff.representative_title,
        bureau_name=str(settings.get("bureau_name", "")),
        checked=checked_areas(conn, inspection_id),
        photos=evidence_photos(conn, inspection_id),
        settings={k: v for k, v in settings.items() if k != "settings_version"},
        approved=signoff.approved_by is not None,
        hand_signature=signoff.hand_signature,
        generated_at=datetime.now().replace(microsecond=0),
        trust_anchors=tuple(anchor_certificates(conn)),
    )
    data.settings["snapshot"] = f"v{snap.version} {snap.extract_id}"
    add_check_results(data, session, inspection_id, signoff_approved=signoff.approved_by is not None)
    return data


def add_check_results(data: ReportData, session: Session, inspection_id: int, *, signoff_approved: bool) -> None:
    """Findings, facts, census, stock count, record review and leads, from their modules' own folds."""
    from inspector.reports import checks_data as cd

    conn = session.connection()
    data.findings, all_approved = cd.findings_rows(conn, inspection_id)
    data.facts = [_("{category}: {description} Amount involved: CNY {amount}.").format(
        category=f.category, description=f.description.rstrip("。. "), amount=f"{f.amount:,.2f}")
        for f in data.findings]
    # DRAFT until the lead has approved every current finding (or, with none, the documents)
    data.approved = all_approved or (not data.findings and signoff_approved)
    data.census_rows, data.census_summary = cd.census_rows(conn, inspection_id)
    data.stock_rows, data.stock_summary = cd.stock_rows(conn, inspection_id)
    data.record_rows, data.record_summary = cd.record_rows(conn, inspection_id)
    data.leads = cd.lead_rows(session.get_bind(), inspection_id)
