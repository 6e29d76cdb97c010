"""`check-store`: recompute every snapshot's digests and the event chain, name what differs."""
from __future__ import annotations

from inspector.cli.common import print_json, store
from inspector.i18n import _


def register(sub, common) -> None:
    p = sub.add_parser(
        "check-store", parents=[common],
        help="recompute every snapshot's digests and the event log's chain; exit 1 naming what differs",
    )
    p.add_argument("--inspection", type=int, metavar="ID", help="only the snapshots of this inspection")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=cmd_check_store)


def cmd_check_store(args) -> int:
    from inspector.integrity import check_store

    check = check_store(store(args), args.inspection)
    if args.format == "json":
        print_json(check.as_dict())
    elif check.ok:
        print(_("ok: {snapshots} snapshots ({tables} tables) match their digests, {events} events chained").format(
            snapshots=check.snapshots, tables=check.tables, events=check.events))
    else:
        for m in check.mismatches:
            print(m.describe())
        print(_("NOT OK: {n} differences").format(n=len(check.mismatches)))
    return 0 if check.ok else 1
