"""The deduction table: a versioned TOML file (resources/credit/deductions-v1.toml is the default;
its header documents the format), loaded and checked once."""
from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from inspector.errors import UserError, os_reason
from inspector.i18n import _, language
from inspector.resources import resource_path

DEFAULT_TABLE = ("credit", "deductions-v1.toml")
MATCH_KEYS = ("fraud", "category", "source", "rule")
MAX = "max"


def _text(names: dict[str, str]) -> str:
    return names.get(language()) or names.get("zh_CN") or next(iter(names.values()), "")


@dataclass(frozen=True)
class Grade:
    grade: str
    min: Decimal
    names: dict[str, str]

    @property
    def name(self) -> str:
        return _text(self.names)


@dataclass(frozen=True)
class Subject:
    """Institution or doctor: the starting score and the grade thresholds (highest first)."""

    base: Decimal
    grades: tuple[Grade, ...]

    def grade(self, score: Decimal) -> Grade:
        return next(g for g in self.grades if score >= g.min)


@dataclass(frozen=True)
class Points:
    """A deduction: fixed points, MAX (the whole base), or bands by amount involved."""

    fixed: Decimal | None = None
    is_max: bool = False
    bands: tuple[tuple[Decimal | None, Decimal], ...] = ()

    def for_amount(self, amount: Decimal, base: Decimal) -> Decimal:
        if self.is_max:
            return base
        if self.fixed is not None:
            return self.fixed
        for below, points in self.bands:
            if below is None or abs(amount) < below:
                return points
        raise AssertionError("a band table ends with a band without 'below'")


@dataclass(frozen=True)
class Rule:
    id: str
    names: dict[str, str]
    when: dict[str, Any]
    institution: Points
    doctor: Points

    @property
    def name(self) -> str:
        return _text(self.names)

    def matches(self, facts: dict[str, Any]) -> bool:
        return all(facts.get(k) == v for k, v in self.when.items())


@dataclass(frozen=True)
class DeductionTable:
    version: str
    path: Path
    sha256: str
    repeat_multiplier: Decimal
    institution: Subject
    doctor: Subject
    rules: tuple[Rule, ...]

    def rule_for(self, facts: dict[str, Any]) -> Rule | None:
        return next((r for r in self.rules if r.matches(facts)), None)

    def repeated(self, points: Decimal) -> Decimal:
        return (points * self.repeat_multiplier).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _bad(path: Path, where: str, what: str) -> UserError:
    return UserError(_("{file}, {where}: {what}").format(file=path.name, where=where, what=what))


def _dec(path: Path, where: str, value: Any) -> Decimal:
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise _bad(path, where, _("'{value}' is not a number").format(value=value)) from None
    if d < 0 or not d.is_finite():
        raise _bad(path, where, _("'{value}' is not a number of points (0 or more)").format(value=value))
    return d


def _points(path: Path, where: str, value: Any) -> Points:
    if value == MAX:
        return Points(is_max=True)
    if isinstance(value, dict) and "bands" in value:
        bands = []
        for i, b in enumerate(value["bands"]):
            w = f"{where}.bands[{i + 1}]"
            below = _dec(path, w + ".below", b["below"]) if "below" in b else None
            bands.append((below, _dec(path, w + ".points", b.get("points"))))
        if not bands or bands[-1][0] is not None or any(b[0] is None for b in bands[:-1]):
            raise _bad(path, where, _("the last band has no 'below' and only the last"))
        lows = [b[0] for b in bands[:-1]]
        if lows != sorted(lows) or len(set(lows)) != len(lows):
            raise _bad(path, where, _("the bands' 'below' amounts must increase"))
        return Points(bands=tuple(bands))
    return Points(fixed=_dec(path, where, value))


def _subject(path: Path, doc: dict, key: str) -> Subject:
    sec = doc.get(key)
    if not isinstance(sec, dict):
        raise _bad(path, key, _("missing section"))
    grades = tuple(sorted((Grade(str(g["grade"]), _dec(path, f"{key}.grades", g["min"]), dict(g["name"]))
                           for g in sec.get("grades", [])), key=lambda g: -g.min))
    if not grades or grades[-1].min != 0:
        raise _bad(path, f"{key}.grades", _("the lowest grade must start at 0"))
    return Subject(_dec(path, f"{key}.base", sec.get("base")), grades)


def load_table(path: Path | None = None) -> DeductionTable:
    """Load and check a deduction table (default: the shipped deductions-v1)."""
    path = Path(path) if path else resource_path(*DEFAULT_TABLE)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(_("cannot read {file}: {reason}").format(file=path, reason=os_reason(exc))) from None
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(_("{file}: not a valid TOML deduction table ({reason})").format(file=path.name, reason=exc)) from None
    try:
        rules = []
        seen = set()
        for i, r in enumerate(doc.get("rule", [])):
            where = f"rule {r.get('id') or i + 1}"
            when = dict(r.get("when") or {})
            unknown = [k for k in when if k not in MATCH_KEYS]
            if unknown or not when:
                raise _bad(path, where, _("'when' takes {keys}").format(keys=", ".join(MATCH_KEYS)))
            if r["id"] in seen:
                raise _bad(path, where, _("rule id used twice"))
            seen.add(r["id"])
            rules.append(Rule(str(r["id"]), dict(r["name"]), when, _points(path, where + ".institution", r["institution"]),
                              _points(path, where + ".doctor", r.get("doctor", 0))))
        return DeductionTable(str(doc["version"]), path, hashlib.sha256(raw).hexdigest(),
                              _dec(path, "repeat.multiplier", (doc.get("repeat") or {}).get("multiplier", "1")),
                              _subject(path, doc, "institution"), _subject(path, doc, "doctor"), tuple(rules))
    except (KeyError, TypeError) as exc:
        raise UserError(_("{file}: the deduction table lacks {key}").format(file=path.name, key=exc)) from None
