"""Plausibility gates: proposed points that look anatomically wrong are flagged, not trusted.

A proposal can be wrong in ways its own fit cannot see (anterior and posterior swapped
because the film faces the other way, a body found twice, a level skipped). These checks
look at the proposed six points of each level against anatomy and against the other
levels; every failed check caps that level's confidence at :data:`GATE_CAP` (below
:data:`vfa.reading.proposal.LOW_CONFIDENCE`) and says why in the reader's words.

Per level:

* **wedge ratio** Ha/Hp above :data:`WEDGE_MAX` (a fracture lowers the anterior height, it
  does not raise it: anterior and posterior are probably swapped);
* **anterior on the wrong side** for the film's facing (the reader's, else the majority of
  the proposed levels);
* **height off the neighbours' trend**: the body's largest height more than
  :data:`TALLER_MAX` times, or less than :data:`SHORTER_MIN` times, the median of the
  levels within two of it (a crush fracture lowers a body by up to ~45 %, not more);
* **overlap** with the next level (its endplate beyond the neighbour's facing endplate);
* **order**: the next level down the labels is not further down the spine.

Per spine: the thoracic kyphosis of the proposed points (modified Cobb T4-T12, at least
:data:`KYPHOSIS_MIN_LEVELS` levels apart) outside :data:`KYPHOSIS_RANGE` (negative = the
points are mirrored or mislabelled), and labels out of order along the spine: every level
of the range concerned is capped.

Pure numpy; coordinates are DICOM image coordinates (x = column, y = row).
"""

from __future__ import annotations

import math
import statistics
from typing import Any, Mapping

import numpy as np

from vfa.method.levels import Level, PointSlot

S = PointSlot
Points = Mapping[PointSlot, tuple[float, float]]

#: Confidence given to a level that fails a gate (below LOW_CONFIDENCE = 0.5).
GATE_CAP = 0.45
#: Anterior height / posterior height above this: anterior and posterior probably swapped.
WEDGE_MAX = 1.15
#: Largest height against the neighbours' median: above / below these the body is not theirs.
TALLER_MAX = 1.45
SHORTER_MIN = 0.45
#: Plausible thoracic kyphosis (degrees, modified Cobb T4-T12).
KYPHOSIS_RANGE = (-5.0, 100.0)
#: The kyphosis gate needs end levels at least this many levels apart.
KYPHOSIS_MIN_LEVELS = 5


def _p(points: Points, s: PointSlot) -> np.ndarray:
    return np.asarray(points[s], dtype=float)


def _heights(points: Points) -> tuple[float, float, float]:
    def d(a: PointSlot, b: PointSlot) -> float:
        return math.hypot(float(points[a][0]) - float(points[b][0]), float(points[a][1]) - float(points[b][1]))
    return (d(S.SUPERIOR_ANTERIOR, S.INFERIOR_ANTERIOR), d(S.SUPERIOR_MIDDLE, S.INFERIOR_MIDDLE),
            d(S.SUPERIOR_POSTERIOR, S.INFERIOR_POSTERIOR))


def facing_of_points(points: Points) -> str:
    """'left' / 'right': the side of the film the anterior corners of one level are on."""
    ant = _p(points, S.SUPERIOR_ANTERIOR)[0] + _p(points, S.INFERIOR_ANTERIOR)[0]
    post = _p(points, S.SUPERIOR_POSTERIOR)[0] + _p(points, S.INFERIOR_POSTERIOR)[0]
    return "right" if ant > post else "left"


def majority_facing(levels: Mapping[Level, Points]) -> str | None:
    """The facing of most levels (None when tied or empty)."""
    votes = sum(1 if facing_of_points(p) == "right" else -1 for p in levels.values())
    return None if votes == 0 else ("right" if votes > 0 else "left")


def level_reasons(points: Points, facing: str | None = None) -> list[str]:
    """The gates of one level alone (wedge ratio, facing)."""
    out: list[str] = []
    ha, _hm, hp = _heights(points)
    if hp > 0 and ha > WEDGE_MAX * hp:
        out.append(f"its anterior height is {ha / hp:.2f} times the posterior (a fracture lowers the "
                   "front, it does not raise it): anterior and posterior may be swapped")
    if facing in ("left", "right") and facing_of_points(points) != facing:
        out.append(f"its anterior side is on the {facing_of_points(points)} but the film faces {facing}")
    return out


def _kyphosis(levels: Mapping[Level, Points]) -> tuple[float, list[Level]] | None:
    from vfa.method.angles import kyphosis
    from vfa.reading.reading import Reading
    thor = sorted((lv for lv in levels if Level.T4.index <= lv.index <= Level.T12.index), key=lambda lv: lv.index)
    if len(thor) < 2 or thor[-1].index - thor[0].index < KYPHOSIS_MIN_LEVELS:
        return None
    r = Reading()
    for lv in thor:
        try:
            r.set_points(lv, {s: (float(levels[lv][s][0]), float(levels[lv][s][1])) for s in PointSlot})
        except (ValueError, KeyError):
            continue
    try:
        a = kyphosis(r)
    except (ValueError, ZeroDivisionError):
        return None
    return (a.cobb_deg, thor) if a is not None else None


def spine_reasons(levels: Mapping[Level, Points], facing: str | None = None) -> dict[Level, list[str]]:
    """Every gate over the proposed levels (``{level: six points}``); ``facing`` the film's
    facing if the reader gave it, else the majority of the levels is used. Returns the
    reasons per failing level (no entry: passed)."""
    lv_sorted = sorted(levels, key=lambda lv: lv.index)
    out: dict[Level, list[str]] = {}

    def add(lv: Level, why: str) -> None:
        if why not in out.setdefault(lv, []):
            out[lv].append(why)
    film_facing = facing if facing in ("left", "right") else majority_facing(levels)
    hmax = {lv: max(_heights(levels[lv])) for lv in lv_sorted}
    cen = {lv: np.mean([_p(levels[lv], s) for s in PointSlot], axis=0) for lv in lv_sorted}
    for lv in lv_sorted:
        for why in level_reasons(levels[lv], film_facing):
            add(lv, why)
        near = [hmax[o] for o in lv_sorted if 0 < abs(o.index - lv.index) <= 2]
        if len(near) >= 2:
            ref = float(statistics.median(near))
            if ref > 0 and hmax[lv] > TALLER_MAX * ref:
                add(lv, f"it is {hmax[lv] / ref:.1f} times as tall as its neighbours: the outline may take in a disc "
                        "or the next body")
            elif ref > 0 and hmax[lv] < SHORTER_MIN * ref:
                add(lv, f"it is only {hmax[lv] / ref:.0%} of its neighbours' height: the outline may be part of a "
                        "body only")
    # neighbours: order and overlap along the spine
    for a, b in zip(lv_sorted, lv_sorted[1:]):
        if b.index - a.index > 2:
            continue
        pa, pb = levels[a], levels[b]
        down = cen[b] - cen[a]
        dist = float(np.hypot(*down))
        ha = (hmax[a] + hmax[b]) / 2
        axis = _p(pa, S.SUPERIOR_MIDDLE) - _p(pa, S.INFERIOR_MIDDLE)   # a's own superior direction
        if dist < 1e-6 or float(np.dot(down, axis)) >= 0:
            why = f"{b} is not below {a} along the spine: the levels are out of order"
            add(a, why)
            add(b, why)
            continue
        down /= dist
        gaps = [float(np.dot(_p(pb, sb) - _p(pa, sa), down)) for sa, sb in
                ((S.INFERIOR_ANTERIOR, S.SUPERIOR_ANTERIOR), (S.INFERIOR_MIDDLE, S.SUPERIOR_MIDDLE),
                 (S.INFERIOR_POSTERIOR, S.SUPERIOR_POSTERIOR))]
        if min(gaps) < -0.15 * ha:
            add(a, f"it overlaps {b}")
            add(b, f"it overlaps {a}")
    # per spine: labels in order along the spine, thoracic kyphosis
    if len(lv_sorted) >= 3:
        axis = cen[lv_sorted[-1]] - cen[lv_sorted[0]]
        proj = [float(np.dot(cen[lv], axis)) for lv in lv_sorted]
        if any(q <= p for p, q in zip(proj, proj[1:])):
            for lv in lv_sorted:
                add(lv, "the levels are not in order down the spine: check the labels")
    ky = _kyphosis(levels)
    if ky is not None and not KYPHOSIS_RANGE[0] <= ky[0] <= KYPHOSIS_RANGE[1]:
        why = (f"the thoracic kyphosis of the proposed points would be {ky[0]:.0f}° (expected "
               f"{KYPHOSIS_RANGE[0]:.0f}° to {KYPHOSIS_RANGE[1]:.0f}°): anterior and posterior may be "
               "swapped or the levels mislabelled")
        for lv in ky[1]:
            add(lv, why)
    return out


def cap(confidence: Mapping[PointSlot, float]) -> dict[PointSlot, float]:
    """The confidences of a level that failed a gate: at most :data:`GATE_CAP`."""
    return {s: min(float(c), GATE_CAP) for s, c in confidence.items()}


def gate_fits(fits: Mapping[Level, Any], facing: str | None = None) -> list[str]:
    """:func:`spine_reasons` over fits (objects with ``points`` and a mutable ``confidence``
    dict, e.g. :class:`vfa.reading.autoplace.vertebra.VertebraFit`): failing levels are capped
    in place; returns the warnings."""
    reasons = spine_reasons({lv: f.points for lv, f in fits.items()}, facing)
    out = []
    for lv in sorted(reasons, key=lambda lv: lv.index):
        f = fits[lv]
        f.confidence.update(cap(f.confidence))
        out.append(describe(lv, reasons[lv]))
    return out


def describe(level: Level, reasons: list[str]) -> str:
    """One warning line for a level that failed gates."""
    return f"{level}: low confidence: {'; '.join(reasons)}"


__all__ = ["GATE_CAP", "KYPHOSIS_RANGE", "SHORTER_MIN", "TALLER_MAX", "WEDGE_MAX", "cap", "describe",
           "facing_of_points", "gate_fits", "level_reasons", "majority_facing", "spine_reasons"]
