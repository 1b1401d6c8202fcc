"""Shared fixtures. Every test runs headless and with its own workspace."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from orthanc import orthanc, orthanc_auth  # noqa: E402,F401 - session-scoped PACS fixtures

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_dicoms"


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Never touch the real user's workspace, cache or settings from a test."""
    base = tmp_path_factory.mktemp("userdirs")
    monkeypatch.setenv("VFA_WORKSPACE", str(base / "workspace"))
    monkeypatch.setenv("VFA_CACHE", str(base / "cache"))
    monkeypatch.setenv("VFA_PACS_SETTINGS", str(base / "pacs.json"))
    monkeypatch.setenv("VFA_READER", "test-reader")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(base / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(base / "xcache"))
    yield


# --------------------------------------------------------------------------- viewer tests
@pytest.fixture
def asked(monkeypatch):
    """Modal dialogs answered without blocking; what they were asked is recorded."""
    from ui.testing import answer_dialogs
    return answer_dialogs(monkeypatch)


@pytest.fixture
def window_size():
    """Size of the main window of :func:`window` (a test module may override it)."""
    return (1400, 900)


@pytest.fixture
def make_window(qtbot, tmp_path, monkeypatch, asked, window_size):
    """A factory of shown main windows sharing one settings file, working in the repository
    folder (the reference readings name their films relative to it); all are closed after."""
    from ui.mainwindow import MainWindow
    monkeypatch.setenv("VFA_SETTINGS", str(tmp_path / "viewer.ini"))
    monkeypatch.chdir(REPO)
    made = []

    def make():
        w = MainWindow()
        qtbot.addWidget(w)
        w.resize(*window_size)
        w.show()
        qtbot.waitExposed(w)
        w.activateWindow()
        made.append(w)
        return w

    yield make
    for w in made:
        if w.doc is not None:
            w.doc.history.mark_saved()
        w.close()


@pytest.fixture
def window(make_window):
    """One shown main window (see :func:`make_window`)."""
    return make_window()
