"""Measurement noise of a reading: ``sd_pct``, the least significant change and the two
probabilities every level reports (domain.md §4, §9).

Six-point readings repeat with a standard deviation ``sd_pct`` of the reduction (the percent
of domain.md §3, in percentage points). It comes from, in this order, a precision study of the
reader saved in the workspace (:class:`PrecisionStudy`, ``vfa precision --save``), else the
setting ``precision_sd_pct``. From it:

    lsc_pct    = 2.77 * sd_pct                               (Glüer 1999; one decimal)
    p_fracture = Φ((percent - t1) / sd_pct)                  (per visit, percent unrounded)
    p_change   = Φ((percent_1 - percent_0) / (√2 * sd_pct))  (per pair: worse at follow-up)

Pure standard library: no layer above :mod:`vfa.method` is imported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from vfa.method.grading import round_percent
from vfa.method.settings import MethodSettings

#: 1.96 * √2, rounded as Glüer (1999) gives it: the 95 % least significant change between two
#: measurements, in units of the single-measurement SD.
LSC_FACTOR = 2.77
#: Fewest films read twice for a precision study to be saved and used (domain.md §9).
MIN_STUDY_FILMS = 10

SOURCE_SETTING = "setting"
SOURCE_STUDY = "precision study"


def phi(x: float) -> float:
    """Standard normal cumulative distribution function."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def p_fracture(percent: float, t1: float, sd_pct: float) -> float:
    """Probability that the level's true reduction is at or above the grade-1 threshold."""
    return phi((percent - t1) / sd_pct)


def p_change(percent_0: float, percent_1: float, sd_pct: float) -> float:
    """Probability that the level truly got worse between the two visits."""
    return phi((percent_1 - percent_0) / (math.sqrt(2.0) * sd_pct))


def lsc(sd_pct: float) -> float:
    """The least significant change (percentage points, one decimal: 3.0 -> 8.3)."""
    return round_percent(LSC_FACTOR * sd_pct)


@dataclass(frozen=True)
class PrecisionStudy:
    """A reader's precision study as saved in the workspace (``vfa precision --save``)."""

    reader: str
    sd_pct: float             # RMS-SD of the reduction over the study's vertebrae
    films: int                # films read twice (or more) with at least one vertebra measured
    vertebrae: int
    design: str               # "intra-reader"
    saved: str                # ISO date-time of the save (UTC)
    per_level: dict[str, float | None] | None = None

    def __post_init__(self) -> None:
        if not (isinstance(self.sd_pct, (int, float)) and not isinstance(self.sd_pct, bool)
                and math.isfinite(self.sd_pct) and self.sd_pct > 0):
            raise ValueError(f"sd_pct must be a number above 0, not {self.sd_pct!r}")
        if not isinstance(self.films, int) or isinstance(self.films, bool) or self.films < 0:
            raise ValueError(f"films must be a whole number, not {self.films!r}")

    @property
    def usable(self) -> bool:
        """At least :data:`MIN_STUDY_FILMS` films read twice."""
        return self.films >= MIN_STUDY_FILMS

    def describe(self) -> str:
        return (f"precision study of {self.reader} ({self.films} films read twice, "
                f"{self.vertebrae} vertebrae, saved {self.saved[:10]})")

    def to_dict(self) -> dict[str, Any]:
        return {"format": "vfa-precision-study", "version": 1, "reader": self.reader,
                "sd_pct": self.sd_pct, "films": self.films, "vertebrae": self.vertebrae,
                "design": self.design, "saved": self.saved, "per_level": self.per_level}

    @classmethod
    def from_dict(cls, data: Any) -> "PrecisionStudy":
        """Validate and build; ValueError says which field is wrong."""
        if not isinstance(data, dict) or data.get("format") != "vfa-precision-study":
            raise ValueError("not a vfa precision study (format 'vfa-precision-study' expected)")
        try:
            per_level = data.get("per_level")
            return cls(str(data["reader"]), float(data["sd_pct"]), int(data["films"]),
                       int(data.get("vertebrae", 0)), str(data.get("design", "intra-reader")),
                       str(data.get("saved", "")),
                       dict(per_level) if isinstance(per_level, dict) else None)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"precision study: missing or wrong field ({exc})") from None


@dataclass(frozen=True)
class Noise:
    """The ``sd_pct`` a result was computed with, where it came from, and the LSC."""

    sd_pct: float
    source: str                        # SOURCE_STUDY | SOURCE_SETTING
    study: PrecisionStudy | None = None
    note: str | None = None            # why a study was not used, when one exists

    @property
    def lsc_pct(self) -> float:
        return lsc(self.sd_pct)

    def describe(self) -> str:
        """"SD 3.0 points (setting precision_sd_pct), LSC 8.3 points"."""
        where = self.study.describe() if self.study is not None else "setting precision_sd_pct"
        return f"SD {self.sd_pct:.1f} points ({where}), LSC {self.lsc_pct:.1f} points"

    def to_dict(self) -> dict[str, Any]:
        return {"sd_pct": self.sd_pct, "sd_source": self.source, "lsc_pct": self.lsc_pct,
                "precision_study": self.study.to_dict() if self.study is not None else None,
                "sd_note": self.note}


def noise_for(settings: MethodSettings, study: PrecisionStudy | None = None,
              note: str | None = None) -> Noise:
    """The reader's study when there is a usable one, else the setting."""
    if study is not None and study.usable:
        return Noise(study.sd_pct, SOURCE_STUDY, study)
    if study is not None and note is None:
        note = (f"the precision study of {study.reader} has {study.films} films read twice "
                f"(at least {MIN_STUDY_FILMS} needed): not used")
    return Noise(settings.precision_sd_pct, SOURCE_SETTING, None, note)


__all__ = ["LSC_FACTOR", "MIN_STUDY_FILMS", "Noise", "PrecisionStudy", "lsc", "noise_for",
           "p_change", "p_fracture", "phi"]
