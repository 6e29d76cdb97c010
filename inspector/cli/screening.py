"""Screening commands: `screen`, `leads` (list and decide) and `settings`."""
from __future__ import annotations

import sys

from inspector.cli.common import authenticated, print_json, print_table, store
from inspector.errors import UserError
from inspector.i18n import N_, _
from inspector.progress import Progress, TextProgress
from inspector.screening import decide_lead, run_screening, screening_json
from inspector.screening.leads import is_screened, status_text
from inspector.screening.rules import RULES, rule_title
from inspector.screening.summaries import summary_in_language


def register(sub, common) -> None:
    p = sub.add_parser("screen", parents=[common], help=_("run screening rules S1-S9 over an inspection's data"))
    p.add_argument("--inspection", type=int, required=True, metavar="ID")
    p.add_argument("--rule", action="append", metavar="S1", help=_("only these rules (repeatable; default all)"))
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_screen)

    p = sub.add_parser("leads", parents=[common], help=_("list leads, or `leads decide` to confirm or dismiss one"))
    p.add_argument("action", nargs="?", choices=["decide"], help=_("decide: record a lead's status"))
    p.add_argument("--inspection", type=int, required=True, metavar="ID")
    p.add_argument("--rule", metavar="S1")
    p.add_argument("--status", choices=["open", "confirmed", "dismissed"],
                   help=_("list: only leads with this status; decide: the new status"))
    p.add_argument("--key", metavar="JSON", help=_("decide: the lead's key as a JSON array, e.g. '[\"M1\",\"M2\"]'"))
    p.add_argument("--lead", type=int, metavar="N", help=_("decide: the lead's id"))
    p.add_argument("--reason", help=_("decide: why (required to dismiss)"))
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_leads)

    p = sub.add_parser("settings", parents=[common], help=_("show or change an inspection's settings"))
    p.add_argument("--inspection", type=int, required=True, metavar="ID")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help=_("change a setting (repeatable)"))
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_settings)


SEVERITY_TEXT = {"high": N_("high"), "medium": N_("medium"), "low": N_("low")}


def _summary(d: dict) -> str:
    """The lead's summary in the current language (stored in Chinese; rendered from its figures otherwise)."""
    return summary_in_language(d["rule"], d, d["amount"], d.get("severity"), d["summary"])


def _print_leads(doc: dict, stream=None) -> None:
    from inspector.reports.wording import settings_rows

    settings = _("; ").join(f"{label} {value}" for label, value in settings_rows(doc["settings"]))
    print(_("Inspection {id} ({settings})").format(id=doc["inspection"], settings=settings))
    leads = doc["leads"]
    if not leads:
        print(_("No leads."))
        return
    print_table(
        [_("No."), _("rule"), _("lead key"), _("severity"), _("amount"), _("status"), _("summary")],
        [[d["id"], d["rule"], " / ".join(str(k) for k in d["key"]),
          _(SEVERITY_TEXT[d["severity"]]) if d["severity"] in SEVERITY_TEXT else (d["severity"] or ""),
          d["amount"], status_text(d["status"], d.get("finding")), _summary(d)]
         for d in leads],
    )
    totals: dict[str, tuple[int, object]] = {}
    from decimal import Decimal

    for d in leads:
        n, s = totals.get(d["rule"], (0, Decimal("0.00")))
        totals[d["rule"]] = (n + 1, s + Decimal(d["amount"]))
    print()
    print_table([_("rule"), _("rule name"), _("leads"), _("amount")],
                [[r, _(rule_title(r)), n, f"{s:.2f}"] for r, (n, s) in sorted(totals.items())])


def cmd_screen(args) -> int:
    engine = store(args)
    progress = TextProgress() if args.format == "table" and sys.stderr.isatty() else Progress()
    run_screening(engine, args.inspection, progress=progress, rules=args.rule, actor=authenticated(args),
                  keep_leads=False)
    # JSON: the leads are read from the store as they are printed, never all held at once
    doc = screening_json(engine, args.inspection, rules=args.rule, stream=args.format == "json")
    if args.format == "json":
        print_json(doc)
    else:
        _print_leads(doc)
    return 0


def cmd_leads(args) -> int:
    engine = store(args)
    if args.action == "decide":
        if args.status is None:
            raise UserError(_('leads decide needs --status open|confirmed|dismissed'))
        lead = decide_lead(engine, args.inspection, status=args.status, rule=args.rule, key=args.key,
                           lead_id=args.lead, reason=args.reason, actor=authenticated(args))
        if args.format == "json":
            print_json(lead.as_json())
        else:
            text = _("lead {rule} {key}: {status}").format(rule=lead.rule, key=" / ".join(str(k) for k in lead.key),
                                                             status=lead.status_text())
            print(text + (_(" (reason: {reason})").format(reason=lead.reason) if lead.reason else ""))
        return 0
    if args.rule and args.rule.upper() not in RULES:
        raise UserError(_('unknown rule {rule}; rules are S1..S9').format(rule=args.rule))
    doc = screening_json(engine, args.inspection, rule=args.rule, status=args.status)
    if args.format == "json":
        print_json(doc)
    elif not is_screened(engine, args.inspection):
        print(_("inspection {id} has not been screened yet: run `screen --inspection {id}`").format(id=args.inspection))
    else:
        _print_leads(doc)
    return 0


def cmd_settings(args) -> int:
    from inspector.settings import change_settings, effective_settings

    engine = store(args)
    changes = {}
    for item in args.set:
        if "=" not in item:
            raise UserError(_('--set {item!r}: write KEY=VALUE, e.g. --set readmission_days=15').format(item=item))
        k, v = item.split("=", 1)
        changes[k.strip()] = v
    if changes:
        settings = change_settings(engine, args.inspection, changes, actor=authenticated(args))
    else:
        with engine.connect() as conn:
            settings = effective_settings(conn, args.inspection)
    if args.format == "json":
        print_json({"inspection": args.inspection, "settings": settings})
    else:
        from inspector.reports.wording import settings_rows

        shown = {k: v for k, v in settings.items() if k != "settings_version"}
        print_table([_("setting"), _("value")], [list(row) for row in settings_rows(shown)])
    return 0
