"""Findings: categories and legal basis, penalty arithmetic, the event-sourced lifecycle."""
from __future__ import annotations

from inspector.findings.categories import CATEGORIES, RULE_CATEGORY, Category, category
from inspector.findings.lifecycle import (
    Finding,
    amend_finding,
    create_finding,
    edit_finding,
    findings_totals,
    fold_findings,
    get_finding,
    review_finding,
    submit_finding,
)
from inspector.findings.penalty import (
    EXAMPLE_DISCRETION_BANDS,
    Penalty,
    Totals,
    compute_penalty,
    round_cents,
    totals,
)
from inspector.findings.sources import SOURCE_TYPES, resolve_source

__all__ = [
    "CATEGORIES", "RULE_CATEGORY", "Category", "category", "Finding", "amend_finding", "create_finding",
    "edit_finding", "findings_totals", "fold_findings", "get_finding", "review_finding", "submit_finding",
    "EXAMPLE_DISCRETION_BANDS", "Penalty", "Totals", "compute_penalty", "round_cents", "totals",
    "SOURCE_TYPES", "resolve_source",
]
