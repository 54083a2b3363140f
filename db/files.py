"""Files the app writes for people (reports, feedback, panel packs): owner-only and all-or-nothing.

Exports hold personal data, so they are written readable by their owner only
(0600), also when they replace an older file that was 0644. They are written to
a temporary file in the same folder, flushed to disk, then renamed over the
target, so a crash or a full disk never leaves half a report behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def private_file(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; on success it becomes ``path`` (mode 0600), atomically."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)  # mode 0600
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o600)  # whatever the writer did to it
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_folder(folder)


def write_private(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8, line endings as given) to ``path`` atomically, owner-only."""
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    with private_file(path) as tmp:
        tmp.write_bytes(payload)
    return Path(path)


def _sync_folder(folder: Path) -> None:
    # The rename is durable once the folder is synced; not every platform allows it.
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
