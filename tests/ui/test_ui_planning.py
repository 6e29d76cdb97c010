"""The Planning screen: rank the demo region (table and charts), publish the ranking, draw a
weighted plan from it, save the plan; and the credit appendix on the Documents screen."""
from __future__ import annotations

import json
from datetime import datetime

from PySide6.QtCore import QDate, QDateTime, Qt

from inspector.demo.central import build_demo_central  # noqa: E402
from inspector.planning.pools import csv_pool_text  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402


def test_rank_publish_draw_and_save(qtbot, ctx, tmp_path):
    m = build_demo_central(tmp_path / "central.db", seed=1, scale="small")
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    view = w.show_planning()
    assert w.stack.currentWidget() is view
    view.central_url.setText(str(tmp_path / "central.db"))
    view.date_from.setDate(QDate.fromString(m.date_from, "yyyy-MM-dd"))
    view.date_to.setDate(QDate.fromString(m.date_to, "yyyy-MM-dd"))
    qtbot.mouseClick(view.rank_button, Qt.MouseButton.LeftButton)
    assert ctx.tasks.wait_idle(120_000)
    assert view.rank_model.rowCount() == 6, view.message.text()
    top = view.rank_model.index(0, 1).data()
    assert top == m.main_institution                                  # the planted cases rank it first
    assert view.top_chart.bars and view.rule_chart.bars               # the charts have bars
    assert len(view.rule_chart.bars) == 9 and "S1" in view.rule_chart.bars[0][0]
    view.rank_table.selectRow(5)
    assert view.rank_model.index(5, 2).data() in view.rule_chart.title
    # publish, then draw weighted by it
    ranking = view.write_ranking(tmp_path / "ranking.json")
    doc = json.loads(ranking.read_text(encoding="utf-8"))
    assert "published_at" in doc and len(doc["institutions"]) == 6
    published = datetime.strptime(doc["published_at"], "%Y-%m-%d %H:%M:%S")
    people = [[f"I{j:02d}", f"检查员{j}", ["610113", "610104", "610112"][j % 3], ""] for j in range(8)]
    pool = tmp_path / "inspectors.csv"
    pool.write_text(csv_pool_text(published.replace(year=published.year - 1),
                                  ["inspector_id", "name", "district", "relations"], people), encoding="utf-8")
    view.tabs.setCurrentIndex(1)
    view.people_path.setText(str(pool))
    assert view.units_path.text() == str(ranking) and view.weighted.isChecked()
    view.n_spin.setValue(3)
    view.k_spin.setValue(2)
    view.seed.setText("lottery-0392")
    # a seed chosen before the ranking was published is refused, with a message
    view.seed_time.setDateTime(QDateTime(published.replace(year=published.year - 1)))
    qtbot.mouseClick(view.draw_button, Qt.MouseButton.LeftButton)
    assert view.plan_model.rowCount() == 0 and "种子" in view.message.text()
    view.seed_time.setDateTime(QDateTime.currentDateTime())
    if view.seed_time.dateTime().toPython().replace(microsecond=0) <= published:
        qtbot.wait(1100)
        view.seed_time.setDateTime(QDateTime.currentDateTime())
    qtbot.mouseClick(view.draw_button, Qt.MouseButton.LeftButton)
    assert view.plan_model.rowCount() == 3, view.message.text()
    assert "lottery-0392" in view.plan_header.text() and view.plan.institutions_pool.sha256 in view.plan_header.text()
    folder = view.write_plan(tmp_path / "plan")
    assert (folder / "plan.pdf").read_bytes().startswith(b"%PDF")
    saved = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    assert [d["fixmedins_code"] for d in saved["draws"]] == [view.plan_model.index(i, 1).data() for i in range(3)]
    # the language switch retranslates the screen
    w.set_language("en")
    model, across = view.rank_model, Qt.Orientation.Horizontal
    assert view.tabs.tabText(0) == "Risk ranking" and model.headerData(model.columnCount() - 1, across) == "Last inspected"
    # the per-rule columns of `rank`'s table, in the language of the moment, with the same amounts
    from inspector.ranking.output import headers

    assert [model.headerData(c, across) for c in range(model.columnCount())] == headers(model.ranking)
    assert model.columnCount() == 7 + 9 and model.headerData(6, across).startswith("S1 ")
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in model.headerData(6, across))
    first = model.ranking.institutions[0]
    assert [model.index(0, 6 + k).data() for k in range(9)] == [f"{v['amount']:,.2f}" for v in first.rules.values()]


def test_documents_screen_shows_the_credit_appendix(qtbot, ctx):
    from inspector.findings import create_finding, review_finding, submit_finding

    li, lead = ctx.people["li"], ctx.people["zhang"]       # the test team's inspector and lead
    create_finding(ctx.engine, 1, "manual", category_code="F01", amount="800.00", description="冒名住院", handling="追回",
                   actor=li)
    create_finding(ctx.engine, 1, "manual", category_code="V03", amount="5000.00", description="重复收费", handling="追回",
                   actor=li)
    for n in (1, 2):
        submit_finding(ctx.engine, 1, n, actor=li)
        review_finding(ctx.engine, 1, n, "approve", "", actor=lead)
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    view = w.open_inspection(1).show_screen("documents")
    lines = [view.credit_list.item(i).text() for i in range(view.credit_list.count())]
    # F01: 40 points; V03 at 5000.00, the edge of the first band: 4 points -> 56, grade D
    assert "得分 56" in lines[0] and "D（较差）" in lines[0], lines
    assert any("R02" in x and "40" in x for x in lines) and any("R21" in x and "4" in x for x in lines)
    assert view.credit_box.title() == "附件6：信用评价"
