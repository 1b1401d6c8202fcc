"""Age of the patient at the study date (domain.md §6).

In order: Patient's Birth Date with the Study Date; Patient's Age (0010,1010), which
de-identified films often keep when the birth date is removed (``011Y``, ``006M``, ``010W``,
``020D``); the reader's own entry. :func:`age_at_study` returns the age in years and where it
came from, or ``(None, None)`` when nothing is known ("age unknown": adult rules apply).
"""

from __future__ import annotations

import datetime as _dt
import math
import re

#: Words printed beside an age, per source.
SOURCE_BIRTH_DATE = "birth date"
SOURCE_PATIENT_AGE = "Patient's Age"
SOURCE_READER = "entered by the reader"
AGE_UNKNOWN = "age unknown"

_DAYS_PER_YEAR = 365.2425


def _anniversary(birth: _dt.date, year: int) -> _dt.date:
    """The birthday in ``year`` (29 February -> 1 March in common years)."""
    try:
        return birth.replace(year=year)
    except ValueError:
        return _dt.date(year, 3, 1)


def years_between(birth: _dt.date, on: _dt.date) -> float | None:
    """Completed calendar years plus the elapsed fraction of the current one (the 18th
    birthday gives exactly 18.0, whatever leap days); None when ``on`` is before ``birth``."""
    if on < birth:
        return None
    years = on.year - birth.year
    if _anniversary(birth, on.year) > on:
        years -= 1
    last = _anniversary(birth, birth.year + years)
    nxt = _anniversary(birth, birth.year + years + 1)
    return years + (on - last).days / (nxt - last).days


def parse_patient_age(text: str | None) -> float | None:
    """Years from a DICOM Age String (``nnnD``, ``nnnW``, ``nnnM``, ``nnnY``); None if absent
    or not of that form."""
    m = re.fullmatch(r"\s*(\d{1,3})\s*([DWMY])\s*", text or "")
    if not m:
        return None
    n = int(m.group(1))
    return {"D": n / _DAYS_PER_YEAR, "W": n * 7 / _DAYS_PER_YEAR, "M": n / 12.0,
            "Y": float(n)}[m.group(2)]


def valid_age_years(value: object) -> float:
    """A reader-entered age: a finite number from 0 to 130 (ValueError otherwise)."""
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not math.isfinite(value) or not 0 <= value <= 130):
        raise ValueError(f"age {value!r} must be a number of years from 0 to 130")
    return float(value)


def age_at_study(birth_date: _dt.date | None, study_date: _dt.date | None,
                 patient_age: str | None = None, age_years: float | None = None
                 ) -> tuple[float | None, str | None]:
    """(age in years, source) by the order of domain.md §6; (None, None) when unknown."""
    if birth_date is not None and study_date is not None:
        age = years_between(birth_date, study_date)
        if age is not None:
            return age, SOURCE_BIRTH_DATE
    age = parse_patient_age(patient_age)
    if age is not None:
        return age, SOURCE_PATIENT_AGE
    if age_years is not None:
        return float(age_years), SOURCE_READER
    return None, None


def describe(age: float | None, paediatric: bool | None) -> str:
    """"age 11.5 y, paediatric" / "age 45.0 y" / "age unknown" for reports and tables."""
    if age is None:
        return AGE_UNKNOWN
    return f"age {age:.1f} y" + (", paediatric" if paediatric else "")


def age_from_other_visits(study_date: _dt.date | None, others: "list") -> float | None:
    """The age at ``study_date`` carried from another dated reading of the same patient whose
    age is known (entered once per patient, docs/clinical-method.md): that age plus the time
    between the two studies. The nearest visit in time wins; None when there is none."""
    if study_date is None:
        return None
    best = None
    for o in others:
        if o.study_date is None:
            continue
        age = o.age_at_study()
        if age is None:
            continue
        carried = age + (study_date - o.study_date).days / _DAYS_PER_YEAR
        dist = abs((study_date - o.study_date).days)
        if carried >= 0 and (best is None or dist < best[0]):
            best = (dist, carried)
    return None if best is None else round(best[1], 2)
