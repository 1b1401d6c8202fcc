"""Two clicks per spine (3) and several one-click vertebrae with a shared facing."""

from __future__ import annotations

import numpy as np
import pytest

from vfa.reading.autoplace import AutoplaceError, FilmImage, propose_span
from vfa.reading.autoplace.spine import propose_clicks
from vfa.method.levels import LEVELS, Level, PointSlot
from vfa.synthetic.phantom import Deformity, FilmSpec, make_film


@pytest.fixture(scope="module")
def film():
    spec = FilmSpec(rows=900, cols=600, pixel_mm=0.5, facing="right", tilt_deg=8.0, seed=111,
                    deformities={"T9": Deformity("wedge", 0.3)})
    f = make_film(spec)
    return f, FilmImage.from_array(f.image, spec.anatomical_pixel_mm), spec.anatomical_pixel_mm


def centre(points):
    return np.mean([points[s] for s in PointSlot], axis=0)


def test_span_finds_and_labels_every_level(film):
    f, F, mm = film
    res = propose_span(F, ("T6", tuple(centre(f.points[Level.T6]))), ("L2", tuple(centre(f.points[Level.L2]))))
    assert res.confirmed and not res.warnings
    assert list(res.fits) == list(LEVELS[Level.T6.index:Level.L2.index + 1])
    assert res.facing == "right"
    for lv, fit in res.fits.items():
        err = max(np.hypot(*(np.subtract(fit.points[s], f.points[lv][s]))) for s in PointSlot) * mm
        assert err < 1.5, (lv, err)


def test_span_order_of_clicks_does_not_matter(film):
    f, F, mm = film
    a = ("T10", tuple(centre(f.points[Level.T10])))
    b = ("T7", tuple(centre(f.points[Level.T7])))
    res = propose_span(F, a, b)
    assert list(res.fits) == [Level.T7, Level.T8, Level.T9, Level.T10]


def test_span_refuses_same_level(film):
    f, F, mm = film
    c = tuple(centre(f.points[Level.T10]))
    with pytest.raises(AutoplaceError, match="two different levels"):
        propose_span(F, ("T10", c), ("t10", c))


def test_clicks_share_one_facing_and_refuse_duplicates(film):
    f, F, mm = film
    clicks = [(lv, tuple(centre(f.points[lv]))) for lv in (Level.T5, Level.T12, Level.L3)]
    fits, facing, _ = propose_clicks(F, clicks)
    assert facing == "right" and all(fit.facing == "right" for fit in fits.values())
    with pytest.raises(AutoplaceError, match="twice"):
        propose_clicks(F, [clicks[0], clicks[0]])


def test_a_body_whose_depth_disagrees_with_its_neighbours_is_capped(film):
    import dataclasses

    from vfa.reading.autoplace.spine import check_neighbour_sizes
    f, F, mm = film
    res = propose_span(F, ("T4", tuple(centre(f.points[Level.T4]))), ("L4", tuple(centre(f.points[Level.L4]))))
    assert not any("depth" in w for w in res.warnings)
    fits = {lv: dataclasses.replace(fit, confidence=dict(fit.confidence)) for lv, fit in res.fits.items()}
    # a wall found inside the body: depth 60 % of the true one
    fits[Level.T11] = dataclasses.replace(fits[Level.T11], depth_px=0.6 * fits[Level.T11].depth_px)
    warnings = check_neighbour_sizes(fits)
    assert warnings == ["T11: its depth does not match its neighbours': check the walls"]
    assert max(fits[Level.T11].confidence.values()) <= 0.45
