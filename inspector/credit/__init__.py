"""Credit scoring (信用评价): an inspection's approved findings become deductions for the
institution and its doctors under a versioned deduction table; scores and grades follow."""
from __future__ import annotations

from inspector.credit.scoring import CreditResult, credit_for_inspection, credit_json, score_findings
from inspector.credit.table import DeductionTable, load_table

__all__ = ["CreditResult", "DeductionTable", "credit_for_inspection", "credit_json", "load_table", "score_findings"]
