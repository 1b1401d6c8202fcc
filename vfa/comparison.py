"""Follow-up comparison of two readings of the same patient (domain.md §4).

Per level: change category from the final grades (semiquantitative), quantitative height
loss for each of Ha/Hm/Hp, and the Fracture Intervention Trial rule (>= 20 % AND >= 4 mm in
one height), reported as not applicable (None) when a film is uncalibrated or the study is
paediatric and the millimetre rule is off for children.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .levels import LEVELS, Grade, Level
from .morphometry import LevelResult, ReadingSummary, summarize
from .settings import MethodSettings

if TYPE_CHECKING:  # pragma: no cover
    from .reading import Reading


class Change(str, enum.Enum):
    INCIDENT = "incident"
    WORSENED = "worsened"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    NOT_COMPARABLE = "not_comparable"

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

    @property
    def highlighted(self) -> bool:
        return self.change in (Change.INCIDENT, Change.WORSENED)

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
            "losses": {h.height: {"loss": h.loss, "loss_pct": h.loss_pct} for h in self.losses},
        }


@dataclass(frozen=True)
class Comparison:
    changes: tuple[LevelChange, ...]
    baseline: ReadingSummary
    followup: ReadingSummary
    mm_rule_applicable: bool
    mm_rule_note: str | None
    settings: MethodSettings

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

    def to_dict(self) -> dict[str, Any]:
        return {
            "changes": [c.to_dict() for c in self.changes],
            "incident": [l.value for l in self.incident],
            "worsened": [l.value for l in self.worsened],
            "improved": [l.value for l in self.improved],
            "sdi_baseline": self.baseline.sdi,
            "sdi_followup": self.followup.sdi,
            "not_evaluable_baseline": self.baseline.not_evaluable,
            "not_evaluable_followup": self.followup.not_evaluable,
            "mm_rule_applicable": self.mm_rule_applicable,
            "mm_rule_note": self.mm_rule_note,
            "paediatric": bool(self.followup.paediatric or self.baseline.paediatric),
            "settings": self.settings.to_dict(),
        }


def _comparable_grade(r: LevelResult) -> Grade | None:
    """Final grade if the level is annotated/graded and evaluable, else None."""
    return r.grade if r.graded else None


def compare(baseline: "Reading", followup: "Reading",
            settings: MethodSettings | None = None) -> Comparison:
    """Compare a follow-up reading with its baseline, level by level T4..L4."""
    settings = settings or followup.settings
    s0 = summarize(baseline, settings)
    s1 = summarize(followup, settings)
    both_cal = baseline.spacing.calibrated and followup.spacing.calibrated
    paed = bool(s0.paediatric or s1.paediatric)
    if not both_cal:
        mm_ok, note = False, "not applicable: a film is uncalibrated (heights in pixels)"
    elif paed and not settings.mm_rule_in_children:
        mm_ok, note = False, ("not applicable: paediatric study (vertebrae grow between visits; "
                              "setting mm_rule_in_children is off)")
    else:
        mm_ok, note = True, None

    # Heights in mm on one film and in pixels on the other cannot be subtracted: no
    # quantitative loss at all then (percentages need one unit on both films).
    same_unit = baseline.spacing.calibrated == followup.spacing.calibrated
    changes = []
    for r0, r1 in zip(s0.results, s1.results):
        g0, g1 = _comparable_grade(r0), _comparable_grade(r1)
        ch = classify(g0, g1, settings.compare_borderline_as)
        losses: list[HeightLoss] = []
        max_loss = loss_mm = fit = None
        if (ch is not Change.NOT_COMPARABLE and same_unit and r0.heights is not None
                and r1.heights is not None):
            for name in ("ha", "hm", "hp"):
                h0, h1 = getattr(r0.heights, name), getattr(r1.heights, name)
                if h0 > 0:
                    losses.append(HeightLoss(name, h0 - h1, 100.0 * (h0 - h1) / h0))
            if losses:
                max_loss = max(losses, key=lambda h: h.loss_pct)  # first wins ties: ha, hm, hp
                if both_cal:
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
        changes.append(LevelChange(r0.level, g0, g1, ch, tuple(losses), max_loss, loss_mm, fit,
                                   fnote))
    return Comparison(tuple(changes), s0, s1, mm_ok, note, settings)


def sdi_series(readings: list["Reading"], settings: MethodSettings | None = None) -> list[tuple[Any, int, int]]:
    """(study_date, SDI, not evaluable count) per reading, oldest first (for trend plots)."""
    out = []
    for r in sorted(readings, key=lambda r: (r.study_date is None, r.study_date)):
        s = summarize(r, settings)
        out.append((r.study_date, s.sdi, s.not_evaluable))
    return out
