"""The demo walkthrough: the app's main job on the embedded demo data, end to end.

`create_demo_inspection` builds (or reuses) the small demo central database, syncs its main
hospital and screens it; the GUI's first-start offer and the CLI `demo` command both call it.
`run_walkthrough` then does what an inspection team does on site with that data: team,
census ticks (one ID verified), stock and record samples, findings from a lead and from the
census, the lead's approval.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from inspector.i18n import _
from inspector.progress import Progress
from inspector.snapshot import SnapshotResult

DEMO_TEAM = (
    ("王建国", "61010020260001", "inspector"),
    ("李晓梅", "61010020260002", "inspector"),
    ("陈志强", "61010020260003", "lead"),
)


def create_demo_inspection(engine: Engine, central: Path, progress: Progress | None = None,
                           scale: str = "small") -> SnapshotResult:
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
    run_screening(engine, result.inspection_id, progress=progress)
    return result


@dataclass
class WalkthroughResult:
    inspection_id: int
    leads_by_rule: dict[str, int]
    census: dict[str, Any]
    findings: list[dict[str, Any]]
    totals: dict[str, str]
    notes: list[str] = field(default_factory=list)


def run_walkthrough(engine: Engine, central: Path, inspection_id: int) -> WalkthroughResult:
    """Team, census, samples, findings and approval on a synced demo inspection."""
    from inspector.checks import records, stock
    from inspector.checks.census import census_summary, record_outcome
    from inspector.findings.lifecycle import (create_finding, findings_totals, fold_findings, review_finding,
                                              submit_finding)
    from inspector.models import Lead
    from inspector.team import add_member

    manifest = json.loads(Path(str(central) + ".manifest.json").read_text(encoding="utf-8"))
    lead_name = next(n for n, _c, r in DEMO_TEAM if r == "lead")
    for name, cert, role in DEMO_TEAM:
        add_member(engine, inspection_id, name, cert, role)

    present = [c for c in manifest["census_ids"] if not c.get("leave_covers_v")]
    if present:
        # The first patient is in bed and shows an ID card: typed, hashed, matched.
        record_outcome(engine, inspection_id, present[0]["mdtrt_id"], "present", id_number=present[0]["certno"],
                       staff_on_duty="护士长 张丽")
    absent = present[1] if len(present) > 1 else None
    if absent:
        record_outcome(engine, inspection_id, absent["mdtrt_id"], "absent",
                       note=_("bed empty, no leave slip; the ward nurse could not say where the patient is"),
                       staff_on_duty="护士长 张丽")
    stock.draw_sample(engine, inspection_id)
    records.draw_sample(engine, inspection_id)

    with engine.connect() as conn:
        leads = conn.execute(select(Lead.rule, Lead.id).where(Lead.inspection_id == inspection_id)
                             .order_by(Lead.rule, Lead.id)).all()
    by_rule: dict[str, int] = {}
    for rule, _id in leads:
        by_rule[rule] = by_rule.get(rule, 0) + 1
    first_s1 = next((lid for rule, lid in leads if rule == "S1"), None)
    created = []
    if first_s1 is not None:
        created.append(create_finding(engine, inspection_id, "lead", str(first_s1)))
    if absent:
        created.append(create_finding(engine, inspection_id, "census", absent["mdtrt_id"]))
    for ev in created:
        submit_finding(engine, inspection_id, ev.id)
        review_finding(engine, inspection_id, ev.id, "approve", _("approved on site"), reviewer=lead_name)
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


def sign_demo_report(engine: Engine, inspection_id: int, workdir: Path) -> SignedReport:
    """The demo CA (demo-data/demo-ca/ca.pem) as the store's trust anchor, the representative's hand
    signature, the lead's approval, the PDF, then each inspector's and the lead's PAdES signature with
    keys from the demo CA, and the verification of the result against the store's anchors."""
    from inspector.db import session_factory
    from inspector.reports.data import build_report_data
    from inspector.reports.pdf import render_report
    from inspector.reports.signoff import record_approval, record_hand_signature, set_representative
    from inspector.signing.ca import issue_key
    from inspector.signing.sign import SignerIdentity, load_signer, sign_as
    from inspector.signing.trust import add_anchor, anchor_certificates
    from inspector.signing.verify import verify_pdf

    lead_name = next(n for n, _c, r in DEMO_TEAM if r == "lead")
    set_representative(engine, inspection_id, "刘志明", "副院长（医保办主任）")
    record_hand_signature(engine, inspection_id, demo_hand_signature_png())
    record_approval(engine, inspection_id, lead_name)
    ca_dir = workdir / "demo-ca"
    ca_cert = _demo_ca(ca_dir, workdir / "keys")
    add_anchor(engine, ca_cert)          # as `trust add demo-data/demo-ca/ca.pem` does
    with session_factory(engine)() as session:
        data = build_report_data(session, inspection_id)
    pdf = workdir / f"inspection-{inspection_id}.pdf"
    info = render_report(data, pdf)

    signed = workdir / f"inspection-{inspection_id}-signed.pdf"
    current = pdf
    # inspectors first, the team lead countersigns last
    for name, cert_no, role in sorted(DEMO_TEAM, key=lambda m: m[2] == "lead"):
        p12 = workdir / "keys" / f"{cert_no}.p12"
        if not p12.exists():
            p12.parent.mkdir(parents=True, exist_ok=True)
            issue_key(ca_dir, name, p12, DEMO_PASSPHRASE, cert_no=cert_no, ca_passphrase=DEMO_CA_PASSPHRASE)
        sign_as(current, load_signer(p12, DEMO_PASSPHRASE), SignerIdentity(name, cert_no, role), out=signed)
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


def upload_demo_package(engine: Engine, inspection_id: int, report: SignedReport, central: Path) -> Any:
    """Queue the signed package and send it to the demo central's insp_upload (read back, checked)."""
    from inspector.upload import queue_package, upload_packages

    package = queue_package(engine, inspection_id, report.signed_pdf)
    statuses = upload_packages(engine, f"sqlite:///{central}", inspection_id=inspection_id)
    return next(s for s in statuses if s.package.upload_id == package.upload_id)
