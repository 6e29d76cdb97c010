"""Benchmark: `verify` of the demo's signed PDF (goal: at most 1 s).

Builds the small demo in a temporary folder (or takes `--workdir` of an earlier `make demo`),
then times `inspector.signing.verify.verify_pdf` with the store's trust anchors against a
baseline measured in the same run: pyHanko's own `validate_pdf_signature` over every signature
with the same trust roots (what any PAdES validator does, without our declared-line, order,
identity and certification checks). Best of `--runs`; prints the ratio and one JSON line.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asn1crypto import x509 as asn1_x509  # noqa: E402
from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: E402
from pyhanko.sign.validation import validate_pdf_signature  # noqa: E402
from pyhanko_certvalidator import ValidationContext  # noqa: E402

from inspector.db import open_store  # noqa: E402
from inspector.signing.trust import anchor_certificates  # noqa: E402
from inspector.signing.verify import verify_pdf  # noqa: E402


def build_demo(work: Path) -> tuple[Path, Path]:
    """The small demo's store and signed PDF in `work` (as `make demo` leaves them)."""
    from inspector.demo.walkthrough import create_demo_inspection, run_walkthrough, sign_demo_report

    engine = open_store(work / "inspector.db")
    result = create_demo_inspection(engine, work / "demo-central.db")
    run_walkthrough(engine, work / "demo-central.db", result.inspection_id)
    report = sign_demo_report(engine, result.inspection_id, work)
    engine.dispose()
    return work / "inspector.db", report.signed_pdf


def baseline(pdf: Path, anchors: list[bytes]) -> bool:
    reader = PdfFileReader(io.BytesIO(pdf.read_bytes()), strict=False)
    roots = [asn1_x509.Certificate.load(d) for d in anchors]
    ok = True
    for sig in reader.embedded_signatures:
        vc = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
        ok = validate_pdf_signature(sig, vc).bottom_line and ok
    return ok


def best(fn, runs: int) -> tuple[float, object]:
    times, value = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    return min(times), value


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--workdir", type=Path, help="a folder where `make demo` ran (default: build one)")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.workdir:
            db = args.workdir / "inspector.db"
            pdf = sorted(args.workdir.glob("inspection-*-signed.pdf"))[-1]
        else:
            db, pdf = build_demo(Path(tmp))
        engine = open_store(db)
        anchors = anchor_certificates(engine)
        engine.dispose()
        base_s, base_ok = best(lambda: baseline(pdf, anchors), args.runs)
        ours_s, report = best(lambda: verify_pdf(pdf, anchors), args.runs)
        result = {
            "bench": "verify", "pdf_kb": round(pdf.stat().st_size / 1024), "signatures": len(report.signatures),
            "verify_s": round(ours_s, 3), "pyhanko_baseline_s": round(base_s, 3),
            "ratio": round(ours_s / base_s, 2) if base_s else None, "verified_ok": report.ok,
            "baseline_ok": base_ok, "load_avg_1min": round(os.getloadavg()[0], 2),
            "goals_met": ours_s <= 1.0 and report.ok,
            "machine": f"{platform.machine()} {platform.python_version()}", "date": datetime.now().strftime("%Y-%m-%d"),
        }
    print(f"verify {result['verify_s']} s vs pyHanko alone {result['pyhanko_baseline_s']} s (ratio {result['ratio']}) "
          f"for {result['signatures']} signatures, {result['pdf_kb']} KB; ok {report.ok}")
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["goals_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
