"""ui.pacs_dialog against a real Orthanc (pytest-qt, offscreen)."""

from __future__ import annotations

import ast
import os
import stat
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PyQt6.QtCore import QDate, Qt, QTimer  # noqa: E402
from PyQt6.QtWidgets import QDialog  # noqa: E402
from pydicom.uid import generate_uid  # noqa: E402

from vfa.films import pacs  # noqa: E402
from vfa.films.pacs import PacsClient, PacsSettings  # noqa: E402

from orthanc import free_port  # noqa: E402
from test_pacs import make_film  # noqa: E402

from ui import pacs_dialog  # noqa: E402
from ui.pacs_dialog import PacsDialog, PacsSettingsDialog  # noqa: E402


@pytest.fixture(scope="module")
def studies(orthanc, tmp_path_factory):
    """Two studies of patient UI-1 (2021 and 2023) and an SR beside the 2023 film."""
    tmp = tmp_path_factory.mktemp("ui-films")
    old, new = generate_uid(), generate_uid()
    files = [make_film(tmp / "old.dcm", "UI-1", old, date="20210310"),
             make_film(tmp / "new1.dcm", "UI-1", new, date="20230504"),
             make_film(tmp / "new2.dcm", "UI-1", new, date="20230504")]
    client = PacsClient(PacsSettings(url=orthanc.dicomweb_url))
    client.store(files)
    return {"old": old, "new": new, "client": client}


def _dialog(qtbot, url: str, **kw) -> PacsDialog:
    dlg = PacsDialog(None, settings=PacsSettings(url=url, timeout_s=5), **kw)
    qtbot.addWidget(dlg)
    return dlg


def _search(qtbot, dlg: PacsDialog, **fields) -> None:
    dlg.patient_id.setText(fields.get("patient_id", ""))
    qtbot.mouseClick(dlg.search_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dlg.busy and dlg.status.text() != "Searching…", timeout=10000)


def test_search_lists_studies_newest_first_and_retrieve_returns_paths(qtbot, orthanc, studies):
    dlg = _dialog(qtbot, orthanc.dicomweb_url)
    assert orthanc.dicomweb_url in dlg.server.text()
    _search(qtbot, dlg, patient_id="UI-1")
    assert dlg.table.rowCount() == 2
    assert dlg.table.item(0, 0).text() == "2023-05-04" and dlg.table.item(1, 0).text() == "2021-03-10"
    assert dlg.table.item(0, 2).text() == "Doe Jane" and dlg.table.item(0, 5).text() == "2"
    assert "2 studies found" in dlg.status.text()
    assert [s.study_instance_uid for s in dlg.selected_studies()] == [studies["new"]]
    assert dlg.retrieve_button.isEnabled()

    with qtbot.waitSignal(dlg.accepted, timeout=15000):
        qtbot.mouseClick(dlg.retrieve_button, Qt.MouseButton.LeftButton)
    assert len(dlg.paths) == 2
    cache = Path(os.environ["VFA_CACHE"])
    assert all(p.is_file() and p.is_relative_to(cache / studies["new"]) for p in dlg.paths)


def test_date_range_is_sent(qtbot, orthanc, studies):
    dlg = _dialog(qtbot, orthanc.dicomweb_url)
    dlg.use_to.setChecked(True)
    dlg.date_to.setDate(QDate(2022, 1, 1))
    assert dlg.criteria()["date_to"].isoformat() == "2022-01-01" and dlg.criteria()["date_from"] is None
    _search(qtbot, dlg, patient_id="UI-1")
    assert dlg.table.rowCount() == 1 and dlg.table.item(0, 6).text() == studies["old"]


def test_retrieve_skips_reports(qtbot, orthanc, studies, tmp_path):
    # an SR-class instance in the old study must not be handed to the viewer
    import pydicom
    sr = pydicom.dcmread(make_film(tmp_path / "fake-sr.dcm", "UI-1", studies["old"], date="20210310"))
    sr.SOPClassUID = sr.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.88.33"
    sr.Modality = "SR"
    sr.save_as(tmp_path / "fake-sr.dcm")
    studies["client"].store([tmp_path / "fake-sr.dcm"])
    dlg = _dialog(qtbot, orthanc.dicomweb_url, cache_dir=tmp_path / "cache")
    _search(qtbot, dlg, patient_id="UI-1")
    dlg.table.selectRow(1)
    with qtbot.waitSignal(dlg.accepted, timeout=15000):
        dlg.retrieve()
    assert len(dlg.paths) == 1 and dlg.paths[0].is_relative_to(tmp_path / "cache")
    assert pydicom.dcmread(dlg.paths[0]).Modality == "DX"


def test_network_error_is_shown_in_the_dialog(qtbot):
    url = f"http://127.0.0.1:{free_port()}/dicom-web"
    dlg = _dialog(qtbot, url)
    _search(qtbot, dlg, patient_id="X")
    assert "connection refused" in dlg.status.text() and url in dlg.status.text()
    assert dlg.search_button.isEnabled() and dlg.table.rowCount() == 0
    assert not dlg.retrieve_button.isEnabled()


def test_not_configured_then_server_dialog_saves_settings(qtbot, monkeypatch, orthanc):
    dlg = PacsDialog(None)
    qtbot.addWidget(dlg)
    assert "no PACS is configured" in dlg.status.text()
    assert not dlg.search_button.isEnabled()

    def fill_and_save():
        box = dlg.findChild(PacsSettingsDialog)
        box.url.setText(orthanc.dicomweb_url + "/")
        box.user.setText("reader")
        box.password.setText("pa55word")
        box._save()
    QTimer.singleShot(0, fill_and_save)
    dlg.edit_server()
    assert dlg.search_button.isEnabled() and "reader" in dlg.server.text()
    assert "pa55word" not in dlg.server.text()
    path = pacs.settings_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = pacs.load_settings()
    assert (saved.url, saved.username, saved.password) == (orthanc.dicomweb_url, "reader", "pa55word")


def test_settings_dialog_shows_bad_url_and_keeps_stored_password(qtbot):
    old = PacsSettings(url="http://h:8042/dicom-web", username="u", password="keep-me")
    box = PacsSettingsDialog(None, old)
    qtbot.addWidget(box)
    assert box.password.text() == "" and "stored" in box.password.placeholderText()
    box.url.setText("ftp://nope")
    box._save()
    assert "not valid" in box.error.text() and box.saved is None
    box.url.setText("http://h:8042/dicom-web")
    box._save()
    assert box.saved is not None and box.saved.password == "keep-me"


def test_open_from_pacs_returns_nothing_when_closed(qtbot, monkeypatch):
    monkeypatch.setattr(PacsDialog, "exec", lambda self: QDialog.DialogCode.Rejected)
    assert pacs_dialog.open_from_pacs(None) == []


def test_the_widget_module_only_uses_vfa_pacs():
    """No business logic in the widget: from vfa it imports vfa.films.pacs and vfa.errors only."""
    tree = ast.parse(Path(pacs_dialog.__file__).read_text())
    mods = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            mods.add(node.module + ("." + node.names[0].name
                                    if node.module in ("vfa", "vfa.films") else ""))
        elif isinstance(node, ast.Import):
            mods.update(a.name for a in node.names)
    assert {m for m in mods if m.startswith("vfa")} <= {"vfa.films.pacs", "vfa.errors"}
