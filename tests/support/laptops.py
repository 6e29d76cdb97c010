"""Three laptops of one embedded inspection, built with the real core functions: the lead's store
with the accounts, keys from a test CA, a small hand-built hospital and the team; the two
inspectors' stores joined from the lead's snapshot file, each with their own account and key."""
from __future__ import annotations

from pathlib import Path

from cryptography import x509

from inspector.accounts import authenticate, create_member_account, set_account_key
from inspector.db import open_store
from inspector.exchange.people import register_team, team_for_export
from inspector.exchange.snapshot_file import export_snapshot, import_snapshot
from inspector.signing.ca import create_demo_ca, issue_key
from inspector.signing.trust import add_anchor, anchor_certificates
from tests.core.audit_fixtures import CODE, Hospital
from tests.support.accounts import make_accounts, make_team, password_of

CA_PASS = b"test-ca-passphrase"
KEY_PASS = b"test-key-passphrase"
OWNERS = ("zhang", "li", "wang")       # laptop 0 the lead's, then two inspectors'
BEDS = [f"M{i}" for i in range(1, 5)]


DRUGS = ["X" + str(n).zfill(22) for n in range(1, 26)]     # more than the stock sample's top 10 + random 10
RECORDS = [f"R{n:03d}" for n in range(1, 9)]


def hospital() -> Hospital:
    """Four inpatients on ward W1, a pharmacy of 25 drugs with their opening counts, and eight
    medical records discharged in the window (for the stock and record samples)."""
    h = Hospital().ward("W1")
    for i, m in enumerate(BEDS, start=1):
        h.stay(m, f"P{i}", "2026-10-20 09:00:00", None, bed=str(i))
    for code in DRUGS:
        h.med_list.append((code, f"药品{code[-2:]}", "101", "10mg", "盒", "01", 0, None, None))
        h.extra.setdefault("drug_inv", []).append((CODE, code, "2026-07-31", 10000))      # 100.00 boxes
    for n, rec in enumerate(RECORDS, start=1):
        h.extra.setdefault("medrcd", []).append(
            (rec, CODE, f"PR{n}", None, "2026-09-01 08:00:00", f"2026-09-{10 + n:02d} 10:00:00", 5, "J18.9", "肺炎",
             None, "D1", None, 100000))
    return h


def anchors(engine) -> list[x509.Certificate]:
    return [x509.load_der_x509_certificate(d) for d in anchor_certificates(engine)]


def key(engine, login: str):
    """`login` authenticated with their signing key unlocked."""
    return authenticate(engine, login, password_of(login), with_key=True)


def build_laptops(base: Path, owners: tuple[str, ...] = OWNERS, people: dict | None = None) -> dict:
    """Stores `base/l0.db` (the lead's, owners[0]) .. one per owner, the CA in `base/ca`, the snapshot file."""
    ca = base / "ca"
    create_demo_ca(ca, CA_PASS)
    a = open_store(base / "l0.db")
    actors = make_accounts(a, people)
    add_anchor(a, ca / "ca.pem", actor=actors["zhang"])
    p12 = {}
    for login in owners:
        out = base / f"{login}.p12"
        issue_key(ca, actors[login].display_name, out, KEY_PASS, cert_no=actors[login].cert_no, ca_passphrase=CA_PASS)
        p12[login] = out.read_bytes()
        set_account_key(a, actors[login], password_of(login), p12[login], KEY_PASS)
    iid = hospital().write(a)
    make_team(a, iid, actors, members=owners)
    with a.connect() as conn:
        team = team_for_export(conn, iid)
    lead = key(a, "zhang")
    snap = base / "join.inspector-snapshot"
    code = export_snapshot(a, iid, snap, login="zhang", name=lead.display_name, private_key=lead.key.private_key,
                           certificate=lead.key.certificate, team=team).transfer_code
    a.dispose()
    for k, login in enumerate(owners[1:], start=1):
        e = open_store(base / f"l{k}.db")
        add_anchor(e, ca / "ca.pem")
        m = next(m for m in team if m["login"] == login)
        me = create_member_account(e, login, password_of(login), m["account_role"], m["cert_no"], m["display_name"],
                                   m["certificate"])
        import_snapshot(e, snap, code=code, anchors=anchors(e), author=login, register_team=register_team)
        set_account_key(e, me, password_of(login), p12[login], KEY_PASS)
        e.dispose()
    return {"base": base, "ca": ca, "snap": snap, "code": code, "p12": p12, "iid": iid}
