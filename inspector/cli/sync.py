"""`sync`: pull one institution's slice from a central database into a new inspection."""
from __future__ import annotations

import sys
from datetime import datetime

from inspector.cli.common import authenticated, parse_date, parse_timestamp, store
from inspector.errors import UserError
from inspector.i18n import _
from inspector.progress import TextProgress
from inspector.sync.central import resync_inspection, sync_central


def register(sub, common) -> None:
    p = sub.add_parser(
        "sync",
        parents=[common],
        help="copy one institution's slice from a central database (SQLite file or PostgreSQL URL)",
        description=(
            "Copy the slice one inspection needs from a central database into the local store, "
            "as a new inspection (or, with --inspection, a new snapshot version of an existing one). "
            "Prints the inspection's id on the last line."
        ),
    )
    p.add_argument("--central", required=True, metavar="URL",
                   help="SQLAlchemy URL (postgresql://user:pw@host/db) or a SQLite file path")
    p.add_argument("--institution", metavar="CODE", help="fixmedins_code of the institution")
    p.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="first day of the review window")
    p.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="last day of the review window (included)")
    p.add_argument("--visit-time", metavar="'YYYY-MM-DD HH:MM:SS'", help="time of the on-site visit (default: now)")
    p.add_argument("--inspection", type=int, metavar="ID",
                   help="re-sync this inspection as a new snapshot version (its institution, window and visit time)")
    p.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="PostgreSQL: give up a query after this long (default: $INSPECTOR_CENTRAL_TIMEOUT or 600)")
    p.set_defaults(func=cmd_sync)


def cmd_sync(args) -> int:
    progress = TextProgress(sys.stderr)
    if args.inspection is not None:
        if args.institution or args.date_from or args.date_to or args.visit_time:
            raise UserError(_("--inspection takes institution, window and visit time from the inspection: give none of them"))
        engine = store(args)
        authenticated(args)
        result = resync_inspection(engine, args.central, args.inspection, progress=progress, timeout=args.timeout)
    else:
        missing = [flag for flag, value in (("--institution", args.institution), ("--from", args.date_from),
                                            ("--to", args.date_to)) if not value]
        if missing:
            raise UserError(_("sync needs {flags}").format(flags=", ".join(missing)))
        d0 = parse_date(args.date_from, "--from")
        d1 = parse_date(args.date_to, "--to")
        visit = parse_timestamp(args.visit_time, "--visit-time") if args.visit_time else datetime.now().replace(microsecond=0)
        engine = store(args)
        authenticated(args)
        result = sync_central(engine, args.central, args.institution, d0, d1, visit, progress=progress,
                              timeout=args.timeout)
    err = sys.stderr
    err.write(_("inspection {id}, snapshot version {version}").format(id=result.inspection_id, version=result.version) + "\n")
    width = max(len(t) for t in result.row_counts)
    for table, n in result.row_counts.items():
        err.write(f"  {table:<{width}}  {n:>10,}\n")
    err.flush()
    print(result.inspection_id)
    return 0
