"""Shared helpers of the CLI modules: opening the store, parsing dates, printing JSON."""
from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from inspector.coltypes import DATE_FORMAT, TIMESTAMP_FORMAT
from inspector.db import default_store_path
from inspector.errors import UserError
from inspector.i18n import _


_opened: Path | None = None


def store(args, *, create: bool = False) -> Engine:
    """The store named by --db (or the default), one engine per command run; only commands that
    create one pass `create` (a read command never creates a store or its folder: a missing one is
    a StoreError). An encrypted store is unlocked with the credentials of the person running the
    command (`credentials`), asked once per command."""
    global _opened
    engine = getattr(args, "_engine", None)
    if engine is None:
        from inspector.db import StoreError
        from inspector.i18n import N_
        from inspector.storecrypt import open_with_credentials

        _opened = store_path(args)
        if _opened.is_dir():
            raise StoreError(N_("{path} is a folder, not a store file; nothing was changed."), path=_opened)
        if not create and not _opened.exists():
            raise StoreError(N_("there is no Inspector store at {path}; nothing was created. "
                                "A sync, an Excel import or the demo creates one."), path=_opened)
        # an encrypted store is opened with the store key unwrapped from the user's key slot:
        # the same INSPECTOR_USER / INSPECTOR_PASSWORD_FILE (or prompt) the command authenticates with
        engine = open_with_credentials(_opened, lambda: cached_credentials(args))
        args._engine = engine
    return engine


def opened_store_path() -> Path | None:
    """The store the current command opened (for wording SQLite's refusals)."""
    return _opened


def store_path(args):
    return Path(args.db) if getattr(args, "db", None) else default_store_path()


def cached_credentials(args) -> tuple[str, str]:
    """`credentials()`, asked once per command run (opening the store and logging in use them both)."""
    cached = getattr(args, "_credentials", None)
    if cached is None:
        cached = credentials()
        args._credentials = cached
    return cached


USER_ENV = "INSPECTOR_USER"
PASSWORD_FILE_ENV = "INSPECTOR_PASSWORD_FILE"


def credentials(*, prompt_login: str = "login: ", prompt_password: str = "password: ") -> tuple[str, str]:
    """(login, password) from $INSPECTOR_USER and the file named by $INSPECTOR_PASSWORD_FILE, or asked on
    the terminal (the password with a hidden prompt); never from the command line."""
    import getpass
    import os

    from inspector.accounts import read_password_file
    from inspector.i18n import _

    login = (os.environ.get(USER_ENV) or "").strip()
    pw_file = os.environ.get(PASSWORD_FILE_ENV)
    interactive = sys.stdin.isatty()
    if not login:
        if not interactive:
            raise UserError(_("who is acting? set INSPECTOR_USER to your login and INSPECTOR_PASSWORD_FILE to a "
                              "file holding your password, or run the command in a terminal"))
        login = input(_("login: ")).strip()
    if pw_file:
        password = read_password_file(pw_file)
    elif interactive:
        password = getpass.getpass(_("password for {login}: ").format(login=login))
    else:
        raise UserError(_("no password: set INSPECTOR_PASSWORD_FILE to a file holding the password of {login}, "
                          "or run the command in a terminal").format(login=login))
    return login, password


def authenticated(args, *, with_key: bool = False):
    """The Actor of the person running this command, authenticated against the store of `--db`.

    Every command that changes the store calls this once; the Actor is then passed to the core."""
    from inspector.accounts import authenticate, has_accounts
    from inspector.i18n import _

    cached = getattr(args, "_actor", None)
    if cached is not None and (cached.key is not None or not with_key):
        return cached
    engine = store(args)
    with engine.connect() as conn:
        if not has_accounts(conn):
            raise UserError(_("this store has no account yet: create the first (the team lead) with "
                              "`account create LOGIN --role lead --cert-no N --password-file F`"))
    login, password = cached_credentials(args)
    actor = authenticate(engine, login, password, with_key=with_key)
    args._actor = actor
    return actor


def parse_date(text: str, what: str) -> date:
    try:
        return datetime.strptime(text, DATE_FORMAT).date()
    except ValueError:
        raise UserError(_("{what}: '{text}' is not a date YYYY-MM-DD").format(what=what, text=text)) from None


def parse_timestamp(text: str, what: str) -> datetime:
    try:
        return datetime.strptime(text, TIMESTAMP_FORMAT)
    except ValueError:
        raise UserError(_("{what}: '{text}' is not a time 'YYYY-MM-DD HH:MM:SS'").format(what=what, text=text)) from None


def _default(o: Any) -> Any:
    if isinstance(o, Decimal):
        return str(o)
    if isinstance(o, datetime):
        return o.strftime(TIMESTAMP_FORMAT)
    if isinstance(o, date):
        return o.strftime(DATE_FORMAT)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def print_json(value: Any) -> None:
    """`value` as JSON on stdout: an object's members and a list's elements one per line, each
    encoded by the C encoder (an indenting encoder runs in Python: seconds for thousands of leads).
    A member may be an iterator (e.g. leads read from the store as they are printed): it is written
    as a list, element by element, never held whole."""
    enc = json.JSONEncoder(ensure_ascii=False, default=_default, separators=(", ", ": "))
    out = sys.stdout

    def write(v: Any, pad: str, tail: str) -> None:
        """`v` at indentation `pad`, then `tail`; a non-empty list or iterator one element a line."""
        if isinstance(v, Iterator):
            first = next(v, _NOTHING)
            v = [] if first is _NOTHING else itertools.chain([first], v)
        elif not isinstance(v, list):
            out.write(enc.encode(v) + tail)
            return
        if isinstance(v, list) and not v:
            out.write("[]" + tail)
            return
        out.write("[")
        buf: list[str] = []
        for i, element in enumerate(v):
            buf.append(f"{',' if i else ''}\n{pad}  {enc.encode(element)}")
            if len(buf) >= 1000:
                out.write("".join(buf))
                buf.clear()
        out.write("".join(buf) + f"\n{pad}]{tail}")

    if isinstance(value, dict) and value:
        out.write("{\n")
        for i, (k, v) in enumerate(value.items()):
            out.write(f"  {enc.encode(k)}: ")
            write(v, "  ", ("," if i < len(value) - 1 else "") + "\n")
        out.write("}\n")
    else:
        write(value, "", "\n")


_NOTHING = object()


def print_table(headers: list[str], rows: list[list[Any]]) -> None:
    """A plain aligned table; widths count CJK characters as two columns."""
    import unicodedata

    def width(s: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)

    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(width(r[i]) for r in cells) for i in range(len(headers))]
    for n, r in enumerate(cells):
        print("  ".join(c + " " * (widths[i] - width(c)) for i, c in enumerate(r)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def actor_if_accounts(args):
    """The logged-in Actor when the store of --db (or the default one) exists and has accounts; None on a
    store without accounts yet (signing with a key file, trust anchors set up before the first account)."""
    from inspector.accounts import has_accounts

    path = store_path(args)
    if not path.is_file() or path.stat().st_size == 0:
        return None
    with store(args).connect() as conn:
        if not has_accounts(conn):
            return None
    return authenticated(args)
