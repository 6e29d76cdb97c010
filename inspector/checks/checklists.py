"""Record-review checklist templates: the brief's default built in, a bureau's own loadable.

A template is a definition identified by name and version; its content hash (SHA-256 of
the canonical JSON body) decides the version: importing the same content again gives the
same version, changed content a new one. An inspection pins name, version and hash when
its record sample is drawn, so later imports never change a review already under way.

File format (UTF-8 JSON):
    {"name": "bureau-2026", "title": "...",                  (title optional)
     "items": [{"id": "admission_indication",                 ([a-z0-9_], unique)
                "label": {"zh_CN": "入院指征符合", "en": "Admission indication met"},
                "category": "V02"}, ...]}                      (optional, default V07)
A label is a string or an object with "zh_CN" and/or "en".
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from inspector.coltypes import TIMESTAMP_FORMAT
from inspector.db import write_transaction
from inspector.errors import UserError
from inspector.events import canonical_json
from inspector.i18n import N_, _, gettext, language
from inspector.models import ChecklistTemplate

DEFAULT_NAME = "default"
OUTCOMES = ("pass", "fail", "na")
CATEGORY_CODES = ("V01", "V02", "V03", "V04", "V05", "V06", "V07", "F01", "F02", "F03", "F04", "M01", "P01")
LABEL_LANGS = ("zh_CN", "en")
_ID_RE = re.compile(r"^[a-z0-9_]{1,40}$")
_NAME_RE = re.compile(r"^[^:\s][^:]{0,79}$")

# The brief's default checklist; labels are English msgids translated through i18n (checks.po).
# Category: the finding category a failure of the item suggests (the inspector may change it).
BUILTIN_BODY: dict[str, Any] = {
    "name": DEFAULT_NAME,
    "title": N_("Record review checklist (default)"),
    "items": [
        {"id": "admission_indication", "label": N_("Admission indication met"), "category": "V02"},
        {"id": "diagnosis_treatment", "label": N_("Diagnosis consistent with treatment"), "category": "V02"},
        {"id": "charges_ordered", "label": N_("Every charge backed by an order"), "category": "V03"},
        {"id": "no_duplicate_split", "label": N_("No duplicate or split charging"), "category": "V03"},
        {"id": "nursing_level", "label": N_("Nursing level matches the records"), "category": "V03"},
        {"id": "tests_justified", "label": N_("Tests justified"), "category": "V02"},
        {"id": "drugs_appropriate", "label": N_("Drugs appropriate in indication and quantity"), "category": "V02"},
        {"id": "therapy_documented", "label": N_("Therapy and rehabilitation sessions documented"), "category": "F03"},
        {"id": "front_page_billing", "label": N_("Front page consistent with billing"), "category": "V07"},
    ],
}


@dataclass(frozen=True)
class Template:
    """One stored version of a checklist template."""

    name: str
    version: int
    sha256: str
    body: dict[str, Any]
    created_at: str

    @property
    def items(self) -> list[dict[str, Any]]:
        return list(self.body["items"])

    def item(self, item_id: str) -> dict[str, Any] | None:
        return next((i for i in self.body["items"] if i["id"] == item_id), None)

    @property
    def pin(self) -> dict[str, Any]:
        """What an inspection stores to pin this exact version."""
        return {"name": self.name, "version": self.version, "sha256": self.sha256}


def body_sha256(body: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a template body."""
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def label_text(label: str | dict[str, str], lang: str | None = None) -> str:
    """A label in the current (or given) language: translated msgid, or the template's own text."""
    lang = lang or language()
    if isinstance(label, str):
        return gettext(label, lang)
    return label.get(lang) or label.get("en") or label.get("zh_CN") or next(iter(label.values()))


def _bad(where: str, field: str, problem: str) -> UserError:
    return UserError(_("{file}: field '{field}': {problem}").format(file=where, field=field, problem=problem))


def _label(where: str, field: str, value: Any) -> str | dict[str, str]:
    if isinstance(value, str):
        if not value.strip():
            raise _bad(where, field, _("is empty"))
        return value.strip()
    if isinstance(value, dict):
        unknown = [k for k in value if k not in LABEL_LANGS]
        if unknown:
            raise _bad(where, field, _("unknown language '{lang}' (use zh_CN or en)").format(lang=unknown[0]))
        if not value:
            raise _bad(where, field, _("needs zh_CN and/or en"))
        out = {}
        for k in LABEL_LANGS:
            if k in value:
                if not isinstance(value[k], str) or not value[k].strip():
                    raise _bad(where, f"{field}.{k}", _("must be a non-empty string"))
                out[k] = value[k].strip()
        return out
    raise _bad(where, field, _("must be a string or an object with zh_CN/en"))


def validate_body(data: Any, where: str = "template") -> dict[str, Any]:
    """Check a template's content and return its canonical body; UserError names the field."""
    if not isinstance(data, dict):
        raise UserError(_("{file}: the top level must be a JSON object").format(file=where))
    unknown = [k for k in data if k not in ("name", "title", "items")]
    if unknown:
        raise _bad(where, unknown[0], _("unknown field"))
    name = data.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name.strip()):
        raise _bad(where, "name", _("must be a non-empty text of at most 80 characters without ':'"))
    body: dict[str, Any] = {"name": name.strip()}
    if "title" in data:
        body["title"] = _label(where, "title", data["title"])
    items = data.get("items")
    if not isinstance(items, list) or not items:
        raise _bad(where, "items", _("must be a non-empty list"))
    seen: set[str] = set()
    out_items = []
    for n, item in enumerate(items):
        f = f"items[{n}]"
        if not isinstance(item, dict):
            raise _bad(where, f, _("must be an object with id and label"))
        extra = [k for k in item if k not in ("id", "label", "category")]
        if extra:
            raise _bad(where, f"{f}.{extra[0]}", _("unknown field"))
        iid = item.get("id")
        if not isinstance(iid, str) or not _ID_RE.match(iid):
            raise _bad(where, f"{f}.id", _("must be 1-40 characters of a-z, 0-9 or _"))
        if iid in seen:
            raise _bad(where, f"{f}.id", _("'{id}' is used twice").format(id=iid))
        seen.add(iid)
        if "label" not in item:
            raise _bad(where, f"{f}.label", _("is missing"))
        category = item.get("category", "V07")
        if category not in CATEGORY_CODES:
            raise _bad(where, f"{f}.category", _("'{c}' is not a finding category ({known})")
                       .format(c=category, known=", ".join(CATEGORY_CODES)))
        out_items.append({"id": iid, "label": _label(where, f"{f}.label", item["label"]), "category": category})
    body["items"] = out_items
    return body


def read_template_file(path: str | Path) -> dict[str, Any]:
    """Read and validate a template file; errors name the file and the line or field."""
    p = Path(path)
    try:
        raw = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(_("{file}: cannot be read ({error})").format(file=p, error=exc)) from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UserError(_("{file}, line {line}, column {col}: not valid JSON ({msg})")
                        .format(file=p.name, line=exc.lineno, col=exc.colno, msg=exc.msg)) from None
    return validate_body(data, p.name)


def _row_to_template(r: ChecklistTemplate) -> Template:
    return Template(r.name, r.version, r.sha256, dict(r.body), r.created_at.strftime(TIMESTAMP_FORMAT))


def _store(conn: Any, body: dict[str, Any]) -> tuple[Template, bool]:
    """Store `body` as a new version of its name unless a version has the same content."""
    sha = body_sha256(body)
    t = ChecklistTemplate.__table__
    same = conn.execute(select(t).where(t.c.name == body["name"], t.c.sha256 == sha)).first()
    if same is not None:
        return _row_to_template(same), False
    version = conn.execute(select(func.coalesce(func.max(t.c.version), 0)).where(t.c.name == body["name"])).scalar_one() + 1
    now = datetime.now().replace(microsecond=0)
    conn.execute(t.insert().values(name=body["name"], version=version, sha256=sha, body=body, created_at=now))
    return Template(body["name"], version, sha, body, now.strftime(TIMESTAMP_FORMAT)), True


def ensure_builtin(conn: Any) -> Template:
    """Store the built-in default template (version 1 on a fresh store) if it is not there yet."""
    return _store(conn, BUILTIN_BODY)[0]


def import_template(engine: Engine, path: str | Path) -> tuple[Template, bool]:
    """Load a bureau's template file: (stored version, True when a new version was created)."""
    body = read_template_file(path)
    with write_transaction(engine) as conn:
        ensure_builtin(conn)
        return _store(conn, body)


def list_templates(engine: Engine) -> list[Template]:
    """Every stored template version (the built-in one included), by name then version."""
    with write_transaction(engine) as conn:
        ensure_builtin(conn)
        t = ChecklistTemplate.__table__
        return [_row_to_template(r) for r in conn.execute(select(t).order_by(t.c.name, t.c.version))]


def parse_template_ref(ref: str | None) -> tuple[str, int | None]:
    """'NAME' or 'NAME:VERSION' -> (name, version or None for the latest)."""
    if ref is None or not ref.strip():
        return DEFAULT_NAME, None
    name, sep, ver = ref.strip().rpartition(":")
    if not sep:
        return ver, None
    if not ver.isdigit() or int(ver) < 1:
        raise UserError(_("template '{ref}': the version after ':' must be a positive number").format(ref=ref))
    return name, int(ver)


def get_template(conn: Any, name: str, version: int | None = None) -> Template:
    """A stored template version (the latest of `name` when `version` is None)."""
    t = ChecklistTemplate.__table__
    q = select(t).where(t.c.name == name)
    q = q.where(t.c.version == version) if version is not None else q.order_by(t.c.version.desc()).limit(1)
    row = conn.execute(q).first()
    if row is None:
        if name == DEFAULT_NAME and version in (None, 1):
            return Template(DEFAULT_NAME, 1, body_sha256(BUILTIN_BODY), BUILTIN_BODY, "")
        raise UserError(_("unknown checklist template {name}{version}").format(
            name=name, version="" if version is None else f":{version}"))
    return _row_to_template(row)


def pinned_template(conn: Any, pin: dict[str, Any]) -> Template:
    """The template version an inspection pinned; refuses one whose content no longer matches."""
    tpl = get_template(conn, pin["name"], int(pin["version"]))
    if tpl.sha256 != pin["sha256"] or body_sha256(tpl.body) != pin["sha256"]:
        raise UserError(_("checklist template {name}:{version} does not match the hash the inspection pinned")
                        .format(name=pin["name"], version=pin["version"]))
    return tpl
