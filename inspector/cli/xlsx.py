"""Excel commands: `import-xlsx` (a workbook in the contract's form) and `export-central-xlsx`."""
from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from inspector.cli.common import authenticated, parse_date, parse_timestamp, store
from inspector.db import session_factory
from inspector.inspections import get_inspection
from inspector.i18n import _
from inspector.progress import TextProgress


def register(sub, common) -> None:
    p = sub.add_parser(
        "import-xlsx", parents=[common],
        help="import an institution's slice from a workbook in the contract's Excel form",
    )
    p.add_argument("file", metavar="FILE", help="the .xlsx workbook")
    p.add_argument("--institution", required=True, metavar="CODE", help="fixmedins_code of the institution")
    p.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD", help="first day of the review window")
    p.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD", help="last day of the review window")
    p.add_argument("--visit-time", metavar="'YYYY-MM-DD HH:MM:SS'",
                   help="time of the on-site visit (default: now, or the inspection's with --inspection)")
    p.add_argument("--inspection", type=int, metavar="ID",
                   help="re-import as a new snapshot version of this inspection (same institution and window)")
    p.set_defaults(func=cmd_import_xlsx)

    q = sub.add_parser(
        "export-central-xlsx", parents=[common],
        help="write a central database (or one institution's rows) in the contract's Excel form",
    )
    q.add_argument("--central", required=True, metavar="URL", help="SQLAlchemy URL or SQLite file of the central database")
    q.add_argument("--out", required=True, metavar="FILE", help="the .xlsx file to write")
    q.add_argument("--institution", metavar="CODE", help="only this institution's rows")
    q.add_argument("--dates", choices=["excel", "text"], default="excel", help="dates as Excel dates or as text")
    q.set_defaults(func=cmd_export_central_xlsx)


def cmd_import_xlsx(args) -> int:
    from inspector.sync.xlsx_import import import_xlsx

    date_from = parse_date(args.date_from, "--from")
    date_to = parse_date(args.date_to, "--to")
    engine = store(args)
    authenticated(args)
    if args.visit_time:
        visit = parse_timestamp(args.visit_time, "--visit-time")
    elif args.inspection is not None:   # a new version of an inspection keeps its visit time
        with session_factory(engine)() as session:
            visit = get_inspection(session, args.inspection).visit_time
    else:
        visit = datetime.now().replace(microsecond=0)
    try:
        result = import_xlsx(
            engine, Path(args.file), args.institution, date_from, date_to, visit,
            target_inspection=args.inspection, progress=TextProgress(sys.stderr),
        )
    finally:
        engine.dispose()
    err = sys.stderr
    err.write(_("imported {file}: inspection {id}, snapshot version {version}").format(
        file=args.file, id=result.inspection_id, version=result.version) + "\n")
    width = max(len(t) for t in result.row_counts)
    for table, n in result.row_counts.items():
        err.write(f"  {table:<{width}}  {n:>10,}\n")
    err.flush()
    print(result.inspection_id)
    return 0


def cmd_export_central_xlsx(args) -> int:
    from inspector.sync.xlsx_extract import write_central_xlsx

    write_central_xlsx(args.central, Path(args.out), args.institution, dates=args.dates,
                       progress=TextProgress(sys.stderr))
    print(args.out)
    return 0
