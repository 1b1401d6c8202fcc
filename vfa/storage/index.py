"""The workspace index: patients, studies, images and readings, through SQLAlchemy.

An SQLite file is the embedded default; a PostgreSQL server
(``postgresql+psycopg://user@host/vfa``, the ``postgresql`` extra) serves a reading centre.
Only SQLAlchemy Core constructs are used here; nothing outside this module touches SQL.

The schema is created and upgraded by the Alembic migrations in :mod:`vfa.storage.migrations`, run
when an index is opened (:func:`migrate`). Readings rows carry a ``version``: a save names
the version it started from and is refused (:class:`StaleReadingError`) when another session
saved in between (optimistic concurrency, docs/reading-centre.md).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

from sqlalchemy import (BigInteger, Boolean, Column, Date, DateTime, Float, ForeignKey, Integer,
                        MetaData, String, Table, UniqueConstraint, bindparam, create_engine,
                        select)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from vfa.errors import WorkspaceError

#: Schema version in vfa_meta (vfa 0.1 wrote 1 and refuses a higher one). 2: reading versions
#: and reading lists.
SCHEMA_VERSION = 2
#: Alembic's version table (a shared PostgreSQL database may serve other applications).
VERSION_TABLE = "vfa_alembic_version"
#: The newest migration in vfa/storage/migrations/versions (a test checks it is Alembic's head), so
#: that opening an index that is already up to date needs no Alembic at all: loading Alembic
#: and its migration scripts costs about half a second at every start of the viewer.
HEAD_REVISION = "c13_clinical_events"
_ADVISORY_LOCK = 0x5646_4131  # "VFA1": serialises migrations of a PostgreSQL index


class StaleReadingError(WorkspaceError):
    """A reading was saved by another session since this one loaded it."""


class _Stale(Exception):
    """Internal: the conditional update matched no row."""

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
    Column("version", Integer, nullable=False, server_default="1"),
    UniqueConstraint("sop_instance_uid", "reader", name="uq_reading_sop_reader"),
)
reading_lists = Table(
    "reading_lists", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("created_at", DateTime),
    Column("blinded", Boolean, nullable=False),
    Column("seed", BigInteger),
    Column("note", String(1024)),
)
reading_list_items = Table(
    "reading_list_items", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("list_id", Integer, ForeignKey("reading_lists.id", ondelete="CASCADE"), nullable=False),
    Column("reader", String(128), nullable=False),
    Column("position", Integer, nullable=False),
    Column("sop_instance_uid", String(128), nullable=False),
    Column("label", String(64), nullable=False),
)
#: Clinical context of a patient (vfa/study/clinical.py, domain.md §8), one row per fact, the same
#: shape as a row of the clinical import CSV. A table of its own (no change to the others),
#: created by the migration ``c13_clinical_events``. ``date`` is NULL for undated facts (a
#: diagnosis); ``kind`` is one of vfa.study.clinical.KINDS.
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
    version: int | None = None


def _migrations_config() -> Any:
    from pathlib import Path

    from alembic.config import Config
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory
    return ScriptDirectory.from_config(_migrations_config()).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext
    with engine.connect() as c:
        return MigrationContext.configure(c, opts={"version_table": VERSION_TABLE}).get_current_revision()


def _stored_revision(engine: Engine) -> str | None:
    """The revision recorded in the index, read without Alembic (None: none recorded)."""
    from sqlalchemy import text
    try:
        with engine.connect() as c:
            rows = c.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    except SQLAlchemyError:  # a new or pre-Alembic index
        return None
    return rows[0][0] if len(rows) == 1 else None


def migrate(engine: Engine) -> list[str]:
    """Bring the index schema to the newest revision (Alembic, in one transaction).

    Returns the revisions applied (empty when already up to date). On PostgreSQL an advisory
    lock serialises two clients opening an old index at the same moment; on SQLite the
    database lock does, and a client that lost the race re-checks and finds nothing to do.
    """
    if _stored_revision(engine) == HEAD_REVISION:
        _check_schema_version(engine)
        return []
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory

    cfg = _migrations_config()
    script = ScriptDirectory.from_config(cfg)
    head = script.get_current_head()
    if current_revision(engine) == head:
        _check_schema_version(engine)
        return []
    applied: list[str] = []

    def upgrade(rev: Any, context: Any) -> Any:
        # what ``alembic upgrade head`` runs, through the public API (oldest revision first)
        from alembic.runtime.migration import MigrationStep
        steps = [MigrationStep.upgrade_from_script(script.revision_map, r)
                 for r in reversed(list(script.iterate_revisions("head", rev, implicit_base=True)))]
        applied.extend(s.revision.revision if hasattr(s.revision, "revision") else str(s)
                       for s in steps)
        return steps

    for attempt in range(3):
        try:
            with _write_transaction(engine) as conn:
                if engine.dialect.name == "postgresql":
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_ADVISORY_LOCK})")
                with EnvironmentContext(cfg, script, fn=upgrade, destination_rev="head") as env:
                    env.configure(connection=conn, version_table=VERSION_TABLE,
                                  render_as_batch=engine.dialect.name == "sqlite")
                    with env.begin_transaction():
                        env.run_migrations()
                row = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).first()
                if row is None:
                    conn.execute(meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
                elif int(row[0]) > SCHEMA_VERSION:
                    raise WorkspaceError(
                        f"the workspace index was written by a newer vfa (schema {row[0]}); "
                        "upgrade vfa to open it")
                elif int(row[0]) < SCHEMA_VERSION:
                    conn.execute(meta.update().where(meta.c.key == "schema_version")
                                 .values(value=str(SCHEMA_VERSION)))
            return applied
        except SQLAlchemyError:
            # another client migrated at the same time: if it got there, we are done
            if attempt < 2 and current_revision(engine) == head:
                return []
            if attempt == 2:
                raise
            applied.clear()
    return applied


def _check_schema_version(engine: Engine) -> None:
    with engine.connect() as c:
        row = c.execute(select(meta.c.value).where(meta.c.key == "schema_version")).first()
    if row is not None and int(row[0]) > SCHEMA_VERSION:
        raise WorkspaceError(f"the workspace index was written by a newer vfa (schema {row[0]}); "
                             "upgrade vfa to open it")
    if row is None or int(row[0]) < SCHEMA_VERSION:  # migrated by the alembic command
        with _write_transaction(engine) as c:
            c.execute(meta.delete().where(meta.c.key == "schema_version"))
            c.execute(meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))


def _sqlite_transactions(engine: Engine) -> None:
    """SQLAlchemy's recipe for real SQLite transactions with pysqlite: the driver's own
    BEGIN handling is switched off and SQLAlchemy emits BEGIN (deferred) or, for writes that
    check-then-update (:func:`_write_transaction`), BEGIN IMMEDIATE, which takes the write
    lock up front and waits for it (busy timeout) instead of deadlocking with another
    process's write."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("vfa_immediate")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def _write_transaction(engine: Engine) -> Iterator[Any]:
    """A transaction that will write (BEGIN IMMEDIATE on SQLite); commits on success."""
    with engine.connect() as conn:
        conn = conn.execution_options(vfa_immediate=True)
        with conn.begin():
            yield conn


def _driver_error(url: str) -> str | None:
    """A clear message when the database driver of ``url`` is not installed."""
    import importlib.util
    scheme = url.split(":", 1)[0].lower()
    if scheme.startswith("postgres"):
        driver = scheme.split("+", 1)[1] if "+" in scheme else "psycopg"  # see Index()
        module = {"psycopg": "psycopg", "psycopg2": "psycopg2", "asyncpg": "asyncpg",
                  "pg8000": "pg8000"}.get(driver, driver)
        if importlib.util.find_spec(module) is None:
            hint = ("install the PostgreSQL extra: pip install 'vfa[postgresql]' (psycopg 3)"
                    if module == "psycopg" else
                    f"install the {module} driver, or use postgresql+psycopg:// with "
                    "pip install 'vfa[postgresql]'")
            return f"the index URL {_safe_url(url)} needs the Python module {module!r}: {hint}"
    return None


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
        missing = _driver_error(url)
        if missing:
            raise WorkspaceError(missing)
        for plain in ("postgresql:", "postgres:"):  # SQLAlchemy's default would be psycopg2
            if url.startswith(plain):
                url = "postgresql+psycopg:" + url[len(plain):]
        if url.startswith("sqlite") and "connect_args" not in engine_kwargs:
            # wait for another process's write instead of failing at once (busy timeout)
            engine_kwargs["connect_args"] = {"timeout": 30}
        try:
            self.engine: Engine = create_engine(url, future=True, **engine_kwargs)
            if self.engine.dialect.name == "sqlite":
                _sqlite_transactions(self.engine)
            self.migrated = migrate(self.engine)
        except ModuleNotFoundError as exc:
            raise WorkspaceError(f"cannot open the workspace index ({_safe_url(url)}): the "
                                 f"module {exc.name!r} is missing; install vfa with the "
                                 "'postgresql' extra for a PostgreSQL index") from None
        except SQLAlchemyError as exc:
            raise WorkspaceError(f"cannot open the workspace index ({_safe_url(url)}): "
                                 f"{exc.__class__.__name__}: {exc.orig if hasattr(exc, 'orig') else exc}") from None

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ writes
    def _upsert(self, table: Table, key: Iterable[str], values: dict[str, Any]) -> None:
        cond = [table.c[k] == values[k] for k in key]
        try:
            with _write_transaction(self.engine) as c:
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
        """Insert or replace a readings row regardless of its version (imports, tools)."""
        values = {k: v for k, v in rec.__dict__.items() if k != "version"}
        cur = self.reading_version(rec.sop_instance_uid, rec.reader)
        values["version"] = (cur or 0) + 1
        self._upsert(readings, ["sop_instance_uid", "reader"], values)

    def reading_version(self, sop_instance_uid: str, reader: str) -> int | None:
        """The version of the readings row, None when there is none."""
        rows = self._rows(select(readings.c.version).where(
            readings.c.sop_instance_uid == sop_instance_uid, readings.c.reader == reader))
        return int(rows[0]["version"]) if rows else None

    def save_reading(self, rec: ReadingRecord, expected_version: int | None,
                     write: "Callable[[], Any] | None" = None) -> int:
        """Record a save of the reading started from ``expected_version`` (None: a new
        reading, no row may exist yet) and return the new version.

        The check and the update are one statement in one transaction; ``write`` (the file
        write) runs inside that transaction, after the row is claimed, so two sessions never
        both write: the second one gets :class:`StaleReadingError` and its file is not
        written. On PostgreSQL the row lock, on SQLite the database write lock, holds the
        other session until the first one commits."""
        values = {k: v for k, v in rec.__dict__.items() if k != "version"}
        who = f"the reading of film {rec.sop_instance_uid} by {rec.reader}"
        try:
            with _write_transaction(self.engine) as c:
                if expected_version is None:
                    c.execute(readings.insert().values(**values, version=1))
                    new = 1
                else:
                    res = c.execute(readings.update().where(
                        readings.c.sop_instance_uid == rec.sop_instance_uid,
                        readings.c.reader == rec.reader,
                        readings.c.version == expected_version).values(
                            **values, version=expected_version + 1))
                    if res.rowcount != 1:
                        raise _Stale()
                    new = expected_version + 1
                if write is not None:
                    write()
                return new
        except (IntegrityError, _Stale):
            cur = self.reading_version(rec.sop_instance_uid, rec.reader)
            if expected_version is None:
                raise StaleReadingError(
                    f"{who} was saved by another session (version {cur}) while this one was "
                    "working on a new reading; not saved, nothing overwritten: reopen the film "
                    "to see the saved reading, or save yours under another reader name") from None
            raise StaleReadingError(
                f"{who} was saved by another session since this one opened it (version "
                f"{cur if cur is not None else 'deleted'}, this session started from version "
                f"{expected_version}); not saved, nothing overwritten: reopen the film to see "
                "the other session's reading") from None
        except SQLAlchemyError as exc:
            raise WorkspaceError(f"cannot update the workspace index: {exc.__class__.__name__}: "
                                 f"{getattr(exc, 'orig', exc)}") from None

    # ------------------------------------------------------------------ reading lists
    def create_reading_list(self, name: str, blinded: bool, seed: int | None, note: str | None,
                            items: list[tuple[str, int, str, str]]) -> None:
        """A new list with its items (reader, position, SOP Instance UID, label); refused
        when the name is taken."""
        try:
            with _write_transaction(self.engine) as c:
                if c.execute(select(reading_lists.c.id).where(reading_lists.c.name == name)).first():
                    raise WorkspaceError(f"a reading list named {name!r} exists already; choose "
                                         "another name (lists are never silently replaced)")
                lid = c.execute(reading_lists.insert().values(
                    name=name, created_at=_dt.datetime.now(), blinded=blinded, seed=seed,
                    note=note)).inserted_primary_key[0]
                if items:
                    c.execute(reading_list_items.insert(), [
                        {"list_id": lid, "reader": r, "position": p, "sop_instance_uid": sop,
                         "label": label} for r, p, sop, label in items])
        except SQLAlchemyError as exc:
            raise WorkspaceError(f"cannot update the workspace index: {exc.__class__.__name__}") from None

    def reading_list_names(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._rows(select(reading_lists).order_by(reading_lists.c.id))]

    def reading_list(self, name: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """(the list's row, its items ordered by reader and position), None when unknown."""
        rows = self._rows(select(reading_lists).where(reading_lists.c.name == name))
        if not rows:
            return None
        lst = dict(rows[0])
        items = self._rows(select(reading_list_items).where(
            reading_list_items.c.list_id == lst["id"]).order_by(
            reading_list_items.c.reader, reading_list_items.c.position))
        return lst, [dict(r) for r in items]

    def register_films(self, films: Iterable[tuple[PatientRecord, StudyRecord, ImageRecord]]) -> None:
        """Put many films' patients, studies and images in the index in ONE transaction, with
        the merge rules of :meth:`vfa.storage.workspace.Workspace.register_identity` applied in order:
        an empty patient name, birth date or sex, image path, modality or view position keeps
        the value already known; a study and an image's series are replaced.

        Existing rows are found with one query per table and written with one executemany per
        table and kind (insert/update), so the cost per film is a few microseconds of SQL.
        """
        films = list(films)
        if not films:
            return
        try:
            with _write_transaction(self.engine) as c:
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
        with _write_transaction(self.engine) as c:
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

    def all_images(self) -> list[ImageRecord]:
        return [ImageRecord(**r) for r in self._rows(select(images).order_by(images.c.sop_instance_uid))]

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
        cols = [c.name for c in readings.c if c.name != "id"]  # includes version
        return [ReadingRecord(**{k: r[k] for k in cols}) for r in self._rows(stmt)]

    # ------------------------------------------------------------------ clinical context
    def clinical_events(self, patient_id: str | None = None) -> list["ClinicalRecord"]:
        """The clinical rows of a patient, or of everyone (Workspace.clinical_events makes
        them vfa.study.clinical.ClinicalEvent objects)."""
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
            with _write_transaction(self.engine) as c:
                c.execute(clinical_events.insert(), rows)
        except SQLAlchemyError as exc:
            raise WorkspaceError(f"cannot update the workspace index: {exc.__class__.__name__}") from None
        return len(rows)

    def replace_clinical_events(self, patient_id: str, events: Iterable[Any]) -> int:
        """Make ``events`` the patient's whole clinical context (one transaction)."""
        rows = [{"patient_id": patient_id, "date": e.date, "kind": e.kind, "value": e.value,
                 "detail": e.detail or "", "entered_at": _dt.datetime.now()} for e in events]
        try:
            with _write_transaction(self.engine) as c:
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
