"""File ▸ Export (DICOM SR, PDF report, CSV) and File ▸ Open from PACS, driven through the
viewer's real menu actions on the sample films (sample_dicoms/) with points placed by
clicks; dialogs answered by ui.testing.answer_dialogs."""

from __future__ import annotations

import csv
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest


pytest.importorskip("pytestqt")

from PyQt6.QtWidgets import QDialog  # noqa: E402

from ui import pacs_dialog  # noqa: E402
from ui.mainwindow import MainWindow  # noqa: E402
from ui.testing import click_image  # noqa: E402
from vfa.films import pacs  # noqa: E402
from vfa.method.levels import LEVELS, POINT_SLOTS, Level  # noqa: E402
from vfa.reading.reading import load_reading  # noqa: E402
from vfa.storage.workspace import Workspace  # noqa: E402

from orthanc import orthanc  # noqa: E402,F401

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_dicoms"
REF = SAMPLES / "reference"
CHILD = {d: SAMPLES / "child01" / d / "lateral.dcm" for d in ("2024-03-12", "2024-09-10", "2025-03-11")}
ADULT = {d: SAMPLES / "adult01" / d / "lateral.dcm" for d in ("2023-04-18", "2024-10-22")}


def import_refs(w: MainWindow, *names: str) -> None:
    for n in names:
        w.workspace.import_reading(REF / f"{n}.json")
    w.browser.refresh()


def place_reference(w: MainWindow, ref: str, levels) -> None:
    """Click the reference points of ``levels`` on the open film, in the guide's order."""
    truth = load_reading(REF / f"{ref}.json")
    w.view.set_zoom(1.5)                 # neighbouring handles apart on screen
    for lv in levels:
        w._guide_jump(Level.parse(lv))
        pts = truth.get(lv).points
        w.view.center_on_image(sum(p[0] for p in pts.values()) / 6,
                               sum(p[1] for p in pts.values()) / 6)
        for slot in POINT_SLOTS:
            click_image(w.view, *pts[slot])
        assert w.doc.reading.get(lv).complete


def points_of(reading, levels):
    return {lv: dict(reading.get(lv).points) for lv in levels}


# ---------------------------------------------------------------------- DICOM SR
def test_export_sr_round_trip_and_time_point(window, asked, tmp_path):
    from vfa.outputs.sr import import_sr, read_sr_dataset, time_point_of
    w = window
    import_refs(w, "child01_2024-03-12")                  # the patient's earlier visit
    assert w.open_file(CHILD["2024-09-10"])
    place_reference(w, "child01_2024-09-10", ["T7", "T8", "T9"])
    assert w.doc.modified
    in_viewer = points_of(w.doc.reading, ["T7", "T8", "T9"])

    out = tmp_path / "follow.sr.dcm"
    asked["answers"]["save_path"] = out
    assert w.a_export_sr.isEnabled()
    w.a_export_sr.trigger()
    assert asked["errors"] == []
    assert asked["save_first"] == ["lateral.dcm"]          # unsaved: asked, then saved
    assert not w.doc.modified
    assert out.is_file()
    back = import_sr(out)
    assert back.sop_instance_uid == w.doc.reading.sop_instance_uid
    got = points_of(back, ["T7", "T8", "T9"])
    for lv, pts in in_viewer.items():
        assert set(got[lv]) == set(pts)
        for slot, (x, y) in pts.items():
            assert got[lv][slot] == pytest.approx((x, y), abs=1e-3)
    assert [v.level for v in back if v.points] == [Level.T7, Level.T8, Level.T9]
    assert time_point_of(read_sr_dataset(out)) == "follow-up"
    assert "follow-up" in w.statusBar().currentMessage()

    # the earliest visit is the baseline
    assert w.open_file(CHILD["2024-03-12"])
    place_reference(w, "child01_2024-03-12", ["T4"])
    asked["answers"]["save_path"] = tmp_path / "base"     # no suffix: .dcm is added
    w.a_export_sr.trigger()
    assert time_point_of(read_sr_dataset(tmp_path / "base.dcm")) == "baseline"


def test_export_cancelled_or_not_saved_writes_nothing(window, asked, tmp_path):
    w = window
    assert w.open_file(ADULT["2023-04-18"])
    place_reference(w, "adult01_2023-04-18", ["L1"])
    out = tmp_path / "x.dcm"
    asked["answers"]["save_first"] = False                 # Cancel in "save first?"
    asked["answers"]["save_path"] = out
    w.a_export_sr.trigger()
    assert not out.exists() and w.doc.modified and asked["save_paths"] == []
    asked["answers"]["save_first"] = True
    asked["answers"]["save_path"] = None                   # Cancel in the file dialog
    w.a_export_sr.trigger()
    assert not out.exists() and asked["errors"] == []


def test_export_error_is_one_line_in_a_message_box(window, asked, tmp_path):
    w = window
    film = tmp_path / "copy.dcm"
    shutil.copy(ADULT["2023-04-18"], film)
    assert w.open_file(film)
    place_reference(w, "adult01_2023-04-18", ["L1"])
    assert w.save()
    film.unlink()                                          # the film went away
    out = tmp_path / "x.dcm"
    asked["answers"]["save_path"] = out
    w.a_export_sr.trigger()
    assert not out.exists()
    assert len(asked["errors"]) == 1
    msg = asked["errors"][0]
    assert "copy.dcm" in msg and "Traceback" not in msg and "\n" not in msg


# ---------------------------------------------------------------------- PDF
def test_export_pdf_all_saved_visits_and_deidentify_toggle(window, asked, tmp_path):
    w = window
    import_refs(w, "adult01_2023-04-18")
    assert w.open_file(ADULT["2024-10-22"])
    place_reference(w, "adult01_2024-10-22", ["T12", "L1"])
    out = tmp_path / "report.pdf"
    asked["answers"]["save_path"] = out
    w.a_export_pdf.trigger()
    assert asked["errors"] == []
    assert out.read_bytes().startswith(b"%PDF")
    title, suggested = asked["save_paths"][-1]
    assert "VFA-ADULT-01" in suggested and "de-identified" not in title

    # de-identified: the toggle is remembered, the name is neither in the file name nor the text
    w.export_menu.aboutToShow.emit()
    w.a_deidentify.trigger()
    assert w.a_deidentify.isChecked() and w.settings.value("export/deidentify") == "true"
    out2 = tmp_path / "anon.pdf"
    asked["answers"]["save_path"] = out2
    w.a_export_pdf.trigger()
    title, suggested = asked["save_paths"][-1]
    assert "de-identified" in title and "VFA-ADULT-01" not in suggested
    assert out2.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        full = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
        anon = subprocess.run(["pdftotext", str(out2), "-"], capture_output=True, text=True).stdout
        assert "VFA-ADULT-01" in full and "2023-04-18" in full and "2024-10-22" in full
        assert "VFA-ADULT-01" not in anon and "SYNTHETIC" not in anon and "de-identified" in anon


# ---------------------------------------------------------------------- CSV
def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_export_csv_patient_and_workspace(window, asked, tmp_path):
    w = window
    import_refs(w, "child01_2024-03-12", "child01_2025-03-11", "adult01_2023-04-18")
    assert w.open_file(CHILD["2024-09-10"])
    place_reference(w, "child01_2024-09-10", ["T9"])
    out = tmp_path / "child.csv"
    asked["answers"]["save_path"] = out
    w.a_export_csv.trigger()
    assert asked["errors"] == []
    rows = _rows(out)
    per_visit = Counter((r["study_date"], r["reader"]) for r in rows)
    assert per_visit == {("2024-03-12", "reference"): 13, ("2025-03-11", "reference"): 13,
                         ("2024-09-10", "test-reader"): 13}
    assert {r["patient_id"] for r in rows} == {"VFA-CHILD-01"}
    assert [r["level"] for r in rows[:13]] == [lv.value for lv in LEVELS]
    mine = [r for r in rows if r["reader"] == "test-reader" and r["level"] == "T9"][0]
    assert mine["annotated"] == "true"
    assert len(_rows(tmp_path / "child-summary.csv")) == 3

    out2 = tmp_path / "all.csv"
    asked["answers"]["save_path"] = out2
    w.a_export_csv_all.trigger()
    rows = _rows(out2)
    assert len(rows) == 13 * 4
    assert {r["patient_id"] for r in rows} == {"VFA-CHILD-01", "VFA-ADULT-01"}


# ---------------------------------------------------------------------- PACS
def test_open_from_pacs_opens_the_retrieved_films(window, asked, monkeypatch):
    w = window
    calls = []

    def fake(parent):
        calls.append(parent)
        return [ADULT["2024-10-22"], ADULT["2023-04-18"]]
    monkeypatch.setattr(pacs_dialog, "open_from_pacs", fake)
    w.a_open_pacs.trigger()
    assert calls == [w]
    assert w.doc is not None and w.doc.reading.patient_id == "VFA-ADULT-01"
    assert w.doc.reading.study_date.isoformat() == "2023-04-18"     # first film by date
    assert w.view.radiograph is w.doc.radiograph
    assert len(w.browser.film_items()) == 2

    # closing the dialog without retrieving leaves the open film alone
    monkeypatch.setattr(pacs_dialog, "open_from_pacs", lambda parent: [])
    before = w.doc
    w.a_open_pacs.trigger()
    assert w.doc is before


def test_pacs_settings_enable_store(window, asked, monkeypatch):
    w = window
    assert w.open_file(ADULT["2023-04-18"])
    w.export_menu.aboutToShow.emit()
    assert not w.a_store_sr.isEnabled() and "Tools" in w.a_store_sr.toolTip()

    def exec_(dlg):
        dlg.url.setText("http://127.0.0.1:9/dicom-web")
        dlg._save()
        return QDialog.DialogCode.Accepted
    monkeypatch.setattr(pacs_dialog.PacsSettingsDialog, "exec", exec_)
    w.a_pacs_settings.trigger()
    assert pacs.load_settings().url == "http://127.0.0.1:9/dicom-web"
    assert w.a_store_sr.isEnabled()


def test_store_sr_on_orthanc(window, asked, orthanc):  # noqa: F811
    w = window
    pacs.save_settings(pacs.PacsSettings(url=orthanc.dicomweb_url, timeout_s=10))
    assert w.open_file(ADULT["2024-10-22"])
    place_reference(w, "adult01_2024-10-22", ["T12"])
    w.export_menu.aboutToShow.emit()
    assert w.a_store_sr.isEnabled()
    w.a_store_sr.trigger()
    assert asked["errors"] == []
    assert not w.doc.modified                            # saved first
    client = pacs.PacsClient(pacs.load_settings())
    series = client.search_series(w.doc.reading.study_instance_uid, modality="SR")
    assert len(series) == 1
    assert "stored" in w.statusBar().currentMessage()


def test_store_sr_unreachable_pacs_shows_the_reason(window, asked):
    w = window
    pacs.save_settings(pacs.PacsSettings(url="http://127.0.0.1:9/dicom-web", timeout_s=2))
    assert w.open_file(ADULT["2023-04-18"])
    w.export_menu.aboutToShow.emit()
    w.a_store_sr.trigger()
    assert len(asked["errors"]) == 1 and "127.0.0.1:9" in asked["errors"][0]


def test_time_point_rule():
    """Workspace.time_point: earliest visit with a saved reading = baseline."""
    ws = Workspace()
    try:
        base = load_reading(REF / "child01_2024-03-12.json")
        follow = load_reading(REF / "child01_2024-09-10.json")
        assert ws.time_point(follow) == "baseline"       # nothing saved yet: the first visit
        ws.save(follow)
        assert ws.time_point(follow) == "baseline"       # still the earliest saved visit
        ws.save(base)
        assert ws.time_point(base) == "baseline" and ws.time_point(follow) == "follow-up"
        follow.patient_id = None
        assert ws.time_point(follow) is None
    finally:
        ws.close()
