"""Shared fixtures. Every test runs headless and with its own workspace."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

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
