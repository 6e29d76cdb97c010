"""The demo walkthrough: the app's main job on the embedded demo data, end to end.

`create_demo_inspection` builds (or reuses) the small demo central database, syncs its main
hospital and screens it; the GUI's first-start offer and the CLI `demo` command both call it.
`run_walkthrough` then does what an inspection team does on site with that data, each step
as the right person's account (`demo_accounts`): team, census ticks (one ID verified), stock and
record samples, findings from a lead and from the census, a return with a comment, the
resubmission and the lead's approval.

The demo's accounts have demo passwords written to `<workdir>/passwords/LOGIN.txt`: this is a
demo only; real passwords are never written to a file beside the store.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select

from inspector.i18n import _
from inspector.progress import Progress
from inspector.snapshot import SnapshotResult

if TYPE_CHECKING:
    from inspector.accounts import Actor

DEMO_TEAM = (
    ("王建国", "61010020260001", "inspector"),
    ("李晓梅", "61010020260002", "inspector"),
    ("陈志强", "61010020260003", "lead"),
)
# the login (what INSPECTOR_USER takes) of each demo team member, by name
DEMO_LOGINS = {"王建国": "wangjg", "李晓梅": "lixm", "陈志强": "chenzq"}
PASSWORD_NOTE = "DEMO ONLY: a demo password written beside the demo store. Never keep real passwords in files."


def demo_password(login: str) -> str:
    """The demo password of `login` (at least 10 characters; a demo only)."""
    return f"demo-{login}-2026"


def demo_accounts(engine: Engine, workdir: Path) -> dict[str, Actor]:
    """The demo team's accounts, by login: created (the lead first, who then creates the others) with
    demo passwords in `workdir/passwords/LOGIN.txt`, or logged in from those files when they exist."""
    from inspector.accounts import authenticate, create_account, has_accounts, read_password_file

    folder = workdir / "passwords"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.txt").write_text(PASSWORD_NOTE + "\n", encoding="utf-8")
    ordered = sorted(DEMO_TEAM, key=lambda m: m[2] != "lead")
    with engine.connect() as conn:
        fresh = not has_accounts(conn)
    actors: dict[str, Actor] = {}
    lead: Actor | None = None
    for name, cert_no, role in ordered:
        login = DEMO_LOGINS[name]
        pw_file = folder / f"{login}.txt"
        if fresh:
            password = demo_password(login)
            pw_file.write_text(password + "\n", encoding="utf-8")
            pw_file.chmod(0o600)
            actor = create_account(engine, login, password, role, cert_no, name, actor=lead)
            lead = lead or actor
        actors[login] = authenticate(engine, login, read_password_file(pw_file))
    return actors


def demo_actor(actors: dict[str, Actor], role: str, n: int = 0) -> Actor:
    """The n-th demo account with `role`, in DEMO_TEAM order."""
    return [actors[DEMO_LOGINS[name]] for name, _c, r in DEMO_TEAM if r == role][n]


def create_demo_inspection(engine: Engine, central: Path, progress: Progress | None = None,
                           scale: str = "small", *, actor: Actor | None = None) -> SnapshotResult:
    """Build (or reuse) the demo central beside `central`, sync its main hospital, screen it."""
    from inspector.demo.central import DEMO_DATE_FROM, DEMO_DATE_TO, DEMO_VISIT_TIME, build_demo_central
    from inspector.screening.runner import run_screening
    from inspector.sync.central import sync_central

    progress = progress or Progress()
    manifest_path = Path(str(central) + ".manifest.json")
    if central.exists() and manifest_path.exists():
        code = json.loads(manifest_path.read_text(encoding="utf-8"))["main_institution"]
    else:
        progress.set_status(_("Building the demo central database…"))
        code = build_demo_central(central, seed=1, scale=scale, progress=progress, overwrite=True).main_institution
    progress.set_status(_("Syncing the demo hospital…"))
    result = sync_central(engine, f"sqlite:///{central}", code, DEMO_DATE_FROM, DEMO_DATE_TO, DEMO_VISIT_TIME,
                          progress=progress)
    progress.set_status(_("Screening…"))
    run_screening(engine, result.inspection_id, progress=progress, actor=actor, keep_leads=False)
    return result


@dataclass
class WalkthroughResult:
    inspection_id: int
    leads_by_rule: dict[str, int]
    census: dict[str, Any]
    findings: list[dict[str, Any]]
    totals: dict[str, str]
    notes: list[str] = field(default_factory=list)


DEMO_WITNESSES = (
    ("census", "张丽", "护士长"),
    ("stock", "王芳", "药剂科主管药师"),
    ("records", "李静", "病案室主任"),
)
DEMO_RECORD_SAMPLE = (10, 42)     # n, seed


def run_walkthrough(engine: Engine, central: Path, inspection_id: int, actors: dict[str, Actor]) -> WalkthroughResult:
    """Team, the start on site, a complete census, stock count and record review, findings with their
    proposed handling, a return with a comment and the resubmission, the lead's approval, the
    institution's statement and the close of the record: each step as the team member whose job it is."""
    from datetime import datetime, timedelta

    from inspector import onsite
    from inspector.checks import records, stock
    from inspector.checks.census import census_summary, record_outcome, roster
    from inspector.coltypes import TIMESTAMP_FORMAT
    from inspector.findings.lifecycle import (create_finding, edit_finding, findings_totals, fold_findings,
                                              review_finding, submit_finding)
    from inspector.models import Lead
    from inspector.team import add_member

    manifest = json.loads(Path(str(central) + ".manifest.json").read_text(encoding="utf-8"))
    visit = datetime.strptime(manifest["visit_time"], TIMESTAMP_FORMAT)
    at = (lambda minutes: (visit + timedelta(minutes=minutes)).strftime(TIMESTAMP_FORMAT))
    lead = demo_actor(actors, "lead")
    first, second = demo_actor(actors, "inspector", 0), demo_actor(actors, "inspector", 1)
    for name, _cert, role in DEMO_TEAM:
        add_member(engine, inspection_id, DEMO_LOGINS[name], role, actor=lead)
    onsite.start(engine, inspection_id, at(0), actor=lead)
    onsite.set_details(engine, inspection_id, legal_rep="赵国华",
                       place="西安曲江新区人民医院住院部各病区、中心药房及病案室", actor=lead)
    for check, name, title in DEMO_WITNESSES:
        onsite.set_witness(engine, inspection_id, check, name, title, actor=lead)

    # Ward census of every registered inpatient, bed by bed, with the head nurse.
    certnos = {c["mdtrt_id"]: c["certno"] for c in manifest["census_ids"]}
    present = [c for c in manifest["census_ids"] if not c.get("leave_covers_v")]
    absent = present[1] if len(present) > 1 else None
    with engine.connect() as conn:
        beds = roster(conn, inspection_id)
    staff = "护士长 张丽"
    for i, bed in enumerate(beds):
        when = at(5 + 2 * i)
        if absent and bed.mdtrt_id == absent["mdtrt_id"]:
            from inspector.reports.sample import sample_photo

            record_outcome(engine, inspection_id, bed.mdtrt_id, "absent", checked_at=when, staff_on_duty=staff,
                           note=_("bed empty, no leave slip; the ward nurse could not say where the patient is"),
                           photo=sample_photo(7), actor=first)
        elif bed.leave_covers_v:
            record_outcome(engine, inspection_id, bed.mdtrt_id, "on_leave", checked_at=when, staff_on_duty=staff,
                           note=_("away on leave recorded in the leave register"), actor=first)
        elif present and bed.mdtrt_id == present[0]["mdtrt_id"]:
            # in bed and shows an ID card: typed, hashed, matched
            record_outcome(engine, inspection_id, bed.mdtrt_id, "present", id_number=certnos[bed.mdtrt_id],
                           checked_at=when, staff_on_duty=staff, actor=first)
        else:
            record_outcome(engine, inspection_id, bed.mdtrt_id, "present", checked_at=when, staff_on_duty=staff,
                           note=_("identity confirmed by the wristband and the bed card"), actor=first)

    # Stock count of the proposed sample: every drug counted (the shelves match the ledgers).
    stock.draw_sample(engine, inspection_id, actor=second)
    with engine.connect() as conn:
        expected = [(r.med_list_codg, r.expected) for r in stock.sample_rows(conn, inspection_id)]
    for code, qty in expected:
        stock.record_count(engine, inspection_id, code, str(qty), actor=second)

    # Record review: a reproducible sample, every checklist item answered.
    n, seed = DEMO_RECORD_SAMPLE
    records.draw_sample(engine, inspection_id, n=n, seed=seed, actor=second)
    with engine.connect() as conn:
        summary = records.records_summary(conn, inspection_id)
    for rec in summary.records:
        for item in rec.items:
            records.answer(engine, inspection_id, rec.mdtrt_id, item.id, "pass", actor=second)

    with engine.connect() as conn:
        leads = conn.execute(select(Lead.rule, Lead.id).where(Lead.inspection_id == inspection_id)
                             .order_by(Lead.rule, Lead.id)).all()
    by_rule: dict[str, int] = {}
    for rule, _id in leads:
        by_rule[rule] = by_rule.get(rule, 0) + 1
    first_s1 = next((lid for rule, lid in leads if rule == "S1"), None)
    handling = _("Recover the amount involved to the fund and impose a fine of the chosen multiple; "
                 "order the institution to correct")
    if first_s1 is not None:
        ev = create_finding(engine, inspection_id, "lead", str(first_s1), handling=handling, actor=second)
        submit_finding(engine, inspection_id, ev.id, actor=second)
        review_finding(engine, inspection_id, ev.id, "approve", _("approved on site"), actor=lead)
    if absent:
        ev = create_finding(engine, inspection_id, "census", absent["mdtrt_id"], handling=handling, actor=first)
        submit_finding(engine, inspection_id, ev.id, actor=first)
        # the lead asks for the nurse's statement; the author adds it and resubmits
        review_finding(engine, inspection_id, ev.id, "return", _("add what the ward nurse said"), actor=lead)
        with engine.connect() as conn:
            desc = next(f for f in fold_findings(conn, inspection_id) if f.id == ev.id).description
        edit_finding(engine, inspection_id, ev.id,
                     {"description": desc + "\n" + _("Head nurse 张丽: the patient has not been seen on the ward "
                                                     "today.")}, actor=first)
        submit_finding(engine, inspection_id, ev.id, actor=first)
        review_finding(engine, inspection_id, ev.id, "approve", _("approved on site"), actor=lead)
    onsite.set_statement(engine, inspection_id, "text",
                         "对检查认定的事实无异议。分解住院系科室对再入院管理不严所致，医院将立即整改，"
                         "并按要求退回违规费用。", actor=lead)
    onsite.close(engine, inspection_id, at(300), actor=lead)
    with engine.connect() as conn:
        findings = fold_findings(conn, inspection_id)
        totals = findings_totals(findings)
        census = census_summary(conn, inspection_id)
    return WalkthroughResult(
        inspection_id, by_rule, census, [f.as_dict() for f in findings],
        totals.as_dict(),
    )


DEMO_PASSPHRASE = b"demo-passphrase"          # the demo keys' passphrase (a demo only)
DEMO_CA_PASSPHRASE = b"demo-ca-passphrase"    # the demo CA key's passphrase (a demo only)


def demo_hand_signature_png() -> bytes:
    """A pen stroke as the representative's hand signature (what the signature pad produces)."""
    import io
    import math

    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (480, 160), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    points = [(40 + x, 90 + 35 * math.sin(x / 23.0) * math.cos(x / 61.0)) for x in range(0, 400, 4)]
    draw.line(points, fill=(20, 30, 90, 255), width=5, joint="curve")
    draw.line([(120, 40), (150, 130), (200, 50)], fill=(20, 30, 90, 255), width=5, joint="curve")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


@dataclass
class SignedReport:
    pdf: Path
    signed_pdf: Path
    pages: int
    verify: Any          # inspector.signing.verify.VerifyReport
    ca_cert: Path


def demo_keys(engine: Engine, workdir: Path, actors: dict[str, Actor]) -> Path:
    """The demo CA at `workdir/demo-ca/ca.pem` (its key encrypted) and a key from it for every demo
    account that has none, stored in the store under the account's password. Returns ca.pem."""
    from inspector.accounts import list_accounts, read_password_file, set_account_key
    from inspector.signing.ca import issue_key

    ca_dir = workdir / "demo-ca"
    ca_cert = _demo_ca(ca_dir, workdir / "keys")
    with engine.connect() as conn:
        have_key = {a.login for a in list_accounts(conn) if a.has_key}
    for login, actor in actors.items():
        if login in have_key:
            continue
        password = read_password_file(workdir / "passwords" / f"{login}.txt")
        p12 = workdir / "keys" / f"{actor.cert_no}.p12"
        p12.parent.mkdir(parents=True, exist_ok=True)
        issue_key(ca_dir, actor.display_name, p12, DEMO_PASSPHRASE, cert_no=actor.cert_no,
                  ca_passphrase=DEMO_CA_PASSPHRASE)
        set_account_key(engine, actor, password, p12.read_bytes(), DEMO_PASSPHRASE)
        p12.unlink()          # the key now lives in the store only
    return ca_cert


def sign_demo_report(engine: Engine, inspection_id: int, workdir: Path, actors: dict[str, Actor]) -> SignedReport:
    """The demo CA (demo-data/demo-ca/ca.pem) as the store's trust anchor, the representative's hand
    signature, the PDF (approved: the lead approved every finding), then each inspector's and the
    lead's PAdES signature, each with their own key unlocked by their own login, and the verification
    of the result against the store's anchors."""
    from inspector.accounts import read_password_file, with_own_key
    from inspector.onsite import read_onsite
    from inspector.reports.produce import produce_report
    from inspector.reports.signoff import note_signature, record_hand_signature, set_representative
    from inspector.signing.sign import identity_for_key, sign_as
    from inspector.signing.trust import add_anchor, anchor_certificates
    from inspector.signing.verify import verify_pdf

    lead = demo_actor(actors, "lead")
    ca_cert = demo_keys(engine, workdir, actors)
    add_anchor(engine, ca_cert, actor=lead)      # as `trust add demo-data/demo-ca/ca.pem` does
    set_representative(engine, inspection_id, "刘志明", "副院长兼医保办主任", actor=lead)
    with engine.connect() as conn:
        closed = read_onsite(conn, inspection_id).closed_at
    record_hand_signature(engine, inspection_id, demo_hand_signature_png(),
                          signed_at=closed.strftime("%Y-%m-%d %H:%M:%S") if closed else None, actor=lead)
    pdf = workdir / f"inspection-{inspection_id}.pdf"
    _data, info = produce_report(engine, inspection_id, pdf, actor=lead)

    signed = workdir / f"inspection-{inspection_id}-signed.pdf"
    current = pdf
    # inspectors first, the team lead countersigns last; each logs in to unlock their own key
    for name, _cert_no, _role in sorted(DEMO_TEAM, key=lambda m: m[2] == "lead"):
        login = DEMO_LOGINS[name]
        # their key unlocked within the session they worked in (since the demo's login)
        person = with_own_key(engine, actors[login], read_password_file(workdir / "passwords" / f"{login}.txt"))
        signer = person.key.signer()
        result = sign_as(current, signer, identity_for_key(current, signer), out=signed)
        note_signature(engine, signed.read_bytes(), result.field, result.signer, actor=person)
        current = signed
    return SignedReport(pdf, signed, info.pages, verify_pdf(signed, anchor_certificates(engine)), ca_cert)


def _demo_ca(ca_dir: Path, keys_dir: Path) -> Path:
    """The demo CA certificate; a CA left by an older demo (key not encrypted) is replaced with its keys."""
    import shutil

    from inspector.errors import UserError
    from inspector.signing.ca import create_demo_ca, load_ca

    if (ca_dir / "ca.pem").exists():
        try:
            load_ca(ca_dir, DEMO_CA_PASSPHRASE)
            return ca_dir / "ca.pem"
        except UserError:
            shutil.rmtree(ca_dir)
            shutil.rmtree(keys_dir, ignore_errors=True)
    return create_demo_ca(ca_dir, DEMO_CA_PASSPHRASE)


def upload_demo_package(engine: Engine, inspection_id: int, report: SignedReport, central: Path,
                        actor: Actor) -> Any:
    """Queue the signed package and send it to the demo central's insp_upload (read back, checked)."""
    from inspector.upload import queue_package, upload_packages

    from inspector.accounts import read_password_file, with_own_key
    from inspector.anchors import sign_session_end

    package = queue_package(engine, inspection_id, report.signed_pdf, actor=actor)
    statuses = upload_packages(engine, f"sqlite:///{central}", inspection_id=inspection_id, actor=actor)
    # the lead's session ends: they sign the heads of the event chains (as the CLI does after a command)
    pw_file = report.pdf.parent / "passwords" / f"{actor.login}.txt"
    if pw_file.exists():
        sign_session_end(engine, with_own_key(engine, actor, read_password_file(pw_file)))
    return next(s for s in statuses if s.package.upload_id == package.upload_id)
