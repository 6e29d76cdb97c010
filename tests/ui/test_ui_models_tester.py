"""Every table model of the UI passes pytest-qt's model tester, filled with real rows."""
from __future__ import annotations



from inspector.inspections import list_inspections
from ui.models.inspections import InspectionsModel


def test_inspections_model(qtmodeltester, ctx):
    m = InspectionsModel()
    with ctx.session() as s:
        m.set_rows(list_inspections(s))
    assert m.rowCount() == 1
    qtmodeltester.check(m, force_py=True)


def test_import_errors_model(qtmodeltester):
    from dataclasses import dataclass

    from ui.new_inspection import ImportErrorsModel

    @dataclass
    class E:   # the shape of inspector.sync.xlsx_errors.CellError
        sheet: str
        row: int | None
        column: str | None
        value: str
        why: str

    m = ImportErrorsModel([E("feedetl", 3, "cnt", "x", "not a number"), E("mdtrt", None, None, "", "missing")])
    qtmodeltester.check(m, force_py=True)


def test_stock_model(qtmodeltester, ctx):
    from inspector.checks.stock import draw_sample, record_count, sample_rows
    from ui.stock import StockModel

    sample = draw_sample(ctx.engine, 1)
    record_count(ctx.engine, 1, sample.drugs[0], "3")
    m = StockModel(lambda code, text: True)
    with ctx.engine.connect() as c:
        m.set_rows(sample_rows(c, 1))
    qtmodeltester.check(m, force_py=True)


def test_findings_model(qtmodeltester, ctx):
    from inspector.findings import create_finding, fold_findings
    from ui.findings import FindingsModel

    create_finding(ctx.engine, 1, "manual", category_code="V03", amount="12.00", description="x", actor=ctx.actor)
    m = FindingsModel()
    with ctx.engine.connect() as c:
        m.set_findings(fold_findings(c, 1))
    qtmodeltester.check(m, force_py=True)


def test_leads_model(qtmodeltester, ctx):
    from inspector.screening.leads import list_leads
    from inspector.screening.runner import run_screening
    from ui.leads import LeadsModel

    run_screening(ctx.engine, 1, rules=["S3", "S4"])
    m = LeadsModel()
    m.set_leads(list_leads(ctx.engine, 1))
    assert m.rowCount() > 0
    qtmodeltester.check(m, force_py=True)
