"""Never abort (issue 21): an exception in a slot writes the autosave and a crash report
without patient data, shows one dialog, and the viewer keeps running — in a real process,
since PyQt6 aborts the process (exit 134) when a slot raises under Python's own hook."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

REPO = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent("""
    import sys, json
    from pathlib import Path
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication
    from ui.testing import body_points, click_image, write_film
    app = QApplication([sys.argv[0]])
    from ui.mainwindow import MainWindow
    from ui import crash
    tmp = Path(sys.argv[1])
    film = write_film(tmp / "films" / "SECRETNAME_film.dcm", patient_id="SECRET-PID-77",
                      study_date="20230405")
    win = MainWindow(tmp / "ws")
    crash.install(win)
    win.resize(1200, 800)
    win.show()
    win.open_file(film)
    win.doc.autosave_timer.setInterval(60_000)     # only the hook can write the autosave
    for x, y in body_points(0)[:3]:
        click_image(win.view, x, y)
    result = {}

    def boom():
        raise RuntimeError(f"broken slot while reading SECRET-PID-77 in {film}")

    def after():
        box = win.findChild(object, "CrashDialog")
        result["alive"] = True
        result["dialog"] = box is not None and box.isVisible()
        result["dialogs"] = sum(1 for w in app.topLevelWidgets()
                                if w.objectName() == "CrashDialog" and w.isVisible())
        result["autosave"] = win.workspace.autosave_path(win.doc.reading).exists()
        result["reports"] = [str(p) for p in crash.reports()]
        # the window still works: a fourth click places a point
        click_image(win.view, *body_points(0)[3])
        result["points"] = len(win.doc.reading.get("T4").points)
        print("RESULT " + json.dumps(result))
        win.doc.history.mark_saved()
        app.quit()

    QTimer.singleShot(100, boom)
    QTimer.singleShot(150, boom)        # a second error: still one dialog
    QTimer.singleShot(600, after)
    sys.exit(app.exec())
""")


def test_exception_in_a_slot_does_not_abort(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", VFA_LOG_DIR=str(tmp_path / "logs"),
               VFA_SETTINGS=str(tmp_path / "viewer.ini"), VFA_READER="r1",
               PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    import json
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    res = json.loads(line[len("RESULT "):])
    assert res["alive"] and res["dialog"] and res["dialogs"] == 1
    assert res["autosave"]                      # the hook flushed the reader's work
    assert res["points"] == 4                   # the viewer kept working
    assert len(res["reports"]) == 2
    for p in res["reports"]:
        assert Path(p).parent == tmp_path / "logs"
        text = Path(p).read_text()
        assert "RuntimeError" in text and "boom" in text
        assert "SECRET" not in text and "2023-04-05" not in text
    assert "SECRET" not in proc.stderr
