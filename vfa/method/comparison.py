"""Follow-up comparison of two readings of the same patient (domain.md §4).

Per level: change category from the final grades (semiquantitative), quantitative height
loss for each of Ha/Hm/Hp, and the Fracture Intervention Trial rule (>= 20 % AND >= 4 mm in
one height), reported as not applicable (None) when a film is uncalibrated or the study is
paediatric and the millimetre rule is off for children.
"""

from __future__ import annotations

import datetime as _dt
import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vfa.method.grading import round_percent, sdi
from vfa.method.levels import Grade, Level
from vfa.method.morphometry import LevelResult, ReadingSummary, summarize
from vfa.method.noise import Noise, PrecisionStudy, noise_for, p_change
from vfa.method.settings import MethodSettings

if TYPE_CHECKING:  # pragma: no cover
    from vfa.reading.reading import Reading


class Change(str, enum.Enum):
    INCIDENT = "incident"
    WORSENED = "worsened"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    NOT_COMPARABLE = "not_comparable"
    #: A grade change behind which the measurement moved less than the least significant
    #: change (``lsc_pct``) while at least one of the two grades is unconfirmed: the reader
    #: decides (domain.md §4).
    UNCERTAIN = "uncertain"

    def __str__(self) -> str:
        return self.value


def classify(g0: Grade | None, g1: Grade | None, borderline_as: float = 0) -> Change:
    """Change category from baseline/follow-up final grades (None: level missing)."""
    if g0 is None or g1 is None:
        return Change.NOT_COMPARABLE
    a = borderline_as if g0 == 0.5 else g0
    b = borderline_as if g1 == 0.5 else g1
    if a == 0 and b >= 1:
        return Change.INCIDENT
    if a >= 1 and b > a:
        return Change.WORSENED
    if b < a:
        return Change.IMPROVED
    return Change.UNCHANGED


@dataclass(frozen=True)
class HeightLoss:
    height: str        # "ha" | "hm" | "hp"
    loss: float        # h0 - h1, in the unit of the readings (mm if both calibrated, else px)
    loss_pct: float    # 100 * loss / h0


@dataclass(frozen=True)
class LevelChange:
    level: Level
    baseline_grade: Grade | None
    followup_grade: Grade | None
    change: Change
    losses: tuple[HeightLoss, ...] = ()
    max_loss: HeightLoss | None = None
    loss_mm: float | None = None     # loss of the max-% height in mm (both films calibrated)
    fit_rule: bool | None = None     # None = not applicable
    fit_note: str | None = None
    #: Paediatric reshaping of a baseline fracture: "complete" | "partial" | None.
    reshaping: str | None = None
    #: Follow-up minus baseline ratio, times 100 (percentage points), per ratio; crush None
    #: when it is not assessable at either visit. None when the level was not measured twice.
    ratio_change_pp: dict[str, float | None] | None = None
    #: Change of the level's reduction (percent of domain.md §3), follow-up minus baseline.
    percent_change: float | None = None
    #: The table's change behind an ``uncertain`` call (what it would be if confirmed).
    tentative_change: Change | None = None
    baseline_confirmed: bool = True
    followup_confirmed: bool = True
    #: Probability that the level truly got worse, Φ((p1 - p0) / (√2 sd_pct)), from the
    #: unrounded percents; None when either visit has no measurement (domain.md §4).
    p_change: float | None = None
    #: A change between two confirmed grades with a measured change below ``lsc_pct``: it
    #: stands as the reader graded it, flagged and listed (domain.md §4).
    within_noise: bool = False
    #: The least significant change the level was judged with (percentage points).
    lsc_pct: float | None = None

    @property
    def highlighted(self) -> bool:
        return self.change in (Change.INCIDENT, Change.WORSENED)

    def describe(self) -> str | None:
        """The words a clinician reads for a change, with its probability or its noise:
        "T9 incident (P = 0.99 that it truly worsened)", "L1 worsened 1→2, within measurement
        noise (change 0.2 points, LSC 8.3)", "T9 uncertain (incident?): change 0.2 points,
        below the LSC 8.3 …". None for unchanged and not comparable levels."""
        lv = self.level.value
        if self.change in (Change.UNCHANGED, Change.NOT_COMPARABLE):
            return None
        grades = f"{_g(self.baseline_grade)}→{_g(self.followup_grade)}"
        delta = (f"change {abs(self.percent_change):.1f} points" if self.percent_change is not None
                 else "no measured change")
        lsc_text = f"LSC {self.lsc_pct:.1f}" if self.lsc_pct is not None else "LSC n/a"
        if self.change is Change.UNCERTAIN:
            tent = self.tentative_change.value if self.tentative_change else "change"
            return (f"{lv} uncertain ({tent}? {grades}): {delta}, below the {lsc_text}, and a grade "
                    "is unconfirmed: the reader decides")
        what = f"{lv} {self.change.value}" + ("" if self.change is Change.INCIDENT else f" {grades}")
        if self.within_noise:
            return f"{what}, within measurement noise ({delta}, {lsc_text})"
        if self.p_change is not None:
            if self.change is Change.IMPROVED:
                return f"{what} (P = {1.0 - self.p_change:.2f} that it truly improved)"
            return f"{what} (P = {self.p_change:.2f} that it truly worsened)"
        return what

    def reshaping_text(self) -> str | None:
        """"L1 reshaped completely: biconcave ratio +14 points" — the words a clinician reads."""
        if self.reshaping is None:
            return None
        how = "completely" if self.reshaping == "complete" else "partially"
        text = f"{self.level.value} reshaped {how}"
        gains = self.ratio_change_pp or {}
        best = max(((k, v) for k, v in gains.items() if v is not None),
                   key=lambda kv: kv[1], default=None)
        if best is not None and best[1] > 0:
            text += f": {best[0]} ratio {best[1]:+.0f} points"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level.value,
            "baseline_grade": self.baseline_grade,
            "followup_grade": self.followup_grade,
            "change": self.change.value,
            "max_loss_pct": round(self.max_loss.loss_pct, 3) if self.max_loss else None,
            "max_loss_height": self.max_loss.height if self.max_loss else None,
            "loss_mm": round(self.loss_mm, 3) if self.loss_mm is not None else None,
            "fit_rule": self.fit_rule,
            "fit_note": self.fit_note,
            "reshaping": self.reshaping,
            "ratio_change_pp": self.ratio_change_pp,
            "percent_change": self.percent_change,
            "tentative_change": self.tentative_change.value if self.tentative_change else None,
            "baseline_confirmed": self.baseline_confirmed,
            "followup_confirmed": self.followup_confirmed,
            "p_change": round(self.p_change, 4) if self.p_change is not None else None,
            "within_noise": self.within_noise,
            "losses": {h.height: {"loss": h.loss, "loss_pct": h.loss_pct} for h in self.losses},
        }


@dataclass(frozen=True)
class HeightScale:
    """Follow-up heights were multiplied by ``factor`` before computing losses."""

    factor: float
    levels: tuple[Level, ...]
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"factor": self.factor, "levels": [lv.value for lv in self.levels], "reason": self.reason}


@dataclass(frozen=True)
class Comparison:
    changes: tuple[LevelChange, ...]
    baseline: ReadingSummary
    followup: ReadingSummary
    mm_rule_applicable: bool
    mm_rule_note: str | None
    settings: MethodSettings
    height_scale: HeightScale | None = None
    noise: Noise | None = None

    @property
    def sd_pct(self) -> float:
        return self.measurement_noise.sd_pct

    @property
    def lsc_pct(self) -> float:
        return self.measurement_noise.lsc_pct

    @property
    def measurement_noise(self) -> Noise:
        return self.noise or noise_for(self.settings)

    @property
    def within_noise(self) -> list[Level]:
        """Changes between two confirmed grades smaller than the LSC (listed, not removed)."""
        return [c.level for c in self.changes if c.within_noise]

    @property
    def reshaping_assessed(self) -> bool:
        """Reshaping is looked for only when the age is known (domain.md §4): with the age
        unknown at both visits it is "not assessed", never none."""
        return self.paediatric is not None

    def levels_with(self, change: Change) -> list[Level]:
        return [c.level for c in self.changes if c.change is change]

    @property
    def incident(self) -> list[Level]:
        return self.levels_with(Change.INCIDENT)

    @property
    def worsened(self) -> list[Level]:
        return self.levels_with(Change.WORSENED)

    @property
    def improved(self) -> list[Level]:
        return self.levels_with(Change.IMPROVED)

    @property
    def uncertain(self) -> list[Level]:
        return self.levels_with(Change.UNCERTAIN)

    @property
    def reshaped(self) -> list[Level]:
        return [c.level for c in self.changes if c.reshaping is not None]

    @property
    def common_levels(self) -> list[Level]:
        """Levels graded and evaluable at both visits."""
        return [c.level for c in self.changes if c.change is not Change.NOT_COMPARABLE]

    @property
    def sdi_baseline_common(self) -> int:
        """Baseline SDI over the levels evaluable at both visits (domain.md §4)."""
        return sdi(c.baseline_grade for c in self.changes if c.change is not Change.NOT_COMPARABLE)

    @property
    def sdi_followup_common(self) -> int:
        """Follow-up SDI over the levels evaluable at both visits: a level that could not be
        read at follow-up does not make it fall."""
        return sdi(c.followup_grade for c in self.changes if c.change is not Change.NOT_COMPARABLE)

    @property
    def paediatric(self) -> bool | None:
        """True when either visit is paediatric; None when the age is unknown at both."""
        p = (self.baseline.paediatric, self.followup.paediatric)
        if True in p:
            return True
        return None if p == (None, None) else False

    def to_dict(self) -> dict[str, Any]:
        return {
            "changes": [c.to_dict() for c in self.changes],
            "incident": [lv.value for lv in self.incident],
            "worsened": [lv.value for lv in self.worsened],
            "improved": [lv.value for lv in self.improved],
            "uncertain": [lv.value for lv in self.uncertain],
            "reshaped": [lv.value for lv in self.reshaped] if self.reshaping_assessed else None,
            "reshaping_assessed": self.reshaping_assessed,
            "within_noise": [lv.value for lv in self.within_noise],
            "sdi_baseline": self.baseline.sdi,
            "sdi_followup": self.followup.sdi,
            "sdi_baseline_common": self.sdi_baseline_common,
            "sdi_followup_common": self.sdi_followup_common,
            "common_levels": len(self.common_levels),
            "unconfirmed_baseline": [lv.value for lv in self.baseline.unconfirmed],
            "unconfirmed_followup": [lv.value for lv in self.followup.unconfirmed],
            "not_evaluable_baseline": self.baseline.not_evaluable,
            "not_evaluable_followup": self.followup.not_evaluable,
            "mm_rule_applicable": self.mm_rule_applicable,
            "mm_rule_note": self.mm_rule_note,
            "paediatric": self.paediatric,
            "age_years_baseline": self.baseline.to_dict()["age_years"],
            "age_years_followup": self.followup.to_dict()["age_years"],
            "height_scale": self.height_scale.to_dict() if self.height_scale else None,
            **self.measurement_noise.to_dict(),
            "settings": self.settings.to_dict(),
        }


def _g(g: Grade | None) -> str:
    if g is None:
        return "–"
    return "0.5" if g == 0.5 else str(int(g))


def _comparable_grade(r: LevelResult) -> Grade | None:
    """Final grade if the level is annotated/graded and evaluable, else None."""
    return r.grade if r.graded else None


def compare(baseline: "Reading", followup: "Reading",
            settings: MethodSettings | None = None,
            precision: PrecisionStudy | None = None, noise: Noise | None = None) -> Comparison:
    """Compare a follow-up reading with its baseline, level by level T4..L4.

    ``precision``: the reader's saved precision study (``vfa precision --save``); its RMS-SD
    of the reduction is ``sd_pct`` when it covers at least 10 films, else the setting
    ``precision_sd_pct`` is (domain.md §4). ``noise``: the noise to use as it is (e.g. from
    :func:`vfa.storage.precision_studies.noise_for_readers`); it wins over ``precision``."""
    settings = settings or followup.settings
    noise = noise or noise_for(settings, precision)
    lsc_pct = noise.lsc_pct
    s0 = summarize(baseline, settings, noise)
    s1 = summarize(followup, settings, noise)
    both_cal = baseline.spacing.calibrated and followup.spacing.calibrated
    paed = bool(s0.paediatric or s1.paediatric)
    if not both_cal:
        mm_ok, note = False, "not applicable: a film is uncalibrated (heights in pixels)"
    elif paed and not settings.mm_rule_in_children:
        mm_ok, note = False, ("not applicable: paediatric study (vertebrae grow between "
                              "visits)")
    else:
        mm_ok, note = True, None

    # Films on different scales (another spacing source, or mm against pixels): heights are
    # brought to the baseline's scale through reference levels (setting loss_scaling), and
    # only percentages are reported. Without enough reference levels, mm and px cannot be
    # subtracted at all.
    same_unit = baseline.spacing.calibrated == followup.spacing.calibrated
    scale = None
    if settings.loss_scaling == "reference_levels" and (
            not same_unit or baseline.spacing.source is not followup.spacing.source):
        scale = _reference_scale(s0, s1, settings, baseline, followup)
        if scale is not None:
            same_unit = True
            mm_ok = False
            note = (f"not applicable: {scale.reason}; follow-up heights scaled by "
                    f"{scale.factor:.3f} from {len(scale.levels)} reference levels, compare percentages")
    k = scale.factor if scale else 1.0
    changes = []
    for r0, r1 in zip(s0.results, s1.results):
        g0, g1 = _comparable_grade(r0), _comparable_grade(r1)
        ch = classify(g0, g1, settings.compare_borderline_as)
        losses: list[HeightLoss] = []
        max_loss = loss_mm = fit = None
        if (ch is not Change.NOT_COMPARABLE and same_unit and r0.heights is not None
                and r1.heights is not None):
            for name in ("ha", "hm", "hp"):
                h0, h1 = getattr(r0.heights, name), k * getattr(r1.heights, name)
                if h0 > 0:
                    losses.append(HeightLoss(name, h0 - h1, 100.0 * (h0 - h1) / h0))
            if losses:
                max_loss = max(losses, key=lambda h: h.loss_pct)  # first wins ties: ha, hm, hp
                if both_cal and scale is None:
                    loss_mm = max_loss.loss
                if mm_ok:
                    fit = any(h.loss_pct >= settings.fit_loss_pct - 1e-9
                              and h.loss >= settings.fit_loss_mm - 1e-9 for h in losses)
        if fit is not None:
            fnote = None
        elif max_loss is not None:
            fnote = note
        elif (not same_unit and ch is not Change.NOT_COMPARABLE and r0.heights is not None
              and r1.heights is not None):
            fnote = ("not applicable: one film is calibrated (mm) and the other is not (px); "
                     "height loss cannot be computed")
        else:
            fnote = None
        pchange = ratio_pp = reshaping = tentative = prob = None
        noisy = False
        if ch is not Change.NOT_COMPARABLE:
            if r0.percent is not None and r1.percent is not None:
                pchange = round_percent(r1.percent - r0.percent) + 0.0  # no -0.0
            if r0.percent_exact is not None and r1.percent_exact is not None:
                prob = p_change(r0.percent_exact, r1.percent_exact, noise.sd_pct)
            ratio_pp = _ratio_change_pp(r0, r1)
            if (ch in (Change.INCIDENT, Change.WORSENED, Change.IMPROVED) and pchange is not None
                    and abs(pchange) < lsc_pct):
                if r0.confirmed and r1.confirmed:
                    noisy = True
                else:
                    ch, tentative = Change.UNCERTAIN, ch
            a = settings.compare_borderline_as if g0 == 0.5 else g0
            b = settings.compare_borderline_as if g1 == 0.5 else g1
            if (paed and a is not None and a >= 1 and pchange is not None
                    and -pchange >= lsc_pct):
                reshaping = "complete" if b == 0 else "partial"
        changes.append(LevelChange(r0.level, g0, g1, ch, tuple(losses), max_loss, loss_mm, fit,
                                   fnote, reshaping, ratio_pp, pchange, tentative,
                                   r0.confirmed, r1.confirmed, prob, noisy, lsc_pct))
    return Comparison(tuple(changes), s0, s1, mm_ok, note, settings, scale, noise)


def _ratio_change_pp(r0: LevelResult, r1: LevelResult) -> dict[str, float | None] | None:
    """Follow-up minus baseline, times 100, for wedge, biconcave and crush (one decimal)."""
    if r0.wedge is None or r1.wedge is None or r0.biconcave is None or r1.biconcave is None:
        return None

    def pp(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else round_percent((b - a) * 100.0) + 0.0  # no -0.0

    return {"wedge": pp(r0.wedge, r1.wedge), "biconcave": pp(r0.biconcave, r1.biconcave),
            "crush": pp(r0.crush, r1.crush)}


def _reference_scale(s0: ReadingSummary, s1: ReadingSummary, settings: MethodSettings,
                     baseline: "Reading", followup: "Reading") -> HeightScale | None:
    """Median Hp(baseline)/Hp(follow-up) over levels graded 0 at both visits."""
    levels, ratios = [], []
    for r0, r1 in zip(s0.results, s1.results):
        if (r0.graded and r1.graded and r0.grade == 0 and r1.grade == 0
                and r0.heights is not None and r1.heights is not None and r1.heights.hp > 0):
            levels.append(r0.level)
            ratios.append(r0.heights.hp / r1.heights.hp)
    if len(ratios) < max(1, settings.scaling_min_levels):
        return None
    ratios.sort()
    n = len(ratios)
    med = ratios[n // 2] if n % 2 else (ratios[n // 2 - 1] + ratios[n // 2]) / 2
    b, f = baseline.spacing, followup.spacing
    reason = (f"the films are on different scales (the baseline's millimetres come from "
              f"{b.description}, the follow-up's from {f.description})")
    return HeightScale(med, tuple(levels), reason)


@dataclass(frozen=True)
class TrendVisit:
    """One visit of a height trend: heights per level at the baseline's scale."""

    study_date: Any
    heights: dict[Level, Any]   # Level -> morphometry.Heights (evaluable, measured levels only)
    scale: float                # factor applied to this film's heights (1.0: none)


@dataclass(frozen=True)
class HeightTrend:
    visits: tuple[TrendVisit, ...]
    unit: str                   # the baseline's unit ("mm" or "px")
    note: str | None            # why a visit was left out or rescaled


def height_trend(readings: list["Reading"], settings: MethodSettings | None = None) -> HeightTrend:
    """Heights of every level across visits, oldest first, on ONE scale: the earliest film's.

    A film on another scale (spacing source, mm against px) is rescaled exactly as
    :func:`compare` does (setting ``loss_scaling``); a film that cannot be brought to the
    baseline's scale is left out, and ``note`` says so. Plots of heights over time use this,
    so that a change of calibration never looks like height loss.
    """
    ordered = sorted((r for r in readings if r.study_date is not None), key=lambda r: r.study_date or _dt.date.min)
    if not ordered:
        return HeightTrend((), "px", None)
    base = ordered[0]
    visits: list[TrendVisit] = []
    notes: list[str] = []
    for r in ordered:
        k = 1.0
        if r is not base:
            c = compare(base, r, settings)
            if c.height_scale is not None:
                k = c.height_scale.factor
                notes.append(f"{r.study_date}: heights scaled by {k:.3f} ({c.height_scale.reason})")
            elif r.spacing.calibrated != base.spacing.calibrated:
                notes.append(f"{r.study_date}: left out (mm and pixels, too few reference levels)")
                continue
        hs = {x.level: x.heights for x in summarize(r, settings).results
              if x.heights is not None and x.evaluable}
        if k != 1.0:
            from vfa.method.morphometry import Heights
            hs = {lv: Heights(h.ha * k, h.hm * k, h.hp * k) for lv, h in hs.items()}
        visits.append(TrendVisit(r.study_date, hs, k))
    return HeightTrend(tuple(visits), base.spacing.unit, "; ".join(notes) or None)


@dataclass(frozen=True)
class RatioVisit:
    """One visit of a ratio trend: wedge, biconcave and crush per measured level."""

    study_date: Any
    ratios: dict[Level, dict[str, float | None]]   # {"wedge", "biconcave", "crush"}
    sdi: int


RATIO_NAMES: tuple[str, ...] = ("wedge", "biconcave", "crush")


def ratio_trend(readings: list["Reading"], settings: MethodSettings | None = None) -> list[RatioVisit]:
    """Ratios of every measured evaluable level per dated visit, oldest first.

    Ratios are unit-free: no rescaling between films, and a child's growth does not show as
    height loss (docs/clinical-method.md, "Trends"). Crush is None where not assessable."""
    ordered = sorted((r for r in readings if r.study_date is not None), key=lambda r: r.study_date or _dt.date.min)
    out = []
    for r in ordered:
        s = summarize(r, settings)
        ratios = {x.level: {"wedge": x.wedge, "biconcave": x.biconcave, "crush": x.crush}
                  for x in s.results if x.evaluable and x.wedge is not None}
        out.append(RatioVisit(r.study_date, ratios, s.sdi))
    return out


def sdi_series(readings: list["Reading"], settings: MethodSettings | None = None) -> list[tuple[Any, int, int]]:
    """(study_date, SDI, not evaluable count) per reading, oldest first (for trend plots)."""
    out = []
    for r in sorted(readings, key=lambda r: (r.study_date is None, r.study_date)):
        s = summarize(r, settings)
        out.append((r.study_date, s.sdi, s.not_evaluable))
    return out
