"""Institutions of the demo region and the wards of those that admit inpatients."""
from __future__ import annotations

from dataclasses import dataclass, field

from inspector.demo.catalogue import DEPARTMENTS, WARD_SUFFIX, Department

REGION_ADMDVS = "610100"  # Xi'an

_DEPT = {d.kind: d for d in DEPARTMENTS}
GP_DEPT = Department("0101", "全科医学科", "gp", (("J18.900", "肺炎"), ("I10.x00", "原发性高血压"),
                                                ("E11.900", "2型糖尿病"), ("J44.100", "慢性阻塞性肺病伴急性加重")),
                     None, (4, 10))


@dataclass(frozen=True)
class Ward:
    """A ward: code, name, its department and approved beds."""

    ward_codg: str
    ward_name: str
    dept: Department
    beds: int


@dataclass
class Institution:
    """One designated institution and how busy the generator makes it."""

    code: str
    name: str
    role: str            # 'main', 'hospital', 'clinic', 'pharmacy'
    fixmedins_type: str  # '1' medical institution, '2' retail pharmacy
    tier: str | None     # hosp_lv
    admdvs: str
    addr: str
    credit_grade: str | None
    outpatients_per_day: int
    wards: list[Ward] = field(default_factory=list)
    reserved_beds: int = 0  # beds per ward kept for planted stays (main institution only)
    lines_per_day: tuple[int, int] = (1, 2)  # drug lines per inpatient day

    @property
    def aprv_bed_cnt(self) -> int:
        return sum(w.beds for w in self.wards)

    @property
    def tier_index(self) -> int:
        """Index into Item.price: 0 for tier 3, 1 for tier 2, 2 for tier 1 and clinics."""
        return {"3": 0, "2": 1}.get(self.tier or "1", 2)


def _wards(prefix: str, plan: list[tuple[str, int, int]]) -> list[Ward]:
    """`plan`: (department kind, number of wards, beds per ward)."""
    wards: list[Ward] = []
    n = 0
    for kind, count, beds in plan:
        dept = GP_DEPT if kind == "gp" else _DEPT[kind]
        for i in range(count):
            n += 1
            name = f"{dept.name}{WARD_SUFFIX[i]}病区" if count > 1 else f"{dept.name}病区"
            wards.append(Ward(f"{prefix}{n:02d}", name, dept, beds))
    return wards


_MAIN_SMALL = [("card", 1, 7), ("resp", 1, 7), ("neuro", 1, 7), ("surg", 1, 7), ("rehab", 1, 7)]
_MAIN_HOSPITAL = [("card", 3, 50), ("resp", 3, 50), ("gast", 2, 50), ("neuro", 3, 50), ("endo", 2, 50),
                  ("nephro", 2, 50), ("surg", 3, 50), ("ortho", 3, 50), ("obst", 2, 50), ("ped", 2, 50),
                  ("onco", 2, 50), ("icu", 1, 50), ("rehab", 1, 50), ("tcm", 1, 50)]


def build_institutions(scale: str) -> list[Institution]:
    """The six institutions of the region; only the main hospital grows with `scale`."""
    hospital = scale == "hospital"
    main = Institution(
        "H61011300001", "西安曲江新区人民医院", "main", "1", "3", "610113",
        "陕西省西安市雁塔区曲江池南路 168 号", "A",
        outpatients_per_day=520 if hospital else 6,
        wards=_wards("BQ", _MAIN_HOSPITAL if hospital else _MAIN_SMALL),
        reserved_beds=2, lines_per_day=(3, 5) if hospital else (1, 2))
    second = Institution(
        "H61010400007", "西安市碑林区长乐医院", "hospital", "1", "2", "610104",
        "陕西省西安市碑林区长乐西路 52 号", "B", outpatients_per_day=3,
        wards=_wards("NK", [("resp", 1, 5), ("surg", 1, 5), ("obst", 1, 4)]))
    first = Institution(
        "H61011200015", "未央区张家堡街道社区卫生服务中心", "hospital", "1", "1", "610112",
        "陕西省西安市未央区凤城七路 27 号", "A", outpatients_per_day=2,
        wards=_wards("QK", [("gp", 1, 5)]))
    clinic = Institution(
        "H61011300236", "雁塔区仁和堂中医诊所", "clinic", "1", "1", "610113",
        "陕西省西安市雁塔区含光路南段 9 号", None, outpatients_per_day=2)
    pharm1 = Institution(
        "P61011300042", "陕西众康大药房连锁有限公司含光路店", "pharmacy", "2", None, "610113",
        "陕西省西安市雁塔区含光路 77 号", "A", outpatients_per_day=4)
    pharm2 = Institution(
        "P61010300118", "西安仁寿堂医药有限公司文艺路药店", "pharmacy", "2", None, "610103",
        "陕西省西安市碑林区文艺北路 15 号", "B", outpatients_per_day=3)
    return [main, second, first, clinic, pharm1, pharm2]
