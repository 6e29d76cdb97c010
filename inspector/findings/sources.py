"""Where a finding comes from: a lead, a census entry, a stock count, a reviewed record.

Each source type resolves lazily to a module exposing `finding_source(conn, inspection_id, ref)`,
so checks written elsewhere plug in when they land.
"""
from __future__ import annotations

import importlib
import json

from sqlalchemy import Connection

from inspector.checks import FindingSource
from inspector.coltypes import from_scaled
from inspector.errors import UserError
from inspector.findings.categories import RULE_CATEGORY
from inspector.i18n import _

SOURCE_MODULES: dict[str, str] = {
    "lead": "inspector.findings.sources",
    "census": "inspector.checks.census",
    "stock": "inspector.checks.stock",
    "record": "inspector.checks.records",
}
SOURCE_TYPES = (*SOURCE_MODULES, "manual")


def resolve_source(conn: Connection, inspection_id: int, source_type: str, ref: str) -> FindingSource:
    """Ask the source's own module for amount, suggested category, description and evidence."""
    module_name = SOURCE_MODULES.get(source_type)
    if module_name is None:
        raise UserError(_("unknown finding source '{s}'; expected one of: {all}")
                        .format(s=source_type, all=", ".join(SOURCE_TYPES)))
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        raise UserError(_("findings from {s} are not available in this build").format(s=_(source_type))) from None
    if not ref:
        raise UserError(_("a finding from {s} needs a reference (--ref)").format(s=_(source_type)))
    return module.finding_source(conn, inspection_id, str(ref))


def finding_source(conn: Connection, inspection_id: int, ref: str) -> FindingSource:
    """A finding from a screening lead: its amount, the usual category of its rule."""
    try:
        lead_id = int(ref)
    except ValueError:
        raise UserError(_("lead reference '{r}' is not a lead id").format(r=ref)) from None
    row = conn.exec_driver_sql(
        "SELECT rule, key, amount, summary FROM lead WHERE id = ? AND inspection_id = ?", (lead_id, inspection_id)
    ).fetchone()
    if row is None:
        raise UserError(_("unknown lead {r} in inspection {id}").format(r=ref, id=inspection_id))
    rule, key, cents, summary = row
    evidence = []
    for (payload,) in conn.exec_driver_sql(
            "SELECT payload FROM event WHERE inspection_id = ? AND kind = 'evidence.added' ORDER BY seq",
            (inspection_id,)):
        p = json.loads(payload)
        if p.get("attach_to") == {"type": "lead", "ref": str(lead_id)}:
            evidence.append(p["sha256"])
    desc = _("Lead {rule} {key}: {summary}").format(rule=rule, key=key, summary=summary)
    return FindingSource("lead", str(lead_id), from_scaled(cents, 2), RULE_CATEGORY.get(rule, "V07"), desc, evidence)
