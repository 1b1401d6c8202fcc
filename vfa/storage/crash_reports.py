"""Crash reports without patient data (storage: files in the log folder; imports only the foundation).

When the viewer meets an exception nobody caught, it keeps running and writes a report for
the developers: the exception's type, where it happened (file, line, function of each frame)
and the software version — never local variables, never the open film's identity. The
exception's message can name the patient (a file name, an ID in a header): every string the
caller knows to be identifying is replaced by ``<redacted>`` before the message is written.

Reports go to :func:`log_dir` (``$VFA_LOG_DIR``, else the user's log folder), one file per
crash, ``crash-<UTC time>-<n>.txt``.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import sys
import traceback
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from vfa.atomic import atomic_write_text

__all__ = ["log_dir", "redact", "write_crash_report"]

REDACTED = "<redacted>"


def log_dir() -> Path:
    """Where logs and crash reports go: ``$VFA_LOG_DIR`` or the user's log folder for vfa."""
    env = os.environ.get("VFA_LOG_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs
    return Path(platformdirs.user_log_dir("vfa", appauthor=False))


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret (longest first; shorter than 2 characters ignored)
    replaced by ``<redacted>``."""
    for s in sorted({str(s) for s in secrets if s and len(str(s)) >= 2}, key=len, reverse=True):
        text = text.replace(s, REDACTED)
    return text


def write_crash_report(exc_type: type[BaseException], exc: BaseException | None,
                       tb: TracebackType | None, secrets: Iterable[str] = (),
                       directory: str | os.PathLike[str] | None = None,
                       context: str = "") -> Path:
    """Write one crash report (see the module text) and return its path."""
    from vfa import __version__
    folder = Path(directory) if directory is not None else log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    secrets = list(secrets)
    now = _dt.datetime.now(_dt.timezone.utc)
    frames = traceback.extract_tb(tb) if tb is not None else []
    lines = [
        "VFA crash report (no patient data: identifiers are redacted, no variables are kept)",
        f"time (UTC): {now.isoformat(timespec='seconds')}",
        f"vfa: {__version__}   python: {platform.python_version()}   platform: {sys.platform}",
        f"context: {context or '-'}",
        f"exception: {exc_type.__module__}.{exc_type.__qualname__}",
        f"message: {redact(str(exc), secrets) if exc is not None else ''}",
        "traceback (most recent call last):",
    ]
    for f in frames:
        lines.append(f"  {redact(f.filename, secrets)}:{f.lineno} in {f.name}")
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    n = 0
    while (path := folder / f"crash-{stamp}-{n}.txt").exists():
        n += 1
    return atomic_write_text(path, "\n".join(lines) + "\n")
