"""The team as it travels between laptops: each member's account with its certificate.

A snapshot file carries, for every team member, the account's login, display name, role,
enforcement certificate number and signing certificate. A laptop that joins registers them as
accounts that cannot log in here (no password: each person logs in on their own laptop); their
certificates are what bundles from them are checked against. The person joining creates their
own account on their laptop from their entry, with their own password.
"""
from __future__ import annotations

from typing import Any

from cryptography import x509
from sqlalchemy import Connection

from inspector.errors import UserError
from inspector.exchange.bundle import BundleError, fingerprint
from inspector.i18n import _

# The password hash of an account known here only by its certificate: no password matches it.
NO_PASSWORD = "!remote"


def _certificate(pem: str | None) -> x509.Certificate | None:
    return x509.load_pem_x509_certificate(pem.encode("ascii")) if pem else None


def team_for_export(conn: Connection, inspection_id: int) -> list[dict[str, Any]]:
    """Every team member's account as it travels in a snapshot file (certificates included)."""
    from inspector.team import current_team

    out = []
    for m in current_team(conn, inspection_id):
        if not m.login:
            continue
        r = conn.exec_driver_sql("SELECT login, display_name, role, cert_no, cert_pem FROM account WHERE login = ?",
                                 (m.login,)).first()
        if r is None:
            continue
        cert = _certificate(r.cert_pem)
        out.append({"login": r.login, "display_name": r.display_name, "account_role": r.role, "team_role": m.role,
                    "cert_no": r.cert_no, "certificate": r.cert_pem,
                    "fingerprint": fingerprint(cert) if cert else None})
    return out


def team_certificates(conn: Connection, inspection_id: int) -> dict[str, tuple[str, str | None]]:
    """login -> (display name, certificate fingerprint or None) for the inspection's team members."""
    from inspector.team import current_team

    out: dict[str, tuple[str, str | None]] = {}
    for m in current_team(conn, inspection_id):
        if not m.login:
            continue
        pem = conn.exec_driver_sql("SELECT cert_pem FROM account WHERE login = ?", (m.login,)).scalar()
        cert = _certificate(pem)
        out[m.login] = (m.name, fingerprint(cert) if cert else None)
    return out


def register_team(conn: Connection, team: list[dict[str, Any]]) -> None:
    """Make the travelling team's accounts known here (certificates only); an account already here
    must be the same person with the same certificate."""
    from datetime import datetime

    for m in team:
        cert = _certificate(m.get("certificate"))
        if cert is None or fingerprint(cert) != m.get("fingerprint"):
            raise BundleError(_("the team entry of {who} in the snapshot file has no valid certificate")
                              .format(who=m.get("display_name") or m.get("login")))
        r = conn.exec_driver_sql("SELECT cert_no, cert_pem FROM account WHERE login = ?", (m["login"],)).first()
        if r is not None:
            mine = _certificate(r.cert_pem)
            if r.cert_no != m["cert_no"] or (mine is not None and fingerprint(mine) != m["fingerprint"]):
                raise BundleError(_("the account {login} on this laptop is not the {name} of the snapshot file's team "
                                    "(another certificate)").format(login=m["login"], name=m["display_name"]))
            if mine is None:
                conn.exec_driver_sql("UPDATE account SET cert_pem = ? WHERE login = ?", (m["certificate"], m["login"]))
            continue
        conn.exec_driver_sql(
            "INSERT INTO account (login, display_name, role, cert_no, password_hash, failed_attempts, created_at, "
            "cert_pem) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
            (m["login"], m["display_name"], m["account_role"], m["cert_no"], NO_PASSWORD,
             datetime.now().isoformat(sep=" ", timespec="seconds"), m["certificate"]))


def joining_member(team: list[dict[str, Any]], login: str) -> dict[str, Any]:
    """The entry of the person joining, who must be on the team."""
    for m in team:
        if m.get("login") == login:
            return m
    raise UserError(_("{login} is not on this inspection's team; only a team member joins it").format(login=login))
