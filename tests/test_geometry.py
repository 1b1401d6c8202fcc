"""Points, distances and the six-point geometric check (domain.md §1, §2)."""

from __future__ import annotations

import math

import pytest

from vfa.errors import GeometryError, VfaError
from vfa.method.geometry import (check_six_points, distance, from_index_coords, parse_point,
                          to_index_coords)
from vfa.method.levels import PointSlot as S

CENTRE = (200.0, 300.0)


def vertebra(ha=30.0, hm=30.0, hp=30.0, width=40.0, facing="left", angle_deg=0.0,
             centre=CENTRE):
    """Six points of a body centred on ``centre``; anterior on the ``facing`` side; the
    whole body rotated by ``angle_deg`` (image coordinates, y down)."""
    sign = -1.0 if facing == "left" else 1.0
    xa, xm, xp = sign * width / 2, 0.0, -sign * width / 2
    raw = {
        S.SUPERIOR_ANTERIOR: (xa, -ha / 2), S.INFERIOR_ANTERIOR: (xa, ha / 2),
        S.SUPERIOR_MIDDLE: (xm, -hm / 2), S.INFERIOR_MIDDLE: (xm, hm / 2),
        S.SUPERIOR_POSTERIOR: (xp, -hp / 2), S.INFERIOR_POSTERIOR: (xp, hp / 2),
    }
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)
    return {k: (centre[0] + x * c - y * s, centre[1] + x * s + y * c) for k, (x, y) in raw.items()}


# --------------------------------------------------------------------------- distance
def test_distance_square_pixels():
    assert distance((0, 0), (3, 4)) == pytest.approx(5.0)
    assert distance((0, 0), (3, 4), 0.5, 0.5) == pytest.approx(2.5)


def test_distance_row_spacing_applies_to_y_and_column_spacing_to_x():
    # row_mm (first Pixel Spacing value) scales y differences; col_mm scales x differences.
    assert distance((10, 10), (10, 110), row_mm=0.2, col_mm=0.1) == pytest.approx(20.0)
    assert distance((10, 10), (110, 10), row_mm=0.2, col_mm=0.1) == pytest.approx(10.0)
    assert distance((0, 0), (30, 40), row_mm=0.2, col_mm=0.1) == pytest.approx(math.hypot(3, 8))


def test_index_coordinate_conversion_is_half_pixel_and_round_trips():
    # (0, 0) is the top-left corner of the top-left pixel; its centre is (0.5, 0.5).
    assert to_index_coords((0.5, 0.5)) == (0.0, 0.0)
    assert from_index_coords((0.0, 0.0)) == (0.5, 0.5)
    assert from_index_coords(to_index_coords((12.25, 7.75))) == (12.25, 7.75)


# --------------------------------------------------------------------------- parse_point
def test_parse_point_accepts_pairs_of_numbers():
    assert parse_point([1, 2.5], "T8 superior_anterior") == (1.0, 2.5)
    assert parse_point((3.0, 4), "x") == (3.0, 4.0)


@pytest.mark.parametrize("value", [[1], [1, 2, 3], "12", None, [1, "2"], [True, 2], {"x": 1}])
def test_parse_point_rejects_non_pairs_naming_where(value):
    with pytest.raises(ValueError, match=r"T8 superior_anterior must be a pair of numbers"):
        parse_point(value, "T8 superior_anterior")


@pytest.mark.parametrize("value", [[float("nan"), 1], [1, float("inf")], [float("-inf"), 0]])
def test_parse_point_rejects_non_finite(value):
    with pytest.raises(ValueError, match=r"L1 inferior_middle has a coordinate that is not a finite"):
        parse_point(value, "L1 inferior_middle")


# --------------------------------------------------------------------------- check
@pytest.mark.parametrize("facing", ["left", "right"])
@pytest.mark.parametrize("angle", [0, 20, -20, 40, -40])
def test_valid_vertebra_accepted_facing_either_way_and_tilted(facing, angle):
    check_six_points("T12", vertebra(facing=facing, angle_deg=angle))
    # A wedge-shaped body too.
    check_six_points("T12", vertebra(ha=15, hm=25, hp=30, facing=facing, angle_deg=angle))


def test_strings_and_enum_levels_both_accepted():
    check_six_points("l2", vertebra())


def test_missing_points_named():
    pts = vertebra()
    del pts[S.INFERIOR_MIDDLE]
    with pytest.raises(GeometryError, match=r"^L3: points missing: inferior_middle$"):
        check_six_points("L3", pts)


def rotate(points, angle_deg, centre=CENTRE):
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)
    return {k: (centre[0] + (x - centre[0]) * c - (y - centre[1]) * s,
                centre[1] + (x - centre[0]) * s + (y - centre[1]) * c)
            for k, (x, y) in points.items()}


@pytest.mark.parametrize("facing", ["left", "right"])
@pytest.mark.parametrize("angle", [0, 40, -40])
@pytest.mark.parametrize("moved", [S.SUPERIOR_ANTERIOR, S.INFERIOR_ANTERIOR])
def test_anterior_points_on_opposite_sides_of_posterior_wall_rejected(facing, angle, moved):
    pts = vertebra(facing=facing)
    sign = -1.0 if facing == "left" else 1.0
    # The posterior wall is at x = centre - sign * 20; put the point 20 px behind it.
    pts[moved] = (CENTRE[0] - sign * 40, pts[moved][1])
    with pytest.raises(GeometryError,
                       match=rf"^T7: {moved.value} lies on the other side of the posterior wall"):
        check_six_points("T7", rotate(pts, angle))


def test_rotate_helper_matches_vertebra_rotation():
    for angle in (20, -40):
        got = rotate(vertebra(), angle)
        want = vertebra(angle_deg=angle)
        for k in S:
            assert got[k] == pytest.approx(want[k])


def test_anterior_point_on_the_posterior_wall_line_rejected():
    pts = vertebra(facing="left")
    # posterior wall is the vertical line x = 220; put the superior anterior point on it
    pts[S.SUPERIOR_ANTERIOR] = (220.0, 250.0)
    with pytest.raises(GeometryError, match=r"T9: superior_anterior lies on the other side"):
        check_six_points("T9", pts)


@pytest.mark.parametrize("pair", [("superior_anterior", "inferior_anterior"),
                                  ("superior_middle", "inferior_middle"),
                                  ("superior_posterior", "inferior_posterior")])
@pytest.mark.parametrize("angle", [0, 40, -40])
@pytest.mark.parametrize("facing", ["left", "right"])
def test_superior_below_inferior_rejected(pair, angle, facing):
    pts = vertebra(facing=facing, angle_deg=angle)
    sup, inf = S(pair[0]), S(pair[1])
    pts[sup], pts[inf] = pts[inf], pts[sup]
    with pytest.raises(GeometryError,
                       match=rf"^L1: {sup.value} is not above {inf.value} along the vertebra's axis"):
        check_six_points("L1", pts)


def test_whole_vertebra_upside_down_rejected():
    pts = vertebra()
    flipped = {S.SUPERIOR_ANTERIOR: pts[S.INFERIOR_ANTERIOR],
               S.INFERIOR_ANTERIOR: pts[S.SUPERIOR_ANTERIOR],
               S.SUPERIOR_MIDDLE: pts[S.INFERIOR_MIDDLE],
               S.INFERIOR_MIDDLE: pts[S.SUPERIOR_MIDDLE],
               S.SUPERIOR_POSTERIOR: pts[S.INFERIOR_POSTERIOR],
               S.INFERIOR_POSTERIOR: pts[S.SUPERIOR_POSTERIOR]}
    with pytest.raises(GeometryError, match=r"^T4: superior_\w+ is not above inferior_\w+"):
        check_six_points("T4", flipped)


@pytest.mark.parametrize("name", ["anterior", "middle", "posterior"])
def test_zero_height_rejected_naming_level_and_points(name):
    pts = vertebra()
    pts[S(f"inferior_{name}")] = pts[S(f"superior_{name}")]
    with pytest.raises(GeometryError,
                       match=rf"^L4: {name} height is zero \(superior_{name} and inferior_{name} "
                             r"coincide\)"):
        check_six_points("L4", pts)


def test_geometry_error_is_a_vfa_error():
    assert issubclass(GeometryError, VfaError)


def test_unknown_level_rejected():
    with pytest.raises(ValueError, match=r"unknown vertebral level 'C3'"):
        check_six_points("C3", vertebra())
