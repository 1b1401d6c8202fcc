"""Clinical method v3 in the viewer (issue 19): the probability behind a grade on hover,
"crush n/a" beside a grade, the comparison's "P 0.97" column, and confirmed changes within
measurement noise marked and listed."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("pytestqt")

from ui.compare import C_CHANGE, C_P, NOISE_BG  # noqa: E402
from ui.table import C_CRUSH, C_SUGG, CRUSH_NA_COLOR  # noqa: E402
from ui.testing import body_points, click_image, write_film  # noqa: E402
from vfa.method.levels import Level  # noqa: E402


@pytest.fixture
def window_size():
    return (1500, 950)


def read(w, film, wedges, grades=None):
    """Open ``film``, place T4... with the given anterior height losses (px), grade; save."""
    assert w.open_file(film)
    for i, wedge in enumerate(wedges):
        for x, y in body_points(i, wedge_px=wedge):
            click_image(w.view, x, y)
    for lv, g in (grades or {}).items():
        w.doc.set_grade(Level.parse(lv), g)
    assert w.save()


def test_grading_table_probability_on_hover_and_crush_na(window, tmp_path):
    w = window
    film = write_film(tmp_path / "v1.dcm", patient_id="PV", study_date="20220101", seed=1)
    read(w, film, [0, 20, 0])
    s = w.doc.summary()
    t5 = s.results[Level.T5.index]
    assert t5.p_fracture is not None and t5.crush_na         # three levels: no reference line
    item = w.table.table.item(Level.T5.index, C_SUGG)
    assert item.text() == f"2 ({t5.percent:.1f} %)"
    crush = w.table.table.item(Level.T5.index, C_CRUSH)
    assert crush.text() == "n/a" and crush.toolTip() == "crush n/a: too few reference levels"
    assert crush.foreground().color().name() == CRUSH_NA_COLOR
    assert f"P = {t5.p_fracture:.2f} that the true reduction is at or above 20 % (grade 1)" in item.toolTip()
    assert "crush n/a: too few reference levels" in item.toolTip()
    combo = w.table.grade_boxes[Level.T5.index]
    assert f"P = {t5.p_fracture:.2f}" in combo.toolTip() and "not confirmed" in combo.toolTip()
    assert w.table.table.item(Level.T8.index, C_SUGG).text() == ""          # not read: nothing


def test_comparison_p_column_and_within_noise(window, tmp_path):
    w = window
    base = write_film(tmp_path / "v1.dcm", patient_id="PX", study_date="20220101", seed=1)
    follow = write_film(tmp_path / "v2.dcm", patient_id="PX", study_date="20230601", seed=2)
    n = 8
    # T6 graded 1 then 2 by the reader with the same points: a confirmed change of 0 points
    read(w, base, [0] * n, {"T6": 1})
    read(w, follow, [0, 20] + [0] * (n - 2), {"T6": 2})
    w.a_compare.trigger()
    cv = w.compare_view
    comp = cv.comparison
    t5, t6 = comp.changes[Level.T5.index], comp.changes[Level.T6.index]
    assert t5.change.value == "incident" and t6.change.value == "worsened" and t6.within_noise
    assert cv.table.item(Level.T5.index, C_P).text() == f"P {t5.p_change:.2f}"
    assert t5.p_change > 0.99
    assert cv.table.item(Level.T4.index, C_P).text() == ""                  # unchanged
    assert cv.table.item(Level.T6.index, C_CHANGE).text() == "worsened (noise)"
    assert cv.table.item(Level.T6.index, 0).background().color() == NOISE_BG
    assert cv.table.item(Level.T6.index, C_CHANGE).toolTip() == (
        "T6 worsened 1→2, within measurement noise (change 0.0 points, LSC 8.3)")
    assert "within noise: T6" in cv.headline.text()
    note = cv.note.text()
    assert "Within noise (shaded): T6 worsened 1→2, within measurement noise" in note
    assert "SD 3.0 points (setting precision_sd_pct), LSC 8.3 points" in note
    # crush n/a beside exactly the grades whose crush is not assessable
    for ch in comp.changes:
        for col, res, g in ((1, comp.baseline.results[ch.level.index], ch.baseline_grade),
                            (2, comp.followup.results[ch.level.index], ch.followup_grade)):
            assert cv.table.item(ch.level.index, col).text().endswith("crush n/a") == (
                g is not None and res.crush_na)
    out = os.environ.get("VFA_V3_SHOTS")
    if out:   # look at it: VFA_V3_SHOTS=/some/folder pytest tests/test_ui_v3_outputs.py
        w.grab().save(os.path.join(out, "compare-v3.png"))
        w.show_compare(False)
        w.table_dock.raise_()
        w.table.table.selectRow(Level.T5.index)
        w.grab().save(os.path.join(out, "table-v3.png"))


def test_timeline_panel_lists_within_noise_and_reshaping_not_assessed(qtbot):
    import datetime as dt

    from readings_factory import make_reading
    from ui.timeline import TimelinePanel
    from vfa.study.cohort import PatientView, build_cohort
    b = make_reading({"L1": (75.1, 100.0, 100.0)}, date=dt.date(2023, 1, 10), birth=None)
    f = make_reading({"L1": (74.9, 100.0, 100.0)}, date=dt.date(2024, 1, 12), birth=None)
    b.set_reader_grade("L1", 1)
    f.set_reader_grade("L1", 2)
    outcome = build_cohort([b, f]).patients[0]
    panel = TimelinePanel()
    qtbot.addWidget(panel)
    panel.set_view("P1", PatientView(outcome, "test", [], [None, None]))
    text = panel.header.text()
    assert "within noise (L1)" in text and "reshaping not assessed (age unknown)" in text
    words = panel.grid.describe(1, Level.L1)
    assert "worse since the previous visit, within measurement noise" in words
    assert "P = 0.52 that it truly worsened" in words
