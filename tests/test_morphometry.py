"""Heights, ratios and the reference line for Hp_ref (domain.md §2)."""

from __future__ import annotations

import math

import pytest

from vfa.films.calibration import Spacing, SpacingSource
from vfa.method.levels import LEVELS, DeformityType as T, Level, PointSlot as S, Status
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


# ------------------------------------------------------------------ the reference line (v3)
def linear(short=(), factor=0.7, scale=5.0, levels=LEVELS):
    """Domain §2's worked spine: Hp rising one unit per level from 14 at T4 (times ``scale``
    px), everything else normal (Ha = Hm = Hp); the ``short`` levels uniformly short."""
    hs = {}
    for lv in levels:
        h = scale * (14 + lv.index) * (factor if lv.value in short else 1.0)
        hs[lv.value] = (h, h, h)
    return reading_with(hs, levels=levels)


def test_neighbours_are_the_six_nearest_levels_ties_upper_first():
    from vfa.method.morphometry import reference_neighbours
    names = lambda lv: [x.value for x in reference_neighbours(lv)]  # noqa: E731
    assert names(Level.T4) == ["T5", "T6", "T7", "T8", "T9", "T10"]
    assert names(Level.T5) == ["T4", "T6", "T7", "T8", "T9", "T10"]
    assert names(Level.T10) == ["T7", "T8", "T9", "T11", "T12", "L1"]
    assert names(Level.L4) == ["T10", "T11", "T12", "L1", "L2", "L3"]


def test_crush_against_the_line_of_a_sloping_spine():
    # Hp 5 * (14 + i): T8 (i = 4) at 60 % of its expected 90 px
    r = linear(short=("T8",), factor=0.6)
    x = res(r, "T8")
    assert x.hp_ref == pytest.approx(90.0)
    assert x.crush == pytest.approx(0.6)
    assert x.percent == 40.0 and x.suggested_grade == 3 and x.suggested_type is T.CRUSH
    assert [lv.value for lv in x.reference_levels] == ["T5", "T6", "T7", "T9", "T10", "T11"]
    assert x.wedge == pytest.approx(1.0) and x.biconcave == pytest.approx(1.0)
    # the normal levels measure 0.0 % against the same line
    assert all(res(r, lv.value).percent == 0.0 for lv in LEVELS if lv is not Level.T8)


@pytest.mark.parametrize("short", [("T11", "T12"), ("T10", "T11", "T12"), ("T4", "T5"), ("L3", "L4")])
def test_worked_examples_runs_and_ends_do_not_hide_each_other(short):
    # domain.md §2: each of the short vertebrae 30.0 % (grade 2 crush); the rest grade 0
    r = linear(short=short)
    s = summarize(r)
    for x in s.results:
        if x.level.value in short:
            assert x.percent == 30.0 and x.suggested_grade == 2 and x.suggested_type is T.CRUSH, x.level
            assert x.crush_assessable and x.crush == pytest.approx(0.7)
        else:
            assert x.suggested_grade == 0, (x.level, x.percent)
    assert s.sdi == 2 * len(short)


def test_a_run_of_four_can_still_hide_members():
    # domain.md §2's limit: T9-T12 all 30 % short; T9 16.1 % and T12 18.9 % come out grade 0
    r = linear(short=("T9", "T10", "T11", "T12"))
    got = {lv: res(r, lv).percent for lv in ("T9", "T10", "T11", "T12")}
    assert got["T9"] == 16.1 and got["T12"] == 18.9
    assert got["T11"] == 30.0 and got["T10"] == 20.2
    assert res(r, "T9").suggested_grade == 0 and res(r, "T12").suggested_grade == 0


def test_theil_sen_start_exclusion_at_15_percent_and_least_squares():
    # flat 100 px at T5, T6, T7, T9, T10 and T11 at 86: the start line (median slope 0,
    # median of six intercepts = mean of the two middle = 100) keeps T11 (14 % below);
    # the least-squares line through the six has its mean index at T8 (4), so Hp_ref is the
    # mean Hp (5 * 100 + 86) / 6 = 97.667
    levels = LEVELS[1:8]   # T5..T11
    r = reading_with({"T8": (70.0, 70.0, 70.0), "T11": (86.0, 86.0, 86.0)}, levels=levels)
    x = res(r, "T8")
    assert x.hp_ref == pytest.approx(586.0 / 6)
    assert x.crush == pytest.approx(70.0 * 6 / 586.0) and x.percent == 28.3
    # 15.0 % below the start line: excluded (the bound belongs to the exclusion)
    r = reading_with({"T8": (70.0, 70.0, 70.0), "T11": (85.0, 85.0, 85.0)}, levels=levels)
    x = res(r, "T8")
    assert x.hp_ref == pytest.approx(100.0) and Level.T11 not in x.reference_levels
    # 14.9 % below: kept
    r = reading_with({"T8": (70.0, 70.0, 70.0), "T11": (85.1, 85.1, 85.1)}, levels=levels)
    assert res(r, "T8").hp_ref == pytest.approx((500.0 + 85.1) / 6)
    # the exclusion is a setting
    r = reading_with({"T8": (70.0, 70.0, 70.0), "T11": (86.0, 86.0, 86.0)}, levels=levels)
    assert res(r, "T8", MethodSettings(reference_exclusion_pct=10.0)).hp_ref == pytest.approx(100.0)


def test_theil_sen_medians_by_hand():
    from vfa.method.morphometry import _theil_sen
    # slopes of (0,10), (1,12), (3,13): 2, 1, 0.5 -> median 1; intercepts 10, 11, 10 -> 10
    assert _theil_sen([0, 1, 3], [10.0, 12.0, 13.0]) == pytest.approx((10.0, 1.0))
    # four points: six slopes 1, 0.5, 7/3, 0, 3, 6 -> mean of the two middle (1, 7/3) = 5/3;
    # intercepts 0, -2/3, -7/3, 2 -> mean of the two middle (-2/3, 0) = -1/3
    assert _theil_sen([0, 1, 2, 3], [0.0, 1.0, 1.0, 7.0]) == pytest.approx((-1 / 3, 5 / 3))


def test_three_candidates_are_not_enough():
    # T7, T9, T10 around T8: three candidates -> not assessable, the reason said
    r = reading_with({"T8": (60.0, 60.0, 60.0)}, levels=LEVELS[3:7])   # T7..T10
    x = res(r, "T8")
    assert x.hp_ref is None and x.crush is None and not x.crush_assessable
    assert x.crush_reason == "too few reference levels"
    assert x.to_dict()["crush_assessable"] is False and x.to_dict()["crush"] is None
    assert T.CRUSH not in x.percents                    # never a confident 0 %
    assert x.percent == 0.0 and x.suggested_grade == 0 and x.suggested_type is None
    assert x.crush_na and x.grade_label() == "0? (crush n/a)"
    # a fourth candidate (T6) makes it assessable
    r = reading_with({"T8": (60.0, 60.0, 60.0)}, levels=LEVELS[2:7])   # T6..T10
    x = res(r, "T8")
    assert x.crush_assessable and x.hp_ref == pytest.approx(100.0) and x.percent == 40.0
    assert not x.crush_na and x.grade_label() == "3?"


def test_fewer_than_three_kept_or_none_within_two_levels():
    from vfa.method.morphometry import reference_line
    # T5 100, T6 60, T7 80, T9 140 around T8: slopes -40, -10, 10, 20, 26.7, 30 -> 15;
    # intercepts 85, 30, 35, 65 -> 50; the start line is 80 at T6 (60 is 25 % below) and 95
    # at T7 (80 is 15.8 % below): both excluded, two remain -> not assessable
    hps = {Level.T5: 100.0, Level.T6: 60.0, Level.T7: 80.0, Level.T9: 140.0, Level.T8: 50.0}
    line = reference_line(Level.T8, hps, {Level.T5, Level.T6, Level.T7, Level.T9})
    assert len(line.candidates) == 4 and line.excluded == (Level.T6, Level.T7)
    assert not line.assessable and line.reason == "too few reference levels"
    # T4 with T5 and T6 graded by the reader: four candidates T7-T10, none within two levels
    r = linear(short=("T4",))
    r.set_reader_grade("T5", 1)
    r.set_reader_grade("T6", 2)
    x = res(r, "T4")
    assert not x.crush_assessable and x.crush_reason == "too few reference levels"


def test_no_neighbour_means_crush_undefined():
    r = Reading(patient_id="P")
    r.set_points("T8", body(60, 60, 60, bottom=300))
    x = res(r, "T8")
    assert x.hp_ref is None and x.crush is None
    assert not x.crush_assessable and x.crush_reason == "too few reference levels"
    assert summarize(r).to_dict()["crush_na"] == ["T8"]


def test_incomplete_and_not_evaluable_neighbours_excluded():
    r = reading_with({"T8": (60.0, 60.0, 60.0), "T9": (100.0, 100.0, 100.0)},
                     default=(70.0, 70.0, 70.0))
    r.remove_point("T9", "inferior_middle")  # T9 has 5 points: not annotated
    assert res(r, "T8").hp_ref == pytest.approx(70.0)
    assert res(r, "T9").heights is None and res(r, "T9").annotated is False
    r = reading_with({"T8": (60.0, 60.0, 60.0), "T9": (100.0, 100.0, 100.0)},
                     default=(70.0, 70.0, 70.0))
    r.set_status("T9", "not_evaluable", "rotated/oblique")
    assert res(r, "T8").hp_ref == pytest.approx(70.0)


@pytest.mark.parametrize("neighbour, included", [
    ((80.0, 100.0, 100.0), False),    # wedge reduction exactly 20.0 %: excluded
    ((80.05, 100.0, 100.0), False),   # 19.95 -> 20.0 % after rounding: excluded
    ((80.1, 100.0, 100.0), True),     # 19.9 %: included
    ((100.0, 80.0, 100.0), False),    # biconcave 20.0 %: excluded
    ((100.0, 80.1, 100.0), True),     # biconcave 19.9 %: included
    ((50.0, 100.0, 100.0), False),    # severe wedge
])
def test_deformed_neighbour_excluded(neighbour, included):
    # T8's neighbours T5, T6, T7, T9, T10, T11 (mean index 4 = T8): Hp_ref is their mean Hp
    r = reading_with({"T8": (60.0, 60.0, 60.0), "T9": neighbour}, default=(110.0, 110.0, 110.0))
    x = res(r, "T8")
    expected = (5 * 110.0 + 100.0) / 6 if included else 110.0
    assert x.hp_ref == pytest.approx(expected)


def test_reader_graded_neighbour_is_not_a_candidate():
    # T9 looks normal, but the reader graded it 2: T8 must not measure itself against it; a
    # borderline 0.5 stays a candidate
    r = reading_with({"T8": (80.0, 80.0, 80.0), "T9": (104.0, 104.0, 104.0)})
    assert res(r, "T8").hp_ref == pytest.approx((500.0 + 104.0) / 6)
    r.set_reader_grade("T9", 2)
    assert res(r, "T9").reference is False
    assert res(r, "T8").hp_ref == pytest.approx(100.0)
    r.set_reader_grade("T9", 0.5)
    assert res(r, "T8").hp_ref == pytest.approx((500.0 + 104.0) / 6)


def test_neighbour_threshold_is_a_setting():
    r = reading_with({"T8": (60.0, 60.0, 60.0), "T9": (85.0, 100.0, 106.0)})
    assert res(r, "T8").hp_ref == pytest.approx((500.0 + 106.0) / 6)   # wedge 19.8 % < 20 %
    strict = MethodSettings(neighbour_max_reduction_pct=15.0)
    assert res(r, "T8", strict).hp_ref == pytest.approx(100.0)


def test_normal_spines_with_3_percent_noise_never_reach_a_20_percent_crush():
    # domain.md §2: 3 % random error on every Hp of 2,000 normal spines (fixed seed)
    import numpy as np
    from vfa.method.morphometry import reference_line
    rng = np.random.default_rng(20261207)
    worst = 0.0
    for _ in range(2000):
        hps = {lv: (14 + lv.index) * (1 + 0.03 * float(rng.standard_normal())) for lv in LEVELS}
        for lv in LEVELS:
            line = reference_line(lv, hps, set(LEVELS))
            assert line.assessable
            worst = max(worst, 100.0 * (1.0 - hps[lv] / line.hp_ref))
    assert 10.0 < worst < 20.0


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
    assert d["settings"]["method_version"] == "vfa-six-point/3"
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
    from vfa.reading.confirmation import confirm_graded
    r = reading_with({"T8": (70.0, 100.0, 100.0)})
    s = summarize(r)
    assert len(s.unconfirmed) == 13 and s.to_dict()["unconfirmed"][0] == "T4"
    res_ = confirm_graded(r)
    assert len(res_.confirmed) == 13 and res_.skipped == []
    assert res_.summary() == "Confirmed 13 levels"
    assert summarize(r).unconfirmed == []
    assert confirm_graded(r).confirmed == []


def test_bulk_confirmation_skips_crush_na_pending_and_low_confidence_levels():
    from vfa.reading.autoplace.proposal import Proposal
    from vfa.reading.confirmation import SKIP_CRUSH_NA, SKIP_LOW_CONFIDENCE, SKIP_PENDING, confirm_graded
    r = reading_with({}, levels=LEVELS[:8])            # T4..T11
    r.set_reader_grade("T4", 0)                        # already confirmed: neither confirmed nor skipped
    x, y = r.get("T6").points[S.SUPERIOR_ANTERIOR]
    r.propose("T6", {"superior_anterior": Proposal(x, y, 0.8, "refine")}, replace_placed=True)
    x, y = r.get("T7").points[S.SUPERIOR_ANTERIOR]
    r.propose("T7", {"superior_anterior": Proposal(x, y, 0.3, "refine")}, replace_placed=True)
    r.accept_proposal("T7")                            # accepted as it stood, low confidence
    x, y = r.get("T8").points[S.SUPERIOR_ANTERIOR]
    r.propose("T8", {"superior_anterior": Proposal(x, y, 0.3, "refine")}, replace_placed=True)
    r.set_point("T8", "superior_anterior", (x, y + 0.5))   # moved by the reader: the reader's point
    # levels whose crush cannot be assessed: T11 (three candidates among its six nearest:
    # T8, T9, T10) and L3 alone, far below the rest
    r.set_points("L3", body(100, 100, 100, bottom=150.0 + 11 * 150.0))
    assert res(r, "L3").crush_na and res(r, "T11").crush_na and not res(r, "T10").crush_na
    out = confirm_graded(r)
    skipped = {lv.value: why for lv, why in out.skipped}
    assert skipped == {"T6": SKIP_PENDING, "T7": SKIP_LOW_CONFIDENCE, "T11": SKIP_CRUSH_NA,
                       "L3": SKIP_CRUSH_NA}
    assert [lv.value for lv in out.confirmed] == ["T5", "T8", "T9", "T10"]
    assert out.summary() == ("Confirmed 4 levels; skipped 4: 1 proposed points not yet accepted (T6), "
                             "1 low-confidence proposal (T7), 2 crush n/a (too few reference levels) "
                             "(T11, L3) — confirm those one by one")
    assert not res(r, "L3").confirmed and not res(r, "T7").confirmed
    r.set_confirmed("L3", True)                        # one by one: allowed
    assert res(r, "L3").confirmed


def test_the_reading_model_does_not_import_the_morphometry():
    import ast
    from pathlib import Path
    src = Path(__file__).resolve().parents[1] / "vfa" / "reading" / "reading.py"
    mods = {n.module for n in ast.walk(ast.parse(src.read_text(encoding="utf-8")))
            if isinstance(n, ast.ImportFrom)}
    assert "vfa.method.morphometry" not in mods


def test_pending_proposal_keeps_the_level_unconfirmed():
    from vfa.reading.autoplace.proposal import Proposal
    r = reading_with({}, levels=LEVELS[:6])
    r.set_reader_grade("T8", 0)
    assert res(r, "T8").confirmed
    x, y = r.get("T8").points[S.SUPERIOR_ANTERIOR]
    r.propose("T8", {"superior_anterior": Proposal(x, y - 1.0, 0.8, "refine")}, replace_placed=True)
    assert res(r, "T8").grade == 0 and not res(r, "T8").confirmed
    from vfa.reading.confirmation import confirm_graded
    assert "T8" not in [lv.value for lv in confirm_graded(r).confirmed]
    r.accept_proposal("T8")
    assert res(r, "T8").confirmed
