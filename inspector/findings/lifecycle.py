"""Findings as events: created, edited, submitted, reviewed, amended; the state is folded.

Statuses: draft -> submitted -> approved | returned (with a comment) -> (edited) -> submitted ...
An approved finding is signed off: it is never edited, a correction is an amendment (a new
finding referencing the original, which is then superseded and leaves the totals).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine

from inspector.db import write_transaction
from inspector.errors import UserError
from inspector.events import Event, append_event, read_events
from inspector.findings.categories import REGULATION, category
from inspector.findings.penalty import Penalty, Totals, compute_penalty, parse_amount, round_cents, totals
from inspector.findings.sources import SOURCE_TYPES, resolve_source
from inspector.i18n import _
from inspector.settings import effective_settings

if TYPE_CHECKING:
    from inspector.accounts import Actor

STATUSES = ("draft", "submitted", "approved", "returned")
EDITABLE = ("category", "amount", "multiplier", "fixed_fine", "refused", "fraud", "description", "handling")


@dataclass
class Finding:
    no: int
    id: str
    source_type: str
    ref: str
    category: str
    amount: Decimal
    multiplier: Decimal | None
    fixed_fine: Decimal | None
    refused: bool
    fraud: bool
    band: dict[str, Any] | None
    allowed: list[str] | None
    description: str
    handling: str
    evidence: list[str]
    status: str
    created_by: str
    created_at: str
    amends: str | None = None
    amended_by: str | None = None
    reviews: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)   # logins who wrote, edited or amended it (and its originals)

    @property
    def superseded(self) -> bool:
        return self.amended_by is not None

    @property
    def return_comment(self) -> str | None:
        """The lead's comment when the finding was returned and is not yet resubmitted."""
        if self.status == "returned" and self.reviews:
            return self.reviews[-1].get("comment") or ""
        return None

    @property
    def approved_by(self) -> dict[str, Any] | None:
        """The approving review (who, when, as which role), when approved."""
        if self.status == "approved" and self.reviews:
            return self.reviews[-1]
        return None

    @property
    def penalty(self) -> Penalty:
        """Recovery, fine and total from the stored choices (validated, bands included, when recorded)."""
        return compute_penalty(self.category, self.amount, multiplier=self.multiplier, fixed_fine=self.fixed_fine,
                               refused=self.refused, fraud=self.fraud)

    def as_dict(self) -> dict[str, Any]:
        """The finding in the application's JSON form (amounts as exact decimal strings)."""
        cat = category(self.category)
        p = self.penalty
        return {
            "no": self.no, "id": self.id, "status": self.status, "superseded": self.superseded,
            "source_type": self.source_type, "ref": self.ref,
            "category": cat.code, "category_name": cat.label(),
            "basis": _("{regulation} {article}").format(regulation=_(REGULATION), article=cat.basis_text()),
            "fine_range": cat.fine_range_text(),
            "allowed_multiplier": self.allowed, "discretion_band": self.band,
            "amount": str(p.amount), "recovery": str(p.recovery),
            "multiplier": None if p.multiplier is None else str(p.multiplier),
            "fixed_fine": None if self.fixed_fine is None else str(self.fixed_fine),
            "refused": self.refused, "fraud": self.fraud,
            "fine": str(p.fine), "total": str(p.total),
            "description": self.description, "handling": self.handling, "evidence": list(self.evidence),
            "amends": self.amends, "amended_by": self.amended_by,
            "created_by": self.created_by, "created_at": self.created_at,
            "authors": list(self.authors), "return_comment": self.return_comment,
            "reviews": list(self.reviews), "history": list(self.history),
        }


# --- folding ------------------------------------------------------------------------------

def _dec(v: Any) -> Decimal | None:
    return None if v is None else Decimal(v)


def _apply(f: Finding, values: dict[str, Any]) -> None:
    for k, v in values.items():
        if k in ("amount", "multiplier", "fixed_fine"):
            v = _dec(v)
        setattr(f, k, v)


def fold_findings(conn: Connection, inspection_id: int) -> list[Finding]:
    """Every finding of the inspection, in creation order, as the events leave it."""
    out: dict[str, Finding] = {}
    extra_evidence: dict[str, list[str]] = {}
    for ev in read_events(conn, inspection_id, ["finding.*", "evidence.added"]):
        p = ev.payload
        if ev.kind == "evidence.added":
            att = p.get("attach_to") or {}
            if att.get("type") == "finding":
                extra_evidence.setdefault(str(att["ref"]), []).append(p["sha256"])
            continue
        if ev.kind == "finding.created":
            f = Finding(len(out) + 1, ev.id, p["source_type"], p["ref"], p["category"], Decimal(p["amount"]),
                        _dec(p.get("multiplier")), _dec(p.get("fixed_fine")), p.get("refused", False),
                        p.get("fraud", False), p.get("band"), p.get("allowed"), p.get("description", ""),
                        p.get("handling", ""), list(p.get("evidence", [])), "draft", ev.author, ev.at,
                        amends=p.get("amends"))
            out[ev.id] = f
            f.authors.append(ev.author)
            if f.amends in out:
                out[f.amends].amended_by = ev.id
                f.authors.extend(a for a in out[f.amends].authors if a not in f.authors)
            f.history.append({"at": ev.at, "author": ev.author, "event": ev.kind, "event_id": ev.id})
            continue
        f = out.get(p.get("finding_id"))
        if f is None:
            continue
        entry: dict[str, Any] = {"at": ev.at, "author": ev.author, "event": ev.kind, "event_id": ev.id}
        if ev.kind == "finding.edited":
            _apply(f, p["changes"])
            entry.update(changes=p["changes"], previous=p["previous"])
            if ev.author not in f.authors:
                f.authors.append(ev.author)
        elif ev.kind == "finding.submitted":
            f.status = "submitted"
        elif ev.kind == "finding.reviewed":
            f.status = "approved" if p["decision"] == "approve" else "returned"
            review = {"at": ev.at, "reviewer": ev.author, "reviewer_name": p.get("reviewer_name", ev.author),
                      "reviewer_cert_no": p.get("reviewer_cert_no", ""), "as": p.get("as", "lead"),
                      "decision": p["decision"], "comment": p.get("comment", "")}
            f.reviews.append(review)
            entry.update(decision=p["decision"], comment=p.get("comment", ""),
                         reviewer_name=p.get("reviewer_name", ev.author))
        f.history.append(entry)
    for f in out.values():
        for sha in extra_evidence.get(f.id, []) + extra_evidence.get(str(f.no), []):
            if sha not in f.evidence:
                f.evidence.append(sha)
    return list(out.values())


def get_finding(conn: Connection, inspection_id: int, key: str | int) -> Finding:
    """A finding by its number in the inspection or its id (UUID, or a prefix of at least 8 characters)."""
    findings = fold_findings(conn, inspection_id)
    key = str(key).strip()
    if key.isdigit():
        hit = [f for f in findings if f.no == int(key)]
    else:
        hit = [f for f in findings if f.id == key or (len(key) >= 8 and f.id.startswith(key))]
    if len(hit) != 1:
        raise UserError(_("unknown finding '{k}' in inspection {id}").format(k=key, id=inspection_id))
    return hit[0]


def findings_totals(findings: list[Finding], statuses: tuple[str, ...] | None = None) -> Totals:
    """Separate totals (fund recovery, fines) over current findings (amended originals left out)."""
    return totals(f.penalty for f in findings if not f.superseded and (statuses is None or f.status in statuses))


# --- validation ---------------------------------------------------------------------------

def _resolve_penalty(conn: Connection, inspection_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Validate category/amount/fine choices against the law and the bands; fill the default multiplier."""
    bands = effective_settings(conn, inspection_id).get("discretion_bands") or {}
    p = compute_penalty(values["category"], values["amount"], multiplier=values.get("multiplier"),
                        fixed_fine=values.get("fixed_fine"), refused=bool(values.get("refused")),
                        fraud=bool(values.get("fraud")), bands=bands)
    fixed = None
    if category(p.category).fine_kind == "fixed_if_refused" and values.get("refused"):
        fixed = str(p.fine)
    return {
        "category": p.category, "amount": str(p.amount),
        "multiplier": None if p.multiplier is None else str(p.multiplier),
        "fixed_fine": fixed, "refused": bool(values.get("refused")), "fraud": bool(values.get("fraud")),
        "band": p.band,
        "allowed": None if p.allowed_low is None else [str(p.allowed_low), str(p.allowed_high)],
    }


def _check_evidence(conn: Connection, shas: list[str]) -> None:
    for sha in shas:
        if conn.exec_driver_sql("SELECT 1 FROM attachment WHERE sha256 = ?", (sha,)).fetchone() is None:
            raise UserError(_("no evidence with SHA-256 {h} in this store").format(h=sha))


# --- mutations ----------------------------------------------------------------------------

def create_finding(
    engine: Engine,
    inspection_id: int,
    source_type: str,
    ref: str | None = None,
    *,
    category_code: str | None = None,
    amount: Any = None,
    multiplier: Any = None,
    fixed_fine: Any = None,
    refused: bool = False,
    fraud: bool = False,
    description: str | None = None,
    handling: str = "",
    evidence: list[str] | tuple[str, ...] = (),
    actor: Actor | None = None,
    device: str | None = None,
    amends: str | None = None,
) -> Event:
    """Create a draft finding from a source (amount and suggested category from it) or by hand ('manual')."""
    if source_type not in SOURCE_TYPES:
        raise UserError(_("unknown finding source '{s}'; expected one of: {all}")
                        .format(s=source_type, all=", ".join(SOURCE_TYPES)))
    with write_transaction(engine) as conn:
        _require_member(conn, inspection_id, actor, _("record a finding"))
        existing = fold_findings(conn, inspection_id)
        if source_type == "manual":
            if category_code is None or amount is None or not (description or "").strip():
                raise UserError(_("a finding by hand needs --category, --amount and --description"))
            amt = parse_amount(amount)
            ref = ref or f"manual-{len(existing) + 1}"
            src_evidence: list[str] = []
        else:
            if amount is not None and amends is None:
                raise UserError(_("the amount of a finding from {s} is computed from the source; it cannot be typed")
                                .format(s=_(source_type)))
            src = resolve_source(conn, inspection_id, source_type, ref or "")
            amt = round_cents(Decimal(src.amount)) if amount is None else parse_amount(amount)
            category_code = category_code or src.suggested_category
            description = description or src.description
            src_evidence = list(src.evidence)
            ref = src.ref
            if amends is None:
                same = [f for f in existing if f.source_type == source_type and f.ref == ref and not f.superseded]
                if same:
                    raise UserError(_("{s} {r} already has finding {n}: one act is fined once")
                                    .format(s=_(source_type), r=ref, n=same[0].no))
        values = _resolve_penalty(conn, inspection_id, {"category": category_code, "amount": amt,
                                                         "multiplier": multiplier, "fixed_fine": fixed_fine,
                                                         "refused": refused, "fraud": fraud})
        ev_list = list(dict.fromkeys(src_evidence + list(evidence)))
        _check_evidence(conn, ev_list)
        payload = {"source_type": source_type, "ref": ref, **values, "description": description or "",
                   "handling": handling or "", "evidence": ev_list, "amends": amends}
        return append_event(engine, inspection_id, "finding.created", payload, actor=actor, device=device, conn=conn)


def edit_finding(engine: Engine, inspection_id: int, key: str | int, changes: dict[str, Any], *,
                 actor: Actor | None = None, device: str | None = None) -> Event:
    """Change a draft or returned finding; the event keeps the previous values."""
    unknown = set(changes) - set(EDITABLE) - {"evidence"}
    if unknown:
        raise UserError(_("cannot edit {fields}; editable: {all}").format(fields=", ".join(sorted(unknown)),
                                                                         all=", ".join(EDITABLE)))
    with write_transaction(engine) as conn:
        f = get_finding(conn, inspection_id, key)
        _require_author(conn, inspection_id, f, actor, _("change a finding"))
        if f.superseded:
            raise UserError(_("finding {n} was amended by a later finding; change that one").format(n=f.no))
        if f.status == "approved":
            raise UserError(_("finding {n} is approved: correct it with an amendment (findings amend)").format(n=f.no))
        if f.status == "submitted":
            raise UserError(_("finding {n} is submitted and waits for the lead's review").format(n=f.no))
        if "amount" in changes and f.source_type != "manual":
            raise UserError(_("the amount of a finding from {s} is computed from the source; it cannot be typed")
                            .format(s=_(f.source_type)))
        current = {"category": f.category, "amount": f.amount, "multiplier": f.multiplier,
                   "fixed_fine": f.fixed_fine, "refused": f.refused, "fraud": f.fraud}
        merged = {**current, **{k: v for k, v in changes.items() if k in current}}
        if ("category" in changes or "amount" in changes or "refused" in changes or "fraud" in changes) \
                and "multiplier" not in changes:
            merged["multiplier"] = None      # back to the lower end of the new range
        if "refused" in changes and not changes["refused"] and "fixed_fine" not in changes:
            merged["fixed_fine"] = None
        if "category" in changes and "fixed_fine" not in changes and category(changes["category"]).code != "M01":
            merged["fixed_fine"] = None
        values = _resolve_penalty(conn, inspection_id, merged)
        for k in ("description", "handling"):
            if k in changes:
                values[k] = changes[k] or ""
        if "evidence" in changes:
            extra = [s for s in changes["evidence"] if s not in f.evidence]
            _check_evidence(conn, extra)
            values["evidence"] = f.evidence + extra
        old = f.as_dict()
        old_values = {"band": f.band, "allowed": f.allowed, "evidence": f.evidence,
                      "description": f.description, "handling": f.handling, **{k: old[k] for k in current}}
        diff = {k: v for k, v in values.items() if v != old_values.get(k)}
        if not diff:
            raise UserError(_("nothing to change in finding {n}").format(n=f.no))
        previous = {k: old_values.get(k) for k in diff}
        return append_event(engine, inspection_id, "finding.edited",
                            {"finding_id": f.id, "changes": diff, "previous": previous},
                            actor=actor, device=device, conn=conn)


def submit_finding(engine: Engine, inspection_id: int, key: str | int, *, actor: Actor | None = None,
                   device: str | None = None) -> Event:
    """Its author submits a draft or returned finding for review."""
    with write_transaction(engine) as conn:
        f = get_finding(conn, inspection_id, key)
        _require_author(conn, inspection_id, f, actor, _("submit a finding"))
        if f.status not in ("draft", "returned") or f.superseded:
            raise UserError(_("finding {n} is {s}: only a draft or returned finding can be submitted")
                            .format(n=f.no, s=_(f.status)))
        if not (f.handling or "").strip():
            raise UserError(_("finding {n} has no proposed handling: state it before submitting (e.g. recover the "
                              "amount and impose a fine)").format(n=f.no))
        return append_event(engine, inspection_id, "finding.submitted", {"finding_id": f.id},
                            actor=actor, device=device, conn=conn)


def reviewer_for(conn: Connection, inspection_id: int, f: Finding) -> tuple[str, Any]:
    """Who reviews finding `f`: ('lead', the team lead) or, when the lead wrote, edited or amended
    it, ('deputy', None): any deputy reviewer who did not write it either."""
    from inspector.team import team_lead

    lead = team_lead(conn, inspection_id)
    if lead is None:
        raise UserError(_("inspection {id} has no team lead: add one with `team --add LOGIN --role lead`")
                        .format(id=inspection_id))
    if lead.login is not None and lead.login in f.authors:
        return "deputy", None
    return "lead", lead


def review_finding(engine: Engine, inspection_id: int, key: str | int, decision: str, comment: str, *,
                   actor: Actor | None, device: str | None = None) -> Event:
    """The team lead approves or returns a submitted finding (a return needs a comment). Nobody
    reviews a finding they wrote, edited or amended: the lead's own findings go to a deputy."""
    from inspector.accounts import PermissionDenied, require_role

    if decision not in ("approve", "return"):
        raise UserError(_("review decision must be approve or return"))
    if decision == "return" and not (comment or "").strip():
        raise UserError(_("returning a finding needs a comment saying what to change"))
    require_role(actor, action=_("review a finding"))
    with write_transaction(engine) as conn:
        f = get_finding(conn, inspection_id, key)
        if f.status != "submitted":
            raise UserError(_("finding {n} is {s}: only a submitted finding can be reviewed").format(n=f.no, s=_(f.status)))
        if actor.login in f.authors:
            raise PermissionDenied(_("{who} wrote or amended finding {n} and cannot review it").format(
                who=actor.display_name, n=f.no))
        if decision == "approve":
            from inspector.exchange.conflicts import list_conflicts

            open_conflicts = list_conflicts(conn, inspection_id)
            if open_conflicts:
                raise UserError(_("{n} items were recorded differently on two laptops and are not yet resolved "
                                  "(see the conflicts): resolve them before approving").format(n=len(open_conflicts)))
        as_role, lead = reviewer_for(conn, inspection_id, f)
        if as_role == "lead":
            if actor.login != lead.login:
                raise PermissionDenied(_("only the team lead ({lead}) reviews finding {n}, not {who}")
                                       .format(lead=lead.name, n=f.no, who=actor.display_name))
        elif actor.role != "deputy":
            raise PermissionDenied(_("finding {n} was written or amended by the team lead: a deputy reviewer "
                                     "reviews it, not {who}").format(n=f.no, who=actor.display_name))
        return append_event(engine, inspection_id, "finding.reviewed",
                            {"finding_id": f.id, "decision": decision, "comment": comment or "",
                             "reviewer_name": actor.display_name, "reviewer_cert_no": actor.cert_no,
                             "as": as_role},
                            actor=actor, device=device, conn=conn)


def _require_member(conn: Connection, inspection_id: int, actor: Actor | None, action: str) -> None:
    """`actor` must be logged in and on the inspection's team."""
    from inspector.accounts import PermissionDenied, require_role
    from inspector.team import member_of

    require_role(actor, action=action)
    if member_of(conn, inspection_id, actor.login) is None:
        raise PermissionDenied(_("{who} is not on the team of inspection {id}").format(
            who=actor.display_name, id=inspection_id))


def _require_author(conn: Connection, inspection_id: int, f: Finding, actor: Actor | None, action: str) -> None:
    """A draft or returned finding is changed and submitted by the team member who wrote it."""
    from inspector.accounts import PermissionDenied

    _require_member(conn, inspection_id, actor, action)
    if f.created_by != actor.login:
        raise PermissionDenied(_("finding {n} belongs to {author}: only its author changes or submits it")
                               .format(n=f.no, author=f.created_by))


def amend_finding(engine: Engine, inspection_id: int, key: str | int, changes: dict[str, Any], reason: str, *,
                  actor: Actor | None = None, device: str | None = None) -> Event:
    """Correct an approved finding: a new draft finding referencing the original, which is superseded."""
    if not (reason or "").strip():
        raise UserError(_("an amendment needs a reason"))
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise UserError(_("cannot edit {fields}; editable: {all}").format(fields=", ".join(sorted(unknown)),
                                                                         all=", ".join(EDITABLE)))
    with engine.connect() as conn:
        f = get_finding(conn, inspection_id, key)
        _require_member(conn, inspection_id, actor, _("amend a finding"))
    if f.status != "approved":
        raise UserError(_("finding {n} is {s}: edit it; only an approved finding is amended").format(n=f.no, s=_(f.status)))
    if f.superseded:
        raise UserError(_("finding {n} was already amended; amend the latest version").format(n=f.no))
    if "amount" in changes and f.source_type != "manual":
        raise UserError(_("the amount of a finding from {s} is computed from the source; it cannot be typed")
                        .format(s=_(f.source_type)))
    v = {"category": f.category, "amount": f.amount, "multiplier": f.multiplier, "fixed_fine": f.fixed_fine,
         "refused": f.refused, "fraud": f.fraud, "description": f.description, "handling": f.handling}
    if "category" in changes or "amount" in changes:
        v["multiplier"] = None
    v.update(changes)
    desc = v["description"] + "\n" + _("Amends finding {n}: {reason}").format(n=f.no, reason=reason)
    return _create_amendment(engine, inspection_id, f, v, desc, reason, actor, device)


def _create_amendment(engine: Engine, inspection_id: int, f: Finding, v: dict[str, Any], desc: str, reason: str,
                      actor: Actor | None, device: str | None) -> Event:
    with write_transaction(engine) as conn:
        again = get_finding(conn, inspection_id, f.id)
        if again.superseded:
            raise UserError(_("finding {n} was already amended; amend the latest version").format(n=f.no))
        values = _resolve_penalty(conn, inspection_id, v)
        payload = {"source_type": f.source_type, "ref": f.ref, **values, "description": desc,
                   "handling": v["handling"] or "", "evidence": list(f.evidence), "amends": f.id,
                   "amend_reason": reason}
        return append_event(engine, inspection_id, "finding.created", payload, actor=actor, device=device, conn=conn)

