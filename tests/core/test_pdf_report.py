"""The inspection PDF: embedded subset CJK font, Chinese text back intact, repeated table headers,
page footers, DRAFT until approved, totals kept apart, hand signature or refusal, photos."""
from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields

from inspector.errors import UserError
from inspector.reports.model import with_hand_signature, with_refusal
from inspector.reports.pdf import render_report
from inspector.reports.photos import pdf_ready_jpeg
from inspector.reports.sample import sample_photo, sample_report_data, sample_signature_png


def page_texts(pdf: Path, pages: int) -> list[str]:
    return [subprocess.run(["pdftotext", "-f", str(i), "-l", str(i), str(pdf), "-"], check=True,
                           capture_output=True, text=True).stdout for i in range(1, pages + 1)]


@pytest.fixture(scope="module")
def draft(tmp_path_factory):
    data = with_hand_signature(sample_report_data(), sample_signature_png())
    out = tmp_path_factory.mktemp("pdf") / "draft.pdf"
    info = render_report(data, out)
    return data, out, info, page_texts(out, info.pages)


@pytest.fixture(scope="module")
def approved(tmp_path_factory):
    data = with_refusal(sample_report_data(approved=True, findings=3, census=5, photos=1),
                        "代表称需请示院领导，拒绝在笔录上签字；检查人员当场记录。")
    out = tmp_path_factory.mktemp("pdf") / "approved.pdf"
    info = render_report(data, out)
    return data, out, info, page_texts(out, info.pages)


def test_every_font_is_embedded_and_subset(draft, approved):
    for _data, pdf, _info, _texts in (draft, approved):
        out = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
        rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
        assert rows, out
        for row in rows:
            name, emb, sub = row[0], row[-5], row[-4]
            assert (emb, sub) == ("yes", "yes"), out
            assert re.match(r"^[A-Z]{6}\+WenQuanYiMicroHei", name), out


def test_chinese_text_comes_back_intact(draft):
    data, _pdf, _info, texts = draft
    text = "".join(texts)
    for heading in ("现场检查笔录", "问题清单", "一、检查内容", "二、检查发现的事实", "附件1：在院核查表",
                    "附件2：药品盘点表", "附件3：病历评审表", "附件4：疑点及核实结果", "附件5：证据照片"):
        assert heading in text
    for member in data.team:
        assert member.name in text and member.cert_no in text
    assert data.institution_name in text and data.institution_address in text
    assert "检查人员已向被检查单位出示执法证件" in text
    assert data.findings[0].description[:20] in text.replace("\n", "")


def _pages_between(texts: list[str], start: str, end: str) -> list[str]:
    first = next(i for i, t in enumerate(texts) if start in t.splitlines())
    last = next(i for i, t in enumerate(texts) if end in t.splitlines())
    return texts[first:last]


def test_long_tables_repeat_their_header_on_every_page(draft):
    _data, _pdf, _info, texts = draft
    census = _pages_between(texts, "附件1：在院核查表", "附件2：药品盘点表")
    assert len(census) >= 2, "the census table should run over a page"
    for page in census:
        assert "核查结果" in page and "核查时间" in page and "违规金额" in page and "备注" in page
    findings = _pages_between(texts, "问题清单", "本清单使用的设置")
    assert len(findings) >= 3
    for page in findings:
        assert "法律依据" in page and "罚款金额" in page and "处理意见" in page
    leads = _pages_between(texts, "附件4：疑点及核实结果", "附件5：证据照片")
    assert len(leads) >= 2 and all("疑点标识" in p and "核查结果" in p for p in leads)


def test_footer_numbers_every_page(draft):
    _data, _pdf, info, texts = draft
    assert info.pages == len(texts) >= 10
    for i, text in enumerate(texts, 1):
        assert f"第 {i} 页 共 {info.pages} 页" in text
        assert "南京市示例第一人民医院（H32010000123）" in text      # header: institution
        assert "检查编号 12 · 5f0c2d1e" in text                     # header: inspection id


def test_draft_watermark_until_approved(draft, approved):
    for text in draft[3]:
        assert "草稿：未经检查组组长审核" in text
        assert "草" in text.replace("草稿：", "")                   # the big diagonal watermark
    for text in approved[3]:
        assert "草稿" not in text and "DRAFT" not in text


def test_findings_list_keeps_recovery_and_fines_apart(draft):
    data, _pdf, _info, texts = draft
    text = "".join(texts)
    assert data.recovery_total != data.fine_total
    assert "追回金额合计（退回医保基金）" in text and f"{data.recovery_total:,.2f}" in text
    assert "罚款合计（上缴国库）" in text and f"{data.fine_total:,.2f}" in text
    assert f"{data.recovery_total + data.fine_total:,.2f}" not in text      # never added together
    assert "本清单使用的设置" in text and "再入院间隔（S1）" in text and "盘点允差" in text
    assert "readmission_days" not in text and "count_tolerance" not in text and "{" not in text


def test_hand_signature_image_and_refusal(draft, approved):
    _data, pdf, _info, texts = draft
    images = subprocess.run(["pdfimages", "-list", str(pdf)], check=True, capture_output=True, text=True).stdout
    record_pages = {int(line.split()[0]) for line in images.splitlines()[2:] if line.split()[2] == "image"}
    sig_page = next(i for i, t in enumerate(texts, 1) if "被检查单位代表（签名）" in t)
    assert sig_page in record_pages, "the hand signature image sits on the representative's line page"
    assert "拒绝签字" not in "".join(texts)
    data, _pdf, _info, approved_texts = approved
    text = "".join(approved_texts).replace("\n", "")
    assert "被检查单位代表拒绝签字" in text and "代表称需请示院领导" in text


def test_refusal_needs_a_note_and_signature_must_be_png():
    data = sample_report_data(findings=1)
    with pytest.raises(UserError):
        with_refusal(data, "  ")
    with pytest.raises(UserError):
        with_hand_signature(data, sample_photo(1))                  # a JPEG, not a PNG
    blank = io.BytesIO()
    Image.new("RGBA", (100, 40), (0, 0, 0, 0)).save(blank, format="PNG")
    with pytest.raises(UserError):
        with_hand_signature(data, blank.getvalue())                 # nothing drawn


def test_photos_carry_caption_time_author_and_sha256(draft):
    data, pdf, _info, texts = draft
    text = re.sub(r"\s+", "", "".join(texts))
    for n, photo in enumerate(data.photos, 1):
        assert photo.digest() in text                                # full 64 hex digits
        assert re.sub(r"\s+", "", f"照片{n}：{photo.caption}") in text
        assert photo.author in text
    images = subprocess.run(["pdfimages", "-list", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert sum(1 for line in images.splitlines()[2:] if line.split()[2] == "image") == len(data.photos) + 1


def test_large_photos_are_scaled_down():
    big = sample_photo(3, (1920, 1080))
    jpeg, w, h = pdf_ready_jpeg(big)
    assert max(w, h) <= 800 * 1.05 and len(jpeg) < len(big)
    small = sample_photo(4, (320, 240))
    assert pdf_ready_jpeg(small)[0] == small                         # kept as is


def test_signature_fields_sit_on_the_lines_in_signing_order(draft):
    data, pdf, info, texts = draft
    assert [f.name for f in info.signature_fields] == ["inspector_1", "inspector_2", "lead"]
    assert [f.signer_name for f in info.signature_fields] == ["张伟", "李娜", "王建国"]
    sig_page = next(i for i, t in enumerate(texts) if "检查组组长（签名）" in t)
    reader = PdfFileReader(io.BytesIO(pdf.read_bytes()))
    fields = {name: (value, ref.get_object()) for name, value, ref in enumerate_sig_fields(reader)}
    assert set(fields) == {"inspector_1", "inspector_2", "lead"}
    for f in info.signature_fields:
        value, widget = fields[f.name]
        assert value is None                                           # empty until signed
        assert f.page == sig_page
        rect = [float(v) for v in widget["/Rect"]]
        assert rect == pytest.approx([round(v) for v in f.rect], abs=1)
        assert 0 < rect[0] < rect[2] < 595 and 0 < rect[1] < rect[3] < 842


def test_pages_render_without_errors(draft, tmp_path):
    _data, pdf, info, _texts = draft
    proc = subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "p")],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stderr == ""
    assert len(list(tmp_path.glob("p-*.png"))) == info.pages


def test_every_document_message_has_a_chinese_translation():
    from babel.messages.pofile import read_po

    from inspector.resources import resource_path

    translated: set[str] = set()
    for po in resource_path("locale", "zh_CN", "LC_MESSAGES").glob("*.po"):      # any area's catalog
        with open(po, "rb") as f:
            translated |= {m.id for m in read_po(f) if m.id and m.string}
    used: set[str] = set()
    root = Path(__file__).resolve().parents[2] / "inspector"
    for path in [*(root / "reports").glob("*.py"), *(root / "signing").glob("*.py"), root / "cli" / "documents.py"]:
        for m in re.finditer(r'\bN?_\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\)', path.read_text(encoding="utf-8")):
            used.add("".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))))
    assert used and not (used - translated), sorted(used - translated)


def test_workbook_has_findings_with_separate_totals_and_appendices(tmp_path):
    from decimal import Decimal

    from openpyxl import load_workbook

    from inspector.reports.xlsx import write_report_xlsx

    data = sample_report_data(findings=25, census=8, stock=4, records=3, leads=6, photos=2)
    out = write_report_xlsx(data, tmp_path / "r.xlsx")
    wb = load_workbook(out, read_only=True)
    assert wb.sheetnames == ["问题清单", "本清单使用的设置", "附件1：在院核查表", "附件2：药品盘点表", "附件3：病历评审表",
                             "附件4：疑点及核实结果", "附件5：证据照片"]
    rows = list(wb["问题清单"].iter_rows(values_only=True))
    assert rows[0][:5] == ("序号", "问题类别", "法律依据", "问题描述", "违规金额")
    body = rows[1:1 + len(data.findings)]
    assert Decimal(str(round(sum(r[8] for r in body), 2))) == data.fine_total
    n = len(data.findings)
    totals = {r[1]: r for r in rows if r and r[1] and "合计" in str(r[1])}
    assert totals["追回金额合计（退回医保基金）"][5] == f"=SUM(F2:F{n + 1})"     # totals are formulas
    assert totals["罚款合计（上缴国库）"][8] == f"=SUM(I2:I{n + 1})"
    assert sum(Decimal(str(r[5])) for r in body) == data.recovery_total
    photos = list(wb["附件5：证据照片"].iter_rows(values_only=True))
    assert [r[4] for r in photos[1:]] == [p.digest() for p in data.photos]
    wb.close()


def test_very_long_cell_text_does_not_break_the_layout(tmp_path):
    from dataclasses import replace

    data = sample_report_data(findings=2, census=0, stock=0, records=0, leads=0, photos=0)
    long_text = "患者住院期间多次重复收取同一检查项目费用，" * 300
    data.findings[0] = replace(data.findings[0], description=long_text)
    data.facts = [long_text]                                  # the record keeps the full text (paragraphs split)
    info = render_report(data, tmp_path / "long.pdf")
    text = "".join(page_texts(tmp_path / "long.pdf", info.pages)).replace("\n", "")
    assert text.count("患者住院期间多次重复收取同一检查项目费用") >= 300
    assert "…" in text
