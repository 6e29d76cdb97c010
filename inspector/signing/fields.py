"""The PDF signature field of a declared line: seed values and field lock, in pyHanko's terms.

Seed value dictionary (/SV, ISO 32000 12.7.4.5): mandatory PAdES subfilter and certificate
constraints (/Cert, Table 235): /SubjectDN with /CN = the declared name and, when it is a
PrintableString, the serialNumber attribute (key /2.5.4.5, the OID form the standard allows) =
the declared certificate number; /Issuer = the store's trust anchors when there are any. The
field lock (/Lock, FieldMDP): an inspector's signature locks every field except the other
lines (so the inspectors may sign in any order and the lead after them); the lead's locks every
field (nothing may be signed after the lead). Each lock also carries the DocMDP level for the
changes after that signature: form filling and signing after an inspector, none after the lead.
"""
from __future__ import annotations

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import generic
from pyhanko.sign.fields import (FieldMDPAction, FieldMDPSpec, MDPPerm, SigCertConstraintFlags, SigCertConstraints,
                                 SigFieldSpec, SigSeedSubFilter, SigSeedValFlags, SigSeedValueSpec)

from inspector.signing.lines import ROLE_LEAD, SignatureLine, is_printable

SERIAL_NUMBER_KEY = "/2.5.4.5"


class LineCertConstraints(SigCertConstraints):
    """pyHanko's certificate constraints, writing /SubjectDN keys that pyHanko and others read back.

    pyHanko abbreviates serialNumber as /SerialNumber, which it cannot parse again; the dotted
    OID is what ISO 32000 allows for attributes without a standard abbreviation.
    """

    def as_pdf_object(self):
        result = super().as_pdf_object()
        if self.subject_dn:
            entry = generic.DictionaryObject()
            for rdn in self.subject_dn.chosen:
                for attr in rdn:
                    kind, value = attr["type"].native, attr["value"].native
                    key = "/CN" if kind == "common_name" else SERIAL_NUMBER_KEY if kind == "serial_number" else None
                    if key:
                        entry[generic.NameObject(key)] = generic.TextStringObject(str(value))
            result[generic.NameObject("/SubjectDN")] = generic.ArrayObject([entry])
        return result


def line_constraints(line: SignatureLine, issuers: tuple[bytes, ...] = ()) -> LineCertConstraints:
    """Who may sign `line`: subject CN (and serialNumber when printable), and an issuer among `issuers`."""
    dn = {"common_name": line.name}
    if line.cert_no and is_printable(line.cert_no):
        dn["serial_number"] = line.cert_no
    flags = SigCertConstraintFlags.SUBJECT_DN
    issuer_certs = [asn1_x509.Certificate.load(der) for der in issuers]
    if issuer_certs:
        flags |= SigCertConstraintFlags.ISSUER
    return LineCertConstraints(flags=flags, subject_dn=asn1_x509.Name.build(dn), issuers=issuer_certs or None)


def line_field_spec(line: SignatureLine, lines: list[SignatureLine], *, page: int, box: tuple,
                    issuers: tuple[bytes, ...] = ()) -> SigFieldSpec:
    """The signature field of `line` (one of `lines`) on `page` at `box`."""
    if line.role == ROLE_LEAD:
        lock = FieldMDPSpec(action=FieldMDPAction.ALL)
        after = MDPPerm.NO_CHANGES
    else:
        lock = FieldMDPSpec(action=FieldMDPAction.EXCLUDE, fields=[o.field for o in lines if o.field != line.field])
        after = MDPPerm.FILL_FORMS
    sv = SigSeedValueSpec(flags=SigSeedValFlags.SUBFILTER, subfilters=[SigSeedSubFilter.PADES],
                          cert=line_constraints(line, issuers))
    return SigFieldSpec(sig_field_name=line.field, on_page=page, box=box, seed_value_dict=sv, field_mdp_spec=lock,
                        doc_mdp_update_value=after, readable_field_name=f"{line.name} {line.cert_no}")
