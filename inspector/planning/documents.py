"""The draw plan as a PDF (same fonts, page furniture and signature lines as the reports; signed
with `sign`) and as a workbook."""
from __future__ import annotations

import io
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from inspector.coltypes import TIMESTAMP_FORMAT
from inspector.i18n import N_, _
from inspector.planning.draw import ALGORITHM, Plan
from inspector.reports.fonts import FONT_NAME, styles
from inspector.reports.layout import (MARGIN_BOTTOM, MARGIN_TOP, MARGIN_X, PAGE_SIZE, PageDecor, SignatureLine,
                                      data_table, numbered_canvas, para)
from inspector.reports.model import SignatureField
from inspector.outputs import write_atomically
from inspector.reports.pdf import add_signature_fields

REASON_TEXT = {
    "last_inspection": N_("inspected this institution last time"),
    "declared_relation": N_("declared a relation with this institution"),
    "same_district": N_("from the institution's own district"),
}
RULE_TEXT = {
    "applied": N_("inspectors from other districts only"),
    "relaxed": N_("too few inspectors from other districts: own district allowed"),
}
# The plan's signature lines: whoever drew it, then a witness (the `sign` command's --field).
SIGNATURE_LINES = (("plan_drawer", N_("Drawn by")), ("plan_witness", N_("Witness")))


def algorithm_text(plan: Plan) -> str:
    """The algorithm in words, for the plan's readers (the README has the Python)."""
    how = (_("weighted by the ranking: weight = max(1, leads per 10,000 yuan in cents), one institution at a time "
             "with r = rng.randrange(total weight)") if plan.weighted else _("uniform: rng.sample(institutions sorted by code, N)"))
    return _("{algorithm}: rng = random.Random(\"seed|SHA-256 of the institutions pool|SHA-256 of the inspectors pool\"); "
             "{how}; then, per drawn institution in order, team = rng.sample(inspectors sorted by id without a conflict "
             "and not yet on a team, K), from other districts when enough are left").format(algorithm=ALGORITHM, how=how)


def _pool_rows(plan: Plan) -> list[list[str]]:
    return [[_(label), p.name, p.published_at.strftime(TIMESTAMP_FORMAT), str(len(p.rows)), p.sha256]
            for label, p in ((N_("Ranking") if plan.institutions_pool.kind == "ranking" else N_("Institutions pool"),
                              plan.institutions_pool),
                             (N_("Inspectors pool"), plan.inspectors_pool))]


def _draw_rows(plan: Plan) -> list[list[str]]:
    return [[d.order, d.institution.code, d.institution.name, d.institution.district,
             "、".join(f"{p.name}（{p.inspector_id}）" for p in d.team), _(RULE_TEXT[d.district_rule])]
            for d in plan.draws]


def _conflict_rows(plan: Plan) -> list[list[str]]:
    return [[d.institution.code, d.institution.name, f"{c.name}（{c.inspector_id}）", _(REASON_TEXT[c.reason])]
            for d in plan.draws for c in d.conflicts]


def render_plan_pdf(plan: Plan, out: Path, signers: dict[str, str] | None = None) -> list[SignatureField]:
    """Write the plan PDF with empty signature fields (plan_drawer, then plan_witness)."""
    st = styles()
    mono = st["mono"]
    signers = signers or {}
    registry: list[SignatureField] = []
    story = [
        Paragraph(_("Random inspection plan (double random draw)"), st["title"]),
        para(_("Seed: {seed}    chosen at: {seed_time}    drawn at: {drawn_at}").format(
            seed=plan.seed, seed_time=plan.seed_time.strftime(TIMESTAMP_FORMAT),
            drawn_at=plan.drawn_at.strftime(TIMESTAMP_FORMAT)), st["body"]),
        para(_("Institutions drawn: {n}; inspectors per team: {k}").format(n=plan.n, k=plan.team_size), st["body"]),
        Spacer(1, 3 * mm),
        Paragraph(_("Pools"), st["h2"]),
        data_table([_("Pool"), _("File"), _("Published at"), _("Rows"), "SHA-256"], _pool_rows(plan),
                   [18, 30, 26, 10, 80], {**st, "cell": mono}),
        Spacer(1, 2 * mm),
        Paragraph(_("Algorithm"), st["h2"]),
        para(algorithm_text(plan), st["small"]),
        Paragraph(_("Institutions and teams drawn"), st["h2"]),
        data_table([_("No."), _("Institution code"), _("Institution name"), _("District"), _("Team"), _("District rule")],
                   _draw_rows(plan), [8, 24, 44, 14, 50, 30], st),
        Paragraph(_("Conflicts excluded"), st["h2"]),
    ]
    conflicts = _conflict_rows(plan)
    story.append(data_table([_("Institution code"), _("Institution name"), _("Excluded inspector"), _("Reason")], conflicts,
                            [24, 50, 36, 50], st) if conflicts else para(_("None."), st["body"]))
    story.append(Spacer(1, 6 * mm))
    for field_name, label in SIGNATURE_LINES:
        name = signers.get(field_name, "")
        story.append(SignatureLine(label=_(label), name=name, detail="", st=st, field_name=field_name, role="plan",
                                   registry=registry))
    decor = PageDecor(header_left=_("Random inspection plan"), header_right=f"{ALGORITHM} · {plan.seed}", draft=False)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=PAGE_SIZE, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
                            bottomMargin=MARGIN_BOTTOM, title=_("Random inspection plan"), author="Inspector",
                            creator="Inspector", initialFontName=FONT_NAME)
    doc.build(story, canvasmaker=numbered_canvas(decor))
    write_atomically(Path(out), add_signature_fields(buf.getvalue(), registry))
    return registry


def write_plan_xlsx(plan: Plan, out: Path) -> Path:
    """The plan as a workbook: draws, conflicts, pools with digests and the algorithm."""
    from openpyxl import Workbook

    from inspector.reports.xlsx import _sheet

    wb = Workbook(write_only=True)
    _sheet(wb, _("Institutions and teams drawn"),
           [_("No."), _("Institution code"), _("Institution name"), _("District"), _("Team"), _("District rule")],
           _draw_rows(plan), [6, 16, 36, 10, 40, 30])
    _sheet(wb, _("Conflicts excluded"), [_("Institution code"), _("Institution name"), _("Excluded inspector"), _("Reason")],
           _conflict_rows(plan), [16, 36, 20, 36])
    _sheet(wb, _("Pools"), [_("Pool"), _("File"), _("Published at"), _("Rows"), "SHA-256"], _pool_rows(plan),
           [16, 30, 20, 8, 70])
    _sheet(wb, _("Algorithm"), [_("Setting name"), _("Setting value")],
           [[_("Seed"), plan.seed], [_("Seed time"), plan.seed_time.strftime(TIMESTAMP_FORMAT)],
            [_("Drawn at"), plan.drawn_at.strftime(TIMESTAMP_FORMAT)], [_("Algorithm"), algorithm_text(plan)]],
           [16, 120])
    buf = io.BytesIO()
    wb.save(buf)
    write_atomically(Path(out), buf.getvalue())
    return Path(out)
