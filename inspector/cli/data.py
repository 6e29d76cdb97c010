"""Data-path commands: inspections (sync, import-xlsx and demo-central register here too)."""
from __future__ import annotations

from inspector.cli.common import print_json, print_table, store
from inspector.db import session_factory
from inspector.inspections import list_inspections


def register(sub, common) -> None:
    p = sub.add_parser("inspections", parents=[common], help="list the inspections in the local store")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_inspections)


def cmd_inspections(args) -> int:
    with session_factory(store(args))() as session:
        rows = list_inspections(session)
    if args.format == "json":
        print_json(rows)
        return 0
    if not rows:
        print("no inspections yet: run `sync` or `import-xlsx`")
        return 0
    print_table(
        ["id", "institution", "name", "window", "visit time", "status", "snapshot", "fee lines"],
        [
            [r["id"], r["fixmedins_code"], r["fixmedins_name"], f'{r["date_from"]}..{r["date_to"]}',
             r["visit_time"], r["status"], r["snapshot_version"], r["row_counts"].get("feedetl", 0)]
            for r in rows
        ],
    )
    return 0
