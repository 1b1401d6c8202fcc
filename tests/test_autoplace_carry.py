"""Carry-forward (4): a shifted, rotated, rescaled follow-up with a NEW fracture."""

from __future__ import annotations

import numpy as np
import pytest

from vfa.autoplace import AutoplaceError, FilmImage, carry_forward
from vfa.levels import Level, PointSlot
from vfa.morphometry import summarize
from vfa.phantom import Deformity, FilmSpec, make_film, reference_reading
from vfa.reading import Reading


@pytest.fixture(scope="module")
def pair():
    base = FilmSpec(rows=900, cols=600, pixel_mm=0.5, seed=121, facing="left", tilt_deg=2.0,
                    age_group="child")
    follow = base.with_(seed=122, anatomy_seed=121, tilt_deg=-3.0, offset_mm=(18.0, -25.0),
                        magnification=1.2, growth=1.04, deformities={"T11": Deformity("wedge", 0.32)})
    f0, f1 = make_film(base), make_film(follow)
    return (f0, FilmImage.from_array(f0.image, base.anatomical_pixel_mm),
            f1, FilmImage.from_array(f1.image, follow.anatomical_pixel_mm), follow.anatomical_pixel_mm)


def test_carry_forward_follows_the_new_film_and_the_new_fracture(pair):
    f0, F0, f1, F1, mm = pair
    earlier = reference_reading(f0)
    res = carry_forward(earlier, F0, F1)
    errs = []
    new = Reading()
    for lv, props in res.proposals.items():
        assert all(p.method == "carry-forward" and p.state == "proposed" for p in props.values())
        errs += [np.hypot(props[s].x - f1.points[lv][s][0], props[s].y - f1.points[lv][s][1]) * mm
                 for s in PointSlot]
        new.set_points(lv, {s: p.xy for s, p in props.items()})
    assert len(res.proposals) == 13
    assert np.median(errs) < 0.5
    # the new wedge fracture: proposed shape follows the new film, not the old points
    grades = {r.level: r.suggested_grade for r in summarize(new).results}
    assert grades[Level.T11] == 2
    old_grade = {r.level: r.suggested_grade for r in summarize(earlier).results}[Level.T11]
    assert old_grade == 0


def test_carry_forward_needs_complete_levels(pair):
    f0, F0, f1, F1, mm = pair
    with pytest.raises(AutoplaceError, match="six points"):
        carry_forward(Reading(), F0, F1)
