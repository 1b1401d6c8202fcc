"""A workspace: the folder that keeps readings, autosaves and the index.

Layout::

    <root>/readings/<StudyInstanceUID>/<SOPInstanceUID>.<reader>.json   saved readings
    <root>/autosave/<SOPInstanceUID>.<reader>.json                      crash recovery
    <root>/index.sqlite                                                 the index (storage.Index)

The default root is ``$VFA_WORKSPACE`` or ``<user data dir>/vfa/workspace``; the index URL is
``$VFA_DATABASE_URL`` or the SQLite file above. Source images are never written.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from vfa.errors import ReadingFormatError, WorkspaceError
from vfa.method.morphometry import summarize
from vfa.reading.reading import Reading, load_reading, save_reading
if TYPE_CHECKING:  # SQLAlchemy (vfa.storage.index) loads when a workspace is opened, not on import
    from vfa.storage.index import ImageRecord, Index, PatientRecord, ReadingRecord, StudyRecord


def default_workspace_dir() -> Path:
    env = os.environ.get("VFA_WORKSPACE")
    if env:
        return Path(env).expanduser()
    import platformdirs
    return Path(platformdirs.user_data_dir("vfa", appauthor=False)) / "workspace"


def default_reader() -> str:
    """The reader's name: ``$VFA_READER`` or the login name."""
    name = os.environ.get("VFA_READER")
    if name:
        return name
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "reader"


def _safe(part: str, what: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", part or "").strip("._")
    if not s:
        raise WorkspaceError(f"the reading has no {what}; it cannot be filed in the workspace")
    return s[:120]


def newest_records(records: Iterable[Any]) -> list[Any]:
    """The newest of the workspace index's reading records per film and reader (by
    ``saved_at``; a record without one is the oldest), in first-seen order."""
    chosen: dict[tuple[str, str], Any] = {}
    for rec in records:
        key = (rec.sop_instance_uid, rec.reader)
        cur = chosen.get(key)
        if cur is None or (rec.saved_at or _dt.datetime.min) > (cur.saved_at or _dt.datetime.min):
            chosen[key] = rec
    return list(chosen.values())


@dataclass
class Visit:
    """One study of a patient with its films and readings (for the browser and reports)."""

    study: StudyRecord
    images: list[ImageRecord] = field(default_factory=list)
    readings: list[ReadingRecord] = field(default_factory=list)


class Workspace:
    def __init__(self, root: str | os.PathLike[str] | None = None,
                 database_url: str | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_workspace_dir()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            (self.root / "readings").mkdir(exist_ok=True)
            (self.root / "autosave").mkdir(exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(f"cannot use {self.root} as workspace: {exc.strerror}; choose "
                                 "another folder (--workspace or VFA_WORKSPACE)") from None
        if not os.access(self.root, os.W_OK):
            raise WorkspaceError(f"workspace {self.root} is not writable; choose another folder")
        url = database_url or os.environ.get("VFA_DATABASE_URL") or f"sqlite:///{self.root / 'index.sqlite'}"
        from vfa.storage.index import Index
        self.index: Index = Index(url)

    def close(self) -> None:
        self.index.close()

    # ------------------------------------------------------------------ paths
    def reading_path(self, reading: Reading) -> Path:
        study = _safe(reading.study_instance_uid, "StudyInstanceUID")
        sop = _safe(reading.sop_instance_uid, "SOPInstanceUID")
        reader = _safe(reading.reader or default_reader(), "reader")
        return self.root / "readings" / study / f"{sop}.{reader}.json"

    def autosave_path(self, reading: Reading) -> Path:
        sop = _safe(reading.sop_instance_uid, "SOPInstanceUID")
        reader = _safe(reading.reader or default_reader(), "reader")
        return self.root / "autosave" / f"{sop}.{reader}.json"

    # ------------------------------------------------------------------ registering
    def register_identity(self, reading: Reading, image_path: str | None = None,
                          modality: str | None = None, view_position: str | None = None) -> None:
        """Put the patient, study and image of a reading (or a freshly opened film) in the index."""
        if not reading.patient_id or not reading.study_instance_uid or not reading.sop_instance_uid:
            return  # an anonymous film: it can be read, but not found again by patient
        from vfa.storage.index import ImageRecord, PatientRecord, StudyRecord
        ix = self.index
        old = ix.patient(reading.patient_id)
        ix.upsert_patient(PatientRecord(
            reading.patient_id, reading.patient_name or (old.patient_name if old else None),
            reading.birth_date or (old.birth_date if old else None),
            reading.patient_sex or (old.sex if old else None)))
        ix.upsert_study(StudyRecord(reading.study_instance_uid, reading.patient_id, reading.study_date))
        prev = ix.image(reading.sop_instance_uid)
        path = image_path or reading.image_path or (prev.path if prev else None)
        ix.upsert_image(ImageRecord(
            reading.sop_instance_uid, reading.study_instance_uid,
            reading.series_instance_uid or None, path,
            modality or (prev.modality if prev else None),
            view_position or (prev.view_position if prev else None)))

    def register_films(self, films: Any, batch: int = 500,
                       progress: Any = None) -> list[tuple[Path, str]]:
        """Index many scanned films (:class:`vfa.films.scan.FilmEntry` scanned ``with_identity``)
        from their headers alone, one transaction per ``batch`` films; the same records as
        :meth:`register_radiograph` of each film. ``progress(done, total)`` after each batch.
        Returns the films that could not be registered, with the reason (not fatal)."""
        from vfa.storage.index import ImageRecord, PatientRecord, StudyRecord
        films = list(films)
        problems: list[tuple[Path, str]] = []
        for start in range(0, len(films), batch):
            chunk = films[start:start + batch]
            rows = []
            for f in chunk:
                ident = f.identity
                if ident is None or not (ident.patient_id and ident.study_instance_uid
                                         and ident.sop_instance_uid):
                    continue  # an anonymous film: it can be read, but not found again by patient
                rows.append((
                    PatientRecord(ident.patient_id, ident.patient_name or None, ident.birth_date,
                                  ident.sex or None),
                    StudyRecord(ident.study_instance_uid, ident.patient_id, ident.study_date),
                    ImageRecord(ident.sop_instance_uid, ident.study_instance_uid,
                                ident.series_instance_uid or None, str(Path(f.path).resolve()),
                                ident.modality or None, ident.view_position or None)))
            try:
                self.index.register_films(rows)
            except WorkspaceError as exc:
                problems.extend((f.path, str(exc)) for f in chunk)
            if progress is not None:
                progress(min(start + batch, len(films)), len(films))
        return problems

    def register_radiograph(self, radiograph: Any) -> None:
        """Index a film that was opened (so the browser lists it before it is read)."""
        r = Reading.for_radiograph(radiograph)
        path = str(Path(radiograph.path).resolve()) if radiograph.path else None
        self.register_identity(r, path, radiograph.identity.modality, radiograph.identity.view_position)

    # ------------------------------------------------------------------ readings
    def save(self, reading: Reading, replace: bool = False) -> Path:
        """Save atomically, update the index, drop the autosave. Returns the file path.

        Optimistic concurrency (docs/reading-centre.md): the save is refused with
        :class:`vfa.storage.index.StaleReadingError` when another session saved this film's reading
        by the same reader since ``reading`` was loaded (``reading.index_version``), or, for a
        new reading, when one was saved meanwhile. ``replace`` takes whatever version is
        there (an explicit import or re-adjudication)."""
        from vfa.storage.index import ReadingRecord
        if not reading.reader:
            reading.reader = default_reader()
        path = self.reading_path(reading)
        self.register_identity(reading)
        s = summarize(reading)
        grades = [r.grade for r in s.results if r.graded and r.grade is not None]
        rec = ReadingRecord(
            reading.sop_instance_uid, reading.reader, str(path.relative_to(self.root)),
            _dt.datetime.now(), s.sdi, s.fractured, s.not_evaluable, s.graded,
            float(max(grades)) if grades else None)
        expected = reading.index_version
        if replace:
            expected = self.index.reading_version(reading.sop_instance_uid, reading.reader)
        reading.index_version = self.index.save_reading(
            rec, expected, write=lambda: save_reading(reading, path))
        self.discard_autosave(reading)
        return path

    def import_reading(self, path: str | os.PathLike[str]) -> Path:
        """Copy a reading file into the workspace (validated) and index it (replacing the
        reading of the same film and reader, if any: the import is explicit)."""
        return self.save(load_reading(path), replace=True)

    def load(self, sop_instance_uid: str, reader: str | None = None) -> Reading | None:
        """The saved reading of a film by ``reader`` (default: any, the newest), with the
        index version it was saved at (``index_version``)."""
        recs = self.index.readings(sop_instance_uid=sop_instance_uid, reader=reader)
        if not recs:
            return None
        rec = max(recs, key=lambda r: r.saved_at or _dt.datetime.min)
        r = load_reading(self.root / rec.path, check_geometry=False)
        r.index_version = rec.version
        return r

    def patients(self) -> list[PatientRecord]:
        return self.index.patients()

    def visits(self, patient_id: str) -> list[Visit]:
        """The patient's studies, oldest first, each with its films and readings."""
        out = []
        for st in self.index.studies(patient_id):
            imgs = self.index.images(st.study_instance_uid)
            recs = [r for im in imgs for r in self.index.readings(sop_instance_uid=im.sop_instance_uid)]
            out.append(Visit(st, imgs, recs))
        return out

    def saved_readings(self, patient_id: str | None = None, *, check_geometry: bool = True,
                       skipped: list[tuple[str, str]] | None = None) -> list[Reading]:
        """Every saved reading of every reader (newest per film and reader); only
        ``patient_id``'s when given. A file that cannot be read is left out and, with
        ``skipped``, appended to it as (its path in the workspace, why)."""
        out = []
        for rec in newest_records(self.index.readings(patient_id=patient_id)):
            try:
                out.append(load_reading(self.root / rec.path, check_geometry=check_geometry))
            except ReadingFormatError as exc:
                if skipped is not None:
                    skipped.append((str(rec.path), str(exc)))
        return out

    def readings_for_patient(self, patient_id: str, reader: str | None = None) -> list[Reading]:
        """Every saved reading of the patient (one per film: ``reader``'s, else the newest),
        oldest visit first. Unreadable files are skipped, not fatal."""
        chosen: dict[str, ReadingRecord] = {}
        for rec in self.index.readings(patient_id=patient_id):
            if reader is not None and rec.reader != reader:
                continue
            cur = chosen.get(rec.sop_instance_uid)
            if cur is None or (rec.saved_at or _dt.datetime.min) > (cur.saved_at or _dt.datetime.min):
                chosen[rec.sop_instance_uid] = rec
        out = []
        for rec in chosen.values():
            try:
                r = load_reading(self.root / rec.path, check_geometry=False)
            except ReadingFormatError:
                continue
            r.index_version = rec.version
            out.append(r)
        out.sort(key=lambda r: (r.study_date is None, r.study_date or _dt.date.min))
        return out

    # ------------------------------------------------------------------ clinical context
    def clinical_events(self, patient_id: str | None = None) -> list[Any]:
        """The clinical events (vfa.study.clinical.ClinicalEvent) of a patient, or of everyone."""
        from vfa.study.clinical import ClinicalEvent
        return [ClinicalEvent(r.patient_id, r.date, r.kind, r.value, r.detail, id=r.id)
                for r in self.index.clinical_events(patient_id)]

    def clinical(self, patient_id: str) -> Any:
        """The patient's clinical context (vfa.study.clinical.ClinicalContext; empty if none)."""
        from vfa.study.clinical import ClinicalContext
        return ClinicalContext(patient_id, self.clinical_events(patient_id))

    def set_clinical(self, patient_id: str, events: list[Any]) -> None:
        """Replace the patient's clinical context (the viewer's patient panel saves this way)."""
        for e in events:
            if e.patient_id != patient_id:
                raise WorkspaceError(f"a clinical event of {e.patient_id!r} cannot be saved "
                                     f"with patient {patient_id!r}")
        self.index.replace_clinical_events(patient_id, events)

    def import_clinical(self, events: list[Any], replace: bool = False) -> tuple[int, int]:
        """Add imported events (identical ones already there are skipped), or with ``replace``
        make them the whole context of each patient they name; the whole file in one
        transaction (all or nothing). Returns (added, skipped)."""
        return self.index.import_clinical_events(events, replace=replace)

    def time_point(self, reading: Reading) -> str | None:
        """'baseline' or 'follow-up' for the SR's time point context, from the patient's
        visits with a saved reading (any reader) plus ``reading`` itself: the earliest study
        date is the baseline (also when it is the only visit so far), a later one a follow-up.
        None when it is not known (no patient ID or no study date)."""
        if not reading.patient_id or reading.study_date is None:
            return None
        dates = [v.study.study_date for v in self.visits(reading.patient_id)
                 if v.readings and v.study.study_date is not None]
        first = min(dates + [reading.study_date])
        return "baseline" if reading.study_date <= first else "follow-up"

    # ------------------------------------------------------------------ autosave / recovery
    def autosave(self, reading: Reading) -> Path:
        """Write the unsaved state for crash recovery (atomic)."""
        if not reading.reader:
            reading.reader = default_reader()
        path = self.autosave_path(reading)
        if reading.index_version is None:
            return save_reading(reading, path)
        # keep the version the work started from, so that a recovered reading is checked too
        reading.extra["vfa_index_version"] = reading.index_version
        try:
            return save_reading(reading, path)
        finally:
            reading.extra.pop("vfa_index_version", None)

    def discard_autosave(self, reading: Reading) -> None:
        try:
            self.autosave_path(reading).unlink()
        except (FileNotFoundError, WorkspaceError):
            pass

    def pending_recoveries(self, reader: str | None = None) -> list[Path]:
        """Autosaves left by a session that did not save or close cleanly (only ``reader``'s
        when given: in a shared workspace a reader is never offered another's work)."""
        found = sorted((self.root / "autosave").glob("*.json"))
        if reader is None:
            return found
        suffix = f".{_safe(reader, 'reader')}.json"
        return [p for p in found if p.name.endswith(suffix)]

    def recover(self, path: str | os.PathLike[str]) -> Reading:
        r = load_reading(path, check_geometry=False)
        v = r.extra.pop("vfa_index_version", None)
        if isinstance(v, int) and not isinstance(v, bool):
            r.index_version = v
        return r

    def describe_recovery(self, path: Path, blinded: bool = False) -> str:
        """One line about an autosave without patient identifiers (for dialogs); ``blinded``
        (reading-centre mode): without the study date either."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            n = sum(len((v.get("points") or {})) for v in data.get("vertebrae", []))
            if blinded:
                return f"a reading with {n} points, autosaved {data.get('saved_at', '?')}"
            return (f"film of {data.get('study_date') or 'unknown date'}, {n} points, "
                    f"autosaved {data.get('saved_at', '?')}")
        except (OSError, ValueError):
            return f"{Path(path).name} (unreadable)"


def workspace_inputs(root: Any) -> tuple[list[Reading], dict[str, Any], dict[str, str | None]]:
    """Every saved reading (newest per film and reader), the clinical contexts and the sexes
    recorded in a workspace (the inputs of :func:`vfa.study.cohort.build_cohort`). ``root``:
    a folder or an open :class:`Workspace`."""
    from vfa.errors import CohortError
    from vfa.study.clinical import group_by_patient
    own = not isinstance(root, Workspace)
    if own and not (Path(root) / "index.sqlite").is_file() and not os.environ.get("VFA_DATABASE_URL"):
        raise CohortError(f"{root} is not a workspace (no index.sqlite): pass --workspace with "
                          "the folder the viewer saves into, or reading files")
    ws = Workspace(root) if own else root
    try:
        readings = ws.saved_readings(check_geometry=False)
        clinical = group_by_patient(ws.clinical_events())
        sexes = {p.patient_id: p.sex for p in ws.index.patients()}
        return readings, clinical, sexes
    finally:
        if own:
            ws.close()
