"""A rich sample `ReportData` for tests, the benchmark and `report --sample`: many rows, Chinese text, photos."""
from __future__ import annotations

import io
import random
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from PIL import Image, ImageDraw

from inspector.reports.model import (
    ROLE_INSPECTOR, ROLE_LEAD, CensusRow, EvidencePhoto, FindingRow, LeadRow, RecordReviewRow, ReportData, StockRow,
    TeamMember,
)

CENT = Decimal("0.01")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"
DRUGS = ["阿莫西林胶囊", "头孢克肟分散片", "注射用头孢曲松钠", "复方丹参滴丸", "阿托伐他汀钙片", "盐酸二甲双胍片",
         "奥美拉唑肠溶胶囊", "银杏叶提取物注射液", "氯化钠注射液", "人血白蛋白"]
CATEGORIES = [
    ("V01", "《医疗保障基金使用监督管理条例》第三十八条第（一）项", "1–2 倍", "分解住院、挂床住院"),
    ("V03", "《医疗保障基金使用监督管理条例》第三十八条第（三）项", "1–2 倍", "重复收费、超标准收费"),
    ("V04", "《医疗保障基金使用监督管理条例》第三十八条第（四）项", "1–2 倍", "串换药品"),
    ("F01", "《医疗保障基金使用监督管理条例》第四十条第（一）项", "2–5 倍", "冒名住院"),
    ("F03", "《医疗保障基金使用监督管理条例》第四十条第（三）项", "2–5 倍", "虚构医药服务项目"),
]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def sample_photo(seed: int, size: tuple[int, int] = (640, 480)) -> bytes:
    """A JPEG with coloured shapes, deterministic for `seed`."""
    rng = random.Random(seed)
    im = Image.new("RGB", size, (rng.randrange(120, 255), rng.randrange(120, 255), rng.randrange(120, 255)))
    draw = ImageDraw.Draw(im)
    for _ in range(12):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        r = rng.randrange(10, max(11, size[0] // 6))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=85)
    return buf.getvalue()


def sample_signature_png() -> bytes:
    """A transparent PNG with a scribble, like the signature pad produces."""
    im = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(im)
    pts = [(40 + i * 9, 100 + int(40 * ((i % 7) - 3) / 3)) for i in range(55)]
    draw.line(pts, fill=(10, 20, 90, 255), width=5)
    draw.line([(80, 150), (520, 60)], fill=(10, 20, 90, 255), width=4)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def sample_report_data(*, findings: int = 40, census: int = 60, stock: int = 20, records: int = 30, leads: int = 50,
                       photos: int = 6, photo_size: tuple[int, int] = (640, 480), approved: bool = False,
                       seed: int = 7) -> ReportData:
    """A report with enough rows that tables run over pages."""
    rng = random.Random(seed)
    visit = datetime(2026, 11, 20, 9, 30)
    team = [TeamMember("张伟", "医保执字 3201-0012", ROLE_INSPECTOR),
            TeamMember("李娜", "医保执字 3201-0047", ROLE_INSPECTOR),
            TeamMember("王建国", "医保执字 3201-0003", ROLE_LEAD)]
    finding_rows = []
    for i in range(findings):
        code, basis, band, what = CATEGORIES[i % len(CATEGORIES)]
        amount = Decimal(rng.randrange(5_000, 2_000_000)) / 100
        mult = Decimal("1") if code.startswith("V") else Decimal("2")
        finding_rows.append(FindingRow(
            category=f"{code} {what}", basis=basis,
            description=f"第{i + 1}项：{_name(rng)}住院期间{what}，涉及费用明细{rng.randrange(1, 40)}条，经现场核实属实。",
            amount=amount, recovery=amount, fine_range=band, multiplier=mult,
            fine=(amount * mult).quantize(CENT, rounding=ROUND_HALF_UP),
            handling="责令退回违规资金，处违规金额相应倍数罚款", status="approved",
            source=f"S{1 + i % 9} #{1000 + i}"))
    census_rows = [CensusRow(
        ward=f"{rng.choice(['内科', '外科', '骨科', '康复科'])}{1 + i % 3}病区", bed=f"{1 + i % 40:02d}床",
        patient=_name(rng), days=rng.randrange(1, 40),
        outcome=rng.choice(["present", "present", "present", "absent", "on_leave", "identity_mismatch", "discharged"]),
        checked_at=visit + timedelta(minutes=2 * i), amount=Decimal(rng.randrange(0, 900_000)) / 100,
        note=rng.choice(["", "床头卡与身份证一致", "护士站称外出未请假", "请假条已拍照"])) for i in range(census)]
    stock_rows = []
    for i in range(stock):
        expected = Decimal(rng.randrange(0, 5000))
        counted = expected + rng.randrange(-60, 30)
        var = counted - expected
        stock_rows.append(StockRow(
            code=f"XA{10000 + i}", name=DRUGS[i % len(DRUGS)], unit=rng.choice(["盒", "支", "瓶", "粒"]),
            expected=expected, counted=counted, variance=var,
            variance_rate=(var / expected).quantize(Decimal("0.0001")) if expected else None,
            amount=(abs(var) * Decimal("12.35")).quantize(CENT),
            verdict="within" if abs(var) <= max(1, expected / 100) else ("shortage" if var < 0 else "surplus")))
    record_rows = [RecordReviewRow(
        mdtrt_id=f"MD{202600000 + i}", dept=rng.choice(["心内科", "普外科", "骨科", "呼吸科"]), patient=_name(rng),
        result=rng.choice(["pass", "pass", "fail"]), failed_items="每项收费均有医嘱；护理级别与记录相符",
        amount=Decimal(rng.randrange(0, 300_000)) / 100) for i in range(records)]
    lead_rows = [LeadRow(rule=f"S{1 + i % 9}", key=f"H{rng.randrange(10**6):06d}/{date(2026, 9, 1 + i % 28)}",
                         amount=Decimal(rng.randrange(0, 500_000)) / 100,
                         outcome=rng.choice(["confirmed", "dismissed", "open"]), severity=rng.choice(["high", "medium"]),
                         note=rng.choice(["", "现场核实属实", "已提供请假条，排除"])) for i in range(leads)]
    photo_list = [EvidencePhoto(image=sample_photo(seed * 1000 + i, photo_size), caption=f"{i + 1}号病床现场照片（床头卡）",
                                captured_at=visit + timedelta(minutes=3 * i), author=team[i % 2].name)
                  for i in range(photos)]
    return ReportData(
        institution_code="H32010000123", institution_name="南京市示例第一人民医院",
        institution_address="江苏省南京市鼓楼区示例路 88 号", inspection_id=12,
        inspection_uid="5f0c2d1e-8a7b-4c3d-9e2f-0123456789ab",
        window_from=date(2026, 8, 22), window_to=date(2026, 11, 19),
        visit_start=visit, visit_end=visit + timedelta(hours=7, minutes=15), inspection_kind="flight",
        team=team, representative_name="赵敏", representative_title="医保办主任",
        bureau_name="南京市医疗保障局",
        checked=["在院患者床位核查（在院核查）", "药品进销存及库存盘点", "住院病历抽查（随机种子 1，抽取 30 份）",
                 "筛查疑点逐条核实"],
        facts=[f"检查发现{f.category}问题，涉及金额{f.amount:,.2f}元。" for f in finding_rows[:8]],
        findings=finding_rows, census_rows=census_rows,
        census_summary=[f"登记在院 {census} 人，核查 {census} 人；不在床率 {Decimal(12):.1f}%；床位使用率 85.0%。"],
        stock_rows=stock_rows, stock_summary=["抽取药品 20 种（销售额前 10 种加随机 10 种，种子 1）。"],
        record_rows=record_rows, record_summary=["病历总体 412 份，抽取 30 份，随机种子 1。"],
        leads=lead_rows, photos=photo_list,
        settings={"readmission_days": 7, "count_tolerance": "0.01", "bed_only_days": 3, "record_seed": 1,
                  "ward_absence_thresholds": {"1": "0.20", "2": "0.05", "3": "0.03"}},
        approved=approved, generated_at=visit + timedelta(hours=8),
    )
