"""Heights, ratios and the Hp_ref neighbour rule (domain.md §2)."""

from __future__ import annotations

import math

import pytest

from vfa.films.calibration import Spacing, SpacingSource
from vfa.method.levels import LEVELS, DeformityType as T, PointSlot as S, Status
from vfa.method.morphometry import heights, measure_reading, summarize
from vfa.reading.reading import Reading
from vfa.method.settings import MethodSettings


def body(ha, hm, hp, bottom, x0=100.0, depth=40.0):
    """Six points facing left, inferior endplate flat at y = bottom, heights vertical (px)."""
    return {
        "superior_anterior": (x0, bottom - ha), "inferior_anterior": (x0, bottom),
        "superior_middle": (x0 + depth / 2, bottom - hm), "inferior_middle": (x0 + depth / 2, bottom),
        "superior_posterior": (x0 + depth, bottom - hp), "inferior_posterior": (x0 + depth, bottom),
    }


def reading_with(heights_by_level, default=(100.0, 100.0, 100.0), levels=LEVELS,
                 spacing=None) -> Reading:
    r = Reading(patient_id="P", spacing=spacing)
    for i, lv in enumerate(levels):
        r.set_points(lv, body(*heights_by_level.get(lv.value, default), bottom=150.0 + i * 150.0))
    return r


def res(reading, level, settings=None):
    return next(x for x in measure_reading(reading, settings) if x.level.value == level)


def pts(d):
    return {S(k): v for k, v in d.items()}


# ------------------------------------------------------------------ heights
def test_heights_non_square_pixels_row_spacing_on_y():
    # vertical heights of 100 rows; row_mm = 0.2 (first Pixel Spacing value), col_mm = 0.1
    h = heights(pts(body(80, 90, 100, bottom=300)), row_mm=0.2, col_mm=0.1)
    assert (h.ha, h.hm, h.hp) == pytest.approx((16.0, 18.0, 20.0))
    # swapping the spacing values would give half: guard against x/y mix-up
    h2 = heights(pts(body(80, 90, 100, bottom=300)), row_mm=0.1, col_mm=0.2)
    assert h2.hp == pytest.approx(10.0)


def test_heights_oblique_non_square():
    p = {S.SUPERIOR_ANTERIOR: (0, 0), S.INFERIOR_ANTERIOR: (30, 40),
         S.SUPERIOR_MIDDLE: (50, 0), S.INFERIOR_MIDDLE: (50, 40),
         S.SUPERIOR_POSTERIOR: (100, 0), S.INFERIOR_POSTERIOR: (110, 40)}
    h = heights(p, row_mm=0.2, col_mm=0.1)
    assert h.ha == pytest.approx(math.hypot(30 * 0.1, 40 * 0.2))
    assert h.hm == pytest.approx(8.0)
    assert h.hp == pytest.approx(math.hypot(1.0, 8.0))


def test_heights_in_reading_use_the_reading_spacing_and_unit():
    sp = Spacing(0.2, 0.1, SpacingSource.PIXEL_SPACING)
    r = reading_with({"T8": (80.0, 90.0, 100.0)}, spacing=sp)
    x = res(r, "T8")
    assert x.unit == "mm"
    assert (x.heights.ha, x.heights.hm, x.heights.hp) == pytest.approx((16.0, 18.0, 20.0))
    assert x.to_dict()["hp"] == pytest.approx(20.0) and x.to_dict()["unit"] == "mm"


def test_uncalibrated_heights_in_pixels():
    r = reading_with({"T8": (80.0, 90.0, 100.0)})
    x = res(r, "T8")
    assert x.unit == "px"
    assert (x.heights.ha, x.heights.hm, x.heights.hp) == (80.0, 90.0, 100.0)
    s = summarize(r)
    assert s.unit == "px" and s.calibrated is False


def test_uncalibrated_with_pixel_aspect_ratio():
    r = reading_with({"T8": (80.0, 90.0, 100.0)}, spacing=Spacing.uncalibrated((2.0, 1.0)))
    x = res(r, "T8")
    assert x.unit == "px"
    assert (x.heights.ha, x.heights.hm, x.heights.hp) == pytest.approx((160.0, 180.0, 200.0))
    # vertical heights: the ratios do not depend on the aspect
    assert x.wedge == pytest.approx(0.8)


def test_ratios_are_unit_free():
    cal = reading_with({"L2": (70.0, 85.0, 100.0)}, spacing=Spacing(0.15, 0.15,
                                                                  SpacingSource.PIXEL_SPACING))
    unc = reading_with({"L2": (70.0, 85.0, 100.0)})
    a, b = res(cal, "L2"), res(unc, "L2")
    for name in ("wedge", "biconcave", "crush"):
        assert getattr(a, name) == pytest.approx(getattr(b, name))
    for name in ("percent", "suggested_grade", "suggested_type"):
        assert getattr(a, name) == getattr(b, name)
    assert a.heights.hp == pytest.approx(15.0) and b.heights.hp == 100.0
    assert a.wedge == pytest.approx(0.7) and a.biconcave == pytest.approx(0.85)
    assert a.percent == 30.0 and a.suggested_grade == 2 and a.suggested_type is T.WEDGE


def test_tilted_vertebra_same_heights():
    a = math.radians(30)
    c, s = math.cos(a), math.sin(a)
    p = body(80, 90, 100, bottom=300)
    rot = {k: (100 + (x - 100) * c - (y - 300) * s, 300 + (x - 100) * s + (y - 300) * c)
           for k, (x, y) in p.items()}
    h = heights(pts(rot))
    assert (h.ha, h.hm, h.hp) == pytest.approx((80.0, 90.0, 100.0))


# ------------------------------------------------------------------ neighbour rule
def test_crush_with_both_neighbours():
    r = reading_with({"T7": (100.0, 100.0, 80.0), "T8": (60.0, 60.0, 60.0),
                      "T9": (100.0, 100.0, 100.0)}, default=(50.0, 50.0, 50.0),
                     levels=LEVELS)
    # T7 hp 80 (its wedge 100/80 > 1: reduction negative, qualifies); T9 hp 100
    x = res(r, "T8")
    assert x.hp_ref == pytest.approx(90.0)
    assert x.crush == pytest.approx(60.0 / 90.0)
    assert x.percents[T.CRUSH] == 33.3
    assert x.percent == 33.3 and x.suggested_type is T.CRUSH and x.suggested_grade == 2
    assert x.wedge == pytest.approx(1.0) and x.biconcave == pytest.approx(1.0)


def test_crush_with_one_neighbour_when_other_not_annotated():
    r = reading_with({"T7": (100.0, 100.0, 100.0), "T8": (60.0, 60.0, 60.0)},
                     levels=LEVELS[:5])  # T4..T8 only; T9 absent
    x = res(r, "T8")
    assert x.hp_ref == pytest.approx(100.0)
    assert x.crush == pytest.approx(0.6)
    assert x.percent == 40.0 and x.suggested_grade == 3 and x.suggested_type is T.CRUSH


def test_no_neighbour_means_crush_undefined():
    r = Reading(patient_id="P")
    r.set_points("T8", body(60, 60, 60, bottom=300))
    x = res(r, "T8")
    assert x.hp_ref is None and x.crush is None
    assert not x.crush_assessable and x.crush_reason == "no reference level"
    assert x.to_dict()["crush_assessable"] is False and x.to_dict()["crush"] is None
    assert T.CRUSH not in x.percents
    assert x.percent == 0.0 and x.suggested_grade == 0 and x.suggested_type is None


def test_incomplete_neighbour_excluded():
    r = reading_with({"T8": (60.0, 60.0, 60.0), "T9": (100.0, 100.0, 100.0)},
                     default=(70.0, 70.0, 70.0))
    r.remove_point("T9", "inferior_middle")  # T9 has 5 points: not annotated
    x = res(r, "T8")
    assert x.hp_ref == pytest.approx(70.0)  # T7 only
    assert res(r, "T9").heights is None and res(r, "T9").annotated is False


def test_not_evaluable_neighbour_excluded():
    r = reading_with({"T8": (60.0, 60.0, 60.0), "T9": (100.0, 100.0, 100.0)},
                     default=(70.0, 70.0, 70.0))
    r.set_status("T9", "not_evaluable", "rotated/oblique")
    x = res(r, "T8")
    assert x.hp_ref == pytest.approx(70.0)     # T7 above, T10 (two below) under T9
    for lv in ("T6", "T7", "T10"):
        r.set_status(lv, "not_evaluable", "not visible")
    x = res(r, "T8")
    assert x.hp_ref is None and x.crush is None
    assert x.crush_assessable is False and x.crush_reason == "no reference level"
    assert T.CRUSH not in x.percents           # never a confident 0 %


@pytest.mark.parametrize("neighbour, included", [
    ((80.0, 100.0, 100.0), False),    # wedge reduction exactly 20.0 %: excluded
    ((80.05, 100.0, 100.0), False),   # 19.95 -> 20.0 % after rounding: excluded
    ((80.1, 100.0, 100.0), True),     # 19.9 %: included
    ((100.0, 80.0, 100.0), False),    # biconcave 20.0 %: excluded
    ((100.0, 80.1, 100.0), True),     # biconcave 19.9 %: included
    ((50.0, 100.0, 100.0), False),    # severe wedge
])
def test_deformed_neighbour_excluded(neighbour, included):
    r = reading_with({"T8": (60.0, 60.0, 60.0), "T9": neighbour}, default=(110.0, 110.0, 110.0),
                     levels=LEVELS[:6])  # T4..T9
    x = res(r, "T8")
    expected = (110.0 + 100.0) / 2 if included else 110.0
    assert x.hp_ref == pytest.approx(expected)


def test_crushed_neighbour_is_skipped_for_the_next_level():
    # T9 is 50 % short against the median of T7..T10: not a reference level, so T8 looks
    # past it to T10 (two levels below)
    r = reading_with({"T8": (100.0, 100.0, 100.0), "T9": (50.0, 50.0, 50.0),
                      "T10": (100.0, 100.0, 100.0)}, levels=LEVELS[:7])
    assert res(r, "T9").suggested_type is T.CRUSH and res(r, "T9").suggested_grade == 3
    assert res(r, "T9").reference is False
    assert res(r, "T8").hp_ref == pytest.approx(100.0)


def test_adjacent_crushed_vertebrae_do_not_hide_each_other():
    # domain.md §2: T11 and T12 both uniformly 30 % short, T9, T10, L1, L2 normal
    r = reading_with({"T11": (70.0, 70.0, 70.0), "T12": (70.0, 70.0, 70.0)})
    for lv in ("T11", "T12"):
        x = res(r, lv)
        assert x.hp_ref == pytest.approx(100.0)   # from T10 and L1
        assert x.crush == pytest.approx(0.7) and x.crush_assessable
        assert x.percent == 30.0 and x.suggested_grade == 2 and x.suggested_type is T.CRUSH
    s = summarize(r)
    assert s.sdi == 4 and s.fractured == 2


def test_reader_graded_neighbour_is_not_a_reference():
    # T9 looks normal, but the reader graded it 2 (e.g. a fracture the points miss): T8 must
    # not measure itself against it; a borderline 0.5 stays a reference level
    r = reading_with({"T8": (80.0, 80.0, 80.0), "T9": (100.0, 100.0, 100.0),
                      "T10": (90.0, 90.0, 90.0)}, default=(90.0, 90.0, 90.0))
    assert res(r, "T8").hp_ref == pytest.approx((90.0 + 100.0) / 2)
    r.set_reader_grade("T9", 2)
    assert res(r, "T9").reference is False
    assert res(r, "T8").hp_ref == pytest.approx(90.0)  # T7 above, T10 below
    r.set_reader_grade("T9", 0.5)
    assert res(r, "T8").hp_ref == pytest.approx((90.0 + 100.0) / 2)


def test_median_hp_limit_is_a_setting():
    r = reading_with({"T11": (70.0, 70.0, 70.0), "T12": (70.0, 70.0, 70.0)})
    loose = MethodSettings(reference_hp_deficit_pct=35.0)  # 30 % short still counts
    assert res(r, "T11", loose).hp_ref == pytest.approx((100.0 + 70.0) / 2)


def test_neighbour_threshold_is_a_setting():
    r = reading_with({"T8": (60.0, 60.0, 60.0), "T9": (85.0, 100.0, 100.0)},
                     default=(70.0, 70.0, 70.0), levels=LEVELS[:6])
    assert res(r, "T8").hp_ref == pytest.approx(85.0)   # 15 % < 20 %: both neighbours
    strict = MethodSettings(neighbour_max_reduction_pct=15.0)
    assert res(r, "T8", strict).hp_ref == pytest.approx(70.0)


def test_t4_and_l4_have_one_neighbour():
    r = reading_with({"T4": (60.0, 60.0, 60.0), "T5": (90.0, 90.0, 90.0),
                      "L3": (95.0, 95.0, 95.0), "L4": (60.0, 60.0, 60.0)})
    t4, l4 = res(r, "T4"), res(r, "L4")
    assert t4.hp_ref == pytest.approx(90.0)
    assert t4.crush == pytest.approx(60.0 / 90.0)
    assert l4.hp_ref == pytest.approx(95.0)
    assert l4.crush == pytest.approx(60.0 / 95.0)


def test_reference_levels_within_two_levels_only():
    r = Reading(patient_id="P")
    r.set_points("T8", body(60, 60, 60, bottom=300))
    r.set_points("T10", body(100, 100, 100, bottom=600))
    assert res(r, "T8").hp_ref == pytest.approx(100.0)   # two below: used
    r.remove_vertebra("T10")
    r.set_points("T11", body(100, 100, 100, bottom=750))
    x = res(r, "T8")
    assert x.hp_ref is None and not x.crush_assessable   # three below: too far
    assert x.crush_reason == "no reference level"


# ------------------------------------------------------------------ results per level
def test_results_cover_every_level_in_order():
    r = Reading(patient_id="P")
    results = measure_reading(r)
    assert [x.level for x in results] == list(LEVELS)
    assert all(not x.annotated and x.grade is None and not x.graded for x in results)


def test_not_evaluable_result_has_reason_and_no_numbers():
    r = reading_with({})
    r.set_reader_grade("T11", 2)
    r.set_status("T11", "not_evaluable", "hardware")
    x = res(r, "T11")
    assert x.status is Status.NOT_EVALUABLE and x.reason == "hardware"
    assert x.heights is None and x.grade is None and x.suggested_grade is None
    assert not x.graded and not x.evaluable
    # the reader's grade is still stored in the reading, only not used
    assert r.get("T11").reader_grade == 2


def test_partial_points_give_no_measurement():
    r = Reading(patient_id="P")
    for k, v in list(body(60, 60, 60, bottom=300).items())[:5]:
        r.set_point("T8", k, v)
    x = res(r, "T8")
    assert not x.annotated and x.heights is None and x.suggested_grade is None
    assert x.grade is None and not x.graded


def test_summary_paediatric_flag_and_settings():
    import datetime as dt
    r = reading_with({})
    r.birth_date, r.study_date = dt.date(2010, 5, 1), dt.date(2024, 5, 1)
    d = summarize(r).to_dict()
    assert d["paediatric"] is True and d["suggestion_advisory"] is True
    assert d["settings"]["method_version"] == "vfa-six-point/2"
    r.birth_date = None
    assert summarize(r).paediatric is None


# ------------------------------------------------------------------ thresholds, confirmation
def test_grade_thresholds_are_a_setting():
    r = reading_with({"T8": (78.0, 100.0, 100.0)})   # wedge 22.0 %
    assert res(r, "T8").suggested_grade == 1
    s = MethodSettings(grade_thresholds_pct=(15.0, 22.0, 30.0))
    assert res(r, "T8", s).suggested_grade == 2       # the bound belongs to the higher grade
    assert s.to_dict()["grade_thresholds_pct"] == [15.0, 22.0, 30.0]
    assert MethodSettings.from_dict({"grade_thresholds_pct": [15, 22, 30]}) == s


@pytest.mark.parametrize("bad", [[25.0, 20.0, 40.0], [20.0, 25.0], [20, 25, 100], [0, 25, 40],
                                 [20, 20, 40], "20,25,40", [20, True, 40]])
def test_grade_thresholds_must_ascend(bad):
    with pytest.raises(ValueError, match="grade_thresholds_pct"):
        MethodSettings.from_dict({"grade_thresholds_pct": bad})


def test_confirmation_of_suggested_and_reader_grades():
    r = reading_with({"T8": (70.0, 100.0, 100.0)})
    x = res(r, "T8")
    assert x.grade == 2 and not x.confirmed and x.unconfirmed and x.grade_text() == "2?"
    r.set_confirmed("T8")
    x = res(r, "T8")
    assert x.confirmed and x.grade_text() == "2" and x.to_dict()["confirmed"] is True
    # moving a point withdraws the confirmation of a suggestion
    r.set_point("T8", "superior_anterior", (100.0, 150.0 + 4 * 150.0 - 72.0))
    assert not res(r, "T8").confirmed
    # giving a reader grade confirms; clearing it leaves the suggestion unconfirmed
    r.set_reader_grade("T9", 1)
    assert res(r, "T9").confirmed and res(r, "T9").grade == 1
    r.set_reader_grade("T9", None)
    assert not res(r, "T9").confirmed
    # unannotated levels are never "confirmed"
    assert not res(Reading(patient_id="P"), "T8").confirmed


def test_confirm_all_graded_levels():
    r = reading_with({"T8": (70.0, 100.0, 100.0)}, levels=LEVELS[:8])
    s = summarize(r)
    assert len(s.unconfirmed) == 8 and s.to_dict()["unconfirmed"][0] == "T4"
    done = r.confirm_graded()
    assert len(done) == 8
    assert summarize(r).unconfirmed == []
    assert r.confirm_graded() == []


def test_pending_proposal_keeps_the_level_unconfirmed():
    from vfa.reading.autoplace.proposal import Proposal
    r = reading_with({}, levels=LEVELS[:6])
    r.set_reader_grade("T8", 0)
    assert res(r, "T8").confirmed
    x, y = r.get("T8").points[S.SUPERIOR_ANTERIOR]
    r.propose("T8", {"superior_anterior": Proposal(x, y - 1.0, 0.8, "refine")}, replace_placed=True)
    assert res(r, "T8").grade == 0 and not res(r, "T8").confirmed
    assert "T8" not in [lv.value for lv in r.confirm_graded()]
    r.accept_proposal("T8")
    assert res(r, "T8").confirmed
