"""`demo --laptops 3`: an embedded inspection on three laptops, exchanged until they agree.

The lead's laptop (laptop-1) syncs the demo hospital, sets up the team, the keys and the samples
and writes a snapshot file; the two inspectors join from it on laptop-2 (wards) and laptop-3
(pharmacy and records room), each with their own account and password. Each records work of
its own — and the lead and the ward inspector record the same patient differently, which comes
out as a conflict. Bundles go round through `bundles/` until every laptop holds every event, the
lead resolves the conflict, one more round, and the three state digests are equal.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509

from inspector.i18n import _
from inspector.progress import Progress

LAPTOP_OWNERS = ("chenzq", "wangjg", "lixm")      # laptop-1 the lead's, then the two inspectors'


@dataclass
class LaptopsResult:
    workdir: Path
    stores: list[Path]
    bundles: list[Path] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)
    conflicts_seen: int = 0
    conflicts_left: int = 0
    recovery_keys: dict[str, str] = field(default_factory=dict)


def _anchors(engine) -> list[x509.Certificate]:
    from inspector.signing.trust import anchor_certificates

    return [x509.load_der_x509_certificate(d) for d in anchor_certificates(engine)]


def run_laptops_demo(workdir: Path, n: int = 3, progress: Progress | None = None) -> LaptopsResult:
    """The walkthrough above; returns where everything landed and the digests."""
    from inspector.accounts import (authenticate, create_member_account, read_password_file, set_account_key,
                                    with_own_key)
    from inspector.checks import census, records, stock
    from inspector.demo.walkthrough import (DEMO_CA_PASSPHRASE, DEMO_LOGINS, DEMO_PASSPHRASE, DEMO_TEAM,
                                            create_demo_inspection, demo_accounts, demo_actor)
    from inspector.exchange.bundle import export_bundle, import_bundle
    from inspector.exchange.conflicts import list_conflicts, resolve_conflict
    from inspector.exchange.people import register_team, team_for_export
    from inspector.exchange.snapshot_file import export_snapshot, import_snapshot, read_manifest
    from inspector.exchange.transfer_code import write_code_file
    from inspector.exchange.state import state_digest
    from inspector.signing.ca import create_demo_ca, issue_key
    from inspector.signing.trust import add_anchor
    from inspector.storecrypt import create_encrypted_store
    from inspector.team import add_member

    if n != 3:
        from inspector.errors import UserError

        raise UserError(_("the embedded-inspection demo runs on 3 laptops (--laptops 3)"))
    progress = progress or Progress()
    workdir = Path(workdir)
    for old in [*workdir.glob("laptop-*"), workdir / "bundles", workdir / "passwords", workdir / "demo-ca",
                workdir / "keys"]:
        shutil.rmtree(old, ignore_errors=True)
    bundles = workdir / "bundles"
    bundles.mkdir(parents=True)
    stores = [workdir / f"laptop-{k}" / "inspector.db" for k in range(1, n + 1)]
    result = LaptopsResult(workdir, stores)
    pw = lambda login: read_password_file(workdir / "passwords" / f"{login}.txt")  # noqa: E731

    # laptop-1, the lead's: accounts (encrypted store), keys, the inspection, the team, the samples
    progress.set_status(_("Laptop 1: the lead syncs the hospital and sets up the team…"))
    stores[0].parent.mkdir(parents=True)
    engine1, result.recovery_keys["laptop-1"] = create_encrypted_store(stores[0], "chenzq", _demo_password("chenzq"))
    actors = demo_accounts(engine1, workdir)
    lead = demo_actor(actors, "lead")
    ca_dir = workdir / "demo-ca"
    create_demo_ca(ca_dir, DEMO_CA_PASSPHRASE)
    add_anchor(engine1, ca_dir / "ca.pem", actor=lead)
    p12s: dict[str, bytes] = {}
    for login, actor in actors.items():
        out = workdir / "keys" / f"{login}.p12"
        out.parent.mkdir(parents=True, exist_ok=True)
        issue_key(ca_dir, actor.display_name, out, DEMO_PASSPHRASE, cert_no=actor.cert_no,
                  ca_passphrase=DEMO_CA_PASSPHRASE)
        p12s[login] = out.read_bytes()
        set_account_key(engine1, actor, pw(login), p12s[login], DEMO_PASSPHRASE)
    shutil.rmtree(workdir / "keys")                       # the keys live in the stores only
    sync = create_demo_inspection(engine1, workdir / "demo-central.db", progress, actor=lead)
    iid = sync.inspection_id
    for name, _cert, role in DEMO_TEAM:
        add_member(engine1, iid, DEMO_LOGINS[name], role, actor=lead)
    stock.draw_sample(engine1, iid, actor=lead)
    records.draw_sample(engine1, iid, n=6, seed=20261204, actor=lead)
    lead_k = with_own_key(engine1, lead, pw("chenzq"))       # within the session the lead worked in
    with engine1.connect() as conn:
        team = team_for_export(conn, iid)
    snap = bundles / "join.inspector-snapshot"
    exported = export_snapshot(engine1, iid, snap, login=lead_k.login, name=lead_k.display_name,
                               private_key=lead_k.key.private_key, certificate=lead_k.key.certificate, team=team)
    # the transfer code, which the lead reads out to each joining person; with the demo's passwords
    code = exported.transfer_code
    write_code_file(workdir / "passwords" / "transfer-code.txt", code)

    # laptops 2 and 3 join from the snapshot file, each as their owner
    engines = [engine1]
    ids = [iid]
    manifest = read_manifest(snap, code)[0]
    for k, login in enumerate(LAPTOP_OWNERS[1:], start=2):
        progress.set_status(_("Laptop {k}: {who} joins from the snapshot file…").format(k=k, who=login))
        stores[k - 1].parent.mkdir(parents=True)
        eng, result.recovery_keys[f"laptop-{k}"] = create_encrypted_store(stores[k - 1], login, pw(login))
        add_anchor(eng, ca_dir / "ca.pem", actor=None)
        member = next(m for m in manifest["team"] if m["login"] == login)
        me = create_member_account(eng, login, pw(login), member["account_role"], member["cert_no"],
                                   member["display_name"], member["certificate"])
        joined = import_snapshot(eng, snap, code=code, anchors=_anchors(eng), author=login,
                                 register_team=register_team)
        set_account_key(eng, me, pw(login), p12s[login], DEMO_PASSPHRASE)
        engines.append(eng)
        ids.append(joined.inspection_id)

    # work of their own on each laptop
    progress.set_status(_("Each laptop records work of its own…"))
    wang = authenticate(engines[1], "wangjg", pw("wangjg"))
    li = authenticate(engines[2], "lixm", pw("lixm"))
    lead2 = authenticate(engines[0], "chenzq", pw("chenzq"))
    with engines[1].connect() as conn:
        beds = census.roster(conn, ids[1])
    for bed in beds[:12]:
        census.record_outcome(engines[1], ids[1], bed.mdtrt_id, "on_leave" if bed.leave_covers_v else "present",
                              staff_on_duty="护士长 张丽", note=_("identity confirmed by the wristband and the bed card"),
                              actor=wang)
    # the lead checks one of the same beds on his round and finds it empty: recorded without seeing wangjg's tick
    contested = next(b for b in beds[:12] if not b.leave_covers_v)
    census.record_outcome(engines[0], ids[0], contested.mdtrt_id, "absent", staff_on_duty="护士长 张丽",
                          note=_("bed empty at the lead's round"), actor=lead2)
    with engines[2].connect() as conn:
        rows = stock.sample_rows(conn, ids[2])
        summary = records.records_summary(conn, ids[2])
    for r in rows:
        stock.record_count(engines[2], ids[2], r.med_list_codg, str(r.expected), actor=li)
    for rec in summary.records[:3]:
        for item in rec.items:
            records.answer(engines[2], ids[2], rec.mdtrt_id, item.id, "pass", actor=li)
    with engines[0].connect() as conn:
        summary = records.records_summary(conn, ids[0])
    for rec in summary.records[3:]:
        for item in rec.items:
            records.answer(engines[0], ids[0], rec.mdtrt_id, item.id, "pass", actor=lead2)

    sessions = [lead2, wang, li]                 # each laptop owner's session, since their login

    def round_trip(tag: str) -> None:
        made = []
        for k, (eng, i, login) in enumerate(zip(engines, ids, LAPTOP_OWNERS), start=1):
            who = with_own_key(eng, sessions[k - 1], pw(login))
            out = bundles / f"laptop-{k}-{tag}.inspector-bundle"
            export_bundle(eng, i, out, login=who.login, name=who.display_name, private_key=who.key.private_key,
                          certificate=who.key.certificate, session_from=who.session_from)
            made.append((k, out))
            result.bundles.append(out)
        for k, (eng, login) in enumerate(zip(engines, LAPTOP_OWNERS), start=1):
            reader = authenticate(eng, login, pw(login), with_key=True)   # bundles are sealed for the team
            for j, path in made:
                if j != k:
                    import_bundle(eng, path, anchors=_anchors(eng), author=login, reader=reader)

    progress.set_status(_("Bundles go round…"))
    round_trip("1")
    with engines[0].connect() as conn:
        found = list_conflicts(conn, ids[0])
    result.conflicts_seen = len(found)
    for c in found:   # the lead looks at both records and keeps the ward inspector's (the patient was back)
        keep = next(e for e in c.records if e.author == "wangjg")
        resolve_conflict(engines[0], ids[0], c.area, c.item, keep.id, actor=lead2, is_lead=True)
    round_trip("2")
    for k, (eng, i) in enumerate(zip(engines, ids), start=1):
        with eng.connect() as conn:
            result.digests[f"laptop-{k}"] = state_digest(conn, i)
            result.events[f"laptop-{k}"] = conn.exec_driver_sql(
                "SELECT count(*) FROM event WHERE inspection_id = ?", (i,)).scalar()
            result.conflicts_left += len(list_conflicts(conn, i))
    for eng in engines:
        eng.dispose()
    return result


def _demo_password(login: str) -> str:
    from inspector.demo.walkthrough import demo_password

    return demo_password(login)
