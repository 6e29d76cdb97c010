"""Plain data the documents are rendered from: no database, no reportlab.

`build_report_data` (reports/data.py) fills a `ReportData` from the store; tests and the
benchmark fill one directly. Money is `Decimal` (yuan, 2 places), times are `datetime`.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROLE_INSPECTOR = "inspector"
ROLE_LEAD = "lead"


@dataclass(frozen=True)
class TeamMember:
    """An inspector of the team; `role` is 'inspector' or 'lead' (the lead signs last)."""

    name: str
    cert_no: str
    role: str = ROLE_INSPECTOR


@dataclass(frozen=True)
class FindingRow:
    """One row of the findings list (问题清单)."""

    category: str                 # V01..V07, F01..F04, M01, P01
    basis: str                    # legal basis, e.g. "《条例》第三十八条第（一）项"
    description: str
    amount: Decimal               # amount involved (违规金额)
    recovery: Decimal             # recovery (追回) = amount involved
    fine_range: str               # e.g. "1–2 倍" or "10,000–50,000 元"
    multiplier: Decimal | None    # None for fixed fines (M01) and no fine
    fine: Decimal
    handling: str                 # proposed handling
    status: str = ""              # e.g. approved / returned
    source: str = ""              # lead or check it came from, e.g. "S1 H-0001/H-0002"
    reviews: tuple[str, ...] = () # review history, one line each: when, who (account), decision, comment


@dataclass(frozen=True)
class CensusRow:
    """One bed of the ward census (C1)."""

    ward: str
    bed: str
    patient: str
    days: int | None
    outcome: str                  # present | identity_mismatch | on_leave | absent | discharged | unregistered
    checked_at: datetime | None
    amount: Decimal | None = None
    note: str = ""


@dataclass(frozen=True)
class StockRow:
    """One counted drug of the stock count (C2)."""

    code: str
    name: str
    unit: str
    expected: Decimal
    counted: Decimal | None
    variance: Decimal | None
    variance_rate: Decimal | None
    amount: Decimal | None
    verdict: str = ""             # within | shortage | surplus
    note: str = ""


@dataclass(frozen=True)
class RecordReviewRow:
    """One reviewed medical record (C3)."""

    mdtrt_id: str
    dept: str
    patient: str
    result: str                   # pass | fail | pending
    failed_items: str = ""
    amount: Decimal | None = None
    note: str = ""


@dataclass(frozen=True)
class LeadRow:
    """A screening lead and what became of it on site."""

    rule: str                     # S1..S9
    key: str
    amount: Decimal
    outcome: str                  # confirmed | dismissed | open ...
    severity: str = ""
    note: str = ""
    finding_no: int | None = None  # the finding resting on the lead (it is then confirmed)


@dataclass(frozen=True)
class EvidencePhoto:
    """A photo taken as evidence; `sha256` is of the original file, computed when empty."""

    image: bytes | Path
    caption: str
    captured_at: datetime | None
    author: str
    sha256: str = ""
    reduced: tuple[bytes, int, int] | None = None   # the JPEG kept at capture (bytes, width, height)

    def original_bytes(self) -> bytes:
        return self.image if isinstance(self.image, bytes) else Path(self.image).read_bytes()

    def digest(self) -> str:
        return self.sha256 or hashlib.sha256(self.original_bytes()).hexdigest()


@dataclass(frozen=True)
class HandSignature:
    """The representative's hand signature (PNG) or the recorded refusal to sign."""

    png: bytes | None = None
    signed_at: datetime | None = None
    refused: bool = False
    refusal_note: str = ""


@dataclass
class ReportData:
    """Everything the on-site record, the findings list and the appendices show."""

    institution_code: str
    institution_name: str
    institution_address: str
    inspection_id: int
    inspection_uid: str
    window_from: datetime | Any
    window_to: datetime | Any
    visit_start: datetime
    visit_end: datetime | None
    inspection_kind: str                          # routine | flight | embedded
    team: list[TeamMember]
    representative_name: str
    representative_title: str
    bureau_name: str = ""
    checked: list[str] = field(default_factory=list)      # what was checked
    facts: list[str] = field(default_factory=list)        # the facts found
    findings: list[FindingRow] = field(default_factory=list)
    census_rows: list[CensusRow] = field(default_factory=list)
    census_summary: list[str] = field(default_factory=list)
    stock_rows: list[StockRow] = field(default_factory=list)
    stock_summary: list[str] = field(default_factory=list)
    record_rows: list[RecordReviewRow] = field(default_factory=list)
    record_summary: list[str] = field(default_factory=list)
    leads: list[LeadRow] = field(default_factory=list)
    photos: list[EvidencePhoto] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    approved: bool = False
    hand_signature: HandSignature | None = None
    generated_at: datetime | None = None
    trust_anchors: tuple[bytes, ...] = ()         # DER CA certificates the signers' keys must chain to
    unfinished: list[str] = field(default_factory=list)   # required checks neither finished nor waived
    legal_rep: str = ""                                   # 法定代表人
    place: str = ""                                       # 检查地点
    record_closed: bool = False                           # visit_end is the recorded close, not a guess
    statement: str = ""                                   # 陈述、申辩意见 as the record shows it ("" = none yet)
    handling: list[str] = field(default_factory=list)     # 处理意见, one per finding
    witnesses: dict[str, dict[str, str]] = field(default_factory=dict)   # check -> {name, title}
    credit: dict[str, Any] | None = None          # inspector.credit.credit_json of the approved findings
    laptops: list[dict[str, Any]] = field(default_factory=list)   # chains of this inspection: device, events, head
    bundles: list[dict[str, Any]] = field(default_factory=list)   # bundles merged (inspector.exchange.bundle)

    @property
    def inspectors(self) -> list[TeamMember]:
        return [m for m in self.team if m.role != ROLE_LEAD]

    @property
    def leads_of_team(self) -> list[TeamMember]:
        return [m for m in self.team if m.role == ROLE_LEAD]

    @property
    def recovery_total(self) -> Decimal:
        """Fund money to be returned (追回): goes to the fund account."""
        return sum((f.recovery for f in self.findings), Decimal("0.00"))

    @property
    def fine_total(self) -> Decimal:
        """Fines (罚款): go to the treasury, kept apart from the recovery."""
        return sum((f.fine for f in self.findings), Decimal("0.00"))

    @property
    def amount_total(self) -> Decimal:
        return sum((f.amount for f in self.findings), Decimal("0.00"))


@dataclass(frozen=True)
class SignatureField:
    """Where a digital signature goes: field name, 0-based page, rect (x1, y1, x2, y2) in points."""

    name: str
    page: int
    rect: tuple[float, float, float, float]
    role: str
    signer_name: str
    cert_no: str


@dataclass(frozen=True)
class RenderInfo:
    """What `render_report` produced: page count and the declared signature fields in signing order."""

    pages: int
    signature_fields: list[SignatureField]


def with_hand_signature(data: ReportData, png: bytes, signed_at: datetime | None = None) -> ReportData:
    """A copy of `data` with the representative's signature image on their line."""
    from copy import copy

    from inspector.reports.handsig import check_signature_png

    check_signature_png(png)
    out = copy(data)
    out.hand_signature = HandSignature(png=png, signed_at=signed_at or datetime.now().replace(microsecond=0))
    return out


def with_refusal(data: ReportData, note: str, at: datetime | None = None) -> ReportData:
    """A copy of `data` recording that the representative refused to sign, with the inspectors' note."""
    from copy import copy

    from inspector.errors import UserError

    if not note.strip():
        raise UserError("a refusal to sign needs the inspectors' note")
    out = copy(data)
    out.hand_signature = HandSignature(refused=True, refusal_note=note.strip(),
                                       signed_at=at or datetime.now().replace(microsecond=0))
    return out
