"""Conflicts: the same census entry, drug count or record item recorded differently on two
laptops, neither having seen the other's record — or the stock sample or the record sample
drawn on two laptops separately, with different results.

Nothing is dropped: both records stay in the log, the item is listed here (CLI `conflicts`,
the GUI's Exchange screen) and blocks approval until it is resolved. A record made after seeing
the other one is a correction, not a conflict (`happened_before`). Resolving is one more record
of the item, by the team lead or by the author of every conflicting record, made on a laptop
that holds them all: it carries `resolves` (the ids it settles), and being later than all of them
it is the item's value from then on, on every laptop that receives it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from inspector.events import Event, canonical_json, happened_before, read_events
from inspector.i18n import N_

# Per area: the event kinds that record an item, how to name the item, and what its value is.
_AREAS: dict[str, tuple[tuple[str, ...], Any, Any]] = {
    "census": (("census.outcome",), lambda p: p["mdtrt_id"],
               lambda p: {"outcome": p.get("outcome"), "id_verified": p.get("id_verified")}),
    "census_bed": (("census.unregistered",), lambda p: f"{p.get('ward_codg')}/{p.get('bed')}",
                   lambda p: {"note": p.get("note")}),
    "stock": (("stock.counted",), lambda p: p["med_list_codg"], lambda p: {"counted": p.get("counted")}),
    "records": (("records.answer",), lambda p: f"{p['mdtrt_id']}/{p['item']}",
                lambda p: {"outcome": p.get("outcome"), "amount": p.get("amount")}),
    # A sample is one item of its inspection. Drawn with the inspection's settings (seed, sizes)
    # on the same snapshot it comes out the same on every laptop: two such draws agree and are
    # no conflict. Drawn with another seed, size or checklist, the two samples differ: the lead
    # keeps one (drugs added to the sample by hand stay added either way).
    "stock_sample": (("stock.sample_drawn",), lambda p: "sample",
                     lambda p: {"seed": p.get("seed"), "top": p.get("top"), "random": p.get("random")}),
    "records_sample": (("records.sample_drawn",), lambda p: "sample",
                       lambda p: {"seed": p.get("seed"), "n": p.get("n"), "stratified": p.get("stratified"),
                                  "ids": sorted(p.get("ids") or []), "template": p.get("template")}),
}
UNDO_KINDS = ("census.undone",)

SAMPLE_AREAS = ("stock_sample", "records_sample")    # one item each: the whole sample ("sample")

# What each area's items are called, for people (translated where shown: N_ marks them).
AREA_LABELS = {"census": N_("census entry"), "census_bed": N_("unregistered bed"), "stock": N_("drug count"),
               "records": N_("record item"), "stock_sample": N_("stock sample"), "records_sample": N_("record sample")}


@dataclass(frozen=True)
class Conflict:
    area: str            # census | census_bed | stock | records
    item: str            # the visit, ward/bed, drug code or visit/checklist item
    kind: str            # the event kind that records it
    records: tuple[Event, ...]

    def as_dict(self) -> dict[str, Any]:
        values = _AREAS[self.area][2]
        return {"area": self.area, "item": self.item,
                "records": [{"event": e.id, "author": e.author, "device": e.chain, "at": e.at,
                             "value": values(e.payload)} for e in self.records]}


def value_text(area: str, value: dict[str, Any]) -> str:
    """A record's value in words, for people (the CLI table, the GUI)."""
    from inspector.i18n import _
    from inspector.reports.appendices import outcome

    if area == "census":
        text = outcome(value.get("outcome") or "")
        return text + ("；" + _("ID card checked") if value.get("id_verified") else "")
    if area == "census_bed":
        return outcome("unregistered") + (f"；{value['note']}" if value.get("note") else "")
    if area == "stock":
        return _("counted {qty}").format(qty=value.get("counted"))
    if area == "stock_sample":
        drugs = list(value.get("top") or []) + list(value.get("random") or [])
        return _("seed {seed}: {n} drugs ({codes})").format(seed=value.get("seed"), n=len(drugs),
                                                           codes=_abbreviated(value.get("random") or drugs, 2))
    if area == "records_sample":
        ids = list(value.get("ids") or [])
        return _("seed {seed}: {n} records ({ids})").format(seed=value.get("seed"), n=len(ids),
                                                           ids=_abbreviated(ids))
    text = outcome(value.get("outcome") or "")
    return text + (f"；{value['amount']}" if value.get("amount") else "")


def _abbreviated(codes: list[str], shown: int = 4) -> str:
    return "、".join(codes[:shown]) + ("…" if len(codes) > shown else "")


def _kinds() -> list[str]:
    return [k for kinds, _n, _v in _AREAS.values() for k in kinds] + list(UNDO_KINDS)


def item_records(conn: Connection, inspection_id: int) -> dict[tuple[str, str], list[Event]]:
    """Every live record per (area, item), in log order (undone census ticks left out)."""
    events = read_events(conn, inspection_id, _kinds())
    undone = {e.payload["undoes"] for e in events if e.kind in UNDO_KINDS}
    out: dict[tuple[str, str], list[Event]] = {}
    for e in events:
        if e.id in undone or e.kind in UNDO_KINDS:
            continue
        for area, (kinds, name, _v) in _AREAS.items():
            if e.kind in kinds:
                out.setdefault((area, name(e.payload)), []).append(e)
    return out


def _open_conflict(area: str, records: list[Event]) -> tuple[Event, ...] | None:
    """The records of an item that no later record settles, when they disagree."""
    latest = [e for e in records if not any(happened_before(e, f) for f in records if f is not e)]
    if len(latest) < 2:
        return None
    values = _AREAS[area][2]
    if len({canonical_json(values(e.payload)) for e in latest}) < 2:
        return None  # the same value recorded twice is no conflict
    return tuple(latest)


def list_conflicts(conn: Connection, inspection_id: int) -> list[Conflict]:
    """The open conflicts of the inspection, in (area, item) order."""
    out = []
    for (area, item), records in sorted(item_records(conn, inspection_id).items()):
        found = _open_conflict(area, records)
        if found:
            out.append(Conflict(area, item, records[0].kind, found))
    return out


def conflict_for(conn: Connection, inspection_id: int, area: str, item: str) -> Conflict | None:
    return next((c for c in list_conflicts(conn, inspection_id) if c.area == area and c.item == item), None)


def resolve_conflict(engine, inspection_id: int, area: str, item: str, keep: str, *, actor,
                     is_lead: bool) -> Event:
    """Settle a conflict by recording the kept record's value again, naming what it resolves.

    Only the team lead, or the author of every conflicting record, may resolve it; `keep` is the
    id (or a unique prefix) of the record whose value stands.
    """
    from inspector.db import write_transaction
    from inspector.errors import UserError
    from inspector.events import append_event
    from inspector.i18n import _

    with write_transaction(engine) as conn:
        found = conflict_for(conn, inspection_id, area, item)
        if found is None:
            raise UserError(_("there is no open conflict on {item}").format(item=item))
        if not is_lead and any(e.author != actor.login for e in found.records):
            raise UserError(_("only the team lead, or the person who made every one of these records, resolves "
                              "this conflict"))
        chosen = [e for e in found.records if e.id.startswith(keep)] if keep else []
        if len(chosen) != 1:
            raise UserError(_("choose one of the conflicting records to keep"))
        payload = {k: v for k, v in chosen[0].payload.items() if k != "resolves"}
        payload["resolves"] = sorted(e.id for e in found.records)
        return append_event(engine, inspection_id, chosen[0].kind, payload, actor=actor, conn=conn)
