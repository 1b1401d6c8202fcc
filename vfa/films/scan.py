"""Find radiographs in files and folders (recursive, DICOMDIR-aware), reading headers only.

Used by ``vfa-viewer PATH``, File ▸ Open folder and the commands that take many files.
Non-image and broken files are listed in :attr:`ScanResult.problems`, never fatal.
"""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import pydicom
from pydicom.errors import InvalidDicomError

#: SOP classes that are not images (SR, presentation states, key objects, ...) by prefix.
_NON_IMAGE_SOP_PREFIXES = ("1.2.840.10008.5.1.4.1.1.88.", "1.2.840.10008.5.1.4.1.1.11.",
                           "1.2.840.10008.1.3.10")
#: Files with these extensions are never opened while walking a folder (docs: `vfa scan`).
_SKIP_SUFFIXES = {".toml", ".cfg", ".log", ".html", ".xml", ".yaml", ".yml", ".tmp", ".json", ".txt", ".md",
                  ".png", ".jpg", ".jpeg", ".pdf", ".csv", ".sqlite", ".py"}


@dataclass(frozen=True)
class FilmEntry:
    path: Path
    patient_id: str
    study_date: _dt.date | None
    study_instance_uid: str
    series_instance_uid: str
    sop_instance_uid: str
    modality: str
    view_position: str
    rows: int
    cols: int
    #: The film's full :class:`vfa.films.radiograph.StudyIdentity` (name, birth date, sex, ...), read
    #: from the same header when scanning ``with_identity`` (for registering); else None.
    identity: Any = field(default=None, compare=False, repr=False)


@dataclass
class ScanResult:
    films: list[FilmEntry] = field(default_factory=list)
    problems: list[tuple[Path, str]] = field(default_factory=list)
    skipped: int = 0          # files not even tried (reading files, pictures, ...)
    cancelled: bool = False
    examined: int = 0         # files opened and checked for a DICOM image header

    def sorted_films(self) -> list[FilmEntry]:
        return sorted(self.films, key=lambda f: (f.patient_id, f.study_date or _dt.date.min, str(f.path)))


def _date(value: object) -> _dt.date | None:
    s = str(value or "").strip()
    try:
        return _dt.datetime.strptime(s[:8], "%Y%m%d").date() if len(s) >= 8 else None
    except ValueError:
        return None


def probe(path: Path, with_identity: bool = False) -> FilmEntry:
    """Read the header of one file (never its pixels); raise ValueError with a reason if it is
    not a film. ``with_identity`` also keeps the film's full identity (:attr:`FilmEntry.identity`)."""
    try:
        if not path.is_file():  # a FIFO would block the scan for ever, a device never end
            raise ValueError("not a regular file (a pipe, device or socket)")
    except OSError as exc:
        raise ValueError(f"cannot read ({exc.__class__.__name__})") from None
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
    except InvalidDicomError:
        raise ValueError("not a DICOM file") from None
    except (OSError, EOFError) as exc:
        raise ValueError(f"cannot read ({exc.__class__.__name__})") from None
    except Exception as exc:  # noqa: BLE001 - any parse failure means a broken file
        raise ValueError(f"broken DICOM header ({exc.__class__.__name__})") from None
    try:
        return _entry(path, ds, with_identity)
    except (ValueError, NameError, ImportError):
        raise  # a reason, or a bug of ours (never disguised as a broken file)
    except Exception as exc:  # noqa: BLE001 - pydicom parses elements lazily: damage shows here
        raise ValueError(f"broken DICOM header ({exc.__class__.__name__})") from None


def _entry(path: Path, ds: "pydicom.Dataset", with_identity: bool = False) -> FilmEntry:
    sop_class = str(ds.get("SOPClassUID", ""))
    if sop_class.startswith(_NON_IMAGE_SOP_PREFIXES) or "DirectoryRecordSequence" in ds:
        raise ValueError(f"not an image (SOP class {sop_class or 'unknown'})")
    try:
        rows, cols = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
    except (TypeError, ValueError):
        raise ValueError("no image (Rows/Columns are not numbers)") from None
    if rows <= 0 or cols <= 0:
        raise ValueError("no image (no Rows/Columns)")
    identity = None
    if with_identity:
        from vfa.films.radiograph import identity_from_dataset
        identity = identity_from_dataset(ds)
    return FilmEntry(path, str(ds.get("PatientID", "") or ""), _date(ds.get("StudyDate")),
                     str(ds.get("StudyInstanceUID", "") or ""), str(ds.get("SeriesInstanceUID", "") or ""),
                     str(ds.get("SOPInstanceUID", "") or ""), str(ds.get("Modality", "") or ""),
                     str(ds.get("ViewPosition", "") or ""), rows, cols, identity)


def _dicomdir_files(dicomdir: Path) -> list[Path]:
    try:
        from pydicom.fileset import FileSet
        fs = FileSet(pydicom.dcmread(dicomdir))
    except Exception:  # noqa: BLE001 - a broken DICOMDIR: fall back to walking the folder
        return []
    return [Path(inst.path) for inst in fs]


def _candidates(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[tuple[Path, str]], int]:
    files: list[Path] = []
    problems: list[tuple[Path, str]] = []
    skipped = 0
    seen: set[Path] = set()

    def add(p: Path) -> None:
        rp = p.resolve()
        if rp not in seen:
            seen.add(rp)
            files.append(p)

    for raw in paths:
        p = Path(raw)
        if p.is_file():
            if p.name.upper() == "DICOMDIR":
                for f in _dicomdir_files(p):
                    add(f)
            else:
                add(p)
        elif p.is_dir():
            dicomdir = p / "DICOMDIR"
            listed = _dicomdir_files(dicomdir) if dicomdir.is_file() else []
            if listed:
                for f in listed:
                    add(f)
                continue
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for n in sorted(names):
                    if n.startswith(".") or n.upper() == "DICOMDIR":
                        continue
                    f = Path(root) / n
                    if f.suffix.lower() in _SKIP_SUFFIXES:
                        skipped += 1
                        continue
                    add(f)
        else:
            problems.append((p, "does not exist"))
    return files, problems, skipped


def scan_paths(paths: Iterable[str | os.PathLike[str]],
               progress: Callable[[int, int], None] | None = None,
               cancel: Callable[[], bool] | None = None, with_identity: bool = False) -> ScanResult:
    """Scan files/folders. ``progress(done, total)`` is called after each file; scanning stops
    early (``cancelled``) when ``cancel()`` returns True. ``with_identity``: see :func:`probe`."""
    files, problems, skipped = _candidates(paths)
    result = ScanResult(problems=problems, skipped=skipped, examined=len(files))
    total = len(files)
    for i, f in enumerate(files, 1):
        if cancel is not None and cancel():
            result.cancelled = True
            break
        try:
            result.films.append(probe(f, with_identity))
        except ValueError as exc:
            result.problems.append((f, str(exc)))
        if progress is not None:
            progress(i, total)
    return result
