"""Accounts for tests: a lead, inspectors and a deputy created through the real core functions,
and the environment the CLI authenticates from (INSPECTOR_USER, INSPECTOR_PASSWORD_FILE)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from inspector.accounts import Actor, authenticate, create_account, has_accounts

PASSWORD = "test-password-0"

# login -> (display name, role, enforcement certificate number)
DEFAULT_PEOPLE = {
    "zhang": ("张组长", "lead", "61010020269001"),
    "li": ("李检查", "inspector", "61010020269002"),
    "wang": ("王建国", "inspector", "61010020269003"),
    "zhao": ("赵副审", "deputy", "61010020269004"),
}


def password_of(login: str) -> str:
    return f"{PASSWORD}-{login}"


def make_accounts(engine: Engine, people: dict[str, tuple[str, str, str]] | None = None) -> dict[str, Actor]:
    """Create the accounts (a lead first when the store has none) and return them logged in, by login."""
    people = people or DEFAULT_PEOPLE
    with engine.connect() as conn:
        fresh = not has_accounts(conn)
    order = sorted(people, key=lambda k: people[k][1] != "lead")
    lead: Actor | None = None
    out: dict[str, Actor] = {}
    if not fresh:
        from inspector.accounts import list_accounts

        with engine.connect() as conn:
            existing = {a.login for a in list_accounts(conn)}
        lead_login = next(k for k in order if people[k][1] == "lead")
        lead = authenticate(engine, lead_login, password_of(lead_login)) if lead_login in existing else None
    for login in order:
        name, role, cert = people[login]
        try:
            actor = create_account(engine, login, password_of(login), role, cert, name, actor=lead)
        except Exception:
            actor = authenticate(engine, login, password_of(login))
        if role == "lead" and lead is None:
            lead = actor
        out[login] = actor
    return out


def make_team(engine: Engine, inspection_id: int, actors: dict[str, Actor],
              members: tuple[str, ...] = ("zhang", "li", "wang")) -> None:
    """Put `members` on the inspection's team (their account roles; the lead as team lead)."""
    from inspector.team import add_member

    lead = next(a for a in actors.values() if a.role == "lead")
    for login in members:
        a = actors[login]
        add_member(engine, inspection_id, login, "lead" if a.role == "lead" else "inspector", actor=lead)


def use_account(monkeypatch, tmp_path: Path, login: str) -> None:
    """Make the CLI act as `login` (INSPECTOR_USER and a password file)."""
    folder = tmp_path.parent / f"{tmp_path.name}-passwords"     # beside, not inside, the test's folder
    folder.mkdir(exist_ok=True)
    f = folder / f"pw-{login}.txt"
    f.write_text(password_of(login) + "\n", encoding="utf-8")
    monkeypatch.setenv("INSPECTOR_USER", login)
    monkeypatch.setenv("INSPECTOR_PASSWORD_FILE", str(f))


def team_of(engine: Engine, inspection_id: int, members: list[tuple[str, str, str]]) -> dict[str, Actor]:
    """Accounts for `members` (name, certificate number, 'inspector' | 'lead'), put on the team in that
    order; returns the logged-in Actors by display name. Logins are m1, m2, ... in that order."""
    people = {f"m{i}": (name, role, cert) for i, (name, cert, role) in enumerate(members, 1)}
    with engine.connect() as conn:
        known = has_accounts(conn)
    if known:
        from inspector.accounts import list_accounts

        with engine.connect() as conn:
            existing = {a.login for a in list_accounts(conn)}
        people = {k: v for k, v in people.items() if k not in existing} or people
    actors = make_accounts(engine, people)
    lead = next(a for a in actors.values() if a.role == "lead")
    from inspector.team import add_member

    for login in people:
        add_member(engine, inspection_id, login, people[login][1], actor=lead)
    return {a.display_name: a for a in actors.values()}
