"""The lazy snapshot table model: Qt's model tester, paging, SQL filter and sort, decimals."""
from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import QModelIndex, Qt

from inspector.db import open_store
from inspector.errors import UserError
from tools.synthetic_store import make_store
from ui.models.snapshot_table import FIRST_PAGE, PAGE, SnapshotTableModel, make_query


@pytest.fixture
def model(tmp_path):
    path, snap = make_store(tmp_path / "m.db", n_fee=2 * PAGE + 37)
    engine = open_store(path)
    m = SnapshotTableModel(engine, "feedetl", snap)
    yield m
    m.close()
    engine.dispose()


def _col(m: SnapshotTableModel, name: str) -> int:
    return [c.name for c in m.columns].index(name)


def test_model_passes_qt_model_tester(qtmodeltester, model):
    qtmodeltester.check(model, force_py=True)
    model.set_filter("med_list_codg", "C0001")
    qtmodeltester.check(model, force_py=True)


def test_pages_in_with_fetch_more_until_complete(model):
    assert model.rowCount() == FIRST_PAGE and model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == FIRST_PAGE + PAGE
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 2 * PAGE + 37
    assert not model.canFetchMore(QModelIndex())
    last = model.index(model.rowCount() - 1, _col(model, "feedetl_sn"))
    assert model.data(last) == f"F{2 * PAGE + 36:08d}"


def test_money_and_prices_show_as_exact_decimals(model):
    row0 = {c.name: model.data(model.index(0, i)) for i, c in enumerate(model.columns)}
    # first synthetic line: cnt 1.00, pric 0.1234, amount round(1.00 * 0.1234) = 0.12
    assert (row0["cnt"], row0["pric"], row0["det_item_fee_sumamt"]) == ("1.00", "0.1234", "0.12")
    align = model.data(model.index(0, _col(model, "cnt")), Qt.ItemDataRole.TextAlignmentRole)
    assert align & int(Qt.AlignmentFlag.AlignRight)


def test_filter_is_sql_and_counts_match(model):
    import sqlite3

    model.set_filter("med_list_codg", "C0001")
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    expected = sqlite3.connect(model.conn.execute("PRAGMA database_list").fetchone()[2]).execute(
        "SELECT count(*) FROM snap_feedetl WHERE med_list_codg='C0001'").fetchone()[0]
    assert model.rowCount() == expected > 0
    col = _col(model, "med_list_codg")
    assert {model.data(model.index(r, col)) for r in range(model.rowCount())} == {"C0001"}
    # numeric filter on a money column, in yuan
    model.set_filter("det_item_fee_sumamt", ">= 0.4")
    amounts = [model.data(model.index(r, _col(model, "det_item_fee_sumamt"))) for r in range(model.rowCount())]
    assert amounts and all(Decimal(a) >= Decimal("0.4") for a in amounts)
    model.set_filter("det_item_fee_sumamt", "0.12")
    n012 = model.rowCount()
    assert n012 > 0 and all(model.data(model.index(r, _col(model, "det_item_fee_sumamt"))) == "0.12" for r in range(n012))
    # every text column when no column is named
    model.set_filter(None, "F00000012")
    assert model.rowCount() == 1
    # '=' asks for an exact match (an index can serve it)
    model.set_filter("mdtrt_id", "=M000001")
    assert model.rowCount() > 0 and {model.data(model.index(r, _col(model, "mdtrt_id")))
                                     for r in range(model.rowCount())} == {"M000001"}
    with pytest.raises(UserError):
        make_query("feedetl", 1, "cnt", "lots")


def test_sort_is_sql_both_ways(model):
    col = _col(model, "pric")
    model.sort(col, Qt.SortOrder.DescendingOrder)
    assert not model.canFetchMore(QModelIndex())
    prices = [float(model.data(model.index(r, col))) for r in range(model.rowCount())]
    assert prices == sorted(prices, reverse=True) and len(prices) == 2 * PAGE + 37
    model.sort(-1)
    assert model.data(model.index(0, _col(model, "feedetl_sn"))) == "F00000000"
