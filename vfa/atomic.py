"""Atomic file writes: write a temporary file beside the target, fsync, then rename.

File modes: a new file gets the mode an ordinary ``open(path, "w")`` would give it
(``0o666`` minus the process umask), a replaced file keeps its mode, so colleagues on a
shared reading folder can open the results. Only callers writing secrets pass ``mode=0o600``
(the PACS settings with a password); that mode is set on the temporary file before any byte
is written, so the secret is never readable by others, not even for a moment.
"""

from __future__ import annotations

import os
import stat
import tempfile
import threading
import time
from pathlib import Path

_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process umask (read from /proc on Linux, else set and restored under a lock)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _mode_for(target: Path) -> int:
    """The mode of the file being replaced, else what ``open()`` would create."""
    try:
        st = target.stat()
        if stat.S_ISREG(st.st_mode):
            return stat.S_IMODE(st.st_mode)
    except OSError:
        pass
    return 0o666 & ~current_umask()


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, mode: int | None = None) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    ``mode``: the file's permission bits; by default those of the file being replaced, or
    ``0o666 & ~umask`` for a new file (see the module docstring).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    wanted = _mode_for(target) if mode is None else mode
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            if hasattr(os, "fchmod"):   # POSIX; Windows has no permission bits to set
                os.fchmod(fh.fileno(), wanted)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        _replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(target.parent)
    return target


def _replace(tmp: str, target: Path) -> None:
    """``os.replace``; on Windows a reader holding the target open (a virus scanner, an
    indexer) makes it fail for a moment: a few retries before giving up."""
    for attempt in range(5):
        try:
            os.replace(tmp, target)
            return
        except PermissionError:
            if os.name != "nt" or attempt == 4:
                raise
            time.sleep(0.05 * (attempt + 1))


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (a power cut right after must not bring back the old file)."""
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


def atomic_write_text(path: str | os.PathLike[str], text: str, *, mode: int | None = None) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"), mode=mode)
