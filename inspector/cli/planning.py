"""Planning commands: `rank` (region-wide risk ranking on the central database)."""
from __future__ import annotations

import sys
from pathlib import Path

from inspector.cli.common import parse_date, parse_timestamp, print_json, print_table
from inspector.errors import UserError
from inspector.i18n import _
from inspector.progress import Progress, TextProgress


def register(sub, common) -> None:
    p = sub.add_parser("rank", parents=[common],
                       help="rank every institution of the central by screening leads per 10,000 yuan of fund paid")
    p.add_argument("--central", required=True, metavar="URL", help="central database: SQLAlchemy URL or SQLite file")
    p.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--visit-time", metavar="'YYYY-MM-DD HH:MM:SS'", help="default: the end of the window")
    p.add_argument("--format", choices=["table", "json", "xlsx"], default="table")
    p.add_argument("--out", metavar="FILE", help="write to FILE (required for xlsx)")
    p.set_defaults(func=cmd_rank)


def cmd_rank(args) -> int:
    from inspector.ranking import rank_region, ranking_json
    from inspector.ranking.output import headers, rows, write_ranking_xlsx
    from inspector.reports.layout import money

    d0 = parse_date(args.date_from, "--from")
    d1 = parse_date(args.date_to, "--to")
    v = parse_timestamp(args.visit_time, "--visit-time") if args.visit_time else None
    if args.format == "xlsx" and not args.out:
        raise UserError(_("--format xlsx needs --out FILE.xlsx"))
    progress = TextProgress() if sys.stderr.isatty() else Progress()
    ranking = rank_region(args.central, d0, d1, v, progress=progress)
    if args.format == "xlsx":
        write_ranking_xlsx(ranking, Path(args.out))
        print(_("ranking of {n} institutions written to {path}").format(n=len(ranking.institutions), path=args.out))
        return 0
    if args.format == "json":
        import json

        text = json.dumps(ranking_json(ranking), ensure_ascii=False, indent=2)
        if args.out:
            Path(args.out).write_text(text + "\n", encoding="utf-8")
        else:
            print(text)
        return 0
    table = [[money(c) if hasattr(c, "quantize") else c for c in r] for r in rows(ranking)]
    print(_("Risk ranking, window {start} to {end}, visit time {v}").format(
        start=d0, end=d1, v=ranking.visit_time.strftime("%Y-%m-%d %H:%M:%S")))
    print_table(headers(ranking), table)
    return 0
