"""Findings: penalty arithmetic to the cent, ranges and bands, M01/P01, lifecycle, review, amendment."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from audit_fixtures import Hospital

from inspector.checks.census import record_outcome
from inspector import i18n
from inspector.errors import UserError
from inspector.events import append_event
from inspector.evidence import add_evidence
from inspector.findings import (
    amend_finding,
    compute_penalty,
    create_finding,
    edit_finding,
    findings_totals,
    fold_findings,
    get_finding,
    review_finding,
    submit_finding,
)
from inspector.findings.penalty import EXAMPLE_DISCRETION_BANDS
from inspector.team import add_member, current_team, remove_member
from tests.support.accounts import make_accounts, make_team

V = "2026-11-02 10:00:00"
D = Decimal


pytestmark = pytest.mark.usefixtures("english")   # messages are matched in English


@pytest.fixture
def iid(engine):
    h = Hospital(visit_time=V).ward("W1")
    h.stay("M1", "P1", "2026-10-30 08:00:00").stay("M2", "P2", "2026-10-30 08:00:00", bed="2")
    h.fee("M1", "2026-10-31 08:00:00", "1000.01").fee("M1", "2026-11-01 08:00:00", "234.56")
    h.fee("M2", "2026-10-31 08:00:00", "4000.00").fee("M2", "2026-11-02 10:00:00", "0.01")
    iid = h.write(engine)
    P.clear()
    P.update(make_accounts(engine))
    make_team(engine, iid, P)
    return iid


# the test accounts of the current test (filled by the `iid` fixture): zhang (lead), li and wang
# (inspectors), zhao (deputy)
P: dict = {}


def _events(engine) -> int:
    with engine.connect() as c:
        return c.exec_driver_sql("SELECT count(*) FROM event").scalar()


# --- arithmetic ---------------------------------------------------------------------------

def test_fine_is_half_up_to_cents_and_total_is_recovery_plus_fine():
    p = compute_penalty("V01", "0.05", multiplier="1.5")                           # 0.075 -> 0.08
    assert (p.recovery, p.fine, p.total) == (D("0.05"), D("0.08"), D("0.13"))
    # ties where half-up and half-even differ
    assert compute_penalty("V03", "0.05", multiplier="1.3").fine == D("0.07")     # 0.065 (even: 0.06)
    assert compute_penalty("V03", "0.15", multiplier="1.1").fine == D("0.17")     # 0.165 -> 0.17 (even: 0.16)
    # default multiplier: the range's lower end
    p = compute_penalty("V02", "1234.57")
    assert (p.multiplier, p.fine, p.total) == (D("1"), D("1234.57"), D("2469.14"))
    p = compute_penalty("F02", "1234.57", bands={})
    assert (p.multiplier, p.fine, p.total) == (D("2"), D("2469.14"), D("3703.71"))
    p = compute_penalty("F03", "333.33", multiplier="4.75", bands={})
    assert (p.fine, p.total) == (D("1583.32"), D("1916.65"))           # 1583.3175 -> 1583.32


def test_range_violations_and_bad_numbers_are_rejected():
    for code, m in [("V01", "0.99"), ("V01", "2.01"), ("F01", "1.5"), ("F04", "5.5")]:
        with pytest.raises(UserError, match="outside the allowed"):
            compute_penalty(code, "100.00", multiplier=m, bands={})
    with pytest.raises(UserError, match="unknown finding category"):
        compute_penalty("X99", "1")
    with pytest.raises(UserError, match="not a number"):
        compute_penalty("V01", "abc")
    with pytest.raises(UserError, match="negative"):
        compute_penalty("V01", "-1.00")
    with pytest.raises(UserError, match="more than 2 decimal places"):
        compute_penalty("V01", "1.005")
    with pytest.raises(UserError, match="not a number"):
        compute_penalty("V01", "1", multiplier="x2")


def test_discretion_bands_narrow_the_multiplier():
    bands = EXAMPLE_DISCRETION_BANDS
    assert compute_penalty("F01", "2000.00", bands=bands).multiplier == D("2")        # up to 2,000: 2-3x
    assert compute_penalty("F01", "2000.00", multiplier="3", bands=bands).fine == D("6000.00")
    with pytest.raises(UserError, match="discretion band"):
        compute_penalty("F01", "2000.00", multiplier="3.5", bands=bands)
    p = compute_penalty("F01", "2000.01", bands=bands)                                   # 3-4x
    assert (p.multiplier, p.fine, p.allowed_low, p.allowed_high) == (D("3"), D("6000.03"), D("3"), D("4"))
    p = compute_penalty("F03", "5000.01", bands=bands)                                   # above: 4-5x
    assert (p.multiplier, p.fine) == (D("4"), D("20000.04"))
    with pytest.raises(UserError, match="outside"):
        compute_penalty("F03", "5000.01", multiplier="3.99", bands=bands)
    # bands for fraud do not touch V categories
    assert compute_penalty("V01", "9000.00", multiplier="1.2", bands=bands).fine == D("10800.00")


def test_m01_fixed_fine_only_when_refused():
    p = compute_penalty("M01", "0")
    assert (p.fine, p.total, p.multiplier) == (D("0.00"), D("0.00"), None)
    p = compute_penalty("M01", "0", refused=True)
    assert p.fine == D("10000.00")
    assert compute_penalty("M01", "12.50", refused=True, fixed_fine="50000").total == D("50012.50")
    with pytest.raises(UserError, match="only when the institution refused"):
        compute_penalty("M01", "0", fixed_fine="20000")
    with pytest.raises(UserError, match="outside CNY"):
        compute_penalty("M01", "0", refused=True, fixed_fine="9999.99")
    with pytest.raises(UserError, match="outside CNY"):
        compute_penalty("M01", "0", refused=True, fixed_fine="50000.01")
    with pytest.raises(UserError, match="no multiplier"):
        compute_penalty("M01", "0", multiplier="1")
    with pytest.raises(UserError, match="only to M01"):
        compute_penalty("V01", "10", fixed_fine="10000")


def test_p01_multiplier_only_with_fraud():
    p = compute_penalty("P01", "800.00")
    assert (p.recovery, p.fine, p.multiplier) == (D("800.00"), D("0.00"), None)
    with pytest.raises(UserError, match="only where fraud"):
        compute_penalty("P01", "800.00", multiplier="2")
    p = compute_penalty("P01", "800.00", fraud=True, bands=EXAMPLE_DISCRETION_BANDS)
    assert (p.multiplier, p.fine, p.total) == (D("2"), D("1600.00"), D("2400.00"))


# --- lifecycle ----------------------------------------------------------------------------

def test_finding_from_census_takes_amount_and_category(engine, iid):
    record_outcome(engine, iid, "M1", "absent", actor=P["li"])
    record_outcome(engine, iid, "M2", "identity_mismatch", note="冒名", actor=P["li"])
    create_finding(engine, iid, "census", "M1", multiplier="1.5", actor=P["li"])
    create_finding(engine, iid, "census", "M2", actor=P["li"])                                   # F01, band 3-4x default 3
    with engine.connect() as c:
        f1, f2 = fold_findings(c, iid)
    assert (f1.category, f1.amount, f1.penalty.fine) == ("V01", D("1234.57"), D("1851.86"))   # 1851.855 -> .86
    assert (f2.category, f2.amount, f2.multiplier, f2.penalty.fine) == ("F01", D("4000.01"), D("3"), D("12000.03"))
    assert f2.as_dict()["discretion_band"] == {"up_to": "5000", "low": "3", "high": "4"}
    with engine.connect() as c:
        t = findings_totals(fold_findings(c, iid))
    assert (t.fund_recovery, t.fines, t.total) == (D("5234.58"), D("13851.89"), D("19086.47"))
    # one act is fined once; a typed amount for a sourced finding is refused
    n = _events(engine)
    with pytest.raises(UserError, match="one act is fined once"):
        create_finding(engine, iid, "census", "M1", actor=P["li"])
    with pytest.raises(UserError, match="computed from the source"):
        create_finding(engine, iid, "census", "M1", amount="5", actor=P["li"])
    with pytest.raises(UserError, match="outside the allowed"):
        create_finding(engine, iid, "manual", category_code="V07", amount="10", multiplier="3", description="x", actor=P["li"])
    with pytest.raises(UserError, match="unknown finding category"):
        create_finding(engine, iid, "manual", category_code="Z01", amount="10", description="x", actor=P["li"])
    with pytest.raises(UserError, match="unknown finding source"):
        create_finding(engine, iid, "rumour", "x", actor=P["li"])
    with pytest.raises(UserError, match="no census outcome"):
        create_finding(engine, iid, "census", "M9", actor=P["li"])
    assert _events(engine) == n


def test_finding_from_lead(engine, iid):
    with engine.begin() as c:
        snap = c.exec_driver_sql("SELECT id FROM snapshot").scalar()
        c.exec_driver_sql(
            "INSERT INTO lead (inspection_id, snapshot_id, rule, key, severity, amount, figures, summary, computed_at) "
            "VALUES (?, ?, 'S8', '[\"M1\"]', 'medium', 98765, '{}', 'bed-only days', '2026-11-01 00:00:00')",
            (iid, snap))
        lead_id = c.exec_driver_sql("SELECT id FROM lead").scalar()
    create_finding(engine, iid, "lead", str(lead_id), actor=P["li"])
    with engine.connect() as c:
        f = fold_findings(c, iid)[0]
    assert (f.category, f.amount, f.penalty.total) == ("V01", D("987.65"), D("1975.30"))
    assert f.ref == 'S8:["M1"]'      # stable across re-screens, unlike the lead's row id
    with pytest.raises(UserError, match="unknown lead"):
        create_finding(engine, iid, "lead", "999", actor=P["li"])


def test_lead_reference_survives_a_rescreen(engine, iid):
    """Re-screening replaces lead rows (new ids); a finding's lead reference still resolves."""
    insert = ("INSERT INTO lead (inspection_id, snapshot_id, rule, key, severity, amount, figures, summary, "
              "computed_at) VALUES (?, ?, 'S5', '[\"F1\"]', NULL, 1234, '{}', 'above ceiling', '2026-11-01 00:00:00')")
    with engine.begin() as c:
        snap = c.exec_driver_sql("SELECT id FROM snapshot").scalar()
        c.exec_driver_sql(insert, (iid, snap))
        old_id = c.exec_driver_sql("SELECT id FROM lead").scalar()
    create_finding(engine, iid, "lead", str(old_id), actor=P["li"])
    with engine.begin() as c:                       # what a re-screen does
        c.exec_driver_sql("DELETE FROM lead")
        c.exec_driver_sql(insert.replace("'S5'", "'S4'"), (iid, snap))   # the old id now names another lead
        c.exec_driver_sql(insert, (iid, snap))
        assert c.exec_driver_sql("SELECT id FROM lead WHERE rule = 'S5'").scalar() != old_id
    with engine.connect() as c:
        f = fold_findings(c, iid)[0]
        from inspector.findings.sources import finding_source
        assert finding_source(c, iid, f.ref).amount == D("12.34")


def test_edit_keeps_previous_values_and_validates(engine, iid):
    create_finding(engine, iid, "manual", category_code="V03", amount="100.00", description="重复收费", actor=P["li"])
    edit_finding(engine, iid, 1, {"multiplier": "1.25", "handling": "追回并处罚"}, actor=P["li"])
    n = _events(engine)
    with pytest.raises(UserError, match="outside the allowed"):
        edit_finding(engine, iid, 1, {"multiplier": "2.5"}, actor=P["li"])
    with pytest.raises(UserError, match="nothing to change"):
        edit_finding(engine, iid, 1, {"multiplier": "1.25"}, actor=P["li"])
    assert _events(engine) == n
    edit_finding(engine, iid, 1, {"category": "F03"}, actor=P["li"])            # multiplier back to the new range's low end
    with engine.connect() as c:
        f = get_finding(c, iid, 1)
    assert (f.category, f.multiplier, f.penalty.fine, f.handling) == ("F03", D("2"), D("200.00"), "追回并处罚")
    edits = [h for h in f.history if h["event"] == "finding.edited"]
    assert edits[0]["previous"]["multiplier"] == "1" and edits[0]["changes"]["multiplier"] == "1.25"
    assert edits[1]["previous"]["category"] == "V03" and edits[1]["changes"]["category"] == "F03"


def test_review_only_by_the_lead_and_amendment_after_approval(engine, iid):
    from inspector.accounts import PermissionDenied

    li, wang, zhang, zhao = P["li"], P["wang"], P["zhang"], P["zhao"]
    create_finding(engine, iid, "manual", category_code="V01", amount="500.00", description="挂床", actor=li)
    with pytest.raises(UserError, match="only a submitted"):
        review_finding(engine, iid, 1, "approve", "", actor=zhang)
    n = _events(engine)
    with pytest.raises(UserError, match="no proposed handling"):          # handling is required to submit
        submit_finding(engine, iid, 1, actor=li)
    assert _events(engine) == n
    edit_finding(engine, iid, 1, {"handling": "追回违规金额，处一倍罚款"}, actor=li)
    with pytest.raises(PermissionDenied, match="only its author"):
        submit_finding(engine, iid, 1, actor=wang)
    submit_finding(engine, iid, 1, actor=li)
    n = _events(engine)
    with pytest.raises(PermissionDenied, match="cannot review"):
        review_finding(engine, iid, 1, "approve", "ok", actor=li)             # its author
    with pytest.raises(PermissionDenied, match="only the team lead"):
        review_finding(engine, iid, 1, "approve", "ok", actor=wang)           # an inspector
    with pytest.raises(PermissionDenied, match="only the team lead"):
        review_finding(engine, iid, 1, "approve", "ok", actor=zhao)           # the deputy: not the lead's finding
    with pytest.raises(UserError, match="needs a comment"):
        review_finding(engine, iid, 1, "return", "  ", actor=zhang)
    with pytest.raises(UserError, match="waits for the lead"):
        edit_finding(engine, iid, 1, {"multiplier": "2"}, actor=li)
    assert _events(engine) == n
    review_finding(engine, iid, 1, "return", "倍数偏低", actor=zhang)
    with engine.connect() as c:
        assert get_finding(c, iid, 1).return_comment == "倍数偏低"            # back to its author, comment in view
    with pytest.raises(PermissionDenied, match="only its author"):
        edit_finding(engine, iid, 1, {"multiplier": "2"}, actor=wang)
    edit_finding(engine, iid, 1, {"multiplier": "2"}, actor=li)
    submit_finding(engine, iid, 1, actor=li)
    review_finding(engine, iid, 1, "approve", "", actor=zhang)
    with pytest.raises(UserError, match="amendment"):
        edit_finding(engine, iid, 1, {"multiplier": "1.5"}, actor=li)
    amend_finding(engine, iid, 1, {"multiplier": "1.5"}, "签字后更正倍数", actor=wang)
    with engine.connect() as c:
        fs = fold_findings(c, iid)
        t = findings_totals(fs)
    orig, amended = fs
    assert orig.status == "approved" and orig.superseded and orig.amended_by == amended.id
    assert [r["decision"] for r in orig.reviews] == ["return", "approve"] and orig.reviews[0]["reviewer"] == "zhang"
    assert orig.reviews[1]["reviewer_name"] == "张组长" and orig.reviews[1]["as"] == "lead"
    assert orig.penalty.fine == D("1000.00")                        # the original stays as it was
    assert amended.amends == orig.id and amended.status == "draft" and amended.penalty.fine == D("750.00")
    assert amended.created_by == "wang" and set(amended.authors) == {"wang", "li"}
    assert (t.count, t.fund_recovery, t.fines) == (1, D("500.00"), D("750.00"))   # the original left the totals
    with pytest.raises(UserError, match="already amended"):
        amend_finding(engine, iid, 1, {"multiplier": "1.2"}, "again", actor=li)
    submit_finding(engine, iid, 2, actor=wang)
    with pytest.raises(PermissionDenied, match="cannot review"):
        review_finding(engine, iid, 2, "approve", "", actor=li)   # li wrote the original it amends
    review_finding(engine, iid, 2, "approve", "", actor=zhang)


def test_the_leads_own_finding_goes_to_the_deputy(engine, iid):
    from inspector.accounts import PermissionDenied

    zhang, zhao, li = P["zhang"], P["zhao"], P["li"]
    create_finding(engine, iid, "manual", category_code="V03", amount="80.00", description="组长发现", handling="追回",
                   actor=zhang)
    submit_finding(engine, iid, 1, actor=zhang)
    with pytest.raises(PermissionDenied, match="cannot review"):
        review_finding(engine, iid, 1, "approve", "", actor=zhang)
    with pytest.raises(PermissionDenied, match="deputy"):
        review_finding(engine, iid, 1, "approve", "", actor=li)
    review_finding(engine, iid, 1, "approve", "核实无误", actor=zhao)
    # an inspector's finding the lead edited is the lead's too
    create_finding(engine, iid, "manual", category_code="V03", amount="20.00", description="x", handling="追回", actor=li)
    submit_finding(engine, iid, 2, actor=li)
    review_finding(engine, iid, 2, "return", "请补充", actor=zhang)
    with engine.connect() as c:
        f1 = get_finding(c, iid, 1)
    assert f1.status == "approved" and f1.approved_by["reviewer"] == "zhao" and f1.approved_by["as"] == "deputy"


def test_team_is_fixed_after_the_first_submission(engine, iid):
    from inspector.accounts import PermissionDenied, create_account

    li, zhang = P["li"], P["zhang"]
    mallory = create_account(engine, "mallory", "mallory-password", "lead", "61010099990001", "Mallory",
                             actor=zhang)
    # before any submission the team is still being planned
    remove_member(engine, iid, "wang", actor=li)
    add_member(engine, iid, "wang", "inspector", actor=li)
    create_finding(engine, iid, "manual", category_code="V03", amount="10.00", description="x", handling="追回",
                   actor=li)
    submit_finding(engine, iid, 1, actor=li)
    review_finding(engine, iid, 1, "approve", "", actor=zhang)
    n = _events(engine)
    for who in (li, mallory):
        with pytest.raises(PermissionDenied, match="fixed"):
            remove_member(engine, iid, "zhang", actor=who)
        with pytest.raises(PermissionDenied, match="fixed"):
            add_member(engine, iid, "mallory", "inspector", actor=who)
    assert _events(engine) == n
    # the old lead signs the replacement off: leaves, then hands over
    ev = remove_member(engine, iid, "zhang", actor=zhang)
    assert ev.payload["signed_off_by"] == "zhang" and ev.payload["after_submission"] is True
    with pytest.raises(PermissionDenied, match="fixed"):
        add_member(engine, iid, "mallory", "lead", actor=mallory)
    add_member(engine, iid, "mallory", "lead", actor=zhang)
    with engine.connect() as c:
        assert [m.login for m in current_team(c, iid)] == ["li", "wang", "mallory"]
        f = get_finding(c, iid, 1)
    # the approval made before stays attributed to who made it
    assert f.status == "approved" and f.approved_by["reviewer"] == "zhang"


def test_m01_and_p01_findings_and_separate_totals(engine, iid):
    create_finding(engine, iid, "manual", category_code="M01", amount="0", refused=True, fixed_fine="20000",
                   description="拒不改正", actor=P["li"])
    create_finding(engine, iid, "manual", category_code="P01", amount="300.00", description="出借医保卡", actor=P["li"])
    create_finding(engine, iid, "manual", category_code="P01", amount="2500.00", fraud=True, description="骗保", actor=P["li"])
    create_finding(engine, iid, "manual", category_code="V06", amount="99.99", multiplier="1.5", description="x", actor=P["li"])
    with engine.connect() as c:
        fs = fold_findings(c, iid)
        t = findings_totals(fs)
    assert [f.penalty.fine for f in fs] == [D("20000.00"), D("0.00"), D("7500.00"), D("149.99")]  # 149.985 -> .99
    assert (t.fund_recovery, t.fines, t.total) == (D("2899.99"), D("27649.99"), D("30549.98"))
    d = json.loads(json.dumps(fs[0].as_dict(), ensure_ascii=False))
    assert d["fixed_fine"] == "20000.00" and d["multiplier"] is None and d["fine_range"].startswith("CNY 10,000-50,000")


def test_band_table_comes_from_settings(engine, iid):
    append_event(engine, iid, "settings.changed", {"key": "discretion_bands", "value": {}})
    create_finding(engine, iid, "manual", category_code="F01", amount="100.00", multiplier="5", description="x", actor=P["li"])
    append_event(engine, iid, "settings.changed", {"key": "discretion_bands", "value": EXAMPLE_DISCRETION_BANDS})
    with pytest.raises(UserError, match="discretion band"):
        create_finding(engine, iid, "manual", category_code="F01", amount="100.00", multiplier="5", description="y", actor=P["li"])
    with engine.connect() as c:
        assert fold_findings(c, iid)[0].penalty.fine == D("500.00")   # kept as chosen under the old table


def test_evidence_attached_to_a_finding(engine, iid):
    create_finding(engine, iid, "manual", category_code="V03", amount="10.00", description="x", actor=P["li"])
    with engine.connect() as c:
        fid = fold_findings(c, iid)[0].id
    sha, _ = add_evidence(engine, iid, b"scan of the bill", filename="bill.pdf", caption="收费单据",
                          attach_to={"type": "finding", "ref": fid}, actor=P["li"])
    sha2, _ = add_evidence(engine, iid, b"scan of the bill", filename="bill-again.pdf", caption="again", actor=P["li"])
    assert sha == sha2
    with engine.connect() as c:
        f = fold_findings(c, iid)[0]
        stored = c.exec_driver_sql("SELECT count(*) FROM attachment").scalar()
    assert f.evidence == [sha] and stored == 1
    with pytest.raises(UserError, match="no evidence"):
        create_finding(engine, iid, "manual", category_code="V03", amount="1.00", description="y", evidence=["ab" * 32], actor=P["li"])
    n = _events(engine)
    for target, msg in [({"type": "finding", "ref": "7"}, "unknown finding"), ({"type": "lead", "ref": "1"}, "unknown lead"),
                        ({"type": "census", "ref": "NOPE"}, "unknown visit"), ({"type": "x", "ref": "1"}, "attach to")]:
        with pytest.raises(UserError, match=msg):
            add_evidence(engine, iid, b"other bytes", filename="a.jpg", attach_to=target, actor=P["li"])
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM attachment").scalar() == 1
    assert _events(engine) == n


def test_categories_have_chinese_names_and_bases(english):
    from inspector.findings import category

    i18n.set_language("zh_CN")
    v01, m01 = category("V01"), category("m01")
    assert v01.label() == "分解住院、挂床住院" and v01.basis_text() == "第三十八条第（一）项"
    assert category("F03").label() == "虚构医药服务项目" and category("F03").fine_range_text() == "2-5 倍"
    assert m01.basis_text() == "第三十九条" and "10,000-50,000" in m01.fine_range_text()
