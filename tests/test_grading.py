"""Suggested Genant grade, rounding, type ties, final grade/type and SDI (domain.md §3)."""

from __future__ import annotations

import pytest

from vfa.method.grading import (final_grade, final_type, grade_from_percent, percent_from_ratio,
                         round_percent, sdi, suggest)
from vfa.method.levels import LEVELS, DeformityType as T, parse_grade
from vfa.method.morphometry import measure_reading, summarize
from vfa.reading.reading import Reading


def body(ha, hm, hp, bottom, x0=100.0, depth=40.0):
    """Six points facing left, inferior endplate flat at y = bottom, heights vertical (px)."""
    return {
        "superior_anterior": (x0, bottom - ha), "inferior_anterior": (x0, bottom),
        "superior_middle": (x0 + depth / 2, bottom - hm), "inferior_middle": (x0 + depth / 2, bottom),
        "superior_posterior": (x0 + depth, bottom - hp), "inferior_posterior": (x0 + depth, bottom),
    }


def reading_with(heights: dict[str, tuple[float, float, float]], default=(100.0, 100.0, 100.0),
                 levels=LEVELS) -> Reading:
    r = Reading(patient_id="P")
    for i, lv in enumerate(levels):
        r.set_points(lv, body(*heights.get(lv.value, default), bottom=150.0 + i * 150.0))
    return r


def result(reading, level):
    return next(x for x in measure_reading(reading) if x.level.value == level)


# ------------------------------------------------------------------ rounding
@pytest.mark.parametrize("value, expected", [
    (24.95, 25.0), (19.95, 20.0), (39.95, 40.0),      # Python's round() gives 24.9, 19.9, 39.9
    (19.94, 19.9), (24.949, 24.9), (25.25, 25.3), (25.249999999999993, 25.3),
    (19.999999999999996, 20.0), (0.05, 0.1), (-0.05, -0.1), (-0.04, -0.0), (12.0, 12.0),
])
def test_round_percent_half_away_from_zero(value, expected):
    assert round_percent(value) == expected


def test_percent_from_ratio_removes_float_noise():
    assert (1 - 80 / 100) * 100 != 20.0  # the float problem the rule is about
    assert percent_from_ratio(80 / 100) == 20.0
    assert percent_from_ratio(299 / 400) == 25.3  # exact 25.25, float 25.249999999999993
    assert percent_from_ratio(0.7505) == 25.0
    assert percent_from_ratio(0.8005) == 20.0
    assert percent_from_ratio(1.1) == -10.0


# ------------------------------------------------------------------ grade table
@pytest.mark.parametrize("percent, grade", [
    (-5.0, 0), (0.0, 0), (19.9, 0), (19.99, 0), (20.0, 1), (24.9, 1), (25.0, 2), (39.9, 2),
    (40.0, 3), (85.0, 3),
])
def test_grade_from_percent_boundaries(percent, grade):
    assert grade_from_percent(percent) == grade


@pytest.mark.parametrize("ratio, percent, grade", [
    (0.80, 20.0, 1), (0.8005, 20.0, 1), (0.8006, 19.9, 0), (0.801, 19.9, 0),
    (0.75, 25.0, 2), (0.7505, 25.0, 2), (0.7506, 24.9, 1),
    (0.60, 40.0, 3), (0.6005, 40.0, 3), (0.6006, 39.9, 2),
])
def test_suggest_boundaries_from_ratios(ratio, percent, grade):
    p, g, t, _ = suggest({T.WEDGE: ratio, T.BICONCAVE: 1.0, T.CRUSH: None})
    assert (p, g) == (percent, grade)
    assert t == (T.WEDGE if grade else None)


def test_ha_80_hp_100_is_20_percent_grade_1_measured():
    r = reading_with({"T8": (80.0, 100.0, 100.0)})
    x = result(r, "T8")
    assert x.heights.ha == 80.0 and x.heights.hp == 100.0
    assert x.percent == 20.0
    assert x.suggested_grade == 1
    assert x.suggested_type is T.WEDGE
    assert x.grade == 1 and x.type is T.WEDGE


@pytest.mark.parametrize("ha, percent, grade", [
    (80.05, 20.0, 1), (80.1, 19.9, 0), (75.05, 25.0, 2), (75.1, 24.9, 1), (60.0, 40.0, 3),
    (60.1, 39.9, 2),
])
def test_measured_boundaries(ha, percent, grade):
    x = result(reading_with({"L1": (ha, 100.0, 100.0)}), "L1")
    assert (x.percent, x.suggested_grade) == (percent, grade)


# ------------------------------------------------------------------ types
def test_no_type_for_grade_0():
    p, g, t, percents = suggest({T.WEDGE: 0.85, T.BICONCAVE: 0.9, T.CRUSH: 0.95})
    assert (p, g, t) == (15.0, 0, None)
    assert percents == {T.WEDGE: 15.0, T.BICONCAVE: 10.0, T.CRUSH: 5.0}


def test_largest_reduction_gives_type():
    assert suggest({T.WEDGE: 0.9, T.BICONCAVE: 0.7, T.CRUSH: 0.95})[:3] == (30.0, 2, T.BICONCAVE)
    assert suggest({T.WEDGE: 0.9, T.BICONCAVE: 0.9, T.CRUSH: 0.55})[:3] == (45.0, 3, T.CRUSH)


def test_ties_wedge_then_biconcave_then_crush():
    assert suggest({T.WEDGE: 0.7, T.BICONCAVE: 0.7, T.CRUSH: 0.7})[2] is T.WEDGE
    assert suggest({T.WEDGE: 0.9, T.BICONCAVE: 0.7, T.CRUSH: 0.7})[2] is T.BICONCAVE
    # ties are decided on the rounded percents: 30.04 and 30.0 both show as 30.0
    assert suggest({T.WEDGE: 0.7, T.BICONCAVE: 0.6996, T.CRUSH: None})[2] is T.WEDGE
    # the order of the dict does not matter
    assert suggest({T.CRUSH: 0.7, T.BICONCAVE: 0.7, T.WEDGE: 0.7})[2] is T.WEDGE


def test_crush_undefined_is_ignored():
    p, g, t, percents = suggest({T.WEDGE: 0.9, T.BICONCAVE: 0.95, T.CRUSH: None})
    assert (p, g, t) == (10.0, 0, None)
    assert T.CRUSH not in percents


def test_suggestion_never_produces_borderline():
    for r in [i / 1000 for i in range(400, 1001)]:
        g = suggest({T.WEDGE: r, T.BICONCAVE: 1.0, T.CRUSH: None})[1]
        assert g in (0, 1, 2, 3)


# ------------------------------------------------------------------ final grade / type
def test_reader_grade_overrides_suggestion():
    assert final_grade(None, 2) == 2
    assert final_grade(0, 2) == 0
    assert final_grade(0.5, 0) == 0.5
    assert final_grade(3, None) == 3
    assert final_grade(None, None) is None


def test_final_type_reader_wins_else_suggested_only_when_fractured():
    assert final_type(T.CRUSH, T.WEDGE, 2) is T.CRUSH
    assert final_type(None, T.WEDGE, 2) is T.WEDGE
    assert final_type(None, T.WEDGE, 0) is None      # reader downgraded to normal
    assert final_type(None, T.WEDGE, 0.5) is None    # borderline is not a fracture
    assert final_type(None, None, 2) is None


def test_reader_override_keeps_both_values_in_results():
    r = reading_with({"T10": (70.0, 100.0, 100.0)})  # 30 % wedge, suggested 2
    r.set_reader_grade("T10", 1)
    r.set_reader_type("T10", "biconcave")
    x = result(r, "T10")
    assert (x.suggested_grade, x.suggested_type) == (2, T.WEDGE)
    assert (x.reader_grade, x.reader_type) == (1, T.BICONCAVE)
    assert (x.grade, x.type) == (1, T.BICONCAVE)
    d = x.to_dict()
    assert (d["suggested_grade"], d["reader_grade"], d["grade"]) == (2, 1, 1)
    assert (d["suggested_type"], d["reader_type"], d["type"]) == ("wedge", "biconcave", "biconcave")


def test_reader_borderline_allowed_and_downgrade_to_zero_drops_type():
    r = reading_with({"T10": (70.0, 100.0, 100.0)})
    r.set_reader_grade("T10", 0.5)
    x = result(r, "T10")
    assert x.grade == 0.5 and x.type is None and not x.fractured
    r.set_reader_grade("T10", 0)
    x = result(r, "T10")
    assert x.grade == 0 and x.type is None and x.suggested_type is T.WEDGE


def test_reader_grade_without_points_is_final():
    r = Reading(patient_id="P")
    r.set_reader_grade("L2", 3)
    x = result(r, "L2")
    assert x.suggested_grade is None and x.grade == 3 and x.graded


@pytest.mark.parametrize("bad", [1.5, 4, -1, 0.25, "two", True])
def test_reader_grade_validation(bad):
    with pytest.raises(ValueError, match=r"grade .* (is not a Genant grade|is not a number): "
                                         r"expected 0, 0.5, 1, 2 or 3"):
        parse_grade(bad)


def test_parse_grade_normalises():
    assert parse_grade(2.0) == 2 and isinstance(parse_grade(2.0), int)
    assert parse_grade(0.5) == 0.5
    assert parse_grade(None) is None


# ------------------------------------------------------------------ SDI
def test_sdi_counts_half_as_zero():
    assert sdi([0, 0.5, 1, 2, 3, None]) == 6
    assert sdi([]) == 0
    assert sdi([3] * 13) == 39


def test_sdi_range_and_not_evaluable_in_summary():
    r = reading_with({lv.value: (50.0, 100.0, 100.0) for lv in LEVELS})  # all 50 % -> grade 3
    s = summarize(r)
    assert s.sdi == 39 and s.fractured == 13 and s.graded == 13 and s.not_evaluable == 0
    r.set_status("T6", "not_evaluable", "not visible")
    r.set_status("L3", "not_evaluable", "hardware")
    s = summarize(r)
    assert s.sdi == 33
    assert s.not_evaluable == 2
    assert s.graded == 11
    assert s.to_dict()["not_evaluable"] == 2


def test_sdi_uses_final_grades_and_excludes_not_evaluable_reader_grades():
    r = reading_with({"T12": (70.0, 100.0, 100.0), "L1": (55.0, 100.0, 100.0)})
    assert summarize(r).sdi == 2 + 3
    r.set_reader_grade("T12", 0.5)     # borderline counts 0
    assert summarize(r).sdi == 3
    r.set_reader_grade("L1", 3)
    r.set_status("L1", "not_evaluable", "rotated/oblique")  # grade kept but not counted
    s = summarize(r)
    assert s.sdi == 0
    assert next(x for x in s.results if x.level.value == "L1").grade is None
