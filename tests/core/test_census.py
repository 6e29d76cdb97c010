"""C1 ward census: roster at V, ID verification, outcomes and undo, figures, ward rule, amounts."""
from __future__ import annotations

from decimal import Decimal

import pytest
from audit_fixtures import Hospital, id_number

from inspector.checks.census import (
    census_state,
    census_summary,
    finding_source,
    record_outcome,
    record_unregistered,
    roster,
    undo_last,
    validate_certno,
)
from inspector.errors import UserError
from inspector.events import append_event, read_events
from inspector.evidence import list_evidence, read_evidence

V = "2026-11-02 10:00:00"
CERT = id_number("61010219800101001")


pytestmark = pytest.mark.usefixtures("english")   # messages are matched in English


def _event_count(engine) -> int:
    with engine.connect() as c:
        return c.exec_driver_sql("SELECT count(*) FROM event").scalar()


def test_roster_at_visit_time_bounds_days_and_leave(engine):
    h = Hospital(visit_time=V).ward("W1").ward("W2")
    h.stay("OPEN", "P1", "2026-10-20 08:00:00", ward="W1", bed="12")
    h.stay("ENDS_AT_V", "P2", "2026-10-20 08:00:00", V, ward="W1", bed="3")
    h.stay("ENDS_AFTER_V", "P3", "2026-10-28 23:59:59", "2026-11-02 10:00:01", ward="W1", bed="2")
    h.stay("BEGINS_AT_V", "P4", V, ward="W2", bed="1")
    h.stay("BEGINS_AFTER_V", "P5", "2026-11-02 10:00:01", ward="W2", bed="2")
    h.stay("OUTPATIENT", "P6", "2026-11-02 09:00:00", med_type="11")
    h.stay("LEAVE", "P7", "2026-11-01 08:00:00", ward="W2", bed="10")
    h.leave_rec("LEAVE", "2026-11-02 06:00:00", V)                  # ends exactly at V: covers V
    h.stay("LEAVE_OVER", "P8", "2026-11-01 08:00:00", ward="W2", bed="11")
    h.leave_rec("LEAVE_OVER", "2026-11-01 10:00:00", "2026-11-02 09:59:59")
    iid = h.write(engine)
    with engine.connect() as c:
        rows = roster(c, iid)
        w2 = roster(c, iid, "W2")
    got = [(r.ward_codg, r.bed, r.mdtrt_id) for r in rows]
    # by ward, then bed in natural order (2 before 12)
    assert got == [("W1", "2", "ENDS_AFTER_V"), ("W1", "12", "OPEN"), ("W2", "1", "BEGINS_AT_V"),
                   ("W2", "10", "LEAVE"), ("W2", "11", "LEAVE_OVER")]
    by = {r.mdtrt_id: r for r in rows}
    assert by["OPEN"].days == 13                       # day(V) - day(begntime)
    assert by["ENDS_AFTER_V"].days == 5
    assert by["BEGINS_AT_V"].days == 1                 # max(1, 0)
    assert by["LEAVE"].leave_covers_v and not by["LEAVE_OVER"].leave_covers_v and not by["OPEN"].leave_covers_v
    assert [r.mdtrt_id for r in w2] == ["BEGINS_AT_V", "LEAVE", "LEAVE_OVER"]


def test_id_form_is_checked_before_anything_is_recorded(engine):
    iid = Hospital(visit_time=V).ward("W1").patient("P1", "王五", CERT).stay("M1", "P1", "2026-10-30 08:00:00").write(engine)
    assert validate_certno(f"  {CERT.lower()} ") == CERT.upper()
    bad_check = CERT[:17] + ("0" if CERT[17] != "0" else "1")
    for bad, msg in [(CERT[:17], "18 characters"), (CERT + "1", "18 characters"), ("61010219800101A01" + "1", "18 characters"),
                     (bad_check, "check digit")]:
        with pytest.raises(UserError, match=msg):
            record_outcome(engine, iid, "M1", "present", id_number=bad)
    assert _event_count(engine) == 0


def test_id_verification_strip_upper_and_mismatch(engine):
    x_cert = id_number("11010519491231002")
    assert x_cert.endswith("X")                          # a number whose check character is X
    h = Hospital(visit_time=V).ward("W1").patient("P1", "王五", CERT).patient("PX", "赵六", x_cert)
    iid = h.stay("M1", "P1", "2026-10-30 08:00:00").stay("MX", "PX", "2026-10-30 08:00:00", bed="2").write(engine)
    ev = record_outcome(engine, iid, "MX", "present", id_number=f" {x_cert.lower()}\t")
    assert ev.payload["id_verified"] is True and ev.payload["id_match"] is True
    other = id_number("61010219800101002")
    with pytest.raises(UserError, match="does not match"):
        record_outcome(engine, iid, "M1", "present", id_number=other)
    ev = record_outcome(engine, iid, "M1", "identity_mismatch", id_number=other, note="另一人")
    assert ev.payload["id_match"] is False
    with engine.connect() as c:
        raw = c.exec_driver_sql("SELECT group_concat(payload) FROM event").scalar()
    # the full number is never stored, only whether it matched
    assert other not in raw and x_cert not in raw and x_cert.lower() not in raw


def test_bad_input_changes_nothing(engine):
    iid = Hospital(visit_time=V).ward("W1").stay("M1", "P1", "2026-10-30 08:00:00").stay(
        "OLD", "P2", "2026-09-01 08:00:00", "2026-09-10 08:00:00").write(engine)
    cases = [
        (dict(mdtrt_id="M1", outcome="gone"), "unknown census outcome"),
        (dict(mdtrt_id="NOPE", outcome="absent"), "unknown visit"),
        (dict(mdtrt_id="OLD", outcome="absent"), "not on the ward roster"),
        (dict(mdtrt_id="M1", outcome="on_leave"), "no leave record"),
        (dict(mdtrt_id="M1", outcome="absent", photo="/no/such/file.jpg"), "no such file"),
        (dict(mdtrt_id="M1", outcome="absent", checked_at="yesterday"), "not a time"),
    ]
    for kwargs, msg in cases:
        with pytest.raises(UserError, match=msg):
            record_outcome(engine, iid, **kwargs)
    with pytest.raises(UserError, match="no inspection"):
        record_outcome(engine, iid + 1, "M1", "absent")
    with pytest.raises(UserError, match="unknown ward"):
        record_unregistered(engine, iid, "W9", "1", "someone")
    assert _event_count(engine) == 0


def test_present_is_one_tick_unless_the_settings_require_an_id_check(engine):
    from inspector.settings import change_settings

    iid = Hospital(visit_time=V).ward("W1").stay("M1", "P1", "2026-10-30 08:00:00").stay(
        "M2", "P2", "2026-10-30 08:00:00", bed="2").write(engine)
    ev = record_outcome(engine, iid, "M1", "present")          # one key: identity not checked, and it says so
    assert ev.payload["id_verified"] is False and ev.payload["note"] is None
    change_settings(engine, iid, {"census_require_id": "true"})
    before = _event_count(engine)
    with pytest.raises(UserError, match="needs a matching ID"):
        record_outcome(engine, iid, "M2", "present")
    assert _event_count(engine) == before
    assert record_outcome(engine, iid, "M2", "present", note="护士长当面确认").payload["outcome"] == "present"


def test_outcomes_undo_and_photo_evidence(engine, tmp_path):
    iid = Hospital(visit_time=V).ward("W1").stay("M1", "P1", "2026-10-30 08:00:00").stay(
        "M2", "P2", "2026-10-30 08:00:00", bed="2").write(engine)
    slip = tmp_path / "slip.jpg"
    slip.write_bytes(b"\xff\xd8 leave slip")
    record_outcome(engine, iid, "M1", "absent", checked_at="2026-11-02 22:30:00", staff_on_duty="护士甲")
    leave = record_outcome(engine, iid, "M1", "on_leave", photo=slip)    # a slip photo is enough
    record_unregistered(engine, iid, "W1", "5", "陌生人, 自称家属")
    with engine.connect() as c:
        st = census_state(c, iid)
        assert st.outcomes["M1"].payload["outcome"] == "on_leave" and len(st.unregistered) == 1
        ev = list_evidence(c, iid)
        assert len(ev) == 1 and ev[0].attach_to == {"type": "census", "ref": "M1"}
        assert leave.payload["photo"] == ev[0].sha256 and read_evidence(c, ev[0].sha256) == slip.read_bytes()
    undo_last(engine, iid)                     # undoes the unregistered entry
    undo_last(engine, iid)                     # undoes on_leave: absent is current again
    with engine.connect() as c:
        st = census_state(c, iid)
        assert st.outcomes["M1"].payload["outcome"] == "absent" and st.unregistered == []
        assert st.outcomes["M1"].payload["night"] is True and st.outcomes["M1"].payload["staff_on_duty"] == "护士甲"
        kinds = [e.kind for e in read_events(c, iid, ["census.*"])]
    assert kinds == ["census.outcome", "census.outcome", "census.unregistered", "census.undone", "census.undone"]
    undo_last(engine, iid)
    with pytest.raises(UserError, match="nothing to undo"):
        undo_last(engine, iid)


def _ward_with(engine, registered: int, absent: int, on_leave: int, tier: str) -> dict:
    h = Hospital(visit_time=V, hosp_lv=tier, beds=200).ward("W1", beds=registered)
    for i in range(registered):
        h.stay(f"M{i:03d}", f"P{i:03d}", "2026-10-30 08:00:00", bed=str(i + 1))
        if i < on_leave:
            h.leave_rec(f"M{i:03d}", "2026-11-02 08:00:00", "2026-11-02 12:00:00")
    iid = h.write(engine)
    for i in range(absent):
        record_outcome(engine, iid, f"M{registered - 1 - i:03d}", "absent")
    for i in range(on_leave):
        record_outcome(engine, iid, f"M{i:03d}", "on_leave")
    with engine.connect() as c:
        return census_summary(c, iid)


@pytest.mark.parametrize("tier,registered,absent,on_leave,applies", [
    ("1", 10, 1, 1, True),      # 2/10 = 20% reaches the tier-1 threshold
    ("1", 50, 5, 4, False),     # 9/50 = 18%
    ("1", 100, 10, 9, False),   # 19% just below
    ("2", 20, 1, 0, True),      # 1/20 = 5% exactly
    ("2", 21, 1, 0, False),     # 4.76%
    ("3", 100, 2, 1, True),     # 3% exactly
    ("3", 34, 1, 0, False),     # 2.94%
])
def test_ward_rule_at_tier_thresholds(engine, tier, registered, absent, on_leave, applies):
    s = _ward_with(engine, registered, absent, on_leave, tier)
    w = s["wards"][0]
    assert w["rule_applied"] is applies and s["ward_rule"]["applied_wards"] == (["W1"] if applies else [])
    assert w["absent"] == absent and w["on_leave"] == on_leave and w["registered"] == registered
    assert all(f["phantom_by_ward_rule"] is applies for f in s["flagged"])
    assert len(s["flagged"]) == absent


def test_ward_rule_setting_off(engine):
    s0 = _ward_with(engine, 10, 5, 0, "1")
    iid = s0["inspection_id"]
    append_event(engine, iid, "settings.changed", {"key": "ward_absence_rule", "value": False})
    with engine.connect() as c:
        s = census_summary(c, iid)
    assert s0["wards"][0]["rule_applied"] and not s["wards"][0]["rule_applied"]
    assert s["ward_rule"]["enabled"] is False and not any(f["phantom_by_ward_rule"] for f in s["flagged"])


def test_figures_and_amounts_at_or_before_v(engine):
    h = Hospital(visit_time="2026-11-02 22:00:00", hosp_lv="2", beds=8).ward("W1", beds=4).ward("W2", beds=4)
    h.stay("A", "P1", "2026-07-01 08:00:00", ward="W1", bed="1")       # admitted before the window
    h.stay("B", "P2", "2026-10-30 08:00:00", ward="W1", bed="2")
    h.stay("C", "P3", "2026-10-30 08:00:00", ward="W1", bed="3")
    h.stay("D", "P4", "2026-10-30 08:00:00", ward="W2", bed="1")
    h.stay("E", "P5", "2026-10-30 08:00:00", ward="W2", bed="2")
    # fees of A: before the window, inside it, exactly at V (counted), one second after V (not)
    h.fee("A", "2026-07-01 09:00:00", "100.10").fee("A", "2026-10-15 12:00:00", "0.05")
    h.fee("A", "2026-11-02 22:00:00", "33.33").fee("A", "2026-11-02 22:00:01", "999.99")
    h.fee("B", "2026-10-31 08:00:00", "10.01").fee("B", "2026-11-01 08:00:00", "-2.00")   # a reversal nets out
    h.fee("D", "2026-10-31 08:00:00", "77.70")
    iid = h.write(engine)
    record_outcome(engine, iid, "A", "absent")
    record_outcome(engine, iid, "B", "identity_mismatch", note="其他人")
    record_outcome(engine, iid, "C", "present", note="护士长当面确认")
    record_outcome(engine, iid, "D", "discharged")
    with engine.connect() as c:
        s = census_summary(c, iid)
        src = finding_source(c, iid, "A")
        src_b = finding_source(c, iid, "B")
        with pytest.raises(UserError, match="only absent or identity mismatch"):
            finding_source(c, iid, "C")
    o = s["overall"]
    assert (o["registered"], o["checked"], o["unchecked"]) == (5, 4, 1)
    assert (o["present"], o["absent"], o["identity_mismatch"], o["discharged"], o["on_leave"]) == (1, 1, 1, 1, 0)
    assert o["absent_rate"] == "0.2000" and o["occupancy"] == "0.1250"       # 1/5, 1/8 approved beds
    amount_a = Decimal("100.10") + Decimal("0.05") + Decimal("33.33")
    amount_b = Decimal("10.01") - Decimal("2.00")
    assert {f["mdtrt_id"]: Decimal(f["amount"]) for f in s["flagged"]} == {"A": amount_a, "B": amount_b}
    assert Decimal(o["amount_involved"]) == amount_a + amount_b == Decimal("141.49")
    w1, w2 = s["wards"]
    assert (w1["registered"], w1["absent_rate"], w1["occupancy"], w1["amount_involved"]) == (3, "0.3333", "0.2500", "141.49")
    assert (w2["registered"], w2["discharged"], w2["amount_involved"]) == (2, 1, "0.00")
    assert s["period"] == "night"
    assert (src.amount, src.suggested_category, src.source_type) == (amount_a, "V01", "census")
    assert (src_b.amount, src_b.suggested_category) == (amount_b, "F01")
