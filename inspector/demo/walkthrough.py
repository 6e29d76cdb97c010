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
