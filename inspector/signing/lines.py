"""The signature lines a report declares: who signs which field, in which order.

The report's first revision (before any signature, so covered by the first signature's
ByteRange and its DocMDP certification) holds, in the document catalog under
`/InspectorSignatureLines`, a JSON array in signing order:

    [{"field": "inspector_1", "role": "inspector", "name": "王建国", "cert_no": "61010020260001", "order": 1},
     {"field": "inspector_2", "role": "inspector", ...,  "order": 2},
     {"field": "lead", "role": "lead", "name": "陈志强", "cert_no": "61010020260003", "order": 3}]

and one signature field per line carries the same constraints in the PDF's own terms, so any
reader sees them: a seed value dictionary (/SV) whose certificate constraints (/Cert) require
the subject DN (CN = name, serialNumber = certificate number when it is printable) and, when
the store has trust anchors, an issuer among them; and a field lock (/Lock, FieldMDP) so that an
inspector's signature locks every field but the other lines, and the lead's locks everything.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from inspector.errors import UserError
from inspector.i18n import _

LINES_KEY = "/InspectorSignatureLines"
ROLE_INSPECTOR = "inspector"
ROLE_LEAD = "lead"
ROLES = (ROLE_INSPECTOR, ROLE_LEAD)
PRINTABLE_EXTRA = " '()+,-./:=?"


@dataclass(frozen=True)
class SignatureLine:
    """One declared line: the field, the role, the person (name and 执法证号), and the signing order."""

    field: str
    role: str
    name: str
    cert_no: str
    order: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SignerIdentity:
    """The person a signature is made for: the account's display name, certificate number and role."""

    name: str
    cert_no: str
    role: str


def is_printable(value: str) -> bool:
    """True when `value` fits an ASN.1 PrintableString (as `keys issue` then encodes serialNumber)."""
    return all(ch.isascii() and (ch.isalnum() or ch in PRINTABLE_EXTRA) for ch in value)


def plan_lines(members: list[tuple[str, str, str, str]]) -> list[SignatureLine]:
    """Lines from (field, role, name, cert_no) in signing order; refuses a person named twice.

    Reports use the roles inspector and lead (the lead signs after every other line); other
    documents (the draw plan) may use other roles, which follow the inspectors' rules. A line
    without a certificate number is matched by name alone; one without a name cannot be signed.
    """
    seen_names: set[str] = set()
    seen_nos: set[str] = set()
    lines = []
    for order, (field, role, name, cert_no) in enumerate(members, 1):
        if not role:
            raise UserError(_("signature line {field}: unknown role '{role}'").format(field=field, role=role))
        if (name and name in seen_names) or (cert_no and cert_no in seen_nos):
            raise UserError(_("{name} ({cert_no}) would sign two lines of the report: one person signs one line")
                            .format(name=name, cert_no=cert_no))
        seen_names.add(name)
        seen_nos.add(cert_no)
        lines.append(SignatureLine(field, role, name, cert_no, order))
    return lines


def encode_lines(lines: list[SignatureLine]) -> str:
    return json.dumps([line.as_dict() for line in lines], ensure_ascii=False, separators=(",", ":"))


def parse_lines(raw: Any) -> list[SignatureLine] | None:
    """The lines from the catalog value, or None when absent or malformed."""
    if raw is None:
        return None
    try:
        items = json.loads(str(raw))
    except ValueError:
        return None
    if not isinstance(items, list):
        return None
    lines = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("field", "role", "name",
                                                                                         "cert_no")):
            return None
        order = item.get("order", n)
        if not isinstance(order, int) or not item["role"]:
            return None
        lines.append(SignatureLine(item["field"], item["role"], item["name"], item["cert_no"], order))
    return sorted(lines, key=lambda line: line.order)


def read_lines(root) -> list[SignatureLine] | None:
    """The lines a PDF catalog (pyHanko dictionary) declares, or None."""
    try:
        return parse_lines(root.get(LINES_KEY))
    except Exception:  # noqa: BLE001 - a broken catalog entry is 'no declaration'
        return None


def cert_identity(cert) -> tuple[str, str | None]:
    """(common name, serialNumber attribute) of an asn1crypto certificate's subject."""
    subject = cert.subject.native
    cn = subject.get("common_name", "")
    serial = subject.get("serial_number")
    if isinstance(cn, list):
        cn = cn[0] if cn else ""
    if isinstance(serial, list):
        serial = serial[0] if serial else None
    return str(cn), (str(serial) if serial is not None else None)


def cert_matches(line: SignatureLine | SignerIdentity, cert) -> bool:
    """The certificate names the line's person: CN equals the name and serialNumber the certificate number
    (a line that declares no certificate number is matched by name; a line without a name by nobody)."""
    cn, serial = cert_identity(cert)
    return bool(line.name) and cn == line.name and (not line.cert_no or serial == line.cert_no)
