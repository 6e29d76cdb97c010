"""The intended query plan of every screening statement, checked against `EXPLAIN QUERY PLAN`.

SQLite's planner follows its statistics, and a store has none until ANALYZE runs; with the
wrong ones a self-join of snap_mdtrt can read a begntime range (most of the hospital for a
stay open for months) instead of the person's few stays. Each rule therefore pins its plan
with INDEXED BY / NOT INDEXED and CROSS JOIN (which fixes the join order); this module lists
the table accesses each statement must show, whatever the statistics say, so a test (and
anyone diagnosing a slow store) can compare them with what SQLite would really do.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inspector.screening import ledger, s1_split_admission, s2_excess_beds, s3_daily_limit, s4_outside_stay
from inspector.screening import s5_price_ceiling, s6_stock_deficit, s7_count_mismatch, s8_bed_only_days
from inspector.screening import s9_overlapping_stays
from inspector.screening.base import ScreeningContext, fee_params, raw_cursor, table_bounds

ROWID_RANGE = "USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"
FEE_BY_STAY = "f USING INDEX ix_snap_feedetl_mdtrt (snapshot_id=? AND mdtrt_id=? AND fee_ocur_time>? AND fee_ocur_time<?)"
MED_LIST_PK = "USING INDEX sqlite_autoindex_snap_med_list_1 (snapshot_id=? AND med_list_codg=?)"
INPATIENTS = "USING INDEX ix_snap_mdtrt_type_begn (snapshot_id=? AND med_type=?"

# rule -> statement -> the table accesses (SEARCH/SCAN lines of real tables), in plan order.
INTENDED: dict[str, dict[str, list[str]]] = {
    "S1": {"SQL": [
        f"SEARCH p {INPATIENTS})",
        "SEARCH x USING INDEX ix_snap_mdtrt_psn (snapshot_id=? AND psn_no=? AND begntime>?)",
        "SEARCH p USING INDEX sqlite_autoindex_snap_mdtrt_1 (snapshot_id=? AND mdtrt_id=?)",
        "SEARCH n USING INDEX sqlite_autoindex_snap_mdtrt_1 (snapshot_id=? AND mdtrt_id=?)",
        "SEARCH r USING INDEX sqlite_autoindex_snap_medrcd_1 (snapshot_id=? AND mdtrt_id=?) LEFT-JOIN",
        f"SEARCH {FEE_BY_STAY}",
    ]},
    "S2": {"SQL": [f"SEARCH snap_feedetl {ROWID_RANGE}"]},
    "S3": {"SQL": [
        "SEARCH f USING INDEX ix_snap_feedetl_mdtrt (snapshot_id=? AND mdtrt_id>? AND mdtrt_id<?)",
        "SEARCH snap_med_list USING INDEX sqlite_autoindex_snap_med_list_1 (snapshot_id=?)",
        f"SEARCH m {MED_LIST_PK}",
    ]},
    "S4": {"SQL": [f"SEARCH m {INPATIENTS})", f"SEARCH {FEE_BY_STAY}"] * 2},
    "S5": {"SQL": [f"SEARCH f {ROWID_RANGE}", f"SEARCH m {MED_LIST_PK}"]},
    "S6": {"SALES_SQL": [
        "SEARCH snap_drug_sel USING INDEX ix_snap_sel_drug "
        "(snapshot_id=? AND med_list_codg=? AND sel_retn_time>? AND sel_retn_time<?)"]},
    "S7": {"PURCHASES_SQL": [
        "SEARCH snap_drug_purc USING INDEX ix_snap_purc_drug "
        "(snapshot_id=? AND med_list_codg=? AND purc_time>? AND purc_time<?)"]},
    "S8": {"SQL": ["SEARCH m USING INDEX sqlite_autoindex_snap_mdtrt_1 (snapshot_id=? AND mdtrt_id>? AND mdtrt_id<?)",
                   f"SEARCH {FEE_BY_STAY}"]},
    "S9": {"SQL": [
        f"SEARCH a {INPATIENTS} AND begntime<?)",
        "SEARCH b USING INDEX ix_snap_mdtrt_psn (snapshot_id=? AND psn_no=? AND begntime>? AND begntime<?)",
        f"SEARCH {FEE_BY_STAY}",
    ]},
    "ledger": {
        "OPENINGS_SQL": [
            "SEARCH i USING INDEX sqlite_autoindex_snap_drug_inv_1 (snapshot_id=? AND fixmedins_code=?)",
            "SEARCH j USING COVERING INDEX sqlite_autoindex_snap_drug_inv_1 "
            "(snapshot_id=? AND fixmedins_code=? AND med_list_codg=? AND invdate>? AND invdate<?)",
        ],
        "STREAM_SQL": [
            "SEARCH snap_drug_inv USING INDEX sqlite_autoindex_snap_drug_inv_1 (snapshot_id=? AND fixmedins_code=?)",
            "SEARCH snap_drug_purc USING INDEX ix_snap_purc_drug (snapshot_id=?)",
            f"SEARCH snap_drug_sel {ROWID_RANGE}",
        ],
    },
}

# Names of the rules' subqueries and common table expressions (their rows, not a table's).
SUBQUERIES = {"g", "k", "o", "u", "days", "islands"}

MODULES = {"S1": s1_split_admission, "S2": s2_excess_beds, "S3": s3_daily_limit, "S4": s4_outside_stay,
           "S5": s5_price_ceiling, "S6": s6_stock_deficit, "S7": s7_count_mismatch, "S8": s8_bed_only_days,
           "S9": s9_overlapping_stays, "ledger": ledger}


@dataclass
class PlanCheck:
    """One statement's plan: what SQLite chose and what the rule intends."""

    rule: str
    statement: str
    actual: list[str]
    intended: list[str]

    @property
    def ok(self) -> bool:
        return self.actual == self.intended


def _params(cur, ctx: ScreeningContext) -> dict[str, Any]:
    slo, shi = table_bounds(cur, ctx, "snap_drug_sel")
    return fee_params(cur, ctx, days=int(ctx.settings.get("readmission_days", 7)), beds=0, d0=ctx.d0, k=3,
                      d1=ctx.d1_excl, slo=slo, shi=shi, g="", a="", b="")


def table_accesses(plan_rows) -> list[str]:
    """The SEARCH/SCAN lines of an EXPLAIN QUERY PLAN that read a table (not a subquery's result)."""
    out = []
    for row in plan_rows:
        detail = row[3]
        if detail.startswith(("SEARCH ", "SCAN ")) and not detail.split(" ", 1)[1].startswith("("):
            name = detail.split(" ")[1]
            if detail.startswith("SCAN ") and name in SUBQUERIES:   # a subquery's or CTE's own rows
                continue
            out.append(detail)
    return out


def check_plans(conn, ctx: ScreeningContext) -> list[PlanCheck]:
    """EXPLAIN QUERY PLAN of every screening statement against its intended plan."""
    cur = raw_cursor(conn)
    named = _params(cur, ctx)
    positional = (ctx.snapshot_id, "", ctx.fixmedins_code, ctx.w0, ctx.w1)
    out = []
    for rule, statements in INTENDED.items():
        for name, intended in statements.items():
            sql = getattr(MODULES[rule], name)
            args = named if ":" in sql else positional
            actual = table_accesses(cur.execute("EXPLAIN QUERY PLAN " + sql, args).fetchall())
            out.append(PlanCheck(rule, name, actual, intended))
    return out
