"""`demo`: the app's main job on the embedded demo data, from central database to findings."""
from __future__ import annotations

from pathlib import Path

from inspector.cli.common import print_table
from inspector.db import open_store
from inspector.cli.upload import UPLOAD_STATUS
from inspector.i18n import _
from inspector.progress import TextProgress


def register(sub, common) -> None:
    p = sub.add_parser("demo", parents=[common],
                       help=_("build the demo central database, sync and screen its hospital, walk through an inspection"))
    p.add_argument("--workdir", metavar="DIR", default="demo-data",
                   help=_("where the demo central database, the store (unless --db) and the outputs go (default: demo-data)"))
    p.add_argument("--laptops", type=int, metavar="N",
                   help=_("the embedded-inspection walkthrough on N laptops (3): DIR/laptop-1..N, DIR/bundles"))
    p.set_defaults(func=cmd_demo)


def cmd_demo(args) -> int:
    from inspector.demo.walkthrough import (create_demo_inspection, demo_accounts, demo_actor, run_walkthrough,
                                            sign_demo_report, upload_demo_package)

    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    if args.laptops:
        return _laptops(work, args.laptops)
    db = Path(args.db) if args.db else work / "inspector.db"
    kept = [_("the demo central database {path} (same seed, same rows)").format(path=work / "demo-central.db")] \
        if (work / "demo-central.db").exists() else []
    existed = db.exists()
    engine = demo_store(db, work)
    if existed:
        with engine.connect() as conn:
            n = conn.exec_driver_sql("SELECT count(*) FROM inspection").scalar()
        if n:
            kept.append(_("the store {path} with its {n} earlier inspection(s): this run adds a new one").format(
                path=db, n=n))
    if (work / "demo-ca").exists():
        kept.append(_("the demo CA and the inspectors' keys in {path}").format(path=work))
    if kept:
        print(_("{dir} already holds a demo; kept: {what}. Remove the folder to start clean.").format(
            dir=work, what="；".join(kept)))
    central = work / "demo-central.db"
    progress = TextProgress()
    actors = demo_accounts(engine, work)
    lead = demo_actor(actors, "lead")
    print(_("demo accounts (DEMO ONLY: their demo passwords are in {dir}):").format(dir=work / "passwords"))
    for a in actors.values():
        print(f"  {a.login}  {a.display_name}  {_(a.role)}  {a.cert_no}")
    result = create_demo_inspection(engine, central, progress, actor=lead)
    walk = run_walkthrough(engine, central, result.inspection_id, actors)
    print(_("inspection {id} in {db}").format(id=result.inspection_id, db=db))
    print(_("synced rows: {counts}").format(counts=", ".join(f"{t} {n}" for t, n in result.row_counts.items())))
    print()
    print_table([_("rule"), _("leads")], [[r, n] for r, n in sorted(walk.leads_by_rule.items())])
    print()
    overall = walk.census.get("overall", walk.census)
    print(_("census: {checked} of {registered} beds checked").format(
        checked=overall.get("checked"), registered=overall.get("registered")))
    print_table(
        ["#", _("category"), _("amount"), _("recovery"), _("fine"), _("status")],
        [[f["no"], f["category"], f["amount"], f.get("recovery"), f.get("fine"), _(f["status"])] for f in walk.findings],
    )
    t = walk.totals
    print(_("fund recovery {recovery}, fines {fines}, total {total}").format(
        recovery=t["fund_recovery"], fines=t["fines"], total=t["total"]))
    report = sign_demo_report(engine, result.inspection_id, work, actors)
    print()
    print(_("report: {pdf} ({pages} pages); signed: {signed}").format(
        pdf=report.pdf, pages=report.pages, signed=report.signed_pdf))
    for s in report.verify.signatures:
        print(_("  signature {field}: {signer}, intact {intact}, trusted {trusted}").format(
            field=s.field, signer=s.signer, intact=_("yes") if s.intact else _("no"),
            trusted=_("yes") if s.trusted else _("no")))
    print(_("verification: {verdict}").format(verdict=_("valid") if report.verify.ok else _("INVALID")))
    if not report.verify.ok:
        return 1
    sent = upload_demo_package(engine, result.inspection_id, report, central, lead)
    print(_("upload {id} to the demo central: {status}").format(id=sent.package.upload_id, status=_("Uploaded and verified") if sent.status == "verified" else f"{_(UPLOAD_STATUS.get(sent.status, sent.status))} {sent.reason}"))
    return 0 if sent.status == "verified" else 1


def demo_store(db: Path, work: Path):
    """The demo's store, encrypted like any store: created with the demo lead's key slot (its recovery
    key written beside the demo passwords: DEMO ONLY), or unlocked with the demo lead's password."""
    from inspector.accounts import has_accounts, read_password_file
    from inspector.demo.walkthrough import DEMO_LOGINS, DEMO_TEAM, PASSWORD_NOTE, demo_password
    from inspector.storecrypt import create_encrypted_store, needs_unlock, unlock_store

    lead = next(DEMO_LOGINS[name] for name, _c, role in DEMO_TEAM if role == "lead")
    pw_file = work / "passwords" / f"{lead}.txt"
    if needs_unlock(db):
        return unlock_store(db, lead, read_password_file(pw_file) if pw_file.exists() else demo_password(lead))
    if db.exists():
        plain = open_store(db)
        with plain.connect() as conn:
            if has_accounts(conn):
                return plain  # a demo store from before encryption, with its accounts: left as it is
        plain.dispose()
    engine, recovery = create_encrypted_store(db, lead, demo_password(lead))
    folder = work / "passwords"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "recovery-key.txt").write_text(recovery + "\n", encoding="utf-8")
    (folder / "recovery-key.txt").chmod(0o600)
    (folder / "README.txt").write_text(PASSWORD_NOTE + "\n", encoding="utf-8")
    return engine


def _laptops(work: Path, n: int) -> int:
    from inspector.demo.laptops import run_laptops_demo

    print(_("{dir}: the laptop stores, bundles, passwords and demo CA of an earlier run are replaced; the demo "
            "central database is kept").format(dir=work))
    r = run_laptops_demo(work, n, TextProgress())
    print(_("demo accounts (DEMO ONLY: their demo passwords are in {dir}):").format(dir=work / "passwords"))
    print(_("{n} laptops, each store encrypted; the recovery keys (DEMO ONLY, shown once):").format(n=len(r.stores)))
    for k, store in enumerate(r.stores, start=1):
        print(f"  {store}  {r.recovery_keys.get(f'laptop-{k}', '')}")
    print(_("bundles exchanged: {n} in {dir}").format(n=len(r.bundles), dir=work / "bundles"))
    print(_("the snapshot file laptops 2 and 3 joined from: {path}; its transfer code (DEMO ONLY) is in {code}")
          .format(path=work / "bundles" / "join.inspector-snapshot", code=work / "passwords" / "transfer-code.txt"))
    print(_("conflicts found: {seen}; left after the lead resolved them: {left}").format(
        seen=r.conflicts_seen, left=r.conflicts_left))
    print_table([_("laptop"), _("events"), _("state digest")],
                [[k, r.events[k], d] for k, d in r.digests.items()])
    same = len(set(r.digests.values())) == 1
    print(_("all laptops in the same state") if same else _("the laptops DIFFER"))
    return 0 if same and r.conflicts_left == 0 else 1
