"""Screening rules S1-S9 on small hand-built slices, at the brief's edges.

Window for every test: 2026-10-01..2026-10-31, so W0 = 2026-10-01 00:00, W1 = 2026-11-01 00:00;
visit time V = 2026-11-02 10:00 unless a test says otherwise. Amounts are computed by hand
in the comments.
"""
from __future__ import annotations

from decimal import Decimal

from tests.core.slice_builder import SliceBuilder, screen


def D(text: str) -> Decimal:
    return Decimal(text)


# --- S1 split admission -----------------------------------------------------------------

def test_s1_seven_days_is_a_lead_eight_is_not(tmp_path):
    b = SliceBuilder()
    b.stay("A1", "2026-09-20 08:00:00", "2026-10-03 10:00:00", psn="P1")
    b.stay("A2", "2026-10-10 23:59:59", "2026-10-12 10:00:00", psn="P1")      # day 10-10 - day 10-03 = 7
    b.stay("B1", "2026-09-20 08:00:00", "2026-10-03 23:59:59", psn="P2")
    b.stay("B2", "2026-10-11 00:00:00", "2026-10-12 10:00:00", psn="P2")      # 8 days: no lead
    b.stay("C1", "2026-10-05 08:00:00", "2026-10-06 10:00:00", psn="P3")
    b.stay("C2", "2026-10-06 10:00:00", "2026-10-08 10:00:00", psn="P3")      # begins at the discharge: 0 days
    leads = screen(tmp_path, b, "S1")
    assert set(leads) == {("A1", "A2"), ("C1", "C2")}
    assert leads[("A1", "A2")].figures["gap_days"] == 7 and leads[("C1", "C2")].figures["gap_days"] == 0


def test_s1_readmission_days_setting_is_used(tmp_path):
    b = SliceBuilder()
    b.stay("B1", "2026-09-20 08:00:00", "2026-10-03 23:59:59")
    b.stay("B2", "2026-10-11 00:00:00", "2026-10-12 10:00:00")
    assert set(screen(tmp_path, b, "S1", settings={"readmission_days": 15})) == {("B1", "B2")}


def test_s1_next_is_the_first_stay_beginning_at_or_after_the_discharge(tmp_path):
    b = SliceBuilder()
    b.stay("A", "2026-09-20 08:00:00", "2026-10-02 10:00:00")
    b.stay("X", "2026-10-01 08:00:00", "2026-10-02 09:00:00")   # begins before A's end: never A's next
    b.stay("B2", "2026-10-05 08:00:00", "2026-10-08 10:00:00")
    b.stay("B1", "2026-10-05 08:00:00", "2026-10-06 10:00:00")  # same begntime as B2: B1 < B2 by mdtrt_id
    b.stay("C", "2026-10-09 08:00:00", "2026-10-12 10:00:00")
    b.stay("O", "2026-10-20 08:00:00", None)                    # still admitted: cannot be a prev
    b.stay("OUT", "2026-10-13 08:00:00", "2026-10-14 08:00:00", med_type="11")  # outpatient: not a stay
    leads = screen(tmp_path, b, "S1")
    # A -> B1 (first by begntime then id; not X, not C); X -> B1; B1 -> C; B2 -> C; C -> O (8 days: no)
    assert set(leads) == {("A", "B1"), ("X", "B1"), ("B1", "C"), ("B2", "C")}


def test_s1_next_must_begin_in_the_window(tmp_path):
    b = SliceBuilder()
    b.stay("A", "2026-09-01 08:00:00", "2026-09-25 10:00:00")
    b.stay("B", "2026-09-28 08:00:00", "2026-09-29 10:00:00")   # next before W0: no lead
    b.stay("C", "2026-10-01 00:00:00", "2026-10-02 10:00:00")   # prev before W0, next at W0: lead
    b.stay("D", "2026-10-26 08:00:00", "2026-10-27 10:00:00")
    b.stay("E", "2026-11-01 00:00:00", "2026-11-02 08:00:00")   # next at W1: outside
    assert set(screen(tmp_path, b, "S1")) == {("B", "C")}


def test_s1_severity_uses_discharge_diagnosis_then_admission_diagnosis(tmp_path):
    b = SliceBuilder()
    b.stay("A1", "2026-10-01 08:00:00", "2026-10-05 10:00:00", psn="P1", diag="I10")
    b.medrcd("A1", "J18.9")                                                          # discharge diagnosis wins
    b.stay("A2", "2026-10-07 08:00:00", "2026-10-09 10:00:00", psn="P1", diag="J18.0")  # J18 = J18: high
    b.stay("B1", "2026-10-01 08:00:00", "2026-10-05 10:00:00", psn="P2", diag="J18.1")
    b.medrcd("B1", "I10.0")
    b.stay("B2", "2026-10-07 08:00:00", "2026-10-09 10:00:00", psn="P2", diag="J18.2")  # I10 vs J18: medium
    b.stay("C1", "2026-10-01 08:00:00", "2026-10-05 10:00:00", psn="P3", diag="K35.8")  # no medrcd: adm diag
    b.stay("C2", "2026-10-07 08:00:00", "2026-10-09 10:00:00", psn="P3", diag="K35.2")  # high
    b.stay("D1", "2026-10-01 08:00:00", "2026-10-05 10:00:00", psn="P4", diag=None)
    b.stay("D2", "2026-10-07 08:00:00", "2026-10-09 10:00:00", psn="P4", diag="K35.2")  # nothing to compare: medium
    leads = screen(tmp_path, b, "S1")
    assert {k: v.severity for k, v in leads.items()} == {
        ("A1", "A2"): "high", ("B1", "B2"): "medium", ("C1", "C2"): "high", ("D1", "D2"): "medium"}


def test_s1_amount_is_the_next_stays_fees_in_the_window(tmp_path):
    b = SliceBuilder()
    b.stay("A", "2026-10-20 08:00:00", "2026-10-25 10:00:00")
    b.stay("B", "2026-10-30 08:00:00", None)
    b.fee("A", "2026-10-21 09:00:00", "1", "500")               # prev's fees: not counted
    b.fee("B", "2026-10-30 09:00:00", "3", "33.3333")           # 99.9999 -> 100.00
    b.fee("B", "2026-10-31 23:59:59", "1", "50.55")
    b.fee("B", "2026-11-01 00:00:00", "1", "999")               # after W1: not counted
    leads = screen(tmp_path, b, "S1")
    assert leads[("A", "B")].amount == D("150.55")              # 100.00 + 50.55


# --- S2 bed fees beyond approved beds ---------------------------------------------------

def test_s2_counts_visits_with_positive_bed_quantity_per_day(tmp_path):
    b = SliceBuilder(beds=2)
    for v in ("V1", "V2", "V3", "V4", "V5"):
        b.stay(v, "2026-09-30 08:00:00", None, psn=f"P{v}")
    # 10-05: four visits -> excess 2; total 25.00*3 + 25.01 = 100.01; 2 x 100.01 / 4 = 50.005 -> 50.01
    for v in ("V1", "V2", "V3"):
        b.fee(v, "2026-10-05 08:00:00", "1", "25", type="01")
    b.fee("V4", "2026-10-05 08:00:00", "1", "25.01", type="01")
    # 10-06: V3's charge and reversal cancel out -> n = 2 = beds: no lead (equal is not a lead)
    b.fee("V1", "2026-10-06 08:00:00", "1", "40", type="01")
    b.fee("V2", "2026-10-06 08:00:00", "1", "40", type="01")
    b.fee("V3", "2026-10-06 08:00:00", "1", "40", type="01")
    b.fee("V3", "2026-10-06 09:00:00", "-1", "40", type="01")
    # 10-07: three visits; V1 billed 2 and reversed 1 (net 1, 40.00); V5 only a reversal; V4 nursing only
    b.fee("V1", "2026-10-07 08:00:00", "2", "40", type="01")
    b.fee("V1", "2026-10-07 09:00:00", "-1", "40", type="01")
    b.fee("V2", "2026-10-07 08:00:00", "1", "40", type="01")
    b.fee("V2", "2026-10-07 20:00:00", "1", "40", type="01")     # V2 twice on one day: one visit
    b.fee("V3", "2026-10-07 08:00:00", "1", "40", type="01")
    b.fee("V5", "2026-10-07 08:00:00", "-1", "40", type="01")
    b.fee("V4", "2026-10-07 08:00:00", "1", "40", type="07")
    # 11-01: outside the window
    for v in ("V1", "V2", "V3", "V4"):
        b.fee(v, "2026-11-01 08:00:00", "1", "40", type="01")
    leads = screen(tmp_path, b, "S2")
    assert set(leads) == {("2026-10-05",), ("2026-10-07",)}
    a = leads[("2026-10-05",)]
    assert (a.figures["n"], a.figures["excess"], a.figures["bed_fee_total"], a.amount) == (4, 2, "100.01", D("50.01"))
    c = leads[("2026-10-07",)]
    # counted V1 (80 - 40 = 40.00), V2 (80.00), V3 (40.00): total 160.00; 1 x 160 / 3 = 53.333 -> 53.33
    assert (c.figures["n"], c.figures["excess"], c.figures["bed_fee_total"], c.amount) == (3, 1, "160.00", D("53.33"))


# --- S3 daily quantity limit ------------------------------------------------------------

def test_s3_quantity_with_reversals_against_the_limit(tmp_path):
    b = SliceBuilder()
    b.item("C001", limit="2")
    b.item("C002")                                               # no limit
    b.stay("V1", "2026-10-01 08:00:00", None, psn="P1")
    b.stay("V2", "2026-10-01 08:00:00", None, psn="P2")
    for t in ("08:00:00", "09:00:00", "10:00:00"):
        b.fee("V1", f"2026-10-05 {t}", "1", "10", item="C001")
    b.fee("V1", "2026-10-05 11:00:00", "-1", "10", item="C001")  # q = 2 = limit: no lead
    for t in ("08:00:00", "09:00:00", "23:59:59"):
        b.fee("V1", f"2026-10-06 {t}", "1", "10", item="C001")   # q = 3: excess 1 x 30.00 / 3 = 10.00
    b.fee("V1", "2026-10-07 00:00:00", "1", "10", item="C001")   # next calendar day
    b.fee("V2", "2026-10-06 08:00:00", "2.5", "3.3333", item="C001")  # 8.33325 -> 8.33
    b.fee("V2", "2026-10-06 09:00:00", "1", "3.3333", item="C001")    # 3.33
    for _ in range(5):
        b.fee("V2", "2026-10-06 10:00:00", "1", "1", item="C002")
    b.fee("V2", "2026-09-30 10:00:00", "9", "1", item="C001")    # before W0
    leads = screen(tmp_path, b, "S3")
    assert set(leads) == {("V1", "C001", "2026-10-06"), ("V2", "C001", "2026-10-06")}
    assert leads[("V1", "C001", "2026-10-06")].amount == D("10.00")
    v2 = leads[("V2", "C001", "2026-10-06")]
    # q = 3.5, excess 1.5, sum 11.66: 1.5 x 11.66 / 3.5 = 4.99714... -> 5.00
    assert (v2.figures["q"], v2.figures["excess"], v2.figures["fee_total"], v2.amount) == ("3.50", "1.50", "11.66", D("5.00"))


# --- S4 charges outside the stay --------------------------------------------------------

def test_s4_lines_before_admission_or_after_discharge(tmp_path):
    b = SliceBuilder()
    b.stay("S", "2026-10-05 10:00:00", "2026-10-10 12:00:00", psn="P1")
    b.fee("S", "2026-10-05 09:59:59", "1", "11.11")      # before: lead
    b.fee("S", "2026-10-05 10:00:00", "1", "100")        # at begntime: inside
    b.fee("S", "2026-10-10 12:00:00", "1", "100")        # at endtime: inside
    b.fee("S", "2026-10-10 12:00:01", "1", "22.22")      # after: lead
    b.fee("S", "2026-09-30 10:00:00", "1", "100")        # before, but outside the window
    b.stay("O", "2026-10-20 08:00:00", None, psn="P2")   # still admitted: no upper end
    b.fee("O", "2026-10-19 23:00:00", "1", "5.05")
    b.fee("O", "2026-10-31 23:00:00", "1", "100")
    b.stay("OP", "2026-10-20 08:00:00", "2026-10-20 09:00:00", psn="P3", med_type="11")
    b.fee("OP", "2026-10-20 07:00:00", "1", "100")       # outpatient visit: not S4
    leads = screen(tmp_path, b, "S4")
    assert set(leads) == {("S",), ("O",)}
    s = leads[("S",)]
    assert (s.figures["lines_before"], s.figures["lines_after"], s.amount) == (1, 1, D("33.33"))
    assert leads[("O",)].amount == D("5.05")


def test_s4_a_line_is_counted_once_when_the_stay_is_inverted(tmp_path):
    # Bad data that exists: begntime after endtime. A line between the two is both before
    # admission and after discharge; it counts once (as before admission).
    b = SliceBuilder()
    b.stay("INV", "2026-10-10 08:00:00", "2026-10-05 12:00:00", psn="P1")
    b.fee("INV", "2026-10-03 10:00:00", "1", "1.00")      # before both: before admission
    b.fee("INV", "2026-10-07 10:00:00", "1", "10.00")     # between: before admission, and after discharge
    b.fee("INV", "2026-10-12 10:00:00", "1", "100.00")    # after both: after discharge only
    leads = screen(tmp_path, b, "S4")
    lead = leads[("INV",)]
    assert (lead.figures["lines"], lead.figures["lines_before"], lead.figures["lines_after"]) == (3, 2, 1)
    assert lead.amount == D("111.00")


# --- S5 price ceiling -------------------------------------------------------------------

def test_s5_price_above_the_ceiling_per_line(tmp_path):
    b = SliceBuilder()
    b.item("D001", ceiling="10")
    b.item("D002")
    b.stay("V", "2026-10-01 08:00:00", None)
    b.fee("V", "2026-10-02 08:00:00", "5", "10", item="D001", sn="EQ")          # equal: no lead
    b.fee("V", "2026-10-02 08:00:00", "1.5", "12.3456", item="D001", sn="UP")   # 2.3456 x 1.5 = 3.5184 -> 3.52
    b.fee("V", "2026-10-02 09:00:00", "-1.5", "12.3456", item="D001", sn="RV")  # reversal: -3.52
    b.fee("V", "2026-10-02 08:00:00", "1", "10.005", item="D001", sn="TIE")     # 0.005 -> 0.01 (half up)
    b.fee("V", "2026-10-02 09:00:00", "-1", "10.005", item="D001", sn="NTIE")   # -0.005 -> -0.01 (away from 0)
    b.fee("V", "2026-10-02 08:00:00", "3", "10.0001", item="D001", sn="TINY")   # 0.0003 -> 0.00, still a lead
    b.fee("V", "2026-10-02 08:00:00", "1", "99", item="D002", sn="NOCEIL")
    b.fee("V", "2026-11-01 08:00:00", "1", "99", item="D001", sn="LATE")        # outside the window
    leads = screen(tmp_path, b, "S5")
    assert {k[0]: v.amount for k, v in leads.items()} == {
        "UP": D("3.52"), "RV": D("-3.52"), "TIE": D("0.01"), "NTIE": D("-0.01"), "TINY": D("0.00")}
    assert leads[("UP",)].figures["ceiling"] == "10.0000" and leads[("UP",)].figures["pric"] == "12.3456"


# --- S6 sales beyond stock --------------------------------------------------------------

def test_s6_touching_zero_is_not_a_lead_below_is(tmp_path):
    b = SliceBuilder()
    b.inv("X1", "2026-09-30", "10")
    b.sel("X1", "2026-10-05 08:00:00", "10", "2")                # balance 0: no lead
    b.sel("X1", "2026-11-01 00:00:00", "20", "2")                # after W1: not walked
    b.inv("X2", "2026-09-30", "10")
    b.sel("X2", "2026-10-05 08:00:00", "10.01", "3")             # -0.01: lead
    b.purc("X2", "2026-10-06 08:00:00", "100", "1")
    leads = screen(tmp_path, b, "S6")
    assert set(leads) == {("X2",)}
    x2 = leads[("X2",)]
    # shortfall 0.01 x (10.01 x 3 / 10.01) = 0.03
    assert (x2.figures["shortfall"], x2.figures["lowest_balance"], x2.amount) == ("0.01", "-0.01", D("0.03"))


def test_s6_simultaneous_movements_apply_together(tmp_path):
    b = SliceBuilder()
    b.purc("X4", "2026-10-05 08:00:00", "5", "1")                # no opening count: 0 at W0
    b.sel("X4", "2026-10-05 08:00:00", "5", "2")                 # same second as the purchase: no dip
    b.sel("X5", "2026-10-05 08:00:00", "5", "2")
    b.purc("X5", "2026-10-05 08:00:01", "5", "1")                # one second later: dip to -5
    leads = screen(tmp_path, b, "S6")
    assert set(leads) == {("X5",)}
    assert leads[("X5",)].amount == D("10.00")                   # 5 x (10.00 / 5)


def test_s6_opening_count_and_the_dip_before_w0(tmp_path):
    b = SliceBuilder()
    # X3: opening 2 on 09-28, sale of 3 on 09-29 (-1, before W0), restocked 09-30. Window sales:
    # 1 x 7 + 2 x 8 = 23.00 over 3 -> 1 x 23 / 3 = 7.666... -> 7.67; the 09-29 sale and the return
    # are not in the average.
    b.inv("X3", "2026-09-28", "2")
    b.sel("X3", "2026-09-29 10:00:00", "3", "5")
    b.purc("X3", "2026-09-30 10:00:00", "10", "1")
    b.sel("X3", "2026-10-05 10:00:00", "1", "7")
    b.sel("X3", "2026-10-06 10:00:00", "2", "8")
    b.sel("X3", "2026-10-07 10:00:00", "1", "100", retn=True)
    # X6: a negative opening count is itself a lead; no sales in the window -> 0.00
    b.inv("X6", "2026-10-01", "-3")
    b.purc("X6", "2026-10-01 00:00:00", "10", "1")
    # X7: the latest count on or before W0 is the opening (09-20: 0), not 09-01's 100
    b.inv("X7", "2026-09-01", "100")
    b.inv("X7", "2026-09-20", "0")
    b.sel("X7", "2026-09-25 10:00:00", "1", "4")
    b.purc("X7", "2026-09-26 10:00:00", "5", "1")
    # X8: a purchase return drives the balance below zero; no sales at all -> 0.00
    b.purc("X8", "2026-10-05 10:00:00", "2", "1", retn=True)
    # X9: movements before the opening date are not part of the ledger
    b.sel("X9", "2026-09-10 10:00:00", "50", "1")
    b.inv("X9", "2026-09-20", "1")
    leads = screen(tmp_path, b, "S6")
    assert set(leads) == {("X3",), ("X6",), ("X7",), ("X8",)}
    assert (leads[("X3",)].figures["shortfall"], leads[("X3",)].amount) == ("1.00", D("7.67"))
    assert leads[("X3",)].figures["lowest_time"] == "2026-09-29 10:00:00"
    assert (leads[("X6",)].figures["shortfall"], leads[("X6",)].amount) == ("3.00", D("0.00"))
    assert (leads[("X7",)].figures["opening_date"], leads[("X7",)].figures["shortfall"]) == ("2026-09-20", "1.00")
    assert (leads[("X8",)].figures["shortfall"], leads[("X8",)].amount) == ("2.00", D("0.00"))


# --- S7 declared count differs ----------------------------------------------------------

def test_s7_difference_equal_to_the_tolerance_is_not_a_lead(tmp_path):
    b = SliceBuilder()
    b.inv("Y1", "2026-09-30", "50")
    b.inv("Y1", "2026-10-10", "51")          # |1| = max(1, 0.5): no lead
    b.inv("Y1", "2026-10-20", "48.99")       # |-1.01| > 1: lead; no purchases -> 0.00
    b.inv("Y2", "2026-09-30", "1000")
    b.purc("Y2", "2026-09-30 12:00:00", "10", "100")             # before W0: not in the average price
    b.purc("Y2", "2026-10-02 08:00:00", "100", "2.5")
    b.purc("Y2", "2026-10-03 08:00:00", "50", "4.0001")
    b.purc("Y2", "2026-10-04 08:00:00", "20", "9", retn=True)   # return: balance only
    b.sel("Y2", "2026-10-05 08:00:00", "140", "6")               # 1000+10+100+50-20-140 = 1000
    b.inv("Y2", "2026-10-10", "1010")        # 10 = 1% of 1000: no lead
    b.inv("Y2", "2026-10-11", "989.99")      # -10.01: lead
    b.inv("Y2", "2026-11-01", "0")           # on W1's date: not examined
    leads = screen(tmp_path, b, "S7")
    assert set(leads) == {("Y1", "2026-10-20"), ("Y2", "2026-10-11")}
    y1 = leads[("Y1", "2026-10-20")]
    assert (y1.figures["expected"], y1.figures["difference"], y1.amount) == ("50.00", "-1.01", D("0.00"))
    y2 = leads[("Y2", "2026-10-11")]
    # average purchase price (100 x 2.5 + 50 x 4.0001) / 150 = 450.005 / 150; x 10.01 = 30.0303... -> 30.03
    assert (y2.figures["expected"], y2.figures["difference"], y2.figures["tolerance"], y2.amount) == (
        "1000.00", "-10.01", "10.00", D("30.03"))


def test_s7_a_movement_at_midnight_comes_after_the_count(tmp_path):
    b = SliceBuilder()
    b.inv("Y3", "2026-09-30", "10")
    b.purc("Y3", "2026-10-15 00:00:00", "5", "2")
    b.inv("Y3", "2026-10-15", "10")          # expected 10 (the purchase comes after): no lead
    b.inv("Y3", "2026-10-16", "10")          # expected 15: -5, lead; 5 x 2.0000 = 10.00
    leads = screen(tmp_path, b, "S7")
    assert set(leads) == {("Y3", "2026-10-16")}
    assert (leads[("Y3", "2026-10-16")].figures["expected"], leads[("Y3", "2026-10-16")].amount) == ("15.00", D("10.00"))


def test_s7_count_tolerance_setting_is_used(tmp_path):
    b = SliceBuilder()
    b.inv("Y2", "2026-09-30", "1000")
    b.inv("Y2", "2026-10-11", "980")          # 20 > 10 (1%) but not > 50 (5%)
    assert screen(tmp_path, b, "S7", settings={"count_tolerance": "0.05"}) == {}


# --- S8 bed-only days -------------------------------------------------------------------

def test_s8_runs_of_bed_only_days(tmp_path):
    b = SliceBuilder()
    b.stay("A", "2026-10-02 10:00:00", "2026-10-12 09:00:00", psn="P1")
    b.fee("A", "2026-10-02 11:00:00", "1", "30", type="03")
    b.fee("A", "2026-10-02 12:00:00", "1", "50", type="01")
    b.fee("A", "2026-10-03 08:00:00", "1", "50", type="01")
    b.fee("A", "2026-10-03 09:00:00", "1", "20.01", type="07")
    b.fee("A", "2026-10-04 08:00:00", "1", "50", type="01")
    b.fee("A", "2026-10-05 08:00:00", "1", "50", type="01")      # run 10-03..10-05: 3 days, 170.01
    b.fee("A", "2026-10-06 08:00:00", "1", "50", type="01")
    b.fee("A", "2026-10-06 09:00:00", "1", "8", type="09")       # a drug breaks the run
    b.fee("A", "2026-10-07 08:00:00", "1", "50", type="01")
    b.fee("A", "2026-10-08 08:00:00", "1", "50", type="01")      # 10-07..10-08: only 2
    # 10-09: no line at all -> breaks the run
    for d in ("10", "11", "12"):
        b.fee("A", f"2026-10-{d} 08:00:00", "1", "50", type="01")  # 10-10..10-12: 3 days, 150.00
    b.stay("B", "2026-09-28 10:00:00", "2026-10-05 09:00:00", psn="P2")
    for d in ("28", "29", "30"):
        b.fee("B", f"2026-09-{d} 08:00:00", "1", "50", type="01")
    b.fee("B", "2026-10-01 08:00:00", "1", "50", type="01")
    b.fee("B", "2026-10-02 08:00:00", "1", "50", type="01")      # only 2 of its 5 days are in the window
    b.fee("B", "2026-10-03 08:00:00", "1", "50", type="04")
    leads = screen(tmp_path, b, "S8")
    assert set(leads) == {("A",)}
    a = leads[("A",)]
    assert [(r["from"], r["to"], r["days"]) for r in a.figures["runs"]] == [
        ("2026-10-03", "2026-10-05", 3), ("2026-10-10", "2026-10-12", 3)]
    assert a.figures["run_days"] == ["2026-10-03", "2026-10-04", "2026-10-05", "2026-10-10", "2026-10-11", "2026-10-12"]
    assert a.amount == D("320.01")                                # 170.01 + 150.00


def test_s8_two_vs_three_days_follows_the_setting(tmp_path):
    b = SliceBuilder()
    b.stay("A", "2026-10-02 10:00:00", "2026-10-06 09:00:00")
    b.fee("A", "2026-10-03 08:00:00", "1", "50", type="01")
    b.fee("A", "2026-10-04 08:00:00", "1", "50", type="07")
    assert screen(tmp_path, b, "S8") == {}
    assert set(screen(tmp_path, b, "S8", settings={"bed_only_days": 2})) == {("A",)}


def test_s8_open_stay_runs_to_the_visit_day(tmp_path):
    b = SliceBuilder()
    b.stay("E", "2026-10-15 08:00:00", None)
    b.fee("E", "2026-10-16 08:00:00", "1", "9", type="09")
    for d in ("17", "18", "19", "20", "21", "22"):
        b.fee("E", f"2026-10-{d} 08:00:00", "1", "40", type="01")
    leads = screen(tmp_path, b, "S8", visit_time="2026-10-20 10:00:00")
    # days of the open stay end at day(V) = 10-20: run 10-17..10-20, 4 x 40.00
    assert [(r["from"], r["to"]) for r in leads[("E",)].figures["runs"]] == [("2026-10-17", "2026-10-20")]
    assert leads[("E",)].amount == D("160.00")


# --- S9 overlapping stays ---------------------------------------------------------------

def test_s9_touching_vs_overlapping_and_the_amount(tmp_path):
    b = SliceBuilder()
    b.stay("A", "2026-10-01 08:00:00", "2026-10-05 12:00:00", psn="P1")
    b.stay("B", "2026-10-05 12:00:00", "2026-10-08 08:00:00", psn="P1")   # touching: no lead
    b.stay("C", "2026-10-10 08:00:00", "2026-10-15 12:00:00", psn="P1")
    b.stay("D", "2026-10-15 11:00:00", "2026-10-20 08:00:00", psn="P1")   # overlap [10-15 11:00, 12:00)
    b.fee("D", "2026-10-15 11:00:00", "1", "12.34")
    b.fee("D", "2026-10-15 11:59:59", "1", "0.01")
    b.fee("D", "2026-10-15 12:00:00", "1", "100")                         # at the overlap's end: outside
    b.fee("C", "2026-10-15 11:30:00", "1", "100")                         # the earlier stay's: not counted
    b.stay("Q", "2026-10-10 08:00:00", "2026-10-12 08:00:00", psn="P2")   # other person
    leads = screen(tmp_path, b, "S9")
    assert set(leads) == {("C", "D")}
    cd = leads[("C", "D")]
    assert (cd.figures["overlap_from"], cd.figures["overlap_to"], cd.amount) == (
        "2026-10-15 11:00:00", "2026-10-15 12:00:00", D("12.35"))


def test_s9_overlap_must_meet_the_window(tmp_path):
    b = SliceBuilder()
    b.stay("E", "2026-09-01 08:00:00", "2026-09-20 08:00:00")
    b.stay("F", "2026-09-10 08:00:00", "2026-09-25 08:00:00")   # overlap before W0: no lead
    b.stay("G", "2026-09-25 08:00:00", "2026-10-02 08:00:00")
    b.stay("H", "2026-09-28 08:00:00", "2026-10-03 08:00:00")   # overlap [09-28, 10-02): meets the window
    b.fee("H", "2026-09-29 08:00:00", "1", "70")                 # inside the overlap but before W0
    b.fee("H", "2026-10-01 08:00:00", "1", "30")
    leads = screen(tmp_path, b, "S9")
    assert set(leads) == {("G", "H")}
    assert leads[("G", "H")].amount == D("30.00")


def test_s9_open_stays_end_at_the_visit_time(tmp_path):
    b = SliceBuilder()
    b.stay("I", "2026-10-25 08:00:00", None, psn="P1")
    b.stay("J", "2026-10-30 08:00:00", None, psn="P1")             # both open: overlap [10-30 08:00, V)
    b.stay("M", "2026-11-02 10:00:00", "2026-11-05 08:00:00", psn="P1")  # begins at V: touches I and J
    b.stay("N2", "2026-10-12 08:00:00", "2026-10-14 08:00:00", psn="P2")
    b.stay("N1", "2026-10-12 08:00:00", "2026-10-13 08:00:00", psn="P2")  # same begntime: N1 is the earlier
    b.fee("J", "2026-10-31 08:00:00", "1", "10")
    leads = screen(tmp_path, b, "S9")
    assert set(leads) == {("I", "J"), ("N1", "N2")}
    assert leads[("I", "J")].figures["overlap_to"] == "2026-11-02 10:00:00"
    assert leads[("I", "J")].amount == D("10.00")
