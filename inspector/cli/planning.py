"""Planning commands: `rank` (region-wide risk ranking on the central database) and `plan draw`
(the random draw of institutions and inspectors)."""
from __future__ import annotations

import sys
from pathlib import Path

from inspector.cli.common import parse_date, parse_timestamp, print_json, print_table
from inspector.errors import UserError
from inspector.i18n import _
from inspector.progress import Progress, TextProgress


def register(sub, common) -> None:
    p = sub.add_parser("rank", parents=[common],
                       help=_("rank every institution of the central by screening leads per 10,000 yuan of fund paid"))
    p.add_argument("--central", required=True, metavar="URL", help=_("central database: SQLAlchemy URL or SQLite file"))
    p.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--visit-time", metavar="'YYYY-MM-DD HH:MM:SS'", help=_("default: the end of the window"))
    p.add_argument("--format", choices=["table", "json", "xlsx"], default="table")
    p.add_argument("--out", metavar="FILE", help=_("write to FILE (required for xlsx)"))
    p.set_defaults(func=cmd_rank)

    p = sub.add_parser("plan", parents=[common], help=_("plan draw: draw institutions and inspector teams at random (the double random draw)"))
    p.add_argument("action", choices=["draw"])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--institutions", metavar="FILE", help=_("institutions pool (CSV or xlsx with its publication time)"))
    src.add_argument("--ranking", metavar="FILE", help=_("a published ranking (rank --format json plus \"published_at\")"))
    p.add_argument("--inspectors", required=True, metavar="FILE", help=_("inspectors pool (CSV or xlsx)"))
    p.add_argument("--n", type=int, required=True, metavar="N", help=_("institutions to draw"))
    p.add_argument("--team-size", type=int, required=True, metavar="K", help=_("inspectors per institution"))
    p.add_argument("--seed", required=True, metavar="S", help=_("the public random value chosen after the pools were published"))
    p.add_argument("--seed-time", required=True, metavar="'YYYY-MM-DD HH:MM:SS'",
                   help=_("when the seed was chosen or published (must be after every pool's publication)"))
    p.add_argument("--weighted", action="store_true", help=_("weight institutions by the ranking's leads per 10,000 yuan"))
    p.add_argument("--out", metavar="DIR", help=_("write plan.pdf, plan.xlsx and plan.json into DIR"))
    p.add_argument("--drawn-by", metavar="NAME", default="", help=_("name on the first signature line"))
    p.add_argument("--witness", metavar="NAME", default="", help=_("name on the second signature line"))
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("credit", parents=[common],
                       help=_("credit deductions, scores and grades from an inspection's approved findings"))
    p.add_argument("--inspection", type=int, required=True, metavar="ID")
    p.add_argument("--table", metavar="FILE", help=_("deduction table (default: resources/credit/deductions-v1.toml)"))
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_credit)


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

        from inspector.outputs import write_json

        if args.out:
            write_json(Path(args.out), ranking_json(ranking))
        else:
            print(json.dumps(ranking_json(ranking), ensure_ascii=False, indent=2))
        return 0
    table = [[money(c) if hasattr(c, "quantize") else c for c in r] for r in rows(ranking)]
    print(_("Risk ranking, window {start} to {end}, visit time {v}").format(
        start=d0, end=d1, v=ranking.visit_time.strftime("%Y-%m-%d %H:%M:%S")))
    print_table(headers(ranking), table)
    return 0


def cmd_plan(args) -> int:
    from inspector.outputs import write_json
    from inspector.planning.documents import REASON_TEXT, RULE_TEXT, algorithm_text, render_plan_pdf, write_plan_xlsx
    from inspector.planning.draw import draw_plan, plan_json

    seed_time = parse_timestamp(args.seed_time, "--seed-time")
    plan = draw_plan(Path(args.ranking or args.institutions), Path(args.inspectors), n=args.n, team_size=args.team_size,
                     seed=args.seed, seed_time=seed_time, weighted=args.weighted, ranking=bool(args.ranking))
    doc = plan_json(plan)
    if args.out:
        out = Path(args.out)
        render_plan_pdf(plan, out / "plan.pdf", {"plan_drawer": args.drawn_by, "plan_witness": args.witness})
        write_plan_xlsx(plan, out / "plan.xlsx")
        write_json(out / "plan.json", doc)
    if args.format == "json":
        print_json(doc)
        return 0
    print(_("Seed: {seed}    chosen at: {seed_time}    drawn at: {drawn_at}").format(
        seed=doc["seed"], seed_time=doc["seed_time"], drawn_at=doc["drawn_at"]))
    for pool in (plan.institutions_pool, plan.inspectors_pool):
        print(_("Pool {file}: published {published}, {rows} rows, SHA-256 {sha}").format(
            file=pool.name, published=pool.published_at.strftime("%Y-%m-%d %H:%M:%S"), rows=len(pool.rows), sha=pool.sha256))
    print(_("Algorithm") + ": " + algorithm_text(plan))
    print_table([_("No."), _("Institution code"), _("Institution name"), _("Team"), _("District rule")],
                [[d.order, d.institution.code, d.institution.name,
                  "、".join(f"{p.name}（{p.inspector_id}）" for p in d.team), _(RULE_TEXT[d.district_rule])]
                 for d in plan.draws])
    conflicts = [[d.institution.code, f"{c.name}（{c.inspector_id}）", _(REASON_TEXT[c.reason])]
                 for d in plan.draws for c in d.conflicts]
    if conflicts:
        print(_("Conflicts excluded"))
        print_table([_("Institution code"), _("Excluded inspector"), _("Reason")], conflicts)
    if args.out:
        print(_("plan written to {dir} (plan.pdf, plan.xlsx, plan.json)").format(dir=args.out))
    return 0


def cmd_credit(args) -> int:
    from inspector.cli.common import store
    from inspector.credit import credit_for_inspection, credit_json, load_table

    table = load_table(Path(args.table) if args.table else None)
    doc = credit_json(credit_for_inspection(store(args), args.inspection, table))
    if args.format == "json":
        print_json(doc)
        return 0
    print(_("Deduction table {version} (SHA-256 {sha})").format(version=doc["table"]["version"], sha=doc["table"]["sha256"]))
    for title, accounts in ((_("Institution"), [doc["institution"]]), (_("Doctors"), doc["doctors"])):
        print(title)
        if not accounts:
            print("  " + _("None."))
        for a in accounts:
            print(_("{code} {name}: base {base}, deducted {deducted}, score {score}, grade {grade} ({grade_name})").format(**a))
            print_table([_("Finding no."), _("Deduction rule"), _("Amount involved"), _("Points deducted")],
                        [[d["finding_no"], f"{d['rule']} {d['rule_name']}", d["amount"],
                          d["points"] + (_(" (repeat no. {n})").format(n=d["repeat"]) if d["repeat"] > 1 else "")]
                         for d in a["deductions"]])
    return 0
