"""Agreement between two readers of the same films (domain.md §7).

Pure Python (no Qt, no numpy needed). The unit of the per-vertebra statistics is one level of
one film that BOTH readers evaluated and graded (final grade: the reader's grade, else the
suggestion). On those units:

* percent agreement and Cohen's kappa on fractured / not fractured (final grade >= 1; 0.5
  counts as 0);
* linearly weighted kappa on the grades 0, 1, 2, 3 (0.5 counts as 0), agreement weights
  ``1 - |i - j| / 3``;
* each kappa with its 95 % confidence interval ``kappa ± 1.96 SE`` from the large-sample
  (non-null) standard error of Fleiss, Cohen & Everitt (Psychol Bull 1969;72:323), clipped to
  [-1, 1]. When the expected agreement is 1 (both readers used one and the same category for
  every unit) kappa is undefined and reported as such (value None with a reason), never as 0
  or 1. When the standard error is 0 (one reader used one category for every unit, or a
  single unit) or there are fewer than two units, the interval is not estimable:
  ``ci_low``/``ci_high`` are None and ``ci_reason`` says why, never a zero-width interval;
* the same per level (T4 ... L4) and per patient ("any fracture" over the patient's units);
* Bland & Altman (Lancet 1986) mean difference (reader A minus reader B) and 95 % limits of
  agreement of Ha, Hm, Hp in mm (both readings calibrated) and of the wedge, biconcave and
  crush ratios in percentage points (any film);
* the 4 x 4 confusion matrix of grades and the 2 x 2 of fracture;
* the discordant levels (§7): one reader calls the level fractured and the other does not,
  or the two final grades differ by one or more. A level that one reader graded and the
  other did not evaluate (not evaluable, or not read) also needs adjudication; it is listed
  with reason ``evaluability`` (it is not part of the kappa units).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from vfa.method.levels import LEVELS, Level, Status

Z95 = 1.959963984540054
GRADES = (0, 1, 2, 3)
FRACTURE = (0, 1)


# ---------------------------------------------------------------------------- kappa
@dataclass(frozen=True)
class Kappa:
    """A kappa with its 95 % CI; ``value`` is None when undefined (``reason`` says why)."""

    value: float | None
    ci_low: float | None
    ci_high: float | None
    se: float | None
    n: int
    observed: float | None      # observed (weighted) agreement, 0..1
    expected: float | None      # expected (weighted) agreement by chance, 0..1
    reason: str | None = None
    #: Why the confidence interval is not estimable (``ci_low``/``ci_high`` None) while the
    #: kappa itself is defined: a standard error of 0, or fewer than two units (domain.md §7).
    ci_reason: str | None = None

    @property
    def defined(self) -> bool:
        return self.value is not None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "se": self.se, "n": self.n, "observed": self.observed,
                "expected": self.expected, "undefined_reason": self.reason,
                "ci_reason": self.ci_reason}

    def ci_text(self, digits: int = 2) -> str:
        """"0.41 to 0.87", or "not estimable (<reason>)"."""
        if self.ci_low is None or self.ci_high is None:
            return f"not estimable ({self.ci_reason})" if self.ci_reason else "not estimable"
        return f"{self.ci_low:.{digits}f} to {self.ci_high:.{digits}f}"

    def text(self, digits: int = 2) -> str:
        if self.value is None:
            return f"undefined ({self.reason})"
        if self.ci_low is None or self.ci_high is None:
            return f"{self.value:.{digits}f} (CI {self.ci_text(digits)})"
        return f"{self.value:.{digits}f} ({self.ci_low:.{digits}f} to {self.ci_high:.{digits}f})"


#: Reasons for a confidence interval that cannot be estimated (domain.md §7).
CI_SE_ZERO = "standard error 0"
CI_FEW_UNITS = "fewer than two units rated by both readers"


def kappa(a: Sequence[int], b: Sequence[int], categories: Sequence[int],
          weights: str = "none") -> Kappa:
    """Cohen's kappa of two raters' category labels (``weights`` 'none' or 'linear').

    Standard error: Fleiss, Cohen & Everitt 1969, eq. for the non-null variance of weighted
    kappa (unweighted: identity weights)::

        var = [ sum_ij p_ij (w_ij - (wbar_i. + wbar_.j)(1 - k))^2 - (k - pe (1 - k))^2 ]
              / (n (1 - pe)^2)

    with ``wbar_i. = sum_j p_.j w_ij`` and ``wbar_.j = sum_i p_i. w_ij``.
    """
    if len(a) != len(b):
        raise ValueError("the two raters must rate the same units")
    cats = list(categories)
    k = len(cats)
    pos = {c: i for i, c in enumerate(cats)}
    n = len(a)
    if n == 0:
        return Kappa(None, None, None, None, 0, None, None, "no units rated by both readers")
    for x in list(a) + list(b):
        if x not in pos:
            raise ValueError(f"rating {x!r} is not one of the categories {cats}")
    if weights == "none":
        w = [[1.0 if i == j else 0.0 for j in range(k)] for i in range(k)]
    elif weights == "linear":
        w = [[1.0 - abs(i - j) / (k - 1) for j in range(k)] for i in range(k)]
    else:
        raise ValueError(f"weights must be 'none' or 'linear', not {weights!r}")
    p = [[0.0] * k for _ in range(k)]
    for x, y in zip(a, b):
        p[pos[x]][pos[y]] += 1.0 / n
    row = [sum(p[i]) for i in range(k)]
    col = [sum(p[i][j] for i in range(k)) for j in range(k)]
    po = sum(w[i][j] * p[i][j] for i in range(k) for j in range(k))
    pe = sum(w[i][j] * row[i] * col[j] for i in range(k) for j in range(k))
    if pe >= 1.0 - 1e-12:
        return Kappa(None, None, None, None, n, po, pe,
                     "expected agreement is 1: both readers used a single category")
    kap = (po - pe) / (1.0 - pe)
    wr = [sum(col[j] * w[i][j] for j in range(k)) for i in range(k)]
    wc = [sum(row[i] * w[i][j] for i in range(k)) for j in range(k)]
    s = sum(p[i][j] * (w[i][j] - (wr[i] + wc[j]) * (1.0 - kap)) ** 2
            for i in range(k) for j in range(k))
    var = (s - (kap - pe * (1.0 - kap)) ** 2) / (n * (1.0 - pe) ** 2)
    se = math.sqrt(max(var, 0.0))
    if n < 2:
        return Kappa(kap, None, None, se, n, po, pe, ci_reason=CI_FEW_UNITS)
    if se < 1e-12:
        why = (": one reader used a single category for every unit"
               if sum(1 for x in row if x > 0) == 1 or sum(1 for x in col if x > 0) == 1
               else ": perfect agreement" if kap >= 1.0 - 1e-12 else "")
        return Kappa(kap, None, None, 0.0, n, po, pe, ci_reason=CI_SE_ZERO + why)
    return Kappa(kap, max(-1.0, kap - Z95 * se), min(1.0, kap + Z95 * se), se, n, po, pe)


def percent_agreement(a: Sequence[Any], b: Sequence[Any]) -> float | None:
    """Share of units with the same label, in percent (None without units)."""
    if not a:
        return None
    return 100.0 * sum(1 for x, y in zip(a, b) if x == y) / len(a)


def confusion_matrix(a: Sequence[int], b: Sequence[int], categories: Sequence[int]) -> list[list[int]]:
    """Counts: rows reader A's category, columns reader B's."""
    pos = {c: i for i, c in enumerate(categories)}
    m = [[0] * len(categories) for _ in categories]
    for x, y in zip(a, b):
        m[pos[x]][pos[y]] += 1
    return m


# ---------------------------------------------------------------------------- Bland-Altman
@dataclass(frozen=True)
class BlandAltman:
    """Mean difference (A - B) and 95 % limits of agreement (mean ± 1.96 SD)."""

    measure: str
    unit: str
    n: int
    mean_diff: float | None
    sd_diff: float | None
    loa_low: float | None
    loa_high: float | None
    means: tuple[float, ...] = ()      # per unit (A + B) / 2, for the plot
    diffs: tuple[float, ...] = ()      # per unit A - B

    def to_dict(self, points: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {"measure": self.measure, "unit": self.unit, "n": self.n,
                             "mean_diff": self.mean_diff, "sd_diff": self.sd_diff,
                             "loa_low": self.loa_low, "loa_high": self.loa_high}
        if points:
            d["means"] = list(self.means)
            d["diffs"] = list(self.diffs)
        return d


def bland_altman(a: Sequence[float], b: Sequence[float], measure: str = "", unit: str = "") -> BlandAltman:
    diffs = [x - y for x, y in zip(a, b)]
    means = [(x + y) / 2.0 for x, y in zip(a, b)]
    n = len(diffs)
    if n == 0:
        return BlandAltman(measure, unit, 0, None, None, None, None)
    md = sum(diffs) / n
    if n < 2:
        return BlandAltman(measure, unit, n, md, None, None, None, tuple(means), tuple(diffs))
    sd = math.sqrt(sum((d - md) ** 2 for d in diffs) / (n - 1))
    return BlandAltman(measure, unit, n, md, sd, md - Z95 * sd, md + Z95 * sd,
                       tuple(means), tuple(diffs))


# ---------------------------------------------------------------------------- pairing
def fracture_class(grade: float) -> int:
    """1 when fractured (final grade >= 1), else 0 (0.5 counts as 0)."""
    return 1 if grade >= 1 else 0


def grade_class(grade: float) -> int:
    """The grade on the 0-3 scale (0.5 counts as 0)."""
    return 0 if grade < 1 else int(grade)


def is_discordant(grade_a: float, grade_b: float) -> bool:
    """domain.md §7: fractured by one and not the other, or grades differ by one or more."""
    return fracture_class(grade_a) != fracture_class(grade_b) or abs(grade_a - grade_b) >= 1


@dataclass(frozen=True)
class LevelPair:
    """One level of one film as both readers left it (None: that reader did not grade it)."""

    sop_instance_uid: str
    patient_id: str
    study_date: Any
    level: Level
    grade_a: float | None
    grade_b: float | None
    status_a: str          # 'graded', 'not_evaluable' or 'not_read'
    status_b: str
    result_a: Any = None   # morphometry.LevelResult
    result_b: Any = None
    calibrated: bool = False
    #: ABQ fracture / not of each reader (vfa.method.qualitative.abq_fracture); None: no ABQ call.
    abq_a: bool | None = None
    abq_b: bool | None = None

    @property
    def both_graded(self) -> bool:
        return self.grade_a is not None and self.grade_b is not None

    @property
    def discordance(self) -> str | None:
        """'fracture', 'grade', 'evaluability' or None (concordant, or read by neither)."""
        if self.both_graded:
            assert self.grade_a is not None and self.grade_b is not None
            if fracture_class(self.grade_a) != fracture_class(self.grade_b):
                return "fracture"
            if abs(self.grade_a - self.grade_b) >= 1:
                return "grade"
            return None
        if self.status_a == self.status_b:
            return None           # neither graded it (both not evaluable / not read)
        if self.grade_a is None and self.grade_b is None:
            return None           # one not evaluable, the other not read: nothing to decide
        return "evaluability"


def _level_state(result: Any) -> tuple[float | None, str]:
    if result is None:
        return None, "not_read"
    if result.status is Status.NOT_EVALUABLE:
        return None, "not_evaluable"
    if result.grade is None:
        return None, "not_read"
    return float(result.grade), "graded"


def pair_levels(a: Any, b: Any) -> list[LevelPair]:
    """The 13 levels of two readings of the same film (``vfa.reading.reading.Reading``)."""
    from vfa.method.morphometry import measure_reading
    from vfa.method.qualitative import abq_fracture
    ra = {r.level: r for r in measure_reading(a)}
    rb = {r.level: r for r in measure_reading(b)}
    out = []
    for lv in LEVELS:
        ga, sa = _level_state(ra.get(lv))
        gb, sb = _level_state(rb.get(lv))
        out.append(LevelPair(a.sop_instance_uid, a.patient_id or b.patient_id,
                             a.study_date or b.study_date, lv, ga, gb, sa, sb,
                             ra.get(lv), rb.get(lv),
                             bool(a.spacing.calibrated and b.spacing.calibrated),
                             abq_fracture(a.vertebrae.get(lv)), abq_fracture(b.vertebrae.get(lv))))
    return out


# ---------------------------------------------------------------------------- the report
@dataclass(frozen=True)
class AgreementStats:
    """Percent agreement and kappas over a set of units."""

    n: int
    percent_agreement: float | None        # fractured / not
    percent_agreement_grade: float | None  # exact grade 0-3
    kappa_fracture: Kappa
    weighted_kappa_grade: Kappa

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "percent_agreement": self.percent_agreement,
                "percent_agreement_grade": self.percent_agreement_grade,
                "kappa_fracture": self.kappa_fracture.to_dict(),
                "weighted_kappa_grade": self.weighted_kappa_grade.to_dict()}


def stats(grades_a: Sequence[float], grades_b: Sequence[float]) -> AgreementStats:
    fa = [fracture_class(g) for g in grades_a]
    fb = [fracture_class(g) for g in grades_b]
    ga = [grade_class(g) for g in grades_a]
    gb = [grade_class(g) for g in grades_b]
    return AgreementStats(len(fa), percent_agreement(fa, fb), percent_agreement(ga, gb),
                          kappa(fa, fb, FRACTURE), kappa(ga, gb, GRADES, "linear"))


@dataclass
class AgreementReport:
    readers: tuple[str, str]
    n_films: int
    pairs: list[LevelPair]
    overall: AgreementStats
    per_level: dict[Level, AgreementStats]
    per_patient: AgreementStats
    n_patients: int
    bland_altman: list[BlandAltman]
    confusion_grade: list[list[int]]
    confusion_fracture: list[list[int]]
    unpaired: list[dict[str, Any]] = field(default_factory=list)
    #: ABQ fracture / not over the levels where both readers gave an ABQ call (None: no such
    #: level), whatever their grades (docs/beyond-the-grade.md).
    abq: "AbqAgreement | None" = None

    @property
    def units(self) -> list[LevelPair]:
        return [p for p in self.pairs if p.both_graded]

    @property
    def discordant(self) -> list[LevelPair]:
        return [p for p in self.pairs if p.discordance is not None]

    @property
    def n_unconfirmed(self) -> int:
        """Units where at least one reader's final grade is an unconfirmed suggestion."""
        return sum(1 for p in self.units
                   if getattr(p.result_a, "unconfirmed", False) or getattr(p.result_b, "unconfirmed", False))

    def to_dict(self) -> dict[str, Any]:
        o = self.overall
        return {
            "readers": list(self.readers),
            "n_films": self.n_films,
            "n_levels": o.n,
            "n_patients": self.n_patients,
            "n_unconfirmed": self.n_unconfirmed,
            "percent_agreement": o.percent_agreement,
            "percent_agreement_grade": o.percent_agreement_grade,
            "kappa_fracture": o.kappa_fracture.to_dict(),
            "weighted_kappa_grade": o.weighted_kappa_grade.to_dict(),
            "per_level": {lv.value: s.to_dict() for lv, s in self.per_level.items()},
            "per_patient": self.per_patient.to_dict(),
            "bland_altman": {b.measure: b.to_dict() for b in self.bland_altman},
            "confusion_matrix": {"grade": {"categories": list(GRADES), "rows": "reader A",
                                           "columns": "reader B", "counts": self.confusion_grade},
                                 "fracture": {"categories": ["not fractured", "fractured"],
                                              "counts": self.confusion_fracture}},
            "discordant": [{
                "sop_instance_uid": p.sop_instance_uid, "patient_id": p.patient_id,
                "study_date": p.study_date.isoformat() if p.study_date else None,
                "level": p.level.value, "reason": p.discordance,
                "grade_a": p.grade_a, "grade_b": p.grade_b,
                "status_a": p.status_a, "status_b": p.status_b,
                "grades": {self.readers[0]: p.grade_a, self.readers[1]: p.grade_b},
            } for p in self.discordant],
            "unpaired": self.unpaired,
            "abq_fracture": self.abq.to_dict() if self.abq is not None else None,
        }


@dataclass(frozen=True)
class AbqAgreement:
    """Percent agreement and Cohen's kappa on ABQ fracture / not (Jiang et al. 2004)."""

    n: int
    percent_agreement: float | None
    kappa: Kappa

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "percent_agreement": self.percent_agreement,
                "kappa": self.kappa.to_dict()}


def abq_agreement(pairs: Iterable[LevelPair]) -> AbqAgreement | None:
    """ABQ fracture / not over the levels where both readers gave an ABQ call."""
    both = [p for p in pairs if p.abq_a is not None and p.abq_b is not None]
    if not both:
        return None
    a = [int(bool(p.abq_a)) for p in both]
    b = [int(bool(p.abq_b)) for p in both]
    return AbqAgreement(len(both), percent_agreement(a, b), kappa(a, b, FRACTURE))


_HEIGHTS = (("Ha", "ha"), ("Hm", "hm"), ("Hp", "hp"))
_RATIOS = (("wedge", "wedge"), ("biconcave", "biconcave"), ("crush", "crush"))


def agreement(reading_pairs: Iterable[tuple[Any, Any]], readers: tuple[str, str] = ("A", "B"),
              unpaired: list[dict[str, Any]] | None = None) -> AgreementReport:
    """Agreement over pairs (reading of reader A, reading of reader B) of the same films."""
    reading_pairs = list(reading_pairs)
    pairs: list[LevelPair] = []
    for a, b in reading_pairs:
        pairs.extend(pair_levels(a, b))
    units = [p for p in pairs if p.both_graded]
    ga = [float(p.grade_a) for p in units]  # type: ignore[arg-type]
    gb = [float(p.grade_b) for p in units]  # type: ignore[arg-type]
    per_level = {}
    for lv in LEVELS:
        u = [p for p in units if p.level is lv]
        per_level[lv] = stats([p.grade_a for p in u], [p.grade_b for p in u])  # type: ignore[misc]
    # Per patient: fractured when any of the patient's units is fractured (per reader).
    pat: dict[str, list[int]] = {}
    for p in units:
        key = p.patient_id or p.sop_instance_uid
        cur = pat.setdefault(key, [0, 0])
        cur[0] = max(cur[0], fracture_class(p.grade_a))  # type: ignore[arg-type]
        cur[1] = max(cur[1], fracture_class(p.grade_b))  # type: ignore[arg-type]
    pa = [float(v[0]) for v in pat.values()]
    pb = [float(v[1]) for v in pat.values()]
    ba = []
    for name, attr in _HEIGHTS:
        xs, ys = [], []
        for p in units:
            if p.calibrated and p.result_a.heights and p.result_b.heights:
                xs.append(getattr(p.result_a.heights, attr))
                ys.append(getattr(p.result_b.heights, attr))
        ba.append(bland_altman(xs, ys, name, "mm"))
    for name, attr in _RATIOS:
        xs, ys = [], []
        for p in units:
            va, vb = getattr(p.result_a, attr), getattr(p.result_b, attr)
            if va is not None and vb is not None:
                xs.append(100.0 * va)
                ys.append(100.0 * vb)
        ba.append(bland_altman(xs, ys, name, "pp"))
    return AgreementReport(
        readers=readers, n_films=len(reading_pairs), pairs=pairs, overall=stats(ga, gb),
        per_level=per_level, per_patient=stats(pa, pb), n_patients=len(pat), bland_altman=ba,
        confusion_grade=confusion_matrix([grade_class(g) for g in ga],
                                         [grade_class(g) for g in gb], GRADES),
        confusion_fracture=confusion_matrix([fracture_class(g) for g in ga],
                                            [fracture_class(g) for g in gb], FRACTURE),
        unpaired=list(unpaired or []), abq=abq_agreement(pairs))


def pair_by_sop(readings: Iterable[Any], readers: Sequence[str] | None = None
                ) -> tuple[tuple[str, str], list[tuple[Any, Any]], list[dict[str, Any]]]:
    """Group readings by SOP Instance UID and reader; return the two readers, the pairs of
    films read by both, and the films read by only one (``unpaired``).

    ``readers`` None: the readings must come from exactly two readers (ValueError otherwise,
    naming them). The reader ``consensus`` is left out unless named."""
    by: dict[str, dict[str, Any]] = {}
    names: list[str] = []
    for r in readings:
        name = r.reader or "unknown"
        if name not in names:
            names.append(name)
        if not r.sop_instance_uid:
            raise ValueError(f"a reading by {name} has no SOP Instance UID; it cannot be paired")
        slot = by.setdefault(r.sop_instance_uid, {})
        if name in slot:
            raise ValueError(f"two readings of film {r.sop_instance_uid} by {name}; give one")
        slot[name] = r
    if readers is None:
        cand = [n for n in names if n != "consensus"]
        if len(cand) != 2:
            raise ValueError(f"the readings come from {len(cand)} reader(s) "
                             f"({', '.join(cand) or 'none'}); name two with --readers A,B")
        ra, rb = sorted(cand)
    else:
        if len(readers) != 2 or readers[0] == readers[1]:
            raise ValueError("--readers needs two different reader names, e.g. --readers A,B")
        ra, rb = readers
        for n in (ra, rb):
            if n not in names:
                raise ValueError(f"no reading by {n!r} (readers found: {', '.join(names) or 'none'})")
    pairs, unpaired = [], []
    for sop, slot in by.items():
        if ra in slot and rb in slot:
            pairs.append((slot[ra], slot[rb]))
        elif ra in slot or rb in slot:
            only = ra if ra in slot else rb
            unpaired.append({"sop_instance_uid": sop, "read_by": only})
    return (ra, rb), pairs, unpaired
