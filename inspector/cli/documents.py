"""Document commands: `report`, `keys create-demo-ca|issue|import`, `sign`, `verify`."""
from __future__ import annotations

import sys
from pathlib import Path

from inspector.cli.common import print_json, print_table
from inspector.errors import UserError
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
    k = ksub.add_parser("create-demo-ca", parents=[common], help=_("create a demo bureau CA in DIR"))
    k.add_argument("--out", type=Path, required=True, metavar="DIR")
    k.add_argument("--name", default="Demo Medical Security Bureau CA", help=_("the CA's common name"))
    k.set_defaults(func=cmd_create_ca)
    k = ksub.add_parser("issue", help=_("issue an inspector's key and certificate from a demo CA"))
    k.add_argument("--ca", type=Path, required=True, metavar="DIR")
    k.add_argument("--name", required=True)
    k.add_argument("--cert-no", metavar="N", help=_("the inspector's enforcement certificate number"))
    k.add_argument("--out", type=Path, required=True, metavar="FILE.p12")
    k.add_argument("--passphrase-file", type=Path, required=True, metavar="F")
    k.set_defaults(func=cmd_issue)
    k = ksub.add_parser("import", parents=[common], help=_("import a PKCS#12 key (and trust its CA)"))
    k.add_argument("file", type=Path, metavar="FILE.p12")
    k.add_argument("--passphrase-file", type=Path, required=True, metavar="F")
    k.add_argument("--ca", type=Path, metavar="CA.pem", help=_("also trust this CA certificate for `verify`"))
    k.set_defaults(func=cmd_import)

    p = sub.add_parser("sign", parents=[common], help=_("sign a PDF with a PKCS#12 key (incremental PAdES)"))
    p.add_argument("file", type=Path, metavar="FILE.pdf")
    p.add_argument("--key", required=True, metavar="KEY.p12", help=_("a .p12 file or the name of an imported key"))
    p.add_argument("--passphrase-file", type=Path, required=True, metavar="F")
    p.add_argument("--out", type=Path, metavar="SIGNED.pdf", help=_("default: sign FILE.pdf in place"))
    p.add_argument("--field", help=_("the signature line to sign (default: the key holder's line)"))
    p.set_defaults(func=cmd_sign)

    p = sub.add_parser("verify", parents=[common], help=_("check every signature of a PDF"))
    p.add_argument("file", type=Path, metavar="FILE.pdf")
    p.add_argument("--trust", type=Path, action="append", default=[], metavar="CA.pem",
                   help=_("trusted CA certificate (repeatable; default: the CAs configured in the key directory)"))
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_verify)


def cmd_report(args) -> int:
    from inspector.cli.common import store

    if args.hand_signature and args.refused_note:
        raise UserError(_('give either --hand-signature or --refused-note, not both'))
    png = None
    if args.hand_signature:
        try:
            png = args.hand_signature.read_bytes()
        except OSError as exc:
            raise UserError(_('{hand_signature}: {strerror}').format(hand_signature=args.hand_signature, strerror=exc.strerror)) from None
    if args.out.suffix.lower() == ".xlsx":
        from inspector.db import session_factory
        from inspector.reports.data import build_report_data
        from inspector.reports.model import with_hand_signature, with_refusal
        from inspector.reports.xlsx import write_report_xlsx

        with session_factory(store(args))() as session:
            data = build_report_data(session, args.inspection)
        if png is not None:
            data = with_hand_signature(data, png)
        elif args.refused_note:
            data = with_refusal(data, args.refused_note)
        write_report_xlsx(data, args.out)
        print(_("wrote {out}: {n} findings, separate recovery and fine totals").format(out=args.out, n=len(data.findings)))
        return 0
    from inspector.reports.produce import produce_report

    data, info = produce_report(store(args), args.inspection, args.out, hand_png=png, refused_note=args.refused_note)
    state = _("approved") if data.approved else _("DRAFT (not yet approved by the team lead)")
    print(_("wrote {out}: {pages} pages, {state}").format(out=args.out, pages=info.pages, state=state))
    for f in info.signature_fields:
        print(_("  signature line {field}: {name} ({cert}), page {page}").format(
            field=f.name, name=f.signer_name, cert=f.cert_no, page=f.page + 1))
    return 0


def cmd_create_ca(args) -> int:
    from inspector.signing.ca import create_demo_ca
    from inspector.signing.keystore import add_trusted_ca, keys_dir_for

    cert = create_demo_ca(args.out, name=args.name)
    trusted = add_trusted_ca(keys_dir_for(args.db), cert)
    print(_("demo CA written to {out} (certificate {cert}); `verify` now trusts it ({trusted})").format(
        out=args.out, cert=cert, trusted=trusted))
    return 0


def cmd_issue(args) -> int:
    from inspector.signing.ca import issue_key, read_passphrase_file

    issued = issue_key(args.ca, args.name, args.out, read_passphrase_file(args.passphrase_file), cert_no=args.cert_no)
    print(_("issued {path} for {name}{cert}, valid until {until}").format(
        path=issued.path, name=issued.name,
        cert=_(" (certificate no. {n})").format(n=issued.cert_no) if issued.cert_no else "",
        until=f"{issued.not_after:%Y-%m-%d}"))
    return 0


def cmd_import(args) -> int:
    from inspector.signing.ca import read_passphrase_file
    from inspector.signing.keystore import add_trusted_ca, import_key, keys_dir_for

    folder = keys_dir_for(args.db)
    info = import_key(folder, args.file, read_passphrase_file(args.passphrase_file))
    print(_("imported {name}{cert}, issued by {issuer}, valid until {until}: {path}").format(
        name=info.name, cert=f" ({info.cert_no})" if info.cert_no else "", issuer=info.issuer,
        until=info.not_after, path=info.path))
    if args.ca:
        print(_("trusting {ca}").format(ca=add_trusted_ca(folder, args.ca)))
    return 0


def cmd_sign(args) -> int:
    from inspector.signing.ca import read_passphrase_file
    from inspector.signing.keystore import keys_dir_for, resolve_key
    from inspector.signing.sign import sign_pdf

    if not args.file.is_file():
        raise UserError(_('{file}: no such file').format(file=args.file))
    key = resolve_key(args.key, keys_dir_for(args.db))
    result = sign_pdf(args.file, key, read_passphrase_file(args.passphrase_file), out=args.out, field=args.field)
    print(_("signed {out}: line {field} by {signer} at {at}").format(
        out=result.out, field=result.field, signer=result.signer, at=result.signed_at.strftime("%Y-%m-%d %H:%M:%S")))
    _note_signature(args, result)
    return 0


def _note_signature(args, result) -> None:
    """Follow the signature in the store that produced the report (only an existing store is opened)."""
    from inspector.db import default_store_path, open_store
    from inspector.reports.signoff import note_signature

    path = Path(args.db) if getattr(args, "db", None) else default_store_path()
    if not path.is_file():
        return
    note_signature(open_store(path), Path(result.out).read_bytes(), result.field, result.signer)


def cmd_verify(args) -> int:
    from inspector.signing.keystore import configured_trust, keys_dir_for
    from inspector.signing.verify import verify_pdf

    if not args.file.is_file():
        raise UserError(_('{file}: no such file').format(file=args.file))
    trust = list(args.trust) or configured_trust(keys_dir_for(args.db))
    report = verify_pdf(args.file, trust)
    if args.format == "json":
        print_json(report.to_json())
    else:
        print_table([_("signature line"), _("signer"), _("signed at"), _("intact"), _("trusted"),
                     _("covers the whole file")],
                    [[s.field, s.signer, s.signed_at, _yes(s.intact), _yes(s.trusted), _yes(s.covers_whole_file)]
                     for s in report.signatures])
        for problem in report.problems:
            print(_("problem: {problem}").format(problem=problem))
        print(_("OK: every signature intact, nothing changed after the last one") if report.ok else _("NOT OK"))
    sys.stdout.flush()
    return 0 if report.ok else 1


def _yes(flag: bool) -> str:
    return _("yes") if flag else _("no")
