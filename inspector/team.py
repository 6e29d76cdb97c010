"""The inspection team: inspectors with enforcement certificate numbers and one team lead.

Members are added and removed by events ('team.member_added', 'team.member_removed'); the
current team is the inspection's initial `team` column folded with those events.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, Engine

from inspector.db import write_transaction
from inspector.errors import UserError
from inspector.events import Event, append_event, read_events
from inspector.i18n import _

ROLES = ("inspector", "lead")


@dataclass(frozen=True)
class Member:
    name: str
    cert_no: str
    role: str


def current_team(conn: Connection, inspection_id: int) -> list[Member]:
    """The team now, in the order members joined."""
    row = conn.exec_driver_sql("SELECT team FROM inspection WHERE id = ?", (inspection_id,)).fetchone()
    if row is None:
        raise UserError(_("no inspection with id {id} in this store").format(id=inspection_id))
    import json

    team: dict[str, Member] = {}
    for m in json.loads(row[0] or "[]"):
        if isinstance(m, dict) and m.get("name"):
            team[m["name"]] = Member(m["name"], str(m.get("cert_no", "")), m.get("role", "inspector"))
    for ev in read_events(conn, inspection_id, ["team.*"]):
        p = ev.payload
        if ev.kind == "team.member_added":
            team[p["name"]] = Member(p["name"], p["cert_no"], p["role"])
        elif ev.kind == "team.member_removed":
            team.pop(p["name"], None)
    return list(team.values())


def team_lead(conn: Connection, inspection_id: int) -> Member | None:
    return next((m for m in current_team(conn, inspection_id) if m.role == "lead"), None)


def add_member(engine: Engine, inspection_id: int, name: str, cert_no: str, role: str = "inspector", *,
               author: str | None = None, device: str | None = None) -> Event:
    """Add an inspector or the team lead (one lead per team)."""
    name, cert_no = (name or "").strip(), (cert_no or "").strip()
    if not name:
        raise UserError(_("team member: a name is needed"))
    if not cert_no:
        raise UserError(_("team member {name}: the enforcement certificate number is needed").format(name=name))
    if role not in ROLES:
        raise UserError(_("team member {name}: unknown role '{r}'; expected inspector or lead").format(name=name, r=role))
    with write_transaction(engine) as conn:
        team = current_team(conn, inspection_id)
        if any(m.name == name for m in team):
            raise UserError(_("{name} is already on the team").format(name=name))
        lead = next((m for m in team if m.role == "lead"), None)
        if role == "lead" and lead is not None:
            raise UserError(_("{name} is already the team lead; remove them first").format(name=lead.name))
        return append_event(engine, inspection_id, "team.member_added",
                            {"name": name, "cert_no": cert_no, "role": role}, author=author, device=device, conn=conn)


def remove_member(engine: Engine, inspection_id: int, name: str, *, author: str | None = None,
                  device: str | None = None) -> Event:
    """Remove a member (the event keeps who they were)."""
    with write_transaction(engine) as conn:
        member = next((m for m in current_team(conn, inspection_id) if m.name == name), None)
        if member is None:
            raise UserError(_("{name} is not on the team").format(name=name))
        return append_event(engine, inspection_id, "team.member_removed", asdict(member),
                            author=author, device=device, conn=conn)


def team_problems(team: list[Member]) -> list[str]:
    """What keeps the team from signing documents (at least two inspectors with certificates, one lead)."""
    out = []
    if len(team) < 2:
        out.append(_("the team needs at least two inspectors"))
    if not any(m.role == "lead" for m in team):
        out.append(_("the team has no lead"))
    return out


def team_as_dicts(team: list[Member]) -> list[dict[str, Any]]:
    return [asdict(m) for m in team]
