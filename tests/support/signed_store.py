"""A real store with an inspection whose findings are approved, accounts holding their own keys from
a demo CA (trusted by the store), and the report produced from the store and signed by the team
(inspectors first, the lead last), the way the demo and the CLI do it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from inspector.accounts import Actor, authenticate, set_account_key
from inspector.db import open_store
from inspector.findings import create_finding, review_finding, submit_finding
from inspector.reports.produce import produce_report
from inspector.reports.signoff import note_signature
from inspector.signing.ca import create_demo_ca, issue_key
from inspector.signing.sign import identity_for_key, sign_as
from inspector.signing.trust import add_anchor
from tests.support.accounts import make_accounts, make_team, password_of

PASS = b"signed-store-passphrase"


@dataclass
class SignedStore:
    db: Path
    engine: Engine
    inspection: int
    people: dict[str, Actor]
    ca: Path
    pdf: Path            # the report as produced (unsigned)
    signed: Path         # signed by li, wang and the lead zhang


def give_keys(engine: Engine, people: dict[str, Actor], ca_dir: Path, work: Path) -> None:
    """A key from the CA in `ca_dir` for every account, stored in the store under its password."""
    for login, actor in people.items():
        p12 = work / f"{login}.p12"
        issue_key(ca_dir, actor.display_name, p12, PASS, cert_no=actor.cert_no, ca_passphrase=PASS)
        set_account_key(engine, actor, password_of(login), p12.read_bytes(), PASS)
        p12.unlink()


def sign_report(engine: Engine, pdf: Path, out: Path, logins=("li", "wang", "zhang")) -> Path:
    """Each login in turn unlocks their key and signs their own line; the store notes each signature."""
    current = pdf
    for login in logins:
        person = authenticate(engine, login, password_of(login), with_key=True)
        signer = person.key.signer()
        result = sign_as(current, signer, identity_for_key(current, signer), out=out)
        note_signature(engine, out.read_bytes(), result.field, result.signer, actor=person)
        current = out
    return out


def signed_store(work: Path, *, amounts=("500.00", "1234.57")) -> SignedStore:
    from tests.core.audit_fixtures import Hospital

    work.mkdir(parents=True, exist_ok=True)
    db = work / "store.db"
    engine = open_store(db)
    h = Hospital().ward("W1")
    h.stay("M1", "P1", "2026-10-30 08:00:00").fee("M1", "2026-10-31 08:00:00", "1000.01")
    iid = h.write(engine)
    people = make_accounts(engine)
    make_team(engine, iid, people)
    ca = create_demo_ca(work / "ca", PASS)
    add_anchor(engine, ca, actor=people["zhang"])
    give_keys(engine, {k: people[k] for k in ("zhang", "li", "wang")}, work / "ca", work)
    li, lead = people["li"], people["zhang"]
    for n, (cat, amount) in enumerate(zip(("V01", "V02", "V01", "V02"), amounts), start=1):
        create_finding(engine, iid, "manual", category_code=cat, amount=amount, description=f"问题{n}",
                       handling="追回", actor=li)
        submit_finding(engine, iid, n, actor=li)
        review_finding(engine, iid, n, "approve", "", actor=lead)
    from inspector.onsite import waive_check
    from inspector.state import CHECKS

    for check in CHECKS:
        try:
            waive_check(engine, iid, check, "本次不检查", actor=lead)
        except Exception:      # a check not required for this inspection cannot be waived
            pass
    pdf = work / "report.pdf"
    produce_report(engine, iid, pdf, actor=lead)
    signed = sign_report(engine, pdf, work / "signed.pdf")
    return SignedStore(db, engine, iid, people, ca, pdf, signed)
