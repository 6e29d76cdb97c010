"""`account create|list|set-key`: the people who may act on this store."""
from __future__ import annotations

from pathlib import Path

from inspector.cli.common import authenticated, credentials, print_json, print_table, store
from inspector.i18n import _


def register(sub, common) -> None:
    p = sub.add_parser("account", help="accounts of this store: create, list, set-key")
    asub = p.add_subparsers(dest="account_command", metavar="<account command>", required=True)
    q = asub.add_parser("create", parents=[common],
                        help="create an account (the first one, a lead, also creates the store; later ones need a "
                             "logged-in lead)")
    q.add_argument("login", metavar="NAME", help="the login (what INSPECTOR_USER takes)")
    q.add_argument("--role", required=True, choices=["inspector", "lead", "deputy"])
    q.add_argument("--cert-no", required=True, metavar="N", help="enforcement certificate number (执法证号)")
    q.add_argument("--password-file", required=True, type=Path, metavar="F",
                   help="file holding the new account's password (at least 10 characters)")
    q.add_argument("--display-name", metavar="T", help="the name shown and printed (default: the login)")
    q.add_argument("--format", choices=["table", "json"], default="table")
    q.set_defaults(func=cmd_account_create)
    q = asub.add_parser("list", parents=[common], help="the accounts of this store")
    q.add_argument("--format", choices=["table", "json"], default="table")
    q.set_defaults(func=cmd_account_list)
    q = asub.add_parser("set-key", parents=[common],
                        help="store your PKCS#12 signing key in the store, encrypted with your password")
    q.add_argument("file", type=Path, metavar="FILE.p12")
    q.add_argument("--passphrase-file", required=True, type=Path, metavar="F", help="the PKCS#12 file's passphrase")
    q.set_defaults(func=cmd_account_set_key)


def cmd_account_create(args) -> int:
    from inspector.accounts import create_account, has_accounts, read_password_file

    engine = store(args)
    with engine.connect() as conn:
        first = not has_accounts(conn)
    actor = None if first else authenticated(args)
    created = create_account(engine, args.login, read_password_file(args.password_file), args.role, args.cert_no,
                             args.display_name, actor=actor)
    if args.format == "json":
        print_json({"account_id": created.account_id, "login": created.login, "display_name": created.display_name,
                    "role": created.role, "cert_no": created.cert_no})
    else:
        print(_("created account {login} ({name}, {role}, certificate {cert}) in {db}").format(
            login=created.login, name=created.display_name, role=_(created.role), cert=created.cert_no,
            db=engine.url.database))
    return 0


def cmd_account_list(args) -> int:
    from inspector.accounts import list_accounts

    with store(args).connect() as conn:
        accounts = list_accounts(conn)
    if args.format == "json":
        print_json([a.as_dict() for a in accounts])
        return 0
    print_table([_("login"), _("full name"), _("role"), _("certificate"), _("signing key"), _("created")],
                [[a.login, a.display_name, _(a.role), a.cert_no, a.key_subject or "", a.created_at] for a in accounts])
    return 0


def cmd_account_set_key(args) -> int:
    from inspector.accounts import authenticate, read_password_file, set_account_key

    engine = store(args)
    login, password = credentials()
    actor = authenticate(engine, login, password)
    try:
        p12 = args.file.read_bytes()
    except OSError as exc:
        from inspector.errors import UserError

        raise UserError(f"{args.file}: {exc.strerror}") from None
    subject = set_account_key(engine, actor, password, p12, read_password_file(args.passphrase_file).encode("utf-8"))
    print(_("signing key of {login} stored in the store, encrypted with the account's password ({subject})")
          .format(login=actor.login, subject=subject))
    return 0
