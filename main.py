"""Inspector entry point: the CLI commands of the core, plus `gui`."""
from __future__ import annotations

import sys


def _register_gui(sub, common) -> None:
    from inspector.i18n import _

    p = sub.add_parser("gui", parents=[common], help=_("open the desktop application"))
    p.set_defaults(func=_run_gui)


def _run_gui(args) -> int:
    from ui.app import run_gui  # Qt is imported only here

    return run_gui(db_path=args.db)


if __name__ == "__main__":
    from inspector.cli import main

    sys.exit(main(sys.argv[1:], extra=(_register_gui,)))
