"""On-site commands: ward census, findings, evidence, the team, and checking the event log.

Every command that records something prints what it recorded only after the commit.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from inspector.cli.common import authenticated, print_json, print_table, store
from inspector.errors import UserError
from inspector.events import Event
from inspector.i18n import N_, _
from inspector.reports.checks_data import source_text
from inspector.reports.wording import percent

HISTORY_TEXT = {"finding.created": N_("created"), "finding.edited": N_("changed"),
                "finding.submitted": N_("submitted for review"), "finding.reviewed": N_("reviewed"),
                "finding.amended": N_("amended")}
CHANGE_LABELS = {"category": N_("category"), "amount": N_("amount"), "multiplier": N_("multiplier"),
                 "fixed_fine": N_("fixed fine"), "refused": N_("refused to correct"), "fraud": N_("fraud established"),
                 "description": N_("description"), "handling": N_("proposed handling"), "evidence": N_("evidence")}


ATTACH_TEXT = {"finding": N_("finding {ref}"), "lead": N_("lead No. {ref}"), "census": N_("ward census, visit {ref}"),
               "stock": N_("drug stock count, drug {ref}"), "record": N_("record review, visit {ref}")}


def _attached_text(attach: dict[str, Any]) -> str:
    """What a piece of evidence is attached to, in words (`census:M1` reads 'ward census, visit M1')."""
    msg = ATTACH_TEXT.get(str(attach.get("type")))
    return _(msg).format(ref=attach.get("ref")) if msg else f"{attach.get('type')} {attach.get('ref')}"


def _value_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return _("yes") if v else _("no")
    if isinstance(v, (list, tuple)):
        return _(", ").join(_value_text(x) for x in v) if v else _("none")
    return str(v)


def finding_rows(d: dict[str, Any]) -> list[tuple[str, str]]:
    """A finding's fields, labelled in words, for `findings show`."""
    allowed = d.get("allowed_multiplier")
    return [
        (_("No."), str(d["no"])), (_("status"), _(d["status"])), (_("category"), f"{d['category']} {d['category_name']}"),
        (_("legal basis"), d["basis"] or ""), (_("fine range"), d["fine_range"] or ""),
        (_("multiplier allowed"), "-".join(str(x) for x in allowed) if isinstance(allowed, (list, tuple)) else _value_text(allowed)),
        (_("source"), source_text(d["source_type"], d["ref"])), (_("amount"), _value_text(d["amount"])),
        (_("recovery"), _value_text(d["recovery"])), (_("multiplier"), _value_text(d["multiplier"])),
        (_("fixed fine"), _value_text(d["fixed_fine"])), (_("fine"), _value_text(d["fine"])),
        (_("total"), _value_text(d["total"])), (_("description"), d["description"] or ""),
        (_("proposed handling"), d["handling"] or ""), (_("evidence"), _value_text(d["evidence"])),
        (_("amends finding"), _value_text(d["amends"])), (_("amended by finding"), _value_text(d["amended_by"])),
        (_("finding id"), d["id"]),
    ]


def history_text(h: dict[str, Any]) -> str:
    """One line of a finding's history in words."""
    what = _(HISTORY_TEXT[h["event"]]) if h.get("event") in HISTORY_TEXT else str(h.get("event"))
    extra = ""
    changes = h.get("changes")
    if isinstance(changes, dict) and changes:
        extra = _(", ").join(f"{_(CHANGE_LABELS[k]) if k in CHANGE_LABELS else k} {_value_text(v)}"
                             for k, v in changes.items())
    elif h.get("decision"):
        extra = _("approved") if h["decision"] == "approve" else _("returned")
    comment = h.get("comment")
    if comment:
        extra = f"{extra} {comment}".strip()
    at = str(h.get("at") or "")[:19]
    return f"{at}  {h.get('author') or ''}  {what}  {extra}".rstrip()


def _event_json(ev: Event) -> dict[str, Any]:
    return {"seq": ev.seq, "id": ev.id, "kind": ev.kind, "at": ev.at, "author": ev.author, "device": ev.device,
            "payload": ev.payload}


def _ack(args, ev: Event, text: str) -> None:
    """Print the acknowledgement of a committed event and flush it at once."""
    if getattr(args, "format", "table") == "json":
        print_json(_event_json(ev))
    else:
        print(_("recorded as event #{seq} ({id}): {what}").format(seq=ev.seq, id=ev.id, what=text))
    sys.stdout.flush()


def register(sub, common) -> None:
    p = sub.add_parser("census", parents=[common], help=_("ward census (C1): record outcomes, roster, live figures"))
    p.add_argument("--inspection", type=int, required=True, metavar="ID")
    p.add_argument("--mdtrt", metavar="X", help=_("visit (mdtrt_id) whose outcome is recorded"))
    p.add_argument("--outcome", metavar="OUTCOME",
                   help=_("present | identity_mismatch | on_leave | absent | discharged"))
    p.add_argument("--id-number", metavar="N", help=_("ID number typed or scanned (hashed, never stored)"))
    p.add_argument("--note", metavar="T")
    p.add_argument("--photo", metavar="FILE", help=_("ID photo or leave slip, stored as evidence"))
    p.add_argument("--staff", metavar="NAME", help=_("staff on duty"))
    p.add_argument("--at", metavar="TIME", help=_("time checked 'YYYY-MM-DD HH:MM:SS' (default now)"))
    p.add_argument("--summary", action="store_true", help=_("live figures per ward and overall"))
    p.add_argument("--roster", action="store_true", help=_("the roster at the visit time, with outcomes so far"))
    p.add_argument("--ward", metavar="W")
    p.add_argument("--undo", action="store_true", help=_("undo the last census tick (as a new event)"))
    p.add_argument("--unregistered", action="store_true", help=_("record an occupant with no registration"))
    p.add_argument("--bed", metavar="B")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_census)

    p = sub.add_parser("findings", parents=[common], help=_("findings: list, add, show, edit, submit, review, amend"))
    fsub = p.add_subparsers(dest="action", metavar="<action>", required=True)
    _findings_parsers(fsub, common)

    p = sub.add_parser("evidence", parents=[common], help=_("evidence: add a photo or file, list, export verified"))
    esub = p.add_subparsers(dest="action", metavar="<action>", required=True)
    q = esub.add_parser("add", parents=[common], help=_("store a file as evidence (by SHA-256)"))
    q.add_argument("--inspection", type=int, required=True, metavar="ID")
    q.add_argument("--file", required=True, metavar="FILE")
    q.add_argument("--caption", default="", metavar="T")
    q.add_argument("--captured-at", metavar="TIME")
    q.add_argument("--attach", metavar="TYPE:REF", help=_("e.g. finding:3, lead:12, census:M1"))
    q.add_argument("--format", choices=["table", "json"], default="table")
    q.set_defaults(func=cmd_evidence_add)
    q = esub.add_parser("list", parents=[common], help=_("the inspection's evidence"))
    q.add_argument("--inspection", type=int, required=True, metavar="ID")
    q.add_argument("--format", choices=["table", "json"], default="table")
    q.set_defaults(func=cmd_evidence_list)
    q = esub.add_parser("export", parents=[common], help=_("write stored evidence to a file, verified by SHA-256"))
    q.add_argument("sha256")
    q.add_argument("--out", required=True, metavar="FILE")
    q.set_defaults(func=cmd_evidence_export)

    p = sub.add_parser("team", parents=[common], help=_("the inspection team: list, add, remove"))
    p.add_argument("--inspection", type=int, required=True, metavar="ID")
    p.add_argument("--add", metavar="LOGIN", help=_("an account of this store (name and certificate number come from it)"))
    p.add_argument("--role", choices=["inspector", "lead"], default="inspector")
    p.add_argument("--remove", metavar="LOGIN", help=_("a member, by login or name"))
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_team)

    p = sub.add_parser("verify-log", parents=[common],
                       help=_("check the event log's hash chains against the heads signed by the accounts"))
    p.add_argument("--pdf", type=Path, action="append", default=[], metavar="SIGNED.pdf",
                   help=_("also check against the event-log heads a signed report carries (repeatable)"))
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_verify_log)


# --- census -------------------------------------------------------------------------------

def cmd_census(args) -> int:
    from inspector.checks import census as c

    engine = store(args)
    modes = [m for m in ("summary", "roster", "undo", "unregistered") if getattr(args, m)]
    if args.mdtrt or args.outcome:
        modes.append("outcome")
    if len(modes) != 1:
        raise UserError(_("census: give exactly one of --mdtrt/--outcome, --summary, --roster, --undo, --unregistered"))
    mode = modes[0]
    if mode == "summary":
        with engine.connect() as conn:
            s = c.census_summary(conn, args.inspection)
        if args.format == "json":
            print_json(s)
        else:
            _print_summary(s)
        return 0
    if mode == "roster":
        with engine.connect() as conn:
            rows = c.roster_as_dicts(c.roster(conn, args.inspection, args.ward), c.census_state(conn, args.inspection))
        if args.format == "json":
            print_json(rows)
        else:
            print_table([_("ward"), _("bed"), _("visit"), _("full name"), _("ID (masked)"), _("admitted"), _("days"),
                         _("leave at V"), _("outcome")],
                        [[r["ward_codg"], r["bed"], r["mdtrt_id"], r["psn_name"], r["certno_mask"], r["begntime"],
                          r["days"], _("yes") if r["leave_covers_v"] else "",
                          _(c.OUTCOME_LABELS[r["outcome"]]) if r["outcome"] else ""] for r in rows])
        return 0
    if mode == "undo":
        ev = c.undo_last(engine, args.inspection, actor=authenticated(args))
        p = ev.payload
        _ack(args, ev, _("undid {outcome} of ward {ward} bed {bed}").format(
            outcome=_(c.OUTCOME_LABELS.get(p["outcome"], p["outcome"])), ward=p["ward_codg"], bed=p["bed"]))
        return 0
    if mode == "unregistered":
        if not args.ward or not args.bed or not args.note:
            raise UserError(_("census --unregistered needs --ward, --bed and --note"))
        ev = c.record_unregistered(engine, args.inspection, args.ward, args.bed, args.note, photo=args.photo,
                                   checked_at=args.at, staff_on_duty=args.staff, actor=authenticated(args))
        _ack(args, ev, _("unregistered occupant in ward {ward} bed {bed}").format(ward=args.ward, bed=args.bed))
        return 0
    if not args.mdtrt or not args.outcome:
        raise UserError(_("census: an outcome needs both --mdtrt and --outcome"))
    ev = c.record_outcome(engine, args.inspection, args.mdtrt, args.outcome, id_number=args.id_number,
                          note=args.note, photo=args.photo, checked_at=args.at, staff_on_duty=args.staff,
                          actor=authenticated(args))
    p = ev.payload
    idtext = "" if p["id_match"] is None else (_(", ID matched") if p["id_match"] else _(", ID does NOT match"))
    _ack(args, ev, _("visit {m}, ward {ward} bed {bed}: {outcome}{id} at {at}").format(
        m=p["mdtrt_id"], ward=p["ward_codg"], bed=p["bed"], outcome=_(c.OUTCOME_LABELS[p["outcome"]]), id=idtext,
        at=p["checked_at"]))
    return 0


def _print_summary(s: dict[str, Any]) -> None:
    from inspector.checks.census import OUTCOMES, OUTCOME_LABELS

    period = _("night") if s["period"] == "night" else _("day")
    print(_("Ward census at {v} ({period})").format(v=s["visit_time"], period=period))
    cols = ["registered", "checked", *OUTCOMES, "unregistered", "absent_rate", "absence_ratio", "occupancy"]
    heads = [_("ward"), _("registered"), _("checked"), *[_(OUTCOME_LABELS[o]) for o in OUTCOMES],
             _(OUTCOME_LABELS["unregistered"]), _("absent rate"), _("absence ratio"), _("occupancy"),
             _("amount"), _("rule")]
    rows = [[w["ward_codg"], *[w[k] for k in cols], w["amount_involved"], _("applied") if w["rule_applied"] else ""]
            for w in s["wards"]]
    o = s["overall"]
    rows.append([_("all"), *[o[k] for k in cols], o["amount_involved"], ""])
    print_table(heads, rows)
    for f in s["flagged"]:
        mark = " *" if f["phantom_by_ward_rule"] else ""
        print(_("  ward {ward} bed {bed}, visit {m}, {name}: {outcome}, category {category}, amount {amount}{mark}").format(
            ward=f["ward_codg"], bed=f["bed"], m=f["mdtrt_id"], name=f["psn_name"],
            outcome=_(OUTCOME_LABELS[f["outcome"]]), category=f["category"], amount=f["amount"], mark=mark))
    if any(f["phantom_by_ward_rule"] for f in s["flagged"]):
        print(_("  * treated as a phantom inpatient by the ward absence rule"))
    rule = s["ward_rule"]
    if not rule["enabled"]:
        print(_("Ward absence rule: off"))
    elif rule["threshold"] is None:
        print(_("Ward absence rule: not applicable (no hospital tier)"))
    else:
        print(_("Ward absence rule: tier {tier}, threshold {t}; applied to: {wards}").format(
            tier=rule["tier"], t=percent(rule["threshold"]), wards=", ".join(rule["applied_wards"]) or _("none")))


# --- findings -----------------------------------------------------------------------------

def _finding_value_args(q, *, with_amount: bool = True) -> None:
    q.add_argument("--category", metavar="C", help=_("V01..V07, F01..F04, M01, P01"))
    if with_amount:
        q.add_argument("--amount", metavar="CNY", help=_("amount involved (only for findings by hand)"))
    q.add_argument("--multiplier", metavar="M", help=_("fine multiplier within the category's range"))
    q.add_argument("--fixed-fine", metavar="CNY", help=_("M01 only: fixed fine 10,000-50,000 when refused"))
    q.add_argument("--refused", action="store_true", default=None, help=_("M01: the institution refused to correct"))
    q.add_argument("--fraud", action="store_true", default=None, help=_("P01: fraud established"))
    q.add_argument("--description", metavar="T")
    q.add_argument("--handling", metavar="T", help=_("proposed handling"))
    q.add_argument("--evidence", action="append", default=[], metavar="SHA256", help=_("attach stored evidence"))
    q.add_argument("--format", choices=["table", "json"], default="table")


def _findings_parsers(fsub, common) -> None:
    q = fsub.add_parser("list", parents=[common], help=_("the inspection's findings with separate totals"))
    q.add_argument("--inspection", type=int, required=True, metavar="ID")
    q.add_argument("--all", action="store_true", help=_("include amended originals"))
    q.add_argument("--format", choices=["table", "json"], default="table")
    q.set_defaults(func=cmd_findings_list)

    q = fsub.add_parser("add", parents=[common], help=_("create a draft finding from a source or by hand"))
    q.add_argument("--inspection", type=int, required=True, metavar="ID")
    q.add_argument("--source", default="manual", choices=["lead", "census", "stock", "record", "manual"])
    q.add_argument("--ref", metavar="R", help=_("the source entry: lead id, mdtrt_id, drug code, record id"))
    _finding_value_args(q)
    q.set_defaults(func=cmd_findings_add)

    q = fsub.add_parser("show", parents=[common], help=_("one finding with its history"))
    q.add_argument("--inspection", type=int, required=True, metavar="ID")
    q.add_argument("finding", metavar="FINDING", help=_("number or id"))
    q.add_argument("--format", choices=["table", "json"], default="table")
    q.set_defaults(func=cmd_findings_show)

    q = fsub.add_parser("edit", parents=[common], help=_("change a draft or returned finding"))
    q.add_argument("--inspection", type=int, required=True, metavar="ID")
    q.add_argument("finding", metavar="FINDING")
    _finding_value_args(q)
    q.add_argument("--not-refused", action="store_true")
    q.add_argument("--no-fraud", action="store_true")
    q.set_defaults(func=cmd_findings_edit)

    q = fsub.add_parser("submit", parents=[common], help=_("submit a finding for the lead's review"))
    q.add_argument("--inspection", type=int, required=True, metavar="ID")
    q.add_argument("finding", metavar="FINDING")
    q.add_argument("--format", choices=["table", "json"], default="table")
    q.set_defaults(func=cmd_findings_submit)

    q = fsub.add_parser("review", parents=[common],
                        help=_("approve or return a finding, as the logged-in team lead (or deputy for the lead's own)"))
    q.add_argument("--inspection", type=int, required=True, metavar="ID")
    q.add_argument("finding", metavar="FINDING")
    g = q.add_mutually_exclusive_group(required=True)
    g.add_argument("--approve", action="store_true")
    g.add_argument("--return", dest="ret", action="store_true")
    q.add_argument("--comment", default="", metavar="T")
    q.add_argument("--format", choices=["table", "json"], default="table")
    q.set_defaults(func=cmd_findings_review)

    q = fsub.add_parser("amend", parents=[common], help=_("correct an approved finding with an amendment"))
    q.add_argument("--inspection", type=int, required=True, metavar="ID")
    q.add_argument("finding", metavar="FINDING")
    q.add_argument("--reason", required=True, metavar="T")
    _finding_value_args(q)
    q.set_defaults(func=cmd_findings_amend)


def _changes(args, *, allow_amount: bool = True) -> dict[str, Any]:
    ch: dict[str, Any] = {}
    for k in ("category", "multiplier", "fixed_fine", "description", "handling"):
        v = getattr(args, k, None)
        if v is not None:
            ch[k] = v
    if allow_amount and getattr(args, "amount", None) is not None:
        ch["amount"] = args.amount
    if args.refused:
        ch["refused"] = True
    if getattr(args, "not_refused", False):
        ch["refused"] = False
    if args.fraud:
        ch["fraud"] = True
    if getattr(args, "no_fraud", False):
        ch["fraud"] = False
    return ch


def _finding_line(f) -> str:
    p = f.penalty
    return _("finding {n} [{status}] {cat}: amount {amount}, recovery {rec}, fine {fine}, total {total}").format(
        n=f.no, status=_(f.status), cat=f.category, amount=p.amount, rec=p.recovery, fine=p.fine, total=p.total)


def _ack_finding(args, engine, ev: Event, finding_id: str) -> None:
    from inspector.findings import get_finding

    with engine.connect() as conn:
        f = get_finding(conn, ev.inspection_id, finding_id)
    _ack(args, ev, _finding_line(f))


def cmd_findings_list(args) -> int:
    from inspector.findings import findings_totals, fold_findings

    with store(args).connect() as conn:
        fs = fold_findings(conn, args.inspection)
    shown = [f for f in fs if args.all or not f.superseded]
    t = findings_totals(fs)
    ta = findings_totals(fs, ("approved",))
    if args.format == "json":
        print_json({"inspection_id": args.inspection, "findings": [f.as_dict() for f in shown],
                    "totals": t.as_dict(), "approved_totals": ta.as_dict()})
        return 0
    rows = []
    for f in shown:
        p = f.penalty
        rows.append([f.no, _(f.status) + (" " + _("(amended)") if f.superseded else ""), f.category,
                     source_text(f.source_type, f.ref), p.amount, "" if p.multiplier is None else p.multiplier,
                     p.fine, p.total, f.description.splitlines()[0][:40] if f.description else ""])
    print_table([_("No."), _("status"), _("category"), _("source"), _("amount"), _("multiplier"), _("fine"),
                 _("total"), _("description")], rows)
    print(_("Totals: fund recovery {rec}; fines {fines}; together {total} ({n} findings)").format(
        rec=t.fund_recovery, fines=t.fines, total=t.total, n=t.count))
    return 0


def cmd_findings_add(args) -> int:
    from inspector.findings import create_finding

    engine = store(args)
    ev = create_finding(engine, args.inspection, args.source, args.ref, category_code=args.category,
                        amount=args.amount, multiplier=args.multiplier, fixed_fine=args.fixed_fine,
                        refused=bool(args.refused), fraud=bool(args.fraud), description=args.description,
                        handling=args.handling or "", evidence=args.evidence, actor=authenticated(args))
    _ack_finding(args, engine, ev, ev.id)
    return 0


def cmd_findings_show(args) -> int:
    from inspector.findings import get_finding

    with store(args).connect() as conn:
        d = get_finding(conn, args.inspection, args.finding).as_dict()
    if args.format == "json":
        print_json(d)
        return 0
    for label, value in finding_rows(d):
        print(_("{label}: {value}").format(label=label, value=value))
    print(_("History:"))
    for h in d["history"]:
        print("  " + history_text(h))
    return 0


def cmd_findings_edit(args) -> int:
    from inspector.findings import edit_finding

    engine = store(args)
    ch = _changes(args)
    if args.evidence:
        ch["evidence"] = args.evidence
    ev = edit_finding(engine, args.inspection, args.finding, ch, actor=authenticated(args))
    _ack_finding(args, engine, ev, ev.payload["finding_id"])
    return 0


def cmd_findings_submit(args) -> int:
    from inspector.findings import submit_finding

    engine = store(args)
    ev = submit_finding(engine, args.inspection, args.finding, actor=authenticated(args))
    _ack_finding(args, engine, ev, ev.payload["finding_id"])
    return 0


def cmd_findings_review(args) -> int:
    from inspector.findings import review_finding

    engine = store(args)
    ev = review_finding(engine, args.inspection, args.finding, "approve" if args.approve else "return",
                        args.comment, actor=authenticated(args))
    _ack_finding(args, engine, ev, ev.payload["finding_id"])
    return 0


def cmd_findings_amend(args) -> int:
    from inspector.findings import amend_finding

    engine = store(args)
    ev = amend_finding(engine, args.inspection, args.finding, _changes(args), args.reason, actor=authenticated(args))
    _ack_finding(args, engine, ev, ev.id)
    return 0


# --- evidence, team, log ------------------------------------------------------------------

def cmd_evidence_add(args) -> int:
    from inspector.evidence import add_evidence

    attach = None
    if args.attach:
        kind, sep, ref = args.attach.partition(":")
        if not sep or not ref:
            raise UserError(_("--attach: expected TYPE:REF, e.g. finding:3"))
        attach = {"type": kind, "ref": ref}
    sha, ev = add_evidence(store(args), args.inspection, Path(args.file), caption=args.caption,
                           captured_at=args.captured_at, actor=authenticated(args), attach_to=attach)
    _ack(args, ev, _("{file} stored as {sha} ({size} bytes)").format(file=ev.payload["filename"], sha=sha,
                                                                     size=ev.payload["size"]))
    return 0


def cmd_evidence_list(args) -> int:
    from dataclasses import asdict

    from inspector.evidence import list_evidence

    with store(args).connect() as conn:
        items = list_evidence(conn, args.inspection)
    if args.format == "json":
        print_json([asdict(i) for i in items])
        return 0
    print_table([_("SHA-256"), _("file"), _("caption"), _("captured"), _("author"), _("attached to")],
                [[i.sha256[:16], i.filename, i.caption, i.captured_at, i.author,
                  _attached_text(i.attach_to) if i.attach_to else ""] for i in items])
    return 0


def cmd_evidence_export(args) -> int:
    from inspector.evidence import read_evidence

    with store(args).connect() as conn:
        content = read_evidence(conn, args.sha256)
    from inspector.outputs import write_atomically

    write_atomically(Path(args.out), content)
    print(_("wrote {n} bytes to {out}; SHA-256 verified").format(n=len(content), out=args.out))
    return 0


def cmd_team(args) -> int:
    from inspector.team import add_member, current_team, remove_member, team_as_dicts, team_problems

    engine = store(args)
    if args.add and args.remove:
        raise UserError(_("team: give --add or --remove, not both"))
    if args.add:
        ev = add_member(engine, args.inspection, args.add, args.role, actor=authenticated(args))
        _ack(args, ev, _("{name} ({role}, certificate {cert}) joined the team").format(
            name=ev.payload["name"], role=_(ev.payload["role"]), cert=ev.payload["cert_no"]))
        return 0
    if args.remove:
        ev = remove_member(engine, args.inspection, args.remove, actor=authenticated(args))
        _ack(args, ev, _("{name} left the team").format(name=args.remove))
        return 0
    with engine.connect() as conn:
        team = current_team(conn, args.inspection)
    if args.format == "json":
        print_json({"team": team_as_dicts(team), "problems": team_problems(team)})
        return 0
    print_table([_("full name"), _("login"), _("certificate"), _("role")],
                [[m.name, m.login or "", m.cert_no, _(m.role)] for m in team])
    for p in team_problems(team):
        print(_("note: {p}").format(p=p))
    return 0


def _print_notes(notes) -> None:
    for n in notes:
        print(_("note: {what}").format(what=n.message))


def cmd_verify_log(args) -> int:
    """Each chain recomputed, then compared with every signed head the store keeps and with the heads
    the signed reports given with --pdf carry; exit 1 naming every problem."""
    from inspector.anchors import (adopted_events, check_against_pdf, check_log, read_reports, signed_heads_line,
                                   valid_anchors)
    from inspector.events import verify_log

    engine = store(args)
    pdfs = read_reports(args.pdf)
    check = verify_log(engine)
    problems: list[str] = []
    kinds: list[dict[str, Any]] = []
    if not check.ok:
        problems.append(_("event log broken at seq {seq}, event {id}: {reason}").format(
            seq=check.broken_seq, id=check.broken_id, reason=check.reason))
        kinds.append({"kind": "broken", "seq": check.broken_seq, "id": check.broken_id, "message": problems[-1]})
    with engine.connect() as conn:
        checked = valid_anchors(conn)         # every signed record's signature, checked once
        found = check_log(conn, anchors=checked)
        for path, data in pdfs:
            found += check_against_pdf(conn, data, path.name)
        anchors = checked[0]
        notes = adopted_events(conn, bodies=anchors)
    for p in found:
        problems.append(p.message)
        kinds.append(p.as_dict())
    if args.format == "json":
        print_json({"ok": not problems, "events": check.count, "signed_heads": len(anchors),
                    "pdfs": [str(p) for p, _d in pdfs], "problems": kinds,
                    "notes": [n.as_dict() for n in notes]})
        return 0 if not problems else 1
    if not problems:
        print(f"ok, {check.count} events")      # an interface: never translated
        if anchors or pdfs:
            print(signed_heads_line(len(anchors), anchors[-1] if anchors else None, len(pdfs)))
        _print_notes(notes)
        return 0
    for text in problems:
        print(text)
    _print_notes(notes)
    print(_("the event log does not hold what was signed: {n} problems").format(n=len(problems)))
    return 1
