"""Document commands: `report`, `keys create-demo-ca|issue|import`, `sign`, `verify`, `trust add|list|remove`."""
from __future__ import annotations

import sys
from pathlib import Path

from inspector.cli.common import print_json, print_table
from inspector.errors import UserError, os_reason
from inspector.i18n import _


def register(sub, common) -> None:
    p = sub.add_parser("report", parents=[common], help=_("render the inspection documents as PDF"))
    p.add_argument("--inspection", type=int, required=True, metavar="ID")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.pdf",
                   help=_("FILE.pdf: the documents; FILE.xlsx: the findings list and appendices as a workbook"))
    p.add_argument("--hand-signature", type=Path, metavar="PNG",
                   help=_("the representative's signature image (from the signature pad)"))
    p.add_argument("--refused-note", metavar="TEXT",
                   help=_("the representative refused to sign: the inspectors' note recorded instead"))
    p.set_defaults(func=cmd_report)

    keys = sub.add_parser("keys", help=_("signing keys: demo CA, issue, import"))
    ksub = keys.add_subparsers(dest="keys_command", metavar="<keys command>", required=True)
    k = ksub.add_parser("create-demo-ca", parents=[common],
                        help=_("create a demo bureau CA in DIR (trusts nothing: `trust add DIR/ca.pem` does)"))
    k.add_argument("--out", type=Path, required=True, metavar="DIR")
    k.add_argument("--name", default="Demo Medical Security Bureau CA", help=_("the CA's common name"))
    k.add_argument("--passphrase-file", type=Path, required=True, metavar="F",
                   help=_("the passphrase that encrypts the CA's private key (at least 10 characters)"))
    k.set_defaults(func=cmd_create_ca)
    k = ksub.add_parser("issue", help=_("issue an inspector's key and certificate from a demo CA"))
    k.add_argument("--ca", type=Path, required=True, metavar="DIR")
    k.add_argument("--ca-passphrase-file", type=Path, required=True, metavar="F",
                   help=_("the passphrase of the CA's private key"))
    k.add_argument("--name", required=True)
    k.add_argument("--cert-no", metavar="N", help=_("the inspector's enforcement certificate number"))
    k.add_argument("--out", type=Path, required=True, metavar="FILE.p12")
    k.add_argument("--passphrase-file", type=Path, required=True, metavar="F",
                   help=_("the new key's passphrase (at least 10 characters)"))
    k.set_defaults(func=cmd_issue)
    k = ksub.add_parser("import", parents=[common], help=_("import a PKCS#12 key into the key directory"))
    k.add_argument("file", type=Path, metavar="FILE.p12")
    k.add_argument("--passphrase-file", type=Path, required=True, metavar="F")
    k.set_defaults(func=cmd_import)

    p = sub.add_parser("sign", parents=[common],
                       help=_("sign a report PDF as the logged-in account, on your own line (incremental PAdES)"))
    p.add_argument("file", type=Path, metavar="FILE.pdf")
    p.add_argument("--out", type=Path, metavar="SIGNED.pdf", help=_("default: sign FILE.pdf in place"))
    p.add_argument("--key", metavar="KEY.p12",
                   help=_("a PKCS#12 key outside the store (a .p12 file or an imported key's name) instead of the "
                          "logged-in account's own key; it still signs only the line its certificate names"))
    p.add_argument("--passphrase-file", type=Path, metavar="F", help=_("with --key: the key's passphrase"))
    p.set_defaults(func=cmd_sign)

    p = sub.add_parser("verify", parents=[common],
                       help=_("check a signed report: every declared line signed by its person, in order, trusted"))
    p.add_argument("file", type=Path, metavar="FILE.pdf")
    p.add_argument("--trust", type=Path, action="append", default=[], metavar="CA.pem",
                   help=_("a trusted CA certificate (repeatable), in addition to the store's trust anchors"))
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_verify)

    trust = sub.add_parser("trust", help=_("trust anchors: the CA certificates signatures must chain to"))
    tsub = trust.add_subparsers(dest="trust_command", metavar="<trust command>", required=True)
    t = tsub.add_parser("add", parents=[common], help=_("trust a CA certificate (PEM or DER)"))
    t.add_argument("file", type=Path, metavar="CA.pem")
    t.set_defaults(func=cmd_trust_add)
    t = tsub.add_parser("list", parents=[common], help=_("list the trust anchors"))
    t.add_argument("--format", choices=["table", "json"], default="table")
    t.set_defaults(func=cmd_trust_list)
    t = tsub.add_parser("remove", parents=[common], help=_("stop trusting a CA (by its SHA-256, 8+ hex digits)"))
    t.add_argument("sha256", metavar="SHA256")
    t.set_defaults(func=cmd_trust_remove)


def cmd_report(args) -> int:
    from inspector.cli.common import store

    if args.hand_signature and args.refused_note:
        raise UserError(_("give either --hand-signature or --refused-note, not both"))
    png = None
    if args.hand_signature:
        try:
            png = args.hand_signature.read_bytes()
        except OSError as exc:
            raise UserError(_("{hand_signature}: {strerror}").format(hand_signature=args.hand_signature,
                                                                    strerror=os_reason(exc))) from None
    if args.out.suffix.lower() == ".xlsx":
        from inspector.db import session_factory
        from inspector.reports.data import build_report_data
        from inspector.reports.model import with_hand_signature, with_refusal
        from inspector.reports.xlsx import write_report_xlsx

        from inspector.integrity import require_intact

        engine = store(args)
        require_intact(engine, args.inspection)
        with session_factory(engine)() as session:
            data = build_report_data(session, args.inspection)
        if png is not None:
            data = with_hand_signature(data, png)
        elif args.refused_note:
            data = with_refusal(data, args.refused_note)
        write_report_xlsx(data, args.out)
        print(_("wrote {out}: {n} findings, separate recovery and fine totals").format(out=args.out, n=len(data.findings)))
        return 0
    from inspector.reports.produce import produce_report

    from inspector.cli.common import authenticated

    actor = authenticated(args)          # producing the report is recorded ('documents.rendered')
    data, info = produce_report(store(args), args.inspection, args.out, hand_png=png, refused_note=args.refused_note,
                                actor=actor)
    state = _("approved") if data.approved else _("DRAFT (not yet approved by the team lead)")
    print(_("wrote {out}: {pages} pages, {state}").format(out=args.out, pages=info.pages, state=state))
    for f in info.signature_fields:
        print(_("  signature line {field}: {name} ({cert}), page {page}").format(
            field=f.name, name=f.signer_name, cert=f.cert_no, page=f.page + 1))
    return 0


def cmd_create_ca(args) -> int:
    from inspector.signing.ca import create_demo_ca, read_passphrase_file

    cert = create_demo_ca(args.out, read_passphrase_file(args.passphrase_file), name=args.name)
    print(_("demo CA written to {dir} (certificate {cert}, private key encrypted). Nothing trusts it yet: "
            "`trust add {cert}` makes it a trust anchor of the store").format(dir=args.out, cert=cert))
    return 0


def cmd_issue(args) -> int:
    from inspector.signing.ca import issue_key, read_passphrase_file

    issued = issue_key(args.ca, args.name, args.out, read_passphrase_file(args.passphrase_file), cert_no=args.cert_no,
                       ca_passphrase=read_passphrase_file(args.ca_passphrase_file))
    print(_("issued {file} for {name} (certificate no. {cert_no}), valid until {date}").format(
        file=issued.path, name=issued.name, cert_no=issued.cert_no or _("none"), date=f"{issued.not_after:%Y-%m-%d}"))
    return 0


def cmd_import(args) -> int:
    from inspector.signing.ca import read_passphrase_file
    from inspector.signing.keystore import import_key, keys_dir_for

    info = import_key(keys_dir_for(args.db), args.file, read_passphrase_file(args.passphrase_file))
    print(_("imported {name} (certificate no. {cert_no}), issued by {issuer}, valid until {date}: {file}").format(
        name=info.name, cert_no=info.cert_no or _("none"), issuer=info.issuer, date=info.not_after, file=info.path))
    return 0


def cmd_sign(args) -> int:
    from inspector.cli.common import actor_if_accounts, authenticated
    from inspector.signing.sign import identity_for_key, load_signer, sign_as

    if not args.file.is_file():
        raise UserError(_("{file}: no such file").format(file=args.file))
    if args.key:
        from inspector.signing.ca import read_passphrase_file
        from inspector.signing.keystore import keys_dir_for, resolve_key

        if not args.passphrase_file:
            raise UserError(_("--key needs --passphrase-file"))
        signer = load_signer(resolve_key(args.key, keys_dir_for(args.db)), read_passphrase_file(args.passphrase_file))
        actor = actor_if_accounts(args)
    else:
        actor = authenticated(args, with_key=True)
        if actor.key is None:
            raise UserError(_("{login} has no signing key yet: store a PKCS#12 key for this account first")
                            .format(login=actor.login))
        signer = actor.key.signer()
    _check_store_of(args)                              # a damaged store signs nothing
    identity = identity_for_key(args.file, signer)     # the line the key's own certificate names
    if actor is not None and (identity.name, identity.cert_no) != (actor.display_name, actor.cert_no):
        raise UserError(_("the key is {name}'s ({cert_no}): {login} signs only their own line").format(
            name=identity.name, cert_no=identity.cert_no, login=actor.login))
    result = sign_as(args.file, signer, identity, out=args.out)
    print(_("signed {file}: line {field} by {signer} at {time}").format(
        file=result.out, field=result.field, signer=result.signer, time=result.signed_at.isoformat()))
    _note_signature(args, result)
    return 0


def _check_store_of(args) -> None:
    """Refuse to sign a report of this store's inspection when the store differs from its records."""
    from inspector.db import default_store_path, open_store
    from inspector.integrity import inspection_of_pdf, require_intact

    path = Path(args.db) if getattr(args, "db", None) else default_store_path()
    if not path.is_file():
        return
    engine = open_store(path)
    inspection = inspection_of_pdf(engine, args.file.read_bytes())
    if inspection is not None:
        require_intact(engine, inspection)


def store_anchors(args) -> list[bytes]:
    """The trust anchors of the store named by --db (or $INSPECTOR_DB / the per-user store), if it exists;
    an encrypted store is opened with the command's credentials, like every command's store."""
    from inspector.cli.common import store
    from inspector.db import default_store_path
    from inspector.signing.trust import anchor_certificates

    path = Path(args.db) if args.db else default_store_path()
    if not path.is_file() or path.stat().st_size == 0:
        return []
    return anchor_certificates(store(args))


def _note_signature(args, result) -> None:
    """Follow the signature in the store that produced the report (only an existing store is opened)."""
    from inspector.db import default_store_path, open_store
    from inspector.reports.signoff import note_signature

    from inspector.cli.common import store
    from inspector.db import StoreError

    path = Path(args.db) if getattr(args, "db", None) else default_store_path()
    if not path.is_file():
        return
    try:
        engine = store(args) if getattr(args, "db", None) else open_store(path)
        note_signature(engine, Path(result.out).read_bytes(), result.field, result.signer,
                       actor=getattr(args, "_actor", None))
    except StoreError as exc:   # the signature is written; the store only follows it when it can be opened
        print(_("note: the signature was not noted in the store ({why})").format(why=exc), file=sys.stderr)


def cmd_verify(args) -> int:
    from inspector.signing.verify import verify_pdf

    if not args.file.is_file():
        raise UserError(_("{file}: no such file").format(file=args.file))
    trust: list = list(args.trust) + store_anchors(args)
    if not trust:   # the core's message names no command; the command line says how
        raise UserError(_("no trust anchor: give --trust CA.pem or add the bureau's CA certificate to the store "
                          "with `trust add CA.pem`"))
    report = verify_pdf(args.file, trust)
    if args.format == "json":
        print_json(report.to_json())
    else:
        print_table([_("line"), _("declared signer"), _("signed by"), _("signed at"), _("intact"), _("trusted")],
                    _line_rows(report))
        for problem in report.problems:
            print(_("problem: {message}").format(message=problem.message))
        print(_("OK: every declared line is signed by its person, in order, with a trusted certificate, and "
                "nothing changed after the last signature") if report.ok else _("NOT OK"))
    sys.stdout.flush()
    return 0 if report.ok else 1


def _line_rows(report) -> list[list]:
    by_field = {s.field: s for s in report.signatures}
    rows = []
    for line in report.lines:
        s = by_field.pop(line.field, None)
        rows.append([line.field, f"{line.name} ({line.cert_no})",
                     f"{s.signer} ({s.cert_no or '-'})" if s else "", s.signed_at if s else "",
                     _yes(s.intact) if s else "", _yes(s.trusted) if s else ""])
    for s in by_field.values():
        rows.append([s.field, "", f"{s.signer} ({s.cert_no or '-'})", s.signed_at, _yes(s.intact), _yes(s.trusted)])
    return rows


def cmd_trust_add(args) -> int:
    from inspector.cli.common import store
    from inspector.signing.trust import add_anchor

    from inspector.cli.common import actor_if_accounts

    anchor = add_anchor(store(args, create=True), args.file, actor=actor_if_accounts(args))
    print(_("trust anchor {cn} (SHA-256 {sha}), valid until {date}").format(
        cn=anchor.common_name, sha=anchor.sha256, date=f"{anchor.not_after:%Y-%m-%d}"))
    return 0


def cmd_trust_list(args) -> int:
    from inspector.cli.common import store
    from inspector.signing.trust import list_anchors

    from inspector.db import default_store_path

    path = Path(args.db) if args.db else default_store_path()
    # a missing store trusts nothing: say so without creating it
    anchors = list_anchors(store(args)) if path.is_file() and path.stat().st_size > 0 else []
    if args.format == "json":
        print_json([a.as_dict() for a in anchors])
        return 0
    if not anchors:
        print(_("no trust anchor: `verify` refuses every signature until `trust add CA.pem`"))
        return 0
    print_table([_("SHA-256"), _("CA"), _("valid until"), _("added at"), _("added by")],
                [[a.sha256[:16], a.common_name, f"{a.not_after:%Y-%m-%d}", f"{a.added_at:%Y-%m-%d %H:%M}", a.added_by]
                 for a in anchors])
    return 0


def cmd_trust_remove(args) -> int:
    from inspector.cli.common import store
    from inspector.signing.trust import remove_anchor

    from inspector.cli.common import actor_if_accounts

    anchor = remove_anchor(store(args), args.sha256, actor=actor_if_accounts(args))
    print(_("no longer trusted: {cn} (SHA-256 {sha})").format(cn=anchor.common_name, sha=anchor.sha256))
    return 0


def _yes(flag: bool) -> str:
    return _("yes") if flag else _("no")
