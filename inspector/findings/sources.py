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


def lead_ref(rule: str, key_json: str) -> str:
    """The stable reference of a lead: its rule and key, which survive a re-screen (ids do not)."""
    return f"{rule}:{json.dumps(json.loads(key_json), ensure_ascii=False, separators=(',', ':'))}"


def finding_source(conn: Connection, inspection_id: int, ref: str) -> FindingSource:
    """A finding from a screening lead (by id or by 'RULE:[key...]'): its amount, its rule's usual category."""
    if ref.isdigit():
        row = conn.exec_driver_sql(
            "SELECT id, rule, key, amount, summary FROM lead WHERE id = ? AND inspection_id = ?",
            (int(ref), inspection_id)).fetchone()
    elif ":" in ref:
        rule, _sep, key = ref.partition(":")
        try:
            key = json.dumps(json.loads(key), ensure_ascii=False, separators=(",", ":"))
        except ValueError:
            raise UserError(_("lead reference '{r}' is not a lead id").format(r=ref)) from None
        # the newest screening of the newest snapshot that has this lead
        row = conn.exec_driver_sql(
            "SELECT id, rule, key, amount, summary FROM lead WHERE inspection_id = ? AND rule = ? "
            "AND json(key) = json(?) ORDER BY snapshot_id DESC, id DESC LIMIT 1",
            (inspection_id, rule, key)).fetchone()
    else:
        raise UserError(_("lead reference '{r}' is not a lead id").format(r=ref))
    if row is None:
        raise UserError(_("unknown lead {r} in inspection {id}").format(r=ref, id=inspection_id))
    lead_id, rule, key, cents, summary = row
    stable = lead_ref(rule, key)
    evidence = []
    for (payload,) in conn.exec_driver_sql(
            "SELECT payload FROM event WHERE inspection_id = ? AND kind = 'evidence.added' ORDER BY clock, chain, dseq",
            (inspection_id,)):
        p = json.loads(payload)
        if p.get("attach_to") in ({"type": "lead", "ref": str(lead_id)}, {"type": "lead", "ref": stable}):
            evidence.append(p["sha256"])
    from inspector.screening.rules import rule_title

    desc = _("Screening found and the inspectors verified on site ({title}): {summary}").format(
        title=_(rule_title(rule)), summary=summary.rstrip("。. "))
    return FindingSource("lead", stable, from_scaled(cents, 2), RULE_CATEGORY.get(rule, "V07"), desc, evidence)
