"""Benchmark: a report with 200 findings and 100 photos of 2 MP JPEGs, signed by two inspectors
and the lead, then verified. Goals: generation <= 5 s, each signature <= 1 s, size <= 15 MB.

Run: .venv/bin/python bench/report.py [--findings 200] [--photos 100]
The last line is one JSON object with the figures.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import io
import json
import platform
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image, ImageChops  # noqa: E402

from inspector.reports.model import EvidencePhoto, with_hand_signature  # noqa: E402
from inspector.reports.pdf import render_report  # noqa: E402
from inspector.reports.photos import pdf_ready_jpeg  # noqa: E402
from inspector.reports.sample import sample_photo, sample_report_data, sample_signature_png  # noqa: E402
from inspector.signing.ca import create_demo_ca, issue_key  # noqa: E402
from inspector.signing.sign import sign_pdf  # noqa: E402
from inspector.signing.verify import verify_pdf  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402

PASS = b"bench-passphrase"


_NOISE: dict[tuple[int, int], Image.Image] = {}


def _noise(size: tuple[int, int]) -> Image.Image:
    if size not in _NOISE:
        _NOISE[size] = Image.effect_noise(size, 18).convert("RGB")
    return _NOISE[size]


def camera_like_jpeg(seed: int, size: tuple[int, int] = (1632, 1224)) -> bytes:
    """A 2 MP JPEG with shapes and sensor-like noise, so it compresses like a photo (~0.5-1 MB)."""
    base = Image.open(io.BytesIO(sample_photo(seed, size)))
    noise = _noise(size)
    im = ImageChops.add(base, noise, scale=1.0, offset=-100)
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--findings", type=int, default=200)
    ap.add_argument("--photos", type=int, default=100)
    ap.add_argument("--no-reduced", action="store_true",
                    help="photos without the reduced copy kept at capture (as stored before it existed)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        photos_src = [camera_like_jpeg(i) for i in range(args.photos)]
        prep = time.perf_counter() - t0
        # At capture (inspector/evidence.py store_reduced): the reduced copy the report embeds.
        t0 = time.perf_counter()
        reduced = [pdf_ready_jpeg(p) for p in photos_src]
        capture = (time.perf_counter() - t0) / max(1, args.photos)
        data = sample_report_data(findings=args.findings, census=120, stock=40, records=30, leads=300, photos=0)
        data = replace(data, photos=[EvidencePhoto(image=p, caption=f"{i + 1}号证据照片", captured_at=datetime(2026, 11, 20, 10, i % 60),
                                                   author="张伟", sha256=hashlib.sha256(p).hexdigest(),
                                                   reduced=None if args.no_reduced else r)
                                     for i, (p, r) in enumerate(zip(photos_src, reduced))])
        data = with_hand_signature(data, sample_signature_png())
        pdf = root / "report.pdf"
        ca_pem = create_demo_ca(root / "ca", PASS)
        data = replace(data, trust_anchors=(x509.load_pem_x509_certificate(ca_pem.read_bytes()).public_bytes(
            serialization.Encoding.DER),))
        t0, c0 = time.perf_counter(), time.process_time()
        info = render_report(data, pdf)
        generation = time.perf_counter() - t0
        generation_cpu = time.process_time() - c0
        unsigned_size = pdf.stat().st_size

        sign_times = []
        for member in data.team:
            key = issue_key(root / "ca", member.name, root / f"{len(sign_times)}.p12", PASS, cert_no=member.cert_no,
                            ca_passphrase=PASS).path
            t0 = time.perf_counter()
            sign_pdf(pdf, key, PASS)
            sign_times.append(round(time.perf_counter() - t0, 3))
        t0 = time.perf_counter()
        report = verify_pdf(pdf, [root / "ca" / "ca.pem"])
        verification = time.perf_counter() - t0
        size = pdf.stat().st_size
        photo_bytes = sum(len(p) for p in photos_src)
    result = {
        "bench": "report", "findings": args.findings, "photos": args.photos,
        "photo_input_mb": round(photo_bytes / 1e6, 1), "photo_prep_s": round(prep, 2),
        "reduce_at_capture_ms_per_photo": round(capture * 1000), "reduced_copies": not args.no_reduced,
        "pages": info.pages, "generation_s": round(generation, 2), "generation_cpu_s": round(generation_cpu, 2),
        "load_avg_1min": round(os.getloadavg()[0], 2), "sign_s": sign_times,
        "verify_s": round(verification, 2), "verified_ok": report.ok,
        "unsigned_mb": round(unsigned_size / 1e6, 2), "signed_mb": round(size / 1e6, 2),
        "goals_met": generation <= 5 and max(sign_times) <= 1 and size <= 15e6 and report.ok,
        "machine": f"{platform.machine()} {platform.python_version()}", "date": datetime.now().strftime("%Y-%m-%d"),
    }
    print(f"capture: reduced copy {result['reduce_at_capture_ms_per_photo']} ms per photo; "
          f"generation {result['generation_s']} s ({result['generation_cpu_s']} s CPU, load {result['load_avg_1min']}) for {info.pages} pages; signatures {sign_times} s; "
          f"verification {result['verify_s']} s; size {result['signed_mb']} MB")
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["goals_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
