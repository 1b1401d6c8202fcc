"""A reading: one reader's six points, grades and statuses on one film.

The model of the application (napari's "model side"): the viewer, the grading table and the
comparison view all listen to :attr:`Reading.events`. Every edit goes through a method that
validates, stores, then emits a :class:`ReadingEvent`.

The file format (``vfa-reading`` version 1) is documented in docs/reading-format.md.
Unknown keys at the top level and in each vertebra are kept and written back.
"""

from __future__ import annotations

import copy
import datetime as _dt
import enum
import json
import os
import stat
import warnings as _warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from vfa import __version__
from vfa import limits as _limits
from vfa.method import age as _age
from vfa.atomic import atomic_write_text
from vfa.events import EventEmitter
from vfa.reading.proposal import Proposal
from vfa.films.calibration import Spacing, SpacingSource
from vfa.errors import GeometryError, ReadingFormatError, VfaWarning, WrongFilmError
from vfa.limits import SPACING_RANGE_MM, spacing_usable
from vfa.reading import schema as _schema
from vfa.method.geometry import Point, check_six_points, parse_point
from vfa.method.levels import (LEVELS, POINT_SLOTS, DeformityType, Grade, Level, PointSlot, Status,
                     parse_grade)
from vfa.method.qualitative import KEYS as QUALITATIVE_KEYS
from vfa.method.qualitative import Abq, DowngradeReason, EndplateDepression
from vfa.method.settings import MethodSettings

FORMAT = "vfa-reading"
VERSION = 1

_TOP_KEYS = {
    "format", "version", "patient_id", "patient_name", "birth_date", "patient_sex",
    "study_date", "study_instance_uid", "series_instance_uid", "sop_instance_uid",
    "image_path", "reader", "pixel_spacing_mm", "pixel_aspect_ratio", "spacing_source",
    "spacing_detail",
    "settings", "software", "saved_at", "vertebrae", "age_years", "patient_age",
}
_V_KEYS = {"level", "status", "reason", "points", "reader_grade", "reader_type", "note",
           "proposals", "confirmed", *QUALITATIVE_KEYS}


@dataclass
class VertebraReading:
    """One level of a reading. ``points`` may be partial while the reader is placing them."""

    level: Level
    status: Status = Status.EVALUABLE
    reason: str | None = None
    points: dict[PointSlot, Point] = field(default_factory=dict)
    reader_grade: Grade | None = None
    reader_type: DeformityType | None = None
    note: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: Points proposed by vfa.reading.autoplace, by slot (docs/semi-automatic.md). A proposed point
    #: also sits in ``points``; the proposal records where and how it was proposed and
    #: whether the reader accepted or moved it.
    proposals: dict[PointSlot, Proposal] = field(default_factory=dict)
    #: The reader confirmed the suggested grade as it stands (domain.md §3). A reader grade
    #: confirms by itself; editing a point of a level without a reader grade withdraws it.
    confirmed: bool = False
    #: The reader's qualitative observations (vfa/method/qualitative.py, domain.md §9); never used
    #: to compute a grade. JSON keys absent = not recorded.
    endplate_depression: EndplateDepression | None = None
    abq: Abq | None = None
    downgrade_reason: DowngradeReason | None = None
    downgrade_text: str | None = None

    @property
    def has_qualitative(self) -> bool:
        return bool(self.endplate_depression or self.abq or self.downgrade_reason
                    or self.downgrade_text)

    @property
    def pending_proposals(self) -> list[PointSlot]:
        """Slots whose point is still a suggestion (neither accepted nor moved)."""
        return [s for s in POINT_SLOTS if s in self.proposals and self.proposals[s].pending]

    @property
    def complete(self) -> bool:
        return all(s in self.points for s in POINT_SLOTS)

    @property
    def empty(self) -> bool:
        return (not self.points and self.status is Status.EVALUABLE and self.reader_grade is None
                and self.reader_type is None and not self.note and not self.extra
                and not self.proposals and not self.confirmed and not self.has_qualitative)

    def next_slot(self) -> PointSlot | None:
        """The first slot (canonical order) still without a point."""
        for s in POINT_SLOTS:
            if s not in self.points:
                return s
        return None

    def check(self) -> None:
        """Raise GeometryError if the six points are impossible (only when complete)."""
        if self.complete:
            check_six_points(self.level, self.points)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = dict(self.extra)
        d.update({
            "level": self.level.value,
            "status": self.status.value,
            "reason": self.reason,
            "points": ({s.value: [self.points[s][0], self.points[s][1]]
                        for s in POINT_SLOTS if s in self.points} or None),
            "reader_grade": self.reader_grade,
            "reader_type": self.reader_type.value if self.reader_type else None,
            "note": self.note,
        })
        if self.confirmed or self.reader_grade is not None:  # absent = false (older files)
            d["confirmed"] = True
        for key in QUALITATIVE_KEYS:  # absent = not recorded (older files stay identical)
            val = getattr(self, key)
            if val is not None:
                d[key] = str(val)
        if self.proposals:  # absent = no proposals (files of older vfa stay identical)
            d["proposals"] = {s.value: self.proposals[s].to_dict()
                              for s in POINT_SLOTS if s in self.proposals}
        return d


class ReadingEventKind(str, enum.Enum):
    """What kind of change a :class:`ReadingEvent` announces."""

    POINT = "point"              # a point placed, moved or removed (``slot`` when one)
    PROPOSAL = "proposal"        # a proposal accepted: the point did not move
    GRADE = "grade"
    CONFIRM = "confirm"          # a level's grade confirmed or unconfirmed
    TYPE = "type"                # the deformity type
    STATUS = "status"
    NOTE = "note"
    QUALITATIVE = "qualitative"  # endplate depression, ABQ, downgrade reason
    VERTEBRA = "vertebra"        # a level's content cleared
    RELABEL = "relabel"          # levels renamed
    SPACING = "spacing"
    META = "meta"                # patient, study or reader details
    RESET = "reset"              # all content replaced (undo/redo, recovery)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class ReadingEvent:
    """What changed (``kind``), and ``level`` (and ``slot``) where one level changed."""

    kind: ReadingEventKind
    level: Level | None = None
    slot: PointSlot | None = None


def _parse_date(value: Any, where: str) -> _dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, _dt.date):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{where} must be a date 'YYYY-MM-DD', got {value!r}")
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{where} must be a date 'YYYY-MM-DD', got {value!r}") from None


class Reading:
    """One reader's reading of one film."""

    #: The workspace index version this reading was loaded or last saved at (None: new, or
    #: not from a workspace); not part of the file. vfa.storage.workspace checks it on save.
    index_version: int | None = None
    #: The file this reading was loaded from or last saved to (set by load/save; not in the file):
    #: where a relative image_path is resolved from.
    source_path: Path | None = None

    def __init__(self, *, patient_id: str = "", study_date: _dt.date | None = None,
                 study_instance_uid: str = "", sop_instance_uid: str = "",
                 series_instance_uid: str = "", image_path: str | None = None,
                 reader: str | None = None, spacing: Spacing | None = None,
                 patient_name: str | None = None, birth_date: _dt.date | None = None,
                 patient_sex: str | None = None, settings: MethodSettings | None = None,
                 patient_age: str | None = None, age_years: float | None = None) -> None:
        self.patient_id = patient_id
        #: The film's Patient's Age (0010,1010), e.g. "011Y", kept when the birth date is not.
        self.patient_age = patient_age or None
        #: The reader's own entry of the age (years), used only when the film gives none.
        self.age_years = None if age_years is None else _age.valid_age_years(age_years)
        self.patient_name = patient_name
        self.birth_date = birth_date
        self.patient_sex = patient_sex
        self.study_date = study_date
        self.study_instance_uid = study_instance_uid
        self.series_instance_uid = series_instance_uid
        self.sop_instance_uid = sop_instance_uid
        self.image_path = image_path
        self.reader = reader
        self.spacing = spacing or Spacing.uncalibrated()
        self.settings = settings or MethodSettings()
        self.vertebrae: dict[Level, VertebraReading] = {}
        self.extra: dict[str, Any] = {}
        self.events: EventEmitter[ReadingEvent] = EventEmitter()
        #: What loading refused without refusing the file (an unusable spacing, domain.md §5).
        self.load_warnings: list[str] = []

    # ------------------------------------------------------------------ construction
    @classmethod
    def for_radiograph(cls, radiograph: Any, reader: str | None = None,
                       settings: MethodSettings | None = None) -> "Reading":
        """An empty reading of a loaded :class:`vfa.films.radiograph.Radiograph`. A film
        whose identity is beyond DICOM's own lengths (vfa/limits.py) is refused here, before
        any work, so that every reading made can be loaded again (ReadingFormatError)."""
        ident = radiograph.identity
        for what, value, limit in (
                ("Patient ID", ident.patient_id, _limits.LO_CHARS),
                ("Patient's Name", ident.patient_name, _limits.PN_CHARS),
                ("Patient's Sex", ident.sex, _limits.CS_CHARS),
                ("Patient's Age", getattr(ident, "patient_age", ""), _limits.CS_CHARS),
                ("Study Instance UID", ident.study_instance_uid, _limits.UI_CHARS),
                ("Series Instance UID", ident.series_instance_uid, _limits.UI_CHARS),
                ("SOP Instance UID", ident.sop_instance_uid, _limits.UI_CHARS)):
            if value and len(str(value)) > limit:
                raise ReadingFormatError(f"the film's {what} is {len(str(value))} characters long; DICOM "
                                         f"allows {limit}: the film's header is damaged, it cannot be read")
        return cls(
            patient_id=ident.patient_id or "", patient_name=ident.patient_name or None,
            birth_date=ident.birth_date, patient_sex=ident.sex or None,
            study_date=ident.study_date, study_instance_uid=ident.study_instance_uid or "",
            series_instance_uid=ident.series_instance_uid or "",
            sop_instance_uid=ident.sop_instance_uid or "",
            image_path=str(Path(radiograph.path).absolute()) if radiograph.path else None,
            reader=reader, spacing=radiograph.spacing, settings=settings,
            patient_age=getattr(ident, "patient_age", "") or None)

    # ------------------------------------------------------------------ queries
    def vertebra(self, level: Level | str) -> VertebraReading:
        """The vertebra at ``level``, created empty if absent (not emitted)."""
        lv = Level.parse(level)
        v = self.vertebrae.get(lv)
        if v is None:
            v = self.vertebrae[lv] = VertebraReading(lv)
        return v

    def get(self, level: Level | str) -> VertebraReading | None:
        return self.vertebrae.get(Level.parse(level))

    def __iter__(self) -> Iterator[VertebraReading]:
        return (self.vertebrae[lv] for lv in LEVELS if lv in self.vertebrae)

    def age_at_study(self) -> float | None:
        """Age in years at the study date (domain.md §6): birth date with the study date
        (completed calendar years plus the elapsed fraction of the current one), else the
        film's Patient's Age, else the reader's ``age_years``; None when unknown."""
        return self.age_and_source()[0]

    def age_and_source(self) -> tuple[float | None, str | None]:
        """(age, where it came from) — see :func:`vfa.method.age.age_at_study`."""
        return _age.age_at_study(self.birth_date, self.study_date, self.patient_age,
                                 self.age_years)

    def is_paediatric(self, settings: MethodSettings | None = None) -> bool | None:
        age = self.age_at_study()
        if age is None:
            return None
        return age < (settings or self.settings).paediatric_age_years

    def check(self) -> None:
        """Raise GeometryError for the first impossible vertebra."""
        for v in self:
            if v.status is Status.EVALUABLE:
                v.check()

    # ------------------------------------------------------------------ edits (emit)
    def set_point(self, level: Level | str, slot: PointSlot | str, xy: Point,
                  check: bool = False) -> None:
        """Place or move one point. With ``check`` a complete vertebra is validated first
        and the edit refused (GeometryError) if it would be impossible."""
        lv, sl = Level.parse(level), PointSlot.parse(slot)
        p = parse_point(list(xy), f"{lv} {sl.value}")
        v = self.vertebra(lv)
        if check:
            trial = dict(v.points)
            trial[sl] = p
            if all(s in trial for s in POINT_SLOTS):
                check_six_points(lv, trial)
        v.points[sl] = p
        _mark_moved(v, sl)
        _unconfirm(v)
        self.events.emit(ReadingEvent(ReadingEventKind.POINT, lv, sl))

    def remove_point(self, level: Level | str, slot: PointSlot | str) -> None:
        lv, sl = Level.parse(level), PointSlot.parse(slot)
        v = self.vertebrae.get(lv)
        if v is not None and sl in v.points:
            del v.points[sl]
            v.proposals.pop(sl, None)
            _unconfirm(v)
            self.events.emit(ReadingEvent(ReadingEventKind.POINT, lv, sl))

    def set_points(self, level: Level | str, points: dict[PointSlot | str, Point]) -> None:
        lv = Level.parse(level)
        v = self.vertebra(lv)
        new = {PointSlot.parse(k): parse_point(list(p), f"{lv} {k}") for k, p in points.items()}
        for sl in list(v.proposals):
            if sl not in new:
                del v.proposals[sl]
            elif new[sl] != v.points.get(sl):
                _mark_moved(v, sl)
        if new != v.points:
            _unconfirm(v)
        v.points = new
        self.events.emit(ReadingEvent(ReadingEventKind.POINT, lv))

    # ------------------------------------------------------------------ proposals
    def propose(self, level: Level | str, proposals: dict[PointSlot | str, Proposal],
                replace_placed: bool = False) -> list[PointSlot]:
        """Place proposed points (state 'proposed'): each goes into ``points`` and
        ``proposals``. A point the reader placed or moved, or a proposal already accepted,
        is left alone unless ``replace_placed``. Returns the slots set; emits one 'point'
        event for the level if any."""
        lv = Level.parse(level)
        v = self.vertebra(lv)
        done: list[PointSlot] = []
        for k, prop in proposals.items():
            sl = PointSlot.parse(k)
            if not isinstance(prop, Proposal):
                raise TypeError(f"{lv} {sl.value}: expected a Proposal, got {prop!r}")
            old = v.proposals.get(sl)
            placed_by_reader = sl in v.points and (old is None or not old.pending)
            if placed_by_reader and not replace_placed:
                continue
            v.points[sl] = parse_point([prop.x, prop.y], f"{lv} {sl.value}")
            v.proposals[sl] = prop.with_state("proposed")
            done.append(sl)
        if done:
            _unconfirm(v)
            self.events.emit(ReadingEvent(ReadingEventKind.POINT, lv))
        return done

    def accept_proposal(self, level: Level | str, slot: PointSlot | str | None = None) -> list[PointSlot]:
        """Accept the pending proposal of ``slot`` (all pending ones of the level when None):
        the point stays where it is, the state becomes 'accepted'. Emits a 'proposal' event
        per accepted slot; returns the slots accepted."""
        lv, v, slots = self._pending(level, slot)
        for sl in slots:
            v.proposals[sl] = v.proposals[sl].with_state("accepted")
            self.events.emit(ReadingEvent(ReadingEventKind.PROPOSAL, lv, sl))
        return slots

    def reject_proposal(self, level: Level | str, slot: PointSlot | str | None = None) -> list[PointSlot]:
        """Reject the pending proposal of ``slot`` (all pending ones of the level when None):
        the proposed point is removed with its record. Accepted or moved points are the
        reader's and are kept. Emits a 'point' event per removed slot."""
        lv, v, slots = self._pending(level, slot)
        for sl in slots:
            del v.proposals[sl]
            v.points.pop(sl, None)
            self.events.emit(ReadingEvent(ReadingEventKind.POINT, lv, sl))
        return slots

    def _pending(self, level: Level | str, slot: PointSlot | str | None
                 ) -> tuple[Level, VertebraReading, list[PointSlot]]:
        """The level, its vertebra and its pending-proposal slots (``slot`` only, or all)."""
        lv = Level.parse(level)
        v = self.vertebrae.get(lv) or VertebraReading(lv)
        slots = [PointSlot.parse(slot)] if slot is not None else list(POINT_SLOTS)
        return lv, v, [s for s in slots if s in v.proposals and v.proposals[s].pending]

    def set_reader_grade(self, level: Level | str, grade: Grade | None) -> None:
        """Give (or clear, with None) the reader's grade. Giving a grade confirms the level;
        clearing it leaves the suggestion standing, unconfirmed."""
        lv = Level.parse(level)
        v = self.vertebra(lv)
        v.reader_grade = parse_grade(grade)
        v.confirmed = v.reader_grade is not None
        self.events.emit(ReadingEvent(ReadingEventKind.GRADE, lv))

    def set_confirmed(self, level: Level | str, confirmed: bool = True) -> None:
        """Confirm (or withdraw the confirmation of) the level's grade as it stands. A level
        with a reader grade stays confirmed: clear the reader grade to withdraw it."""
        lv = Level.parse(level)
        v = self.vertebra(lv)
        v.confirmed = bool(confirmed) or v.reader_grade is not None
        self.events.emit(ReadingEvent(ReadingEventKind.CONFIRM, lv))

    def set_age_years(self, age_years: float | None) -> None:
        """The reader's entry of the patient's age at this study (years), or None."""
        self.age_years = None if age_years is None else _age.valid_age_years(age_years)
        self.events.emit(ReadingEvent(ReadingEventKind.META))

    def set_reader_type(self, level: Level | str, dtype: DeformityType | str | None) -> None:
        lv = Level.parse(level)
        self.vertebra(lv).reader_type = DeformityType.parse(dtype or None)
        self.events.emit(ReadingEvent(ReadingEventKind.TYPE, lv))

    def set_status(self, level: Level | str, status: Status | str, reason: str | None = None) -> None:
        lv = Level.parse(level)
        st = Status(status)
        if st is Status.NOT_EVALUABLE and not (reason and reason.strip()):
            raise ValueError(f"{lv}: a reason is required to mark a level not evaluable "
                             "(e.g. 'not visible', 'rotated/oblique', 'hardware')")
        _check_text_length(reason, "reason")
        v = self.vertebra(lv)
        v.status = st
        v.reason = reason.strip() if (st is Status.NOT_EVALUABLE and reason) else None
        self.events.emit(ReadingEvent(ReadingEventKind.STATUS, lv))

    def set_note(self, level: Level | str, note: str | None) -> None:
        lv = Level.parse(level)
        _check_text_length(note, "note")
        self.vertebra(lv).note = note or None
        self.events.emit(ReadingEvent(ReadingEventKind.NOTE, lv))

    # ------------------------------------------------------------------ qualitative (§9)
    def set_endplate_depression(self, level: Level | str,
                                value: EndplateDepression | str | None) -> None:
        """Record endplate depression (superior, inferior, both, none; None = not recorded)."""
        self._set_qualitative(level, "endplate_depression", EndplateDepression.parse(value))

    def set_abq(self, level: Level | str, value: Abq | str | None) -> None:
        """Record the ABQ call (normal, non_fracture_deformity, fracture; None = not recorded).
        Never changes the grade."""
        self._set_qualitative(level, "abq", Abq.parse(value))

    def set_downgrade_reason(self, level: Level | str, value: DowngradeReason | str | None,
                             text: str | None = None) -> None:
        """Why the reader downgraded the level (normal variant vocabulary; ``text`` is free
        text, expected with ``other``). None clears both."""
        reason = DowngradeReason.parse(value)
        _check_text_length(text, "downgrade text")
        v = self.vertebra(Level.parse(level))
        v.downgrade_text = ((text or "").strip() or None) if reason is not None else None
        self._set_qualitative(level, "downgrade_reason", reason)

    def _set_qualitative(self, level: Level | str, key: str, value: Any) -> None:
        lv = Level.parse(level)
        setattr(self.vertebra(lv), key, value)
        self.events.emit(ReadingEvent(ReadingEventKind.QUALITATIVE, lv))

    def remove_vertebra(self, level: Level | str) -> None:
        lv = Level.parse(level)
        if self.vertebrae.pop(lv, None) is not None:
            self.events.emit(ReadingEvent(ReadingEventKind.VERTEBRA, lv))

    def relabel(self, shift: int) -> None:
        """Shift every level by ``shift`` (+1: each vertebra becomes the one below it), for
        transitional anatomy. Refused if a vertebra would leave T4-L4."""
        if shift == 0:
            return
        targets: dict[Level, Level] = {}
        for lv, v in self.vertebrae.items():
            if v.empty:
                continue
            new = lv.shifted(shift)
            if new is None:
                raise ValueError(f"cannot relabel by {shift:+d}: {lv} would leave T4-L4")
            targets[lv] = new
        # Only now change anything: a refused relabel leaves the reading untouched.
        moved: dict[Level, VertebraReading] = {}
        for lv in LEVELS:
            if lv in targets:
                v = self.vertebrae[lv]
                v.level = targets[lv]
                moved[targets[lv]] = v
        self.vertebrae = moved
        self.events.emit(ReadingEvent(ReadingEventKind.RELABEL))

    def set_spacing(self, spacing: Spacing) -> None:
        self.spacing = spacing
        self.events.emit(ReadingEvent(ReadingEventKind.SPACING))

    def restore(self, other: "Reading") -> None:
        """Take all content of ``other`` (undo/redo, recovery), keeping listeners."""
        for name in ("patient_id", "patient_name", "birth_date", "patient_sex", "study_date",
                     "patient_age", "age_years",
                     "study_instance_uid", "series_instance_uid", "sop_instance_uid",
                     "image_path", "reader", "spacing", "settings"):
            setattr(self, name, getattr(other, name))
        self.vertebrae = copy.deepcopy(other.vertebrae)
        self.extra = copy.deepcopy(other.extra)
        self.events.emit(ReadingEvent(ReadingEventKind.RESET))

    def copy(self) -> "Reading":
        """An independent copy of the content (no listeners). Does not validate: an
        in-progress reading with an impossible vertebra can still be copied (undo)."""
        other = Reading()
        other.restore(self)
        return other

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = dict(self.extra)
        d.update({
            "format": FORMAT,
            "version": VERSION,
            "patient_id": self.patient_id,
            "patient_name": self.patient_name,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "patient_sex": self.patient_sex,
            "study_date": self.study_date.isoformat() if self.study_date else None,
            "study_instance_uid": self.study_instance_uid,
            "series_instance_uid": self.series_instance_uid,
            "sop_instance_uid": self.sop_instance_uid,
            "image_path": self.image_path,
            "reader": self.reader,
            "pixel_spacing_mm": self.spacing.as_list(),
            # Uncalibrated films: the (normalised) Pixel Aspect Ratio [row, col], so that
            # heights and ratios are the same after reloading; null when square or calibrated.
            "pixel_aspect_ratio": (None if self.spacing.calibrated
                                   or (self.spacing.row_mm, self.spacing.col_mm) == (1.0, 1.0)
                                   else [self.spacing.row_mm, self.spacing.col_mm]),
            "spacing_source": self.spacing.source.value,
            "spacing_detail": self.spacing.detail or None,
            "settings": self.settings.to_dict(),
            "software": f"vfa {__version__}",
            "vertebrae": [v.to_dict() for v in self if not v.empty],
        })
        # Optional (format 1.x): absent in files of older vfa, which load unchanged.
        if self.patient_age:
            d["patient_age"] = self.patient_age
        if self.age_years is not None:
            d["age_years"] = self.age_years
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: Any, check_geometry: bool = True) -> "Reading":
        """Validate and build; ReadingFormatError names the bad field.

        Validation is :mod:`vfa.reading.schema`: the limits of :mod:`vfa.limits`, then the JSON
        Schema of the format (docs/reading-format.schema.json); :meth:`_from_dict` maps the
        valid document onto the model and checks what a schema cannot say. A spacing that is
        not usable (domain.md §5) is not an error: the reading is uncalibrated and the refusal
        is in :attr:`load_warnings` (and issued as a :class:`vfa.errors.VfaWarning`).

        With ``check_geometry=False`` impossible six-point sets are loaded as they are (the
        workspace and autosave recovery use this, so that work in progress is never lost;
        :func:`vfa.method.morphometry.measure_reading` then reports the level as an error)."""
        if not isinstance(data, dict):
            raise ReadingFormatError("a reading must be a JSON object")
        fmt = data.get("format")
        if fmt != FORMAT:
            raise ReadingFormatError(f"field 'format' must be {FORMAT!r}, got {_schema.short(fmt)}: "
                                     "this is not a vfa reading file")
        ver = data.get("version")
        if type(ver) is not int or ver != VERSION:
            raise ReadingFormatError(f"field 'version' is {_schema.short(ver)}; this vfa reads version "
                                     f"{VERSION}" + (": upgrade vfa" if type(ver) is int and ver > VERSION
                                                     else ""))
        _schema.check_limits(data)
        _schema.validate(data)
        try:
            return cls._from_dict(data, check_geometry)
        except ReadingFormatError:
            raise
        except (ValueError, TypeError, KeyError, OverflowError) as exc:
            raise ReadingFormatError(str(exc)) from None

    @classmethod
    def _from_dict(cls, data: dict[str, Any], check_geometry: bool = True) -> "Reading":
        """Map a document that passed the schema onto the model (no type checks here)."""
        load_warnings: list[str] = []
        spacing = _spacing_of(data, load_warnings)
        try:
            settings = MethodSettings.from_dict(data.get("settings"))
        except ValueError as exc:
            raise ReadingFormatError(f"field 'settings': {exc}") from None
        r = cls(
            patient_id=data["patient_id"],
            patient_name=data.get("patient_name"),
            birth_date=_parse_date(data.get("birth_date"), "field 'birth_date'"),
            patient_sex=data.get("patient_sex"),
            study_date=_parse_date(data.get("study_date"), "field 'study_date'"),
            study_instance_uid=data.get("study_instance_uid") or "",
            series_instance_uid=data.get("series_instance_uid") or "",
            sop_instance_uid=data.get("sop_instance_uid") or "",
            image_path=data.get("image_path"),
            reader=data.get("reader"),
            spacing=spacing,
            settings=settings,
            patient_age=data.get("patient_age"),
            age_years=data.get("age_years"),
        )
        r.extra = {k: v for k, v in data.items() if k not in _TOP_KEYS}
        for i, vd in enumerate(data.get("vertebrae") or []):
            v = _vertebra_of(vd)
            where = f"vertebrae[{i}] ({v.level})"
            if v.level in r.vertebrae:
                raise ReadingFormatError(f"{where}: level {v.level} appears twice")
            for slot in v.proposals:
                if slot not in v.points:
                    raise ReadingFormatError(f"{where}.proposals.{slot.value}: a proposal needs its "
                                             "point in 'points'")
            if check_geometry and v.status is Status.EVALUABLE and v.complete:
                try:
                    v.check()
                except GeometryError as exc:
                    raise ReadingFormatError(f"{where}: {exc}") from None
            r.vertebrae[v.level] = v
        r.load_warnings = load_warnings
        for w in load_warnings:
            _warnings.warn(w, VfaWarning, stacklevel=3)
        return r

    @classmethod
    def from_json(cls, text: str, source: str = "reading", check_geometry: bool = True) -> "Reading":
        return cls.from_dict(_schema.parse_json(text, source), check_geometry)


def _spacing_of(data: dict[str, Any], load_warnings: list[str]) -> Spacing:
    """The spacing of a valid document; an unusable one (domain.md §5: two finite numbers
    within 0.02-2.0 mm) is refused with a warning and the reading is uncalibrated."""
    source = SpacingSource(data.get("spacing_source", "uncalibrated"))
    if source is not SpacingSource.UNCALIBRATED:
        row, col = data["pixel_spacing_mm"]
        if spacing_usable(row, col):
            return Spacing(float(row), float(col), source, data.get("spacing_detail") or "")
        lo, hi = SPACING_RANGE_MM
        load_warnings.append(
            f"field 'pixel_spacing_mm' is {_schema.short([row, col])} ({source.value}): not usable (two "
            f"finite numbers between {lo:g} and {hi:g} mm are needed); it was refused and the reading "
            "is uncalibrated (heights in pixels, millimetre rules off)")
        return Spacing.uncalibrated()
    par = data.get("pixel_aspect_ratio")
    return Spacing.uncalibrated((float(par[0]), float(par[1]))) if par else Spacing.uncalibrated()


def _vertebra_of(vd: dict[str, Any]) -> VertebraReading:
    """A vertebra object that passed the schema, as the model holds it."""
    status = Status(vd.get("status", "evaluable"))
    grade = parse_grade(vd.get("reader_grade"))
    v = VertebraReading(
        level=Level.parse(vd["level"]), status=status, reason=vd.get("reason"),
        points={PointSlot(k): (float(p[0]), float(p[1])) for k, p in (vd.get("points") or {}).items()},
        reader_grade=grade, reader_type=DeformityType.parse(vd.get("reader_type")),
        note=vd.get("note"), extra={k: val for k, val in vd.items() if k not in _V_KEYS},
        proposals={PointSlot(k): Proposal.from_dict(pd) for k, pd in (vd.get("proposals") or {}).items()},
        confirmed=bool(vd.get("confirmed")) or grade is not None,
        endplate_depression=EndplateDepression.parse(vd.get("endplate_depression")),
        abq=Abq.parse(vd.get("abq")),
        downgrade_reason=DowngradeReason.parse(vd.get("downgrade_reason")),
        downgrade_text=vd.get("downgrade_text") or None)
    return v


def _check_text_length(text: str | None, what: str) -> None:
    """The reader's free text is at most ``limits.ST_CHARS`` characters (what the format
    accepts on loading); ValueError otherwise."""
    if text and len(text) > _limits.ST_CHARS:
        raise ValueError(f"the {what} is {len(text)} characters long: at most {_limits.ST_CHARS} are "
                         "kept in a reading; shorten it")


def _unconfirm(v: VertebraReading) -> None:
    """A point of the level changed: a confirmed *suggestion* no longer stands as it was
    confirmed (a reader grade stays confirmed)."""
    if v.reader_grade is None:
        v.confirmed = False


def _mark_moved(v: VertebraReading, slot: PointSlot) -> None:
    """The reader moved a proposed point: record it (where it was proposed is kept)."""
    prop = v.proposals.get(slot)
    if prop is not None and prop.state != "moved":
        v.proposals[slot] = prop.with_state("moved")


def require_no_pending_proposals(readings: "Iterable[Reading]") -> None:
    """Refuse readings that still hold proposed points nobody accepted: exported, they would
    pass for the reader's measurements (docs/semi-automatic.md). Raises ExportError."""
    from vfa.errors import ExportError
    bad = []
    for r in readings:
        levels = [v.level.value for v in r if v.pending_proposals]
        if levels:
            bad.append(f"{r.study_date or 'undated'} ({r.reader or 'unknown reader'}: {', '.join(levels)})")
    if bad:
        raise ExportError("proposed points not yet accepted in the reading(s) of " + "; ".join(bad)
                          + ": open the film, accept or reject them, save, and export again "
                          "(or pass --allow-proposed)")


def _short_path(p: Path) -> str:
    text = str(p)
    return text if len(text) <= 200 else f"{text[:80]}...{text[-80:]} ({len(text)} characters)"


def read_reading_text(path: str | os.PathLike[str]) -> str:
    """The text of a reading file: a regular file of at most ``limits.READING_FILE_BYTES``
    bytes of UTF-8, checked before it is read (ReadingFormatError otherwise)."""
    p = Path(path)
    name = _short_path(p)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise ReadingFormatError(f"reading file {name} does not exist") from None
    except (OSError, ValueError) as exc:  # ENAMETOOLONG, ELOOP, EACCES, embedded NUL
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ReadingFormatError(f"cannot read reading file {name}: {why}") from None
    if stat.S_ISDIR(st.st_mode):
        raise ReadingFormatError(f"{name} is a folder, not a reading file")
    if not stat.S_ISREG(st.st_mode):
        raise ReadingFormatError(f"{name} is not a regular file (a pipe or a device): "
                                 "give a reading file (.json)")
    limit = _limits.READING_FILE_BYTES
    if st.st_size > limit:
        raise ReadingFormatError(f"{name} is {st.st_size:,} bytes: a reading file is at most "
                                 f"{limit:,} bytes (the limit of the format)")
    try:
        with open(p, "rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise ReadingFormatError(f"cannot read {name}: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise ReadingFormatError(f"{name} is larger than {limit:,} bytes: a reading file is at most "
                                 "that large (the limit of the format)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ReadingFormatError(f"{name} is not a text (JSON) file: it is not UTF-8") from None


def load_reading(path: str | os.PathLike[str], check_geometry: bool = True) -> Reading:
    """Read and validate a reading file (see :meth:`Reading.from_dict` for ``check_geometry``)."""
    p = Path(path)
    text = read_reading_text(p)
    name = _short_path(p)
    try:
        reading = Reading.from_json(text, source=name, check_geometry=check_geometry)
    except ReadingFormatError as exc:
        msg = str(exc)
        raise ReadingFormatError(msg if msg.startswith(name) else f"{name}: {msg}") from None
    reading.source_path = p  # where a relative image_path is resolved from
    return reading


#: How many folders above the reading file the old repository-root-relative form is tried.
_OLD_FORM_DEPTH = 4


def _film_ids(film: Any) -> tuple[str, str, str]:
    """(SOP Instance UID, Patient ID, Study Instance UID) of a film given as a
    :class:`vfa.films.radiograph.Radiograph`, its ``identity``, or a pydicom dataset."""
    ident = getattr(film, "identity", film)
    if hasattr(ident, "sop_instance_uid"):
        vals = (ident.sop_instance_uid, ident.patient_id, ident.study_instance_uid)
    else:
        vals = tuple(ident.get(k, "") for k in ("SOPInstanceUID", "PatientID", "StudyInstanceUID"))
    return tuple(str(v or "").strip() for v in vals)  # type: ignore[return-value]


def _short(text: str, limit: int = 64) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def check_film(reading: Reading, film: Any, label: str | os.PathLike[str] | None = None) -> None:
    """Refuse (:class:`WrongFilmError`) a film that is not ``reading``'s film: when the reading
    names a SOP Instance UID the film must have it; when it names none (or the film has
    none), the Patient ID and Study Instance UID that both sides know must agree. The
    message names both identities (UIDs and patient IDs; never patient names).

    ``film``: a Radiograph, its ``identity``, or a pydicom dataset of the film. Every command
    that opens a film for a reading (report, export-sr, export-capture, export-gsps, render
    --reading, batch) and the viewer's open-reading path call this one function."""
    sop, pid, study = _film_ids(film)
    r_sop = (reading.sop_instance_uid or "").strip()
    r_pid = (reading.patient_id or "").strip()
    r_study = (reading.study_instance_uid or "").strip()
    if r_sop and sop:
        wrong = sop != r_sop
    else:
        wrong = bool((r_pid and pid and r_pid != pid) or (r_study and study and r_study != study))
    if not wrong:
        return
    where = f"{label} " if label else "the film "

    def who(s: str, p: str, st: str) -> str:
        return (f"SOP Instance UID {_short(s) or '(none)'}, patient ID {_short(p) or '(none)'}, "
                f"study {_short(st) or '(none)'}")
    raise WrongFilmError(
        f"{where}is not the film of this reading: the reading is of ({who(r_sop, r_pid, r_study)}), "
        f"the film is ({who(sop, pid, study)}); nothing was written: pass the reading's own film "
        "(--image) or fix the reading's image_path")


def image_path_candidates(image_path: str | None,
                          reading_path: str | os.PathLike[str] | None = None) -> list[Path]:
    """Where the film named by ``image_path`` may be, in order (docs/reading-format.md):
    an absolute path as it is; a relative one relative to the reading file's folder, then
    (the older form, relative to the repository root) to each of the reading file's parent
    folders. Never the current folder: a relative ``lateral.dcm`` would be whatever film
    lies in the folder a command runs in (another patient's). Without a reading file a
    relative path has no candidates."""
    if not image_path:
        return []
    raw = Path(image_path)
    if raw.is_absolute():
        return [raw]
    cands: list[Path] = []
    if reading_path is not None:
        folder = Path(reading_path).absolute().parent
        cands.append(folder / raw)
        cands += [d / raw for d in list(folder.parents)[:_OLD_FORM_DEPTH]]
    out: list[Path] = []
    for c in cands:
        if c not in out:
            out.append(c)
    return out


def film_for(reading: Reading, reading_path: str | os.PathLike[str] | None = None,
             indexed_path: str | None = None) -> Path | None:
    """The film of a reading if it can be found: ``image_path`` (absolute, relative to the
    reading file's folder, or the older forms of :func:`vfa.reading.reading.image_path_candidates`),
    else the path the workspace indexed."""
    cands = image_path_candidates(reading.image_path,
                                  reading_path or getattr(reading, "source_path", None))
    if indexed_path:
        cands.append(Path(indexed_path))
    for c in cands:
        if c.is_file():
            return c
    return None


def resolve_image_path(reading: Reading,
                       reading_path: str | os.PathLike[str] | None = None) -> Path | None:
    """The film of ``reading`` if it exists (see :func:`image_path_candidates`); the reading
    file defaults to the one :func:`load_reading` read it from."""
    if reading_path is None:
        reading_path = getattr(reading, "source_path", None)
    for c in image_path_candidates(reading.image_path, reading_path):
        try:
            if c.is_file():
                return c
        except OSError:
            continue
    return None


def save_reading(reading: Reading, path: str | os.PathLike[str]) -> Path:
    """Write atomically (temporary file, then rename).

    A relative ``image_path`` is relative to the reading file: when the reading is saved in
    another folder than the one it was read from, the path is rewritten relative to the new
    file (absolute if no relative path exists, e.g. another drive)."""
    data = reading.to_dict()
    target = Path(path)
    src = getattr(reading, "source_path", None)
    ip = reading.image_path
    if ip and not Path(ip).is_absolute() and src is not None and \
            Path(src).absolute().parent != target.absolute().parent:
        film = resolve_image_path(reading, src)
        if film is not None:
            try:
                new = os.path.relpath(film.absolute(), target.absolute().parent)
            except ValueError:
                new = str(film.absolute())
            data["image_path"] = reading.image_path = Path(new).as_posix()
    data["saved_at"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    out = atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    reading.source_path = target
    return out
