"""Build readings with known geometry for tests (no images needed)."""

from __future__ import annotations

import datetime as _dt
import math

from vfa.films.calibration import Spacing, SpacingSource
from vfa.method.levels import LEVELS, Level
from vfa.reading.reading import Reading


def box_points(x0: float, y0: float, ha: float, hm: float, hp: float, depth: float = 40.0,
               facing: str = "left", tilt_deg: float = 0.0) -> dict[str, tuple[float, float]]:
    """Six points of a body whose inferior endplate is at y0+hp (posterior) in image coords.

    Anterior is at ``x0`` (facing left) and posterior at ``x0 + depth``; heights are exact
    (in pixels) before the rotation by ``tilt_deg`` about (x0, y0)."""
    s = -1.0 if facing == "right" else 1.0
    bottom = y0 + hp
    pts = {
        "inferior_anterior": (x0, bottom), "inferior_middle": (x0 + s * depth / 2, bottom),
        "inferior_posterior": (x0 + s * depth, bottom),
        "superior_anterior": (x0, bottom - ha), "superior_middle": (x0 + s * depth / 2, bottom - hm),
        "superior_posterior": (x0 + s * depth, bottom - hp),
    }
    if tilt_deg:
        c, n = math.cos(math.radians(tilt_deg)), math.sin(math.radians(tilt_deg))
        pts = {k: (x0 + (x - x0) * c - (y - y0) * n, y0 + (x - x0) * n + (y - y0) * c)
               for k, (x, y) in pts.items()}
    return pts


def make_reading(heights: dict[str, tuple[float, float, float]] | None = None, *,
                 patient_id: str = "P1", date: _dt.date = _dt.date(2024, 1, 10),
                 spacing: Spacing | None = None, birth: _dt.date | None = _dt.date(1950, 1, 1),
                 sop: str | None = None, reader: str = "dr-a") -> Reading:
    """A reading with normal 30-px bodies at every level unless ``heights`` says otherwise
    ({level: (ha, hm, hp)})."""
    r = Reading(patient_id=patient_id, study_date=date, birth_date=birth,
                study_instance_uid=f"1.2.826.0.1.3680043.10.1.{date.toordinal()}",
                sop_instance_uid=sop or f"1.2.826.0.1.3680043.10.1.{date.toordinal()}.1",
                reader=reader,
                spacing=spacing or Spacing(0.2, 0.2, SpacingSource.PIXEL_SPACING))
    heights = heights or {}
    for i, lv in enumerate(LEVELS):
        ha, hm, hp = heights.get(lv.value, (100.0, 100.0, 100.0))
        r.set_points(lv, box_points(100.0, 50.0 + i * 130.0, ha, hm, hp, depth=120.0))
    return r


__all__ = ["box_points", "make_reading", "Level"]
