"""Precision of repeated readings (Glüer et al., Osteoporos Int 1995; domain.md §9).

Films read more than once (readings with the same SOP Instance UID, by the same reader or by
two readers) give, for every vertebra measured in each reading, a small set of repeated
values of Ha, Hm, Hp and of the percent reduction (domain.md §3). Per vertebra (one film,
one level) with ``n`` readings:

    mean_j = mean of the n values,  SD_j = sample standard deviation (n - 1),
    CV_j   = 100 * SD_j / mean_j   (heights only)

Over vertebrae (per level, per grade group, overall), the root-mean-square values:

    RMS-SD = sqrt( sum_j (n_j - 1) SD_j^2 / sum_j (n_j - 1) )
    rmsCV  = sqrt( sum_j (n_j - 1) CV_j^2 / sum_j (n_j - 1) )

With pairs (n_j = 2 everywhere) these are Glüer's sqrt(mean SD_j^2), with SD_j = |a - b| / √2.
The percent reduction is reported as RMS-SD in percentage points; its CV is not defined (the
reduction of a normal vertebra is near 0 %) and is null.

A vertebra counts when it is evaluable and measurable (six valid points) in every reading of
its film, with no proposed point left unaccepted. Heights are in mm when every reading of a
film is calibrated, else in pixels; RMS-SD of heights is null when films in mm and films in
pixels are mixed (the CVs, being unit-free, are still given).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from vfa.errors import VfaError
from vfa.method.levels import LEVELS, Level
from vfa.method.morphometry import measure_reading
from vfa.method.noise import MIN_STUDY_FILMS, PrecisionStudy

if TYPE_CHECKING:  # pragma: no cover - type hints only (the reading is a layer above)
    from vfa.reading.reading import Reading

HEIGHTS = ("ha", "hm", "hp")


class PrecisionError(VfaError):
    """No film was read twice (nothing to compute)."""


@dataclass
class _Vertebra:
    sop: str
    level: Level
    unit: str
    values: dict[str, list[float]]   # ha, hm, hp, reduction -> one value per reading
    fractured: bool


@dataclass
class Stats:
    """RMS-SD and rmsCV of one quantity over vertebrae."""

    n: int = 0          # vertebrae
    df: int = 0         # sum of (n_j - 1)
    _ss: float = 0.0    # sum of (n_j - 1) SD_j^2
    _cc: float = 0.0    # sum of (n_j - 1) CV_j^2
    _cv_ok: bool = True
    units: set[str] = field(default_factory=set)

    def add(self, values: Sequence[float], unit: str, cv: bool = True) -> None:
        k = len(values)
        m = sum(values) / k
        var = sum((x - m) ** 2 for x in values) / (k - 1)
        self.n += 1
        self.df += k - 1
        self._ss += (k - 1) * var
        if cv and m > 0:
            self._cc += (k - 1) * var / (m * m) * 1e4
        else:
            self._cv_ok = False
        self.units.add(unit)

    @property
    def rms_sd(self) -> float | None:
        if not self.df or len(self.units) > 1:
            return None
        return math.sqrt(self._ss / self.df)

    @property
    def rms_cv_pct(self) -> float | None:
        if not self.df or not self._cv_ok:
            return None
        return math.sqrt(self._cc / self.df)

    def to_dict(self) -> dict[str, Any]:
        unit = next(iter(self.units)) if len(self.units) == 1 else ("mixed" if self.units else None)
        return {"n": self.n, "rms_sd": self.rms_sd, "rms_cv_pct": self.rms_cv_pct, "unit": unit}


def _group(stats: dict[str, Stats], v: _Vertebra) -> None:
    for key in HEIGHTS:
        stats.setdefault(key, Stats()).add(v.values[key], v.unit)
    stats.setdefault("reduction", Stats()).add(v.values["reduction"], "pp", cv=False)


@dataclass
class PrecisionResult:
    pairs: list[dict[str, Any]]
    per_height: dict[str, Stats]
    per_level: dict[Level, dict[str, Stats]]
    by_grade: dict[str, dict[str, Stats]]
    design: str              # "intra-reader" | "inter-reader" | "mixed"
    vertebrae: int
    skipped: list[str]

    @property
    def films(self) -> int:
        """Films read more than once with at least one vertebra measured in every reading."""
        return sum(1 for p in self.pairs if p["levels"])

    @property
    def reduction_sd_pct(self) -> float | None:
        """The RMS-SD of the reduction over all vertebrae (percentage points): a reader's
        ``sd_pct`` (domain.md §4, §9) when the study is saved for the reader."""
        st = self.per_height.get("reduction")
        return st.rms_sd if st is not None else None

    @property
    def reduction_sd_per_level(self) -> dict[str, float | None]:
        return {lv.value: st["reduction"].rms_sd for lv, st in self.per_level.items()}

    @property
    def usable_as_study(self) -> bool:
        """At least 10 films read twice and a reduction SD above 0 (domain.md §9)."""
        sd = self.reduction_sd_pct
        return self.films >= MIN_STUDY_FILMS and sd is not None and sd > 0

    def study(self, reader: str, saved: str) -> PrecisionStudy:
        """This result as a reader's precision study (check :attr:`usable_as_study` first)."""
        sd = self.reduction_sd_pct
        if sd is None or sd <= 0:
            raise PrecisionError("the reduction did not vary between the readings (RMS-SD 0): "
                                 "these are copies, not repeated readings; nothing to save")
        return PrecisionStudy(reader, sd, self.films, self.vertebrae, self.design, saved,
                              self.reduction_sd_per_level)

    def to_dict(self) -> dict[str, Any]:
        return {
            "design": self.design,
            "films": self.films,
            "reduction_sd_pct": self.reduction_sd_pct,
            "reduction_sd_per_level": self.reduction_sd_per_level,
            "usable_as_study": self.usable_as_study,
            "min_study_films": MIN_STUDY_FILMS,
            "pairs": self.pairs,
            "vertebrae": self.vertebrae,
            "per_height": {k: s.to_dict() for k, s in self.per_height.items()},
            "per_level": {lv.value: {"n": st["ha"].n, **{k: s.to_dict() for k, s in st.items()}}
                          for lv, st in self.per_level.items()},
            "by_grade": {g: {k: s.to_dict() for k, s in st.items()}
                         for g, st in self.by_grade.items()},
            "skipped": self.skipped,
            "method": "Glüer 1995: RMS-SD = sqrt(sum (n-1) SD^2 / sum (n-1)); rmsCV likewise "
                      "with CV = 100 SD / mean; reduction in percentage points",
        }


def precision(readings: Iterable["Reading"], allow_proposed: bool = False) -> PrecisionResult:
    """Precision over every film read more than once. Raises PrecisionError when none is.

    ``allow_proposed``: count levels whose proposed points nobody accepted (to measure the
    proposals themselves against a reader's reading of the same film)."""
    by_sop: dict[str, list["Reading"]] = {}
    for r in readings:
        if not r.sop_instance_uid:
            continue
        by_sop.setdefault(r.sop_instance_uid, []).append(r)
    films = {sop: rs for sop, rs in by_sop.items() if len(rs) >= 2}
    if not films:
        raise PrecisionError("no film was read twice: precision needs two or more readings with "
                             "the same SOP Instance UID (the same film read again)")
    pairs: list[dict[str, Any]] = []
    verts: list[_Vertebra] = []
    skipped: list[str] = []
    kinds = set()
    for sop in sorted(films):
        rs = films[sop]
        readers = [r.reader or "unknown" for r in rs]
        kind = "intra-reader" if len(set(readers)) == 1 else "inter-reader"
        kinds.add(kind)
        results = [{x.level: x for x in measure_reading(r)} for r in rs]
        units = {r.spacing.unit for r in rs}
        unit = units.pop() if len(units) == 1 else None
        levels_used = []
        for lv in LEVELS:
            rows = [res[lv] for res in results]
            pending = not allow_proposed and any(
                (v := r.vertebrae.get(lv)) is not None and v.pending_proposals for r in rs)
            if pending:
                skipped.append(f"{sop} {lv}: proposed points not accepted (--allow-proposed "
                               "counts them)")
                continue
            if any(x.heights is None or x.percent is None for x in rows):
                continue
            if unit is None:
                skipped.append(f"{sop} {lv}: readings in mm and in pixels")
                continue
            vals = {k: [getattr(x.heights, k) for x in rows] for k in HEIGHTS}
            vals["reduction"] = [x.percent for x in rows]
            verts.append(_Vertebra(sop, lv, unit, vals,
                                   any(x.grade is not None and x.grade >= 1 for x in rows)))
            levels_used.append(lv.value)
        pairs.append({"sop_instance_uid": sop, "readers": readers, "kind": kind,
                      "readings": len(rs), "dates": [str(r.study_date) if r.study_date else None
                                                     for r in rs],
                      "levels": levels_used, "unit": unit})
    per_height: dict[str, Stats] = {k: Stats() for k in (*HEIGHTS, "reduction")}
    per_level: dict[Level, dict[str, Stats]] = {}
    by_grade: dict[str, dict[str, Stats]] = {}
    for vt in verts:
        _group(per_height, vt)
        _group(per_level.setdefault(vt.level, {}), vt)
        _group(by_grade.setdefault("fractured" if vt.fractured else "normal", {}), vt)
    per_level = {lv: per_level[lv] for lv in LEVELS if lv in per_level}
    design = kinds.pop() if len(kinds) == 1 else "mixed"
    return PrecisionResult(pairs, per_height, per_level, by_grade, design, len(verts), skipped)


__all__ = ["precision", "PrecisionResult", "PrecisionError", "Stats", "HEIGHTS"]
