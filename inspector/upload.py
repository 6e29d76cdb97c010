"""Idempotent upload of signed packages to the central's `insp_upload` table (CONTRACT.md "Uploads").

A package is a signed report PDF plus the findings JSON. `queue_package` checks the PDF's
signatures and that every finding is approved, stores both in the local store (attachments)
and chooses the package's `upload_id` (UUID4) once: every attempt reuses it, so the central's
primary key makes a retry after a dropped connection a no-op, never a duplicate. The status of
each package is derived from the event log (queued -> sent -> verified, or failed with a reason).

The findings JSON (`findings_json` column; an interface) is one UTF-8 JSON object:

    {"inspection": "<inspection uid>",
     "fixmedins_code": "H61010100001",
     "window": {"date_from": "YYYY-MM-DD", "date_to": "YYYY-MM-DD"},
     "visit_time": "YYYY-MM-DD HH:MM:SS",
     "snapshot": {"version": 1, "extract_id": "...", "digests": {"<table>": "<sha256>", ...},
                  "row_counts": {"<table>": n, ...}},
     "findings": [<Finding.as_dict()>, ...],          # amounts as exact decimal strings
     "totals": {"count": n, "amount": "...", "fund_recovery": "...", "fines": "...", "total": "..."},
     "credit": {"table": {"version": "deductions-v1", "sha256": "..."},     # inspector.credit.credit_json
                "institution": {"code", "name", "base", "deductions": [{"finding_no", "rule", "rule_name",
                                "amount", "points", "repeat"}], "deducted", "score", "grade", "grade_name"},
                "doctors": [<the same per doctor code>], "unmatched_findings": [...]}}

serialised with sorted keys, `ensure_ascii=False`, separators (",", ":").
"""
from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from inspector.coltypes import DATE_FORMAT, TIMESTAMP_FORMAT
from inspector.db import session_factory, write_transaction
from inspector.errors import UserError, os_reason
from inspector.events import Event, append_event, author_of
from inspector.i18n import N_, _
from inspector.integrity import require_intact
from inspector.models import Attachment, Event as EventRow
from inspector.progress import Progress

if TYPE_CHECKING:
    from inspector.accounts import Actor

APPLICATION_NAME = "inspector-upload"

INSERT_SQL = (
    "INSERT INTO insp_upload (upload_id, fixmedins_code, insp_id, uploaded_at, uploaded_by, report_sha256,"
    " report_pdf, findings_json) VALUES (:upload_id, :fixmedins_code, :insp_id, :uploaded_at, :uploaded_by,"
    " :report_sha256, :report_pdf, :findings_json) ON CONFLICT (upload_id) DO NOTHING"
)
SELECT_SQL = (
    "SELECT fixmedins_code, insp_id, uploaded_by, report_sha256, report_pdf, findings_json"
    " FROM insp_upload WHERE upload_id = :upload_id"
)


@dataclass(frozen=True)
class Package:
    """A queued package: what is sent, identified by its upload_id."""

    upload_id: str
    inspection_id: int
    insp_uid: str
    fixmedins_code: str
    uploaded_by: str
    filename: str
    report_sha256: str
    findings_sha256: str
    queued_at: str
    already_queued: bool = False      # queue_package found this report already queued: nothing was added


@dataclass
class PackageStatus:
    """A package's state as its events leave it."""

    package: Package
    status: str = "queued"            # queued | sent | verified | failed
    attempts: int = 0
    reason: str = ""
    history: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        p = self.package
        return {"upload_id": p.upload_id, "inspection_id": p.inspection_id, "inspection": p.insp_uid,
                "fixmedins_code": p.fixmedins_code, "file": p.filename, "report_sha256": p.report_sha256,
                "queued_at": p.queued_at, "status": self.status, "attempts": self.attempts, "reason": self.reason}


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def findings_document(engine: Engine, inspection_id: int, *, approved_only: bool = True) -> dict[str, Any]:
    """The findings JSON of the inspection (the form documented in this module's docstring); a finding
    not approved yet is refused unless `approved_only` is False (a draft report embeds it as it is).
    Its words are in Simplified Chinese whatever the program's language, so the JSON a report embeds
    is the JSON the store gives later."""
    from inspector.findings.lifecycle import fold_findings
    from inspector.i18n import DEFAULT_LANGUAGE, fixed_language
    from inspector.inspections import current_snapshot, get_inspection

    with session_factory(engine)() as session:
        insp = get_inspection(session, inspection_id)
        snap = current_snapshot(session, inspection_id)
        findings = fold_findings(session.connection(), inspection_id)
        current = [f for f in findings if not f.superseded]
        pending = [f for f in current if f.status != "approved"]
        if pending and approved_only:
            raise UserError(_("inspection {id} has findings not approved yet (no. {nos}): approve them before "
                              "queueing the upload").format(id=inspection_id, nos=", ".join(str(f.no) for f in pending)))
        with fixed_language(DEFAULT_LANGUAGE):
            return _document(session, insp, snap, findings, inspection_id)


def _document(session, insp, snap, findings, inspection_id: int) -> dict[str, Any]:
    from inspector.findings.lifecycle import findings_totals

    return {
        "inspection": insp.uid, "fixmedins_code": insp.fixmedins_code,
        "window": {"date_from": insp.date_from.strftime(DATE_FORMAT), "date_to": insp.date_to.strftime(DATE_FORMAT)},
        "visit_time": insp.visit_time.strftime(TIMESTAMP_FORMAT),
        "snapshot": {"version": snap.version, "extract_id": snap.extract_id, "digests": dict(snap.digests or {}),
                     "row_counts": dict(snap.row_counts or {})},
        "findings": [f.as_dict() for f in findings],
        "totals": findings_totals(findings).as_dict(),
        "credit": _credit(session.connection(), insp.fixmedins_code, snap.id, inspection_id),
    }


def _credit(conn, code: str, snapshot_id: int, inspection_id: int) -> dict[str, Any]:
    """The `credit` key: deductions, scores and grades of the approved findings (inspector.credit)."""
    from inspector.reports.data import credit_appendix_data

    name = conn.exec_driver_sql("SELECT fixmedins_name FROM snap_fixmedins WHERE snapshot_id = ? AND fixmedins_code = ?",
                                (snapshot_id, code)).scalar() or ""
    return credit_appendix_data(conn, code, name, snapshot_id, inspection_id)


def findings_json_bytes(engine: Engine, inspection_id: int, *, approved_only: bool = True) -> bytes:
    """The findings JSON as it is sent (sorted keys, UTF-8; its words in Simplified Chinese whatever the
    language of the program, so the JSON a report embeds is the JSON the store gives later)."""
    doc = findings_document(engine, inspection_id, approved_only=approved_only)
    return _json_text(doc).encode("utf-8")


def _json_text(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _store_attachment(conn, content: bytes, media_type: str, filename: str) -> str:
    digest = sha256_hex(content)
    if conn.execute(select(Attachment.sha256).where(Attachment.sha256 == digest)).first() is None:
        conn.execute(Attachment.__table__.insert().values(
            sha256=digest, content=content, size=len(content), media_type=media_type, filename=filename,
            created_at=datetime.now().replace(microsecond=0)))
    return digest


def _attachment(conn, digest: str) -> bytes:
    data = conn.execute(select(Attachment.content).where(Attachment.sha256 == digest)).scalar_one_or_none()
    if data is None or sha256_hex(data) != digest:
        raise UserError(_("the stored content {sha} of a queued package is missing or damaged").format(sha=digest[:12]))
    return data


def queue_package(engine: Engine, inspection_id: int, signed_pdf: Path, *, actor: Actor | None = None,
                  trust: Sequence[Path] | None = None) -> Package:
    """Check the signed PDF and the findings, store both, choose the upload_id once, record 'upload.queued'.

    The findings JSON sent is the one the report embeds (in the revision its first signature
    signed); the store's findings must still say exactly that, or nothing is queued.

    The PDF must pass the same verification as `verify` (inspector/signing/verify.py) against the
    store's trust anchors (plus `trust`, extra CA certificates, if given).
    """
    from inspector.signing.trust import anchor_certificates
    from inspector.signing.verify import verify_pdf

    signed_pdf = Path(signed_pdf)
    try:
        pdf = signed_pdf.read_bytes()
    except OSError as exc:
        raise UserError(_('{signed_pdf}: {strerror}').format(signed_pdf=signed_pdf, strerror=os_reason(exc))) from None
    existing = _queued_for(engine, sha256_hex(pdf))
    if existing is not None:
        return existing
    require_intact(engine, inspection_id)
    anchors: list = list(trust or []) + anchor_certificates(engine)
    report = verify_pdf(signed_pdf, anchors)
    if not report.ok or not report.signatures:
        why = "; ".join(p.message for p in report.problems) or _("no valid signature")
        raise UserError(_("{file}: the signatures do not verify ({why}); only a signed, intact report is uploaded")
                        .format(file=signed_pdf, why=why))
    findings_json = signed_findings_json(pdf, signed_pdf.name)
    doc = json.loads(findings_json)
    store_json = findings_json_bytes(engine, inspection_id)
    if store_json != findings_json:
        raise UserError(_("{file}: the store's findings differ from the signed report's ({diff}); only what was "
                          "signed is uploaded: find out what changed, then produce and sign the report again")
                        .format(file=signed_pdf.name, diff=describe_difference(doc, json.loads(store_json))))
    upload_id = str(uuid.uuid4())
    with write_transaction(engine) as conn:
        again = _queued_for(engine, sha256_hex(pdf), conn)
        if again is not None:
            return again
        pdf_sha = _store_attachment(conn, pdf, "application/pdf", signed_pdf.name)
        json_sha = _store_attachment(conn, findings_json, "application/json", f"findings-{upload_id}.json")
        ev = append_event(engine, inspection_id, "upload.queued", {
            "upload_id": upload_id, "insp_uid": doc["inspection"], "fixmedins_code": doc["fixmedins_code"],
            "uploaded_by": author_of(actor), "filename": signed_pdf.name, "report_sha256": pdf_sha, "findings_sha256": json_sha,
        }, actor=actor, conn=conn)
    return _package(ev)


def signed_findings_json(pdf: bytes, label: str) -> bytes:
    """The findings JSON the signed report embeds, from the revision its first signature signed."""
    from inspector.reports.embedded import FINDINGS_FILE, signed_files

    found = signed_files(pdf, label).get(FINDINGS_FILE)
    if found is None:
        raise UserError(_("{file} carries no findings JSON (made before reports embedded it): produce the report "
                          "again and sign it").format(file=label))
    try:
        json.loads(found)
    except ValueError:
        raise UserError(_("{file}: its embedded findings JSON is not JSON").format(file=label)) from None
    return found


def _money(v: Any) -> str:
    from decimal import Decimal, InvalidOperation

    try:
        return format(Decimal(str(v)), ",f")
    except (InvalidOperation, ValueError):
        return str(v)


def describe_difference(signed: dict[str, Any], now: dict[str, Any], limit: int = 6) -> str:
    """What differs between the signed findings JSON and the store's, in words (totals first)."""
    labels = {"total": _("total"), "fund_recovery": _("fund recovery"), "fines": _("fines"), "amount": _("amount"),
              "count": _("number of findings")}
    out: list[str] = []
    st, nt = signed.get("totals") or {}, now.get("totals") or {}
    for key in ("total", "fund_recovery", "fines", "amount", "count"):
        if st.get(key) != nt.get(key):
            out.append(_("{what}: signed {a}, store {b}").format(what=labels[key], a=_money(st.get(key)),
                                                                b=_money(nt.get(key))))
    sf = {f.get("no"): f for f in signed.get("findings") or []}
    nf = {f.get("no"): f for f in now.get("findings") or []}
    field_labels = {"amount": _("amount"), "total": _("total"), "fine": _("fine"), "recovery": _("recovery"),
                    "category": _("category"), "status": _("status"), "multiplier": _("multiplier")}
    for no in sorted(set(sf) | set(nf), key=lambda x: (x is None, x)):
        a, b = sf.get(no), nf.get(no)
        if a == b:
            continue
        if a is None:
            out.append(_("finding {no}: not in the signed report").format(no=no))
        elif b is None:
            out.append(_("finding {no}: no longer in the store").format(no=no))
        else:
            keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            named = [field_labels[k] for k in keys if k in field_labels]
            if len(named) < len(keys):
                named.append(_("other details"))
            out.append(_("finding {no}: {fields} differ").format(no=no, fields=_(", ").join(named)))
    part_labels = {"inspection": _("the inspection"), "fixmedins_code": _("the institution"),
                   "window": _("the inspection period"), "visit_time": _("the visit time"),
                   "snapshot": _("the data snapshot"), "credit": _("the credit appendix")}
    for key in sorted(k for k in set(signed) | set(now) if k not in ("totals", "findings")):
        if signed.get(key) != now.get(key):
            out.append(_("{what} differs").format(what=part_labels.get(key, _("other details"))))
    if len(out) > limit:
        out = out[:limit] + [_("{n} more").format(n=len(out) - limit)]
    return _("; ").join(out)


def _queued_for(engine: Engine, report_sha256: str, conn=None) -> Package | None:
    """The package already queued (or sent, or uploaded) for this report, marked `already_queued`; None if none.

    One package per report SHA-256: queueing the same signed PDF again adds nothing."""
    from dataclasses import replace

    if conn is None:
        with engine.connect() as c:
            return _queued_for(engine, report_sha256, c)
    for st in list_packages(conn):
        if st.package.report_sha256 == report_sha256 and st.status != "failed":
            return replace(st.package, already_queued=True)
    return None


def _package(ev: Event) -> Package:
    p = ev.payload
    return Package(p["upload_id"], ev.inspection_id, p["insp_uid"], p["fixmedins_code"], p["uploaded_by"],
                   p["filename"], p["report_sha256"], p["findings_sha256"], ev.at[:19])


def list_packages(conn, inspection_id: int | None = None) -> list[PackageStatus]:
    """Every queued package (of one inspection, or all), oldest first, with its status from the events."""
    t = EventRow.__table__
    q = select(t).where(t.c.kind.startswith("upload.")).order_by(t.c.seq)
    if inspection_id is not None:
        q = q.where(t.c.inspection_id == inspection_id)
    out: dict[str, PackageStatus] = {}
    for r in conn.execute(q):
        payload = json.loads(r.payload)
        uid = payload.get("upload_id")
        if r.kind == "upload.queued":
            ev = Event(r.seq, r.id, r.inspection_id, r.at, r.author, r.device, r.kind, payload, r.prev_hash, r.hash)
            out[uid] = PackageStatus(_package(ev))
            continue
        st = out.get(uid)
        if st is None:
            continue
        st.history.append({"at": r.at[:19], "kind": r.kind, **payload})
        if r.kind == "upload.attempt_failed":
            st.attempts += 1
            st.reason = payload.get("reason", "")
        elif r.kind == "upload.sent":
            st.attempts += 1
            st.status, st.reason = "sent", ""
        elif r.kind == "upload.verified":
            st.status, st.reason = "verified", ""
        elif r.kind == "upload.failed":
            st.status, st.reason = "failed", payload.get("reason", "")
    return list(out.values())


def central_engine(central_url: str) -> Engine:
    """A short-lived engine on the central (SQLite file or PostgreSQL), named for pg_stat_activity."""
    from inspector.sync.source import parse_central_url

    url = parse_central_url(central_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or not Path(url.database).is_file():
            raise UserError(_("the central SQLite file {path} does not exist").format(path=url.database))
        return create_engine(url, poolclass=NullPool)
    if backend == "postgresql":
        return create_engine(url, poolclass=NullPool,
                             connect_args={"application_name": APPLICATION_NAME, "connect_timeout": 10})
    raise UserError(_("central databases of type '{kind}' are not supported: use a SQLite file or a postgresql:// URL")
                    .format(kind=backend))


def _reason(exc: Exception, secret: str | None) -> str:
    from inspector.sync.source import _redact_text

    msg = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return _redact_text(msg[0] if msg else type(exc).__name__, secret)


class _Conflict(Exception):
    """The central holds a different row under this upload_id: never overwritten, never retried."""


def _send_once(central: Engine, pkg: Package, pdf: bytes, findings_json: str) -> None:
    with central.begin() as c:
        c.execute(text(INSERT_SQL), {
            "upload_id": pkg.upload_id, "fixmedins_code": pkg.fixmedins_code, "insp_id": pkg.insp_uid,
            "uploaded_at": datetime.now().strftime(TIMESTAMP_FORMAT), "uploaded_by": pkg.uploaded_by,
            "report_sha256": pkg.report_sha256, "report_pdf": pdf, "findings_json": findings_json,
        })


def _read_back(central: Engine, pkg: Package, findings_json: str) -> None:
    with central.connect() as c:
        row = c.execute(text(SELECT_SQL), {"upload_id": pkg.upload_id}).first()
    if row is None:
        raise _Conflict(_("the central has no row for upload {id} after the insert was committed").format(id=pkg.upload_id))
    stored = bytes(row.report_pdf)
    checks = [
        ("report_sha256", row.report_sha256, pkg.report_sha256),
        ("sha256(report_pdf)", sha256_hex(stored), pkg.report_sha256),
        ("fixmedins_code", row.fixmedins_code, pkg.fixmedins_code),
        ("insp_id", row.insp_id, pkg.insp_uid),
        ("uploaded_by", row.uploaded_by, pkg.uploaded_by),
        ("findings_json", row.findings_json, findings_json),
    ]
    bad = [name for name, got, want in checks if got != want]
    if bad:
        raise _Conflict(_("the central already holds a different package under upload_id {id} ({fields} differ); "
                          "it was left untouched").format(id=pkg.upload_id, fields=", ".join(bad)))


def upload_packages(engine: Engine, central_url: str, *, progress: Progress | None = None, max_attempts: int = 5,
                    backoff: Sequence[float] = (0.5, 1, 2, 4), sleep: Callable[[float], None] = time.sleep,
                    inspection_id: int | None = None, recheck: bool = False,
                    actor: Actor | None = None) -> list[PackageStatus]:
    """Send every package not yet verified (all with `recheck`: a no-op insert then the read-back check);
    retry with backoff; read each back and check it by SHA-256."""
    from inspector.sync.source import parse_central_url

    url = parse_central_url(central_url)
    secret = url.password if isinstance(url.password, str) else None
    with engine.connect() as conn:
        pending = [s for s in list_packages(conn, inspection_id) if recheck or s.status != "verified"]
    if not pending:
        return []
    central = central_engine(central_url)
    try:
        for n, st in enumerate(pending):
            pkg = st.package
            if progress is not None:
                progress.check()
                progress.set_status(_("uploading {file} ({n}/{total})").format(file=pkg.filename, n=n + 1, total=len(pending)))
                progress.set_progress(N_("upload packages"), n, len(pending))
            with engine.connect() as conn:
                pdf = _attachment(conn, pkg.report_sha256)
                findings_json = _attachment(conn, pkg.findings_sha256).decode("utf-8")
            _upload_one(engine, central, pkg, pdf, findings_json, max_attempts, backoff, sleep, secret, actor)
    finally:
        central.dispose()
    if progress is not None:
        progress.set_progress(N_("upload packages"), len(pending), len(pending))
    with engine.connect() as conn:
        done = {s.package.upload_id: s for s in list_packages(conn, inspection_id)}
    return [done[s.package.upload_id] for s in pending]


def _upload_one(engine: Engine, central: Engine, pkg: Package, pdf: bytes, findings_json: str, max_attempts: int,
                backoff: Sequence[float], sleep: Callable[[float], None], secret: str | None,
                actor: Actor | None = None) -> None:
    iid, uid = pkg.inspection_id, pkg.upload_id
    for attempt in range(1, max_attempts + 1):
        try:
            _send_once(central, pkg, pdf, findings_json)
            append_event(engine, iid, "upload.sent", {"upload_id": uid, "attempt": attempt}, actor=actor)
            _read_back(central, pkg, findings_json)
        except _Conflict as exc:
            append_event(engine, iid, "upload.failed", {"upload_id": uid, "reason": str(exc)}, actor=actor)
            return
        except (DBAPIError, SQLAlchemyError, OSError) as exc:
            reason = _reason(exc, secret)
            append_event(engine, iid, "upload.attempt_failed", {"upload_id": uid, "attempt": attempt, "reason": reason}, actor=actor)
            if attempt == max_attempts:
                append_event(engine, iid, "upload.failed", {
                    "upload_id": uid, "reason": _("gave up after {n} attempts: {why}").format(n=attempt, why=reason)}, actor=actor)
                return
            if backoff:
                sleep(backoff[min(attempt - 1, len(backoff) - 1)])
            continue
        append_event(engine, iid, "upload.verified", {"upload_id": uid, "report_sha256": pkg.report_sha256}, actor=actor)
        return
