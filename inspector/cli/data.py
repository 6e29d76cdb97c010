"""Data-path commands: inspections (sync, import-xlsx and demo-central register here too)."""
from __future__ import annotations

from inspector.cli.common import print_json, print_table, store
from inspector.db import session_factory
from inspector.i18n import N_, _
from inspector.inspections import list_inspections

STATUS_TEXT = {"synced": N_("synced"), "on_site": N_("on site"), "in_review": N_("in review"),
               "approved": N_("approved"), "signed": N_("signed"), "uploaded": N_("uploaded")}


def register(sub, common) -> None:
    p = sub.add_parser("inspections", parents=[common], help=_("list the inspections in the local store"))
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_inspections)


def cmd_inspections(args) -> int:
    with session_factory(store(args))() as session:
        rows = list_inspections(session)
    if args.format == "json":
        print_json(rows)
        return 0
    if not rows:
        print(_("no inspections yet: run `sync` or `import-xlsx`"))
        return 0
    print_table(
        [_("No."), _("institution code"), _("institution"), _("review window"), _("visit time"), _("status"),
         _("snapshot version"), _("fee lines")],
        [
            [r["id"], r["fixmedins_code"], r["fixmedins_name"], _("{start} to {end}").format(start=r["date_from"], end=r["date_to"]),
             r["visit_time"], _(STATUS_TEXT[r["status"]]) if r["status"] in STATUS_TEXT else r["status"],
             r["snapshot_version"], r["row_counts"].get("feedetl", 0)]
            for r in rows
        ],
    )
    return 0
