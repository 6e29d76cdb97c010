"""`demo-central`: write the demo central database (SQLite, optionally copied to PostgreSQL)."""
from __future__ import annotations

from pathlib import Path

from inspector.i18n import _
from inspector.progress import TextProgress
from inspector.tempfiles import private_tempdir


def register(sub, common) -> None:
    p = sub.add_parser("demo-central", parents=[common],
                       help="write a realistic demo central database with planted screening cases")
    p.add_argument("--out", metavar="PATH", help="SQLite file to write (with PATH.manifest.json beside it)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1); same seed and scale, same rows")
    p.add_argument("--scale", choices=["small", "hospital"], default="small",
                   help="small: a few hundred stays; hospital: a 1,500-bed hospital, over 1,000,000 fee lines")
    p.add_argument("--pg-url", metavar="URL",
                   help="also load the same rows into this empty PostgreSQL database (postgresql+psycopg://...)")
    p.add_argument("--force", action="store_true", help="replace an existing --out file")
    p.set_defaults(func=cmd_demo_central)


def cmd_demo_central(args) -> int:
    from inspector.demo.central import build_demo_central
    from inspector.demo.pgcopy import copy_to_postgres
    from inspector.errors import UserError

    if not args.out and not args.pg_url:
        raise UserError(_("give --out PATH, --pg-url URL, or both"))
    progress = TextProgress()
    with private_tempdir("central") as tmp:
        out = Path(args.out) if args.out else tmp / "central.db"
        manifest = build_demo_central(out, seed=args.seed, scale=args.scale, progress=progress,
                                      overwrite=args.force)
        if args.pg_url:
            progress.set_status(_("copying to PostgreSQL"))
            copy_to_postgres(out, args.pg_url, progress)
    counts = manifest.row_counts
    print(_("demo central database written: {path}").format(path=args.out or args.pg_url))
    print(_("{stays} visits, {fees} fee lines ({window} in the window), {planted} planted cases, {decoys} decoys")
          .format(stays=counts["mdtrt"], fees=counts["feedetl"], window=counts["feedetl_in_window"],
                  planted=len(manifest.planted), decoys=len(manifest.decoys)))
    if args.out:
        print(_("manifest: {path}").format(path=f"{args.out}.manifest.json"))
    return 0
