"""Several laptops: `exchange` (snapshot files and signed bundles), `state --digest`, `conflicts`."""
from __future__ import annotations

from pathlib import Path

from inspector.cli.common import print_json, print_table, store
from inspector.errors import UserError
from inspector.exchange.conflicts import AREA_LABELS, SAMPLE_AREAS
from inspector.i18n import _



def register(sub, common) -> None:
    p = sub.add_parser("exchange", parents=[common],
                       help=_("share an inspection between laptops: snapshot files and signed bundles"))
    xs = p.add_subparsers(dest="action", metavar="<action>", required=True)
    q = xs.add_parser("export-snapshot", parents=[common],
                      help=_("write the inspection's snapshot, team and work so far for a laptop that joins"))
    q.add_argument("--inspection", type=int, required=True, metavar="ID")
    q.add_argument("--out", required=True, metavar="FILE")
    q.add_argument("--code-file", metavar="FILE",
                   help=_("also write the transfer code that opens the file into FILE (for scripts)"))
    q.set_defaults(func=cmd_export_snapshot)
    q = xs.add_parser("export", parents=[common], help=_("write this laptop's events as a bundle signed by you"))
    q.add_argument("--inspection", type=int, required=True, metavar="ID")
    q.add_argument("--out", required=True, metavar="FILE")
    q.set_defaults(func=cmd_export)
    q = xs.add_parser("import", parents=[common], help=_("merge a bundle, or join from a snapshot file"))
    q.add_argument("file", metavar="FILE")
    q.add_argument("--trust", metavar="CA.pem",
                   help=_("joining a new laptop: the bureau's CA certificate to trust (added to the store)"))
    q.add_argument("--code-file", metavar="FILE",
                   help=_("joining: a file holding the snapshot file's transfer code (asked for when left out)"))
    q.add_argument("--format", choices=["table", "json"], default="table")
    q.set_defaults(func=cmd_import)
    q = xs.add_parser("list", parents=[common], help=_("the bundles merged into this laptop and its chains"))
    q.add_argument("--inspection", type=int, required=True, metavar="ID")
    q.add_argument("--format", choices=["table", "json"], default="table")
    q.set_defaults(func=cmd_list)

    p = sub.add_parser("state", parents=[common], help=_("the inspection's folded state"))
    p.add_argument("--inspection", type=int, required=True, metavar="ID")
    p.add_argument("--digest", action="store_true", help=_("print one digest of the folded state"))
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_state)

    p = sub.add_parser("conflicts", parents=[common],
                       help=_("items recorded differently on two laptops; resolve one (team lead)"))
    p.add_argument("--inspection", type=int, required=True, metavar="ID")
    p.add_argument("--resolve", nargs=2, metavar=("AREA", "ITEM"),
                   help=_("resolve the conflict on ITEM of AREA (census, census_bed, stock, records, stock_sample, "
                          "records_sample)"))
    p.add_argument("--keep", metavar="EVENT", help=_("the record (event id or its first characters) whose value stands"))
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_conflicts)


def _actor_with_key(args):
    from inspector.cli.common import authenticated

    actor = authenticated(args, with_key=True)
    if actor.key is None:
        raise UserError(_("{who} has no signing key in this store yet: import yours with `keys import`")
                        .format(who=actor.display_name))
    return actor


def _require_member(conn, inspection_id: int, actor) -> None:
    from inspector.team import member_of

    if member_of(conn, inspection_id, actor.login) is None:
        raise UserError(_("{who} is not on the team of inspection {id}").format(who=actor.display_name, id=inspection_id))


def cmd_export_snapshot(args) -> int:
    from inspector.exchange.people import team_for_export
    from inspector.exchange.snapshot_file import export_snapshot

    engine = store(args)
    actor = _actor_with_key(args)
    with engine.connect() as conn:
        _require_member(conn, args.inspection, actor)
        team = team_for_export(conn, args.inspection)
    r = export_snapshot(engine, args.inspection, Path(args.out), login=actor.login, name=actor.display_name,
                        private_key=actor.key.private_key, certificate=actor.key.certificate, team=team,
                        session_from=actor.session_from)
    if args.code_file:
        from inspector.exchange.transfer_code import write_code_file

        write_code_file(args.code_file, r.transfer_code)
    print(_("snapshot of {name} written to {path}: {rows} rows, {n} team members, signed by {who}")
          .format(name=r.fixmedins_name, path=r.path, rows=f"{r.rows:,}", n=len(team), who=actor.display_name))
    print(_("The file is encrypted. Its transfer code, shown only now: give it to the person who joins in person "
            "(read it out or on paper), never with the file:"))
    print(f"  {r.transfer_code}")
    return 0


def cmd_export(args) -> int:
    from inspector.exchange.bundle import export_bundle

    engine = store(args)
    actor = _actor_with_key(args)
    with engine.connect() as conn:
        _require_member(conn, args.inspection, actor)
    r = export_bundle(engine, args.inspection, Path(args.out), login=actor.login, name=actor.display_name,
                      private_key=actor.key.private_key, certificate=actor.key.certificate,
                      session_from=actor.session_from)
    print(_("bundle written to {path}: {n} events, signed by {who} (SHA-256 {sha})")
          .format(path=r.path, n=r.events, who=actor.display_name, sha=r.sha256))
    return 0


def cmd_import(args) -> int:
    from inspector.exchange.join import import_file

    result = import_file(args)
    if args.format == "json":
        print_json(result)
    else:
        print(result["message"])
    return 0


def cmd_list(args) -> int:
    from inspector.exchange.bundle import merged_bundles
    from inspector.events import chain_heads, inspection_uid

    engine = store(args)
    with engine.connect() as conn:
        uid = inspection_uid(conn, args.inspection)
        if not uid:
            raise UserError(_("no inspection {id} in this store").format(id=args.inspection))
        heads = chain_heads(conn, uid)
        bundles = merged_bundles(conn, uid)
        names = dict(conn.exec_driver_sql("SELECT login, display_name FROM account").fetchall())
    if args.format == "json":
        print_json({"chains": [h.__dict__ for h in heads], "bundles": bundles})
        return 0
    print(_("Laptops (event chains) of this inspection:"))
    print_table([_("laptop"), _("events"), _("chain head")], [[h.chain[:8], h.events, h.hash] for h in heads])
    print(_("Bundles merged into this laptop:"))
    print_table([_("SHA-256"), _("from"), _("events added"), _("merged at")],
                [[b["sha256"], names.get(b["sender"], b["sender"]), b["added"], b["imported_at"]] for b in bundles])
    return 0


def cmd_state(args) -> int:
    from inspector.exchange.state import folded_state, state_digest

    engine = store(args)
    with engine.connect() as conn:
        digest = state_digest(conn, args.inspection)
        state = None if args.digest else folded_state(conn, args.inspection)
    if args.digest:
        print_json({"inspection": args.inspection, "digest": digest}) if args.format == "json" else print(digest)
        return 0
    print_json({"inspection": args.inspection, "digest": digest, "state": state})
    return 0


def cmd_conflicts(args) -> int:
    from inspector.exchange.conflicts import list_conflicts, resolve_conflict, value_text

    engine = store(args)
    if args.resolve:
        from inspector.cli.common import authenticated
        from inspector.team import team_lead

        actor = authenticated(args)
        with engine.connect() as conn:
            _require_member(conn, args.inspection, actor)
            lead = team_lead(conn, args.inspection)
        area, item = args.resolve
        ev = resolve_conflict(engine, args.inspection, area, item, args.keep or "", actor=actor,
                              is_lead=lead is not None and lead.login == actor.login)
        print(_("conflict on {item} resolved by {who}: the value of record {keep} stands")
              .format(item=_(AREA_LABELS[area]) if area in SAMPLE_AREAS else item, who=actor.display_name, keep=ev.payload["resolves"] and (args.keep or "")[:8]))
        return 0
    with engine.connect() as conn:
        found = list_conflicts(conn, args.inspection)
        names = dict(conn.exec_driver_sql("SELECT login, display_name FROM account").fetchall())
    if args.format == "json":
        print_json({"inspection": args.inspection, "conflicts": [c.as_dict() for c in found]})
        return 0
    if not found:
        print(_("no conflicts: every item has one value on this laptop"))
        return 0
    rows = []
    for c in found:
        for r in c.as_dict()["records"]:
            value = value_text(c.area, r["value"])
            rows.append([_(AREA_LABELS[c.area]), c.item, r["event"][:8], names.get(r["author"], r["author"]),
                         r["device"][:8], r["at"][:19], value])
    print(_("{n} conflicts to resolve (the team lead, or the person who made both records):").format(n=len(found)))
    print_table([_("kind"), _("item"), _("record (event)"), _("by"), _("laptop"), _("at"), _("value")], rows)
    return 0
