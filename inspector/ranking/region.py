"""Rank every institution of a central database by its screening leads per 10,000 yuan of fund paid.

For each institution the nine screening rules run inside the central database: each rule's
own query (the same function that screens a synced snapshot, see `inspector.screening.base.RuleSQL`)
is sent to the central under CTEs that present the institution's slice as the snapshot
tables (`inspector.ranking.central_sql`). On PostgreSQL, S8 and the drug ledger of S6/S7 run
instead as one set-based query each for the whole region (S3 and S4 too) (`inspector.ranking.region_rules`),
whose rows the rules' own Python turns into leads per institution. Only the rules' results
come back: no fee line is copied. Everything is read in one read-only transaction (REPEATABLE READ on PostgreSQL), so
the ranking is of one consistent state of the central.

fund_paid is the pooled-fund share (`setl.hifp_pay`) of the institution's settlements with
`setl_time` in the window [W0, W1); lead_amount is the sum of the amounts of its leads (an S5
reversal lead is negative and nets out); per_10k = lead_amount x 10,000 / fund_paid rounded
half-up to cents (none when nothing was paid). The order: per_10k descending (institutions
with none last), then lead_amount descending, then code. last_inspected is the visit date of
the institution's latest package in `insp_upload` (its findings JSON's `visit_time`; the
upload date when that is missing).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from inspector.coltypes import TIMESTAMP_FORMAT
from inspector.errors import UserError
from inspector.i18n import _
from inspector.progress import Progress
from inspector.ranking.region_rules import region_ledgers, region_s3, region_s4, region_s8
from inspector.ranking.central_sql import REGION_SNAPSHOT_ID, RegionConnection, to_driver, window_params
from inspector.screening.base import LeadResult, RuleSQL, context_for, round_cents
from inspector.screening.rules import RULES
from inspector.screening.runner import screen_snapshot, screening_settings
from inspector.settings import default_settings
from inspector.sync.slice import SliceWindow
from inspector.sync.source import CentralSource


@dataclass
class InstitutionRank:
    """One institution's line of the ranking, with the leads behind it."""

    fixmedins_code: str
    fixmedins_name: str
    lead_amount: Decimal
    fund_paid: Decimal
    per_10k: Decimal | None
    rules: dict[str, dict[str, Any]]          # rule -> {"leads": n, "amount": Decimal}
    last_inspected: str | None
    leads: list[LeadResult] = field(default_factory=list, repr=False)


@dataclass
class Ranking:
    """The ranking of a region over one window."""

    central: str
    dialect: str
    date_from: date
    date_to: date
    visit_time: datetime
    settings: dict[str, Any]
    institutions: list[InstitutionRank]
    seconds: float = 0.0


WORK_MEM = "256MB"

FUND_SQL = {
    "sqlite": "SELECT fixmedins_code, SUM(CAST(round(hifp_pay * 100) AS INTEGER)) FROM setl "
              "WHERE setl_time >= :w0 AND setl_time < :w1 GROUP BY fixmedins_code",
    "postgresql": "SELECT fixmedins_code, (SUM(hifp_pay) * 100)::bigint FROM setl "
                  "WHERE setl_time >= :w0 AND setl_time < :w1 GROUP BY fixmedins_code",
}


def _step(rule: str) -> str:
    """A rule's id and translated name for the progress line, e.g. "S8 疑似挂床"."""
    return f"{rule} {_(RULES[rule].TITLE)}"


def per_10k(lead_amount: Decimal, fund_paid: Decimal) -> Decimal | None:
    """lead_amount per 10,000 yuan of fund paid, half-up to cents; None when nothing was paid."""
    if not fund_paid:
        return None
    return round_cents(Fraction(lead_amount) * 10000 / Fraction(fund_paid))


def _rows(source: CentralSource, sql: str, params: dict[str, Any]) -> list[tuple]:
    return source.fetchall(to_driver(source.dialect, sql), params)


def _last_inspected(source: CentralSource) -> dict[str, str]:
    out: dict[str, str] = {}
    for code, uploaded_at, doc in _rows(source, "SELECT fixmedins_code, uploaded_at, findings_json FROM insp_upload", {}):
        day = None
        try:
            visit = json.loads(doc).get("visit_time")
            if isinstance(visit, str) and len(visit) >= 10:
                day = date.fromisoformat(visit[:10]).isoformat()
        except (ValueError, TypeError, AttributeError):
            day = None
        if day is None and uploaded_at is not None:
            day = str(uploaded_at)[:10]
        if day and (code not in out or day > out[code]):
            out[code] = day
    return out


def rank_region(central_url: str, date_from: date, date_to: date, visit_time: datetime | None = None,
                settings: dict[str, Any] | None = None, progress: Progress | None = None,
                rules: list[str] | None = None) -> Ranking:
    """Run the rules over every institution of the central and rank them (see the module text)."""
    if date_to < date_from:
        raise UserError(_("the window ends ({to}) before it starts ({start})").format(to=date_to, start=date_from))
    visit_time = visit_time or SliceWindow("", date_from, date_to, datetime.now()).w1   # the end of the window
    if visit_time < datetime.combine(date_from, datetime.min.time()):
        raise UserError(_("the visit time {v} is before the window").format(v=visit_time.strftime(TIMESTAMP_FORMAT)))
    progress = progress or Progress()
    merged = default_settings()
    merged.update(settings or {})
    used = screening_settings(merged)
    selected = rules or list(RULES)
    started = time.perf_counter()
    with CentralSource(central_url) as source:
        dialect = source.dialect
        if dialect == "postgresql":   # times cast to text read 'YYYY-MM-DD HH:MM:SS' (central_sql._select_list)
            source.fetchall("SELECT set_config('DateStyle', 'ISO, YMD', true)")
            # Room for the rules' sorts and hashes of one institution's window (session-local).
            source.fetchall("SELECT set_config('work_mem', %(wm)s, true)", {"wm": WORK_MEM})
            # Every institution runs the same statements with other parameters: psycopg prepares
            # them after five runs, and PostgreSQL's generic plan of a rule (one plan for every
            # institution) was seen to take minutes where the custom plan takes seconds.
            source.fetchall("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)")
            # JIT compiles each big statement anew (0.1-0.3 s each, measured) and gains nothing here.
            source.fetchall("SELECT set_config('jit', 'off', true)")
        base = window_params(SliceWindow("", date_from, date_to, visit_time), prefix="")
        institutions = _rows(source, "SELECT fixmedins_code, fixmedins_name FROM fixmedins ORDER BY fixmedins_code", {})
        institutions.sort(key=lambda r: r[0].encode())
        fund = {code: Decimal(int(cents or 0)).scaleb(-2) for code, cents in _rows(source, FUND_SQL[dialect], base)}
        last = _last_inspected(source)
        # The heaviest rules run once for the whole region (`region_rules`); the others per institution.
        region_wide: dict[str, Any] = {}
        if dialect == "postgresql":
            cur = source.connection.cursor()
            try:
                if "S3" in selected:
                    progress.set_status(_step("S3"))
                    region_wide["S3"] = region_s3(cur, base)
                    progress.check()
                if "S4" in selected:
                    progress.set_status(_step("S4"))
                    region_wide["S4"] = region_s4(cur, base)
                    progress.check()
                if "S8" in selected:
                    progress.set_status(_step("S8"))
                    region_wide["S8"] = region_s8(cur, base, int(used["bed_only_days"]))
                    progress.check()
                if "S6" in selected or "S7" in selected:
                    progress.set_status(_step("S6") + " / " + _step("S7"))
                    region_wide["ledger"] = region_ledgers(cur, base, WORK_MEM)
                    progress.check()
            except source._errors() as exc:
                raise source._fail(exc) from None
            finally:
                cur.close()
        per_institution = [r for r in selected if r not in region_wide]
        order = {r: n for n, r in enumerate(selected)}
        ranks: list[InstitutionRank] = []
        for i, (code, name) in enumerate(institutions):
            progress.check()
            progress.set_progress("ranking", i, len(institutions))
            progress.set_status(code)
            window = SliceWindow(code, date_from, date_to, visit_time)
            conn = RegionConnection(source.connection, dialect, window, source._errors(), source._fail)
            ctx = replace(context_for(REGION_SNAPSHOT_ID, code, date_from, date_to, visit_time, used, progress),
                          sql=RuleSQL(dialect))
            if "ledger" in region_wide:
                ctx.cache["ledger"] = region_wide["ledger"].get(code, [])
            leads = screen_snapshot(conn, ctx, per_institution)[0] if per_institution else []
            for rule in ("S3", "S4", "S8"):
                if rule in region_wide:
                    leads += list(RULES[rule].leads(region_wide[rule].get(code, []), ctx))
            leads.sort(key=lambda lead: order[lead.rule])          # stable: each rule's own order
            per_rule = {r: {"leads": 0, "amount": Decimal("0.00")} for r in selected}
            for lead in leads:
                per_rule[lead.rule]["leads"] += 1
                per_rule[lead.rule]["amount"] += lead.amount
            total = sum((lead.amount for lead in leads), Decimal("0.00"))
            paid = fund.get(code, Decimal("0.00"))
            ranks.append(InstitutionRank(code, name, total, paid, per_10k(total, paid), per_rule, last.get(code), leads))
        progress.set_progress("ranking", len(institutions), len(institutions))
    ranks.sort(key=lambda r: (r.per_10k is None, -(r.per_10k or 0), -r.lead_amount, r.fixmedins_code.encode()))
    return Ranking(source.public_url, dialect, date_from, date_to, visit_time, used, ranks,
                   time.perf_counter() - started)


def _money(d: Decimal | None) -> str | None:
    return None if d is None else f"{d.quantize(Decimal('0.01'))}"


def ranking_json(ranking: Ranking) -> dict[str, Any]:
    """The `rank --format json` document: {"institutions": [...]} in rank order."""
    return {"institutions": [
        {"fixmedins_code": r.fixmedins_code,
         "fixmedins_name": r.fixmedins_name,
         "lead_amount": _money(r.lead_amount),
         "fund_paid": _money(r.fund_paid),
         "per_10k": _money(r.per_10k),
         "rules": {rule: {"leads": v["leads"], "amount": _money(v["amount"])} for rule, v in r.rules.items()},
         "last_inspected": r.last_inspected}
        for r in ranking.institutions]}
