"""Heights, ratios and per-level measurements of a reading (domain.md §2).

:func:`measure_reading` is the single entry point: it returns one :class:`LevelResult` per
level T4-L4 with heights, ratios (crush against the reference line of the patient's own
spine), the suggested grade and type, the final grade and type after the reader's override,
and the probability ``p_fracture`` that the level is truly at or above the grade-1 threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vfa.method import grading
from vfa.errors import GeometryError
from vfa.method.geometry import check_six_points, distance
from vfa.method.levels import LEVELS, DeformityType, Grade, Level, PointSlot, Status
from vfa.method import noise as noise_mod
from vfa.method.noise import Noise, noise_for
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
    #: Hp_ref from the reference line (domain.md §2); when False, ``crush`` is None and
    #: ``crush_reason`` says why ("too few reference levels").
    crush_assessable: bool = False
    crush_reason: str | None = None
    #: This level may serve on its neighbours' reference lines (not graded 1-3 by the
    #: reader, own wedge and biconcave reductions below the limit).
    reference: bool = False
    #: The levels the least-squares reference line went through (after the exclusion).
    reference_levels: tuple[Level, ...] = ()
    #: The largest reduction in percent, unrounded (for the probabilities of domain.md §4).
    percent_exact: float | None = None
    #: Probability that the true reduction is at or above the grade-1 threshold,
    #: Φ((percent - t1) / sd_pct) (domain.md §4).
    p_fracture: float | None = None

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

    @property
    def crush_na(self) -> bool:
        """A measured level whose crush could not be assessed: its suggestion rests on wedge
        and biconcave alone, and every output says "crush n/a" beside the grade."""
        return self.heights is not None and not self.crush_assessable

    def grade_label(self) -> str:
        """The final grade with "crush n/a" beside it when the crush was not assessable."""
        text = self.grade_text()
        return f"{text} (crush n/a)" if text and self.crush_na else text

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
            "reference_levels": [x.value for x in self.reference_levels],
            "p_fracture": round(self.p_fracture, 4) if self.p_fracture is not None else None,
        }


def _below_threshold(h: Heights, settings: MethodSettings) -> bool:
    """Own shape qualifies: wedge and biconcave reductions both below the threshold."""
    if h.hp <= 0:
        return False
    pw = grading.percent_from_ratio(h.ha / h.hp)
    pb = grading.percent_from_ratio(h.hm / h.hp)
    limit = settings.neighbour_max_reduction_pct
    return pw < limit and pb < limit


#: How many neighbours of a level are looked at for its reference line (domain.md §2).
REFERENCE_NEIGHBOURS = 6
#: Fewest candidates for a reference line (with three, one short vertebra among them cannot
#: be told from a slope), fewest left after the exclusion, and the reach within which one of
#: those must lie (domain.md §2).
REFERENCE_MIN_CANDIDATES = 4
REFERENCE_MIN_KEPT = 3
REFERENCE_REACH = 2

NO_REFERENCE = "too few reference levels"


def _median(values: list[float]) -> float:
    """Median; of an even count, the mean of the two middle values."""
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def reference_neighbours(lv: Level) -> list[Level]:
    """The six other levels nearest to ``lv`` by index distance, ties upper level first
    (T4: T5-T10; T5: T4, T6-T10; T10: T7-T9, T11-L1)."""
    return list(_NEIGHBOURS[lv])


def _nearest(lv: Level) -> tuple[Level, ...]:
    others = sorted((x for x in LEVELS if x is not lv), key=lambda x: (abs(x.index - lv.index), x.index))
    return tuple(sorted(others[:REFERENCE_NEIGHBOURS], key=lambda x: x.index))


_NEIGHBOURS: dict[Level, tuple[Level, ...]] = {lv: _nearest(lv) for lv in LEVELS}


def candidate(h: Heights, reader_grade: Grade | None, settings: MethodSettings) -> bool:
    """May this measured level serve on a neighbour's reference line: not graded 1-3 by the
    reader (0.5 does not exclude) and its own wedge and biconcave reductions below the limit."""
    if reader_grade is not None and reader_grade >= 1:
        return False
    return _below_threshold(h, settings)


@dataclass(frozen=True)
class ReferenceLine:
    """The reference line of one level (domain.md §2)."""

    level: Level
    candidates: tuple[Level, ...]     # step 2
    kept: tuple[Level, ...]           # after the exclusion of step 4
    excluded: tuple[Level, ...]
    slope: float | None = None        # of the least-squares line (Hp per level)
    intercept: float | None = None    # its value at T4 (index 0)
    hp_ref: float | None = None       # its value at the level, when assessable
    reason: str | None = None         # why the crush is not assessable

    @property
    def assessable(self) -> bool:
        return self.hp_ref is not None


def _theil_sen(xs: list[int], ys: list[float]) -> tuple[float, float]:
    slopes = [(ys[j] - ys[i]) / (xs[j] - xs[i])
              for i in range(len(xs)) for j in range(i + 1, len(xs))]
    b0 = _median(slopes)
    a0 = _median([y - b0 * x for x, y in zip(xs, ys)])
    return a0, b0


def _least_squares(xs: list[int], ys: list[float]) -> tuple[float, float]:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    return my - b * mx, b


def reference_line(lv: Level, hps: dict[Level, float], candidates: set[Level],
                   settings: MethodSettings = DEFAULT_SETTINGS) -> ReferenceLine:
    """Hp_ref of ``lv`` from the posterior heights ``hps`` of the measured levels, of which
    ``candidates`` may serve (domain.md §2): Theil-Sen start line over the candidates among the
    six nearest levels, exclusion of those ``reference_exclusion_pct`` or more below it,
    least-squares line through the rest, its value at ``lv``."""
    cands = [n for n in _NEIGHBOURS[lv] if n in candidates and n in hps]
    if len(cands) < REFERENCE_MIN_CANDIDATES:
        return ReferenceLine(lv, tuple(cands), (), (), reason=NO_REFERENCE)
    xs = [n.index for n in cands]
    a0, b0 = _theil_sen(xs, [hps[n] for n in cands])
    kept: list[Level] = []
    excluded: list[Level] = []
    limit = settings.reference_exclusion_pct
    for n in cands:
        line = a0 + b0 * n.index
        if line <= 0:
            short = True
        else:
            below = 100.0 * (line - hps[n]) / line
            # compared at one decimal, like every percent (rounding only near the bound)
            short = (grading.round_percent(below) if abs(below - limit) < 0.2 else below) >= limit
        (excluded if short else kept).append(n)
    if len(kept) < REFERENCE_MIN_KEPT:
        return ReferenceLine(lv, tuple(cands), tuple(kept), tuple(excluded), reason=NO_REFERENCE)
    a, b = _least_squares([n.index for n in kept], [hps[n] for n in kept])
    hp_ref = a + b * lv.index
    if not any(abs(n.index - lv.index) <= REFERENCE_REACH for n in kept) or hp_ref <= 0:
        return ReferenceLine(lv, tuple(cands), tuple(kept), tuple(excluded), b, a, reason=NO_REFERENCE)
    return ReferenceLine(lv, tuple(cands), tuple(kept), tuple(excluded), b, a, hp_ref)


def reference_lines(hs: dict[Level, Heights], reader_grades: dict[Level, Grade | None],
                    settings: MethodSettings) -> dict[Level, ReferenceLine]:
    """The reference line of every measured level."""
    cands = {lv for lv, h in hs.items() if candidate(h, reader_grades.get(lv), settings)}
    hps = {lv: h.hp for lv, h in hs.items()}
    return {lv: reference_line(lv, hps, cands, settings) for lv in hs}


def measure_reading(reading: "Reading", settings: MethodSettings | None = None,
                    noise: "Noise | None" = None) -> list[LevelResult]:
    """One :class:`LevelResult` per level T4..L4 (unannotated levels included, empty).
    ``noise``: the reader's measurement noise for ``p_fracture`` (default: the setting)."""
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

    grades = {lv: v.reader_grade for lv, v in reading.vertebrae.items()}
    lines = reference_lines(hs, grades, settings)
    sd = (noise or noise_for(settings)).sd_pct
    t1 = settings.grade_thresholds_pct[0]
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
            line = lines[lv]
            hp_ref = line.hp_ref
            ratios = {
                DeformityType.WEDGE: h.ha / h.hp,
                DeformityType.BICONCAVE: h.hm / h.hp,
                DeformityType.CRUSH: (h.hp / hp_ref) if hp_ref else None,
            }
            percent, sgrade, stype, percents = grading.suggest(ratios, settings.grade_thresholds_pct)
            exact = max((1.0 - r) * 100.0 for r in ratios.values() if r is not None)
            kw = dict(heights=h, wedge=ratios[DeformityType.WEDGE],
                      biconcave=ratios[DeformityType.BICONCAVE],
                      crush=ratios[DeformityType.CRUSH], hp_ref=hp_ref, percents=percents,
                      percent=percent, suggested_grade=sgrade, suggested_type=stype,
                      crush_assessable=hp_ref is not None,
                      crush_reason=None if hp_ref is not None else line.reason,
                      reference=candidate(h, grades.get(lv), settings),
                      reference_levels=line.kept, percent_exact=exact,
                      p_fracture=noise_mod.p_fracture(exact, t1, sd))
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
    noise: Noise | None = None

    @property
    def crush_na(self) -> list[Level]:
        """Measured levels whose crush could not be assessed (their grade says "crush n/a")."""
        return [r.level for r in self.results if r.crush_na]

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
            "crush_na": [lv.value for lv in self.crush_na],
            **(self.noise or noise_for(self.settings)).to_dict(),
            "settings": self.settings.to_dict(),
        }


def summarize(reading: "Reading", settings: MethodSettings | None = None,
              noise: Noise | None = None) -> ReadingSummary:
    """``noise``: the reader's measurement noise (a saved precision study) for ``p_fracture``;
    default: the setting ``precision_sd_pct``."""
    settings = settings or reading.settings or DEFAULT_SETTINGS
    noise = noise or noise_for(settings)
    results = measure_reading(reading, settings, noise)
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
        noise=noise,
    )
