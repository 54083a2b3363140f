"""Files the app writes for people (exports, records): private and whole.

A record or export holds personal data (OFFICIAL-SENSITIVE), so it is
owner-only (0600) even when it replaces an older file that was readable by
others, and it appears all at once: written to a temporary file in the same
folder, synced, then renamed over the target, so a crash never leaves half a
file behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_private(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8, line endings as given) to ``path``, mode 0600, atomically."""
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")  # mkstemp: 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _sync_folder(folder)
    return target


def _sync_folder(folder: Path) -> None:
    # The rename is durable once the folder is synced (not possible on every platform).
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
