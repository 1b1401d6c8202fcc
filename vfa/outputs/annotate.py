"""Draw a reading's six-point markers and grades on a display image (numpy + OpenCV only).

Reusable by the PDF report, thumbnails and any other export that needs a picture of a
reading; no Qt, no file I/O. Coordinates of the reading are DICOM image coordinates of the
*stored* image (domain.md §1); the display image may be smaller, so points are scaled by
``display size / stored size`` and then converted to OpenCV's pixel-centre convention with
:func:`vfa.method.geometry.to_index_coords` -- the one place where the ±0.5 happens.

Colours follow the final grade (green 0, yellow 0.5/1, orange 2, red 3, grey not evaluable,
blue not graded yet); levels given in ``tags`` (e.g. incident/worsened) get a thicker outline
and the tag next to their label.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Mapping

import cv2
import numpy as np

from vfa.method.geometry import to_index_coords
from vfa.method.levels import GRADE_LABELS, Level, PointSlot, Status

if TYPE_CHECKING:  # pragma: no cover
    from vfa.method.morphometry import LevelResult
    from vfa.reading.reading import Reading

S = PointSlot

#: BGR colours.
GRADE_COLOURS: dict[float, tuple[int, int, int]] = {
    0: (60, 190, 60),       # green
    0.5: (0, 215, 235),     # yellow-ochre
    1: (0, 230, 255),       # yellow
    2: (0, 140, 255),       # orange
    3: (40, 40, 235),       # red
}
NOT_EVALUABLE_COLOUR = (150, 150, 150)
UNGRADED_COLOUR = (235, 170, 40)
TAG_COLOUR = (255, 0, 255)  # magenta highlight ring for incident / worsened

#: Outline of a body through the six points (closed polygon).
OUTLINE = (S.SUPERIOR_ANTERIOR, S.SUPERIOR_MIDDLE, S.SUPERIOR_POSTERIOR,
           S.INFERIOR_POSTERIOR, S.INFERIOR_MIDDLE, S.INFERIOR_ANTERIOR)

_SHIFT = 4  # cv2 fixed-point fractional bits: sub-pixel drawing
_ONE = 1 << _SHIFT


def colour_for(result: "LevelResult | None") -> tuple[int, int, int]:
    if result is None:
        return UNGRADED_COLOUR
    if result.status is Status.NOT_EVALUABLE:
        return NOT_EVALUABLE_COLOUR
    if result.grade is None:
        return UNGRADED_COLOUR
    return GRADE_COLOURS.get(0.5 if result.grade == 0.5 else int(result.grade), UNGRADED_COLOUR)


def label_for(level: Level, result: "LevelResult | None") -> str:
    """'T12 G2 wedge', 'T8 n/e', 'L1 G0'; 'T9 G1? wedge' when the grade is unconfirmed."""
    if result is None:
        return level.value
    if result.status is Status.NOT_EVALUABLE:
        return f"{level.value} n/e"
    if result.grade is None:
        return level.value
    g = ("0.5" if result.grade == 0.5 else str(int(result.grade))) + ("?" if result.unconfirmed else "")
    t = f" {result.type.value}" if result.type is not None and result.grade >= 1 else ""
    return f"{level.value} G{g}{t}"


def _to_bgr(image: np.ndarray) -> np.ndarray:
    if image.dtype != np.uint8:
        raise ValueError(f"display image must be uint8, got {image.dtype}")
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 3:
        return image.copy()
    raise ValueError(f"display image must be (rows, cols) or (rows, cols, 3), got {image.shape}")


def _fixed(p: tuple[float, float]) -> tuple[int, int]:
    return int(round(p[0] * _ONE)), int(round(p[1] * _ONE))


def draw_reading(image: np.ndarray, reading: "Reading",
                 results: Iterable["LevelResult"] | None = None, *,
                 stored_shape: tuple[int, int] | None = None,
                 tags: Mapping[Level, str] | None = None,
                 labels: bool = True) -> np.ndarray:
    """A BGR copy of ``image`` with the reading drawn on it.

    ``stored_shape`` is (rows, cols) of the stored film the points refer to (default: the
    image's own shape, i.e. no scaling). ``results`` (from :func:`vfa.method.morphometry.
    measure_reading`) give colours and labels; computed when omitted.
    """
    out = _to_bgr(image)
    h, w = out.shape[:2]
    rows, cols = stored_shape or (h, w)
    if rows <= 0 or cols <= 0:
        raise ValueError(f"stored shape {stored_shape} must be positive")
    sx, sy = w / cols, h / rows
    if results is None:
        from vfa.method.morphometry import measure_reading
        results = measure_reading(reading)
    by_level = {r.level: r for r in results}
    tags = dict(tags or {})

    base = max(h, w)
    thick = max(1, round(base / 650))
    radius = max(2.0, base / 320)
    font = cv2.FONT_HERSHEY_SIMPLEX
    fscale = max(0.4, base / 1250)
    fthick = max(1, round(base / 700))

    def disp(p: tuple[float, float]) -> tuple[float, float]:
        return to_index_coords((p[0] * sx, p[1] * sy))

    for v in reading:
        if not v.points:
            continue
        res = by_level.get(v.level)
        colour = colour_for(res)
        tag = tags.get(v.level)
        pts = {s: disp(p) for s, p in v.points.items()}
        if v.complete:
            poly = np.array([_fixed(pts[s]) for s in OUTLINE], dtype=np.int32)
            if tag:
                cv2.polylines(out, [poly], True, TAG_COLOUR, thick * 3 + 2, cv2.LINE_AA, _SHIFT)
            cv2.polylines(out, [poly], True, colour, thick, cv2.LINE_AA, _SHIFT)
            for a, b in ((S.SUPERIOR_MIDDLE, S.INFERIOR_MIDDLE),):
                cv2.line(out, _fixed(pts[a]), _fixed(pts[b]), colour, max(1, thick // 2),
                         cv2.LINE_AA, _SHIFT)
        for s, p in pts.items():
            cv2.circle(out, _fixed(p), int(round(radius * _ONE)), colour, -1, cv2.LINE_AA, _SHIFT)
        if not labels:
            continue
        text = label_for(v.level, res) + (f" {tag.upper()}" if tag else "")
        xs = [p[0] for p in pts.values()]
        ys = [p[1] for p in pts.values()]
        cy = sum(ys) / len(ys)
        # Label on the anterior side (usually soft tissue), flipped if it would leave the image.
        ant = [pts[s][0] for s in (S.SUPERIOR_ANTERIOR, S.INFERIOR_ANTERIOR) if s in pts]
        post = [pts[s][0] for s in (S.SUPERIOR_POSTERIOR, S.INFERIOR_POSTERIOR) if s in pts]
        faces_left = (sum(ant) / len(ant) < sum(post) / len(post)) if ant and post else True
        (tw, th), _ = cv2.getTextSize(text, font, fscale, fthick)
        gap = radius * 3
        x = (min(xs) - gap - tw) if faces_left else (max(xs) + gap)
        if x < 2:
            x = max(xs) + gap
        if x + tw > w - 2:
            x = max(2, min(xs) - gap - tw)
        y = int(round(min(max(cy + th / 2, th + 2), h - 3)))
        org = (int(round(x)), y)
        cv2.putText(out, text, org, font, fscale, (0, 0, 0), fthick + 2, cv2.LINE_AA)
        cv2.putText(out, text, org, font, fscale, TAG_COLOUR if tag else colour, fthick, cv2.LINE_AA)
    return out


def legend_items() -> list[tuple[str, tuple[int, int, int]]]:
    """(label, BGR colour) pairs for a legend."""
    items = [(f"grade {('0.5' if g == 0.5 else int(g))} ({GRADE_LABELS[g]})", c)
             for g, c in GRADE_COLOURS.items()]
    items += [("not evaluable", NOT_EVALUABLE_COLOUR), ("not graded", UNGRADED_COLOUR)]
    return items


__all__ = ["draw_reading", "colour_for", "label_for", "legend_items", "GRADE_COLOURS"]
