"""C2 drug stock count (药品盘点): sample, expected quantity at the visit, variance, stocking ratio.

All on-site input is events ('stock.sample_drawn', 'stock.drug_added', 'stock.counted',
'stock.required_list'); the state is folded from them (a re-count is a new event, the
latest wins, the history stays). Decisions the brief leaves open, made here:

- Top by sales amount ranks every ledger drug (no sales = amount 0), amount desc, code asc.
- The sample, once drawn, is kept: asking again shows it (a different seed is refused).
- Amount = |variance| x average sale price for every counted drug; the total for findings
  counts only drugs beyond tolerance (shortage or surplus).
- A variety is "in stock at V" for the stocking ratio when its counted quantity is > 0 if
  it was counted (what the inspectors saw beats the ledger), else when expected(V) > 0.
- Stocking ratio: numerator = in-stock varieties of the category with `chrgitm_lv` '01'/'02';
  denominator 'in_stock' = all in-stock varieties of the category; 'required' = the required
  list's varieties of the category (numerator then counts only required varieties). The
  minimum is met when ratio >= minimum; an empty denominator gives an undefined ratio.
- A traceability code is a lead when its sales (retn_flag '0') minus its sales returns,
  counted in lines over the slice up to V, exceed 1.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, text

from inspector.checks import FindingSource
from inspector.checks.context import CheckContext, check_context, int_setting
from inspector.checks.ledger import (
    SalesFigures,
    balances,
    ledger_drugs_sql,
    round_cents,
    round_half_up,
    sales_in_window,
)
from inspector.db import write_transaction
from inspector.errors import UserError
from inspector.limits import MAX_QUANTITY, within
from inspector.events import Event, append_event, read_events
from inspector.i18n import _

if TYPE_CHECKING:
    from inspector.accounts import Actor

CATEGORIES = {"X": "western", "Z": "patent"}
FORMULARY_LEVELS = ("01", "02")
DENOMINATORS = ("in_stock", "required")
DRUG_CODE_LENGTHS = {"X": 23, "Z": 20}


# --- reading the slice ----------------------------------------------------------------------

def ledger_drugs(conn: Any, snapshot_id: int) -> list[str]:
    """The drugs of C: every code in the snapshot's drug ledgers, sorted."""
    return sorted(r[0] for r in conn.execute(text(ledger_drugs_sql()), {"sid": snapshot_id}))


def _catalogue(conn: Any, snapshot_id: int, codes: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Catalogue rows of `codes` (of every western/patent drug when None)."""
    sql = "SELECT med_list_codg, item_name, spec, unit, chrgitm_lv, list_type FROM snap_med_list WHERE snapshot_id = :sid"
    params: dict[str, Any] = {"sid": snapshot_id}
    if codes is None:
        sql += " AND substr(med_list_codg, 1, 1) IN ('X', 'Z')"
    else:
        names = [f":c{i}" for i in range(len(codes))]
        params.update({f"c{i}": c for i, c in enumerate(codes)})
        sql += f" AND med_list_codg IN ({', '.join(names) or 'NULL'})"
    return {
        r[0]: {"name": r[1], "spec": r[2], "unit": r[3], "chrgitm_lv": r[4], "list_type": r[5]}
        for r in conn.execute(text(sql), params)
    }


def _is_known_drug(conn: Any, snapshot_id: int, code: str) -> bool:
    in_ledger = conn.execute(
        text(f"SELECT 1 FROM ({ledger_drugs_sql()}) WHERE med_list_codg = :code"), {"sid": snapshot_id, "code": code}
    ).first()
    if in_ledger:
        return True
    return bool(code[:1] in CATEGORIES and conn.execute(
        text("SELECT 1 FROM snap_med_list WHERE snapshot_id = :sid AND med_list_codg = :code"),
        {"sid": snapshot_id, "code": code},
    ).first())


# --- the sample -----------------------------------------------------------------------------

@dataclass(frozen=True)
class StockSample:
    """The drugs to count: proposed (top + random, with seed and method) plus those added."""

    seed: int
    method: str
    top: list[str]
    random: list[str]
    added: list[str] = field(default_factory=list)

    @property
    def drugs(self) -> list[str]:
        return self.top + self.random + self.added

    def origin(self, code: str) -> str:
        return "top" if code in self.top else "random" if code in self.random else "added"


def method_text(top_n: int, random_n: int) -> str:
    """How the stock sample is drawn, in words anyone can redo."""
    return (
        f"top {top_n} drugs by sales amount sum(cnt*pric) over sales retn_flag '0' in [W0, W1), "
        f"ties by code ascending; plus random.Random(seed).sample(sorted(codes of the other ledger drugs), "
        f"min({random_n}, number of others))"
    )


def propose_sample(conn: Any, ctx: CheckContext, seed: int | None = None) -> StockSample:
    """Compute the proposed sample (no event): top by sales amount plus a seeded random draw."""
    top_n = int_setting(ctx.settings, "stock_sample_top")
    random_n = int_setting(ctx.settings, "stock_sample_random")
    seed = int_setting(ctx.settings, "stock_seed", -(2**63)) if seed is None else int(seed)
    drugs = ledger_drugs(conn, ctx.snapshot_id)
    sales = sales_in_window(conn, ctx.snapshot_id, ctx.w0, ctx.w1)
    ranked = sorted(drugs, key=lambda c: (-(sales[c].amount_e6 if c in sales else 0), c))
    top = ranked[:top_n]
    chosen = set(top)
    others = sorted(c for c in drugs if c not in chosen)
    drawn = random.Random(seed).sample(others, min(random_n, len(others)))
    return StockSample(seed, method_text(top_n, random_n), top, drawn)


def current_sample(conn: Any, inspection_id: int) -> StockSample | None:
    """The drawn sample with the drugs added to it, folded from the events; None before a draw.

    The latest draw stands (two laptops' different draws are a conflict the lead resolves, see
    inspector/exchange/conflicts.py); a drug added by hand stays added whichever draw stands."""
    drawn: dict[str, Any] | None = None
    added: list[str] = []
    for ev in read_events(conn, inspection_id, ["stock.sample_drawn", "stock.drug_added"]):
        p = ev.payload
        if ev.kind == "stock.sample_drawn":
            drawn = p
        elif p["med_list_codg"] not in added:
            added.append(p["med_list_codg"])
    if drawn is None:
        return None
    sample = StockSample(int(drawn["seed"]), drawn["method"], list(drawn["top"]), list(drawn["random"]))
    sample.added.extend(c for c in added if c not in sample.drugs)
    return sample


def draw_sample(engine: Engine, inspection_id: int, seed: int | None = None, *,
                actor: Actor | None = None) -> StockSample:
    """Draw and record the sample once; later calls return the recorded one."""
    with write_transaction(engine) as conn:
        existing = current_sample(conn, inspection_id)
        if existing is not None:
            if seed is not None and int(seed) != existing.seed:
                raise UserError(_("the stock sample was already drawn with seed {seed}; it is kept so the count "
                                  "stays reproducible").format(seed=existing.seed))
            return existing
        ctx = check_context(conn, inspection_id)
        sample = propose_sample(conn, ctx, seed)
        append_event(engine, inspection_id, "stock.sample_drawn", {
            "seed": sample.seed, "method": sample.method, "top": sample.top, "random": sample.random,
            "snapshot_id": ctx.snapshot_id,
        }, actor=actor, conn=conn)
        return sample


def add_drug(engine: Engine, inspection_id: int, code: str, *, actor: Actor | None = None) -> Event:
    """Add any drug of the slice to the sample (the inspector's choice)."""
    code = code.strip()
    with write_transaction(engine) as conn:
        ctx = check_context(conn, inspection_id)
        sample = _require_sample(conn, inspection_id)
        if not _is_known_drug(conn, ctx.snapshot_id, code):
            raise UserError(_("unknown drug {code}: not in this inspection's drug ledgers or catalogue").format(code=code))
        if code in sample.drugs:
            raise UserError(_("drug {code} is already in the sample").format(code=code))
        return append_event(engine, inspection_id, "stock.drug_added", {"med_list_codg": code}, actor=actor, conn=conn)


def _require_sample(conn: Any, inspection_id: int) -> StockSample:
    sample = current_sample(conn, inspection_id)
    if sample is None:
        raise UserError(_("no stock sample yet: draw it first"))
    return sample


# --- counts ---------------------------------------------------------------------------------

def parse_quantity(value: str, what: str = "counted quantity") -> Decimal:
    """A non-negative quantity with at most 2 decimal places, from text; UserError otherwise."""
    raw = str(value).strip()
    try:
        q = Decimal(raw)
    except InvalidOperation:
        raise UserError(_("{what} '{value}' is not a number").format(what=_(what), value=raw)) from None
    within(q, MAX_QUANTITY, _(what), raw)
    if q < 0:
        raise UserError(_("{what} '{value}' is negative").format(what=_(what), value=raw))
    if q != q.quantize(Decimal("0.01")):
        raise UserError(_("{what} '{value}' has more than 2 decimal places").format(what=_(what), value=raw))
    return q.quantize(Decimal("0.01"))


def record_count(engine: Engine, inspection_id: int, code: str, counted: str, note: str | None = None, *,
                 actor: Actor | None = None) -> Event:
    """Record a counted quantity of a sampled drug (a new event; the latest count wins)."""
    code = code.strip()
    qty = parse_quantity(counted)
    with write_transaction(engine) as conn:
        check_context(conn, inspection_id)
        sample = _require_sample(conn, inspection_id)
        if code not in sample.drugs:
            raise UserError(_("drug {code} is not in the stock sample; add it first").format(code=code))
        from inspector.state import guard_source

        guard_source(conn, inspection_id, "stock", code, _("changing the count of drug {code}").format(code=code))
        return append_event(engine, inspection_id, "stock.counted",
                            {"med_list_codg": code, "counted": str(qty), "note": note or None}, actor=actor, conn=conn)


def count_history(conn: Any, inspection_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every count entered per drug, oldest first (the last one is current)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for ev in read_events(conn, inspection_id, ["stock.counted"]):
        p = ev.payload
        out.setdefault(p["med_list_codg"], []).append(
            {"counted": Decimal(p["counted"]), "note": p.get("note"), "at": ev.at, "author": ev.author}
        )
    return out


def load_required_list(engine: Engine, inspection_id: int, path: str | Path, *,
                       actor: Actor | None = None) -> Event:
    """Load the catalogue varieties the agreement requires (one drug code a line; '#' comments)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
        lines = raw.decode("utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(_("{file}: cannot be read ({error})").format(file=p, error=exc)) from None
    codes: list[str] = []
    for n, line in enumerate(lines, start=1):
        code = line.split("#", 1)[0].strip()
        if not code:
            continue
        if code[:1] not in DRUG_CODE_LENGTHS or len(code) != DRUG_CODE_LENGTHS[code[:1]]:
            raise UserError(_("{file}, line {line}: '{code}' is not a drug code ('X' + 22 or 'Z' + 19 characters)")
                            .format(file=p.name, line=n, code=code))
        if code not in codes:
            codes.append(code)
    if not codes:
        raise UserError(_("{file}: no drug codes in it").format(file=p.name))
    with write_transaction(engine) as conn:
        check_context(conn, inspection_id)
        return append_event(engine, inspection_id, "stock.required_list",
                            {"codes": codes, "source": p.name, "sha256": hashlib.sha256(raw).hexdigest()}, actor=actor, conn=conn)


def required_list(conn: Any, inspection_id: int) -> dict[str, Any] | None:
    """The latest required list loaded for the inspection, or None."""
    evs = read_events(conn, inspection_id, ["stock.required_list"])
    return evs[-1].payload if evs else None


# --- the summary ----------------------------------------------------------------------------

@dataclass
class StockRow:
    """One sampled drug: expected at V, what was counted, and what it means."""

    med_list_codg: str
    name: str | None
    spec: str | None
    unit: str | None
    category: str | None
    origin: str
    sales_amount: Decimal
    average_sale_price: Decimal          # shown to 4 places; amounts use the exact value
    expected: Decimal
    counted: Decimal | None = None
    note: str | None = None
    counted_at: str | None = None
    counts_entered: int = 0
    variance: Decimal | None = None
    rate: Decimal | None = None          # variance / expected, 4 places; None when undefined
    rate_note: str | None = None
    tolerance: Decimal | None = None     # max(1, count_tolerance x |expected|)
    status: str = "not_counted"          # not_counted | ok | shortage | surplus
    amount: Decimal | None = None        # |variance| x average sale price, cents


@dataclass
class StockingRatio:
    category: str                        # 'X' western, 'Z' patent
    denominator_setting: str
    formulary: int
    denominator: int
    ratio: Decimal | None                # 4 places; None when the denominator is empty
    minimum: Decimal
    meets_minimum: bool | None
    note: str | None = None


@dataclass
class TraceLead:
    drug_trac_codg: str
    med_list_codg: list[str]
    sales: int
    returns: int
    net: int
    sel_ids: list[str]


@dataclass
class StockSummary:
    inspection_id: int
    visit_time: str
    seed: int
    method: str
    count_tolerance: Decimal
    rows: list[StockRow]
    stocking: list[StockingRatio]
    stocking_settings: dict[str, Any]
    repeated_trace_codes: list[TraceLead]
    required_list: dict[str, Any] | None

    @property
    def total_amount(self) -> Decimal:
        """Amount over the drugs beyond tolerance (shortage or surplus)."""
        return sum((r.amount for r in self.rows if r.status in ("shortage", "surplus") and r.amount is not None),
                   Decimal("0.00"))

    def as_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["total_amount"] = self.total_amount
        d["counted"] = sum(1 for r in self.rows if r.counted is not None)
        d["shortages"] = sum(1 for r in self.rows if r.status == "shortage")
        d["surpluses"] = sum(1 for r in self.rows if r.status == "surplus")
        return d


def evaluate(expected: Decimal, counted: Decimal, tolerance: Decimal, avg_price: Fraction) -> dict[str, Any]:
    """Variance, rate, tolerance test, status and amount of one count (the C2 arithmetic)."""
    variance = counted - expected
    limit = max(Decimal(1), tolerance * abs(expected))
    if expected == 0:
        rate, rate_note = None, _("undefined: expected quantity is 0")
    else:
        rate, rate_note = round_half_up(Fraction(variance) / Fraction(expected), 4), None
    beyond = abs(variance) > limit
    status = "ok" if not beyond else ("shortage" if variance < 0 else "surplus")
    return {"variance": variance, "rate": rate, "rate_note": rate_note, "tolerance": limit, "status": status,
            "amount": round_cents(abs(Fraction(variance)) * avg_price)}


def _tolerance(settings: dict[str, Any]) -> Decimal:
    try:
        tol = Decimal(str(settings["count_tolerance"]))
    except InvalidOperation:
        raise UserError(_("setting count_tolerance '{v}' is not a number").format(v=settings["count_tolerance"])) from None
    if not tol.is_finite() or tol < 0:
        raise UserError(_("setting count_tolerance '{v}' must be a non-negative number").format(v=tol))
    return tol


def _build_rows(conn: Any, ctx: CheckContext, sample: StockSample,
                expected_all: dict[str, Decimal], sales: dict[str, SalesFigures]) -> list[StockRow]:
    tol = _tolerance(ctx.settings)
    cat = _catalogue(conn, ctx.snapshot_id, sample.drugs)
    history = count_history(conn, ctx.inspection_id)
    rows: list[StockRow] = []
    for code in sample.drugs:
        info = cat.get(code, {})
        sf = sales.get(code, SalesFigures(code, 0, 0))
        row = StockRow(
            med_list_codg=code, name=info.get("name"), spec=info.get("spec"), unit=info.get("unit"),
            category=code[:1] if code[:1] in CATEGORIES else None, origin=sample.origin(code),
            sales_amount=round_cents(Fraction(sf.amount_e6, 10**6)),
            average_sale_price=round_half_up(sf.average_price, 4),
            expected=expected_all.get(code, Decimal("0.00")),
        )
        counts = history.get(code)
        if counts:
            last = counts[-1]
            row.counted, row.note, row.counted_at, row.counts_entered = last["counted"], last["note"], last["at"], len(counts)
            for k, v in evaluate(row.expected, row.counted, tol, sf.average_price).items():
                setattr(row, k, v)
        rows.append(row)
    return rows


def _stocking(conn: Any, ctx: CheckContext, expected_all: dict[str, Decimal],
              counted: dict[str, Decimal], required: dict[str, Any] | None) -> tuple[list[StockingRatio], dict[str, Any]]:
    setting = ctx.settings["stocking_denominator"]
    if setting not in DENOMINATORS:
        raise UserError(_("setting stocking_denominator '{v}' must be 'in_stock' or 'required'").format(v=setting))
    minimum = {"X": Decimal(str(ctx.settings["stocking_min_western"])), "Z": Decimal(str(ctx.settings["stocking_min_patent"]))}
    in_stock = {c for c, q in expected_all.items() if c[:1] in CATEGORIES and q > 0 and c not in counted}
    in_stock |= {c for c, q in counted.items() if c[:1] in CATEGORIES and q > 0}
    required_codes = set(required["codes"]) if required else set()
    levels = {c: i["chrgitm_lv"] for c, i in _catalogue(conn, ctx.snapshot_id).items()}
    out: list[StockingRatio] = []
    for category in CATEGORIES:
        stocked = {c for c in in_stock if c[:1] == category}
        note = None
        if setting == "in_stock":
            base = stocked
        else:
            base = {c for c in required_codes if c[:1] == category}
            stocked = stocked & base
            if required is None:
                note = _("no required list loaded")
        formulary = sum(1 for c in stocked if levels.get(c) in FORMULARY_LEVELS)
        if base:
            exact = Fraction(formulary, len(base))
            ratio, meets = round_half_up(exact, 4), exact >= Fraction(minimum[category])
        else:
            ratio, meets = None, None
            note = note or _("undefined: no varieties in the denominator")
        out.append(StockingRatio(category, setting, formulary, len(base), ratio, minimum[category], meets, note))
    used = {k: ctx.settings[k] for k in ("stocking_min_western", "stocking_min_patent", "stocking_denominator")}
    return out, used


def repeated_trace_codes(conn: Any, snapshot_id: int, until: str) -> list[TraceLead]:
    """Traceability codes sold (retn_flag '0') more than once net of their returns, up to `until`."""
    rows = conn.execute(
        text(
            "SELECT drug_trac_codg, group_concat(DISTINCT med_list_codg), "
            "sum(retn_flag = '0'), sum(retn_flag = '1'), group_concat(sel_id, char(31)) "
            "FROM snap_drug_sel WHERE snapshot_id = :sid AND drug_trac_codg IS NOT NULL AND drug_trac_codg <> '' "
            "AND sel_retn_time <= :until "
            "GROUP BY drug_trac_codg HAVING sum(retn_flag = '0') - sum(retn_flag = '1') > 1 "
            "ORDER BY drug_trac_codg"
        ),
        {"sid": snapshot_id, "until": until},
    )
    return [TraceLead(t, sorted(codes.split(",")), int(s), int(r), int(s) - int(r), sorted(ids.split("\x1f")))
            for t, codes, s, r, ids in rows]


def stock_summary(conn: Any, inspection_id: int, trace_codes: bool = True) -> StockSummary:
    """The count sheet: every sampled drug with expected, counted, variance, rate, status, amount;
    the stocking ratios with the settings used; repeated traceability codes (a full pass over
    the slice's sales: skip with `trace_codes=False` when only the rows are needed)."""
    ctx = check_context(conn, inspection_id)
    sample = _require_sample(conn, inspection_id)
    expected_all = balances(conn, ctx.snapshot_id, ctx.w0, ctx.v, inclusive=True)
    sales = sales_in_window(conn, ctx.snapshot_id, ctx.w0, ctx.w1)
    rows = _build_rows(conn, ctx, sample, expected_all, sales)
    counted = {r.med_list_codg: r.counted for r in rows if r.counted is not None}
    required = required_list(conn, inspection_id)
    stocking, used = _stocking(conn, ctx, expected_all, counted, required)
    return StockSummary(inspection_id, ctx.v, sample.seed, sample.method, _tolerance(ctx.settings), rows,
                        stocking, used, repeated_trace_codes(conn, ctx.snapshot_id, ctx.v) if trace_codes else [],
                        {k: required[k] for k in ("source", "sha256")} | {"count": len(required["codes"])}
                        if required else None)


def sample_rows(conn: Any, inspection_id: int) -> list[StockRow]:
    """The sample with expected quantities at V and the counts so far (no stocking ratio)."""
    ctx = check_context(conn, inspection_id)
    sample = _require_sample(conn, inspection_id)
    expected = balances(conn, ctx.snapshot_id, ctx.w0, ctx.v, inclusive=True, codes=sample.drugs)
    return _build_rows(conn, ctx, sample, expected, sales_in_window(conn, ctx.snapshot_id, ctx.w0, ctx.w1))


def search_drugs(conn: Any, inspection_id: int, query: str, limit: int = 50) -> list[dict[str, Any]]:
    """Drugs of the slice whose code or name contains `query`, with expected at V and sample membership."""
    ctx = check_context(conn, inspection_id)
    q = query.strip()
    if not q:
        raise UserError(_("search text is empty"))
    like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = conn.execute(
        text(
            f"SELECT d.med_list_codg, m.item_name, m.spec, m.unit FROM ({ledger_drugs_sql()}) d "
            "LEFT JOIN snap_med_list m ON m.snapshot_id = :sid AND m.med_list_codg = d.med_list_codg "
            "WHERE d.med_list_codg LIKE :q ESCAPE '\\' OR m.item_name LIKE :q ESCAPE '\\' "
            "ORDER BY d.med_list_codg LIMIT :lim"
        ),
        {"sid": ctx.snapshot_id, "q": like, "lim": limit},
    ).all()
    codes = [r[0] for r in rows]
    expected = balances(conn, ctx.snapshot_id, ctx.w0, ctx.v, inclusive=True, codes=codes)
    sample = current_sample(conn, inspection_id)
    return [
        {"med_list_codg": c, "name": n, "spec": s, "unit": u, "expected": expected.get(c, Decimal("0.00")),
         "in_sample": bool(sample and c in sample.drugs)}
        for c, n, s, u in rows
    ]


# --- findings -------------------------------------------------------------------------------

def finding_source(conn: Any, inspection_id: int, ref: str) -> FindingSource:
    """What a finding from the count of drug `ref` carries: amount, V04 (shortage) or F03 (surplus)."""
    row = next((r for r in sample_rows(conn, inspection_id) if r.med_list_codg == ref), None)
    if row is None:
        raise UserError(_("drug {code} is not in the stock sample").format(code=ref))
    if row.counted is None or row.variance is None or row.amount is None:
        raise UserError(_("drug {code} has not been counted").format(code=ref))
    if row.variance == 0:
        raise UserError(_("drug {code}: counted equals expected, nothing to report").format(code=ref))
    shortage = row.variance < 0
    from inspector.reports.wording import quantity

    unit = row.unit or ""
    desc = _("At the drug stock count, {name} (drug code {code}) should have been {expected} {unit} in stock by the "
             "ledgers, but {counted} {unit} were counted: {kind} of {qty} {unit}, beyond the tolerance of {tol} {unit}; "
             "valued at the average sale price of CNY {price}").format(
        name=row.name or ref, code=ref, expected=quantity(row.expected), counted=quantity(row.counted), unit=unit,
        kind=_("a shortage") if shortage else _("a surplus"), qty=quantity(abs(row.variance)),
        tol=quantity(row.tolerance), price=f"{row.average_sale_price:,.2f}")
    return FindingSource("stock", ref, row.amount, "V04" if shortage else "F03", desc)
