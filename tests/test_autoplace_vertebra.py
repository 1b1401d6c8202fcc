"""Refine (1) and one click per vertebra (2) on small phantom films with TRUE points."""

from __future__ import annotations

import numpy as np
import pytest

from vfa.reading.autoplace import AutoplaceError, FilmImage, Proposal, propose_vertebra, refine_point
from vfa.method.levels import Level, PointSlot
from vfa.synthetic.phantom import FilmSpec, make_film

LEVELS = [Level.T6, Level.T11, Level.L2]


def _film(**kw):
    spec = FilmSpec(rows=900, cols=600, pixel_mm=0.5, **kw)
    f = make_film(spec)
    return f, FilmImage.from_array(f.image, spec.anatomical_pixel_mm), spec.anatomical_pixel_mm


@pytest.fixture(scope="module")
def left_tilted():
    return _film(facing="left", tilt_deg=12.0, seed=101)


@pytest.fixture(scope="module")
def right_tilted():
    return _film(facing="right", tilt_deg=-15.0, seed=102, age_group="child")


def centre(points):
    return np.mean([points[s] for s in PointSlot], axis=0)


@pytest.mark.parametrize("which", ["left_tilted", "right_tilted"])
def test_one_click_within_tolerance_both_facings_tilted(which, request):
    f, film, mm = request.getfixturevalue(which)
    errs = []
    rng = np.random.default_rng(3)
    for lv in LEVELS:
        click = centre(f.points[lv]) + rng.uniform(-2.5, 2.5, 2) / mm
        fit = propose_vertebra(film, tuple(click))
        assert fit.facing == f.spec.facing
        errs += [np.hypot(*(np.subtract(fit.points[s], f.points[lv][s]))) * mm for s in PointSlot]
        assert fit.overall_confidence > 0.5
    assert np.median(errs) < 0.5
    assert max(errs) < 1.5


def test_facing_hint_overrides_and_proposals_are_marked(left_tilted):
    f, film, mm = left_tilted
    c = centre(f.points[Level.T8])
    fit = propose_vertebra(film, tuple(c), facing="right")
    assert fit.facing == "right" and fit.facing_from == "hint"
    props = fit.proposals("one-click")
    assert set(props) == set(PointSlot)
    assert all(isinstance(p, Proposal) and p.method == "one-click" and p.state == "proposed"
               for p in props.values())


def test_click_outside_a_body_or_film_raises(left_tilted):
    f, film, mm = left_tilted
    with pytest.raises(AutoplaceError):
        propose_vertebra(film, (-50.0, 10.0))
    with pytest.raises(AutoplaceError):
        propose_vertebra(film, (5.0, 5.0))   # a corner of the film: no body


def test_monochrome1_is_handled_by_bone_bright_flag(left_tilted):
    f, _, mm = left_tilted
    film1 = FilmImage.from_array(f.stored("MONOCHROME1"), mm, bone_bright=False)
    lv = Level.T12
    fit = propose_vertebra(film1, tuple(centre(f.points[lv])))
    err = max(np.hypot(*(np.subtract(fit.points[s], f.points[lv][s]))) for s in PointSlot) * mm
    assert err < 1.5


def test_refine_moves_perturbed_points_back_towards_truth(left_tilted):
    f, film, mm = left_tilted
    rng = np.random.default_rng(5)
    before, after = [], []
    for lv in LEVELS:
        c = centre(f.points[lv])
        for s, p in f.points[lv].items():
            q = np.array(p) + rng.normal(0, 1.0, 2) / mm
            r = refine_point(film, s, tuple(q), inward=tuple(c - q))
            before.append(np.hypot(*(q - p)) * mm)
            after.append(np.hypot(r.x - p[0], r.y - p[1]) * mm)
            assert r.proposal().method == "refine"
    assert np.median(after) < 0.5 * np.median(before)
    assert np.median(after) < 0.5


def test_refine_leaves_point_alone_without_evidence():
    rng = np.random.default_rng(0)
    img = 1000 + rng.normal(0, 3, (200, 200))     # faint noise around the click ...
    img[:, 150:] += 800                              # ... and one clear edge far away
    film = FilmImage.from_array(img, 0.2)
    r = refine_point(film, "superior_anterior", (100.5, 100.5))
    assert (r.x, r.y) == (100.5, 100.5) and not r.moved and r.confidence <= 0.2


def test_uncalibrated_film_uses_a_size_estimate(left_tilted):
    f, _, mm = left_tilted
    film = FilmImage.from_array(f.image, None)
    assert not film.calibrated
    lv = Level.L1
    fit = propose_vertebra(film, tuple(centre(f.points[lv])))
    err = max(np.hypot(*(np.subtract(fit.points[s], f.points[lv][s]))) for s in PointSlot) * mm
    assert err < 1.5


@pytest.mark.parametrize("seed", range(5))
def test_fast_numeric_helpers_equal_numpy_bit_for_bit(seed):
    """The proposal's hot loops use trimmed copies of np.polyfit/np.polyval/np.median: same
    operations (public numpy API only), so proposals are unchanged to the last bit."""
    from vfa.reading.autoplace import vertebra as vt
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 40))
    x = np.linspace(-20.0, 35.0, n) + rng.normal(0, 0.1, n)
    y = 3.0 + 0.2 * x - 0.01 * x ** 2 + rng.normal(0, 0.5, n)
    w = np.sqrt(rng.uniform(0.0, 2.0, n))
    for deg in (1, 2):
        coef = np.polyfit(x, y, deg, w=w)
        assert np.array_equal(vt._polyfit(x, y, deg, w), coef)
        assert np.array_equal(vt._polyval(coef, x), np.polyval(coef, x))
        box = vt._Box(np.zeros(2), np.array([1.0, 0.0]), np.array([0.0, 1.0]), 10.0, 8.0)
        box.coef["sup"] = coef
        for t in (0.0, -3.25, float(x[1])):
            assert box.off_scalar("sup", t) == float(np.polyval(coef, t))
    for m in (n, n - 1):
        a = np.abs(y[:m])
        assert vt._median_finite(a) == float(np.median(a))
    for order in (2, 3):
        lhs = vt._vander(x, order)
        assert np.array_equal(lhs, np.vander(x, order))
        assert np.array_equal(vt._lstsq(lhs, y, n * vt._EPS), np.linalg.lstsq(lhs, y, n * vt._EPS)[0])
    import inspect
    assert "_umath_linalg" not in inspect.getsource(vt)      # no private numpy module
    from vfa.reading.autoplace.film import gradient_last
    prof = rng.normal(0, 100, (7, n)).astype(np.float32)
    for f in (prof, prof.astype(np.float64), prof[0]):
        g = gradient_last(f)
        assert g.dtype == np.gradient(f, axis=-1).dtype and np.array_equal(g, np.gradient(f, axis=-1))
