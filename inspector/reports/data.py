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

ON_SITE_PREFIXES = ("census.", "stock.", "records.", "lead.", "evidence.", "finding.", "onsite.")


def team_members(conn: Connection, inspection_id: int) -> list[TeamMember]:
    """The team now (the inspection's team folded with its team events), in signing roles."""
    from inspector.team import current_team

    return [TeamMember(m.name, m.cert_no, ROLE_LEAD if m.role == ROLE_LEAD else ROLE_INSPECTOR)
            for m in current_team(conn, inspection_id)]


def evidence_photos(conn: Connection, inspection_id: int) -> list[EvidencePhoto]:
    """Every item recorded as evidence, oldest first, content checked against its SHA-256.

    Images are shown; other files (copies of documents) are listed with the same caption, time, author and hash.
    """
    from inspector.evidence import list_evidence, read_evidence, read_reduced

    photos: list[EvidencePhoto] = []
    for item in list_evidence(conn, inspection_id):
        caption = item.caption or ""
        if item.filename and item.filename not in ("photo", "evidence"):
            caption = f"{caption}（{item.filename}）" if caption else item.filename
        photos.append(EvidencePhoto(image=read_evidence(conn, item.sha256), caption=caption,
                                    captured_at=_parse_time(item.captured_at), author=item.author, sha256=item.sha256,
                                    reduced=read_reduced(conn, item.sha256)))
    return photos


def _parse_time(text: Any) -> datetime | None:
    try:
        return datetime.strptime(str(text)[:19], TIMESTAMP_FORMAT)
    except (TypeError, ValueError):
        return None


def checked_areas(conn: Connection, inspection_id: int) -> list[str]:
    """What was checked on site, with its size: each check performed (census, stock count, record review,
    lead verification); a check never begun is left out, a waived one says so."""
    from inspector.reports.wording import records_method
    from inspector.state import check_progress

    out: list[str] = []
    for p in check_progress(conn, inspection_id):
        if not p.performed:
            if p.waived_reason and p.required:
                out.append(_("{check}: not done; waived by the team lead {lead}: {reason}").format(
                    check=p.label, lead=p.waived_by, reason=p.waived_reason))
            continue
        if p.check == "census":
            text = census_scope(conn, inspection_id, p.total, p.done)
        elif p.check == "stock":
            text = _("Drug stock count: {done} of the {total} sampled drugs counted against the purchase, sales "
                     "and stock ledgers.").format(done=p.done, total=p.total)
        else:
            from inspector.checks.records import current_sample

            s = current_sample(conn, inspection_id)
            text = _("Record review: {method} {done} of them reviewed against the checklist.").format(
                method=records_method(s.seed, s.n, s.population, s.stratified, s.strata), done=p.done)
        if p.waived_reason and not p.finished:
            text += _(" The rest was waived by the team lead {lead}: {reason}").format(lead=p.waived_by,
                                                                                   reason=p.waived_reason)
        out.append(text)
    leads = lead_verification(conn, inspection_id)
    if leads:
        out.append(leads)
    return out


def census_scope(conn: Connection, inspection_id: int, total: int, done: int) -> str:
    """The census line of the record: when it was taken and how many beds."""
    from inspector.checks.census import census_state
    from inspector.reports.wording import cn_datetime

    st = census_state(conn, inspection_id)
    times = sorted(t for t in (_parse_time(e.payload.get("checked_at")) for e in st.ticks) if t)
    when = census_period_text(times[0], times[-1]) if times else ""
    text = _("Ward census {when}: {done} of the {total} registered inpatients checked at their beds").format(
        when=when, done=done, total=total)
    if st.unregistered:
        text += _(", {n} occupants without registration found").format(n=len(st.unregistered))
    return text + _(".")


def census_period_text(first: datetime, last: datetime) -> str:
    """The one census time shown by the record, the findings and the appendix."""
    from inspector.reports.wording import cn_date, cn_datetime

    if first.date() == last.date():
        return _("on {date} from {start} to {end}").format(date=cn_date(first), start=f"{first:%H:%M}",
                                                          end=f"{last:%H:%M}")
    return _("from {start} to {end}").format(start=cn_datetime(first), end=cn_datetime(last))


def lead_verification(conn: Connection, inspection_id: int) -> str:
    """The lead-verification line: how many leads, how many confirmed and dismissed (empty when none decided)."""
    from inspector.errors import UserError
    from inspector.screening.leads import list_leads

    try:
        leads = list_leads(conn.engine, inspection_id)
    except UserError:          # no synced data: no leads to verify
        return ""
    confirmed = sum(1 for x in leads if x.status == "confirmed")
    dismissed = sum(1 for x in leads if x.status == "dismissed")
    if not confirmed and not dismissed:
        return ""
    return _("Verification of the {n} leads found by screening the synced records: {c} confirmed, {d} dismissed, "
             "{o} not verified.").format(n=len(leads), c=confirmed, d=dismissed, o=len(leads) - confirmed - dismissed)


def build_report_data(session: Session, inspection_id: int) -> ReportData:
    """Everything the inspection's documents show, read from the store (UserError if the inspection is unknown)."""
    insp = get_inspection(session, inspection_id)
    snap = current_snapshot(session, inspection_id)
    conn = session.connection()
    fix = session.execute(select(SnapFixmedins).where(
        SnapFixmedins.snapshot_id == snap.id, SnapFixmedins.fixmedins_code == insp.fixmedins_code)).scalar_one_or_none()
    settings = effective_settings(conn, inspection_id)
    signoff = read_signoff(conn, inspection_id)
    from inspector.onsite import read_onsite
    from inspector.reports.wording import statement_text

    onsite = read_onsite(conn, inspection_id)
    team = team_members(conn, inspection_id)
    data = ReportData(
        institution_code=insp.fixmedins_code,
        institution_name=fix.fixmedins_name if fix else insp.fixmedins_name,
        institution_address=(fix.addr or "") if fix else "",
        inspection_id=insp.id, inspection_uid=insp.uid,
        window_from=insp.date_from, window_to=insp.date_to,
        visit_start=onsite.started_at or insp.visit_time, visit_end=onsite.closed_at,
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
        legal_rep=onsite.legal_rep, place=onsite.place, record_closed=onsite.closed_at is not None,
        statement=statement_text(onsite), witnesses=dict(onsite.witnesses),
    )
    data.settings["snapshot"] = _("snapshot version {v} of extract {extract}").format(v=snap.version,
                                                                                     extract=snap.extract_id)
    add_check_results(data, session, inspection_id, signoff_approved=signoff.approved_by is not None)
    data.credit = credit_appendix_data(conn, insp.fixmedins_code, data.institution_name, snap.id, inspection_id)
    data.laptops, data.bundles = laptops_data(conn, insp.uid)
    return data


def laptops_data(conn: Connection, inspection_uid: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The laptops' event chains of the inspection (with who wrote on each) and the bundles merged here."""
    from inspector.events import chain_heads
    from inspector.exchange.bundle import merged_bundles

    authors: dict[str, list[str]] = {}
    for chain, author in conn.exec_driver_sql(
            "SELECT chain, author FROM event WHERE inspection_uid = ? GROUP BY chain, author ORDER BY min(seq)",
            (inspection_uid,)):
        authors.setdefault(chain, []).append(author)
    names = dict(conn.exec_driver_sql("SELECT login, display_name FROM account").fetchall())
    laptops = [{"device": h.chain, "events": h.events, "head": h.hash,
                "people": "、".join(names.get(a, a) for a in authors.get(h.chain, []))}
               for h in chain_heads(conn, inspection_uid)]
    bundles = [dict(b, sender_name=names.get(b["sender"], b["sender"])) for b in merged_bundles(conn, inspection_uid)]
    return laptops, bundles


def credit_appendix_data(conn: Connection, code: str, name: str, snapshot_id: int, inspection_id: int) -> dict[str, Any]:
    """The credit deductions of the approved findings (inspector.credit), for the appendix."""
    from inspector.credit import credit_json, load_table, score_findings
    from inspector.credit.scoring import snapshot_doctors
    from inspector.findings.lifecycle import fold_findings

    return credit_json(score_findings(fold_findings(conn, inspection_id), load_table(), code, name,
                                      snapshot_doctors(conn, snapshot_id)))


def add_check_results(data: ReportData, session: Session, inspection_id: int, *, signoff_approved: bool) -> None:
    """Findings, facts, census, stock count, record review and leads, from their modules' own folds."""
    from inspector.reports import checks_data as cd

    conn = session.connection()
    data.findings, all_approved = cd.findings_rows(conn, inspection_id)
    data.facts = [_("{description}. This is {category}; amount involved CNY {amount} (findings list no. {n}).").format(
        category=f.category, description=f.description.rstrip("。.；; "), amount=f"{f.amount:,.2f}", n=n)
        for n, f in enumerate(data.findings, 1)]
    data.handling = [_("Finding {n}: {handling}").format(n=n, handling=f.handling.rstrip("。. ") + _("."))
                     if f.handling.strip() else _("Finding {n}: not yet stated.").format(n=n)
                     for n, f in enumerate(data.findings, 1)]
    # DRAFT until the lead has approved every current finding (or, with none, the documents)
    data.approved = all_approved or (not data.findings and signoff_approved)
    data.census_rows, data.census_summary = cd.census_rows(conn, inspection_id)
    data.stock_rows, data.stock_summary = cd.stock_rows(conn, inspection_id)
    data.record_rows, data.record_summary = cd.record_rows(conn, inspection_id)
    data.leads = cd.lead_rows(session.get_bind(), inspection_id)
    from inspector.state import report_blockers

    data.unfinished = report_blockers(conn, inspection_id)
