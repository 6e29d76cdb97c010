"""`record`: the on-site record's own facts (legal representative, place, start and end on site, the
inspected party's statement, the witnesses of each check, waivers) and the inspection's stage."""
from __future__ import annotations

import sys

from inspector.cli.common import authenticated, print_json, print_table, store
from inspector.errors import UserError
from inspector.i18n import N_, _


def register(sub, common) -> None:
    p = sub.add_parser("record", parents=[common],
                       help=_("the on-site record: details, start/close, statement, witnesses, waivers, stage"))
    rsub = p.add_subparsers(dest="record_command", metavar="<record command>", required=True)

    def cmd(name: str, help_text: str, func):
        q = rsub.add_parser(name, parents=[common], help=_(help_text))
        q.add_argument("--inspection", type=int, required=True, metavar="ID")
        q.set_defaults(func=func)
        return q

    q = cmd("show", N_("the record's details, times, statement, witnesses, checks and the stage"), cmd_show)
    q.add_argument("--format", choices=["table", "json"], default="table")
    q = cmd("set", N_("legal representative and place of inspection"), cmd_set)
    q.add_argument("--legal-rep", metavar="NAME")
    q.add_argument("--place", metavar="TEXT")
    q = cmd("start", N_("the team begins on site (default: now)"), cmd_start)
    q.add_argument("--at", metavar="TIME", help=_("the time as 'YYYY-MM-DD HH:MM:SS'"))
    q = cmd("close", N_("close the record for signing: the end time on site (default: now)"), cmd_close)
    q.add_argument("--at", metavar="TIME", help=_("the time as 'YYYY-MM-DD HH:MM:SS'"))
    q = cmd("reopen", N_("reopen a closed record to go on working"), cmd_reopen)
    q.add_argument("--reason", required=True, metavar="TEXT")
    q = cmd("statement", N_("the inspected party's statement"), cmd_statement)
    g = q.add_mutually_exclusive_group(required=True)
    g.add_argument("--text", metavar="TEXT", help=_("what the inspected party stated"))
    g.add_argument("--no-objection", action="store_true", help=_("the inspected party has no objection"))
    g.add_argument("--refused", action="store_true", help=_("the inspected party refused to make a statement"))
    q.add_argument("--note", metavar="TEXT", help=_("with --refused: the inspectors' note"))
    q = cmd("witness", N_("the staff member who witnessed a check and signs its appendix"), cmd_witness)
    q.add_argument("--check", required=True, choices=["census", "stock", "records"])
    q.add_argument("--name", required=True, metavar="NAME")
    q.add_argument("--title", metavar="TEXT", help=_("default: head nurse / pharmacist / medical records officer"))
    q = cmd("waive", N_("the team lead waives an unfinished required check, with a reason"), cmd_waive)
    q.add_argument("--check", required=True, choices=["census", "stock", "records"])
    q.add_argument("--reason", required=True, metavar="TEXT")


def _ok(text: str) -> int:
    print(text)
    sys.stdout.flush()
    return 0


def cmd_set(args) -> int:
    from inspector.onsite import set_details

    set_details(store(args), args.inspection, legal_rep=args.legal_rep, place=args.place, actor=authenticated(args))
    return _ok(_("recorded: legal representative {rep}; place of inspection {place}").format(
        rep=args.legal_rep or "—", place=args.place or "—"))


def cmd_start(args) -> int:
    from inspector.onsite import start

    ev = start(store(args), args.inspection, args.at, actor=authenticated(args))
    return _ok(_("on-site work started at {at}").format(at=ev.payload["at"]))


def cmd_close(args) -> int:
    from inspector.onsite import close

    ev = close(store(args), args.inspection, args.at, actor=authenticated(args))
    return _ok(_("record closed for signing at {at}").format(at=ev.payload["at"]))


def cmd_reopen(args) -> int:
    from inspector.onsite import reopen

    reopen(store(args), args.inspection, args.reason, actor=authenticated(args))
    return _ok(_("record reopened; close it again before signing"))


def cmd_statement(args) -> int:
    from inspector.onsite import set_statement

    if args.note and not args.refused:
        raise UserError(_("--note goes with --refused"))
    if args.refused:
        set_statement(store(args), args.inspection, "refused", args.note or "", actor=authenticated(args))
    elif args.no_objection:
        set_statement(store(args), args.inspection, "no_objection", actor=authenticated(args))
    else:
        set_statement(store(args), args.inspection, "text", args.text, actor=authenticated(args))
    return _ok(_("statement recorded"))


def cmd_witness(args) -> int:
    from inspector.onsite import set_witness
    from inspector.state import CHECK_LABELS

    set_witness(store(args), args.inspection, args.check, args.name, args.title, actor=authenticated(args))
    return _ok(_("witness of the {check}: {name}").format(check=_(CHECK_LABELS[args.check]), name=args.name))


def cmd_waive(args) -> int:
    from inspector.onsite import waive_check
    from inspector.state import CHECK_LABELS

    waive_check(store(args), args.inspection, args.check, args.reason, actor=authenticated(args))
    return _ok(_("the {check} is waived: {reason}").format(check=_(CHECK_LABELS[args.check]), reason=args.reason))


def cmd_show(args) -> int:
    from inspector.onsite import read_onsite
    from inspector.reports.wording import statement_text
    from inspector.state import check_progress, inspection_stage, report_blockers

    engine = store(args)
    with engine.connect() as conn:
        o = read_onsite(conn, args.inspection)
        stage = inspection_stage(conn, args.inspection)
        progress = check_progress(conn, args.inspection)
        blockers = report_blockers(conn, args.inspection)
    if args.format == "json":
        print_json({"inspection": args.inspection, "stage": stage.code, **o.as_json(),
                    "checks": [{"check": p.check, "required": p.required, "performed": p.performed,
                                "total": p.total, "done": p.done, "finished": p.finished,
                                "waived": p.waived_reason} for p in progress],
                    "report_blockers": blockers})
        return 0
    t = (lambda d: d.strftime("%Y-%m-%d %H:%M:%S") if d else "—")
    print_table([_("Item"), _("Value")], [
        [_("Stage"), stage.text()],
        [_("Legal representative"), o.legal_rep or "—"],
        [_("Place of inspection"), o.place or "—"],
        [_("On site from"), t(o.started_at)],
        [_("Record closed at"), t(o.closed_at)],
        [_("Statement of the inspected party"), statement_text(o) or "—"],
        *[[_("Witness of the {check}").format(check=p.label), o.witnesses.get(p.check, {}).get("name", "—")]
          for p in progress],
    ])
    print()
    print_table([_("Check"), _("Required"), _("Done"), _("State")], [
        [p.label, _("Yes") if p.required else _("No"), f"{p.done} / {p.total}",
         (_("waived: {reason}").format(reason=p.waived_reason) if p.waived_reason and not p.finished else
          _("finished") if p.finished else _("unfinished") if p.performed else _("not done"))]
        for p in progress])
    for b in blockers:
        print(_("The final report waits: {why}").format(why=b))
    return 0
