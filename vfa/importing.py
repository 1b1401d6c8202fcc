"""Opening and importing finished readings (application layer: it reads SR through
:mod:`vfa.outputs.sr` and writes into a :class:`vfa.storage.workspace.Workspace`).

A reading arrives as a ``vfa-reading`` JSON file or as a DICOM SR written by ``vfa export-sr``
(:func:`load_any_reading`). Its film is found by :func:`find_film_of`: the reading's
``image_path`` (relative to the reading file, as written), else the film the workspace index
knows by its SOP Instance UID, else a film with that UID among ``films`` (files or folders,
scanned headers only). The film must be the reading's own (same SOP Instance UID).

:func:`import_readings` registers every reading file (folders are searched: ``*.json`` that
are readings, and DICOM SR files) into a workspace with its film — what ``vfa import
READINGS... --workspace DIR`` and the viewer's File ▸ Import readings do — so that the
browser lists the patients, the viewer opens the films with their marks and ``vfa cohort
--workspace DIR`` finds the dated readings. A file that cannot be imported is reported with
the reason and the others go on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vfa.errors import ExportError, ReadingFormatError, VfaError, WorkspaceError

if TYPE_CHECKING:  # pragma: no cover
    from vfa.reading.reading import Reading
    from vfa.storage.workspace import Workspace

__all__ = ["ImportReport", "find_film_of", "import_readings", "is_reading_file",
           "load_any_reading", "reading_files"]

_DICOM_SUFFIXES = (".dcm", ".dicom", ".sr", "")


def _is_dicom(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:132] == b"DICM"


def is_reading_file(path: str | os.PathLike[str]) -> bool:
    """A reading file by its look: JSON (``.json``) or a DICOM file (the SR is checked when
    it is loaded). Used to tell a reading from a film given to the viewer."""
    p = Path(path)
    if p.suffix.lower() == ".json":
        return True
    if not _is_dicom(p):
        return False
    try:
        from pydicom import dcmread
        ds = dcmread(p, stop_before_pixels=True, specific_tags=["SOPClassUID"])
    except Exception:  # noqa: BLE001 - unreadable: not ours to judge here
        return False
    from vfa.outputs.sr import SR_SOP_CLASSES
    return str(ds.get("SOPClassUID", "") or "") in SR_SOP_CLASSES


def load_any_reading(path: str | os.PathLike[str]) -> Reading:
    """A reading from a ``vfa-reading`` JSON file or a VFA DICOM SR."""
    p = Path(path)
    if p.suffix.lower() == ".json" or not _is_dicom(p):
        from vfa.reading.reading import load_reading
        return load_reading(p, check_geometry=False)
    from vfa.outputs.sr import import_sr
    r = import_sr(p)
    r.source_path = p           # type: ignore[attr-defined]
    return r


def find_film_of(reading: Reading, workspace: Workspace | None = None,
                 films: Iterable[str | os.PathLike[str]] = (),
                 _scanned: dict[str, Path] | None = None) -> Path:
    """The film of ``reading`` (see the module text); ExportError says where it looked."""
    from vfa.reading.reading import image_path_candidates
    tried: list[str] = []
    for c in image_path_candidates(reading.image_path, getattr(reading, "source_path", None)):
        tried.append(str(c))
        if c.is_file():
            return _checked(c, reading)
    sop = reading.sop_instance_uid
    if workspace is not None and sop:
        rec = workspace.index.image(sop)
        if rec is not None and rec.path and Path(rec.path).is_file():
            return _checked(Path(rec.path), reading)
    films = list(films)
    if films and sop:
        index = _scanned if _scanned is not None else {}
        if not index:
            from vfa.films.scan import scan_paths
            for f in scan_paths(films).films:
                index.setdefault(f.sop_instance_uid, Path(f.path))
        if sop in index:
            return _checked(index[sop], reading)
        tried.append("the films in " + ", ".join(str(f) for f in films))
    where = "; tried " + ", ".join(tried) if tried else ""
    raise ExportError(f"the film of this reading was not found (SOP Instance UID {sop or '?'}{where}): "
                      "pass the folder of the films with --films DIR")


def _checked(path: Path, reading: Reading) -> Path:
    from vfa.outputs.sr import read_film_header
    read_film_header(path, reading)      # a DICOM image, and this reading's film
    return path.resolve()


@dataclass
class ImportReport:
    """What :func:`import_readings` did: (reading file, saved file) and (file, why not)."""

    imported: list[tuple[Path, Path]] = field(default_factory=list)
    problems: list[tuple[Path, str]] = field(default_factory=list)


def reading_files(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The reading files among ``paths`` (folders searched recursively: ``*.json`` and DICOM
    SR files; autosaves skipped), and the paths that are not there."""
    files: list[Path] = []
    missing: list[tuple[Path, str]] = []
    for item in paths:
        p = Path(item)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if not f.is_file() or "autosave" in f.parts:
                    continue
                if f.suffix.lower() == ".json" or (f.suffix.lower() in _DICOM_SUFFIXES
                                                    and is_reading_file(f)):
                    files.append(f)
        elif p.is_file():
            files.append(p)
        else:
            missing.append((p, "does not exist"))
    return files, missing


def import_readings(workspace: Workspace, paths: Iterable[str | os.PathLike[str]],
                    films: Iterable[str | os.PathLike[str]] = (),
                    progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Register the readings in ``paths`` and their films into ``workspace`` (see the module
    text). The imported reading replaces the workspace's reading of the same film by the same
    reader (the import is explicit); the source files are not changed."""
    report = ImportReport()
    files, missing = reading_files(paths)
    report.problems += missing
    films = list(films)
    scanned: dict[str, Path] = {}
    for i, f in enumerate(files, 1):
        try:
            reading = load_any_reading(f)
        except (ReadingFormatError, ExportError) as exc:
            if f.suffix.lower() == ".json" and "vfa-reading" in str(exc) and \
                    f not in [Path(p) for p in paths]:
                continue            # another kind of JSON in a folder: not a reading, skipped
            report.problems.append((f, str(exc)))
            continue
        try:
            if not reading.sop_instance_uid:
                raise WorkspaceError("the reading names no film (no SOP Instance UID): it cannot "
                                     "be indexed")
            film = find_film_of(reading, workspace, films, scanned)
            reading.image_path = str(film)
            from vfa.outputs.sr import read_film_header
            ds = read_film_header(film, reading)
            workspace.register_identity(reading, str(film), str(ds.get("Modality", "") or "") or None,
                                        str(ds.get("ViewPosition", "") or "") or None)
            saved = workspace.save(reading, replace=True)
        except VfaError as exc:
            report.problems.append((f, str(exc)))
            continue
        report.imported.append((f, saved))
        if progress is not None:
            progress(i, len(files))
    return report

