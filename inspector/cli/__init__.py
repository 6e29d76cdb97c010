"""The command line: `python main.py <command>`. Each module registers its commands.

This module is the CLI's one error boundary (ARCHITECTURE.md, convention 17):
- a `UserError` (bad input, an impossible request; `StoreError` included) prints one message
  in the user's language and exits 2, and nothing was changed;
- SQLite's own refusals (a read-only store, a busy one, a full disk) are worded the same way;
- output cut short by a closed pipe (`| head`) ends quietly;
- anything else is a bug: one line says so and where the details went (a debug log in the
  per-user log directory), exit 70; a traceback never reaches the terminal.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from inspector import i18n
from inspector.errors import UserError
from inspector.i18n import N_, _
from inspector.progress import Cancelled

# Modules under inspector.cli that define `register(subparsers, common)`.
COMMAND_MODULES: tuple[str, ...] = ("data", "demo", "checks", "audit", "sync", "xlsx", "screening", "walkthrough", "documents", "upload",
                                   "planning", "record", "integrity", "accounts", "exchange")

EXIT_USER_ERROR = 2
EXIT_BUG = 70          # EX_SOFTWARE: an internal error, details in the debug log
EXIT_INTERRUPTED = 130


def language_from_env(environ: os._Environ | dict[str, str] | None = None) -> str:
    """The CLI's language: $INSPECTOR_LANG (zh_CN or en) if set, else LC_ALL, LC_MESSAGES or LANG
    (the first set): en_* is English, zh_* Chinese, anything else the default, Simplified Chinese."""
    env = os.environ if environ is None else environ
    if env.get("INSPECTOR_LANG") in i18n.LANGUAGES:       # the application's own switch comes first
        return env["INSPECTOR_LANG"]
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = (env.get(var) or "").strip()
        if value:
            if value.lower().startswith("en"):
                return "en"
            if value.lower().startswith("zh"):
                return "zh_CN"
            return i18n.DEFAULT_LANGUAGE
    return i18n.DEFAULT_LANGUAGE


def _normalise_language(value: str) -> str:
    v = value.strip().replace("-", "_").lower()
    if v in ("en", "english") or v.startswith("en_"):
        return "en"
    if v in ("zh", "zh_cn", "cn", "chinese") or v.startswith("zh_"):
        return "zh_CN"
    raise UserError(N_("--lang {value}: the languages are zh_CN (Simplified Chinese) and en (English)"), value=value)


def _take_language(argv: list[str]) -> tuple[list[str], str | None]:
    """Remove every `--lang X` / `--lang=X` (before a bare `--`) from argv; return the last value."""
    out: list[str] = []
    lang: str | None = None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            out.extend(argv[i:])
            break
        if a == "--lang":
            if i + 1 >= len(argv):
                raise UserError(N_("--lang needs a language: zh_CN or en"))
            lang = _normalise_language(argv[i + 1])
            i += 2
            continue
        if a.startswith("--lang="):
            lang = _normalise_language(a.split("=", 1)[1])
            i += 1
            continue
        out.append(a)
        i += 1
    return out, lang


def _check_text(argv: Sequence[str]) -> None:
    """Every argument must be text: bytes that are not UTF-8 arrive as lone surrogates."""
    for n, arg in enumerate(argv, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            raise UserError(N_("argument {n} ('{shown}') is not valid UTF-8 text; nothing was changed."),
                            n=n, shown=shown) from None


def _translate_argparse() -> None:
    """argparse's own texts (usage, errors, section titles) through our catalogs."""
    argparse._ = i18n.gettext  # type: ignore[attr-defined]

    def ngettext(singular: str, plural: str, n: int) -> str:
        return i18n.gettext(singular if n == 1 else plural)

    argparse.ngettext = ngettext  # type: ignore[attr-defined]


class _Parser(argparse.ArgumentParser):
    """argparse with the error line in the user's language, prefixed the way the boundary does."""

    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USER_ERROR, _("error: {message}").format(message=f"{self.prog}: {message}") + "\n")


def build_parser(extra: Sequence[Callable[[argparse._SubParsersAction, argparse.ArgumentParser], None]] = ()) -> argparse.ArgumentParser:
    """The full parser; `extra` registrars add commands from outside the core (the GUI)."""
    _translate_argparse()
    common = _Parser(add_help=False)
    # SUPPRESS: a --db given at any level of nested subcommands is kept, never reset by a default
    common.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS,
                        help=_("local store file (default: per-user data dir or $INSPECTOR_DB)"))
    parser = _Parser(
        # `inspector` when run from the packaged application, `main.py` from a checkout
        prog="inspector" if getattr(sys, "frozen", False) else "main.py",
        description=_("Inspector: on-site inspection of medical-insurance fund use."),
    )
    parser.add_argument("--lang", metavar="zh_CN|en",
                        help=_("language of the output (default: from LC_ALL/LANG; zh_CN unless English is set)"))
    sub = parser.add_subparsers(dest="command", metavar="<command>", required=True, parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(f"inspector.cli.{name}").register(sub, common)
    for registrar in extra:
        registrar(sub, common)
    return parser


def debug_log_path() -> Path:
    """Where unexpected errors and library warnings go: $INSPECTOR_LOG_DIR or the user log dir."""
    folder = os.environ.get("INSPECTOR_LOG_DIR")
    if not folder:
        from platformdirs import user_log_dir

        folder = user_log_dir("Inspector", appauthor=False)
    return Path(folder) / "inspector-debug.log"


def _write_debug_log(exc: BaseException, argv: Sequence[str]) -> Path | None:
    path = debug_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8", errors="backslashreplace") as f:
            f.write(f"--- {datetime.now().isoformat(timespec='seconds')} main.py {' '.join(argv)}\n")
            f.write("".join(traceback.format_exception(exc)))
        return path
    except OSError:
        return None


_logging_ready = False


def _configure_logging() -> None:
    """Library log records (pyHanko's, SQLAlchemy's) go to the debug log, never to the terminal.

    Done once per process, by the first `run`.
    """
    import logging

    global _logging_ready
    if _logging_ready:
        return
    _logging_ready = True

    path = debug_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, delay=True, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)


def _quiet_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so the interpreter's final flush is silent."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _say(text: str) -> None:
    try:
        print(text, file=sys.stderr)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _store_error(exc: BaseException) -> UserError | None:
    from inspector.cli.common import opened_store_path
    from inspector.db import store_write_error

    return store_write_error(exc, opened_store_path())


def _end_session(args) -> None:
    """A command run is a session (its credentials are asked once): when it acted as an account
    with a signing key and the event chains moved, the account signs their heads
    (inspector/anchors.py). Never changes the command's outcome; a refusal is printed."""
    actor = getattr(args, "_actor", None)
    engine = getattr(args, "_engine", None)
    if actor is None or engine is None:
        return
    from inspector.anchors import end_session

    creds = getattr(args, "_credentials", None)
    try:
        end_session(engine, actor, creds[1] if creds else None)
    except UserError as exc:
        print(_("note: the event log's heads were not signed: {why}").format(why=exc), file=sys.stderr)
    except Exception as exc:  # noqa: BLE001 - never turn the command's outcome into a failure
        _write_debug_log(exc, sys.argv[1:])
        print(_("note: the event log's heads were not signed: {why}").format(
            why=_("the store could not be written just now")), file=sys.stderr)


def run(argv: Sequence[str] | None = None, extra=()) -> int:
    """Parse `argv`, run the command; the one place errors become messages and exit codes.

    `--lang` switches the language for this run; without it the language in effect is kept
    (`main` sets it from the environment first).
    """
    import sqlite3

    from sqlalchemy.exc import OperationalError

    raw = list(sys.argv[1:] if argv is None else argv)
    _configure_logging()
    if os.environ.get("INSPECTOR_LANG") in i18n.LANGUAGES:   # the application's own switch
        i18n.set_language(os.environ["INSPECTOR_LANG"])
    try:
        args_list, lang = _take_language(raw)
        if lang:
            i18n.set_language(lang)
        _check_text(args_list)
        parser = build_parser(extra)
        args = parser.parse_args(args_list)
        from inspector.tempfiles import exit_cleanly_on_signals

        exit_cleanly_on_signals()  # temporary files are removed on SIGTERM / SIGHUP too
        if not hasattr(args, "db"):
            args.db = None
        try:
            code = int(args.func(args) or 0)
        finally:
            _end_session(args)
        sys.stdout.flush()
        return code
    except UserError as exc:
        _say(_("error: {message}").format(message=exc.message))
        return EXIT_USER_ERROR
    except Cancelled:
        _say(_("cancelled; nothing was changed"))
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        _say(_("interrupted; nothing was changed"))
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _quiet_stdout()        # the reader (e.g. `head`) has what it wanted
        return 0
    except (OperationalError, sqlite3.OperationalError) as exc:
        err = _store_error(exc)
        if err is not None:
            _say(_("error: {message}").format(message=err.message))
            return EXIT_USER_ERROR
        return _bug(exc, raw)
    except OSError as exc:
        from inspector.errors import ENVIRONMENT_ERRNOS, os_reason

        if exc.filename is not None:
            _say(_("error: {message}").format(message=_("{file}: {reason}").format(file=exc.filename,
                                                                                   reason=os_reason(exc))))
            return EXIT_USER_ERROR
        if exc.errno in ENVIRONMENT_ERRNOS:     # the disk or the medium refused, not a bug
            _say(_("error: {message}").format(message=os_reason(exc)))
            return EXIT_USER_ERROR
        return _bug(exc, raw)
    except Exception as exc:  # noqa: BLE001 - the boundary: anything else is a bug
        return _bug(exc, raw)


def _bug(exc: BaseException, argv: Sequence[str]) -> int:
    where = _write_debug_log(exc, argv)
    if where is None:
        _say(_("internal error: this is a bug in Inspector ({kind}); the details could not be logged.")
             .format(kind=type(exc).__name__))
    else:
        _say(_("internal error: this is a bug in Inspector ({kind}); details in {log}")
             .format(kind=type(exc).__name__, log=where))
    return EXIT_BUG


def main(argv: Sequence[str] | None = None, extra=()) -> int:
    """`python main.py`: the language from the environment, library logs to the debug log, then `run`."""
    i18n.set_language(language_from_env())
    _configure_logging()
    try:
        return run(argv, extra)
    finally:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _quiet_stdout()
        except (OSError, ValueError):
            pass
