"""Upload commands: `upload queue`, `upload --central URL`, `upload status`; and `export-xlsx`."""
from __future__ import annotations

from pathlib import Path

from inspector.cli.common import authenticated, print_json, print_table, store
from inspector.errors import UserError
from inspector.i18n import N_, _

UPLOAD_STATUS = {"queued": N_("upload: queued"), "sent": N_("upload: sent"), "verified": N_("upload: verified"),
                 "failed": N_("upload: failed")}


def register(sub, common) -> None:
    p = sub.add_parser("upload", parents=[common], help=_("send signed packages to the central (queue, send, status)"))
    p.add_argument("--central", metavar="URL", help=_("send every queued package to this central database"))
    p.add_argument("--max-attempts", type=int, default=5, metavar="N", help=_("attempts per package (default 5)"))
    p.set_defaults(func=cmd_upload)
    usub = p.add_subparsers(dest="upload_command", metavar="<upload command>", required=False)
    q = usub.add_parser("queue", parents=[common], help=_("queue a signed report PDF with the findings JSON"))
    q.add_argument("--inspection", type=int, required=True, metavar="ID")
    q.add_argument("--pdf", type=Path, required=True, metavar="SIGNED.pdf")
    q.set_defaults(func=cmd_queue)
    s = usub.add_parser("status", parents=[common], help=_("every queued package and its status"))
    s.add_argument("--format", choices=["table", "json"], default="table")
    s.set_defaults(func=cmd_status)

    x = sub.add_parser("export-xlsx", parents=[common], help=_("the findings list and appendices as an Excel workbook"))
    x.add_argument("--inspection", type=int, required=True, metavar="ID")
    x.add_argument("--out", type=Path, required=True, metavar="FILE.xlsx")
    x.set_defaults(func=cmd_export_xlsx)


def _table(statuses) -> None:
    print_table([_("upload id"), _("inspection"), _("file"), _("status"), _("attempts"), _("reason")],
                [[s.package.upload_id, s.package.inspection_id, s.package.filename,
                  _(UPLOAD_STATUS[s.status]) if s.status in UPLOAD_STATUS else s.status, s.attempts, s.reason]
                 for s in statuses])


def cmd_upload(args) -> int:
    import sys

    from inspector.progress import TextProgress
    from inspector.upload import upload_packages

    if not args.central:
        raise UserError(_('give --central URL to send the queued packages (or: upload queue | upload status)'))
    statuses = upload_packages(store(args), args.central, actor=authenticated(args), max_attempts=args.max_attempts,
                               progress=TextProgress(sys.stderr))
    if not statuses:
        print(_("nothing to upload: every queued package is verified"))
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
    print(_("queued {file} as upload {id} (report SHA-256 {sha})").format(file=pkg.filename, id=pkg.upload_id,
                                                                         sha=pkg.report_sha256))
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
        raise UserError(_('{out}: the workbook file name must end in .xlsx').format(out=args.out))
    with session_factory(store(args))() as session:
        data = build_report_data(session, args.inspection)
    write_report_xlsx(data, args.out)
    print(_("wrote {out}: {n} findings, the settings used and 5 appendix sheets").format(out=args.out, n=len(data.findings)))
    return 0
