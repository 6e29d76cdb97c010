"""Screening rules S1-S9 over an inspection's snapshot: leads to verify on site."""
from __future__ import annotations

from inspector.screening.base import LeadResult, ScreeningContext, canonical_key, round_cents
from inspector.screening.runner import ScreeningResult, run_screening, screen_snapshot
from inspector.screening.leads import LEAD_STATUSES, StoredLead, decide_lead, list_leads, screening_json

__all__ = [
    "LeadResult", "ScreeningContext", "canonical_key", "round_cents", "ScreeningResult", "run_screening",
    "screen_snapshot", "LEAD_STATUSES", "StoredLead", "decide_lead", "list_leads", "screening_json",
]
