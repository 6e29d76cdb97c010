"""On-site check commands: `stock` (C2 drug stock count) and `records` (C3 record review)."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from inspector.checks import records as rec
from inspector.checks import stock
from inspector.checks.checklists import import_template, list_templates
from inspector.cli.common import authenticated, print_json, print_table, store
from inspector.errors import UserError
from inspector.i18n import _


def register(sub, common) -> None:
    p = sub.add_parser("stock", parents=[common], help="drug stock count (C2): sample, counts, summary")
    p.add_argument("--inspection", type=int, required=True, metavar="ID")
    act = p.add_mutually_exclusive_group(required=True)
    act.add_argument("--sample", action="store_true", help="propose (first time) or show the sample with expected quantities")
    act.add_argument("--drug", metavar="CODE", help="record the counted quantity of a sampled drug (with --counted)")
    act.add_argument("--add", metavar="CODE", help="add any drug of the slice to the sample")
    act.add_argument("--search", metavar="TEXT", help="find drugs by code or name")
    act.add_argument("--summary", action="store_true", help="count sheet, stocking ratios, repeated traceability codes")
    act.add_argument("--required-list", metavar="FILE", help="load the drug codes the agreement requires (one a line)")
    p.add_argument("--counted", metavar="QTY", help="counted quantity (with --drug)")
    p.add_argument("--note", metavar="TEXT")
    p.add_argument("--seed", type=int, help="seed of the random part (with --sample; default: setting stock_seed)")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_stock)

    r = sub.add_parser("records", parents=[common], help="record review (C3): sample, checklist outcomes, summary; "
                                                          "`records templates list|import FILE`")
    r.add_argument("words", nargs="*", metavar="templates list|import FILE")
    r.add_argument("--inspection", type=int, metavar="ID")
    act = r.add_mutually_exclusive_group()
    act.add_argument("--sample", action="store_true", help="draw (first time) or show the record sample")
    act.add_argument("--mdtrt", metavar="ID", help="record an outcome for a sampled record (with --item, --outcome)")
    act.add_argument("--summary", action="store_true")
    r.add_argument("--n", type=int, help="sample size (default min(record_sample_n, population))")
    r.add_argument("--seed", type=int, help="seed (default: setting record_seed)")
    r.add_argument("--stratify", action="store_true", default=None, help="proportional by department")
    r.add_argument("--template", metavar="NAME[:VERSION]", help="checklist template (default: 'default', latest)")
    r.add_argument("--item", metavar="ITEM")
    r.add_argument("--outcome", metavar="pass|fail|na")
    r.add_argument("--amount", metavar="A")
    r.add_argument("--note", metavar="TEXT")
    r.add_argument("--format", choices=["table", "json"], default="table")
    r.set_defaults(func=cmd_records)


# --- stock ----------------------------------------------------------------------------------

def _stock_table(rows: list[stock.StockRow]) -> None:
    print_table(
        [_("code"), _("name"), _("origin"), _("expected"), _("counted"), _("variance"), _("rate"), _("status"), _("amount")],
        [[r.med_list_codg, r.name, _(r.origin), r.expected, r.counted, r.variance,
          r.rate if r.rate is not None else (r.rate_note and _("undefined")), _(r.status), r.amount] for r in rows],
    )


def cmd_stock(args) -> int:
    engine = store(args)
    iid = args.inspection
    if args.drug is None and args.counted is not None:
        raise UserError(_("--counted goes with --drug CODE"))
    if args.seed is not None and not args.sample:
        raise UserError(_("--seed goes with --sample"))
    if args.sample:
        sample = stock.draw_sample(engine, iid, args.seed, actor=authenticated(args))
        with engine.connect() as conn:
            rows = stock.sample_rows(conn, iid)
        if args.format == "json":
            print_json({"seed": sample.seed, "method": sample.method, "rows": [asdict(r) for r in rows]})
        else:
            from inspector.reports.wording import stock_sample_text

            with engine.connect() as conn:
                method = stock_sample_text(conn, iid)
            print(_("seed {seed}; method: {method}").format(seed=sample.seed, method=method))
            _stock_table(rows)
        return 0
    if args.drug is not None:
        if args.counted is None:
            raise UserError(_("--drug needs --counted QTY"))
        ev = stock.record_count(engine, iid, args.drug, args.counted, args.note, actor=authenticated(args))
        out = {"event": ev.id, "med_list_codg": ev.payload["med_list_codg"], "counted": ev.payload["counted"]}
        print_json(out) if args.format == "json" else print(_("counted {code}: {qty}").format(code=out["med_list_codg"], qty=out["counted"]))
        return 0
    if args.add is not None:
        ev = stock.add_drug(engine, iid, args.add, actor=authenticated(args))
        print_json({"event": ev.id, "med_list_codg": ev.payload["med_list_codg"]}) if args.format == "json" \
            else print(_("added {code} to the sample").format(code=ev.payload["med_list_codg"]))
        return 0
    if args.required_list is not None:
        ev = stock.load_required_list(engine, iid, args.required_list, actor=authenticated(args))
        out = {"event": ev.id, "source": ev.payload["source"], "sha256": ev.payload["sha256"], "count": len(ev.payload["codes"])}
        print_json(out) if args.format == "json" else print(_("required list {source}: {count} drugs").format(**out))
        return 0
    with engine.connect() as conn:
        if args.search is not None:
            found = stock.search_drugs(conn, iid, args.search)
            if args.format == "json":
                print_json(found)
            else:
                print_table([_("code"), _("name"), _("spec"), _("unit"), _("expected"), _("in sample")],
                            [[f["med_list_codg"], f["name"], f["spec"], f["unit"], f["expected"], f["in_sample"]] for f in found])
            return 0
        summary = stock.stock_summary(conn, iid)
    if args.format == "json":
        print_json(summary.as_json())
        return 0
    print(_("visit time {v}; seed {seed}; count tolerance {tol}").format(v=summary.visit_time, seed=summary.seed,
                                                                        tol=summary.count_tolerance))
    _stock_table(summary.rows)
    print(_("amount beyond tolerance: {a}").format(a=summary.total_amount))
    print_table([_("category"), _("formulary"), _("denominator"), _("ratio"), _("minimum"), _("meets")],
                [[s.category, s.formulary, f"{s.denominator} ({s.denominator_setting})", s.ratio, s.minimum,
                  (_("yes") if s.meets_minimum else _("no")) if s.note is None else s.note] for s in summary.stocking])
    for t in summary.repeated_trace_codes:
        print(_("traceability code {code} sold {n} times net ({drugs})").format(code=t.drug_trac_codg, n=t.net,
                                                                               drugs=", ".join(t.med_list_codg)))
    return 0


# --- records --------------------------------------------------------------------------------

def _templates(args) -> int:
    engine = store(args)
    words = args.words
    if len(words) >= 2 and words[1] == "list" and len(words) == 2:
        tpls = list_templates(engine)
        if args.format == "json":
            print_json([{"name": t.name, "version": t.version, "sha256": t.sha256, "items": len(t.items),
                         "created_at": t.created_at} for t in tpls])
        else:
            print_table([_("name"), _("version"), _("items"), "sha256", _("created")],
                        [[t.name, t.version, len(t.items), t.sha256[:16], t.created_at] for t in tpls])
        return 0
    if len(words) == 3 and words[1] == "import":
        authenticated(args)                       # a change to the store: only for an account of it
        tpl, created = import_template(engine, words[2])
        out = {"name": tpl.name, "version": tpl.version, "sha256": tpl.sha256, "created": created}
        if args.format == "json":
            print_json(out)
        else:
            msg = _("stored {name}:{version} (new version)") if created else _("same content as {name}:{version}; nothing stored")
            print(msg.format(**out))
        return 0
    raise UserError(_("use: records templates list | records templates import FILE"))


def _sample_json(s: rec.RecordSample) -> dict[str, Any]:
    return asdict(s)


def cmd_records(args) -> int:
    if args.words:
        if args.words[0] != "templates":
            raise UserError(_("unknown records action '{w}' (use: templates list|import FILE)").format(w=args.words[0]))
        return _templates(args)
    if args.inspection is None:
        raise UserError(_("records needs --inspection ID (or: records templates list|import FILE)"))
    engine = store(args)
    iid = args.inspection
    if args.mdtrt is not None:
        if args.item is None or args.outcome is None:
            raise UserError(_("--mdtrt needs --item ITEM and --outcome pass|fail|na"))
        ev = rec.answer(engine, iid, args.mdtrt, args.item, args.outcome, args.amount, args.note,
                       actor=authenticated(args))
        print_json(ev.payload | {"event": ev.id}) if args.format == "json" else \
            print(_("{id} {item}: {outcome}").format(id=args.mdtrt, item=args.item, outcome=_(args.outcome)))
        return 0
    stray = [f for f, v in (("--item", args.item), ("--outcome", args.outcome), ("--amount", args.amount)) if v is not None]
    if stray:
        raise UserError(_("{flags} go with --mdtrt").format(flags=", ".join(stray)))
    if args.sample:
        from inspector.reports.wording import record_sample_text

        s = rec.draw_sample(engine, iid, n=args.n, seed=args.seed, stratify=args.stratify, template=args.template,
                           actor=authenticated(args))
        if args.format == "json":
            print_json(_sample_json(s))
        else:
            print(_("seed {seed}; n {n} of {pop}; method: {method}; template {t}:{v}").format(
                seed=s.seed, n=s.n, pop=s.population, method=record_sample_text(s).rstrip("。."), t=s.template["name"],
                v=s.template["version"]))
            for st in s.strata:
                print(_("  department {d}: {k} of {p}").format(d=st["dept_codg"] or "-", k=st["n"], p=st["population"]))
            for i in s.ids:
                print(i)
        return 0
    # --summary (also what `records --inspection ID` alone shows)
    if any(v is not None for v in (args.n, args.seed, args.stratify, args.template)):
        raise UserError(_("--n, --seed, --stratify and --template go with --sample"))
    with engine.connect() as conn:
        summary = rec.records_summary(conn, iid)
    if args.format == "json":
        print_json(summary.as_json())
        return 0
    print(_("seed {seed}; n {n} of {pop}; template {t}:{v} ({sha})").format(
        seed=summary.seed, n=summary.n, pop=summary.population, t=summary.template["name"],
        v=summary.template["version"], sha=summary.template["sha256"][:16]))
    print_table([_("medical record"), _("department"), _("discharged at"), _("status"), _("amount"), _("failed items")],
                [[r.mdtrt_id, r.dept_codg, r.dscg_time, _(r.status), r.amount,
                  ", ".join(i.id for i in r.items if i.outcome == "fail")] for r in summary.records])
    print(_("failed records' amount: {a}").format(a=summary.total_amount))
    return 0

