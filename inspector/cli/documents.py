"""Document commands: `report`, `keys create-demo-ca|issue|import`, `sign`, `verify`."""
from __future__ import annotations

import sys
from pathlib import Path

from inspector.cli.common import print_json, print_table
from inspector.errors import UserError


def register(sub, common) -> None:
    p = sub.add_parser("report", parents=[common], help="render the inspection documents as PDF")
    p.add_argument("--inspection", type=int, required=True, metavar="ID")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.pdf",
                   help="FILE.pdf: the documents; FILE.xlsx: the findings list and appendices as a workbook")
    p.add_argument("--hand-signature", type=Path, metavar="PNG",
                   help="the representative's signature image (from the signature pad)")
    p.add_argument("--refused-note", metavar="TEXT",
                   help="the representative refused to sign: the inspectors' note recorded instead")
    p.set_defaults(func=cmd_report)

    keys = sub.add_parser("keys", help="signing keys: demo CA, issue, import")
    ksub = keys.add_subparsers(dest="keys_command", metavar="<keys command>", required=True)
    k = ksub.add_parser("create-demo-ca", parents=[common], help="create a demo bureau CA in DIR")
    k.add_argument("--out", type=Path, required=True, metavar="DIR")
    k.add_argument("--name", default="Demo Medical Security Bureau CA", help="the CA's common name")
    k.set_defaults(func=cmd_create_ca)
    k = ksub.add_parser("issue", help="issue an inspector's key and certificate from a demo CA")
    k.add_argument("--ca", type=Path, required=True, metavar="DIR")
    k.add_argument("--name", required=True)
    k.add_argument("--cert-no", metavar="N", help="the inspector's enforcement certificate number")
    k.add_argument("--out", type=Path, required=True, metavar="FILE.p12")
    k.add_argument("--passphrase-file", type=Path, required=True, metavar="F")
    k.set_defaults(func=cmd_issue)
    k = ksub.add_parser("import", parents=[common], help="import a PKCS#12 key (and trust its CA)")
    k.add_argument("file", type=Path, metavar="FILE.p12")
    k.add_argument("--passphrase-file", type=Path, required=True, metavar="F")
    k.add_argument("--ca", type=Path, metavar="CA.pem", help="also trust this CA certificate for `verify`")
    k.set_defaults(func=cmd_import)

    p = sub.add_parser("sign", parents=[common],
                       help="sign a PDF as the logged-in account, on your own signature line (incremental PAdES)")
    p.add_argument("file", type=Path, metavar="FILE.pdf")
    p.add_argument("--out", type=Path, metavar="SIGNED.pdf", help="default: sign FILE.pdf in place")
    p.set_defaults(func=cmd_sign)

    p = sub.add_parser("verify", parents=[common], help="check every signature of a PDF")
    p.add_argument("file", type=Path, metavar="FILE.pdf")
    p.add_argument("--trust", type=Path, action="append", default=[], metavar="CA.pem",
                   help="trusted CA certificate (repeatable; default: the CAs configured in the key directory)")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_verify)


def cmd_report(args) -> int:
    from inspector.cli.common import store

    if args.hand_signature and args.refused_note:
        raise UserError("give either --hand-signature or --refused-note, not both")
    png = None
    if args.hand_signature:
        try:
            png = args.hand_signature.read_bytes()
        except OSError as exc:
            raise UserError(f"{args.hand_signature}: {exc.strerror}") from None
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
        print(f"wrote {args.out}: {len(data.findings)} findings, separate recovery and fine totals")
        return 0
    from inspector.reports.produce import produce_report

    from inspector.cli.common import authenticated

    actor = authenticated(args)          # producing the report is recorded ('documents.rendered')
    data, info = produce_report(store(args), args.inspection, args.out, hand_png=png, refused_note=args.refused_note,
                                actor=actor)
    state = "approved" if data.approved else "DRAFT (not yet approved by the team lead)"
    print(f"wrote {args.out}: {info.pages} pages, {state}")
    for f in info.signature_fields:
        print(f"  signature line {f.name}: {f.signer_name} ({f.cert_no}), page {f.page + 1}")
    return 0


def cmd_create_ca(args) -> int:
    from inspector.signing.ca import create_demo_ca
    from inspector.signing.keystore import add_trusted_ca, keys_dir_for

    cert = create_demo_ca(args.out, name=args.name)
    trusted = add_trusted_ca(keys_dir_for(args.db), cert)
    print(f"demo CA written to {args.out} (certificate {cert}); `verify` now trusts it ({trusted})")
    return 0


def cmd_issue(args) -> int:
    from inspector.signing.ca import issue_key, read_passphrase_file

    issued = issue_key(args.ca, args.name, args.out, read_passphrase_file(args.passphrase_file), cert_no=args.cert_no)
    print(f"issued {issued.path} for {issued.name}"
          + (f" (certificate no. {issued.cert_no})" if issued.cert_no else "")
          + f", valid until {issued.not_after:%Y-%m-%d}")
    return 0


def cmd_import(args) -> int:
    from inspector.signing.ca import read_passphrase_file
    from inspector.signing.keystore import add_trusted_ca, import_key, keys_dir_for

    folder = keys_dir_for(args.db)
    info = import_key(folder, args.file, read_passphrase_file(args.passphrase_file))
    print(f"imported {info.name}" + (f" ({info.cert_no})" if info.cert_no else "")
          + f", issued by {info.issuer}, valid until {info.not_after}: {info.path}")
    if args.ca:
        print(f"trusting {add_trusted_ca(folder, args.ca)}")
    return 0


def cmd_sign(args) -> int:
    from inspector.cli.common import authenticated
    from inspector.signing.sign import sign_pdf

    if not args.file.is_file():
        raise UserError(f"{args.file}: no such file")
    actor = authenticated(args, with_key=True)
    if actor.key is None:
        raise UserError(f"{actor.login} has no signing key in this store: "
                        "`account set-key FILE.p12 --passphrase-file F` (as yourself) stores it")
    result = sign_pdf(args.file, actor.key.signer(), None, out=args.out)
    print(f"signed {result.out}: field {result.field} by {result.signer} at {result.signed_at.isoformat()}")
    _note_signature(args, result)
    return 0


def _note_signature(args, result) -> None:
    """Follow the signature in the store that produced the report (only an existing store is opened)."""
    from inspector.db import default_store_path, open_store
    from inspector.reports.signoff import note_signature

    path = Path(args.db) if getattr(args, "db", None) else default_store_path()
    if not path.is_file():
        return
    note_signature(open_store(path), Path(result.out).read_bytes(), result.field, result.signer,
                   actor=getattr(args, "_actor", None))


def cmd_verify(args) -> int:
    from inspector.signing.keystore import configured_trust, keys_dir_for
    from inspector.signing.verify import verify_pdf

    if not args.file.is_file():
        raise UserError(f"{args.file}: no such file")
    trust = list(args.trust) or configured_trust(keys_dir_for(args.db))
    report = verify_pdf(args.file, trust)
    if args.format == "json":
        print_json(report.to_json())
    else:
        print_table(["field", "signer", "signed at", "intact", "trusted", "covers whole file"],
                    [[s.field, s.signer, s.signed_at, _yes(s.intact), _yes(s.trusted), _yes(s.covers_whole_file)]
                     for s in report.signatures])
        for problem in report.problems:
            print(f"problem: {problem}")
        print("OK: every signature intact, nothing changed after the last one" if report.ok else "NOT OK")
    sys.stdout.flush()
    return 0 if report.ok else 1


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
