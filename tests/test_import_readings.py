"""Finished readings into a workspace and the viewer (issue 21): ``vfa import``, then the
README's "cohort from a workspace" exactly as written; SR readings with their films; the
viewer opening a reference reading (File ▸ Open reading, ``vfa-viewer READING.json``)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from cli_runner import run_vfa, run_vfa_process

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_dicoms"
REF = SAMPLES / "reference" / "child01_2024-03-12.json"


def readme_workspace_commands() -> list[str]:
    """The commands of the README sentence 'The same from a workspace: ...'."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index("The same\nfrom a workspace") if "The same\nfrom a workspace" in text \
        else text.index("The same from a workspace")
    para = text[start:text.index("\n\n", start)]
    cmds = [c for c in para.split("`")[1::2] if c.startswith("vfa ")]
    return cmds


def test_readme_cohort_from_a_workspace_runs_as_written(tmp_path):
    cmds = readme_workspace_commands()
    assert [c.split()[1] for c in cmds] == ["import", "clinical", "cohort"]
    out = None
    for c in cmds:
        argv = [a.replace("DIR", str(tmp_path / "ws")) for a in shlex.split(c)[1:]]
        res = run_vfa_process(*argv, cwd=REPO)
        assert res.returncode == 0, (c, res.stderr)
        out = res.stdout
    assert "no dated readings" not in out
    assert "VFA-CHILD-01" in out and "new T9" in out and "VFA-ADULT-01" in out
    # the same table as from the reading files themselves
    direct = run_vfa("cohort", SAMPLES / "reference", "--clinical", SAMPLES / "clinical.csv", cwd=REPO)
    assert direct.returncode == 0
    strip = [ln for ln in out.splitlines() if not ln.startswith("Readings used")]
    assert strip == [ln for ln in direct.stdout.splitlines() if not ln.startswith("Readings used")]


def test_import_sr_with_its_film_and_report_problems(tmp_path):
    sr = tmp_path / "sr" / "child01.dcm"
    sr.parent.mkdir()
    assert run_vfa("export-sr", REF, "-o", sr, cwd=REPO).returncode == 0
    junk = tmp_path / "sr" / "notes.json"
    junk.write_text('{"hello": 1}')
    ws = tmp_path / "ws"
    # the SR names its film by UID only: without --films it is not found (exit 1, said why)
    res = run_vfa("import", sr, "--workspace", ws)
    assert res.returncode == 1 and "film of this reading was not found" in res.stderr
    res = run_vfa("import", tmp_path / "sr", "--workspace", ws, "--films", SAMPLES / "child01",
                  "--json")
    assert res.returncode == 0, res.stderr
    import json
    data = json.loads(res.stdout)
    assert len(data["imported"]) == 1 and data["problems"] == []
    from vfa.storage.workspace import Workspace
    w = Workspace(ws)
    try:
        from vfa.reading.reading import load_reading
        ref = load_reading(REF)
        got = w.load(ref.sop_instance_uid)
        assert got is not None
        for slot, (x, y) in ref.get("T7").points.items():          # SR coordinates: float32
            assert got.get("T7").points[slot] == (pytest.approx(x, abs=1e-3), pytest.approx(y, abs=1e-3))
        img = w.index.image(ref.sop_instance_uid)
        assert img is not None and Path(img.path).is_file()
    finally:
        w.close()


def test_import_of_nothing_is_one_clear_line(tmp_path):
    res = run_vfa("import", tmp_path / "missing", "--workspace", tmp_path / "ws")
    assert res.returncode == 1 and "does not exist" in res.stderr and "Traceback" not in res.stderr


pytest.importorskip("pytestqt")


def test_viewer_opens_a_reference_reading_with_its_marks(make_window, asked):
    from vfa.reading.reading import load_reading
    w = make_window()
    assert w.open_path(REF)
    ref = load_reading(REF)
    assert w.doc.reading.sop_instance_uid == ref.sop_instance_uid
    assert w.doc.reading.get("T7").points == ref.get("T7").points
    assert Path(w.doc.radiograph.path).name == Path(ref.image_path).name
    assert w.layer.handle("T7", "superior_anterior") is not None      # the marks are drawn
    assert not asked.get("error")


def test_viewer_command_line_opens_a_reading(qtbot, monkeypatch, tmp_path):
    from PyQt6.QtWidgets import QApplication

    from ui import app as ui_app
    from ui.mainwindow import MainWindow
    monkeypatch.setenv("VFA_SETTINGS", str(tmp_path / "viewer.ini"))
    monkeypatch.setenv("VFA_LOG_DIR", str(tmp_path / "logs"))
    seen = {}

    def fake_exec(self=None):
        win = next(x for x in QApplication.topLevelWidgets()
                   if isinstance(x, MainWindow) and x.isVisible())
        qtbot.addWidget(win)
        qtbot.waitUntil(lambda: win.doc is not None, timeout=10000)
        seen["T7"] = win.doc.reading.get("T7").points
        win.doc.history.mark_saved()
        win.close()
        return 0

    monkeypatch.setattr(QApplication, "exec", fake_exec)
    import sys
    hook = sys.excepthook
    try:
        assert ui_app.main([str(REF), "--workspace", str(tmp_path / "ws")]) == 0
    finally:
        sys.excepthook = hook
    from vfa.reading.reading import load_reading
    assert seen["T7"] == load_reading(REF).get("T7").points
