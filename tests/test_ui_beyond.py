"""Viewer: kyphosis lines (View ▸ Kyphosis lines), the reader's observations with single keys
(B, D, V) in the grading table, and File ▸ Export ▸ Presentation state / Secondary capture."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest

pytest.importorskip("pytestqt")

from PyQt6.QtCore import Qt  # noqa: E402
from PyQt6.QtWidgets import QGraphicsLineItem  # noqa: E402

from ui.table import C_OBS  # noqa: E402
from vfa.method.angles import kyphosis  # noqa: E402
from vfa.method.levels import Level  # noqa: E402
from vfa.method.qualitative import Abq, DowngradeReason, EndplateDepression  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_dicoms"
REF = SAMPLES / "reference" / "child01_2024-03-12.json"
FILM = SAMPLES / "child01" / "2024-03-12" / "lateral.dcm"


@pytest.fixture
def opened(window, monkeypatch):
    monkeypatch.setenv("VFA_READER", "reference")      # open the reference reading itself
    window.workspace.import_reading(REF)
    assert window.open_file(FILM)
    assert window.doc.reading.get("T7").complete
    return window


def test_kyphosis_lines_on_request_and_values_in_the_summary(opened, qtbot):
    w = opened
    expected = kyphosis(w.doc.reading)
    assert f"Kyphosis T4–T12: Cobb {expected.cobb_deg:.1f}°" in w.table.summary_label.text()
    assert "Lordosis L1–L4: Cobb" in w.table.summary_label.text()
    assert not w.a_kyphosis.isChecked() and w.kyphosis.items == []
    qtbot.keyClick(w.view, Qt.Key.Key_K)
    assert w.a_kyphosis.isChecked()
    lines = [i for i in w.kyphosis.items if isinstance(i, QGraphicsLineItem)]
    assert len(lines) == 4 and all(i.scene() is w.view.scene() for i in lines)
    # the first line lies on T4's superior endplate (extended beyond both corners)
    (ax, ay), (px, py) = expected.upper_line
    l0 = lines[0].line()
    for x, y in ((ax, ay), (px, py)):
        cross = (l0.x2() - l0.x1()) * (y - l0.y1()) - (l0.y2() - l0.y1()) * (x - l0.x1())
        assert abs(cross) / l0.length() < 1e-6
    # a moved point moves the line and the value
    w.doc.reading.set_point("T4", "superior_anterior", (ax, ay + 6))
    assert w.table.summary_label.text() != "" and kyphosis(w.doc.reading).cobb_deg != expected.cobb_deg
    assert f"Cobb {kyphosis(w.doc.reading).cobb_deg:.1f}°" in w.table.summary_label.text()
    qtbot.keyClick(w.view, Qt.Key.Key_K)
    assert w.kyphosis.items == []


def test_single_keys_record_observations_without_changing_the_grade(opened, qtbot):
    w = opened
    grade_before = {r.level: r.grade for r in w.doc.summary().results}
    assert w.table.table.isColumnHidden(C_OBS)       # no observation yet: the usual width
    w.table.table.selectRow(Level.T7.index)
    assert w.selected_level is Level.T7
    for _ in range(3):
        qtbot.keyClick(w.table.table, Qt.Key.Key_B)
    qtbot.keyClick(w.table.table, Qt.Key.Key_D)
    qtbot.keyClick(w.table.table, Qt.Key.Key_D)
    v = w.doc.reading.get("T7")
    assert v.abq is Abq.FRACTURE and v.endplate_depression is EndplateDepression.SUPERIOR
    assert not w.table.table.isColumnHidden(C_OBS)
    assert w.table.table.item(Level.T7.index, C_OBS).text() == "ABQ fracture · EP sup"
    assert w.table.table.item(Level.T7.index, 11).text() == ""        # the note is untouched
    w.table.table.selectRow(Level.T12.index)
    qtbot.keyClick(w.table.table, Qt.Key.Key_V)
    assert w.doc.reading.get("T12").downgrade_reason is DowngradeReason.PHYSIOLOGICAL_WEDGING
    assert {r.level: r.grade for r in w.doc.summary().results} == grade_before
    assert w.doc.modified
    w.undo()
    assert w.doc.reading.get("T12").downgrade_reason is None
    assert w.save()
    from vfa.reading.reading import load_reading
    saved = [load_reading(p) for p in w.workspace.root.rglob("*.json") if "autosave" not in p.parts
             and p.parent.name != "recovered"]
    mine = [r for r in saved if r.sop_instance_uid == w.doc.reading.sop_instance_uid
            and r.get("T7") is not None and r.get("T7").abq is Abq.FRACTURE]
    assert mine


def test_export_presentation_state_and_capture_from_the_menu(opened, asked, tmp_path):
    w = opened
    w.display.toggle_invert()                       # what is on screen is what is exported
    out = tmp_path / "pr.dcm"
    asked["answers"]["save_path"] = out
    assert w.a_export_gsps.isEnabled()
    w.a_export_gsps.trigger()
    assert asked["errors"] == []
    ds = pydicom.dcmread(out)
    assert ds.Modality == "PR"
    win = w.view.current_window()
    voi = ds.SoftcopyVOILUTSequence[0]
    assert float(voi.WindowCenter) == pytest.approx(win.center)
    assert ds.PresentationLUTShape == ("INVERSE" if w.view.settings.invert else "IDENTITY")
    out2 = tmp_path / "sc.dcm"
    asked["answers"]["save_path"] = out2
    w.a_export_capture.trigger()
    assert asked["errors"] == []
    assert pydicom.dcmread(out2).SOPClassUID == "1.2.840.10008.5.1.4.1.1.7"
    assert not w.a_store_gsps.isEnabled()          # no PACS configured


def test_dxa_film_opens_reads_and_proposals_say_they_are_less_sure(window, asked, qtbot):
    import json

    import numpy as np

    from ui.testing import click_image
    from vfa.method.levels import PointSlot
    from vfa.reading.reading import load_reading
    w = window
    manifest = json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))
    (dxa,) = manifest["dxa_films"]
    assert w.open_file(REPO / dxa["dicom"])
    assert w.doc.radiograph.shape == (dxa["rows"], dxa["cols"])
    assert w.doc.reading.spacing.calibrated                           # Pixel Spacing used
    ref = load_reading(REPO / dxa["reference"])
    w.view.setFocus()
    qtbot.keyClick(w.view, Qt.Key.Key_G)                              # Propose tool
    w._guide_jump(Level.T10)
    c = np.mean([ref.get("T10").points[s] for s in PointSlot], axis=0)
    w.view.center_on_image(*c)
    click_image(w.view, *c)
    assert w.doc.reading.get("T10").complete
    assert "DXA image: the proposals were developed on radiographs" in w.statusBar().currentMessage()
    assert asked["errors"] == []


def test_rows_keep_their_level_when_the_table_scrolls_sideways(opened, qtbot):
    """With the Observations column the table may scroll sideways; the level names then label
    the rows so that no row loses its level."""
    w = opened
    w.resize(1000, 800)
    w.doc.reading.set_abq("T7", Abq.FRACTURE)
    t = w.table.table
    bar = t.horizontalScrollBar()
    qtbot.waitUntil(lambda: not t.isColumnHidden(C_OBS) and bar.maximum() > 0)
    header = t.verticalHeader()
    assert header.isHidden()
    bar.setValue(bar.maximum())
    assert not header.isHidden()
    assert t.verticalHeaderItem(Level.T7.index).text() == "T7"
    bar.setValue(0)
    assert header.isHidden()
