"""Inspector entry point: the CLI commands of the core, plus `gui`."""
from __future__ import annotations

import sys
from collections.abc import Sequence


def _register_gui(sub, common) -> None:
    p = sub.add_parser("gui", parents=[common], help="open the desktop application")
    p.add_argument("--smoke-test", action="store_true",
                   help="open the first window, print the seconds it took, and quit (installation check)")
    p.set_defaults(func=_run_gui)


def _run_gui(args) -> int:
    from ui.app import run_gui  # Qt is imported only here

    return run_gui(db_path=args.db, smoke_test=args.smoke_test)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command line (`argv` without the program name); returns the exit code."""
    from inspector.cli import run

    return run(list(sys.argv[1:] if argv is None else argv), extra=(_register_gui,))


if __name__ == "__main__":
    sys.exit(main())
