"""The workspace index: patients, studies, images and readings, through SQLAlchemy.

An SQLite file is the embedded default; any SQLAlchemy URL (e.g.
``postgresql+psycopg://user@host/vfa`` for a reading centre) works unchanged, because
only SQLAlchemy Core constructs are used here. Nothing outside this module touches SQL.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import (Column, Date, DateTime, Float, Integer, MetaData, String, Table,
                        UniqueConstraint, bindparam, create_engine, select)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from .errors import WorkspaceError

SCHEMA_VERSION = 1

metadata = MetaData()

patients = Table(
    "patients", metadata,
    Column("patient_id", String(128), primary_key=True),
    Column("patient_name", String(256)),
    Column("birth_date", Date),
    Column("sex", String(16)),
)
studies = Table(
    "studies", metadata,
    Column("study_instance_uid", String(128), primary_key=True),
    Column("patient_id", String(128), index=True, nullable=False),
    Column("study_date", Date),
)
images = Table(
    "images", metadata,
    Column("sop_instance_uid", String(128), primary_key=True),
    Column("study_instance_uid", String(128), index=True, nullable=False),
    Column("series_instance_uid", String(128)),
    Column("path", String(4096)),
    Column("modality", String(16)),
    Column("view_position", String(16)),
)
readings = Table(
    "readings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sop_instance_uid", String(128), index=True, nullable=False),
    Column("reader", String(128), nullable=False),
    Column("path", String(4096), nullable=False),
    Column("saved_at", DateTime),
    Column("sdi", Integer),
    Column("fractured", Integer),
    Column("not_evaluable", Integer),
    Column("graded", Integer),
    Column("max_grade", Float),
    UniqueConstraint("sop_instance_uid", "reader", name="uq_reading_sop_reader"),
)
#: Clinical context of a patient (vfa/clinical.py, domain.md §8), one row per fact, the same
#: shape as a row of the clinical import CSV. A table of its own (no change to the others),
#: created on first use of an older index by ``metadata.create_all``; when the index moves to
#: migrations this is one ``op.create_table`` with exactly these columns and the index on
#: ``patient_id``. ``date`` is NULL for undated facts (a diagnosis); ``kind`` is one of
#: vfa.clinical.KINDS.
clinical_events = Table(
    "clinical_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("patient_id", String(128), index=True, nullable=False),
    Column("date", Date),
    Column("kind", String(32), nullable=False),
    Column("value", String(512), nullable=False),
    Column("detail", String(512)),
    Column("entered_at", DateTime),
)
meta = Table(
    "vfa_meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(256)),
)


@dataclass(frozen=True)
class PatientRecord:
    patient_id: str
    patient_name: str | None
    birth_date: _dt.date | None
    sex: str | None


@dataclass(frozen=True)
class StudyRecord:
    study_instance_uid: str
    patient_id: str
    study_date: _dt.date | None


@dataclass(frozen=True)
class ImageRecord:
    sop_instance_uid: str
    study_instance_uid: str
    series_instance_uid: str | None
    path: str | None
    modality: str | None
    view_position: str | None


@dataclass(frozen=True)
class ReadingRecord:
    sop_instance_uid: str
    reader: str
    path: str
    saved_at: _dt.datetime | None
    sdi: int | None
    fractured: int | None
    not_evaluable: int | None
    graded: int | None
    max_grade: float | None


@dataclass(frozen=True)
class ClinicalRecord:
    """One row of ``clinical_events``."""

    id: int
    patient_id: str
    date: _dt.date | None
    kind: str
    value: str
    detail: str


class Index:
    """The index of one workspace (or of a shared server)."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        try:
            self.engine: Engine = create_engine(url, future=True, **engine_kwargs)
            metadata.create_all(self.engine)
            with self.engine.begin() as c:
                row = c.execute(select(meta.c.value).where(meta.c.key == "schema_version")).first()
                if row is None:
                    c.execute(meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
                elif int(row[0]) > SCHEMA_VERSION:
                    raise WorkspaceError(
                        f"the workspace index was written by a newer vfa (schema {row[0]}); "
                        "upgrade vfa to open it")
        except SQLAlchemyError as exc:
            raise WorkspaceError(f"cannot open the workspace index ({_safe_url(url)}): "
                                 f"{exc.__class__.__name__}: {exc.orig if hasattr(exc, 'orig') else exc}") from None

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ writes
    def _upsert(self, table: Table, key: Iterable[str], values: dict[str, Any]) -> None:
        cond = [table.c[k] == values[k] for k in key]
        try:
            with self.engine.begin() as c:
                if c.execute(select(*[table.c[k] for k in key]).where(*cond)).first() is None:
                    c.execute(table.insert().values(**values))
                else:
                    c.execute(table.update().where(*cond).values(**values))
        except SQLAlchemyError as exc:
            raise WorkspaceError(f"cannot update the workspace index: {exc.__class__.__name__}") from None

    def upsert_patient(self, rec: PatientRecord) -> None:
        self._upsert(patients, ["patient_id"], rec.__dict__.copy())

    def upsert_study(self, rec: StudyRecord) -> None:
        self._upsert(studies, ["study_instance_uid"], rec.__dict__.copy())

    def upsert_image(self, rec: ImageRecord) -> None:
        self._upsert(images, ["sop_instance_uid"], rec.__dict__.copy())

    def upsert_reading(self, rec: ReadingRecord) -> None:
        self._upsert(readings, ["sop_instance_uid", "reader"], rec.__dict__.copy())

    def register_films(self, films: Iterable[tuple[PatientRecord, StudyRecord, ImageRecord]]) -> None:
        """Put many films' patients, studies and images in the index in ONE transaction, with
        the merge rules of :meth:`vfa.workspace.Workspace.register_identity` applied in order:
        an empty patient name, birth date or sex, image path, modality or view position keeps
        the value already known; a study and an image's series are replaced.

        Existing rows are found with one query per table and written with one executemany per
        table and kind (insert/update), so the cost per film is a few microseconds of SQL.
        """
        films = list(films)
        if not films:
            return
        try:
            with self.engine.begin() as c:
                self._merge(c, patients, "patient_id", [p for p, _, _ in films], _merge_patient)
                self._merge(c, studies, "study_instance_uid", [s for _, s, _ in films], _replace)
                self._merge(c, images, "sop_instance_uid", [i for _, _, i in films], _merge_image)
        except SQLAlchemyError as exc:
            raise WorkspaceError(f"cannot update the workspace index: {exc.__class__.__name__}") from None

    @staticmethod
    def _merge(c: Any, table: Table, key: str, recs: list[Any], merge: Any) -> None:
        keys = list(dict.fromkeys(getattr(r, key) for r in recs))
        known: dict[str, dict[str, Any]] = {}
        for i in range(0, len(keys), _IN_CHUNK):
            stmt = select(table).where(table.c[key].in_(keys[i:i + _IN_CHUNK]))
            known.update({row[key]: dict(row) for row in c.execute(stmt).mappings()})
        stored = set(known)
        for r in recs:
            k = getattr(r, key)
            known[k] = merge(known.get(k), r.__dict__)
        new = [known[k] for k in keys if k not in stored]
        old = [dict(known[k], _key=k) for k in keys if k in stored]
        if new:
            c.execute(table.insert(), new)
        if old:  # SET takes the columns named in the parameter dicts
            c.execute(table.update().where(table.c[key] == bindparam("_key")), old)

    def delete_reading(self, sop_instance_uid: str, reader: str) -> None:
        with self.engine.begin() as c:
            c.execute(readings.delete().where(readings.c.sop_instance_uid == sop_instance_uid,
                                              readings.c.reader == reader))

    # ------------------------------------------------------------------ queries
    def _rows(self, stmt: Any) -> list[Any]:
        try:
            with self.engine.connect() as c:
                return list(c.execute(stmt).mappings())
        except SQLAlchemyError as exc:
            raise WorkspaceError(f"cannot read the workspace index: {exc.__class__.__name__}") from None

    def patients(self) -> list[PatientRecord]:
        return [PatientRecord(**r) for r in self._rows(select(patients).order_by(patients.c.patient_id))]

    def patient(self, patient_id: str) -> PatientRecord | None:
        rows = self._rows(select(patients).where(patients.c.patient_id == patient_id))
        return PatientRecord(**rows[0]) if rows else None

    def studies(self, patient_id: str) -> list[StudyRecord]:
        stmt = select(studies).where(studies.c.patient_id == patient_id).order_by(studies.c.study_date)
        return [StudyRecord(**r) for r in self._rows(stmt)]

    def images(self, study_instance_uid: str) -> list[ImageRecord]:
        stmt = select(images).where(images.c.study_instance_uid == study_instance_uid)
        return [ImageRecord(**r) for r in self._rows(stmt)]

    def image(self, sop_instance_uid: str) -> ImageRecord | None:
        rows = self._rows(select(images).where(images.c.sop_instance_uid == sop_instance_uid))
        return ImageRecord(**rows[0]) if rows else None

    def readings(self, sop_instance_uid: str | None = None, patient_id: str | None = None,
                 reader: str | None = None) -> list[ReadingRecord]:
        stmt = select(readings)
        if sop_instance_uid is not None:
            stmt = stmt.where(readings.c.sop_instance_uid == sop_instance_uid)
        if reader is not None:
            stmt = stmt.where(readings.c.reader == reader)
        if patient_id is not None:
            stmt = (stmt.join(images, images.c.sop_instance_uid == readings.c.sop_instance_uid)
                    .join(studies, studies.c.study_instance_uid == images.c.study_instance_uid)
                    .where(studies.c.patient_id == patient_id)
                    .order_by(studies.c.study_date))
        cols = [c.name for c in readings.c if c.name != "id"]
        return [ReadingRecord(**{k: r[k] for k in cols}) for r in self._rows(stmt)]

    # ------------------------------------------------------------------ clinical context
    def clinical_events(self, patient_id: str | None = None) -> list["ClinicalRecord"]:
        """The clinical rows of a patient, or of everyone (Workspace.clinical_events makes
        them vfa.clinical.ClinicalEvent objects)."""
        stmt = select(clinical_events).order_by(clinical_events.c.patient_id,
                                                clinical_events.c.date, clinical_events.c.id)
        if patient_id is not None:
            stmt = stmt.where(clinical_events.c.patient_id == patient_id)
        return [ClinicalRecord(r["id"], r["patient_id"], r["date"], r["kind"], r["value"],
                               r["detail"] or "") for r in self._rows(stmt)]

    def add_clinical_events(self, events: Iterable[Any]) -> int:
        rows = [{"patient_id": e.patient_id, "date": e.date, "kind": e.kind, "value": e.value,
                 "detail": e.detail or "", "entered_at": _dt.datetime.now()} for e in events]
        if not rows:
            return 0
        try:
            with self.engine.begin() as c:
                c.execute(clinical_events.insert(), rows)
        except SQLAlchemyError as exc:
            raise WorkspaceError(f"cannot update the workspace index: {exc.__class__.__name__}") from None
        return len(rows)

    def replace_clinical_events(self, patient_id: str, events: Iterable[Any]) -> int:
        """Make ``events`` the patient's whole clinical context (one transaction)."""
        rows = [{"patient_id": patient_id, "date": e.date, "kind": e.kind, "value": e.value,
                 "detail": e.detail or "", "entered_at": _dt.datetime.now()} for e in events]
        try:
            with self.engine.begin() as c:
                c.execute(clinical_events.delete().where(clinical_events.c.patient_id == patient_id))
                if rows:
                    c.execute(clinical_events.insert(), rows)
        except SQLAlchemyError as exc:
            raise WorkspaceError(f"cannot update the workspace index: {exc.__class__.__name__}") from None
        return len(rows)


#: Keys per ``IN (...)`` query (well under SQLite's bound-parameter limit).
_IN_CHUNK = 500


def _replace(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    return dict(new)


def _merge_patient(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    out = dict(new)
    if old is not None:
        for k in ("patient_name", "birth_date", "sex"):
            out[k] = new[k] or old.get(k)
    return out


def _merge_image(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    out = dict(new)
    out["series_instance_uid"] = new["series_instance_uid"] or None
    if old is not None:
        for k in ("path", "modality", "view_position"):
            out[k] = new[k] or old.get(k)
    return out


def _safe_url(url: str) -> str:
    """The URL without its password (never shown or logged)."""
    try:
        from sqlalchemy.engine import make_url
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL is shown as its scheme only
        return url.split(":", 1)[0] + "://…"
