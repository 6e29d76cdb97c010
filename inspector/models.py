"""SQLAlchemy models of the local store: inspections, their frozen snapshots of the
central contract tables (one `snap_*` table per contract table, keyed by snapshot), and
the bookkeeping around them.

Contract columns keep their contract names. Money and quantities are `Scaled`
integers (cents for 2 places, 1/10000 for prices), times are contract text.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, LargeBinary, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from inspector.coltypes import Day, Scaled, Timestamp

MONEY = Scaled(2)     # yuan, 2 places
PRICE = Scaled(4)     # unit price, 4 places
QTY = Scaled(2)       # quantity in the minimum unit, 2 places


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, bytes: LargeBinary}


class Inspection(Base):
    """One inspection of one institution over a review window, with its team and settings."""

    __tablename__ = "inspection"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)          # UUID4, global identity
    fixmedins_code: Mapped[str] = mapped_column(String(12))
    fixmedins_name: Mapped[str] = mapped_column(Text)
    date_from: Mapped[date] = mapped_column(Day)
    date_to: Mapped[date] = mapped_column(Day)
    visit_time: Mapped[datetime] = mapped_column(Timestamp)
    status: Mapped[str] = mapped_column(String(16), default="synced")
    team: Mapped[list[Any]] = mapped_column(default=list)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class Snapshot(Base):
    """A frozen copy of the contract slice for one inspection. Never changes once written.

    While a sync still copies its rows in, the row is *pending*: `inspection_id` NULL,
    `source_kind` 'pending', `source` the name of the sync's staging file (see
    inspector/snapshot.py). Readers select snapshots by inspection, so they never see it."""

    __tablename__ = "snapshot"
    __table_args__ = (UniqueConstraint("inspection_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspection.id"))
    version: Mapped[int]
    source_kind: Mapped[str] = mapped_column(String(8))               # 'central' | 'xlsx'
    source: Mapped[str] = mapped_column(Text)                         # URL without password, or file path
    source_sha256: Mapped[str | None] = mapped_column(String(64))     # of an imported file
    extract_id: Mapped[str] = mapped_column(Text)
    schema_version: Mapped[str] = mapped_column(String(8))
    synced_at: Mapped[datetime] = mapped_column(Timestamp)
    row_counts: Mapped[dict[str, Any]]
    digests: Mapped[dict[str, Any]]


# --- snapshot tables: the contract tables, one copy per snapshot -------------------------

def _snap_fk() -> Any:
    return mapped_column(ForeignKey("snapshot.id"), primary_key=True)


class SnapExtractMeta(Base):
    __tablename__ = "snap_extract_meta"
    snapshot_id: Mapped[int] = _snap_fk()
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class SnapFixmedins(Base):
    __tablename__ = "snap_fixmedins"
    snapshot_id: Mapped[int] = _snap_fk()
    fixmedins_code: Mapped[str] = mapped_column(Text, primary_key=True)
    fixmedins_name: Mapped[str] = mapped_column(Text)
    fixmedins_type: Mapped[str] = mapped_column(Text)
    hosp_lv: Mapped[str | None] = mapped_column(Text)
    admdvs: Mapped[str] = mapped_column(Text)
    aprv_bed_cnt: Mapped[int] = mapped_column(Integer)
    addr: Mapped[str | None] = mapped_column(Text)
    credit_grade: Mapped[str | None] = mapped_column(Text)
    contract_status: Mapped[str] = mapped_column(Text)


class SnapWards(Base):
    __tablename__ = "snap_wards"
    snapshot_id: Mapped[int] = _snap_fk()
    fixmedins_code: Mapped[str] = mapped_column(Text, primary_key=True)
    ward_codg: Mapped[str] = mapped_column(Text, primary_key=True)
    ward_name: Mapped[str] = mapped_column(Text)
    dept_codg: Mapped[str] = mapped_column(Text)
    dept_name: Mapped[str] = mapped_column(Text)
    aprv_bed_cnt: Mapped[int] = mapped_column(Integer)


class SnapPsnInfo(Base):
    __tablename__ = "snap_psn_info"
    snapshot_id: Mapped[int] = _snap_fk()
    psn_no: Mapped[str] = mapped_column(Text, primary_key=True)
    psn_name: Mapped[str] = mapped_column(Text)
    gend: Mapped[str] = mapped_column(Text)
    # Reduced from the contract (see inspector/snapshot.py): the birth year, never the date,
    # and no certno_hash, so the mask cannot be completed into a full ID number.
    birth_year: Mapped[int] = mapped_column(Integer)
    certno_mask: Mapped[str] = mapped_column(Text)
    insutype: Mapped[str] = mapped_column(Text)


class SnapMedList(Base):
    __tablename__ = "snap_med_list"
    snapshot_id: Mapped[int] = _snap_fk()
    med_list_codg: Mapped[str] = mapped_column(Text, primary_key=True)
    item_name: Mapped[str] = mapped_column(Text)
    list_type: Mapped[str] = mapped_column(Text)
    spec: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(Text)
    chrgitm_lv: Mapped[str] = mapped_column(Text)
    essential_flag: Mapped[int] = mapped_column(Integer)
    pric_uplmt_amt: Mapped[Decimal | None] = mapped_column(PRICE)
    daily_cnt_limit: Mapped[Decimal | None] = mapped_column(QTY)


class SnapMdtrt(Base):
    __tablename__ = "snap_mdtrt"
    __table_args__ = (
        Index("ix_snap_mdtrt_psn", "snapshot_id", "psn_no", "begntime"),
        # the census roster: inpatients admitted at the visit time, without scanning outpatients
        Index("ix_snap_mdtrt_type_begn", "snapshot_id", "med_type", "begntime"),
    )
    snapshot_id: Mapped[int] = _snap_fk()
    mdtrt_id: Mapped[str] = mapped_column(Text, primary_key=True)
    fixmedins_code: Mapped[str] = mapped_column(Text)
    psn_no: Mapped[str] = mapped_column(Text)
    med_type: Mapped[str] = mapped_column(Text)
    ipt_no: Mapped[str | None] = mapped_column(Text)
    begntime: Mapped[datetime] = mapped_column(Timestamp)
    endtime: Mapped[datetime | None] = mapped_column(Timestamp)
    ward_codg: Mapped[str | None] = mapped_column(Text)
    adm_bed: Mapped[str | None] = mapped_column(Text)
    adm_diag_codg: Mapped[str | None] = mapped_column(Text)
    adm_diag_name: Mapped[str | None] = mapped_column(Text)
    atddr_codg: Mapped[str | None] = mapped_column(Text)
    atddr_name: Mapped[str | None] = mapped_column(Text)
    dept_codg: Mapped[str | None] = mapped_column(Text)


class SnapLeaveRec(Base):
    __tablename__ = "snap_leave_rec"
    snapshot_id: Mapped[int] = _snap_fk()
    leave_id: Mapped[str] = mapped_column(Text, primary_key=True)
    mdtrt_id: Mapped[str] = mapped_column(Text)
    begntime: Mapped[datetime] = mapped_column(Timestamp)
    endtime: Mapped[datetime] = mapped_column(Timestamp)
    reason: Mapped[str | None] = mapped_column(Text)


class SnapSetl(Base):
    __tablename__ = "snap_setl"
    snapshot_id: Mapped[int] = _snap_fk()
    setl_id: Mapped[str] = mapped_column(Text, primary_key=True)
    mdtrt_id: Mapped[str] = mapped_column(Text)
    fixmedins_code: Mapped[str] = mapped_column(Text)
    psn_no: Mapped[str] = mapped_column(Text)
    setl_time: Mapped[datetime] = mapped_column(Timestamp)
    medfee_sumamt: Mapped[Decimal] = mapped_column(MONEY)
    hifp_pay: Mapped[Decimal] = mapped_column(MONEY)
    acct_pay: Mapped[Decimal] = mapped_column(MONEY)
    psn_cash_pay: Mapped[Decimal] = mapped_column(MONEY)
    fulamt_ownpay_amt: Mapped[Decimal] = mapped_column(MONEY)


class SnapFeedetl(Base):
    __tablename__ = "snap_feedetl"
    __table_args__ = (Index("ix_snap_feedetl_mdtrt", "snapshot_id", "mdtrt_id", "fee_ocur_time"),)
    snapshot_id: Mapped[int] = _snap_fk()
    feedetl_sn: Mapped[str] = mapped_column(Text, primary_key=True)
    mdtrt_id: Mapped[str] = mapped_column(Text)
    fixmedins_code: Mapped[str] = mapped_column(Text)
    psn_no: Mapped[str] = mapped_column(Text)
    fee_ocur_time: Mapped[datetime] = mapped_column(Timestamp)
    med_list_codg: Mapped[str] = mapped_column(Text)
    med_chrgitm_type: Mapped[str] = mapped_column(Text)
    cnt: Mapped[Decimal] = mapped_column(QTY)
    pric: Mapped[Decimal] = mapped_column(PRICE)
    det_item_fee_sumamt: Mapped[Decimal] = mapped_column(MONEY)
    bilg_dr_codg: Mapped[str | None] = mapped_column(Text)
    bilg_dept_codg: Mapped[str | None] = mapped_column(Text)


class SnapMedrcd(Base):
    __tablename__ = "snap_medrcd"
    snapshot_id: Mapped[int] = _snap_fk()
    mdtrt_id: Mapped[str] = mapped_column(Text, primary_key=True)
    fixmedins_code: Mapped[str] = mapped_column(Text)
    psn_no: Mapped[str] = mapped_column(Text)
    ipt_no: Mapped[str | None] = mapped_column(Text)
    adm_time: Mapped[datetime] = mapped_column(Timestamp)
    dscg_time: Mapped[datetime] = mapped_column(Timestamp)
    ipt_days: Mapped[int] = mapped_column(Integer)
    dscg_maindiag_codg: Mapped[str] = mapped_column(Text)
    dscg_maindiag_name: Mapped[str] = mapped_column(Text)
    oprn_codg: Mapped[str | None] = mapped_column(Text)
    dept_codg: Mapped[str | None] = mapped_column(Text)
    atddr_codg: Mapped[str | None] = mapped_column(Text)
    medfee_sumamt: Mapped[Decimal] = mapped_column(MONEY)


class SnapDrugInv(Base):
    __tablename__ = "snap_drug_inv"
    snapshot_id: Mapped[int] = _snap_fk()
    fixmedins_code: Mapped[str] = mapped_column(Text, primary_key=True)
    med_list_codg: Mapped[str] = mapped_column(Text, primary_key=True)
    invdate: Mapped[date] = mapped_column(Day, primary_key=True)
    inv_cnt: Mapped[Decimal] = mapped_column(QTY)


class SnapDrugPurc(Base):
    __tablename__ = "snap_drug_purc"
    __table_args__ = (Index("ix_snap_purc_drug", "snapshot_id", "med_list_codg", "purc_time"),)
    snapshot_id: Mapped[int] = _snap_fk()
    purc_id: Mapped[str] = mapped_column(Text, primary_key=True)
    fixmedins_code: Mapped[str] = mapped_column(Text)
    med_list_codg: Mapped[str] = mapped_column(Text)
    spler_name: Mapped[str | None] = mapped_column(Text)
    manu_lotnum: Mapped[str | None] = mapped_column(Text)
    purc_cnt: Mapped[Decimal] = mapped_column(QTY)
    purc_pric: Mapped[Decimal] = mapped_column(PRICE)
    purc_time: Mapped[datetime] = mapped_column(Timestamp)
    retn_flag: Mapped[str] = mapped_column(Text)


class SnapDrugSel(Base):
    __tablename__ = "snap_drug_sel"
    __table_args__ = (Index("ix_snap_sel_drug", "snapshot_id", "med_list_codg", "sel_retn_time"),)
    snapshot_id: Mapped[int] = _snap_fk()
    sel_id: Mapped[str] = mapped_column(Text, primary_key=True)
    fixmedins_code: Mapped[str] = mapped_column(Text)
    med_list_codg: Mapped[str] = mapped_column(Text)
    sel_retn_cnt: Mapped[Decimal] = mapped_column(QTY)
    pric: Mapped[Decimal] = mapped_column(PRICE)
    sel_retn_time: Mapped[datetime] = mapped_column(Timestamp)
    mdtrt_id: Mapped[str | None] = mapped_column(Text)
    drug_trac_codg: Mapped[str | None] = mapped_column(Text)
    retn_flag: Mapped[str] = mapped_column(Text)


# --- on-site work: the event log and what it refers to ------------------------------------

class Event(Base):
    """One on-site action, append-only and hash-chained (see inspector/events.py).

    Triggers created by the migration refuse UPDATE and DELETE on this table.
    """

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_inspection_kind", "inspection_id", "kind", "seq"),
                      Index("ux_event_chain_position", "inspection_uid", "chain", "dseq", unique=True),
                      Index("ix_event_inspection_order", "inspection_id", "clock", "chain", "dseq"))

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)           # UUID4
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspection.id"))
    at: Mapped[str] = mapped_column(String(26))                        # local time, microseconds
    author: Mapped[str] = mapped_column(Text)
    device: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40))                      # e.g. 'census.outcome'
    payload: Mapped[str] = mapped_column(Text)                         # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # The event's place on its laptop's chain (see inspector/events.py, migration 0006)
    chain: Mapped[str | None] = mapped_column(Text)                    # device id of the laptop that wrote it
    dseq: Mapped[int | None] = mapped_column(Integer)                  # position on (inspection_uid, chain)
    clock: Mapped[int | None] = mapped_column(Integer)                 # Lamport clock within the inspection
    vv: Mapped[str | None] = mapped_column(Text)                       # JSON {chain: dseq} of other chains seen
    inspection_uid: Mapped[str | None] = mapped_column(Text)           # '' for store-level events
    hv: Mapped[int | None] = mapped_column(Integer)                    # hash version: 1 legacy, 2 chains


class BundleImport(Base):
    """A bundle merged into this laptop's log (inspector/exchange/bundle.py); bookkeeping, not an event."""

    __tablename__ = "bundle_import"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64))
    inspection_uid: Mapped[str] = mapped_column(Text)
    sender: Mapped[str] = mapped_column(Text)
    sender_device: Mapped[str] = mapped_column(Text)
    events: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[str] = mapped_column(Text)
    imported_by: Mapped[str] = mapped_column(Text)


class StoreIdentity(Base):
    """This store's identity as a laptop of the team: `device_id` (random, made once)."""

    __tablename__ = "store_identity"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Lead(Base):
    """A screening hit (疑点) computed from one snapshot. Its status lives in the event log."""

    __tablename__ = "lead"
    __table_args__ = (
        UniqueConstraint("snapshot_id", "rule", "key"),
        Index("ix_lead_inspection_rule", "inspection_id", "rule"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id"))
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshot.id"))
    rule: Mapped[str] = mapped_column(String(4))                       # 'S1'..'S9'
    key: Mapped[str] = mapped_column(Text)                             # canonical JSON array
    severity: Mapped[str | None] = mapped_column(String(8))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    figures: Mapped[dict[str, Any]]
    summary: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(Timestamp)


class Attachment(Base):
    """Evidence content (photo, scan, file), stored once by its SHA-256."""

    __tablename__ = "attachment"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[bytes]
    size: Mapped[int]
    media_type: Mapped[str] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class AttachmentReduced(Base):
    """A reduced JPEG of an image attachment (no side over `max_side` px), made when it is
    captured, so a report embeds it without decoding the original again."""

    __tablename__ = "attachment_reduced"

    sha256: Mapped[str] = mapped_column(String(64), ForeignKey("attachment.sha256"), primary_key=True)
    jpeg: Mapped[bytes]
    width: Mapped[int]
    height: Mapped[int]
    max_side: Mapped[int]


class ChecklistTemplate(Base):
    """A record-review checklist definition, versioned; an inspection pins the version it used."""

    __tablename__ = "checklist_template"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    version: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))                    # of the canonical body
    body: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(Timestamp)


# Contract table name -> snapshot model, in the order a copy must load them (parents first).
SNAPSHOT_MODELS: dict[str, type[Base]] = {
    "extract_meta": SnapExtractMeta,
    "fixmedins": SnapFixmedins,
    "wards": SnapWards,
    "psn_info": SnapPsnInfo,
    "med_list": SnapMedList,
    "mdtrt": SnapMdtrt,
    "leave_rec": SnapLeaveRec,
    "setl": SnapSetl,
    "feedetl": SnapFeedetl,
    "medrcd": SnapMedrcd,
    "drug_inv": SnapDrugInv,
    "drug_purc": SnapDrugPurc,
    "drug_sel": SnapDrugSel,
}

# Tables listed in `row_counts` (every contract table but extract_meta and insp_upload).
COUNTED_TABLES: tuple[str, ...] = tuple(t for t in SNAPSHOT_MODELS if t != "extract_meta")


class Account(Base):
    """A person who may act on this store (see inspector/accounts.py). Never deleted: events name them."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(Text, unique=True)
    display_name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))                      # inspector | lead | deputy
    cert_no: Mapped[str] = mapped_column(Text)                         # enforcement certificate no. (执法证号)
    password_hash: Mapped[str] = mapped_column(Text)                   # Argon2id PHC string
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[float | None] = mapped_column(nullable=True)  # epoch seconds
    created_at: Mapped[str] = mapped_column(String(26))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("account.id"), nullable=True)
    key_blob: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # AES-GCM(nonce|ct) of the PKCS#12
    key_kdf: Mapped[str | None] = mapped_column(Text, nullable=True)   # JSON: Argon2id salt and parameters
    cert_pem: Mapped[str | None] = mapped_column(Text, nullable=True)
class TrustAnchor(Base):
    """A CA certificate that signatures must chain to (`trust add`); nothing else is trusted."""

    __tablename__ = "trust_anchor"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)   # of the DER certificate
    subject: Mapped[str] = mapped_column(Text)                          # RFC 4514 subject, for people
    der: Mapped[bytes]
    not_after: Mapped[datetime] = mapped_column(Timestamp)
    added_at: Mapped[datetime] = mapped_column(Timestamp)
    added_by: Mapped[str] = mapped_column(Text)
