"""One patient's course over visits: the data behind the cohort figures (vfa/cohort.py), the
PDF case-series strip and the viewer's patient timeline (domain.md §4, §8).

:func:`patient_course` takes the readings of ONE patient (one per visit, any order) and returns
a :class:`PatientCourse`: visits in date order with their summaries, the comparison of each
visit with the previous one and of the last with the baseline, and a level-by-visit grid of
:class:`TimelineCell` (final grade, confirmed or not, the change since the previous visit).

Issue 8 (clinical method v2) adds ``LevelResult.confirmed``, ``LevelChange.reshaping``,
``Comparison.uncertain`` and the common-level SDI to the core; until those exist the
``_local_*`` functions below compute the same from what the core has, by the rules of
domain.md §3-§4, and are used only as a fallback.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from .comparison import Comparison, LevelChange, compare
from .levels import LEVELS, Grade, Level, Status
from .morphometry import LevelResult, ReadingSummary, summarize
from .settings import MethodSettings

if TYPE_CHECKING:  # pragma: no cover
    from .clinical import ClinicalContext
    from .reading import Reading

#: Days per month for "months of follow-up" (365.25 / 12).
DAYS_PER_MONTH = 30.4375


def months_between(a: _dt.date, b: _dt.date) -> float:
    """Months from ``a`` to ``b`` (days / 30.4375), unrounded."""
    return (b - a).days / DAYS_PER_MONTH


def _g(grade: Grade | None, borderline_as: float = 0) -> float | None:
    if grade is None:
        return None
    return borderline_as if grade == 0.5 else float(grade)


# --------------------------------------------------------------------------------------
# Contract of issue 8, with local fallbacks
# --------------------------------------------------------------------------------------
def level_confirmed(result: LevelResult, reading: "Reading") -> bool:
    """Is the final grade of this level confirmed (domain.md §3)?"""
    core = getattr(result, "confirmed", None)
    if core is not None:
        return bool(core)
    return _local_confirmed(result, reading)


def _local_confirmed(result: LevelResult, reading: "Reading") -> bool:
    """Fallback until issue 8: a reader grade (or the vertebra's ``confirmed`` key), and no
    unaccepted proposed point on the level."""
    v = reading.vertebrae.get(result.level)
    if v is None:
        return False
    if v.pending_proposals:
        return False
    return v.reader_grade is not None or bool(getattr(v, "confirmed", False)
                                              or v.extra.get("confirmed") is True)


def sdi_common(c: Comparison) -> tuple[int, int, int]:
    """(SDI at baseline, SDI at follow-up, number of levels) over the levels evaluable (graded)
    at both visits of a comparison."""
    b = getattr(c, "sdi_baseline_common", None)
    f = getattr(c, "sdi_followup_common", None)
    n = sum(1 for r0, r1 in zip(c.baseline.results, c.followup.results) if r0.graded and r1.graded)
    if b is not None and f is not None:
        return int(b), int(f), n
    b, f = _local_sdi_common(c)
    return b, f, n


def _local_sdi_common(c: Comparison) -> tuple[int, int]:
    """Fallback until issue 8: SDI of both visits over the levels graded at both (0.5 = 0)."""
    b = f = 0
    for r0, r1 in zip(c.baseline.results, c.followup.results):
        if r0.graded and r1.graded:
            b += int(_g(r0.grade) or 0)
            f += int(_g(r1.grade) or 0)
    return b, f


def reshaping_of(lc: LevelChange, r0: LevelResult, r1: LevelResult, paediatric: bool,
                 settings: MethodSettings) -> str | None:
    """'complete', 'partial' or None for one level of a comparison."""
    if hasattr(lc, "reshaping"):
        return getattr(lc, "reshaping")
    return _local_reshaping(r0, r1, paediatric, settings)


def _local_reshaping(r0: LevelResult, r1: LevelResult, paediatric: bool,
                     settings: MethodSettings) -> str | None:
    """Fallback until issue 8 (domain.md §4): in a paediatric study, a level graded >= 1 at
    baseline whose reduction fell by at least ``min_change_pct`` points has reshaped:
    completely when its follow-up grade is 0, else partially."""
    if not paediatric or not (r0.graded and r1.graded):
        return None
    g0 = _g(r0.grade)
    if g0 is None or g0 < 1 or r0.percent is None or r1.percent is None:
        return None
    if r0.percent - r1.percent < getattr(settings, "min_change_pct", 5.0) - 1e-9:
        return None
    return "complete" if (_g(r1.grade) or 0) == 0 else "partial"


def uncertain_levels(c: Comparison) -> list[Level]:
    return list(getattr(c, "uncertain", []) or [])


# --------------------------------------------------------------------------------------
# The course
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Interval:
    """What changed between two visits (consecutive, or baseline and last)."""

    start: _dt.date
    end: _dt.date
    comparison: Comparison
    incident: tuple[Level, ...]
    worsened: tuple[Level, ...]
    reshaped: dict[Level, str]          # level -> 'complete' | 'partial'
    uncertain: tuple[Level, ...]
    not_comparable: tuple[Level, ...]   # missing or not evaluable at one of the two visits
    sdi_start_common: int
    sdi_end_common: int
    common_levels: int

    @property
    def months(self) -> float:
        return months_between(self.start, self.end)

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(), "to": self.end.isoformat(),
            "months": round(self.months, 1),
            "incident_levels": [l.value for l in self.incident],
            "worsened_levels": [l.value for l in self.worsened],
            "reshaped_levels": [l.value for l in self.reshaped],
            "reshaping": {l.value: k for l, k in self.reshaped.items()},
            "uncertain_levels": [l.value for l in self.uncertain],
            "not_comparable_levels": [l.value for l in self.not_comparable],
            "sdi_from_common": self.sdi_start_common, "sdi_to_common": self.sdi_end_common,
            "common_levels": self.common_levels,
        }


@dataclass(frozen=True)
class TimelineCell:
    level: Level
    visit: int
    state: str                  # 'graded' | 'not_evaluable' | 'not_read'
    grade: Grade | None
    confirmed: bool
    change: str | None = None   # since the previous visit: 'incident' | 'worsened' | 'improved' | 'uncertain'
    reshaping: str | None = None  # 'complete' | 'partial' (children)

    @property
    def mark(self) -> str:
        """Short mark for a grid cell: N new, W worsened, R/r reshaped (complete/partial),
        ? uncertain change; an unconfirmed grade gets a trailing '?'."""
        m = {"incident": "N", "worsened": "W", "uncertain": "~"}.get(self.change or "", "")
        if self.reshaping:
            m = "R" if self.reshaping == "complete" else "r"
        return m


@dataclass(frozen=True)
class CourseVisit:
    index: int
    date: _dt.date
    reading: "Reading"
    summary: ReadingSummary
    sdi_all_visits: int         # SDI over the levels evaluable at every visit
    unconfirmed: tuple[Level, ...]

    @property
    def reader(self) -> str:
        return self.reading.reader or ""


@dataclass
class PatientCourse:
    patient_id: str
    visits: list[CourseVisit]
    steps: list[Interval]                 # visit i-1 -> i, for i >= 1
    overall: Interval | None              # baseline -> last (None with one visit)
    cells: dict[tuple[Level, int], TimelineCell]
    common_levels: tuple[Level, ...]      # evaluable at every visit
    settings: MethodSettings
    notes: list[str] = field(default_factory=list)
    clinical: "ClinicalContext | None" = None

    @property
    def baseline(self) -> CourseVisit:
        return self.visits[0]

    @property
    def last(self) -> CourseVisit:
        return self.visits[-1]

    def cell(self, level: Level, visit: int) -> TimelineCell:
        return self.cells[(level, visit)]

    def months(self, d: _dt.date) -> float:
        """Months from the baseline visit to ``d`` (negative before it)."""
        return months_between(self.baseline.date, d)

    @property
    def paediatric(self) -> bool | None:
        return self.baseline.summary.paediatric


def _interval(a: CourseVisit, b: CourseVisit, settings: MethodSettings) -> Interval:
    c = compare(a.reading, b.reading, settings)
    paed = bool(a.summary.paediatric or b.summary.paediatric)
    reshaped: dict[Level, str] = {}
    for lc, r0, r1 in zip(c.changes, c.baseline.results, c.followup.results):
        k = reshaping_of(lc, r0, r1, paed, settings)
        if k:
            reshaped[lc.level] = k
    s0, s1, n = sdi_common(c)
    return Interval(a.date, b.date, c, tuple(c.incident), tuple(c.worsened), reshaped,
                    tuple(uncertain_levels(c)),
                    tuple(lc.level for lc in c.changes if lc.change.value == "not_comparable"),
                    s0, s1, n)


def patient_course(readings: Sequence["Reading"], settings: MethodSettings | None = None,
                   clinical: "ClinicalContext | None" = None) -> PatientCourse:
    """The course of one patient from one reading per visit (dated; any order)."""
    if not readings:
        raise ValueError("a course needs at least one reading")
    settings = settings or readings[0].settings or MethodSettings()
    ordered = sorted(readings, key=lambda r: (r.study_date or _dt.date.min))
    summaries = [summarize(r, settings) for r in ordered]
    common = tuple(lv for i, lv in enumerate(LEVELS)
                   if all(s.results[i].graded for s in summaries))
    visits: list[CourseVisit] = []
    for i, (r, s) in enumerate(zip(ordered, summaries)):
        sdi_all = sum(int(_g(s.results[lv.index].grade) or 0) for lv in common)
        unconf = tuple(x.level for x in s.results if x.graded and not level_confirmed(x, r))
        assert r.study_date is not None
        visits.append(CourseVisit(i, r.study_date, r, s, sdi_all, unconf))
    steps = [_interval(visits[i - 1], visits[i], settings) for i in range(1, len(visits))]
    overall = (steps[0] if len(visits) == 2 else _interval(visits[0], visits[-1], settings)
               if len(visits) > 2 else None)
    cells: dict[tuple[Level, int], TimelineCell] = {}
    for v in visits:
        step = steps[v.index - 1] if v.index > 0 else None
        changes = {lc.level: lc for lc in step.comparison.changes} if step else {}
        for res in v.summary.results:
            if res.status is Status.NOT_EVALUABLE:
                state = "not_evaluable"
            elif res.graded:
                state = "graded"
            else:
                state = "not_read"
            ch = None
            lc = changes.get(res.level)
            if lc is not None and lc.change.value in ("incident", "worsened", "improved", "uncertain"):
                ch = lc.change.value
            cells[(res.level, v.index)] = TimelineCell(
                res.level, v.index, state, res.grade if res.graded else None,
                level_confirmed(res, v.reading) if res.graded else False, ch,
                step.reshaped.get(res.level) if step else None)
    return PatientCourse(ordered[0].patient_id or "", visits, steps, overall, cells, common,
                         settings, clinical=clinical)


def changes_in(steps: Iterable[Interval], attr: str) -> list[Level]:
    """Levels with ``attr`` ('incident', 'worsened', 'reshaped') in any of the intervals."""
    out: list[Level] = []
    for s in steps:
        for lv in getattr(s, attr):
            if lv not in out:
                out.append(lv)
    return sorted(out, key=lambda l: l.index)


__all__ = ["DAYS_PER_MONTH", "months_between", "level_confirmed", "sdi_common", "reshaping_of",
           "uncertain_levels", "Interval", "TimelineCell", "CourseVisit", "PatientCourse",
           "patient_course", "changes_in"]
