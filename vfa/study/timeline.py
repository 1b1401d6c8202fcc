"""One patient's course over visits: the data behind the cohort figures (vfa/study/cohort.py), the
PDF case-series strip and the viewer's patient timeline (domain.md §4, §8).

:func:`patient_course` takes the readings of ONE patient (one per visit, any order) and returns
a :class:`PatientCourse`: visits in date order with their summaries, the comparison of each
visit with the previous one and of the last with the baseline, and a level-by-visit grid of
:class:`TimelineCell` (final grade, confirmed or not, the change since the previous visit).

Confirmation (``LevelResult.confirmed``), reshaping (``LevelChange.reshaping``), uncertain
changes and the common-level SDI are the core's (domain.md §3-§4); this module only arranges
them by visit.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from vfa.method.comparison import Comparison, LevelChange, compare
from vfa.method.levels import LEVELS, Grade, Level, Status
from vfa.method.morphometry import LevelResult, ReadingSummary, summarize
from vfa.method.settings import MethodSettings

if TYPE_CHECKING:  # pragma: no cover
    from vfa.study.clinical import ClinicalContext
    from vfa.reading.reading import Reading

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
# Confirmation, reshaping, uncertain changes and the common-level SDI come from the core
# (vfa.method.morphometry / vfa.method.comparison, domain.md §3-§4); these name them in one place.
# --------------------------------------------------------------------------------------
def level_confirmed(result: LevelResult, reading: "Reading | None" = None) -> bool:
    """Is the final grade of this level confirmed (a reader grade or confirmation, and no
    unaccepted proposed point)?"""
    return bool(result.confirmed)


def sdi_common(c: Comparison) -> tuple[int, int, int]:
    """(SDI at baseline, SDI at follow-up, number of levels) over the levels evaluable at both
    visits of a comparison."""
    return c.sdi_baseline_common, c.sdi_followup_common, len(c.common_levels)


def reshaping_of(lc: LevelChange) -> str | None:
    """'complete', 'partial' or None for one level of a comparison (children)."""
    return lc.reshaping


def uncertain_levels(c: Comparison) -> list[Level]:
    return list(c.uncertain)


def within_noise_levels(c: Comparison) -> list[Level]:
    """Confirmed changes within measurement noise (domain §4): listed, never removed."""
    return list(c.within_noise)


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
    #: Per reshaped level: the words ("L1 reshaped partially: biconcave ratio +9 points") and
    #: the ratio changes in percentage points (wedge, biconcave, crush).
    reshaping_text: dict[Level, str] = field(default_factory=dict)
    reshaping_gain_pp: dict[Level, dict[str, float | None]] = field(default_factory=dict)
    #: Lower grade at the end (in children possibly reshaping, listed in ``reshaped`` too).
    improved: tuple[Level, ...] = ()
    #: Confirmed changes smaller than the least significant change (domain §4): they stay as
    #: graded and are listed, so a study can report them both ways.
    within_noise: tuple[Level, ...] = ()
    #: Reshaping is looked for only when the age is known (domain §4); otherwise "not assessed"
    #: (``reshaped_levels`` null in the dict), never "none".
    reshaping_assessed: bool = True

    @property
    def months(self) -> float:
        return months_between(self.start, self.end)

    #: Every kind of change an interval lists (domain §8), in the order they are reported.
    CHANGE_KINDS = ("incident", "worsened", "improved", "reshaped", "uncertain", "within_noise")

    @property
    def no_change(self) -> bool:
        """True only when every kind of change is empty (then, and only then, "no change")."""
        return not any(getattr(self, k) for k in self.CHANGE_KINDS)

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(), "to": self.end.isoformat(),
            "months": round(self.months, 1),
            "incident_levels": [lv.value for lv in self.incident],
            "worsened_levels": [lv.value for lv in self.worsened],
            "reshaped_levels": [lv.value for lv in self.reshaped] if self.reshaping_assessed else None,
            "reshaping_assessed": self.reshaping_assessed,
            "reshaping": {lv.value: k for lv, k in self.reshaped.items()},
            "reshaping_text": [self.reshaping_text[lv] for lv in self.reshaped if lv in self.reshaping_text],
            "reshaping_gain_pp": {lv.value: g for lv, g in self.reshaping_gain_pp.items()},
            "improved_levels": [lv.value for lv in self.improved],
            "uncertain_levels": [lv.value for lv in self.uncertain],
            "within_noise_levels": [lv.value for lv in self.within_noise],
            "no_change": self.no_change,
            "not_comparable_levels": [lv.value for lv in self.not_comparable],
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
    #: The change stands between two confirmed grades but is smaller than the LSC (domain §4).
    within_noise: bool = False
    #: Probability that the level truly got worse since the previous visit (domain §4).
    p_change: float | None = None

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
    rs = [lc for lc in c.changes if reshaping_of(lc)]
    reshaped = {lc.level: lc.reshaping or "" for lc in rs}   # never None: rs are the reshaped levels
    texts = {lc.level: lc.reshaping_text() or "" for lc in rs}   # never None: rs are the reshaped levels
    gains = {lc.level: {k: (None if v is None else round(v, 1) + 0.0)
                        for k, v in (lc.ratio_change_pp or {}).items()} for lc in rs}
    s0, s1, n = sdi_common(c)
    return Interval(a.date, b.date, c, tuple(c.incident), tuple(c.worsened), reshaped,
                    tuple(uncertain_levels(c)),
                    tuple(lc.level for lc in c.changes if lc.change.value == "not_comparable"),
                    s0, s1, n, texts, gains, tuple(c.improved), tuple(within_noise_levels(c)),
                    c.reshaping_assessed)


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
                step.reshaped.get(res.level) if step else None,
                bool(lc is not None and lc.within_noise), lc.p_change if lc is not None else None)
    return PatientCourse(ordered[0].patient_id or "", visits, steps, overall, cells, common,
                         settings, clinical=clinical)


def changes_in(steps: Iterable[Interval], attr: str) -> list[Level]:
    """Levels with ``attr`` (one of :attr:`Interval.CHANGE_KINDS`) in any of the intervals."""
    out: list[Level] = []
    for s in steps:
        for lv in getattr(s, attr):
            if lv not in out:
                out.append(lv)
    return sorted(out, key=lambda lv: lv.index)


__all__ = ["DAYS_PER_MONTH", "months_between", "level_confirmed", "sdi_common", "reshaping_of",
           "uncertain_levels", "within_noise_levels", "Interval", "TimelineCell", "CourseVisit", "PatientCourse",
           "patient_course", "changes_in"]
