"""Library log records (pyHanko, its certificate validator) go to a debug log file, never the terminal.

pyHanko logs warnings with tracebacks (e.g. a signature that fails its seed-value check); with no
handler configured Python would print them on stderr. `route_library_logs()` (idempotent; the
signing and verification functions call it) sends them to `debug.log` in the per-user log
directory (platformdirs; `$INSPECTOR_LOG_DIR` overrides it) and stops their propagation.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from platformdirs import user_log_dir

LIBRARY_LOGGERS = ("pyhanko", "pyhanko_certvalidator", "inspector.signing")
_handler: logging.Handler | None = None


def log_dir() -> Path:
    env = os.environ.get("INSPECTOR_LOG_DIR")
    return Path(env) if env else Path(user_log_dir("Inspector", appauthor=False))


def debug_log_path() -> Path:
    return log_dir() / "debug.log"


def route_library_logs() -> Path | None:
    """Attach the debug-log file handler to the library loggers once; return the file (None if unwritable)."""
    global _handler
    if _handler is None:
        try:
            path = debug_log_path()
            path.parent.mkdir(parents=True, exist_ok=True)
            handler: logging.Handler = logging.FileHandler(path, encoding="utf-8", delay=True)
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        except OSError:
            handler = logging.NullHandler()
        _handler = handler
        for name in LIBRARY_LOGGERS:
            lg = logging.getLogger(name)
            lg.addHandler(handler)
            lg.propagate = False
            if lg.level == logging.NOTSET:
                lg.setLevel(logging.INFO)
    return getattr(_handler, "baseFilename", None) and Path(_handler.baseFilename)  # type: ignore[union-attr]
