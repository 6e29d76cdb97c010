"""Upload commands: `upload queue`, `upload --central URL`, `upload status`; and `export-xlsx`."""
from __future__ import annotations

from pathlib import Path

from inspector.cli.common import authenticated, print_json, print_table, store
from inspector.errors import UserError
from inspector.i18n import _


def register(sub, common) -> None:
    p = sub.add_parser("upload", parents=[common], help="send signed packages to the central (queue, send, status)")
    p.add_argument("--central", metavar="URL", help="send every queued package to this central database")
    p.add_argument("--max-attempts", type=int, default=5, metavar="N", help="attempts per package (default 5)")
    p.set_defaults(func=cmd_upload)
    usub = p.add_subparsers(dest="upload_command", metavar="<upload command>", required=False)
    q = usub.add_parser("queue", parents=[common], help="queue a signed report PDF with the findings JSON")
    q.add_argument("--inspection", type=int, required=True, metavar="ID")
    q.add_argument("--pdf", type=Path, required=True, metavar="SIGNED.pdf")
    q.set_defaults(func=cmd_queue)
    s = usub.add_parser("status", parents=[common], help="every queued package and its status")
    s.add_argument("--format", choices=["table", "json"], default="table")
    s.set_defaults(func=cmd_status)

    x = sub.add_parser("export-xlsx", parents=[common], help="the findings list and appendices as an Excel workbook")
    x.add_argument("--inspection", type=int, required=True, metavar="ID")
    x.add_argument("--out", type=Path, required=True, metavar="FILE.xlsx")
    x.set_defaults(func=cmd_export_xlsx)


def _table(statuses) -> None:
    print_table(["upload_id", "inspection", "file", "status", "attempts", "reason"],
                [[s.package.upload_id, s.package.inspection_id, s.package.filename, s.status, s.attempts, s.reason]
                 for s in statuses])


def cmd_upload(args) -> int:
    import sys

    from inspector.progress import TextProgress
    from inspector.upload import upload_packages

    if not args.central:
        raise UserError("give --central URL to send the queued packages (or: upload queue | upload status)")
    statuses = upload_packages(store(args), args.central, actor=authenticated(args), max_attempts=args.max_attempts,
                               progress=TextProgress(sys.stderr))
    if not statuses:
        print("nothing to upload: every queued package is verified")
        return 0
    _table(statuses)
    return 1 if any(s.status != "verified" for s in statuses) else 0


def cmd_queue(args) -> int:
    from inspector.upload import queue_package

    pkg = queue_package(store(args), args.inspection, args.pdf, actor=authenticated(args))
    if pkg.already_queued:
        print(_("{file} is already queued as upload {id} (report sha256 {sha}); nothing was added").format(
            file=args.pdf.name, id=pkg.upload_id, sha=pkg.report_sha256))
        return 0
    print(f"queued {pkg.filename} as upload {pkg.upload_id} (report sha256 {pkg.report_sha256})")
    return 0


def cmd_status(args) -> int:
    from inspector.upload import list_packages

    with store(args).connect() as conn:
        statuses = list_packages(conn)
    if args.format == "json":
        print_json([s.as_dict() for s in statuses])
    else:
        _table(statuses)
    return 0


def cmd_export_xlsx(args) -> int:
    from inspector.db import session_factory
    from inspector.reports.data import build_report_data
    from inspector.reports.xlsx import write_report_xlsx

    if args.out.suffix.lower() != ".xlsx":
        raise UserError(f"{args.out}: the workbook file name must end in .xlsx")
    with session_factory(store(args))() as session:
        data = build_report_data(session, args.inspection)
    write_report_xlsx(data, args.out)
    print(f"wrote {args.out}: {len(data.findings)} findings, the settings used and 5 appendix sheets")
    return 0
