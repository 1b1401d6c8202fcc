"""Genant semiquantitative grade suggested from ratios, final grades and the SDI.

domain.md §3: percent = largest reduction * 100 rounded to one decimal (half away from zero);
grade from the *rounded* percent; ties go wedge, biconcave, crush. The suggestion never
produces 0.5; the reader's grade, when given, is final.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

from vfa.method.levels import DeformityType, Grade

#: Default lower bounds (percent) of grades 1, 2, 3 (setting ``grade_thresholds_pct``).
DEFAULT_THRESHOLDS: tuple[float, float, float] = (20.0, 25.0, 40.0)
#: Order in which deformity types win ties.
TYPE_PRIORITY: tuple[DeformityType, ...] = (
    DeformityType.WEDGE, DeformityType.BICONCAVE, DeformityType.CRUSH)


def round_percent(value: float) -> float:
    """Round to one decimal, half away from zero, after removing float noise.

    ``(1 - 80/100) * 100`` is 19.999999999999996 in binary floating point; it rounds to 20.0.
    """
    if not math.isfinite(value):
        return value  # inf/nan stay what they are (Decimal cannot quantize them)
    scaled = abs(value) * 10.0
    if abs(scaled - math.floor(scaled) - 0.5) > 1e-6 and scaled < 1e12:
        # not near a half: plain rounding gives the same (q / 10 is correctly rounded)
        return math.copysign(math.floor(scaled + 0.5), value) / 10.0
    noise_free = Decimal(f"{value:.9f}")
    return float(noise_free.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def percent_from_ratio(ratio: float) -> float:
    """Reduction in percent (1 - ratio) * 100, rounded as in domain.md §3."""
    return round_percent((1.0 - ratio) * 100.0)


def grade_from_percent(percent: float,
                       thresholds: tuple[float, float, float] = DEFAULT_THRESHOLDS) -> int:
    """Suggested Genant grade from an (already rounded) percent reduction; ``thresholds`` are
    the lower bounds of grades 1, 2, 3 (each bound belongs to the higher grade)."""
    for grade in (3, 2, 1):
        if percent >= thresholds[grade - 1]:
            return grade
    return 0


def suggest(ratios: dict[DeformityType, float | None],
            thresholds: tuple[float, float, float] = DEFAULT_THRESHOLDS) -> tuple[float, int, DeformityType | None,
                                                               dict[DeformityType, float]]:
    """(percent, grade, type, percents per type) from the three ratios (None = undefined).

    The type is reported only for grade >= 1.
    """
    percents = {t: percent_from_ratio(r) for t, r in ratios.items() if r is not None}
    best_type = None
    best = None
    for t in TYPE_PRIORITY:  # strict '>' keeps the earlier type on ties
        if t in percents and (best is None or percents[t] > best):
            best, best_type = percents[t], t
    assert best is not None, "wedge and biconcave are always defined"
    grade = grade_from_percent(best, thresholds)
    return best, grade, (best_type if grade >= 1 else None), percents


def final_grade(reader_grade: Grade | None, suggested_grade: int | None) -> Grade | None:
    """The reader's grade when given, else the suggestion."""
    return reader_grade if reader_grade is not None else suggested_grade


def final_type(reader_type: DeformityType | None, suggested_type: DeformityType | None,
               grade: Grade | None) -> DeformityType | None:
    """The reader's type when given; else the suggested one, only for a fractured grade."""
    if reader_type is not None:
        return reader_type
    if grade is not None and grade >= 1:
        return suggested_type
    return None


def sdi(final_grades: Iterable[Grade | None]) -> int:
    """Spinal Deformity Index: sum of final grades of evaluable vertebrae, 0.5 counted as 0."""
    total = 0
    for g in final_grades:
        if g is None or g == 0.5:
            continue
        total += int(g)
    return total
