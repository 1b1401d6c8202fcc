"""Heights, ratios and per-level measurements of a reading (domain.md §2).

:func:`measure_reading` is the single entry point: it returns one :class:`LevelResult` per
level T4-L4 with heights, ratios (crush with the neighbour rule), the suggested grade and
type, and the final grade and type after the reader's override.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import grading
from .errors import GeometryError
from .geometry import check_six_points, distance
from .levels import LEVELS, DeformityType, Grade, Level, PointSlot, Status
from .settings import DEFAULT_SETTINGS, MethodSettings

if TYPE_CHECKING:  # pragma: no cover
    from .reading import Reading

S = PointSlot


@dataclass(frozen=True)
class Heights:
    ha: float
    hm: float
    hp: float

    def as_dict(self) -> dict[str, float]:
        return {"ha": self.ha, "hm": self.hm, "hp": self.hp}


def heights(points: dict[PointSlot, tuple[float, float]], row_mm: float = 1.0,
            col_mm: float = 1.0) -> Heights:
    """Ha, Hm, Hp of six points with row/column spacing (mm, or px when 1, 1)."""
    return Heights(
        distance(points[S.SUPERIOR_ANTERIOR], points[S.INFERIOR_ANTERIOR], row_mm, col_mm),
        distance(points[S.SUPERIOR_MIDDLE], points[S.INFERIOR_MIDDLE], row_mm, col_mm),
        distance(points[S.SUPERIOR_POSTERIOR], points[S.INFERIOR_POSTERIOR], row_mm, col_mm),
    )


def partial_heights(points: dict[PointSlot, tuple[float, float]], row_mm: float = 1.0,
                    col_mm: float = 1.0) -> dict[str, float]:
    """The heights whose two points are placed ({"ha": ..} after the fourth point of the
    guided order, "hm" after the fifth): shown while the reader is still placing. Ratios
    and grades still need all six points."""
    out = {}
    for name, a, b in (("ha", S.SUPERIOR_ANTERIOR, S.INFERIOR_ANTERIOR),
                       ("hm", S.SUPERIOR_MIDDLE, S.INFERIOR_MIDDLE),
                       ("hp", S.SUPERIOR_POSTERIOR, S.INFERIOR_POSTERIOR)):
        if a in points and b in points:
            out[name] = distance(points[a], points[b], row_mm, col_mm)
    return out


@dataclass(frozen=True)
class LevelResult:
    """Everything the grading table shows for one level."""

    level: Level
    status: Status
    annotated: bool                 # six points present
    reason: str | None = None
    heights: Heights | None = None
    unit: str = "px"
    wedge: float | None = None
    biconcave: float | None = None
    crush: float | None = None
    hp_ref: float | None = None
    percents: dict[DeformityType, float] = field(default_factory=dict)
    percent: float | None = None
    suggested_grade: int | None = None
    suggested_type: DeformityType | None = None
    reader_grade: Grade | None = None
    reader_type: DeformityType | None = None
    grade: Grade | None = None      # final
    type: DeformityType | None = None  # final
    note: str | None = None
    #: Why the six points could not be measured (impossible geometry), else None.
    error: str | None = None

    @property
    def evaluable(self) -> bool:
        return self.status is Status.EVALUABLE

    @property
    def graded(self) -> bool:
        return self.evaluable and self.grade is not None

    @property
    def fractured(self) -> bool:
        return self.graded and self.grade is not None and self.grade >= 1

    def to_dict(self) -> dict[str, Any]:
        """The ``vfa grade --json`` row."""
        h = self.heights
        return {
            "level": self.level.value,
            "status": self.status.value,
            "reason": self.reason,
            "annotated": self.annotated,
            "ha": h.ha if h else None,
            "hm": h.hm if h else None,
            "hp": h.hp if h else None,
            "unit": self.unit,
            "wedge": self.wedge,
            "biconcave": self.biconcave,
            "crush": self.crush,
            "hp_ref": self.hp_ref,
            "percent": self.percent,
            "suggested_grade": self.suggested_grade,
            "suggested_type": self.suggested_type.value if self.suggested_type else None,
            "reader_grade": self.reader_grade,
            "reader_type": self.reader_type.value if self.reader_type else None,
            "grade": self.grade,
            "type": self.type.value if self.type else None,
            "note": self.note,
            "error": self.error,
        }


def _below_threshold(h: Heights, settings: MethodSettings) -> bool:
    """Neighbour qualifies for Hp_ref: wedge and biconcave reductions both below threshold."""
    if h.hp <= 0:
        return False
    pw = grading.percent_from_ratio(h.ha / h.hp)
    pb = grading.percent_from_ratio(h.hm / h.hp)
    limit = settings.neighbour_max_reduction_pct
    return pw < limit and pb < limit


def measure_reading(reading: "Reading", settings: MethodSettings | None = None) -> list[LevelResult]:
    """One :class:`LevelResult` per level T4..L4 (unannotated levels included, empty)."""
    settings = settings or reading.settings or DEFAULT_SETTINGS
    sp = reading.spacing
    unit = sp.unit
    hs: dict[Level, Heights] = {}
    errors: dict[Level, str] = {}
    for lv in LEVELS:
        v = reading.vertebrae.get(lv)
        if v is not None and v.status is Status.EVALUABLE and v.complete:
            try:
                check_six_points(lv, v.points)
            except GeometryError as exc:
                errors[lv] = str(exc)
                continue
            hs[lv] = heights(v.points, sp.row_mm, sp.col_mm)

    results: list[LevelResult] = []
    for lv in LEVELS:
        v = reading.vertebrae.get(lv)
        if v is None:
            results.append(LevelResult(lv, Status.EVALUABLE, False, unit=unit))
            continue
        if v.status is Status.NOT_EVALUABLE:
            results.append(LevelResult(lv, v.status, v.complete, reason=v.reason, unit=unit,
                                       note=v.note))
            continue
        h = hs.get(lv)
        kw: dict[str, Any] = {}
        if h is not None and h.hp > 0:
            refs = [hs[n].hp for n in (lv.above(), lv.below())
                    if n is not None and n in hs and _below_threshold(hs[n], settings)]
            hp_ref = sum(refs) / len(refs) if refs else None
            ratios = {
                DeformityType.WEDGE: h.ha / h.hp,
                DeformityType.BICONCAVE: h.hm / h.hp,
                DeformityType.CRUSH: (h.hp / hp_ref) if hp_ref else None,
            }
            percent, sgrade, stype, percents = grading.suggest(ratios)
            kw = dict(heights=h, wedge=ratios[DeformityType.WEDGE],
                      biconcave=ratios[DeformityType.BICONCAVE],
                      crush=ratios[DeformityType.CRUSH], hp_ref=hp_ref, percents=percents,
                      percent=percent, suggested_grade=sgrade, suggested_type=stype)
        sg = kw.get("suggested_grade")
        g = grading.final_grade(v.reader_grade, sg)
        results.append(LevelResult(
            lv, v.status, v.complete, reason=v.reason, unit=unit,
            reader_grade=v.reader_grade, reader_type=v.reader_type, grade=g,
            type=grading.final_type(v.reader_type, kw.get("suggested_type"), g),
            note=v.note, error=errors.get(lv), **kw))
    return results


@dataclass(frozen=True)
class ReadingSummary:
    """The numbers above the grading table and in every report."""

    results: tuple[LevelResult, ...]
    sdi: int
    fractured: int
    not_evaluable: int
    graded: int
    calibrated: bool
    unit: str
    paediatric: bool | None
    settings: MethodSettings

    def to_dict(self) -> dict[str, Any]:
        return {
            "vertebrae": [r.to_dict() for r in self.results],
            "sdi": self.sdi,
            "fractured": self.fractured,
            "not_evaluable": self.not_evaluable,
            "graded": self.graded,
            "calibrated": self.calibrated,
            "unit": self.unit,
            "paediatric": self.paediatric,
            "suggestion_advisory": bool(self.paediatric),
            "settings": self.settings.to_dict(),
        }


def summarize(reading: "Reading", settings: MethodSettings | None = None) -> ReadingSummary:
    settings = settings or reading.settings or DEFAULT_SETTINGS
    results = measure_reading(reading, settings)
    evaluable_grades = [r.grade for r in results if r.graded]
    return ReadingSummary(
        results=tuple(results),
        sdi=grading.sdi(evaluable_grades),
        fractured=sum(1 for r in results if r.fractured),
        not_evaluable=sum(1 for r in results if r.status is Status.NOT_EVALUABLE),
        graded=len(evaluable_grades),
        calibrated=reading.spacing.calibrated,
        unit=reading.spacing.unit,
        paediatric=reading.is_paediatric(settings),
        settings=settings,
    )
