"""C3 record review (病历抽查): a reproducible sample, a pinned checklist, per-item outcomes.

Population: `medrcd` of the institution discharged in the window [W0, W1). Sample:
`random.Random(seed).sample(sorted(ids), n)`, default n = min(record_sample_n, population).
Stratified (by `dept_codg`, a missing department counting as ''): each department gets the
floor of n x its share, the places left go to the largest fractional remainders (ties:
department code ascending), and each stratum is drawn the same way with the same seed;
the strata are listed in department code order. The seed, n, method and the pinned
template (name, version, SHA-256) are stored in the 'records.sample_drawn' event and shown.

Answers are 'records.answer' events; the latest answer per (record, item) wins. A record
fails when any item fails; its amount is the sum of its failing items' amounts; its
suggested category is that of its failing item with the largest amount (first in the
checklist on a tie).
"""
from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, text

from inspector.checks import FindingSource
from inspector.checks.checklists import (
    OUTCOMES,
    Template,
    ensure_builtin,
    get_template,
    label_text,
    parse_template_ref,
    pinned_template,
)
from inspector.checks.context import CheckContext, check_context, int_setting
from inspector.db import write_transaction
from inspector.errors import UserError
from inspector.events import Event, append_event, read_events

if TYPE_CHECKING:
    from inspector.accounts import Actor
from inspector.i18n import _

METHOD = "random.Random(seed).sample(sorted(mdtrt_id), n)"
METHOD_STRATIFIED = (
    "per dept_codg: floor(n x share), remaining places to the largest fractional remainders "
    "(ties: dept_codg ascending); each stratum random.Random(seed).sample(sorted(mdtrt_id of the stratum), n_d)"
)


def population(conn: Any, ctx: CheckContext) -> list[tuple[str, str]]:
    """(mdtrt_id, dept_codg or '') of the records of C discharged in the window, by mdtrt_id."""
    rows = conn.execute(
        text("SELECT mdtrt_id, coalesce(dept_codg, '') FROM snap_medrcd WHERE snapshot_id = :sid "
             "AND fixmedins_code = :c AND dscg_time >= :w0 AND dscg_time < :w1 ORDER BY mdtrt_id"),
        {"sid": ctx.snapshot_id, "c": ctx.fixmedins_code, "w0": ctx.w0, "w1": ctx.w1},
    )
    return [(r[0], r[1]) for r in rows]


def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """Proportional allocation of n places over strata: floors, then largest remainders
    (ties by stratum code ascending). Every stratum appears, possibly with 0."""
    total = sum(sizes.values())
    if total == 0:
        return {k: 0 for k in sizes}
    exact = {k: Fraction(n * s, total) for k, s in sizes.items()}
    alloc = {k: int(q) for k, q in exact.items()}
    left = n - sum(alloc.values())
    for k in sorted(sizes, key=lambda k: (-(exact[k] - alloc[k]), k))[:left]:
        alloc[k] += 1
    return alloc


def draw(ids: list[str], n: int, seed: int) -> list[str]:
    """The reproducible draw: random.Random(seed).sample(sorted(ids), n)."""
    return random.Random(seed).sample(sorted(ids), n)


@dataclass(frozen=True)
class RecordSample:
    seed: int
    n: int
    population: int
    stratified: bool
    method: str
    ids: list[str]
    strata: list[dict[str, Any]]
    template: dict[str, Any]


def compute_sample(pop: list[tuple[str, str]], n: int, seed: int, stratified: bool) -> tuple[list[str], list[dict[str, Any]]]:
    """The sample ids (and the strata with their sizes and allocations when stratified)."""
    if not stratified:
        return draw([i for i, _d in pop], n, seed), []
    by_dept: dict[str, list[str]] = {}
    for mid, dept in pop:
        by_dept.setdefault(dept, []).append(mid)
    alloc = allocate({d: len(v) for d, v in by_dept.items()}, n)
    ids: list[str] = []
    strata = []
    for dept in sorted(by_dept):
        chosen = draw(by_dept[dept], alloc[dept], seed)
        ids.extend(chosen)
        strata.append({"dept_codg": dept, "population": len(by_dept[dept]), "n": alloc[dept], "ids": chosen})
    return ids, strata


def current_sample(conn: Any, inspection_id: int) -> RecordSample | None:
    """The drawn record sample, or None."""
    evs = read_events(conn, inspection_id, ["records.sample_drawn"])
    if not evs:
        return None
    p = evs[-1].payload
    return RecordSample(int(p["seed"]), int(p["n"]), int(p["population"]), bool(p["stratified"]), p["method"],
                        list(p["ids"]), list(p.get("strata") or []), dict(p["template"]))


def draw_sample(engine: Engine, inspection_id: int, *, n: int | None = None, seed: int | None = None,
                stratify: bool | None = None, template: str | None = None,
                actor: Actor | None = None) -> RecordSample:
    """Draw the record sample once (pinning the checklist version); later calls show it."""
    with write_transaction(engine) as conn:
        existing = current_sample(conn, inspection_id)
        ctx = check_context(conn, inspection_id)
        if existing is not None:
            asked = {"n": n, "seed": seed, "stratified": stratify}
            stored = {"n": existing.n, "seed": existing.seed, "stratified": existing.stratified}
            differs = [k for k, v in asked.items() if v is not None and v != stored[k]]
            if template is not None:
                tname, tver = parse_template_ref(template)
                if tname != existing.template["name"] or (tver is not None and tver != existing.template["version"]):
                    differs.append("template")
            if differs:
                raise UserError(_("the record sample was already drawn (seed {seed}, n {n}); it is kept so the review "
                                  "stays reproducible ({what} differs)").format(
                    seed=existing.seed, n=existing.n, what=", ".join(differs)))
            return existing
        ensure_builtin(conn)
        tname, tver = parse_template_ref(template)
        tpl = get_template(conn, tname, tver)
        pop = population(conn, ctx)
        if not pop:
            raise UserError(_("no medical records discharged in the window: nothing to sample"))
        seed = int_setting(ctx.settings, "record_seed", -(2**63)) if seed is None else int(seed)
        stratified = bool(ctx.settings["record_stratify"]) if stratify is None else bool(stratify)
        if n is None:
            n = min(int_setting(ctx.settings, "record_sample_n", 1), len(pop))
        if n < 1 or n > len(pop):
            raise UserError(_("sample size {n} must be between 1 and the population {pop}").format(n=n, pop=len(pop)))
        ids, strata = compute_sample(pop, n, seed, stratified)
        sample = RecordSample(seed, n, len(pop), stratified, METHOD_STRATIFIED if stratified else METHOD,
                              ids, strata, tpl.pin)
        append_event(engine, inspection_id, "records.sample_drawn", {
            "seed": seed, "n": n, "population": len(pop), "stratified": stratified, "method": sample.method,
            "ids": ids, "strata": strata, "template": tpl.pin, "snapshot_id": ctx.snapshot_id,
        }, actor=actor, conn=conn)
        return sample


def parse_amount(value: str | None) -> Decimal:
    """A non-negative money amount with at most 2 decimal places; UserError otherwise."""
    raw = "" if value is None else str(value).strip()
    try:
        a = Decimal(raw)
    except InvalidOperation:
        raise UserError(_("amount '{value}' is not a number").format(value=raw)) from None
    if not a.is_finite():
        raise UserError(_("amount '{value}' is not a number").format(value=raw))
    if a < 0:
        raise UserError(_("amount '{value}' is negative").format(value=raw))
    if a != a.quantize(Decimal("0.01")):
        raise UserError(_("amount '{value}' has more than 2 decimal places").format(value=raw))
    return a.quantize(Decimal("0.01"))


def answer(engine: Engine, inspection_id: int, mdtrt_id: str, item: str, outcome: str,
           amount: str | None = None, note: str | None = None, *, actor: Actor | None = None) -> Event:
    """Record one checklist outcome for one sampled record (a new event; the latest wins)."""
    mdtrt_id, item, outcome = mdtrt_id.strip(), item.strip(), outcome.strip()
    if outcome not in OUTCOMES:
        raise UserError(_("unknown outcome '{o}' (use pass, fail or na)").format(o=outcome))
    if amount is not None and outcome != "fail":
        raise UserError(_("an amount goes with a failed item only, not with '{o}'").format(o=outcome))
    money = parse_amount(amount) if amount is not None else Decimal("0.00")
    with write_transaction(engine) as conn:
        check_context(conn, inspection_id)
        sample = current_sample(conn, inspection_id)
        if sample is None:
            raise UserError(_("no record sample yet: draw it first (records --sample)"))
        if mdtrt_id not in sample.ids:
            raise UserError(_("record {id} is not in the record sample").format(id=mdtrt_id))
        tpl = pinned_template(conn, sample.template)
        if tpl.item(item) is None:
            raise UserError(_("unknown checklist item '{item}' (template {name}:{version}: {ids})").format(
                item=item, name=tpl.name, version=tpl.version, ids=", ".join(i["id"] for i in tpl.items)))
        from inspector.state import guard_source

        guard_source(conn, inspection_id, "record", mdtrt_id,
                     _("changing the review of record {id}").format(id=mdtrt_id))
        payload = {"mdtrt_id": mdtrt_id, "item": item, "outcome": outcome,
                   "amount": str(money) if outcome == "fail" else None, "note": note or None}
        return append_event(engine, inspection_id, "records.answer", payload, actor=actor, conn=conn)


@dataclass
class ItemResult:
    id: str
    label: str
    category: str
    outcome: str | None = None
    amount: Decimal | None = None
    note: str | None = None
    at: str | None = None
    author: str | None = None


@dataclass
class RecordRow:
    mdtrt_id: str
    dept_codg: str | None
    psn_no: str | None
    adm_time: str | None
    dscg_time: str | None
    dscg_maindiag_codg: str | None
    dscg_maindiag_name: str | None
    medfee_sumamt: Decimal | None
    items: list[ItemResult]
    status: str = "not_reviewed"           # not_reviewed | incomplete | pass | fail
    amount: Decimal = Decimal("0.00")
    category: str | None = None


@dataclass
class RecordSummary:
    inspection_id: int
    seed: int
    n: int
    population: int
    stratified: bool
    method: str
    strata: list[dict[str, Any]]
    template: dict[str, Any]
    records: list[RecordRow] = field(default_factory=list)

    @property
    def total_amount(self) -> Decimal:
        return sum((r.amount for r in self.records if r.status == "fail"), Decimal("0.00"))

    def as_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["failed"] = sum(1 for r in self.records if r.status == "fail")
        d["reviewed"] = sum(1 for r in self.records if r.status in ("pass", "fail"))
        d["total_amount"] = self.total_amount
        return d


def _fold(rec_items: list[ItemResult]) -> tuple[str, Decimal, str | None]:
    failing = [i for i in rec_items if i.outcome == "fail"]
    amount = sum((i.amount or Decimal("0.00") for i in failing), Decimal("0.00"))
    if failing:
        top = max(failing, key=lambda i: i.amount or Decimal(0))  # max keeps the first on ties
        return "fail", amount, top.category
    answered = sum(1 for i in rec_items if i.outcome is not None)
    if answered == 0:
        return "not_reviewed", amount, None
    return ("pass" if answered == len(rec_items) else "incomplete"), amount, None


def records_summary(conn: Any, inspection_id: int) -> RecordSummary:
    """The review sheet: every sampled record with each checklist item's outcome, status and amount."""
    ctx = check_context(conn, inspection_id)
    sample = current_sample(conn, inspection_id)
    if sample is None:
        raise UserError(_("no record sample yet: draw it first (records --sample)"))
    tpl: Template = pinned_template(conn, sample.template)
    answers: dict[tuple[str, str], dict[str, Any]] = {}
    for ev in read_events(conn, inspection_id, ["records.answer"]):
        answers[(ev.payload["mdtrt_id"], ev.payload["item"])] = ev.payload | {"at": ev.at, "author": ev.author}
    info: dict[str, Any] = {}
    for chunk in range(0, len(sample.ids), 500):
        ids = sample.ids[chunk:chunk + 500]
        names = ", ".join(f":i{k}" for k in range(len(ids)))
        for r in conn.execute(
            text("SELECT mdtrt_id, dept_codg, psn_no, adm_time, dscg_time, dscg_maindiag_codg, dscg_maindiag_name, "
                 f"medfee_sumamt FROM snap_medrcd WHERE snapshot_id = :sid AND mdtrt_id IN ({names})"),
            {"sid": ctx.snapshot_id} | {f"i{k}": v for k, v in enumerate(ids)},
        ):
            info[r[0]] = r
    out = RecordSummary(inspection_id, sample.seed, sample.n, sample.population, sample.stratified, sample.method,
                        sample.strata, sample.template)
    for mid in sample.ids:
        items = []
        for it in tpl.items:
            a = answers.get((mid, it["id"]))
            res = ItemResult(it["id"], label_text(it["label"]), it["category"])
            if a:
                res.outcome, res.note, res.at, res.author = a["outcome"], a.get("note"), a["at"], a["author"]
                res.amount = Decimal(a["amount"]) if a.get("amount") is not None else None
            items.append(res)
        r = info.get(mid)
        row = RecordRow(mid, r[1] if r else None, r[2] if r else None, r[3] if r else None, r[4] if r else None,
                        r[5] if r else None, r[6] if r else None,
                        Decimal(r[7]).scaleb(-2) if r and r[7] is not None else None, items)
        row.status, row.amount, row.category = _fold(items)
        out.records.append(row)
    return out


def finding_source(conn: Any, inspection_id: int, ref: str) -> FindingSource:
    """What a finding from failed record `ref` (mdtrt_id) carries: its failing amount and category."""
    summary = records_summary(conn, inspection_id)
    row = next((r for r in summary.records if r.mdtrt_id == ref), None)
    if row is None:
        raise UserError(_("record {id} is not in the record sample").format(id=ref))
    if row.status != "fail" or row.category is None:
        raise UserError(_("record {id} has no failed checklist item").format(id=ref))
    failed = [i for i in row.items if i.outcome == "fail"]
    items = "；".join(_("{item} (CNY {amount})").format(item=i.label, amount=f"{i.amount or 0:,.2f}")
                     + (_(": {note}").format(note=i.note) if i.note else "") for i in failed)
    desc = _("At the record review, the medical record of visit {id} failed: {items}").format(id=ref, items=items)
    return FindingSource("record", ref, row.amount, row.category, desc)
