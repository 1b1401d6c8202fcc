"""Follow-up comparison (domain.md §4) and the paediatric flag (§6)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from vfa.films.calibration import Spacing, SpacingSource
from vfa.method.comparison import Change, classify, compare, sdi_series
from vfa.method.levels import LEVELS, Level
from vfa.method.morphometry import summarize
from vfa.method.noise import phi
from vfa.reading.reading import Reading
from vfa.method.settings import MethodSettings

CAL = Spacing(0.2, 0.2, SpacingSource.PIXEL_SPACING)  # 100 px = 20 mm
ADULT_BIRTH = dt.date(1950, 1, 1)


def body(ha, hm, hp, bottom, x0=100.0, depth=40.0):
    return {
        "superior_anterior": (x0, bottom - ha), "inferior_anterior": (x0, bottom),
        "superior_middle": (x0 + depth / 2, bottom - hm), "inferior_middle": (x0 + depth / 2, bottom),
        "superior_posterior": (x0 + depth, bottom - hp), "inferior_posterior": (x0 + depth, bottom),
    }


def reading(heights=None, *, spacing=CAL, date=dt.date(2023, 1, 1), birth=ADULT_BIRTH,
            levels=LEVELS, settings=None) -> Reading:
    r = Reading(patient_id="P", study_date=date, birth_date=birth, spacing=spacing,
                settings=settings)
    heights = heights or {}
    for i, lv in enumerate(levels):
        r.set_points(lv, body(*heights.get(lv.value, (100.0, 100.0, 100.0)),
                              bottom=150.0 + i * 150.0))
    return r


def change_at(cmp, level):
    return next(c for c in cmp.changes if c.level.value == level)


# ------------------------------------------------------------------ classify table
@pytest.mark.parametrize("g0, g1, expected", [
    (None, 1, Change.NOT_COMPARABLE), (1, None, Change.NOT_COMPARABLE),
    (None, None, Change.NOT_COMPARABLE),
    (0, 1, Change.INCIDENT), (0, 2, Change.INCIDENT), (0, 3, Change.INCIDENT),
    (1, 2, Change.WORSENED), (1, 3, Change.WORSENED), (2, 3, Change.WORSENED),
    (3, 2, Change.IMPROVED), (2, 0, Change.IMPROVED), (1, 0, Change.IMPROVED),
    (0, 0, Change.UNCHANGED), (1, 1, Change.UNCHANGED), (3, 3, Change.UNCHANGED),
    # 0.5 counts as 0 by default
    (0.5, 1, Change.INCIDENT), (0, 0.5, Change.UNCHANGED), (0.5, 0, Change.UNCHANGED),
    (1, 0.5, Change.IMPROVED), (0.5, 0.5, Change.UNCHANGED),
])
def test_classify_default(g0, g1, expected):
    assert classify(g0, g1) is expected


@pytest.mark.parametrize("g0, g1, expected", [
    (0, 0.5, Change.INCIDENT), (0.5, 1, Change.UNCHANGED), (0.5, 2, Change.WORSENED),
    (0.5, 0, Change.IMPROVED), (1, 0.5, Change.UNCHANGED),
])
def test_classify_borderline_as_one(g0, g1, expected):
    assert classify(g0, g1, borderline_as=1) is expected


# ------------------------------------------------------------------ compare: categories
def test_every_change_category_from_readings():
    b = reading({"T6": (100, 100, 100), "T7": (70, 100, 100), "T8": (70, 100, 100),
                 "T9": (55, 100, 100)})
    f = reading({"T6": (75, 100, 100), "T7": (55, 100, 100), "T8": (70, 100, 100),
                 "T9": (70, 100, 100)})
    c = compare(b, f)
    assert change_at(c, "T6").change is Change.INCIDENT       # 0 -> 2
    assert change_at(c, "T7").change is Change.WORSENED       # 2 -> 3
    assert change_at(c, "T8").change is Change.UNCHANGED      # 2 -> 2
    assert change_at(c, "T9").change is Change.IMPROVED       # 3 -> 2
    assert change_at(c, "T10").change is Change.UNCHANGED     # 0 -> 0
    assert [lv.value for lv in c.incident] == ["T6"]
    assert [lv.value for lv in c.worsened] == ["T7"]
    assert [lv.value for lv in c.improved] == ["T9"]
    assert change_at(c, "T6").highlighted and change_at(c, "T7").highlighted
    assert not change_at(c, "T9").highlighted
    d = c.to_dict()
    assert d["incident"] == ["T6"] and d["worsened"] == ["T7"] and d["improved"] == ["T9"]
    assert len(d["changes"]) == 13


def test_not_comparable_when_missing_in_either_visit():
    b = reading(levels=LEVELS[:-1])      # no L4 at baseline
    f = reading(levels=LEVELS[1:])       # no T4 at follow-up
    c = compare(b, f)
    assert change_at(c, "T4").change is Change.NOT_COMPARABLE
    assert change_at(c, "L4").change is Change.NOT_COMPARABLE
    assert change_at(c, "L4").baseline_grade is None
    assert change_at(c, "T4").followup_grade is None
    assert change_at(c, "T4").max_loss is None and change_at(c, "T4").fit_rule is None


@pytest.mark.parametrize("which", ["baseline", "followup", "both"])
def test_not_comparable_when_not_evaluable_in_either(which):
    b = reading({"L1": (100, 100, 100)})
    f = reading({"L1": (50, 100, 100)})  # would be incident
    if which in ("baseline", "both"):
        b.set_status("L1", "not_evaluable", "not visible")
    if which in ("followup", "both"):
        f.set_status("L1", "not_evaluable", "hardware")
    c = compare(b, f)
    ch = change_at(c, "L1")
    assert ch.change is Change.NOT_COMPARABLE
    assert ch.losses == () and ch.max_loss is None and ch.fit_rule is None
    assert c.to_dict()["not_evaluable_baseline"] == (0 if which == "followup" else 1)
    assert c.to_dict()["not_evaluable_followup"] == (0 if which == "baseline" else 1)


def test_reader_grades_are_used_and_borderline_setting():
    b = reading()
    f = reading()
    b.set_reader_grade("T12", 0.5)
    f.set_reader_grade("T12", 1)
    assert change_at(compare(b, f), "T12").change is Change.INCIDENT
    c = compare(b, f, MethodSettings(compare_borderline_as=1))
    assert change_at(c, "T12").change is Change.UNCHANGED
    assert c.to_dict()["settings"]["compare_borderline_as"] == 1
    # the setting can also come from the follow-up reading
    f.settings = MethodSettings(compare_borderline_as=1)
    assert change_at(compare(b, f), "T12").change is Change.UNCHANGED


def test_reader_grade_without_points_is_comparable_without_loss():
    b, f = Reading(patient_id="P"), Reading(patient_id="P")
    b.set_reader_grade("L2", 0)
    f.set_reader_grade("L2", 2)
    ch = change_at(compare(b, f), "L2")
    assert ch.change is Change.INCIDENT
    assert ch.losses == () and ch.max_loss is None and ch.fit_rule is None


# ------------------------------------------------------------------ height loss
def test_height_loss_per_height_and_max():
    b = reading({"T8": (100, 90, 100)})
    f = reading({"T8": (90, 60, 95)})
    ch = change_at(compare(b, f), "T8")
    losses = {h.height: h for h in ch.losses}
    assert set(losses) == {"ha", "hm", "hp"}
    assert losses["ha"].loss == pytest.approx(2.0) and losses["ha"].loss_pct == pytest.approx(10.0)
    assert losses["hm"].loss == pytest.approx(6.0)
    assert losses["hm"].loss_pct == pytest.approx(100 * 30 / 90)
    assert losses["hp"].loss == pytest.approx(1.0) and losses["hp"].loss_pct == pytest.approx(5.0)
    assert ch.max_loss.height == "hm"
    assert ch.loss_mm == pytest.approx(6.0)
    d = ch.to_dict()
    assert d["max_loss_height"] == "hm" and d["max_loss_pct"] == pytest.approx(33.333, abs=1e-3)
    assert d["losses"]["ha"]["loss"] == pytest.approx(2.0)


def test_height_gain_is_negative_loss():
    b = reading({"T8": (80, 100, 100)})
    f = reading({"T8": (90, 100, 100)})
    ch = change_at(compare(b, f), "T8")
    assert {h.height: h.loss_pct for h in ch.losses}["ha"] == pytest.approx(-12.5)
    assert ch.max_loss.height == "hm" and ch.max_loss.loss_pct == pytest.approx(0.0)
    assert ch.fit_rule is False


# ------------------------------------------------------------------ FIT rule
@pytest.mark.parametrize("h1, spacing_mm, expected", [
    (80.0, 0.2, True),     # 20 % of 20 mm = exactly 4 mm: both limits met exactly
    (80.1, 0.2, False),    # 19.9 %, 3.98 mm
    (75.0, 0.2, True),     # 25 %, 5 mm
    (75.0, 0.12, False),   # 25 % but 3 mm
    (85.0, 0.4, False),    # 15 %, 6 mm
    (60.0, 0.1, True),     # 40 %, 4 mm
])
def test_fit_rule(h1, spacing_mm, expected):
    sp = Spacing(spacing_mm, spacing_mm, SpacingSource.PIXEL_SPACING)
    b = reading({"L1": (100, 100, 100)}, spacing=sp)
    f = reading({"L1": (h1, 100, 100)}, spacing=sp)
    c = compare(b, f)
    ch = change_at(c, "L1")
    assert c.mm_rule_applicable is True
    assert ch.fit_rule is expected
    assert ch.fit_note is None


def test_fit_rule_any_one_height_both_limits_in_the_same_height():
    # ha loses 25 % but only 3 mm (12 mm body); hp loses 10 % = 4 mm... no single height
    # meets both: False
    sp = Spacing(0.1, 0.1, SpacingSource.PIXEL_SPACING)
    b = reading({"L1": (120, 400, 400)}, spacing=sp)
    f = reading({"L1": (90, 400, 360)}, spacing=sp)
    ch = change_at(compare(b, f), "L1")
    assert ch.fit_rule is False


def test_fit_rule_uses_heights_other_than_the_max_pct_one():
    # hm: 22 % and 4.4 mm (meets both); ha: 30 % but 1.5 mm -> max pct is ha, rule True
    sp = Spacing(0.1, 0.1, SpacingSource.PIXEL_SPACING)
    b = reading({"L1": (50, 200, 200)}, spacing=sp)
    f = reading({"L1": (35, 156, 200)}, spacing=sp)
    ch = change_at(compare(b, f), "L1")
    assert ch.max_loss.height == "ha"
    assert ch.fit_rule is True


def test_fit_thresholds_are_settings():
    b = reading({"L1": (100, 100, 100)})
    f = reading({"L1": (85, 100, 100)})  # 15 %, 3 mm
    assert change_at(compare(b, f), "L1").fit_rule is False
    loose = MethodSettings(fit_loss_pct=15.0, fit_loss_mm=3.0)
    assert change_at(compare(b, f, loose), "L1").fit_rule is True


@pytest.mark.parametrize("uncal", ["baseline", "followup", "both"])
def test_fit_not_applicable_when_a_film_is_uncalibrated(uncal):
    b = reading({"L1": (100, 100, 100)},
                spacing=Spacing.uncalibrated() if uncal in ("baseline", "both") else CAL)
    f = reading({"L1": (50, 100, 100)},
                spacing=Spacing.uncalibrated() if uncal in ("followup", "both") else CAL)
    c = compare(b, f, MethodSettings(loss_scaling="none"))
    ch = change_at(c, "L1")
    assert c.mm_rule_applicable is False
    assert c.mm_rule_note == "not applicable: a film is uncalibrated (heights in pixels)"
    assert ch.fit_rule is None               # never silently False
    assert ch.loss_mm is None
    assert ch.change is Change.INCIDENT      # grades still compare (ratios are unit-free)
    assert ch.to_dict()["fit_rule"] is None
    if uncal == "both":
        # both in pixels: percentages are still reported
        assert ch.max_loss.height == "ha" and ch.max_loss.loss_pct == pytest.approx(50.0)
        assert ch.fit_note.startswith("not applicable: a film is uncalibrated")
    else:
        # mm on one film, px on the other: no subtraction of mixed units
        assert ch.losses == () and ch.max_loss is None
        assert "one film is calibrated (mm) and the other is not (px)" in ch.fit_note


def test_each_film_uses_its_own_spacing():
    # same pixel heights, follow-up film with a finer spacing: 20 mm -> 16 mm
    b = reading({"L1": (100, 100, 100)}, spacing=Spacing(0.2, 0.2, SpacingSource.PIXEL_SPACING))
    f = reading({"L1": (100, 100, 100)}, spacing=Spacing(0.16, 0.16, SpacingSource.MANUAL))
    ch = change_at(compare(b, f, MethodSettings(loss_scaling="none")), "L1")
    assert ch.change is Change.UNCHANGED
    assert ch.max_loss.loss_pct == pytest.approx(20.0) and ch.loss_mm == pytest.approx(4.0)
    assert ch.fit_rule is True


# ------------------------------------------------------------------ children
def test_fit_not_applicable_in_children_unless_setting():
    kid = dict(birth=dt.date(2012, 6, 1))
    b = reading({"L1": (100, 100, 100)}, date=dt.date(2023, 1, 1), **kid)
    f = reading({"L1": (70, 100, 100)}, date=dt.date(2023, 12, 1), **kid)
    c = compare(b, f)
    ch = change_at(c, "L1")
    assert c.mm_rule_applicable is False
    assert "paediatric" in c.mm_rule_note and "grow between visits" in c.mm_rule_note
    assert ch.fit_rule is None and ch.fit_note == c.mm_rule_note
    assert ch.loss_mm == pytest.approx(6.0)      # the figure itself is still shown
    assert ch.max_loss.loss_pct == pytest.approx(30.0)
    assert c.to_dict()["paediatric"] is True
    c2 = compare(b, f, MethodSettings(mm_rule_in_children=True))
    assert c2.mm_rule_applicable is True
    assert change_at(c2, "L1").fit_rule is True


def test_reshaping_in_children_is_improved():
    kid = dict(birth=dt.date(2012, 6, 1))
    b = reading({"T9": (70, 100, 100)}, date=dt.date(2022, 1, 1), **kid)
    f = reading({"T9": (95, 100, 100)}, date=dt.date(2023, 1, 1), **kid)
    assert change_at(compare(b, f), "T9").change is Change.IMPROVED


def adult_or_child(birth, study):
    return Reading(patient_id="P", birth_date=birth, study_date=study).is_paediatric()


@pytest.mark.parametrize("birth, study, paed", [
    (dt.date(2006, 3, 15), dt.date(2024, 3, 15), False),    # 18th birthday: not paediatric
    (dt.date(2006, 3, 15), dt.date(2024, 3, 14), True),     # day before
    (dt.date(2001, 3, 1), dt.date(2019, 3, 1), False),      # 4 leap days only: still 18
    (dt.date(2001, 3, 1), dt.date(2019, 2, 28), True),
    (dt.date(2000, 2, 29), dt.date(2018, 3, 1), False),     # leap-day birth: 1 March counts
    (dt.date(2000, 2, 29), dt.date(2018, 2, 28), True),
    (dt.date(1950, 1, 1), dt.date(2024, 1, 1), False),
    (dt.date(2020, 1, 1), dt.date(2024, 1, 1), True),
])
def test_paediatric_flag(birth, study, paed):
    assert adult_or_child(birth, study) is paed


def test_age_at_study_whole_years_on_birthdays():
    r = Reading(patient_id="P", birth_date=dt.date(2001, 3, 1), study_date=dt.date(2019, 3, 1))
    assert r.age_at_study() == 18.0
    r.study_date = dt.date(2019, 9, 1)
    assert 18.4 < r.age_at_study() < 18.6


def test_paediatric_unknown_without_dates():
    assert Reading(patient_id="P", study_date=dt.date(2024, 1, 1)).is_paediatric() is None
    assert Reading(patient_id="P", birth_date=dt.date(2010, 1, 1)).is_paediatric() is None


def test_paediatric_age_is_a_setting():
    r = Reading(patient_id="P", birth_date=dt.date(2004, 1, 1), study_date=dt.date(2024, 1, 1))
    assert r.is_paediatric() is False
    assert r.is_paediatric(MethodSettings(paediatric_age_years=21)) is True


def test_paediatric_at_either_visit_turns_mm_rule_off():
    birth = dt.date(2006, 6, 1)
    b = reading({"L1": (100, 100, 100)}, date=dt.date(2024, 1, 1), birth=birth)  # 17
    f = reading({"L1": (70, 100, 100)}, date=dt.date(2025, 1, 1), birth=birth)   # 18
    assert b.is_paediatric() and not f.is_paediatric()
    c = compare(b, f)
    assert c.mm_rule_applicable is False and change_at(c, "L1").fit_rule is None


# ------------------------------------------------------------------ SDI series
def test_sdi_series_sorted_by_date():
    a = reading({"T8": (70, 100, 100)}, date=dt.date(2024, 1, 1))
    b = reading({}, date=dt.date(2020, 1, 1))
    b.set_status("L4", "not_evaluable", "not visible")
    series = sdi_series([a, b])
    assert series == [(dt.date(2020, 1, 1), 0, 1), (dt.date(2024, 1, 1), 2, 0)]


# --- films on different scales (domain.md §4: compare percentages, not millimetres) ------
def test_different_spacing_sources_are_scaled_by_reference_levels():
    """Baseline at the detector (magnified 12 %), follow-up magnification-corrected: without
    scaling every normal level would show a 10.7 % 'loss'."""
    b = reading({"L1": (100, 100, 100)},
                spacing=Spacing(0.224, 0.224, SpacingSource.PIXEL_SPACING_DETECTOR))
    f = reading({"L1": (60, 100, 100)},
                spacing=Spacing(0.2, 0.2, SpacingSource.MAGNIFICATION_CORRECTED))
    c = compare(b, f)
    assert c.height_scale is not None and c.height_scale.factor == pytest.approx(1.12)
    assert len(c.height_scale.levels) == 12  # every level but L1
    l1, t9 = change_at(c, "L1"), change_at(c, "T9")
    assert t9.max_loss.loss_pct == pytest.approx(0.0, abs=1e-9)
    assert l1.max_loss.height == "ha" and l1.max_loss.loss_pct == pytest.approx(40.0)
    assert l1.loss_mm is None and l1.fit_rule is None and "different scales" in l1.fit_note
    assert c.to_dict()["height_scale"]["factor"] == pytest.approx(1.12)
    unscaled = change_at(compare(b, f, MethodSettings(loss_scaling="none")), "T9")
    assert unscaled.max_loss.loss_pct == pytest.approx(100 * (1 - 0.2 / 0.224))


def test_mm_against_pixels_is_scaled_when_reference_levels_exist():
    b = reading({"L1": (100, 100, 100)}, spacing=CAL)
    f = reading({"L1": (70, 100, 100)}, spacing=Spacing.uncalibrated())
    l1 = change_at(compare(b, f), "L1")
    assert l1.max_loss.loss_pct == pytest.approx(30.0) and l1.loss_mm is None and l1.fit_rule is None


def test_too_few_reference_levels_means_no_scaling():
    b = reading({"L1": (100, 100, 100)}, spacing=CAL)
    f = reading({"L1": (70, 100, 100)}, spacing=Spacing.uncalibrated())
    c = compare(b, f, MethodSettings(scaling_min_levels=13))
    assert c.height_scale is None and change_at(c, "L1").max_loss is None


def test_same_spacing_source_is_never_rescaled():
    b = reading({"L1": (100, 100, 100)})
    f = reading({"L1": (70, 100, 100)})
    assert compare(b, f).height_scale is None


def test_loss_scaling_setting_is_validated():
    with pytest.raises(ValueError, match="loss_scaling"):
        MethodSettings(loss_scaling="magic")
    with pytest.raises(ValueError, match="loss_scaling"):
        MethodSettings.from_dict({"loss_scaling": "magic"})


def test_height_trend_is_on_the_first_films_scale():
    from vfa.method.comparison import height_trend
    b = reading({"L1": (100, 100, 100)}, date=dt.date(2020, 1, 1),
                spacing=Spacing(0.224, 0.224, SpacingSource.PIXEL_SPACING_DETECTOR))
    f = reading({"L1": (60, 100, 100)}, date=dt.date(2021, 1, 1),
                spacing=Spacing(0.2, 0.2, SpacingSource.MAGNIFICATION_CORRECTED))
    t = height_trend([f, b])                       # any order: oldest first
    assert [v.study_date.year for v in t.visits] == [2020, 2021] and t.unit == "mm"
    assert t.visits[1].scale == pytest.approx(1.12) and "scaled by 1.120" in t.note
    t9 = [v.heights[Level.T9].hp for v in t.visits]
    assert t9[0] == pytest.approx(t9[1])           # no false "loss" from the calibration change
    assert t.visits[1].heights[Level.L1].ha == pytest.approx(0.6 * t.visits[0].heights[Level.L1].ha)


def test_height_trend_leaves_out_a_film_it_cannot_scale():
    from vfa.method.comparison import height_trend
    b = reading(date=dt.date(2020, 1, 1))
    f = reading(date=dt.date(2021, 1, 1), spacing=Spacing.uncalibrated())
    t = height_trend([b, f], MethodSettings(loss_scaling="none"))
    assert len(t.visits) == 1 and "left out" in t.note


# ------------------------------------------------------------------ clinical method v2 (§4, §6)
KID = dict(birth=dt.date(2012, 6, 1))


@pytest.mark.parametrize("ha0, ha1, expected", [
    (80.1, 79.9, Change.UNCERTAIN),    # 19.9 % -> 20.1 %: 0.2 points
    (86.3, 78.1, Change.UNCERTAIN),    # 13.7 -> 21.9: 8.2 points, below the LSC 8.3
    (86.3, 78.0, Change.INCIDENT),     # 13.7 -> 22.0: exactly 8.3 points is a change
    (79.9, 80.1, Change.UNCERTAIN),    # 20.1 -> 19.9: an "improvement" of 0.2 points
    (74.0, 70.0, Change.UNCERTAIN),    # grade 2 -> 2 ... 26.0 -> 30.0: unchanged grade below
])
def test_uncertain_when_unconfirmed_and_small(ha0, ha1, expected):
    b = reading({"T9": (ha0, 100, 100)}, date=dt.date(2022, 1, 1))
    f = reading({"T9": (ha1, 100, 100)}, date=dt.date(2022, 7, 1))
    c = compare(b, f)
    ch = change_at(c, "T9")
    if (ha0, ha1) == (74.0, 70.0):
        assert ch.change is Change.UNCHANGED   # the same grade is never "uncertain"
        return
    assert ch.change is expected
    if expected is Change.UNCERTAIN:
        assert c.uncertain == [Level.T9] and c.incident == [] and c.improved == []
        assert ch.tentative_change in (Change.INCIDENT, Change.IMPROVED)
        assert c.to_dict()["uncertain"] == ["T9"]
        assert not ch.highlighted


def test_two_confirmed_grades_stay_but_are_flagged_within_noise():
    b = reading({"T9": (80.1, 100, 100)}, date=dt.date(2022, 1, 1))
    f = reading({"T9": (79.9, 100, 100)}, date=dt.date(2022, 7, 1))
    b.set_confirmed("T9")
    assert change_at(compare(b, f), "T9").change is Change.UNCERTAIN   # follow-up unconfirmed
    f.set_confirmed("T9")
    c = compare(b, f)
    ch = change_at(c, "T9")
    assert ch.change is Change.INCIDENT and c.incident == [Level.T9]
    assert ch.baseline_confirmed and ch.followup_confirmed
    assert ch.within_noise and c.within_noise == [Level.T9] and c.to_dict()["within_noise"] == ["T9"]
    assert c.to_dict()["changes"][Level.T9.index]["within_noise"] is True
    assert ch.describe() == "T9 incident, within measurement noise (change 0.2 points, LSC 8.3)"


def test_worsened_within_noise_in_words():
    # domain.md §4 / issue 19: two confirmed grades 24.9 % -> 25.1 % (1 -> 2)
    b = reading({"L1": (75.1, 100, 100)}, date=dt.date(2022, 1, 1))
    f = reading({"L1": (74.9, 100, 100)}, date=dt.date(2022, 7, 1))
    b.set_reader_grade("L1", 1)
    f.set_reader_grade("L1", 2)
    ch = change_at(compare(b, f), "L1")
    assert ch.change is Change.WORSENED and ch.within_noise
    assert ch.describe() == "L1 worsened 1→2, within measurement noise (change 0.2 points, LSC 8.3)"
    # far beyond the LSC: no flag, and the probability in words
    f2 = reading({"L1": (60.0, 100, 100)}, date=dt.date(2022, 7, 1))
    f2.set_reader_grade("L1", 2)
    ch = change_at(compare(b, f2), "L1")
    assert not ch.within_noise and ch.p_change == pytest.approx(phi(15.1 / (math.sqrt(2) * 3.0)))
    assert ch.describe() == f"L1 worsened 1→2 (P = {ch.p_change:.2f} that it truly worsened)"


def test_lsc_boundaries_follow_the_setting_and_a_saved_precision_study():
    from vfa.method.noise import PrecisionStudy
    b = reading({"T9": (86.3, 100, 100)}, date=dt.date(2022, 1, 1))   # 13.7 %
    f = reading({"T9": (78.0, 100, 100)}, date=dt.date(2022, 7, 1))   # 22.0 %: 8.3 points
    c = compare(b, f)
    assert (c.sd_pct, c.lsc_pct) == (3.0, 8.3)                          # 2.77 * 3.0 = 8.31 -> 8.3
    d = c.to_dict()
    assert (d["sd_pct"], d["sd_source"], d["lsc_pct"]) == (3.0, "setting", 8.3)
    assert d["precision_study"] is None
    assert change_at(c, "T9").change is Change.INCIDENT
    # the setting: SD 4.0 -> LSC 11.1
    c = compare(b, f, MethodSettings(precision_sd_pct=4.0))
    assert c.lsc_pct == 11.1 and change_at(c, "T9").change is Change.UNCERTAIN
    # a precision study of 12 films with an RMS-SD of 2.0 points -> LSC 5.5 (2.77 * 2 = 5.54)
    study = PrecisionStudy("dr-a", 2.0, 12, 150, "intra-reader", "2026-01-01T00:00:00+00:00")
    f7 = reading({"T9": (80.0, 100, 100)}, date=dt.date(2022, 7, 1))  # 20.0 %: 6.3 points
    c = compare(b, f7, precision=study)
    assert c.to_dict()["sd_source"] == "precision study" and c.lsc_pct == 5.5
    assert c.to_dict()["precision_study"]["reader"] == "dr-a"
    assert change_at(c, "T9").change is Change.INCIDENT
    assert change_at(compare(b, f7), "T9").change is Change.UNCERTAIN   # 6.3 < 8.3 by default
    b55 = reading({"T9": (85.5, 100, 100)}, date=dt.date(2022, 1, 1))  # 14.5 -> 20.0: 5.5 points
    b54 = reading({"T9": (85.4, 100, 100)}, date=dt.date(2022, 1, 1))  # 14.6 -> 20.0: 5.4 points
    assert change_at(compare(b55, f7, precision=study), "T9").change is Change.INCIDENT
    assert change_at(compare(b54, f7, precision=study), "T9").change is Change.UNCERTAIN
    # a study of fewer than 10 films is not used (the setting is, and the note says why)
    small = PrecisionStudy("dr-a", 2.0, 9, 100, "intra-reader", "2026-01-01T00:00:00+00:00")
    c = compare(b, f7, precision=small)
    assert c.lsc_pct == 8.3 and c.to_dict()["sd_source"] == "setting"
    assert "9 films" in c.to_dict()["sd_note"]


def test_p_fracture_and_p_change_by_hand():
    # p_fracture = Φ((percent - 20) / 3): exactly 0.5 at the threshold
    r0 = reading({"T9": (80.0, 100, 100)}, date=dt.date(2022, 1, 1))
    x = next(r for r in summarize(r0).results if r.level is Level.T9)
    assert x.p_fracture == pytest.approx(0.5)
    assert x.to_dict()["p_fracture"] == 0.5
    # 26 % -> Φ(2) = 0.97725; a normal level (0 %) -> Φ(-6.67) ~ 1e-11
    r1 = reading({"T9": (74.0, 100, 100)}, date=dt.date(2022, 7, 1))
    y = next(r for r in summarize(r1).results if r.level is Level.T9)
    assert y.p_fracture == pytest.approx(0.9772499, abs=1e-6)
    assert next(r for r in summarize(r1).results if r.level is Level.T5).p_fracture < 1e-10
    # p_change = Φ((26 - 20) / (√2 · 3)) = Φ(1.41421) = 0.92135
    c = compare(r0, r1)
    ch = change_at(c, "T9")
    assert ch.p_change == pytest.approx(0.9213504, abs=1e-6)
    assert ch.change is Change.UNCERTAIN                    # 6.0 points < LSC 8.3, unconfirmed
    assert change_at(compare(r1, r0), "T9").p_change == pytest.approx(1 - 0.9213504, abs=1e-6)
    # unchanged levels: 0.5
    assert change_at(c, "T5").p_change == pytest.approx(0.5)


def test_p_change_uses_unrounded_percents():
    b = reading({"T9": (80.04, 100, 100)}, date=dt.date(2022, 1, 1))   # 19.96 % (shown 20.0)
    f = reading({"T9": (79.96, 100, 100)}, date=dt.date(2022, 7, 1))   # 20.04 % (shown 20.0)
    ch = change_at(compare(b, f), "T9")
    assert ch.percent_change == 0.0
    assert ch.p_change == pytest.approx(phi(0.08 / (math.sqrt(2) * 3.0)))
    assert ch.p_change > 0.5


def test_single_visit_nothing_to_compare():
    r = reading({"T9": (70.0, 100, 100)}, date=dt.date(2022, 1, 1))
    s = summarize(r)
    assert s.to_dict()["sd_pct"] == 3.0 and s.to_dict()["lsc_pct"] == 8.3
    # one visit has p_fracture per level, but no p_change and no change at all
    assert "p_change" not in s.results[Level.T9.index].to_dict()
    assert "within_noise" not in s.to_dict()


def test_complete_reshaping_in_a_child_with_its_gain():
    b = reading({"L1": (100, 70, 100)}, date=dt.date(2022, 1, 1), **KID)   # biconcave 30 %
    f = reading({"L1": (100, 90, 100)}, date=dt.date(2023, 1, 1), **KID)   # 10 %: grade 0
    c = compare(b, f)
    ch = change_at(c, "L1")
    assert ch.change is Change.IMPROVED and ch.reshaping == "complete"
    assert ch.ratio_change_pp == {"wedge": 0.0, "biconcave": 20.0, "crush": 0.0}
    assert ch.percent_change == -20.0
    assert ch.reshaping_text() == "L1 reshaped completely: biconcave ratio +20 points"
    d = c.to_dict()
    assert d["reshaped"] == ["L1"] and d["changes"][Level.L1.index]["reshaping"] == "complete"


def test_partial_reshaping_keeps_a_grade_but_reports_the_gain():
    b = reading({"L1": (100, 55, 100)}, date=dt.date(2022, 1, 1), **KID)   # 45 %: grade 3
    f = reading({"L1": (100, 70, 100)}, date=dt.date(2023, 1, 1), **KID)   # 30 %: grade 2
    ch = change_at(compare(b, f), "L1")
    assert ch.change is Change.IMPROVED and ch.reshaping == "partial"
    assert ch.reshaping_text() == "L1 reshaped partially: biconcave ratio +15 points"
    # the same grade with a real gain is partial reshaping too
    b2 = reading({"L1": (100, 61, 100)}, date=dt.date(2022, 1, 1), **KID)  # 39 %: grade 2
    f2 = reading({"L1": (100, 70, 100)}, date=dt.date(2023, 1, 1), **KID)  # 30 %: still 2
    ch = change_at(compare(b2, f2), "L1")
    assert ch.change is Change.UNCHANGED and ch.reshaping == "partial"
    assert change_at(compare(f2, b2), "L1").reshaping is None    # a loss is never reshaping
    ch2 = change_at(compare(reading({"L1": (100, 70, 100)}, date=dt.date(2022, 1, 1), **KID),
                            reading({"L1": (100, 74, 100)}, date=dt.date(2023, 1, 1), **KID)), "L1")
    assert ch2.change is Change.UNCHANGED and ch2.reshaping is None  # 4 points: below the LSC
    ch3 = change_at(compare(reading({"L1": (100, 62, 100)}, date=dt.date(2022, 1, 1), **KID),
                            reading({"L1": (100, 70.3, 100)}, date=dt.date(2023, 1, 1), **KID)), "L1")
    assert ch3.percent_change == -8.3 and ch3.reshaping == "partial"   # exactly the LSC
    ch4 = change_at(compare(reading({"L1": (100, 62, 100)}, date=dt.date(2022, 1, 1), **KID),
                            reading({"L1": (100, 70.2, 100)}, date=dt.date(2023, 1, 1), **KID)), "L1")
    assert ch4.percent_change == -8.2 and ch4.reshaping is None


def test_no_reshaping_in_adults_or_when_age_unknown():
    for birth in (ADULT_BIRTH, None):
        b = reading({"L1": (100, 70, 100)}, date=dt.date(2022, 1, 1), birth=birth)
        f = reading({"L1": (100, 90, 100)}, date=dt.date(2023, 1, 1), birth=birth)
        c = compare(b, f)
        assert change_at(c, "L1").reshaping is None
        assert change_at(c, "L1").ratio_change_pp["biconcave"] == 20.0   # the number is there
    assert c.paediatric is None and c.to_dict()["paediatric"] is None


def test_sdi_over_common_levels_does_not_fall_when_a_level_is_unreadable():
    b = reading({"T12": (70, 100, 100)}, date=dt.date(2022, 1, 1))
    f = reading({"T12": (70, 100, 100)}, date=dt.date(2023, 1, 1))
    f.set_status("T12", "not_evaluable", "not visible")
    c = compare(b, f)
    assert (c.baseline.sdi, c.followup.sdi) == (2, 0)          # per-visit SDI falls
    assert (c.sdi_baseline_common, c.sdi_followup_common) == (0, 0)
    assert c.followup.not_evaluable == 1
    d = c.to_dict()
    assert d["sdi_baseline_common"] == 0 and d["sdi_followup_common"] == 0
    assert d["common_levels"] == 12


def test_ratio_change_crush_none_when_not_assessable():
    levels = [Level.T8]
    b = reading({"T8": (60, 60, 60)}, date=dt.date(2022, 1, 1), levels=levels)
    f = reading({"T8": (60, 60, 60)}, date=dt.date(2023, 1, 1), levels=levels)
    assert change_at(compare(b, f), "T8").ratio_change_pp == {"wedge": 0.0, "biconcave": 0.0,
                                                              "crush": None}
