"""Readers' precision studies kept in a workspace (domain.md §4, §9).

Layout::

    <workspace>/precision/<reader>.json      one vfa-precision-study per reader (the last saved)

A small JSON file, written atomically; no index (database) is opened, so ``vfa compare`` and
``vfa grade`` can look a reader's study up without SQLAlchemy. A study of fewer than
:data:`vfa.method.noise.MIN_STUDY_FILMS` films is never written, and one found with fewer is
not used.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from vfa.atomic import atomic_write_text
from vfa.errors import WorkspaceError
from vfa.method.noise import Noise, PrecisionStudy, noise_for
from vfa.method.settings import MethodSettings

FOLDER = "precision"


def _file(root: str | os.PathLike[str], reader: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", reader or "").strip("._")[:120]
    if not safe:
        raise WorkspaceError("a precision study needs a reader name (--reader NAME)")
    return Path(root).expanduser() / FOLDER / f"{safe}.json"


def save_precision_study(root: str | os.PathLike[str], study: PrecisionStudy) -> Path:
    """Write ``study`` for its reader (replacing an earlier one); returns the file."""
    if not study.usable:
        raise WorkspaceError(f"a precision study needs at least 10 films read twice to be saved "
                             f"({study.films} given)")
    path = _file(root, study.reader)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(f"cannot write precision studies under {path.parent}: {exc.strerror}; "
                             "choose another workspace (--workspace)") from None
    atomic_write_text(path, json.dumps(study.to_dict(), indent=2, ensure_ascii=False) + "\n")
    return path


def load_precision_study(root: str | os.PathLike[str] | None, reader: str | None) -> PrecisionStudy | None:
    """The reader's saved study, or None (no workspace, no reader, no file)."""
    if root is None or not reader:
        return None
    path = _file(root, reader)
    if not path.is_file():
        return None
    try:
        return PrecisionStudy.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise WorkspaceError(f"the precision study {path} cannot be read ({exc}); save it again "
                             "with 'vfa precision --save' or delete the file") from None


def noise_for_readers(root: str | os.PathLike[str] | None, settings: MethodSettings,
                      *readers: str | None) -> Noise:
    """The noise a comparison of readings by ``readers`` uses: the saved study of their reader
    when every reading is by that one reader (a reader's own repeat readings say nothing of
    the difference between two readers), else the setting ``precision_sd_pct``."""
    names = {r for r in readers if r}
    if len(names) != 1:
        note = "readings by different readers: setting used" if len(names) > 1 else None
        return noise_for(settings, None, note)
    return noise_for(settings, load_precision_study(root, names.pop()))


__all__ = ["FOLDER", "load_precision_study", "noise_for_readers", "save_precision_study"]
