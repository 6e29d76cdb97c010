"""Files a person asked for (reports, workbooks, bundles, exports), written whole or not at all.

`write_atomically` writes through a temporary file in the target's folder, fsyncs it and renames
it into place; a full, removed or read-only disk becomes one message naming the target, in the
user's language, and leaves no partial file.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def fsync_path(path: Path) -> None:
    """Flush a file, or a folder's entries (after a rename in it), to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, content: bytes) -> None:
    """Write `content` to `path` through a temporary file in the same folder, then rename; a full,
    removed or read-only disk is a UserError naming `path`, with no partial file left."""
    from inspector.errors import cannot_write

    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise cannot_write(path, exc) from None
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, doc) -> None:
    """`doc` as indented UTF-8 JSON (Chinese as it is), written as `write_atomically` does."""
    import json

    write_atomically(Path(path), (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
