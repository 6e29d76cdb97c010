"""The command line: `python main.py <command>`. Each module registers its commands."""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from inspector.db import StoreError
from inspector.errors import UserError
from inspector.progress import Cancelled

# Modules under inspector.cli that define `register(subparsers, common)`.
COMMAND_MODULES: tuple[str, ...] = ("data", "demo", "checks", "audit", "sync", "xlsx", "screening", "walkthrough", "documents", "upload",
                                   "planning", "record", "integrity", "accounts", "exchange")


def build_parser(extra: Sequence[Callable[[argparse._SubParsersAction, argparse.ArgumentParser], None]] = ()) -> argparse.ArgumentParser:
    """The full parser; `extra` registrars add commands from outside the core (the GUI)."""
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a --db given at any level of nested subcommands is kept, never reset by a default
    common.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS,
                        help="local store file (default: per-user data dir or $INSPECTOR_DB)")
    parser = argparse.ArgumentParser(
        # `inspector` when run from the packaged application, `main.py` from a checkout
        prog="inspector" if getattr(sys, "frozen", False) else "main.py",
        description="Inspector: on-site inspection of medical-insurance fund use.",
    )
    sub = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"inspector.cli.{name}").register(sub, common)
    for registrar in extra:
        registrar(sub, common)
    return parser


def run(argv: Sequence[str] | None = None, extra=()) -> int:
    """Parse `argv`, run the command, map user-facing errors to exit code 2."""
    import os

    from inspector.i18n import LANGUAGES, set_language
    from inspector.tempfiles import exit_cleanly_on_signals

    if os.environ.get("INSPECTOR_LANG") in LANGUAGES:   # the CLI's language switch (default zh_CN)
        set_language(os.environ["INSPECTOR_LANG"])
    parser = build_parser(extra)
    args = parser.parse_args(argv)
    exit_cleanly_on_signals()  # temporary files are removed on SIGTERM / SIGHUP too
    if not hasattr(args, "db"):
        args.db = None
    try:
        return int(args.func(args) or 0)
    except (UserError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Cancelled:
        print("cancelled; nothing was changed", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("interrupted; nothing was changed", file=sys.stderr)
        return 130
