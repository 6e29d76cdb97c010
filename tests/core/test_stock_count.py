"""C2 drug stock count: expected at the visit, tolerance, amounts by hand, sample, stocking ratio."""
from __future__ import annotations

import json
import random
from decimal import Decimal
from fractions import Fraction

import pytest

from inspector.checks import ledger, stock
from inspector import i18n
from inspector.cli import run
from inspector.db import open_store
from inspector.errors import UserError
from inspector.events import append_event, read_events
from tests.core.snapshot_rows import Slice, xcode, zcode

A, B, C, H = xcode(1), xcode(2), xcode(3), xcode(4)
W0, W1, V = "2026-08-01 00:00:00", "2026-11-01 00:00:00", "2026-11-02 10:00:00"


def ledger_slice() -> Slice:
    s = Slice()
    for code in (A, B, C, H):
        s.drug(code)
    # A: opening count 100 on 2026-07-20 (latest on or before W0's date); older and later counts ignored.
    s.inv(A, "2026-06-01", "999")
    s.inv(A, "2026-07-20", "100")
    s.inv(A, "2026-09-15", "5")
    s.purc(A, "2026-07-19 23:59:59", "50")                 # before the opening instant: not counted
    s.purc(A, "2026-07-20 00:00:00", "10")                 # at the opening instant: after the count   -> 110
    s.sale(A, "2026-08-10 09:00:00", "30", "2.5000")        # sale                                       -> 80
    s.sale(A, "2026-08-11 09:00:00", "5", "2.5000", retn=True)  # sales return                        -> 85
    s.purc(A, "2026-09-01 09:00:00", "20", "1.2", retn=True)    # purchase return                     -> 65
    s.sale(A, "2026-09-02 10:00:00", "80", "2.7000")        # same timestamp as the purchase below:
    s.purc(A, "2026-09-02 10:00:00", "80", "1.2")           # applied together, never dips           -> 65
    s.sale(A, "2026-11-01 08:00:00", "12", "9.9900")        # between W1 and V: counts for V          -> 53
    s.sale(A, "2026-11-02 10:00:00", "1", "9.9900")         # exactly at V: counts                    -> 52
    s.sale(A, "2026-11-02 10:00:01", "7", "9.9900")         # after V: not counted
    # B: no opening count -> 0 at W0; a purchase just before W0 is outside the ledger.
    s.purc(B, "2026-07-31 23:59:59", "100")
    s.purc(B, "2026-08-05 09:00:00", "20")
    s.sale(B, "2026-08-06 09:00:00", "3", "0.1250")         # -> 17; average sale price 0.125
    # C: everything bought was sold: expected 0.
    s.purc(C, "2026-08-05 09:00:00", "10")
    s.sale(C, "2026-08-06 09:00:00", "10", "3.3333")
    # H: large stock, expected 200.
    s.inv(H, "2026-08-01", "200")
    s.sale(H, "2026-08-02 09:00:00", "1", "4.0000", trac="T1")
    s.sale(H, "2026-08-03 09:00:00", "1", "4.0000", trac="T1")   # T1 sold twice: a lead
    s.sale(H, "2026-08-04 09:00:00", "1", "4.0000", trac="T2")
    s.sale(H, "2026-08-05 09:00:00", "1", "4.0000", trac="T2", retn=True)
    s.sale(H, "2026-08-06 09:00:00", "1", "4.0000", trac="T2")   # T2: twice, once returned: net 1, no lead
    s.purc(H, "2026-08-06 10:00:00", "3")                        # H back to 200
    return s


pytestmark = pytest.mark.usefixtures("english")   # messages are matched in English


@pytest.fixture
def store(tmp_path):
    engine = open_store(tmp_path / "s.db")
    iid = ledger_slice().write(engine)
    return engine, iid, tmp_path / "s.db"


def _events(engine, iid):
    with engine.connect() as c:
        return len(read_events(c, iid))


def test_expected_at_visit_follows_the_running_balance(store):
    engine, iid, _ = store
    with engine.connect() as c:
        sid = 1
        assert ledger.running_balance(c, sid, A, W0, V, inclusive=True) == Decimal("52.00")
        assert ledger.running_balance(c, sid, A, W0, W1, inclusive=False) == Decimal("65.00")
        assert ledger.running_balance(c, sid, B, W0, V) == Decimal("17.00")
        assert ledger.running_balance(c, sid, C, W0, V) == Decimal("0.00")
        all_at_v = ledger.balances(c, sid, W0, V, inclusive=True)
        assert all_at_v == {A: Decimal("52.00"), B: Decimal("17.00"), C: Decimal("0.00"), H: Decimal("200.00")}
        path = list(ledger.balance_path(c, sid, A, W0, W1))
        # Same-timestamp movements are applied together: the sale of 80 at 09-02 10:00 never dips below 0.
        assert path[0] == ("2026-07-20 00:00:00", Decimal("100.00"))
        assert min(b for _, b in path) == Decimal("65.00")
        assert [t for t, _ in path].count("2026-09-02 10:00:00") == 1
        # Purchases (retn_flag '0') in the window: A 80 at 1.2 (the 07-20 one is before W0); B 20 at 1.
        assert ledger.purchase_prices_in_window(c, sid, W0, W1) == {A: Fraction(6, 5), B: Fraction(1), C: Fraction(1), H: Fraction(1)}
        op = ledger.opening_count(c, sid, B, W0)
        assert op.invdate is None and op.start == W0 and op.quantity == Decimal("0.00")


def test_count_variance_tolerance_status_and_amount_by_hand(store):
    engine, iid, _ = store
    stock.draw_sample(engine, iid)
    stock.record_count(engine, iid, H, "198")      # variance -2 = max(1, 1% of 200): at tolerance, ok
    stock.record_count(engine, iid, A, "53.01")    # expected 52, limit max(1, 0.52) = 1: +1.01 surplus
    stock.record_count(engine, iid, B, "12")       # expected 17: -5, shortage
    stock.record_count(engine, iid, C, "3")        # expected 0: rate undefined, +3 surplus
    with engine.connect() as c:
        rows = {r.med_list_codg: r for r in stock.stock_summary(c, iid).rows}
    h = rows[H]
    assert (h.variance, h.tolerance, h.status) == (Decimal("-2.00"), Decimal("2.0000"), "ok")
    assert h.rate == Decimal("-0.0100")
    a = rows[A]
    assert (a.expected, a.variance, a.status) == (Decimal("52.00"), Decimal("1.01"), "surplus")
    # Average sale price of A over retn_flag '0' sales in the window: (30 x 2.5 + 80 x 2.7) / 110 = 291/110.
    # Amount = 1.01 x 291 / 110 = 293.91 / 110 = 2.671909... -> 2.67
    assert a.amount == Decimal("2.67") and a.average_sale_price == Decimal("2.6455")
    assert a.rate == Decimal("0.0194")                # 1.01 / 52 = 0.019423...
    b = rows[B]
    # 5 x 0.125 = 0.625 exactly: half-up gives 0.63 (banker's rounding would give 0.62).
    assert (b.variance, b.status, b.amount) == (Decimal("-5.00"), "shortage", Decimal("0.63"))
    c_ = rows[C]
    assert c_.rate is None and c_.rate_note and c_.status == "surplus"
    assert c_.amount == Decimal("10.00")              # 3 x 3.3333 = 9.9999 -> 10.00
    # Exactly at tolerance is not beyond it; one hundredth more is.
    stock.record_count(engine, iid, H, "197.99")
    with engine.connect() as c:
        summary = stock.stock_summary(c, iid)
    h2 = next(r for r in summary.rows if r.med_list_codg == H)
    assert h2.status == "shortage" and h2.counts_entered == 2
    assert h2.amount == Decimal("8.04")               # 2.01 x 4.00 (H's sales: 4 lines at 4.00)
    # Total counts only drugs beyond tolerance: A 2.67 + B 0.63 + C 10.00 + H 8.04.
    assert summary.total_amount == Decimal("21.34")


def test_finding_source_categories(store):
    engine, iid, _ = store
    stock.draw_sample(engine, iid)
    stock.record_count(engine, iid, B, "12")
    stock.record_count(engine, iid, A, "60")
    with engine.connect() as c:
        short = stock.finding_source(c, iid, B)
        surplus = stock.finding_source(c, iid, A)
        with pytest.raises(UserError):
            stock.finding_source(c, iid, H)         # not counted
    assert (short.suggested_category, short.amount, short.source_type) == ("V04", Decimal("0.63"), "stock")
    assert surplus.suggested_category == "F03"
    # 8 x 291/110 = 2328/110 = 21.163636... -> 21.16
    assert surplus.amount == Decimal("21.16")


def test_sample_is_top_by_sales_plus_seeded_random_of_the_others(tmp_path):
    engine = open_store(tmp_path / "s.db")
    s = Slice()
    codes = [xcode(100 + i) for i in range(20)] + [zcode(200 + i) for i in range(10)]
    for i, code in enumerate(codes):
        s.drug(code)
        s.purc(code, "2026-08-01 08:00:00", "1000")
    # Sales amounts: drug i sells (i % 7 + 1) x 10 units at 1.00 -> ties across codes.
    for i, code in enumerate(codes):
        s.sale(code, "2026-08-02 08:00:00", str((i % 7 + 1) * 10), "1.0000")
    s.sale(codes[0], "2026-11-01 09:00:00", "900", "9.0000")           # after W1: not in the ranking
    s.sale(codes[1], "2026-08-03 09:00:00", "900", "9.0000", retn=True)  # a return: not a sale
    iid = s.write(engine)
    amount = {c: (i % 7 + 1) * 10 for i, c in enumerate(codes)}
    top = sorted(codes, key=lambda c: (-amount[c], c))[:10]
    others = sorted(set(codes) - set(top))
    sample = stock.draw_sample(engine, iid)
    assert sample.seed == 1
    assert sample.top == top
    assert sample.random == random.Random(1).sample(others, 10)
    # Drawn once: asking again shows the same; another seed is refused and changes nothing.
    n = _events(engine, iid)
    assert stock.draw_sample(engine, iid) == sample
    with pytest.raises(UserError, match="already drawn"):
        stock.draw_sample(engine, iid, seed=99)
    assert _events(engine, iid) == n


def test_sample_with_fewer_others_takes_them_all_in_drawn_order(tmp_path):
    engine = open_store(tmp_path / "s.db")
    s = Slice()
    codes = [xcode(300 + i) for i in range(13)]
    for i, code in enumerate(codes):
        s.drug(code)
        s.sale(code, "2026-08-02 08:00:00", str(i + 1), "1.0000")
    iid = s.write(engine)
    sample = stock.draw_sample(engine, iid, seed=7)
    assert sample.top == list(reversed(codes))[:10]
    assert sample.random == random.Random(7).sample(sorted(codes[:3]), 3)


def _stocking_slice() -> tuple[Slice, list[str], list[str]]:
    s = Slice()
    west = [xcode(500 + i) for i in range(11)]
    pat = [zcode(600 + i) for i in range(5)]
    for i, code in enumerate(west):
        s.drug(code, lv="03" if i >= 9 else ("01" if i % 2 else "02"))
    for i, code in enumerate(pat):
        s.drug(code, lv="03" if i == 4 else "02")
    for code in west[:10] + pat:
        s.inv(code, "2026-07-01", "5")
    s.purc(west[10], "2026-08-01 09:00:00", "2")      # bought and sold: expected 0 at V
    s.sale(west[10], "2026-08-02 09:00:00", "2", "1.0000")
    return s, west, pat


def test_stocking_ratio_at_the_threshold_and_counted_beats_expected(tmp_path):
    engine = open_store(tmp_path / "s.db")
    s, west, pat = _stocking_slice()
    iid = s.write(engine)
    stock.draw_sample(engine, iid)
    with engine.connect() as c:
        ratios = {r.category: r for r in stock.stock_summary(c, iid).stocking}
    # Western in stock: west[0..9] (west[10] expected 0); formulary: west[0..8] -> 9/10 = 0.90 meets 0.90.
    assert (ratios["X"].formulary, ratios["X"].denominator, ratios["X"].ratio) == (9, 10, Decimal("0.9000"))
    assert ratios["X"].meets_minimum is True and ratios["X"].minimum == Decimal("0.90")
    # Patent: 4/5 = 0.80 meets 0.80.
    assert (ratios["Z"].formulary, ratios["Z"].denominator, ratios["Z"].meets_minimum) == (4, 5, True)
    # Counted beats expected: west[10] (self-pay, expected 0) counted 2 is in stock -> 9/11 < 0.90.
    for code in (west[10], pat[0]):
        if code not in stock.draw_sample(engine, iid).drugs:
            stock.add_drug(engine, iid, code)
    stock.record_count(engine, iid, west[10], "2")
    stock.record_count(engine, iid, pat[0], "0")        # expected 5 but nothing on the shelf -> out of stock
    with engine.connect() as c:
        summary = stock.stock_summary(c, iid)
    ratios = {r.category: r for r in summary.stocking}
    assert (ratios["X"].formulary, ratios["X"].denominator, ratios["X"].meets_minimum) == (9, 11, False)
    assert (ratios["Z"].formulary, ratios["Z"].denominator, ratios["Z"].meets_minimum) == (3, 4, False)
    assert summary.stocking_settings == {"stocking_min_western": "0.90", "stocking_min_patent": "0.80",
                                         "stocking_denominator": "in_stock"}


def test_stocking_ratio_over_the_required_list(tmp_path):
    engine = open_store(tmp_path / "s.db")
    s, west, pat = _stocking_slice()
    iid = s.write(engine)
    append_event(engine, iid, "settings.changed", {"key": "stocking_denominator", "value": "required"})
    stock.draw_sample(engine, iid)
    with engine.connect() as c:
        x = stock.stock_summary(c, iid).stocking[0]
    assert x.ratio is None and "required" in x.note
    f = tmp_path / "required.txt"
    # Required: west[0..3] (formulary, in stock), west[9] (self-pay), west[10] (not in stock), one unknown drug.
    f.write_text("# agreement 2026\n" + "\n".join([*west[:4], west[9], west[10], xcode(999)]) + "\n" + pat[0] + "\n")
    stock.load_required_list(engine, iid, f)
    with engine.connect() as c:
        ratios = {r.category: r for r in stock.stock_summary(c, iid).stocking}
    assert (ratios["X"].formulary, ratios["X"].denominator, ratios["X"].ratio) == (4, 7, Decimal("0.5714"))
    assert (ratios["Z"].formulary, ratios["Z"].denominator, ratios["Z"].ratio) == (1, 1, Decimal("1.0000"))
    bad = tmp_path / "bad.txt"
    bad.write_text(west[0] + "\nX123\n")
    n = _events(engine, iid)
    with pytest.raises(UserError, match="line 2"):
        stock.load_required_list(engine, iid, bad)
    assert _events(engine, iid) == n


def test_repeated_traceability_codes(store):
    engine, iid, _ = store
    stock.draw_sample(engine, iid)
    with engine.connect() as c:
        leads = stock.stock_summary(c, iid).repeated_trace_codes
    assert [(t.drug_trac_codg, t.sales, t.returns, t.net, t.med_list_codg) for t in leads] == [("T1", 2, 0, 2, [H])]


def test_bad_input_changes_nothing(store):
    engine, iid, _ = store
    with pytest.raises(UserError, match="draw it first"):
        stock.record_count(engine, iid, A, "1")
    stock.draw_sample(engine, iid)
    n = _events(engine, iid)
    for code, qty, msg in [(A, "-1", "negative"), (A, "abc", "not a number"), (A, "1.234", "decimal places"),
                           (A, "NaN", "not a number"), ("X999", "1", "not in the stock sample")]:
        with pytest.raises(UserError, match=msg):
            stock.record_count(engine, iid, code, qty)
    with pytest.raises(UserError, match="unknown drug"):
        stock.add_drug(engine, iid, "X404")
    with pytest.raises(UserError, match="already in the sample"):
        stock.add_drug(engine, iid, A)
    with pytest.raises(UserError, match="no inspection"):
        stock.record_count(engine, 999, A, "1")
    assert _events(engine, iid) == n


def test_cli_stock_flow(store, capsys, cli_account):
    engine, iid, db = store
    cli_account(db, "li")
    base = ["stock", "--db", str(db), "--inspection", str(iid)]
    assert run(base + ["--sample", "--format", "json"]) == 0
    sample = json.loads(capsys.readouterr().out)
    assert sample["seed"] == 1 and {r["med_list_codg"] for r in sample["rows"]} == {A, B, C, H}
    assert {r["med_list_codg"]: r["expected"] for r in sample["rows"]}[A] == "52.00"
    assert run(base + ["--drug", B, "--counted", "12", "--note", "shelf 3"]) == 0
    capsys.readouterr()
    assert run(base + ["--drug", B, "--counted", "-4"]) == 2
    assert "negative" in capsys.readouterr().err
    assert run(base + ["--search", "药品", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 4
    assert run(base + ["--summary", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    row = next(r for r in out["rows"] if r["med_list_codg"] == B)
    assert (row["expected"], row["counted"], row["variance"], row["status"], row["amount"], row["note"]) == \
        ("17.00", "12.00", "-5.00", "shortage", "0.63", "shelf 3")
    assert out["total_amount"] == "0.63" and out["count_tolerance"] == "0.01"
    assert [s["category"] for s in out["stocking"]] == ["X", "Z"]
    assert out["repeated_trace_codes"][0]["drug_trac_codg"] == "T1"
    assert run(base + ["--summary"]) == 0
    assert B in capsys.readouterr().out


def test_errors_read_in_chinese_by_default(store):
    engine, iid, _ = store
    stock.draw_sample(engine, iid)
    i18n.set_language("zh_CN")
    with pytest.raises(UserError, match="实盘数量“-1”为负数"):
        stock.record_count(engine, iid, A, "-1")


def test_bad_sample_setting_is_a_clear_error(store):
    engine, iid, _ = store
    append_event(engine, iid, "settings.changed", {"key": "stock_sample_top", "value": "ten"})
    n = _events(engine, iid)
    with pytest.raises(UserError, match="stock_sample_top"):
        stock.draw_sample(engine, iid)
    assert _events(engine, iid) == n
