"""Heights, ratios and per-level measurements of a reading (domain.md §2).

:func:`measure_reading` is the single entry point: it returns one :class:`LevelResult` per
level T4-L4 with heights, ratios (crush with the neighbour rule), the suggested grade and
type, and the final grade and type after the reader's override.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vfa.method import grading
from vfa.errors import GeometryError
from vfa.method.geometry import check_six_points, distance
from vfa.method.levels import LEVELS, DeformityType, Grade, Level, PointSlot, Status
from vfa.method.settings import DEFAULT_SETTINGS, MethodSettings

if TYPE_CHECKING:  # pragma: no cover
    from vfa.reading.reading import Reading

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
    #: The final grade is the reader's: a reader grade, or the suggestion confirmed as it
    #: stands, and no unaccepted proposed point on the level (domain.md §3).
    confirmed: bool = False
    #: Hp_ref found among the reference levels within two levels (domain.md §2); when False,
    #: ``crush`` is None and ``crush_reason`` says why.
    crush_assessable: bool = False
    crush_reason: str | None = None
    #: This level qualifies as a reference level for its neighbours' Hp_ref.
    reference: bool = False

    @property
    def evaluable(self) -> bool:
        return self.status is Status.EVALUABLE

    @property
    def graded(self) -> bool:
        return self.evaluable and self.grade is not None

    @property
    def fractured(self) -> bool:
        return self.graded and self.grade is not None and self.grade >= 1

    @property
    def unconfirmed(self) -> bool:
        """A final grade stands that the reader has not confirmed (marked ``?`` in tables)."""
        return self.graded and not self.confirmed

    def grade_text(self) -> str:
        """The final grade as tables print it: ``2``, ``0.5``, ``2?`` when unconfirmed."""
        if self.grade is None:
            return ""
        g = "0.5" if self.grade == 0.5 else str(int(self.grade))
        return g + ("?" if self.unconfirmed else "")

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
            "confirmed": self.confirmed,
            "crush_assessable": self.crush_assessable,
            "crush_reason": self.crush_reason,
        }


def _below_threshold(h: Heights, settings: MethodSettings) -> bool:
    """Own shape qualifies: wedge and biconcave reductions both below the threshold."""
    if h.hp <= 0:
        return False
    pw = grading.percent_from_ratio(h.ha / h.hp)
    pb = grading.percent_from_ratio(h.hm / h.hp)
    limit = settings.neighbour_max_reduction_pct
    return pw < limit and pb < limit


#: How far (levels, each side) Hp_ref and the median-Hp check look (domain.md §2).
REFERENCE_REACH = 2

NO_REFERENCE = "no reference level"


def _median(values: list[float]) -> float:
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def _neighbours(lv: Level, step: int) -> list[Level]:
    """Up to REFERENCE_REACH levels above (step -1) or below (+1), nearest first."""
    out = []
    cur: Level | None = lv
    for _ in range(REFERENCE_REACH):
        cur = cur.shifted(step) if cur is not None else None
        if cur is None:
            break
        out.append(cur)
    return out


def reference_levels(hs: dict[Level, Heights], reader_grades: dict[Level, Grade | None],
                     settings: MethodSettings) -> set[Level]:
    """Levels that may give Hp_ref (domain.md §2): measured (evaluable, six points), not
    graded 1-3 by the reader, wedge and biconcave reductions below the limit, and Hp less
    than ``reference_hp_deficit_pct`` below the median Hp of the measured levels within two
    levels (itself included) — so that two adjacent crushed vertebrae cannot hide each other."""
    refs = set()
    for lv, h in hs.items():
        g = reader_grades.get(lv)
        if g is not None and g >= 1:
            continue
        if not _below_threshold(h, settings):
            continue
        window = [hs[n].hp for n in (*_neighbours(lv, -1), lv, *_neighbours(lv, +1)) if n in hs]
        med = _median(window)
        if med > 0 and grading.percent_from_ratio(h.hp / med) >= settings.reference_hp_deficit_pct:
            continue
        refs.add(lv)
    return refs


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

    refs = reference_levels(
        hs, {lv: v.reader_grade for lv, v in reading.vertebrae.items()}, settings)
    results: list[LevelResult] = []
    for lv in LEVELS:
        v = reading.vertebrae.get(lv)
        if v is None:
            results.append(LevelResult(lv, Status.EVALUABLE, False, unit=unit,
                                       crush_reason="not annotated"))
            continue
        pending = bool(v.pending_proposals)
        if v.status is Status.NOT_EVALUABLE:
            results.append(LevelResult(lv, v.status, v.complete, reason=v.reason, unit=unit,
                                       note=v.note, crush_reason="not evaluable",
                                       confirmed=not pending))
            continue
        h = hs.get(lv)
        kw: dict[str, Any] = {}
        if h is not None and h.hp > 0:
            sides = []
            for step in (-1, +1):  # nearest reference level above, then below
                near = next((n for n in _neighbours(lv, step) if n in refs), None)
                if near is not None:
                    sides.append(hs[near].hp)
            hp_ref = sum(sides) / len(sides) if sides else None
            ratios = {
                DeformityType.WEDGE: h.ha / h.hp,
                DeformityType.BICONCAVE: h.hm / h.hp,
                DeformityType.CRUSH: (h.hp / hp_ref) if hp_ref else None,
            }
            percent, sgrade, stype, percents = grading.suggest(ratios, settings.grade_thresholds_pct)
            kw = dict(heights=h, wedge=ratios[DeformityType.WEDGE],
                      biconcave=ratios[DeformityType.BICONCAVE],
                      crush=ratios[DeformityType.CRUSH], hp_ref=hp_ref, percents=percents,
                      percent=percent, suggested_grade=sgrade, suggested_type=stype,
                      crush_assessable=hp_ref is not None,
                      crush_reason=None if hp_ref is not None else NO_REFERENCE,
                      reference=lv in refs)
        elif lv in errors:
            kw = dict(crush_reason="impossible geometry")
        elif not v.complete:
            kw = dict(crush_reason="not measured (six points needed)")
        sg = kw.get("suggested_grade")
        g = grading.final_grade(v.reader_grade, sg)
        confirmed = (g is not None and (v.reader_grade is not None or v.confirmed)
                     and not pending)
        results.append(LevelResult(
            lv, v.status, v.complete, reason=v.reason, unit=unit,
            reader_grade=v.reader_grade, reader_type=v.reader_type, grade=g,
            type=grading.final_type(v.reader_type, kw.get("suggested_type"), g),
            note=v.note, error=errors.get(lv), confirmed=confirmed, **kw))
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
    age_years: float | None = None
    age_source: str | None = None

    @property
    def unconfirmed(self) -> list[Level]:
        """Levels whose final grade the reader has not confirmed."""
        return [r.level for r in self.results if r.unconfirmed]

    @property
    def age_label(self) -> str:
        """"paediatric" / "adult" / "age unknown": what stands where the paediatric label would."""
        from vfa.method.age import AGE_UNKNOWN
        return {True: "paediatric", False: "adult", None: AGE_UNKNOWN}[self.paediatric]

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
            "age_years": round(self.age_years, 2) if self.age_years is not None else None,
            "age_source": self.age_source,
            "suggestion_advisory": bool(self.paediatric),
            "unconfirmed": [lv.value for lv in self.unconfirmed],
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
        age_years=reading.age_and_source()[0],
        age_source=reading.age_and_source()[1],
    )
