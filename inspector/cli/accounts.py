"""`account create|list|set-key`: the people who may act on this store."""
from __future__ import annotations

from pathlib import Path

from inspector.cli.common import authenticated, cached_credentials, print_json, print_table, store, store_path
from inspector.i18n import _


def register(sub, common) -> None:
    p = sub.add_parser("account", help=_("accounts of this store: create, list, set-key"))
    asub = p.add_subparsers(dest="account_command", metavar="<account command>", required=True)
    q = asub.add_parser("create", parents=[common],
                        help=_("create an account (the first one, a lead, also creates the store; later ones need a "
                             "logged-in lead)"))
    q.add_argument("login", metavar="NAME", help=_("the login (what INSPECTOR_USER takes)"))
    q.add_argument("--role", required=True, choices=["inspector", "lead", "deputy"])
    q.add_argument("--cert-no", required=True, metavar="N", help=_("enforcement certificate number"))
    q.add_argument("--password-file", required=True, type=Path, metavar="F",
                   help=_("file holding the new account's password (at least 10 characters)"))
    q.add_argument("--display-name", metavar="T", help=_("the name shown and printed (default: the login)"))
    q.add_argument("--format", choices=["table", "json"], default="table")
    q.set_defaults(func=cmd_account_create)
    q = asub.add_parser("list", parents=[common], help=_("the accounts of this store"))
    q.add_argument("--format", choices=["table", "json"], default="table")
    q.set_defaults(func=cmd_account_list)
    q = asub.add_parser("set-key", parents=[common],
                        help=_("store your PKCS#12 signing key in the store, encrypted with your password"))
    q.add_argument("file", type=Path, metavar="FILE.p12")
    q.add_argument("--passphrase-file", required=True, type=Path, metavar="F", help=_("the PKCS#12 file's passphrase"))
    q.set_defaults(func=cmd_account_set_key)
    q = asub.add_parser("recover", parents=[common],
                        help=_("open the store with its recovery key when every password is lost; with --login, set "
                             "that account's new password"))
    q.add_argument("--recovery-key-file", required=True, type=Path, metavar="F",
                   help=_("file holding the recovery key shown when the store was created"))
    q.add_argument("--login", metavar="NAME", help=_("the account whose password is reset"))
    q.add_argument("--password-file", type=Path, metavar="F", help=_("file holding that account's new password"))
    q.set_defaults(func=cmd_account_recover)


def cmd_account_create(args) -> int:
    from inspector.accounts import check_password_policy, create_account, has_accounts, read_password_file
    from inspector.storecrypt import create_encrypted_store, needs_unlock

    path = store_path(args)
    password = read_password_file(args.password_file)
    recovery = None
    if not needs_unlock(path):
        # a new store, or a plain one from before encryption: if it has no account yet, this first
        # account (a lead) creates the encrypted store, its key, its slot and the recovery key
        engine = store(args, create=True)
        with engine.connect() as conn:
            first = not has_accounts(conn)
        if first:
            if args.role != "lead":
                create_account(engine, args.login, password, args.role, args.cert_no, args.display_name, actor=None)
            check_password_policy(password)
            engine.dispose()
            engine, recovery = create_encrypted_store(path, args.login.strip(), password)
            args._engine = engine
    engine = store(args)
    with engine.connect() as conn:
        first = not has_accounts(conn)
    actor = None if first else authenticated(args)
    created = create_account(engine, args.login, password, args.role, args.cert_no, args.display_name, actor=actor)
    if recovery:
        show_recovery_key(recovery, path)
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
    login, password = cached_credentials(args)
    actor = authenticate(engine, login, password)
    try:
        p12 = args.file.read_bytes()
    except OSError as exc:
        from inspector.errors import UserError, os_reason

        raise UserError(f"{args.file}: {os_reason(exc)}") from None
    subject = set_account_key(engine, actor, password, p12, read_password_file(args.passphrase_file).encode("utf-8"))
    print(_("signing key of {login} stored in the store, encrypted with the account's password ({subject})")
          .format(login=actor.login, subject=subject))
    return 0


def show_recovery_key(recovery: str, path) -> None:
    """The recovery key, shown this once: it opens the store when every password is lost."""
    print(_("RECOVERY KEY of {path} (shown only now; write it down and keep it apart from the laptop; it opens "
            "the store when every password is lost): {key}").format(path=path, key=recovery))


def cmd_account_recover(args) -> int:
    from inspector.accounts import recover_with_key
    from inspector.keyslots import read_secret_file
    from inspector.storecrypt import unlock_with_recovery

    path = store_path(args)
    key = read_secret_file(args.recovery_key_file, _("recovery key"))
    if bool(args.login) != bool(args.password_file):
        from inspector.errors import UserError

        raise UserError(_("give --login and --password-file together (the account and its new password)"))
    engine = unlock_with_recovery(path, key)
    args._engine = engine
    new_password = None
    if args.login:
        from inspector.accounts import read_password_file

        new_password = read_password_file(args.password_file)
    recover_with_key(engine, args.login, new_password)
    if args.login:
        print(_("store {path} opened with the recovery key; the password of {login} was reset").format(
            path=path, login=args.login))
    else:
        print(_("store {path} opened with the recovery key").format(path=path))
    return 0
