"""C1 ward census (在院核查): the roster at the visit time, outcomes as events, live figures.

The roster is read from the inspection's current snapshot: inpatient visits of the
institution admitted at the visit time V (begntime <= V and endtime NULL or > V). Every
tick is an event ('census.outcome', 'census.unregistered', 'census.undone'); the current
state and the figures are folded from the events, so nothing is overwritten.

An ID number shown on site is validated (18 characters, ISO 7064 MOD 11-2 check digit) and
compared with what the store keeps of the person: the mask's first 6 and last 4 characters
and the birth year. The store keeps neither the birth date nor the salted hash of the number
(either would let the full number be rebuilt from the mask); only whether it matched is
stored, never the number.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import asdict, dataclass, field
from collections import OrderedDict
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine

from inspector.checks import FindingSource
from inspector.coltypes import TIMESTAMP_FORMAT, from_scaled
from inspector.db import write_transaction
from inspector.errors import UserError
from inspector.events import Event, append_event, read_events
from inspector.i18n import N_, _
from inspector.settings import effective_settings

if TYPE_CHECKING:
    from inspector.accounts import Actor

OUTCOMES: tuple[str, ...] = ("present", "identity_mismatch", "on_leave", "absent", "discharged")
OUTCOME_LABELS = {
    "present": N_("present"),
    "identity_mismatch": N_("identity mismatch"),
    "on_leave": N_("on leave"),
    "absent": N_("absent"),
    "discharged": N_("discharged"),
    "unregistered": N_("unregistered"),
}
# Usual mapping of census outcomes to finding categories (brief, "Findings").
OUTCOME_CATEGORY = {"absent": "V01", "identity_mismatch": "F01"}
TICK_KINDS = ("census.outcome", "census.unregistered")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_FORM = re.compile(r"^\d{17}[\dX]$")


# --- identity ---------------------------------------------------------------------------

def normalize_certno(text: str) -> str:
    """The ID number as compared: surrounding spaces stripped, upper-cased."""
    return text.strip().upper()


def certno_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID number."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


def validate_certno(text: str) -> str:
    """The normalised ID number, or UserError when it is not a well-formed 18-character number."""
    n = normalize_certno(text)
    if not _ID_FORM.match(n):
        raise UserError(_("ID number: expected 18 characters, 17 digits then a digit or X; got {n} characters")
                        .format(n=len(n)))
    if certno_check_char(n[:17]) != n[17]:
        raise UserError(_("ID number: the check digit does not match (mistyped?)"))
    return n


def certno_matches(certno: str, mask: str, birth_year: int) -> bool:
    """Whether a validated ID number fits what the store keeps of a person: the mask's first 6
    and last 4 characters and the birth year (characters 7-10). Month and day are not kept
    (so that no full number can be rebuilt from the store), so they cannot be checked."""
    n = normalize_certno(certno)
    m = normalize_certno(mask)
    return len(n) == 18 == len(m) and n[:6] == m[:6] and n[-4:] == m[-4:] and n[6:10] == f"{int(birth_year):04d}"


def certno_hash(salt: str, certno: str) -> str:
    """Lowercase hex SHA-256 of salt + normalised number (CONTRACT.md, Identity)."""
    return hashlib.sha256((salt + normalize_certno(certno)).encode("utf-8")).hexdigest()


# --- context and roster -------------------------------------------------------------------

@dataclass(frozen=True)
class CensusContext:
    inspection_id: int
    snapshot_id: int
    fixmedins_code: str
    visit_time: str            # V, contract text
    hosp_lv: str | None
    approved_beds: int
    snapshot_key: str = ""     # identifies the frozen snapshot content (for the roster memo)


@dataclass(frozen=True)
class RosterEntry:
    mdtrt_id: str
    psn_no: str
    psn_name: str
    certno_mask: str
    ipt_no: str | None
    ward_codg: str
    ward_name: str
    bed: str
    dept_codg: str | None
    begntime: str
    days: int
    leave_covers_v: bool


def census_context(conn: Connection, inspection_id: int) -> CensusContext:
    """The inspection's current snapshot, institution, visit time and tier."""
    row = conn.exec_driver_sql(
        "SELECT i.fixmedins_code, i.visit_time, s.id, s.synced_at || s.digests FROM inspection i "
        "LEFT JOIN snapshot s ON s.inspection_id = i.id WHERE i.id = ? ORDER BY s.version DESC LIMIT 1",
        (inspection_id,),
    ).fetchone()
    if row is None:
        raise UserError(_("no inspection with id {id} in this store").format(id=inspection_id))
    if row[2] is None:
        raise UserError(_("inspection {id} has no synced data").format(id=inspection_id))
    fix = conn.exec_driver_sql(
        "SELECT hosp_lv, aprv_bed_cnt FROM snap_fixmedins WHERE snapshot_id = ? AND fixmedins_code = ?",
        (row[2], row[0]),
    ).fetchone()
    key = f"{conn.engine.url}|{row[2]}|{hashlib.sha256(row[3].encode()).hexdigest()}"
    return CensusContext(inspection_id, row[2], row[0], row[1], fix[0] if fix else None, fix[1] if fix else 0, key)


def _days(v: str, begntime: str) -> int:
    return max(1, (date.fromisoformat(v[:10]) - date.fromisoformat(begntime[:10])).days)


def _bed_key(e: RosterEntry) -> tuple:
    parts = re.split(r"(\d+)", e.bed or "")
    return (e.ward_codg, [(0, int(p)) if p.isdigit() else (1, p) for p in parts if p], e.mdtrt_id)


_ROSTER_SQL = (
    "SELECT m.mdtrt_id, m.psn_no, coalesce(p.psn_name, ''), coalesce(p.certno_mask, ''), m.ipt_no, "
    "coalesce(m.ward_codg, ''), coalesce(w.ward_name, ''), coalesce(m.adm_bed, ''), m.dept_codg, m.begntime "
    "FROM snap_mdtrt m "
    "LEFT JOIN snap_psn_info p ON p.snapshot_id = m.snapshot_id AND p.psn_no = m.psn_no "
    "LEFT JOIN snap_wards w ON w.snapshot_id = m.snapshot_id AND w.fixmedins_code = m.fixmedins_code "
    "  AND w.ward_codg = m.ward_codg "
    "WHERE m.snapshot_id = ? AND m.fixmedins_code = ? AND m.med_type = '21' AND m.begntime <= ? "
    "  AND (m.endtime IS NULL OR m.endtime > ?)"
)


def _on_leave_at_v(conn: Connection, ctx: CensusContext, mdtrt_id: str | None = None) -> set[str]:
    sql = ("SELECT DISTINCT mdtrt_id FROM snap_leave_rec WHERE snapshot_id = ? AND begntime <= ? AND endtime >= ?")
    params: tuple = (ctx.snapshot_id, ctx.visit_time, ctx.visit_time)
    if mdtrt_id is not None:
        sql += " AND mdtrt_id = ?"
        params += (mdtrt_id,)
    return {r[0] for r in conn.exec_driver_sql(sql, params)}


# Snapshots never change once written, so the roster of (store, snapshot content, V) is
# memoised per process: the scan over all visits of a big hospital is paid once.
_ROSTER_MEMO: OrderedDict[tuple[str, str, str], tuple[RosterEntry, ...]] = OrderedDict()
_ROSTER_MEMO_SIZE = 8
_ROSTER_LOCK = threading.Lock()


def _full_roster(conn: Connection, ctx: CensusContext) -> tuple[RosterEntry, ...]:
    key = (ctx.snapshot_key, ctx.fixmedins_code, ctx.visit_time)
    with _ROSTER_LOCK:
        hit = _ROSTER_MEMO.get(key)
        if hit is not None:
            _ROSTER_MEMO.move_to_end(key)
            return hit
    leave = _on_leave_at_v(conn, ctx)
    v = ctx.visit_time
    rows = conn.exec_driver_sql(_ROSTER_SQL, (ctx.snapshot_id, ctx.fixmedins_code, v, v)).fetchall()
    out = tuple(sorted((RosterEntry(*r, _days(v, r[9]), r[0] in leave) for r in rows), key=_bed_key))
    with _ROSTER_LOCK:
        _ROSTER_MEMO[key] = out
        while len(_ROSTER_MEMO) > _ROSTER_MEMO_SIZE:
            _ROSTER_MEMO.popitem(last=False)
    return out


def roster(conn: Connection, inspection_id: int, ward: str | None = None,
           ctx: CensusContext | None = None) -> list[RosterEntry]:
    """Inpatients admitted at the visit time, by ward and bed (optionally one ward)."""
    ctx = ctx or census_context(conn, inspection_id)
    full = _full_roster(conn, ctx)
    return [e for e in full if ward is None or e.ward_codg == ward]


def roster_entry(conn: Connection, ctx: CensusContext, mdtrt_id: str) -> RosterEntry:
    """One visit of the roster, or UserError naming why it is not on it."""
    r = conn.exec_driver_sql(_ROSTER_SQL + " AND m.mdtrt_id = ?",
                             (ctx.snapshot_id, ctx.fixmedins_code, ctx.visit_time, ctx.visit_time, mdtrt_id)).fetchone()
    if r is None:
        known = conn.exec_driver_sql("SELECT 1 FROM snap_mdtrt WHERE snapshot_id = ? AND mdtrt_id = ?",
                                     (ctx.snapshot_id, mdtrt_id)).fetchone()
        if known is None:
            raise UserError(_("unknown visit {m}: not in inspection {id}'s data").format(m=mdtrt_id, id=ctx.inspection_id))
        raise UserError(_("visit {m} is not on the ward roster at {v} (not an inpatient admitted then)")
                        .format(m=mdtrt_id, v=ctx.visit_time))
    leave = bool(_on_leave_at_v(conn, ctx, mdtrt_id))
    return RosterEntry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], _days(ctx.visit_time, r[9]), leave)


def fees_at_or_before_v(conn: Connection, ctx: CensusContext, mdtrt_ids: list[str]) -> dict[str, Decimal]:
    """Each visit's fees dated at or before V, whatever their date, exact to the cent."""
    out = {m: Decimal("0.00") for m in mdtrt_ids}
    for i in range(0, len(mdtrt_ids), 500):
        chunk = mdtrt_ids[i:i + 500]
        rows = conn.exec_driver_sql(
            f"SELECT mdtrt_id, sum(det_item_fee_sumamt) FROM snap_feedetl WHERE snapshot_id = ? "
            f"AND mdtrt_id IN ({', '.join('?' * len(chunk))}) AND fee_ocur_time <= ? GROUP BY mdtrt_id",
            (ctx.snapshot_id, *chunk, ctx.visit_time),
        )
        for m, cents in rows:
            out[m] = from_scaled(cents or 0, 2)
    return out


# --- state folded from events -------------------------------------------------------------

@dataclass
class CensusState:
    """The current census: each visit's latest outcome event, the unregistered entries."""

    outcomes: dict[str, Event] = field(default_factory=dict)
    unregistered: list[Event] = field(default_factory=list)
    ticks: list[Event] = field(default_factory=list)      # live (not undone) ticks in log order
    undone: set[str] = field(default_factory=set)


def census_state(conn: Connection, inspection_id: int) -> CensusState:
    """Fold the inspection's census events (undone ticks drop out; later ticks win)."""
    # read straight from the driver over the (inspection_id, kind, seq) index: this fold runs
    # on every summary refresh
    events = [
        Event(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), r[8], r[9], r[10] or "", r[11] or 0,
              r[12] or 0, json.loads(r[13] or "{}"), r[14] or "", r[15] or 1)
        for r in conn.exec_driver_sql(
            "SELECT seq, id, inspection_id, at, author, device, kind, payload, prev_hash, hash, chain, dseq, clock, "
            "vv, inspection_uid, hv FROM event "
            "WHERE inspection_id = ? AND kind >= 'census.' AND kind < 'census/' ORDER BY clock, chain, dseq",
            (inspection_id,))
    ]
    undone = {e.payload["undoes"] for e in events if e.kind == "census.undone"}
    st = CensusState(undone=undone)
    for e in events:
        if e.kind not in TICK_KINDS or e.id in undone:
            continue
        st.ticks.append(e)
        if e.kind == "census.outcome":
            st.outcomes[e.payload["mdtrt_id"]] = e
        else:
            st.unregistered.append(e)
    return st


# --- recording ----------------------------------------------------------------------------

def is_night(ts: str) -> bool:
    """Whether a time falls in the night census period 21:00-08:00."""
    hour = int(ts[11:13])
    return hour >= 21 or hour < 8


def _now() -> str:
    return datetime.now().strftime(TIMESTAMP_FORMAT)


def _check_time(text: str | None) -> str:
    if text is None:
        return _now()
    try:
        datetime.strptime(text, TIMESTAMP_FORMAT)
    except ValueError:
        raise UserError(_("time checked: '{t}' is not a time 'YYYY-MM-DD HH:MM:SS'").format(t=text)) from None
    return text


def _photo_bytes(photo: str | Path | bytes | None) -> tuple[bytes, str] | None:
    if photo is None:
        return None
    if isinstance(photo, bytes):
        return photo, "photo"
    p = Path(photo)
    if not p.is_file():
        raise UserError(_("photo: no such file {p}").format(p=p))
    return p.read_bytes(), p.name


def record_outcome(
    engine: Engine,
    inspection_id: int,
    mdtrt_id: str,
    outcome: str,
    *,
    id_number: str | None = None,
    note: str | None = None,
    photo: str | Path | bytes | None = None,
    checked_at: str | None = None,
    staff_on_duty: str | None = None,
    actor: Actor | None = None,
    device: str | None = None,
) -> Event:
    """Record one bed's outcome as a committed 'census.outcome' event (with its photo, if any)."""
    if outcome not in OUTCOMES:
        raise UserError(_("unknown census outcome '{o}'; expected one of: {all}").format(o=outcome, all=", ".join(OUTCOMES)))
    checked_at = _check_time(checked_at)
    normalized = validate_certno(id_number) if id_number is not None else None
    pic = _photo_bytes(photo)
    with write_transaction(engine) as conn:
        ctx = census_context(conn, inspection_id)
        entry = roster_entry(conn, ctx, mdtrt_id)
        from inspector.state import guard_source

        guard_source(conn, inspection_id, "census", mdtrt_id, _("changing the census outcome of visit {m}").format(m=mdtrt_id))
        id_match: bool | None = None
        if normalized is not None:
            row = conn.exec_driver_sql(
                "SELECT certno_mask, birth_year FROM snap_psn_info WHERE snapshot_id = ? AND psn_no = ?",
                (ctx.snapshot_id, entry.psn_no),
            ).fetchone()
            if row is None:
                raise UserError(_("{name} has no registration in the extract: the ID number cannot be checked")
                                .format(name=entry.psn_name))
            id_match = certno_matches(normalized, row[0], row[1])
        if outcome == "present":
            if id_match is False:
                raise UserError(_("the ID number does not match {name}'s registration: record identity_mismatch, "
                                  "or present with a note if identity was confirmed otherwise")
                                .format(name=entry.psn_name))
            if id_match is None and not (note and note.strip()):
                raise UserError(_("present needs a matching ID number (--id-number) or a note saying how identity "
                                  "was confirmed (--note)"))
        if outcome == "on_leave" and not entry.leave_covers_v and pic is None:
            raise UserError(_("visit {m} has no leave record covering {v}: photograph the leave slip (--photo) "
                              "or record absent").format(m=mdtrt_id, v=ctx.visit_time))
        payload: dict[str, Any] = {
            "mdtrt_id": mdtrt_id, "outcome": outcome, "ward_codg": entry.ward_codg, "bed": entry.bed,
            "psn_name": entry.psn_name, "id_verified": normalized is not None, "id_match": id_match,
            "note": note, "photo": None, "checked_at": checked_at, "night": is_night(checked_at),
            "staff_on_duty": staff_on_duty, "leave_covers_v": entry.leave_covers_v,
        }
        if pic is not None:
            from inspector.evidence import add_evidence

            sha, _ev = add_evidence(engine, inspection_id, pic[0], filename=pic[1],
                                    caption=_("census {ward} bed {bed}: {outcome}").format(
                                        ward=entry.ward_name or entry.ward_codg, bed=entry.bed,
                                        outcome=_(OUTCOME_LABELS[outcome])),
                                    captured_at=checked_at, actor=actor, device=device,
                                    attach_to={"type": "census", "ref": mdtrt_id}, conn=conn)
            payload["photo"] = sha
        return append_event(engine, inspection_id, "census.outcome", payload, actor=actor, device=device, conn=conn)


def record_unregistered(
    engine: Engine,
    inspection_id: int,
    ward: str,
    bed: str,
    note: str,
    *,
    photo: str | Path | bytes | None = None,
    checked_at: str | None = None,
    staff_on_duty: str | None = None,
    actor: Actor | None = None,
    device: str | None = None,
) -> Event:
    """Record an occupant found in a bed with no registration ('census.unregistered')."""
    if not ward or not bed:
        raise UserError(_("an unregistered occupant needs a ward and a bed"))
    if not note or not note.strip():
        raise UserError(_("an unregistered occupant needs a note (who, what they said)"))
    checked_at = _check_time(checked_at)
    pic = _photo_bytes(photo)
    with engine.connect() as conn:
        ctx = census_context(conn, inspection_id)
        known = conn.exec_driver_sql(
            "SELECT 1 FROM snap_wards WHERE snapshot_id = ? AND fixmedins_code = ? AND ward_codg = ?",
            (ctx.snapshot_id, ctx.fixmedins_code, ward)).fetchone()
        if known is None:
            raise UserError(_("unknown ward {w} at {c}").format(w=ward, c=ctx.fixmedins_code))
    payload: dict[str, Any] = {"ward_codg": ward, "bed": bed, "note": note, "photo": None, "checked_at": checked_at,
                               "night": is_night(checked_at), "staff_on_duty": staff_on_duty}
    with write_transaction(engine) as conn:
        if pic is not None:
            from inspector.evidence import add_evidence

            sha, _ev = add_evidence(engine, inspection_id, pic[0], filename=pic[1],
                                    caption=_("census {ward} bed {bed}: unregistered occupant").format(ward=ward, bed=bed),
                                    captured_at=checked_at, actor=actor, device=device,
                                    attach_to={"type": "census_bed", "ref": f"{ward}/{bed}"}, conn=conn)
            payload["photo"] = sha
        return append_event(engine, inspection_id, "census.unregistered", payload, actor=actor, device=device, conn=conn)


def undo_last(engine: Engine, inspection_id: int, *, actor: Actor | None = None, device: str | None = None) -> Event:
    """Undo the latest live census tick with a 'census.undone' event referencing it."""
    with write_transaction(engine) as conn:
        census_context(conn, inspection_id)
        st = census_state(conn, inspection_id)
        if not st.ticks:
            raise UserError(_("nothing to undo: inspection {id} has no census tick").format(id=inspection_id))
        from inspector.events import device_id

        own = [t for t in st.ticks if t.chain == device_id(conn)]
        if not own:  # on a merged store only this laptop's own ticks are undone
            raise UserError(_("nothing to undo: no census tick of inspection {id} was made on this laptop")
                            .format(id=inspection_id))
        last = own[-1]
        from inspector.state import guard_source

        guard_source(conn, inspection_id, "census", last.payload.get("mdtrt_id"),
                     _("undoing the census outcome of visit {m}").format(m=last.payload.get("mdtrt_id")))
        payload = {"undoes": last.id, "undoes_kind": last.kind, "mdtrt_id": last.payload.get("mdtrt_id"),
                   "ward_codg": last.payload.get("ward_codg"), "bed": last.payload.get("bed"),
                   "outcome": last.payload.get("outcome", "unregistered")}
        return append_event(engine, inspection_id, "census.undone", payload, actor=actor, device=device, conn=conn)


# --- figures ------------------------------------------------------------------------------

def _ratio(num: int, den: int) -> str | None:
    if den == 0:
        return None
    return str((Decimal(num) / Decimal(den)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def _figures(registered: int, counts: dict[str, int], unregistered: int, approved: int) -> dict[str, Any]:
    checked = sum(counts.values())
    return {
        "registered": registered, "checked": checked, "unchecked": registered - checked,
        **{o: counts.get(o, 0) for o in OUTCOMES}, "unregistered": unregistered,
        "approved_beds": approved,
        "absent_rate": _ratio(counts.get("absent", 0), registered),
        "absence_ratio": _ratio(counts.get("absent", 0) + counts.get("on_leave", 0), registered),
        "occupancy": _ratio(counts.get("present", 0), approved),
    }


def ward_rule_applies(absent: int, on_leave: int, registered: int, threshold: Decimal) -> bool:
    """(absent + on leave) / registered reaches (>=) the threshold, compared exactly."""
    return registered > 0 and Decimal(absent + on_leave) >= threshold * registered


def census_summary(conn: Connection, inspection_id: int) -> dict[str, Any]:
    """Live figures per ward and overall, the ward absence rule, flagged entries with amounts."""
    ctx = census_context(conn, inspection_id)
    settings = effective_settings(conn, inspection_id)
    entries = roster(conn, inspection_id, ctx=ctx)
    st = census_state(conn, inspection_id)
    rule_on = bool(settings.get("ward_absence_rule", True))
    thresholds = settings.get("ward_absence_thresholds") or {}
    threshold = Decimal(str(thresholds[ctx.hosp_lv])) if rule_on and ctx.hosp_lv in thresholds else None

    wards: dict[str, dict[str, Any]] = {}
    for code, name, beds in conn.exec_driver_sql(
            "SELECT ward_codg, ward_name, aprv_bed_cnt FROM snap_wards WHERE snapshot_id = ? AND fixmedins_code = ? "
            "ORDER BY ward_codg", (ctx.snapshot_id, ctx.fixmedins_code)):
        wards[code] = {"ward_codg": code, "ward_name": name, "beds": beds, "registered": 0, "counts": {}, "unreg": 0}
    roster_ids = set()
    for e in entries:
        w = wards.setdefault(e.ward_codg, {"ward_codg": e.ward_codg, "ward_name": e.ward_name, "beds": 0,
                                           "registered": 0, "counts": {}, "unreg": 0})
        w["registered"] += 1
        roster_ids.add(e.mdtrt_id)
    by_id = {e.mdtrt_id: e for e in entries}
    flagged: list[dict[str, Any]] = []
    for mdtrt_id, ev in st.outcomes.items():
        if mdtrt_id not in roster_ids:
            continue
        w = wards[by_id[mdtrt_id].ward_codg]
        o = ev.payload["outcome"]
        w["counts"][o] = w["counts"].get(o, 0) + 1
    for ev in st.unregistered:
        w = wards.setdefault(ev.payload["ward_codg"], {"ward_codg": ev.payload["ward_codg"], "ward_name": "",
                                                       "beds": 0, "registered": 0, "counts": {}, "unreg": 0})
        w["unreg"] += 1

    flagged_ids = [m for m, ev in st.outcomes.items() if m in roster_ids and ev.payload["outcome"] in OUTCOME_CATEGORY]
    amounts = fees_at_or_before_v(conn, ctx, flagged_ids)
    ward_out: list[dict[str, Any]] = []
    total_counts: dict[str, int] = {}
    applied: list[str] = []
    for code, w in wards.items():
        c = w["counts"]
        rule = threshold is not None and ward_rule_applies(c.get("absent", 0), c.get("on_leave", 0), w["registered"], threshold)
        if rule:
            applied.append(code)
        for o, n in c.items():
            total_counts[o] = total_counts.get(o, 0) + n
        ward_amount = sum((amounts[m] for m in flagged_ids if by_id[m].ward_codg == code), Decimal("0.00"))
        ward_out.append({"ward_codg": code, "ward_name": w["ward_name"],
                         **_figures(w["registered"], c, w["unreg"], w["beds"]),
                         "rule_applied": rule, "amount_involved": str(ward_amount)})
    for m in flagged_ids:
        e, ev = by_id[m], st.outcomes[m]
        o = ev.payload["outcome"]
        flagged.append({"mdtrt_id": m, "ward_codg": e.ward_codg, "bed": e.bed, "psn_name": e.psn_name,
                        "outcome": o, "category": OUTCOME_CATEGORY[o], "amount": str(amounts[m]),
                        "phantom_by_ward_rule": o == "absent" and e.ward_codg in applied,
                        "checked_at": ev.payload["checked_at"], "event_id": ev.id})
    flagged.sort(key=lambda f: (f["ward_codg"], f["mdtrt_id"]))
    times = [ev.payload["checked_at"] for ev in st.ticks]
    overall = _figures(len(entries), total_counts, len(st.unregistered), ctx.approved_beds)
    overall["amount_involved"] = str(sum(amounts.values(), Decimal("0.00")))
    return {
        "inspection_id": inspection_id,
        "visit_time": ctx.visit_time,
        "period": "night" if is_night(ctx.visit_time) else "day",
        "first_checked_at": min(times) if times else None,
        "last_checked_at": max(times) if times else None,
        "night_ticks": sum(1 for ev in st.ticks if ev.payload.get("night")),
        "ward_rule": {"enabled": rule_on, "tier": ctx.hosp_lv,
                      "threshold": str(threshold) if threshold is not None else None,
                      "applied_wards": applied},
        "overall": overall,
        "wards": ward_out,
        "flagged": flagged,
    }


# --- finding source -----------------------------------------------------------------------

def finding_source(conn: Connection, inspection_id: int, ref: str) -> FindingSource:
    """A finding from a census entry: an absent (V01) or identity-mismatch (F01) visit."""
    st = census_state(conn, inspection_id)
    ev = st.outcomes.get(ref)
    if ev is None:
        raise UserError(_("visit {m} has no census outcome in inspection {id}").format(m=ref, id=inspection_id))
    outcome = ev.payload["outcome"]
    if outcome not in OUTCOME_CATEGORY:
        raise UserError(_("visit {m}'s census outcome is {o}: only absent or identity mismatch make a finding")
                        .format(m=ref, o=_(OUTCOME_LABELS[outcome])))
    summary = census_summary(conn, inspection_id)
    item = next(f for f in summary["flagged"] if f["mdtrt_id"] == ref)
    from inspector.reports.wording import cn_datetime, percent

    ward = next((w["ward_name"] for w in summary["wards"] if w["ward_codg"] == item["ward_codg"]), "") or item["ward_codg"]
    checked = datetime.strptime(item["checked_at"][:19], TIMESTAMP_FORMAT)
    what = {"absent": _("was not in bed and had no valid leave"),
            "identity_mismatch": _("was not the registered patient: someone else was in the bed")}[outcome]
    desc = _("At the ward census on {at}, the patient {name} of {ward}, bed {bed} (visit {m}), {what}").format(
        at=cn_datetime(checked), name=item["psn_name"], ward=ward, bed=item["bed"], m=ref, what=what)
    if item["phantom_by_ward_rule"]:
        desc += _("; the ward's absence ratio reached the threshold of {t}, so the patient is treated as a phantom "
                  "inpatient under the ward absence rule").format(t=percent(summary["ward_rule"]["threshold"]))
    evidence = [e.payload["sha256"] for e in read_events(conn, inspection_id, ["evidence.added"])
                if (e.payload.get("attach_to") or {}) == {"type": "census", "ref": ref}]
    return FindingSource("census", ref, Decimal(item["amount"]), OUTCOME_CATEGORY[outcome], desc, evidence)


def roster_as_dicts(entries: list[RosterEntry], st: CensusState | None = None) -> list[dict[str, Any]]:
    """Roster rows for JSON output and the ward sheet: with the current outcome, time checked,
    photo, staff on duty and note of each bed when a state is given."""
    out = []
    for e in entries:
        d = asdict(e)
        ev = st.outcomes.get(e.mdtrt_id) if st else None
        p = ev.payload if ev else {}
        d.update(outcome=p.get("outcome"), checked_at=p.get("checked_at"), id_match=p.get("id_match"),
                 photo=p.get("photo"), staff_on_duty=p.get("staff_on_duty"), note=p.get("note"),
                 checked_by=ev.author if ev else None, event_id=ev.id if ev else None)
        out.append(d)
    return out
