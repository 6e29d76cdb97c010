"""One digest of an inspection's folded state, so two laptops can be compared at a glance.

The state is what the folds over the event log make of it — the census (each visit's current
outcome, the unregistered beds), the stock sample and counts, the record sample and answers, the
findings with their reviews, and the team — written as canonical JSON without anything local to
one laptop (row numbers, the local inspection id, the language of the display). Laptops holding
the same events fold them in the same order (inspector/events.py) and so print the same digest.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from inspector.events import canonical_json


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (Decimal, date, datetime)):
        return str(value)
    return value


def _census(conn: Connection, inspection_id: int) -> dict[str, Any]:
    from inspector.checks.census import census_state

    st = census_state(conn, inspection_id)
    return {"outcomes": {m: e.payload for m, e in sorted(st.outcomes.items())},
            "unregistered": [e.payload for e in st.unregistered]}


def _stock(conn: Connection, inspection_id: int) -> dict[str, Any]:
    from inspector.checks.stock import count_history, current_sample

    sample = current_sample(conn, inspection_id)
    counts = {code: [{"counted": h["counted"], "note": h.get("note"), "author": h.get("author")} for h in hist]
              for code, hist in sorted(count_history(conn, inspection_id).items())}
    return {"sample": sample, "counts": counts}


def _records(conn: Connection, inspection_id: int) -> dict[str, Any]:
    from inspector.checks.records import current_sample
    from inspector.events import read_events

    answers: dict[str, Any] = {}
    for ev in read_events(conn, inspection_id, ["records.answer"]):
        answers[f"{ev.payload['mdtrt_id']}/{ev.payload['item']}"] = ev.payload
    return {"sample": current_sample(conn, inspection_id), "answers": dict(sorted(answers.items()))}


_FINDING_FIELDS = ("no", "id", "status", "source_type", "ref", "category", "amount", "multiplier", "fixed_fine",
                   "refused", "fraud", "description", "handling", "evidence", "amends", "amended_by", "created_by",
                   "reviews")


def _findings(conn: Connection, inspection_id: int) -> list[dict[str, Any]]:
    from inspector.findings.lifecycle import fold_findings

    out = []
    for f in fold_findings(conn, inspection_id):
        row = {k: getattr(f, k, None) for k in _FINDING_FIELDS}
        row["reviews"] = [{k: v for k, v in r.items() if k != "seq"} for r in (row["reviews"] or [])]
        out.append(row)
    return out


def _team(conn: Connection, inspection_id: int) -> list[Any]:
    from inspector.team import current_team

    return [asdict(m) for m in current_team(conn, inspection_id)]


def folded_state(conn: Connection, inspection_id: int) -> dict[str, Any]:
    """The inspection's folded state in plain, laptop-independent values."""
    return _plain({
        "census": _census(conn, inspection_id),
        "stock": _stock(conn, inspection_id),
        "records": _records(conn, inspection_id),
        "findings": _findings(conn, inspection_id),
        "team": _team(conn, inspection_id),
    })


def state_digest(conn: Connection, inspection_id: int) -> str:
    """SHA-256 of the canonical JSON of `folded_state`."""
    return hashlib.sha256(canonical_json(folded_state(conn, inspection_id)).encode("utf-8")).hexdigest()
