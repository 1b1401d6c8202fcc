"""Carry-forward (4): a shifted, rotated, rescaled follow-up with a NEW fracture."""

from __future__ import annotations

import numpy as np
import pytest

from vfa.reading.autoplace import AutoplaceError, FilmImage, carry_forward
from vfa.method.levels import Level, PointSlot
from vfa.method.morphometry import summarize
from vfa.synthetic.phantom import Deformity, FilmSpec, make_film, reference_reading
from vfa.reading.reading import Reading


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


# ---------------------------------------------------------------- one vertebra off (label check)
def _centre(points) -> np.ndarray:
    return np.mean([points[s] for s in PointSlot], axis=0)


def _levels_right(res, film) -> bool:
    for lv, props in res.proposals.items():
        true = film.points[lv]
        h = np.hypot(*np.subtract(true[PointSlot.SUPERIOR_POSTERIOR], true[PointSlot.INFERIOR_POSTERIOR]))
        got = np.mean([props[s].xy for s in PointSlot], axis=0)
        if np.hypot(*(got - _centre(true))) > 0.35 * h:
            return False
    return True


def _right_or_flagged(res, film) -> bool:
    """Carried labels right and confirmed, or flagged: never silently wrong."""
    if res.labels_confirmed:
        return _levels_right(res, film)
    confs = [p.confidence for props in res.proposals.values() for p in props.values()]
    return max(confs) < 0.5 and any("anchor click" in w for w in res.warnings)


@pytest.fixture(scope="module")
def shifted_pair():
    """An uncalibrated earlier film; the follow-up moved by about one vertebral pitch along
    the spine, magnified 9 % more, tilted, with a new 45 % wedge fracture at T12 that bends
    the spine (what made the periodic spine match one or two vertebrae off)."""
    base = FilmSpec(rows=1000, cols=650, pixel_mm=0.5, seed=131, facing="right", tilt_deg=-4.0)
    follow = base.with_(seed=132, anatomy_seed=131, tilt_deg=1.0, offset_mm=(12.0, 27.0),
                        magnification=base.magnification * 1.09, deformities={"T12": Deformity("wedge", 0.45)})
    f0, f1 = make_film(base), make_film(follow)
    return (f0, FilmImage.from_array(f0.image, None),
            f1, FilmImage.from_array(f1.image, follow.anatomical_pixel_mm), follow.anatomical_pixel_mm)


def test_carry_forward_shifted_one_pitch_gets_the_levels_right_or_says_so(shifted_pair):
    f0, F0, f1, F1, mm = shifted_pair
    res = carry_forward(reference_reading(f0), F0, F1)
    assert _right_or_flagged(res, f1), res.warnings
    assert res.label_scores and 0 in res.label_scores
    if res.labels_confirmed:
        new = Reading()
        for lv, props in res.proposals.items():
            new.set_points(lv, {s: p.xy for s, p in props.items()})
        assert {r.level: r.suggested_grade for r in summarize(new).results}[Level.T12] == 3


@pytest.mark.parametrize("shift", [-1, 1, 2])
def test_a_global_alignment_one_or_two_vertebrae_off_is_corrected_or_flagged(shifted_pair, monkeypatch, shift):
    """Force the failure: the global alignment lands ``shift`` vertebrae off along the spine.
    The label check must move the levels back (with a warning) or flag them as ambiguous."""
    import vfa.reading.autoplace.carry as carry
    from vfa.method.geometry import to_index_coords
    f0, F0, f1, F1, mm = shifted_pair
    earlier = reference_reading(f0)
    real = carry._global

    def off_by(old, new, pts, mirrors=(False,)):
        M, score, mirrored, scores = real(old, new, pts, mirrors)
        c = {lv: np.array(to_index_coords(tuple(_centre(p)))) for lv, p in f0.points.items()}
        step = (c[Level.L1] - c[Level.T12]) if shift > 0 else (c[Level.T11] - c[Level.T12])
        M = M.copy()
        M[:, 2] += M[:, :2] @ (step * abs(shift))
        return M, score, mirrored, scores
    monkeypatch.setattr(carry, "_global", off_by)
    res = carry.carry_forward(earlier, F0, F1)
    assert _right_or_flagged(res, f1), res.warnings


def test_an_anchor_click_pins_the_labels(shifted_pair):
    f0, F0, f1, F1, mm = shifted_pair
    click = tuple(_centre(f1.points[Level.L1]) + 1.0)
    res = carry_forward(reference_reading(f0), F0, F1, anchor=("L1", click))
    assert res.labels_confirmed and not res.label_scores
    assert _levels_right(res, f1)
    assert not any("anchor click" in w for w in res.warnings)


def test_too_few_levels_are_never_silently_confirmed(pair):
    f0, F0, f1, F1, mm = pair
    earlier = Reading()
    earlier.set_points("L2", f0.points[Level.L2])
    res = carry_forward(earlier, F0, F1)
    assert not res.labels_confirmed
    assert all(p.confidence < 0.5 for p in res.proposals[Level.L2].values())
    assert any("anchor click" in w for w in res.warnings)
