"""On-site checks: ward census (C1), drug stock count (C2), record review (C3).

Each check module exposes `finding_source(conn, inspection_id, ref) -> FindingSource` so
a finding created from one of its entries gets its amount and suggested category from the
check itself, never re-typed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class FindingSource:
    """What a check entry contributes to a finding created from it."""

    source_type: str                 # 'lead' | 'census' | 'stock' | 'record' | 'manual'
    ref: str                         # the entry's key within its check (mdtrt_id, drug code, lead id...)
    amount: Decimal                  # amount involved (违规金额), exact, 2 places
    suggested_category: str          # e.g. 'V01', per the brief's usual mapping
    description: str                 # one line, in the current language
    evidence: list[str] = field(default_factory=list)   # attachment SHA-256s already taken
