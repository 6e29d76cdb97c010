"""The inspection team: accounts of the store, as inspectors and one team lead.

Members are added and removed by events ('team.member_added', 'team.member_removed'); the
current team is the inspection's initial `team` column folded with those events. A member is an
account: name and enforcement certificate number come from it, and the team lead must hold the
lead role. The team is fixed once the first finding is submitted: a change after that is signed
off by the old lead (authenticated as the team lead at that moment, or, when the lead has just
left, as the lead who left last), and approvals made before it stay attributed to who made them.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine

from inspector.db import write_transaction
from inspector.errors import UserError
from inspector.events import Event, append_event, read_events
from inspector.i18n import _

if TYPE_CHECKING:
    from inspector.accounts import Actor

ROLES = ("inspector", "lead")


@dataclass(frozen=True)
class Member:
    name: str
    cert_no: str
    role: str
    login: str | None = None          # the member's account (None: an entry from before accounts)


def current_team(conn: Connection, inspection_id: int) -> list[Member]:
    """The team now, in the order members joined."""
    return _fold(conn, inspection_id)[0]


def _fold(conn: Connection, inspection_id: int) -> tuple[list[Member], Member | None]:
    """(the team now, the last lead who left)."""
    row = conn.exec_driver_sql("SELECT team FROM inspection WHERE id = ?", (inspection_id,)).fetchone()
    if row is None:
        raise UserError(_("no inspection with id {id} in this store").format(id=inspection_id))
    team: dict[str, Member] = {}
    for m in json.loads(row[0] or "[]"):
        if isinstance(m, dict) and m.get("name"):
            team[m["name"]] = Member(m["name"], str(m.get("cert_no", "")), m.get("role", "inspector"), m.get("login"))
    last_lead: Member | None = None
    for ev in read_events(conn, inspection_id, ["team.*"]):
        p = ev.payload
        if ev.kind == "team.member_added":
            team[p["name"]] = Member(p["name"], p["cert_no"], p["role"], p.get("login"))
        elif ev.kind == "team.member_removed":
            gone = team.pop(p["name"], None)
            if gone is not None and gone.role == "lead":
                last_lead = gone
    return list(team.values()), last_lead


def team_lead(conn: Connection, inspection_id: int) -> Member | None:
    return next((m for m in current_team(conn, inspection_id) if m.role == "lead"), None)


def member_of(conn: Connection, inspection_id: int, login: str) -> Member | None:
    """The team member who is account `login`, if any."""
    return next((m for m in current_team(conn, inspection_id) if m.login == login), None)


def team_locked(conn: Connection, inspection_id: int) -> bool:
    """Whether a finding has been submitted (from then on the team changes only with the old lead's sign-off)."""
    return bool(read_events(conn, inspection_id, ["finding.submitted"]))


def _check_change_allowed(conn: Connection, inspection_id: int, actor: Actor | None) -> dict[str, Any]:
    """Who may change the team now; returns what the event records about the sign-off."""
    from inspector.accounts import PermissionDenied

    if actor is None:
        raise PermissionDenied(_("changing the team needs a logged-in account"))
    if not team_locked(conn, inspection_id):
        return {}
    team, last_lead = _fold(conn, inspection_id)
    lead = next((m for m in team if m.role == "lead"), None) or last_lead
    if lead is None or lead.login != actor.login:
        raise PermissionDenied(_("the team is fixed since the first finding was submitted: a change needs the "
                                 "sign-off of the team lead {lead}, logged in as themselves")
                               .format(lead=lead.name if lead else _("(none)")))
    return {"after_submission": True, "signed_off_by": actor.login}


def add_member(engine: Engine, inspection_id: int, login: str, role: str = "inspector", *,
               actor: Actor | None, device: str | None = None) -> Event:
    """Add account `login` as an inspector or as the team lead (one lead per team, with the lead role)."""
    from inspector.accounts import get_actor

    if role not in ROLES:
        raise UserError(_("team member {name}: unknown role '{r}'; expected inspector or lead").format(name=login, r=role))
    with write_transaction(engine) as conn:
        account = get_actor(conn, (login or "").strip())
        signoff = _check_change_allowed(conn, inspection_id, actor)
        if role == "lead" and account.role != "lead":
            raise UserError(_("{name} has the role {role}: only an account with the lead role leads a team")
                            .format(name=account.display_name, role=_(account.role)))
        if account.role == "deputy":
            raise UserError(_("{name} is a deputy reviewer: deputies review the lead's own findings and are not "
                              "team members").format(name=account.display_name))
        team = current_team(conn, inspection_id)
        if any(m.login == account.login or m.name == account.display_name for m in team):
            raise UserError(_("{name} is already on the team").format(name=account.display_name))
        lead = next((m for m in team if m.role == "lead"), None)
        if role == "lead" and lead is not None:
            raise UserError(_("{name} is already the team lead; remove them first").format(name=lead.name))
        payload = {"name": account.display_name, "cert_no": account.cert_no, "role": role, "login": account.login,
                   "account_id": account.account_id, **signoff}
        return append_event(engine, inspection_id, "team.member_added", payload, actor=actor, device=device,
                            conn=conn)


def remove_member(engine: Engine, inspection_id: int, name_or_login: str, *, actor: Actor | None,
                  device: str | None = None) -> Event:
    """Remove a member, named by login or display name (the event keeps who they were)."""
    with write_transaction(engine) as conn:
        team = current_team(conn, inspection_id)
        member = next((m for m in team if m.login == name_or_login), None) \
            or next((m for m in team if m.name == name_or_login), None)
        if member is None:
            raise UserError(_("{name} is not on the team").format(name=name_or_login))
        signoff = _check_change_allowed(conn, inspection_id, actor)
        return append_event(engine, inspection_id, "team.member_removed", {**asdict(member), **signoff},
                            actor=actor, device=device, conn=conn)


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
